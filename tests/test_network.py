"""The pictures' data over real HTTP: /network.json as of a year and by status, the server-rendered
network table, and the timeline, checked against the bundled data and the store."""

from __future__ import annotations

import html
import re
import sqlite3

import pyoxigraph as ox
import pytest
import requests
from conftest import ROOT

from nexus_ld.pipeline.build import derive
from nexus_ld.pipeline.load import ontology_files
from nexus_ld.pipeline.publish.network_db import DB, part, read_facts
from nexus_ld.pipeline.publish.pages import page_tables
from nexus_ld.pipeline.publish.tables import FOLDER
from nexus_ld.store.embedded import Store

BASE = "https://w3id.org/nexus-ld/id/"
JSON = {"Accept": "application/json"}


def network(live_server, **params) -> dict:
    r = requests.get(live_server.url + "/network.json", params=params, headers=JSON, timeout=30)
    assert r.status_code == 200, r.text
    assert r.headers["Content-Type"].startswith("application/json")
    return r.json()


def edge_ids(body: dict) -> set[str]:
    return {e["id"].removeprefix(BASE) for e in body["edges"]}


def rows(store, query: str) -> list:
    return list(store.query(query))


def test_default_draws_reported_facts_only(live_server):
    body = network(live_server)
    assert body["statuses"] == ["reported-fact"] and body["year"] is None
    assert body["edges"], "the bundled data have reported-fact relationships"
    assert {c["status"] for e in body["edges"] for c in e["claims"]} == {"reported-fact"}
    ids = edge_ids(body)
    assert "relationship/ttp-alliance-al-qaeda" in ids
    assert "relationship/raw-support-ttp" not in ids  # alleged only (RAW funding TTP)


def test_status_filter_adds_allegations_with_their_claims(live_server):
    body = network(live_server, status="allegation")
    raw = next(e for e in body["edges"] if e["id"] == BASE + "relationship/raw-support-ttp")
    assert raw["source"] == BASE + "org/raw" and raw["target"] == BASE + "group/ttp"
    assert raw["status"] == "allegation" and raw["claims"]
    assert all(c["status"] == "allegation" for c in raw["claims"])
    assert all(c["agents"] and c["agents"][0]["href"].startswith("/doc/") for c in raw["claims"])
    assert "relationship/ttp-alliance-al-qaeda" not in edge_ids(body)  # reported fact only
    both = edge_ids(network(live_server, status="allegation,reported-fact"))
    assert both == edge_ids(body) | edge_ids(network(live_server))
    repeated = requests.get(
        live_server.url + "/network.json?status=allegation&status=reported-fact", headers=JSON, timeout=30
    ).json()
    assert edge_ids(repeated) == both


def test_all_statuses_give_every_asserted_relationship_and_membership(live_server, store):
    body = network(live_server, status="all")
    expected = {
        r["e"].value.removeprefix(BASE)
        for r in rows(
            store,
            """PREFIX w3org: <http://www.w3.org/ns/org#>
            SELECT DISTINCT ?e WHERE { GRAPH graph:data {
              ?c nx:asserts ?e . { ?e nx:fromAgent ?a ; nx:toAgent ?b } UNION { ?e a w3org:Membership }
              FILTER NOT EXISTS { ?c nx:supersededBy ?x } } }""",
        )
    }
    assert edge_ids(body) == expected
    nodes = {n["id"] for n in body["nodes"]}
    assert {e["source"] for e in body["edges"]} | {e["target"] for e in body["edges"]} == nodes
    ttp = next(n for n in body["nodes"] if n["id"] == BASE + "group/ttp")
    assert (ttp["category"], ttp["href"], ttp["begin"]) == ("group", "/doc/group/ttp", 2007)
    assert (
        next(n for n in body["nodes"] if n["id"] == BASE + "person/baitullah-mehsud")["category"] == "person"
    )
    membership = next(e for e in body["edges"] if e["id"] == BASE + "membership/noor-wali-mehsud-leader-ttp")
    assert (membership["source"], membership["target"]) == (
        BASE + "person/noor-wali-mehsud",
        BASE + "group/ttp",
    )
    assert membership["kind"] == "leader" and membership["begin"] == 2018
    assert membership["href"] == "/doc/membership/noor-wali-mehsud-leader-ttp"


@pytest.mark.parametrize(
    ("year", "present", "absent"),
    [
        # Baitullah leads TTP from 2007; Fazlullah 2013-2018; Noor Wali from 2018; ties with AQ from 2008.
        (2010, ["membership/baitullah-mehsud-leader-ttp", "relationship/ttp-alliance-al-qaeda"],
         ["membership/mullah-fazlullah-leader-ttp", "membership/noor-wali-mehsud-leader-ttp"]),
        (2015, ["membership/mullah-fazlullah-leader-ttp"], ["membership/noor-wali-mehsud-leader-ttp"]),
        (2020, ["membership/noor-wali-mehsud-leader-ttp"], ["membership/mullah-fazlullah-leader-ttp"]),
        # bin Laden founds al-Qaeda in 1988 and dies in 2011 (reported facts).
        (2005, ["membership/osama-bin-laden-founder-al-qaeda"], ["relationship/ttp-alliance-al-qaeda"]),
        (2012, [], ["membership/osama-bin-laden-founder-al-qaeda"]),
    ],
)  # fmt: skip
def test_as_of_a_year(live_server, year, present, absent):
    body = network(live_server, year=year)
    assert body["year"] == year
    ids = edge_ids(body)
    for iri in present:
        assert iri in ids, (year, iri)
    for iri in absent:
        assert iri not in ids, (year, iri)
    for e in body["edges"]:  # nothing drawn outside its own years
        begin = e["begin"] if e["begin"] is not None else e["inside"]
        assert begin is None or begin <= year, e["id"]
        assert e["end"] is None or year <= e["end"], e["id"]
    nodes = {n["id"]: n for n in body["nodes"]}
    for n in nodes.values():  # nor before a founding or after a death
        assert n["begin"] is None or n["begin"] <= year, n["id"]
        assert n["end"] is None or year <= n["end"], n["id"]


def test_ttp_is_absent_before_its_founding_and_the_year_changes_the_picture(live_server):
    before = network(live_server, year=2005)
    assert BASE + "group/ttp" not in {n["id"] for n in before["nodes"]}
    counts = {y: len(network(live_server, year=y)["edges"]) for y in (2005, 2010, 2021)}
    assert len(set(counts.values())) > 1, counts
    span = before["years"]
    assert span["min"] <= 1988 and span["max"] >= 2021


def test_undated_edges_can_be_left_out(live_server):
    body = network(live_server, undated=0)
    assert body["edges"] and all(e["dated"] for e in body["edges"])
    assert "relationship/lej-facilitation-ttp" in edge_ids(network(live_server))  # no time in the data
    assert "relationship/lej-facilitation-ttp" not in edge_ids(body)


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ("year=abc", "year must be a year such as 2014"),
        ("status=bogus", "unknown status 'bogus'; use 'all' or any of: reported-fact"),
        ("undated=maybe", "undated must be 1"),
    ],
)
def test_bad_parameters_are_400_with_a_message(live_server, query, message):
    r = requests.get(f"{live_server.url}/network.json?{query}", headers=JSON, timeout=30)
    assert r.status_code == 400
    assert message in r.json()["error"]["message"]


def test_network_page_lists_the_network_as_of_a_year_without_javascript(live_server):
    r = requests.get(live_server.url + "/network?year=2010", headers={"Accept": "text/html"}, timeout=30)
    assert r.status_code == 200
    text = r.text
    assert '<input type="range" id="year" name="year"' in text and 'value="2010"' in text
    assert 'name="status" value="reported-fact" checked' in text
    assert 'name="status" value="allegation">' in text  # offered, not ticked
    assert 'href="/doc/membership/baitullah-mehsud-leader-ttp"' in text
    assert 'href="/doc/membership/noor-wali-mehsud-leader-ttp"' not in text
    assert "/static/vendor/cytoscape/cytoscape.min.js" in text and "https://" not in re.sub(
        r'href="https://[^"]*"|https://w3id\.org/[^"<\s]*', "", text
    )  # no CDN
    vendored = requests.get(live_server.url + "/static/vendor/cytoscape/cytoscape.min.js", timeout=30)
    assert vendored.status_code == 200 and b"cytoscape" in vendored.content[:2000].lower()


def test_timeline_groups_events_by_year_with_status_and_speaker(live_server, store):
    r = requests.get(live_server.url + "/timeline", headers={"Accept": "text/html"}, timeout=30)
    assert r.status_code == 200
    text = r.text
    years = [int(y) for y in re.findall(r'<section class="year" id="y(\d{4})">', text)]
    assert years == sorted(years) and 2007 in years and 2021 in years
    section_2007 = text[text.index('id="y2007"') : text.index('id="y2008"')]
    assert 'href="/doc/event/ttp-founding"' in section_2007
    assert '<span class="badge status-reported-fact">reported fact</span>' in section_2007
    # Who says so: the author, named once at the top; any other speaker on the entry itself.
    assert text.count('href="/doc/agent/article-author"') == 1
    assert 'href="/doc/agent/article-author"' in text[text.index('<p class="speaker">') :][:400]
    undated = text[text.index('id="undated"') :]
    assert 'href="/doc/event/pakistan-leadership-allegations-raw-ttp"' in undated
    assert html.escape("“repeatedly”", quote=False) in undated  # the source's wording (nx:timeText)
    assert 'href="/doc/event/ttp-founding"' not in undated
    events = {
        r["e"].value
        for r in rows(
            store, "SELECT DISTINCT ?e WHERE { GRAPH graph:data { ?c nx:asserts ?e } ?e a nx:Event }"
        )
    }
    linked = set(re.findall(r'<li class="event" id="([^"]+)"', text))
    assert linked == {iri.rsplit("/", 1)[-1] for iri in events}


def test_timeline_filters_by_status(live_server):
    r = requests.get(
        live_server.url + "/timeline?status=allegation", headers={"Accept": "text/html"}, timeout=30
    )
    assert r.status_code == 200
    badges = set(re.findall(r'<span class="badge status-([a-z-]+)">', r.text.split('<nav class="years"')[1]))
    assert badges == {"allegation"}
    bad = requests.get(live_server.url + "/timeline?status=rumour", headers=JSON, timeout=30)
    assert bad.status_code == 400 and "unknown status 'rumour'" in bad.json()["error"]["message"]


# Two relationships of made data: one during an instant (2012), one known only by an instant inside its
# span (2015, no beginning, no end).
MADE = """
PREFIX nx: <https://w3id.org/nexus-ld/ontology#>
PREFIX prov: <http://www.w3.org/ns/prov#>
PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>
PREFIX time: <http://www.w3.org/2006/time#>
PREFIX xsd: <http://www.w3.org/2001/XMLSchema#>
PREFIX group: <https://w3id.org/nexus-ld/id/group/>
PREFIX agent: <https://w3id.org/nexus-ld/id/agent/>
PREFIX relationship: <https://w3id.org/nexus-ld/id/relationship/>
PREFIX claim: <https://w3id.org/nexus-ld/id/claim/>
PREFIX status: <https://w3id.org/nexus-ld/id/status/>
GRAPH <https://w3id.org/nexus-ld/graph/data> {
  group:a a nx:ArmedGroup ; rdfs:label "A"@en .
  group:b a nx:ArmedGroup ; rdfs:label "B"@en .
  agent:author rdfs:label "Author"@en .
  relationship:at-an-instant a nx:Alliance ; nx:fromAgent group:a ; nx:toAgent group:b ;
      nx:during [ a time:Instant ; time:inXSDgYear "2012"^^xsd:gYear ] .
  relationship:inside-a-year a nx:Support ; nx:fromAgent group:a ; nx:toAgent group:b ;
      nx:during [ a time:Interval ; time:hasInside [ a time:Instant ; time:inXSDgYear "2015"^^xsd:gYear ] ] .
  claim:one nx:asserts relationship:at-an-instant ; nx:status status:reported-fact ;
      nx:summary "A and B are allies."@en ; prov:wasAttributedTo agent:author .
  claim:two nx:asserts relationship:inside-a-year ; nx:status status:reported-fact ;
      nx:summary "A supports B."@en ; prov:wasAttributedTo agent:author .
}"""


def test_the_network_as_of_a_year_reads_the_years_build_derived(tmp_path):
    """The network's years are each span's nx:firstYear and nx:lastYear (derive-spans.rq), the one
    time-slice rule: an edge during an instant holds in that year only (computed by hand, it had no year
    and was drawn, as undated, in every year), one known only by a year inside its span from that year."""
    store = Store.in_memory()
    for path in ontology_files(ROOT):
        store.load_turtle(path, store.graphs["ontology"])
    store.add(ox.parse(MADE, ox.RdfFormat.TRIG))
    derive(store)
    page_tables(store, tmp_path)
    con = sqlite3.connect(tmp_path / FOLDER / DB)
    try:
        facts = read_facts(con)
        shown = {
            year: {e.iri.removeprefix(BASE) for e in part(con, facts, year, ["reported-fact"], True).edges}
            for year in range(2010, 2018)
        }
        edges = {e.iri.removeprefix(BASE): e for e in part(con, facts, None, ["reported-fact"], False).edges}
    finally:
        con.close()
    assert {y for y, ids in shown.items() if "relationship/at-an-instant" in ids} == {2012}
    assert {y for y, ids in shown.items() if "relationship/inside-a-year" in ids} == {2015, 2016, 2017}
    instant, inside = edges["relationship/at-an-instant"], edges["relationship/inside-a-year"]
    assert (instant.dated, instant.when, inside.dated, inside.when) == (True, "2012", True, "in 2015")


def test_the_network_tables_hold_each_edges_derived_years_on_the_bundled_build(built, store):
    """On the bundled build, each edge's first and last year in network.sqlite are its span's
    nx:firstYear and nx:lastYear but where an end's lifespan (a founding, a death) narrows them."""
    derived = {
        r["edge"].value: (r["first"] and int(r["first"].value), r["last"] and int(r["last"].value))
        for r in store.query(
            "PREFIX w3org: <http://www.w3.org/ns/org#> SELECT ?edge ?first ?last WHERE {"
            " GRAPH graph:data { ?edge nx:during|w3org:memberDuring ?span }"
            " OPTIONAL { ?span nx:firstYear ?first } OPTIONAL { ?span nx:lastYear ?last } }"
        )
    }
    with sqlite3.connect(next(built.build.glob(f"releases/*/{FOLDER}/{DB}"))) as con:
        rows = con.execute(
            'SELECT e.iri, e.first, e.last, s.begin, s."end", t.begin, t."end" FROM edges e '
            "JOIN nodes s ON s.rowid = e.source JOIN nodes t ON t.rowid = e.target"
        ).fetchall()
    checked = 0
    for iri, first, last, *lifespans in rows:
        if iri not in derived:
            continue
        since, until = derived[iri]
        begins = [y for y in (since, lifespans[0], lifespans[2]) if y is not None]
        ends = [y for y in (until, lifespans[1], lifespans[3]) if y is not None]
        assert (first, last) == (max(begins, default=None), min(ends, default=None)), iri
        checked += 1
    assert checked > 10
