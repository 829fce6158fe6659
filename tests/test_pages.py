"""Server-rendered pages: home, entity, source, listings, claims filters, and escaping of data."""

from __future__ import annotations

import html
import json
import re
import shutil
from pathlib import Path
from urllib.parse import urlencode

import pytest

from nexus_ld.config import load_settings
from nexus_ld.pipeline.build import build
from nexus_ld.store.embedded import paged
from tests.conftest import QUICK_BUILD, SOURCE_TEXT, make_app

BASE = "https://w3id.org/nexus-ld/"
BROWSER = {"Accept": "text/html"}


def page(client, path: str) -> str:
    r = client.get(path, headers=BROWSER)
    assert r.status_code == 200, (path, r.status_code)
    assert r.mimetype == "text/html"
    return r.get_data(as_text=True)


def every_page(client, path: str) -> list[str]:
    """``path`` and each page after it, following the pager's rel="next" link to the last."""
    pages = [page(client, path)]
    while found := re.search(r'<a rel="next" href="([^"]+)"', pages[-1]):
        pages.append(page(client, html.unescape(found.group(1))))
    return pages


def count(store, query: str) -> int:
    return int(next(iter(store.query(query)))["n"].value)


def test_home_shows_counts_entry_points_and_links(client, store):
    text = page(client, "/")
    claims = count(store, "SELECT (COUNT(DISTINCT ?c) AS ?n) WHERE { GRAPH graph:data { ?c a nx:Claim } }")
    groups = count(store, "SELECT (COUNT(DISTINCT ?g) AS ?n) WHERE { ?g a nx:ArmedGroup }")
    assert f'<a href="/claims">Claims</a> <span class="n">{claims}</span>' in text
    assert f'<a href="/groups">Armed groups</a> <span class="n">{groups}</span>' in text
    assert 'href="/doc/group/ttp"' in text  # an entry point
    for link in ('href="/sparql"', 'href="/downloads/"', 'href="/void.ttl"', 'href="/ontology"'):
        assert link in text
    assert '<link rel="alternate" type="text/turtle" href="/void.ttl"' in text


def test_entity_page_has_badges_attribution_quote_and_source_link(client):
    text = page(client, "/doc/group/ttp")
    assert "<h1>Tehrik-e-Taliban Pakistan</h1>" in text
    assert "Pakistani Taliban" in text  # an alias
    assert 'class="badge status-reported-fact">reported fact<' in text
    assert 'class="badge status-allegation">allegation<' in text
    card = text[text.index('id="claim-ttp-founded-2007"') :]
    card = card[: card.index("</article>")]
    assert "TTP was founded in 2007" in card
    assert "Author of" in card and "(author)" in card  # who said it, in which role
    quote = SOURCE_TEXT[315:535]
    assert html.escape(quote, quote=False).replace("'", "&#39;") in card or quote in html.unescape(card)
    assert 'href="/doc/source/ttp-aq-isis-nexus#char=315,535"' in card
    assert "<h2>Relations and events</h2>" in text
    assert re.search(r'<h3 class="kind" id="kind-\d+">founding</h3>', text)
    assert "Incoming links (" in text


def test_claim_page_shows_the_claim_and_what_it_asserts(client):
    text = page(client, "/doc/claim/ttp-founded-2007")
    assert '<h1 class="claim-title">TTP was founded in 2007' in text  # titled by its summary
    assert 'href="/doc/event/ttp-founding"' in text


def test_source_page_highlights_every_passage(client, store):
    text = page(client, "/doc/source/ttp-aq-isis-nexus")
    rows = list(store.named("passages", {"r": BASE + "id/source/ttp-aq-isis-nexus"}))
    spans = {(int(r["start"].value), int(r["end"].value)) for r in rows}
    assert len(spans) > 20
    for start, end in spans:
        assert f'id="char={start},{end}"' in text
    article = re.search(r'<div class="article">(.*?)</div>', text, re.S).group(1)
    assert (
        html.unescape(re.sub(r"<sup.*?</sup>|<[^>]+>", "", article)) == SOURCE_TEXT
    )  # the whole text, unchanged
    assert article.count('class="mark') >= len(spans)
    # each passage links to its claims
    assert 'href="/doc/claim/ttp-founded-2007"' in text


@pytest.mark.parametrize("kind", ["groups", "people", "events", "places", "sources", "relationships"])
def test_listings_list_every_member(client, store, kind):
    classes = {
        "groups": "nx:ArmedGroup",
        "people": "schema:Person",
        "events": "nx:Event",
        "places": "schema:Place",
        "sources": "nx:Source",
        "relationships": "nx:Relationship",
    }
    members = {
        r["x"].value
        for r in store.query(f"SELECT DISTINCT ?x WHERE {{ ?x a {classes[kind]} FILTER isIRI(?x) }}")
    }
    linked = [re.findall(r'<td><a href="/doc/([^"]+)">', text) for text in every_page(client, "/" + kind)]
    assert sorted(sum(linked, [])) == sorted(m[len(BASE + "id/") :] for m in members)  # each once


def test_events_are_ordered_by_time(client):
    text = "".join(every_page(client, "/events"))  # in order across its pages too
    years = [int(y) for y in re.findall(r"<td>(\d{4})[^<]*</td>", text)]
    assert years == sorted(years) and len(years) > 3


def test_claims_filter_by_status_and_agent(client, store):
    n = count(
        store,
        "SELECT (COUNT(?c) AS ?n) WHERE { GRAPH graph:data { ?c a nx:Claim ; nx:status status:allegation } }",
    )
    text = page(client, "/claims?status=allegation")
    assert f'<p class="lead">{n} claim' in text
    badges = re.findall(r'<tr><td><span class="badge status-([a-z-]+)"', text)
    assert badges and set(badges) == {"allegation"}
    m = count(
        store,
        "SELECT (COUNT(DISTINCT ?c) AS ?n) WHERE { GRAPH graph:data { "
        "?c a nx:Claim ; prov:wasAttributedTo person:daniel-benjamin } }",
    )
    text = page(client, "/claims?agent=person/daniel-benjamin")
    assert f'<p class="lead">{m} claim' in text and m > 0


def test_claims_filter_rejects_unknown_values(client):
    r = client.get("/claims?status=rumour", headers={"Accept": "text/plain"})
    assert r.status_code == 400 and "unknown status 'rumour'" in r.get_data(as_text=True)
    assert "allegation" in r.get_data(as_text=True)
    r = client.get("/claims?agent=person/nobody", headers={"Accept": "text/plain"})
    assert r.status_code == 400
    r = client.get("/claims?page=-1", headers={"Accept": "text/plain"})
    assert r.status_code == 400 and "page number" in r.get_data(as_text=True)


def test_claims_are_paged(built, store):
    client = make_app(built, page_size=10).test_client()
    text = page(client, "/claims?page=2")
    assert "page 2 of" in text and text.count('<tr><td><span class="badge') == 10


def test_every_page_links_the_void_description(client):
    for path in (
        "/",
        "/groups",
        "/claims",
        "/doc/group/ttp",
        "/doc/source/ttp-aq-isis-nexus",
        "/ontology",
        "/downloads/",
    ):
        text = page(client, path)
        assert 'rel="alternate" type="text/turtle" href="/void.ttl"' in text, path
        assert '<a href="/void.ttl">VoID</a>' in text, path


@pytest.fixture(scope="module")
def markup_app(tmp_path_factory, project_dir: Path):
    """A build of the project plus one group whose label, alias and comment hold markup."""
    root = tmp_path_factory.mktemp("markup")
    for folder in ("ontology", "shapes", "data"):
        shutil.copytree(project_dir / folder, root / folder)
    (root / "data" / "zz-markup.ttl").write_text(
        "@prefix nx: <https://w3id.org/nexus-ld/ontology#> .\n"
        "@prefix group: <https://w3id.org/nexus-ld/id/group/> .\n"
        "@prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .\n"
        "@prefix skos: <http://www.w3.org/2004/02/skos/core#> .\n"
        "group:markup a nx:ArmedGroup ;\n"
        "    rdfs:label \"<script>alert('x')</script> group\"@en ;\n"
        '    skos:altLabel "<b onmouseover=\\"x()\\">bold</b>"@en ;\n'
        '    rdfs:comment "A </script><img src=x onerror=alert(1)> comment & more"@en .\n',
        encoding="utf-8",
    )
    values = {
        "project_dir": str(root),
        "build_dir": str(root / "build"),
        "inbox_path": str(root / "inbox.sqlite"),
    }
    settings = load_settings(values | QUICK_BUILD, environ={})
    build(settings)
    app = make_app(settings)
    return app


def test_markup_in_data_is_escaped_everywhere(markup_app):
    client = markup_app.test_client()
    for path in ("/doc/group/markup", "/groups"):
        text = page(client, path)
        assert "<script>alert" not in text and "<b onmouseover" not in text and "<img src=x" not in text, path
        assert "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt; group" in text, path
    text = page(client, "/doc/group/markup")
    assert "&lt;b onmouseover=&#34;x()&#34;&gt;bold&lt;/b&gt;" in text
    assert "&lt;/script&gt;&lt;img src=x onerror=alert(1)&gt; comment &amp; more" in text
    # the embedded JSON-LD cannot close its <script>, and still means the same
    script = re.search(r'<script type="application/ld\+json">(.*?)</script>', text, re.S).group(1)
    assert "</script" not in script.lower() and "\\u003c/script\\u003e" in script
    data = json.loads(script)
    node = next(n for n in data if n["@id"] == BASE + "id/group/markup")
    labels = [v["@value"] for v in node["http://www.w3.org/2000/01/rdf-schema#label"]]
    assert labels == ["<script>alert('x')</script> group"]
    # the title is escaped too
    assert "<title>&lt;script&gt;" in text


def test_listings_are_paged_with_links(built, store):
    """With 5 rows a page, page 2 of a listing holds rows 6–10 of the whole ordered listing, its pager
    links to pages 1 and 3, and the lead counts every member (from the build's counts)."""
    client = make_app(built, page_size=5).test_client()
    group = {"class": BASE + "ontology#ArmedGroup"}
    whole = [r["x"].value[len(BASE + "id/") :] for r in store.named("listing", group)]
    assert len(whole) > 10
    text = page(client, "/groups?page=2")
    assert re.findall(r'<td><a href="/doc/([^"]+)">', text) == whole[5:10]
    assert '<a rel="prev" href="/groups">' in text and '<a rel="next" href="/groups?page=3">' in text
    assert f"page 2 of {-(-len(whole) // 5)}" in text and f"{len(whole)} in all." in text
    last = page(client, f"/groups?page={-(-len(whole) // 5)}")
    assert (
        'rel="next"' not in last
        and re.findall(r'<td><a href="/doc/([^"]+)">', last) == whole[5 * (-(-len(whole) // 5) - 1) :]
    )


@pytest.mark.parametrize("bad", ["0", "-1", "two", "99"])
def test_a_bad_listing_page_is_a_400_with_a_message(client, bad):
    r = client.get(f"/events?page={bad}", headers={"Accept": "text/plain"})
    message = r.get_data(as_text=True)
    assert r.status_code == 400, bad
    assert ("page number" in message) if bad != "99" else ("past the last page (2)" in message)


def test_paged_cuts_at_the_query_end_with_numbers_only():
    plain = "SELECT ?x WHERE { ?x ?p ?o } ORDER BY ?x"
    assert paged(plain, 5) == plain + "\nLIMIT 5 OFFSET 0\n"
    assert paged(plain, 5, 10) == plain + "\nLIMIT 5 OFFSET 10\n"
    assert paged(plain, None) == plain  # the whole answer
    with pytest.raises(ValueError):
        paged(plain, "5 } ; DROP ALL", 0)  # type: ignore[arg-type]


def test_a_build_without_page_counts_is_a_503_naming_the_fix(built, tmp_path):
    """A release built before build wrote its page counts (release.json ``site``): a message, not a 500."""
    copy = tmp_path / "build"
    shutil.copytree(built.build, copy, symlinks=True)
    release = (copy / "release.json").resolve()
    assert copy in release.parents  # the copy's, never the session build's
    description = json.loads(release.read_text(encoding="utf-8"))
    assert description["site"]["members"][BASE + "ontology#ArmedGroup"] > 10  # written by build
    del description["site"]
    release.write_text(json.dumps(description), encoding="utf-8")
    client = make_app(built, build_dir=str(copy)).test_client()
    for path in ("/", "/groups", "/claims", "/timeline"):
        r = client.get(path, headers={"Accept": "text/plain"})
        assert r.status_code == 503, path
        assert "rebuild it with nexus-ld build" in r.get_data(as_text=True), path


FACET = re.compile(r'<ul class="facet-values">(.*?)</ul>', re.S)


def facet(text: str) -> list[tuple[str, str]]:
    """The 'Said by' facet of a claims page: (key or '' for the chosen one, label), in its order."""
    item = r'<li(?: class="selected">|>\s*<a href="/claims\?(?:[^"]*&amp;)?agent=([^"&]+)">)([^<]+)'
    found = re.findall(item, FACET.search(text).group(1))
    return [(key.replace("%2F", "/"), html.unescape(label).strip()) for key, label in found]


def claim_rows(text: str) -> list[str]:
    return re.findall(r'<tr><td><span class="badge.*?</td>\s*<td><a href="/doc/([^"]+)"', text, re.S)


def lead(text: str) -> int:
    return int(re.search(r'<p class="lead">(\d+) claim', text).group(1))


def test_the_agent_facet_offers_the_agents_with_most_claims_and_finds_any_other_by_name(built, store):
    """/claims offers ``facet_size`` agents, most claims first with their counts (the build's
    claim-agents order), not a menu of every agent (12,460 at 10M: 783 KB a page); an agent outside
    them is found by a name typed in the form, whole or in part, and the claims are then theirs."""
    client = make_app(built, facet_size=3).test_client()
    rows = [(r["agent"].value, r["label"].value, int(r["claims"].value)) for r in store.named("claim-agents")]
    key = {iri: iri.removeprefix("https://w3id.org/nexus-ld/id/") for iri, _, _ in rows}
    assert len(rows) > 5
    text = page(client, "/claims")
    assert facet(text) == [(key[iri], label) for iri, label, _ in rows[:3]]
    assert '<select name="agent"' not in text and text.count("<option") == text.count('<option value="') <= 10
    assert f'href="/claims/agents">all {len(rows)} agents …</a>' in text
    for _, label, n in rows[:3]:
        assert f'{html.escape(label)}</a> <span class="n muted">{n}</span>' in text

    iri, label, n = rows[-1]  # the fewest claims: not offered
    by_key, tried = page(client, f"/claims?agent={key[iri]}"), 0
    for typed in (label, label.upper(), label[len(label) // 3 :]):
        found = [r for r in rows if typed.casefold() in r[1].casefold()]
        if len(found) != 1:
            continue
        by_name = page(client, "/claims?" + urlencode({"who": typed}))
        assert lead(by_name) == lead(by_key) == n and claim_rows(by_name) == claim_rows(by_key)
        assert facet(by_name)[0] == ("", label) and f'name="who" value="{html.escape(label)}"' in by_name
        tried += 1
    assert tried >= 2
    part = "united"
    holding = [r for r in rows if part in r[1].casefold()]
    assert len(holding) > 1
    text = page(client, f"/claims?who={part}")
    assert lead(text) == lead(page(client, "/claims"))  # several: none chosen, all claims
    assert f"{len(holding)} agents have a name holding “{part}”: pick one." in text
    assert facet(text) == [(key[r[0]], r[1]) for r in holding[:3]]
    assert f'href="/claims/agents?who={part}">all {len(holding)} with “{part}” …</a>' in text
    exact = page(client, "/claims?who=united+nations")  # a whole name chooses it, though others hold it
    assert ("", "United Nations") in facet(exact) and lead(exact) == 10
    none = page(client, "/claims?who=nobody+at+all")
    assert "No agent who makes claims has a name holding “nobody at all”." in none and facet(none) == []
    r = client.get("/claims?who=" + "x" * 201, headers={"Accept": "text/plain"})
    assert r.status_code == 400 and "at most 200 characters" in r.get_data(as_text=True)


def test_all_the_agents_are_listed_a_page_at_a_time(built, store):
    """/claims/agents, the facet's "all": every agent, most claims first, a page at a time, each a
    link to their claims; ``?who=`` keeps those whose name holds it."""
    client = make_app(built, page_size=5).test_client()
    rows = [(r["agent"].value, r["label"].value) for r in store.named("claim-agents")]
    listed = []
    for n in range(1, -(-len(rows) // 5) + 1):
        text = page(client, f"/claims/agents?page={n}")
        listed += re.findall(r'<tr><td><a href="/claims\?agent=([^"]+)">([^<]+)</a>', text)
    assert [(k.replace("%2F", "/"), html.unescape(v)) for k, v in listed] == [
        (iri.removeprefix("https://w3id.org/nexus-ld/id/"), label) for iri, label in rows
    ]
    text = page(client, "/claims/agents?who=united")
    holding = sum("united" in r[1].casefold() for r in rows)
    assert len(re.findall(r'<tr><td><a href="/claims\?agent=', text)) == holding > 1


def test_a_chosen_agent_stays_chosen_when_another_shares_its_name(tmp_path, project_dir: Path):
    """Two agents with one name: the form sends the chosen one back (a hidden field) with the name, so
    filtering again (another status) keeps that agent rather than offering both; another name, or
    none, in the field is a new choice."""
    for folder in ("ontology", "shapes", "data"):
        shutil.copytree(project_dir / folder, tmp_path / folder)
    people = tmp_path / "data" / "people.ttl"
    text = people.read_text(encoding="utf-8")
    assert text.count('rdfs:label "John Brennan"@en') == 1
    people.write_text(
        text.replace('rdfs:label "John Brennan"@en', 'rdfs:label "Ned Price"@en'), encoding="utf-8"
    )
    values = {"project_dir": str(tmp_path), "build_dir": str(tmp_path / "build")}
    settings = load_settings(
        values | QUICK_BUILD | {"inbox_path": str(tmp_path / "inbox.sqlite")}, environ={}
    )
    build(settings)
    client = make_app(settings).test_client()

    both = page(client, "/claims?who=ned+price")
    assert "2 agents have a name holding “ned price”: pick one." in both
    chosen = page(client, "/claims?agent=person/ned-price")
    assert '<input type="hidden" name="agent" value="person/ned-price">' in chosen
    # The form submitted again as a browser sends it: the status changed, the name and the agent kept.
    again = page(
        client, "/claims?" + urlencode({"status": "", "who": "Ned Price", "agent": "person/ned-price"})
    )
    assert ("", "Ned Price") in facet(again) and "pick one" not in again
    assert claim_rows(again) == claim_rows(chosen)
    assert lead(again) == lead(chosen) == 3
    other = page(client, "/claims?" + urlencode({"who": "united nations", "agent": "person/ned-price"}))
    assert ("", "United Nations") in facet(other) and lead(other) == 10
    anyone = page(client, "/claims?" + urlencode({"who": "", "agent": "person/ned-price"}))
    assert lead(anyone) == lead(page(client, "/claims"))
