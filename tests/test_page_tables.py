"""The page tables (pipeline/publish/tables.py): build writes what the pages would otherwise sort or
read in full per request; the timeline, claims, listings and network read them, a page at a time."""

from __future__ import annotations

import gzip
import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pyoxigraph as ox
import pytest
import requests

from nexus_ld.pipeline.publish import network_db, releases
from nexus_ld.pipeline.publish.counts import listing_row
from nexus_ld.pipeline.publish.network import FILE as NETWORK_FILE
from nexus_ld.pipeline.publish.network import encode, load_network
from nexus_ld.pipeline.publish.network_db import DB as NETWORK_DB
from nexus_ld.pipeline.publish.network_db import answer, count, part, read_facts
from nexus_ld.pipeline.publish.pages import NETWORK_FILES, missing_page_tables, table_files
from nexus_ld.pipeline.publish.tables import (
    FOLDER,
    LISTED,
    PAGED,
    QUERIES,
    REMEDY,
    claims_page,
    listing_name,
    open_paged,
    plain_rows,
    read_rows,
    read_table,
)
from nexus_ld.pipeline.publish.timeline import events_of, events_page, with_statuses
from nexus_ld.store.embedded import Store
from nexus_ld.urls import Urls
from tests import network_oracle as oracle
from tests.conftest import free_port, make_app, stop_process, wait_until_responds

BASE = "https://w3id.org/nexus-ld/"
BROWSER = {"Accept": "text/html"}


def page(client, path: str) -> str:
    r = client.get(path, headers=BROWSER)
    assert r.status_code == 200, (path, r.status_code, r.get_data(as_text=True)[:300])
    return r.get_data(as_text=True)


def event_ids(text: str) -> list[str]:
    return re.findall(r'<li class="event" id="([^"]+)"', text)


def claim_ids(text: str) -> list[str]:
    """The claims of a /claims page, in its order (the link in each row's summary cell)."""
    return re.findall(r'<tr><td><span class="badge.*?</td>\s*<td><a href="/doc/([^"]+)"', text, re.S)


def claims_in_order(store, subs: dict | None = None) -> list[str]:
    """The claims as claims.rq orders them (one row per agent: the first of each claim counts)."""
    found = dict.fromkeys(r["claim"].value for r in store.named("claims", subs))
    return [iri[len(BASE + "id/") :] for iri in found]


def test_build_writes_each_table_as_its_query_answers(built, store):
    """Each table holds its query's whole answer on the release, in the query's order; each listing's
    table holds listing.rq's whole answer for its class; release.json counts their rows."""
    folder = releases.served_folder(built.build)
    described = json.loads((folder / "release.json").read_text(encoding="utf-8"))["tables"]
    for name in QUERIES:
        rows = read_table(folder, name)
        # The bundled data has no accepted contribution: test_review_page's accepted one has its notes.
        assert (rows or name == "contribution-notes") and rows == plain_rows(store.named(name)), name
        assert described[name] == len(rows), name
    for kind, curie in LISTED.items():
        prefix, local = curie.split(":", 1)
        members = store.named("listing", {"class": ox.NamedNode(store.prefixes[prefix] + local)})
        rows = read_rows(folder, listing_name(kind), 0, 10**6)
        assert rows and rows == [listing_row(r) for r in members], kind
        assert described[listing_name(kind)] == len(rows), kind


def _copy_without(built, tmp_path, *names: str):
    """A copy of the session build whose served release lacks ``names`` (paths under the release)."""
    copy = tmp_path / "build"
    shutil.copytree(built.build, copy, symlinks=True)
    folder = releases.served_folder(copy)
    assert copy in folder.resolve().parents  # the copy's, never the session build's
    for name in names:
        path = folder / name
        shutil.rmtree(path) if path.is_dir() else path.unlink()
    return copy, folder


def test_a_release_without_its_tables_gets_them_once_at_start(built, tmp_path):
    """A release built before the page tables: the app alone answers its pages 503 with the fix (not a
    500, not a scan); ``missing_page_tables`` (what ``nexus-ld serve`` and gunicorn's on_starting run)
    writes the very tables build writes, renamed in whole, once; then the pages answer."""
    copy, folder = _copy_without(built, tmp_path, FOLDER)
    client = make_app(built, build_dir=str(copy)).test_client()
    for path in ("/timeline", "/claims", "/network", "/network.json", "/groups", "/events?page=2"):
        r = client.get(path, headers={"Accept": "text/plain"})
        assert r.status_code == 503, path
        message = r.get_data(as_text=True)
        assert "has no" in message and REMEDY in message, path
    # The description is the store's (it still answers); its page shows the contribution notes, a table.
    assert client.get("/doc/group/ttp", headers={"Accept": "text/turtle"}).status_code == 200
    assert client.get("/doc/group/ttp", headers=BROWSER).status_code == 503

    said: list[str] = []
    assert missing_page_tables(copy, said.append) is True
    assert "lacks page tables" in said[0] and "page tables written in" in said[-1]
    made, session = folder / FOLDER, releases.served_folder(built.build) / FOLDER
    assert sorted(p.name for p in made.iterdir()) == sorted(p.name for p in session.iterdir())
    for path in session.iterdir():
        assert (made / path.name).read_bytes() == path.read_bytes(), path.name
    assert not [p for p in folder.iterdir() if p.name.startswith(".tables-")]  # its work folder is gone
    assert missing_page_tables(copy) is False  # once
    client = make_app(built, build_dir=str(copy)).test_client()
    for path in ("/timeline", "/claims", "/network", "/network.json", "/groups", "/events?page=2"):
        assert client.get(path, headers=BROWSER).status_code == 200, path


def test_tables_from_before_some_of_them_get_those_alone(built, tmp_path):
    """A release whose tables predate /network.json as a file and the listings read by page gets those
    files, the tables it had untouched."""
    gone = (PAGED, NETWORK_FILE, NETWORK_FILE + ".gz")
    copy, folder = _copy_without(built, tmp_path, *(f"{FOLDER}/{name}" for name in gone))
    before = {p.name: p.stat().st_mtime_ns for p in (folder / FOLDER).iterdir()}
    said: list[str] = []
    assert missing_page_tables(copy, said.append) is True and ", ".join(gone) in said[0]
    session = releases.served_folder(built.build) / FOLDER
    for name in gone:
        assert (folder / FOLDER / name).read_bytes() == (session / name).read_bytes(), name
    assert {p.name: p.stat().st_mtime_ns for p in (folder / FOLDER).iterdir() if p.name in before} == before
    assert make_app(built, build_dir=str(copy)).test_client().get("/events?page=2").status_code == 200


def test_a_release_lacking_only_the_network_tables_gets_them_without_a_query(built, tmp_path, monkeypatch):
    """The network's files are made of the other tables alone: a release whose tables predate
    network.sqlite gets the same files build writes, and no query runs (the stage's queries take 900 s
    at 10M triples)."""
    copy, folder = _copy_without(built, tmp_path, *(f"{FOLDER}/{name}" for name in NETWORK_FILES))
    asked: list[str] = []
    named = Store.named

    def spied(self, name, *args, **kwargs):
        asked.append(name)
        return named(self, name, *args, **kwargs)

    monkeypatch.setattr(Store, "named", spied)
    said: list[str] = []
    assert missing_page_tables(copy, said.append) is True and ", ".join(NETWORK_FILES) in said[0]
    assert asked == []
    session = releases.served_folder(built.build) / FOLDER
    for name in NETWORK_FILES:
        assert (folder / FOLDER / name).read_bytes() == (session / name).read_bytes(), name


def test_the_network_tables_answer_as_the_whole_network_in_memory_did(built, store, monkeypatch):
    """On every year of the bundled network's span (and none) × every set of its statuses × with and
    without undated edges, /network.json's body read from network.sqlite is the one the whole network
    in memory gave, byte for byte (tests/network_oracle.py, the code it replaces); ``count`` counts its
    nodes and edges, and ``part`` with a limit is a slice of it. With a few edges a piece, the answer
    comes in many pieces and is still the same."""
    folder = releases.served_folder(built.build)
    network = load_network(store.prefixes, folder)
    href = Urls(store.base).href
    con = open_paged(folder, "network", NETWORK_DB)
    facts = read_facts(con)
    statuses = list(network.statuses)
    assert list(facts.statuses) == statuses and len(statuses) >= 5
    span = oracle.years(network)
    assert span is not None and facts.years == span
    choices = [[s for n, s in enumerate(statuses) if mask >> n & 1] for mask in range(1, 1 << len(statuses))]
    compared = 0
    for year in [None, span[0] - 1, *range(span[0], span[1] + 1), span[1] + 1]:
        for chosen in choices:
            for undated in (True, False):
                old = oracle.answer(network, year, chosen, undated, href)
                assert b"".join(answer(con, facts, year, chosen, undated)) == encode(old), (year, chosen)
                assert count(con, facts, year, chosen, undated) == (len(old["nodes"]), len(old["edges"]))
                compared += bool(old["edges"])
    assert compared > 1000  # the network is not empty in most of them
    whole = part(con, facts, 2014, statuses, True)
    assert part(con, facts, 2014, statuses, True, 10, 7).edges == whole.edges[10:17]
    old = encode(oracle.answer(network, None, statuses, True, href))
    monkeypatch.setattr(network_db, "CHUNK", 3)
    pieces = list(answer(con, facts, None, statuses, True))
    assert len(pieces) > len(whole.edges) / 3 and b"".join(pieces) == old
    con.close()


def test_a_listing_page_reads_its_rows_by_page(built, store, monkeypatch):
    """A listing page reads its 50 rows from the listings file, never the whole listing: page 2 of
    /events is rows 51 to 100 of listing.rq's order, asked of SQLite as one page."""
    import nexus_ld.web.paging as paging

    asked: list[tuple[str, int, int]] = []

    def spy(folder, name, offset, limit):
        asked.append((name, offset, limit))
        return read_rows(folder, name, offset, limit)

    monkeypatch.setattr(paging, "read_rows", spy)
    client = make_app(built, page_size=50).test_client()
    text = page(client, "/events?page=2")
    members = store.named("listing", {"class": ox.NamedNode(store.prefixes["nx"] + "Event")})
    expected = [listing_row(r)["iri"] for r in members][50:100]
    assert asked == [("listing-events", 50, 50)] and expected
    found = re.findall(r'<a href="/doc/(event/[^"]+)"', text)
    assert [BASE + "id/" + f for f in dict.fromkeys(found)] == expected


def test_network_json_is_written_at_build_and_sent_as_stored(built, store, monkeypatch):
    """/network.json without parameters is the file build wrote: the same bytes as the answer made per
    request for the same choice (and as Flask's jsonify writes it), the network the tables draw; a
    client that takes gzip gets the gzip build wrote, nothing compressed per request; with the
    release's ETag (304 on it), Vary: Accept-Encoding and the published Cache-Control."""
    import flask_compress.flask_compress as fc
    from flask import jsonify

    from nexus_ld.urls import Urls
    from nexus_ld.web.caching import PUBLISHED

    def no_compression(*args, **kwargs):
        raise AssertionError("compressed per request")

    monkeypatch.setattr(fc, "_compress_data", no_compression)
    monkeypatch.setattr(fc, "_compress_chunks", no_compression)
    folder = releases.served_folder(built.build) / FOLDER
    stored, packed = (folder / NETWORK_FILE).read_bytes(), (folder / (NETWORK_FILE + ".gz")).read_bytes()
    assert gzip.decompress(packed) == stored
    app = make_app(built)
    client = app.test_client()

    plain = client.get("/network.json", headers={"Accept-Encoding": "identity"})
    assert plain.status_code == 200 and plain.mimetype == "application/json"
    assert plain.data == stored and "Content-Encoding" not in plain.headers
    assert plain.headers["Cache-Control"] == PUBLISHED and "Accept-Encoding" in plain.headers["Vary"]
    assert plain.headers["Link"] == '</network>; rel="alternate"; type="text/html"'
    packed_answer = client.get("/network.json", headers={"Accept-Encoding": "gzip, deflate, br, zstd"})
    assert packed_answer.headers["Content-Encoding"] == "gzip" and packed_answer.data == packed
    assert int(packed_answer.headers["Content-Length"]) == len(packed) < len(stored) / 5
    assert packed_answer.headers["ETag"] == plain.headers["ETag"]  # one representation, two encodings
    again = client.get("/network.json", headers={"If-None-Match": plain.headers["ETag"]})
    assert again.status_code == 304 and again.data == b""

    # The same answer made per request, as Flask's jsonify would write it, of the network the tables draw.
    made = client.get("/network.json?status=reported-fact", headers={"Accept-Encoding": "identity"})
    assert made.status_code == 200 and made.data == stored
    network = load_network(store.prefixes, folder.parent)
    with app.app_context():
        body = oracle.answer(network, None, ["reported-fact"], True, Urls(store.base).href)
        assert jsonify(body).get_data() == stored
    shown = {e.iri for e in oracle.filtered(network, None, ["reported-fact"]).edges}
    assert {e["id"] for e in json.loads(stored)["edges"]} == shown and shown


def test_a_network_answer_with_parameters_is_streamed_compressed_and_cached_as_any_answer(built):
    """/network.json?status=all is sent as it is read from network.sqlite (no Content-Length); a
    client that takes brotli or gzip gets it compressed, the same JSON; it carries the release's ETag,
    Vary: Accept-Encoding, and a 304 on that ETag; a bad parameter is still a 400 before any byte."""
    import brotli

    client = make_app(built).test_client()
    plain = client.get("/network.json?status=all", headers={"Accept-Encoding": "identity"})
    assert plain.status_code == 200 and plain.is_streamed and "Content-Length" not in plain.headers
    body = plain.get_data()
    assert len(json.loads(body)["edges"]) > 50 and "Accept-Encoding" in plain.headers["Vary"]
    for encoding, unpack in (("gzip", gzip.decompress), ("br", brotli.decompress)):
        packed = client.get("/network.json?status=all", headers={"Accept-Encoding": encoding})
        assert packed.headers["Content-Encoding"] == encoding
        assert packed.headers["ETag"] == plain.headers["ETag"]
        assert unpack(packed.get_data()) == body
    again = client.get("/network.json?status=all", headers={"If-None-Match": plain.headers["ETag"]})
    assert again.status_code == 304 and again.get_data() == b""
    bad = client.get("/network.json?status=all&year=soon", headers={"Accept": "text/plain"})
    assert bad.status_code == 400 and "year must be a year" in bad.get_data(as_text=True)


def test_a_timeline_page_past_the_first_holds_the_next_events(built, store):
    """With 10 events a page, page 2 shows the 11th to 20th event of the whole ordered timeline (as
    the timeline query orders them), with pager links; a status filter pages its own events and the
    pager keeps the filter."""
    client = make_app(built, picture_page_size=10).test_client()
    whole = events_of(plain_rows(store.named("timeline")))
    ids = [e.iri.rsplit("/", 1)[-1] for e in whole]
    assert len(ids) > 20
    first, second = page(client, "/timeline"), page(client, "/timeline?page=2")
    assert event_ids(first) == ids[:10] and event_ids(second) == ids[10:20]
    assert f"{len(ids)} events the claims assert" in second
    assert '<a rel="prev" href="/timeline">' in second and '<a rel="next" href="/timeline?page=3">' in second
    last = -(-len(ids) // 10)
    assert event_ids(page(client, f"/timeline?page={last}")) == ids[10 * (last - 1) :]
    r = client.get(f"/timeline?page={last + 1}", headers={"Accept": "text/plain"})
    assert r.status_code == 400 and f"past the last page ({last})" in r.get_data(as_text=True)

    chosen = ["official-statement", "forecast", "claim-of-responsibility"]
    shown = [e.iri.rsplit("/", 1)[-1] for e in with_statuses(whole, chosen)]
    assert 10 < len(shown) < len(ids)
    query = "&".join("status=" + s for s in chosen)
    filtered = page(client, "/timeline?" + query)
    assert event_ids(filtered) == shown[:10]
    assert f'<a rel="next" href="/timeline?{query.replace("&", "&amp;")}&amp;page=2">' in filtered
    again = page(client, f"/timeline?{query}&page=2")
    assert event_ids(again) == shown[10:20]
    badges = set(re.findall(r'<span class="badge status-([a-z-]+)">', again.split('<nav class="years"')[1]))
    assert badges <= set(chosen)


@pytest.mark.parametrize("subs", [{}, {"status": "allegation"}, {"agent": "person/daniel-benjamin"}])
def test_claims_pages_list_what_the_claims_query_answers_in_its_order(built, store, subs):
    """Every page of /claims (filtered or not) together lists the claims query's answer, in order."""
    client = make_app(built, page_size=20).test_client()
    bound = {k: ox.NamedNode(BASE + ("id/" if k == "agent" else "id/status/") + v) for k, v in subs.items()}
    expected = claims_in_order(store, bound)
    assert len(expected) > 20 or subs
    query = "&".join(f"{k}={v}" for k, v in subs.items())
    listed: list[str] = []
    for n in range(1, -(-len(expected) // 20) + 1):
        listed += claim_ids(page(client, f"/claims?{query}&page={n}"))
    assert listed == expected


def test_an_agent_filter_names_that_agent_only(built, store):
    """A claim said by several agents, filtered by one of them, names that one (as the filter's query did)."""
    both = next(
        iter(
            store.query(
                "SELECT ?c ?a ?b WHERE { GRAPH graph:data { ?c a nx:Claim ; prov:wasAttributedTo ?a, ?b } "
                "FILTER(STR(?a) < STR(?b)) } LIMIT 1"
            )
        ),
        None,
    )
    if both is None:
        pytest.fail("the bundled data has no claim attributed to two agents: this test needs one")
    claim, agent, other = (both[k].value[len(BASE + "id/") :] for k in ("c", "a", "b"))
    client = make_app(built, page_size=1000).test_client()
    text = page(client, f"/claims?agent={agent}")
    row = next(r for r in text.split("<tr>") if f'href="/doc/{claim}"' in r)
    assert f'href="/doc/{other}"' not in row


def test_tables_sit_in_the_release_folder(built):
    """Beside release.json, so a server over a remote store reads the same tables (serve --store URL)."""
    folder = releases.served_folder(built.build)
    assert sorted(p.name for p in (folder / FOLDER).iterdir()) == sorted(table_files())
    assert Path(folder / "release.json").is_file()


def test_the_network_table_is_paged_and_its_links_keep_the_choice(built, store):
    """The table under the picture: with 10 links a page, page 2 lists the 11th to 20th link of the
    network as of the year for the chosen statuses; the pager keeps year, statuses and undated."""
    client = make_app(built, picture_page_size=10).test_client()
    network = load_network(store.prefixes, releases.served_folder(built.build))
    statuses = list(network.statuses)
    shown = [e.iri[len(BASE + "id/") :] for e in oracle.filtered(network, 2014, statuses, True).edges]
    assert len(shown) > 20
    query = "year=2014&" + "&".join("status=" + s for s in statuses)
    first, second = page(client, f"/network?{query}"), page(client, f"/network?{query}&page=2")

    def table(text: str) -> list[str]:
        body = text[text.index('<details class="network-table"') :]
        return re.findall(r"<tr>\s*<td>.*?</td>\s*<td><a href=\"/doc/([^\"]+)\">", body, re.S)

    assert table(first) == shown[:10] and table(second) == shown[10:20]
    assert f"as a table ({len(shown)} links)" in second and '<details class="network-table" open>' in second
    assert f'<a rel="next" href="/network?{query.replace("&", "&amp;")}&amp;page=3">' in second
    r = client.get(f"/network?{query}&page={-(-len(shown) // 10) + 1}", headers={"Accept": "text/plain"})
    assert r.status_code == 400 and "past the last page" in r.get_data(as_text=True)
    dated = page(client, f"/network?{query}&undated=0")  # fewer links: one page, no pager
    assert 'rel="next"' not in dated and len(table(dated)) < len(shown)


STARTS = {
    "serve": lambda port: [sys.executable, "-m", "nexus_ld", "serve", "--port", str(port)],
    "gunicorn": lambda port: [
        sys.executable, "-m", "gunicorn", "-c", "python:nexus_ld.web.gunicorn_conf", "-w", "2",
        "-b", f"127.0.0.1:{port}", "nexus_ld.web.app:create_app()",
    ],
}  # fmt: skip


@pytest.mark.live
@pytest.mark.parametrize("kind", list(STARTS))
def test_a_server_started_on_a_release_without_tables_makes_them_first(built, tmp_path, kind):
    """``nexus-ld serve`` and gunicorn with nexus-ld's gunicorn_conf (``on_starting``, in the master,
    before any worker) make the tables a release lacks, then answer its pages."""
    copy, folder = _copy_without(built, tmp_path, FOLDER)
    port, log = free_port(), tmp_path / "server.log"
    env = {k: v for k, v in os.environ.items() if not k.startswith("NEXUS_LD_")}
    env |= {
        "NEXUS_LD_PROJECT_DIR": str(built.project),
        "NEXUS_LD_BUILD_DIR": str(copy),
        "NEXUS_LD_INBOX_PATH": str(tmp_path / "inbox.sqlite"),
        "NEXUS_LD_RATE_LIMIT_PER_MINUTE": "0",
    }
    with open(log, "wb") as stderr:  # a file, not a pipe: a full pipe would block the server
        proc = subprocess.Popen(STARTS[kind](port), env=env, cwd=tmp_path, stderr=stderr)
    url = f"http://127.0.0.1:{port}"
    try:
        wait_until_responds(url + "/healthz", 120.0, proc, log)
        for path in ("/timeline", "/network.json", "/events?page=2", "/claims"):
            assert requests.get(url + path, headers=BROWSER, timeout=30).status_code == 200, path
    finally:
        stop_process(proc)
    assert sorted(p.name for p in (folder / FOLDER).iterdir()) == sorted(table_files())
    assert "lacks page tables" in log.read_text(errors="replace")


def test_a_claims_page_reads_its_claims_by_page(built, store, monkeypatch):
    """/claims reads a page of claims from the claims table (status and agent by index), never every
    claim: page 2 of 10 is claims 11 to 20 of claims.rq's order, with and without a filter."""
    import nexus_ld.web.paging as paging

    asked: list[tuple] = []

    def spy(con, slug, agent, offset, limit):
        asked.append((slug, agent, offset, limit))
        return claims_page(con, slug, agent, offset, limit)

    monkeypatch.setattr(paging, "claims_page", spy)
    client = make_app(built, page_size=10).test_client()
    assert claim_ids(page(client, "/claims?page=2")) == claims_in_order(store)[10:20]
    subs = {"status": ox.NamedNode(BASE + "id/status/reported-fact")}
    expected = claims_in_order(store, subs)[10:20]
    assert expected and claim_ids(page(client, "/claims?status=reported-fact&page=2")) == expected
    assert asked == [("", None, 10, 10), ("reported-fact", None, 10, 10)]


def test_a_timeline_page_reads_its_events_by_page(built, store, monkeypatch):
    """/timeline reads the events it shows from the events table (by status through its index), never
    the whole timeline: page 2 of 10 asks for events 11 to 20, unfiltered or of the chosen statuses."""
    import nexus_ld.web.views.network as network_views

    asked: list[tuple] = []

    def spy(con, statuses, offset, limit):
        asked.append((statuses, offset, limit))
        return events_page(con, statuses, offset, limit)

    monkeypatch.setattr(network_views, "events_page", spy)
    client = make_app(built, picture_page_size=10).test_client()
    whole = events_of(plain_rows(store.named("timeline")))
    assert event_ids(page(client, "/timeline?page=2")) == [e.iri.rsplit("/", 1)[-1] for e in whole[10:20]]
    chosen = ["official-statement", "forecast"]
    shown = with_statuses(whole, chosen)
    text = page(client, "/timeline?status=official-statement,forecast&page=2")
    assert event_ids(text) == [e.iri.rsplit("/", 1)[-1] for e in shown[10:20]] and len(shown) > 10
    assert asked == [(None, 10, 10), (chosen, 10, 10)]
