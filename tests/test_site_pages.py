"""Finding one's way in the site (issue 16): the search box and Contribute on every page, entity
pages with a table of contents, collapsed statements, badges counted, headings that read from the
page's side, claim pages titled by their summary, and the query UI inside the site's layout. Pages
are read through Flask's test client on the session build; what only a browser shows is in
tests/test_site_browser.py."""

from __future__ import annotations

import re
from html.parser import HTMLParser

import pytest

from tests.test_pages import BROWSER, page

PAGES = ["/", "/doc/group/ttp", "/doc/claim/intel-raw-funded-ttp", "/groups", "/claims", "/timeline",
         "/network", "/search?q=ttp", "/contribute", "/sparql", "/doc/source/ttp-aq-isis-nexus"]  # fmt: skip


class Outline(HTMLParser):
    """The parts of a page the tests read: the site header's links and forms, ids, headings."""

    def __init__(self) -> None:
        super().__init__()
        self.stack: list[str] = []
        self.header_links: dict[str, str] = {}  # text -> href, in header.site
        self.header_forms: list[tuple[str, list[str]]] = []  # (action, input names)
        self.ids: set[str] = set()
        self._link: str | None = None
        self._text = ""

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = dict(attrs)
        if a.get("id"):
            self.ids.add(a["id"] or "")
        in_header = "header.site" in self.stack
        if tag == "header" and a.get("class") == "site":
            self.stack.append("header.site")
        elif tag not in ("input", "meta", "link", "br", "img"):
            self.stack.append(tag)
        if in_header and tag == "a":
            self._link, self._text = a.get("href"), ""
        if in_header and tag == "form":
            self.header_forms.append((a.get("action") or "", []))
        if in_header and tag == "input" and self.header_forms:
            self.header_forms[-1][1].append(a.get("name") or "")

    def handle_endtag(self, tag: str) -> None:
        if tag == "a" and self._link is not None:
            self.header_links[self._text.strip()] = self._link
            self._link = None
        if self.stack:
            self.stack.pop()

    def handle_data(self, data: str) -> None:
        if self._link is not None:
            self._text += data


def outline(text: str) -> Outline:
    parser = Outline()
    parser.feed(text)
    return parser


@pytest.mark.parametrize("path", PAGES)
def test_every_page_has_the_search_box_and_contribute_in_its_navigation(client, path):
    got = outline(page(client, path))
    assert ("/search", ["q"]) in got.header_forms, got.header_forms
    links = got.header_links
    assert links["Contribute"] == "/contribute"
    assert links["Query"] == "/sparql" and links["Network"] == "/network" and links["Timeline"] == "/timeline"
    assert links["Claims"] == "/claims" and links["Downloads"] == "/downloads/"


@pytest.mark.parametrize("path", ["/", "/doc/source/ttp-aq-isis-nexus", "/contribute", "/downloads/"])
def test_every_page_links_the_maintainers_to_the_review_page_in_its_footer(client, path):
    text = page(client, path)
    footer = text[text.index('<footer class="site">') :]
    assert '<a href="/contributions/review" title="For maintainers' in footer


def test_the_source_page_names_its_properties_by_label_not_by_curie(client):
    text = page(client, "/doc/source/ttp-aq-isis-nexus")
    headings = re.findall(r"<tr><th>([^<]*)</th>", text)
    assert {"title", "format", "language", "type", "comment"} <= set(headings), headings
    assert not [h for h in headings if ":" in h], headings  # dcterms:format, rdfs:comment before


def test_a_time_known_by_an_instant_inside_it_is_shown(client):
    # data/claims/03-…: Mukhlis Yar led the group in 2020-07 (time:hasInside), as the composer's "In".
    text = page(client, "/doc/person/mukhlis-yar")
    assert '<span class="when">2020-07</span>' in text


def test_the_contribute_page_links_the_model_it_speaks_of(client):
    text = page(client, "/contribute")
    main = text[text.index("<main>") : text.index("</main>")]
    assert '<a href="/ontology">ontology page</a>' in main and page(client, "/ontology")


def test_the_search_box_leads_to_hits(client):
    text = page(client, "/search?q=Baitullah")
    assert 'href="/doc/person/baitullah-mehsud"' in text


def test_the_entity_page_has_a_table_of_contents_and_collapsed_statements(client):
    text = page(client, "/doc/group/ttp")
    toc = text[text.index('<nav class="toc"') :]
    toc = toc[: toc.index("</nav>")]
    anchors = re.findall(r'href="#([\w-]+)"', toc)
    assert anchors == ["properties", "relations", "statements", "incoming"]
    assert set(anchors) <= outline(text).ids  # every entry leads somewhere
    # Every claim card is inside a closed <details>, one per status, its size in its summary.
    statements = text[text.index('<section id="statements">') :]
    statements = statements[: statements.index("</section>")]
    total = int(re.search(r"<h2>Statements \((\d+)\)</h2>", statements).group(1))
    groups = re.findall(
        r'<details class="claims-group" id="status-([\w-]+)">(.*?)</details>', statements, re.S
    )
    assert {slug for slug, _ in groups} >= {"reported-fact", "allegation"}
    assert sum(body.count('<article class="claim"') for _, body in groups) == total > 100
    for slug, body in groups:
        cards = body.count('<article class="claim"')
        assert f"{cards} claim" in body
        assert set(re.findall(r'article class="claim".*?status-([\w-]+)', body, re.S)) == {slug}


def test_identical_badges_are_shown_once_with_a_count(client):
    text = page(client, "/doc/group/ttp")
    relations = text[text.index('<section id="relations">') : text.index('<section id="statements">')]
    items = re.findall(r"<li>(.*?)</li>", relations, re.S)
    counted = 0
    for item in items:
        statuses = re.findall(r'class="badge status-([\w-]+)"', item)
        assert len(statuses) == len(set(statuses)), item  # one badge per status
        counted += len(re.findall(r'<span class="count" title="\d+ claims">×\d+</span>', item))
    assert counted >= 1  # TTP's founding, leaders … are each stated by several claims


def _incoming_headings(text: str) -> dict[str, str]:
    section = text[text.index('<section id="incoming">') :]
    return dict(
        re.findall(r"<tr><th>([^<]*)</th><td>(.*?)</td></tr>", section[: section.index("</section>")])
    )


def test_incoming_links_read_from_this_side_with_labels(client):
    headings = _incoming_headings(page(client, "/doc/group/ttp"))
    assert not [h for h in headings if h.endswith(" of") or ":" in h], headings  # no "head of of", no CURIE
    assert {"head", "member", "sub-organisation", "attributed to this"} <= set(headings), headings
    assert "Baitullah Mehsud" in headings["head"] and "TTP Swat chapter" in headings["sub-organisation"]
    # Claims pointing here are named by their summary, not by their IRI.
    attributed = headings["attributed to this"]
    assert attributed.count("<a ") >= 5
    assert not re.search(r">https?://[^<]*</a>", attributed), attributed


KIND = r'<h3 class="kind" id="kind-\d+">([^<]*)</h3>'


def test_relation_headings_are_labels_read_from_this_side(client):
    text = page(client, "/doc/group/ttp")
    kinds = re.findall(KIND, text)
    assert "leader (ameer)" in kinds  # memberships by their role, not "membership (person in organisation)"
    assert "head" in kinds and "sub-organisation" in kinds  # "X head of TTP", read from TTP
    assert not [k for k in kinds if ":" in k or k.startswith("membership")], kinds
    person = re.findall(KIND, page(client, "/doc/person/noor-wali-mehsud"))
    assert "leader (ameer)" in person and "native of" in person  # from the person's side, as stated


def test_a_claim_page_is_titled_by_its_summary_without_boilerplate_and_vague_time_as_text(client):
    text = page(client, "/doc/claim/intel-raw-funded-ttp")
    summary = "Pakistan&#39;s leadership alleges that India&#39;s RAW funded TTP members"
    assert re.search(rf"<title>{summary}", text)
    assert f'<h1 class="claim-title">{summary}' in text
    assert "truthy graph" not in text and "intel-raw-funded-ttp</h1>" not in text
    # "repeatedly" is the source's word for when, shown as words, never in the date slot.
    assert '<span class="time-words" title="The time as the source words it">“repeatedly”</span>' in text
    assert not re.search(r'<span class="when">[^<]*repeatedly', text)
    # The raw triples stay reachable, folded away.
    assert '<details class="triples" id="properties">' in text


def test_a_dated_claim_shows_its_date_in_the_date_slot_and_its_wording_apart(client):
    text = page(client, "/doc/claim/ttp-north-waziristan-in-khyber-pakhtunkhwa")
    card = text[text.index('<section id="claim">') :]
    card = card[: card.index("</article>")]
    assert '<span class="when">2007</span>' in card
    assert "founding in 2007, as the article words it”</span>" in card.replace("&#39;", "'")


def test_the_query_ui_is_inside_the_site_layout_and_opens_on_an_example(client):
    response = client.get("/sparql", headers=BROWSER)
    text = response.get_data(as_text=True)
    assert '<header class="site">' in text and '<footer class="site">' in text
    assert "<h1>Query the data</h1>" in text
    examples = re.search(
        r'<script type="application/json" id="nx-examples">(.*?)</script>', text, re.S
    ).group(1)
    assert examples.index("Who led TTP") < examples.index("splits")  # the first example, the editor's start


def test_an_unknown_prefix_is_named_with_the_declared_ones(client):
    query = "SELECT * WHERE { ?s foo:bar ?o ; nx:status ?st ; bar:baz ?x }"
    response = client.post("/sparql", data={"query": query}, headers={"Accept": "application/json"})
    assert response.status_code == 400
    message = response.get_json()["error"]["message"]
    assert "unknown prefix foo:, bar:" in message
    assert "nx:, oa:" in message and "status:" in message and "w3org:" in message
    assert "\\u{" not in message and "expected one of" not in message  # no grammar dump
    declared = "PREFIX foo: <http://example.org/>\n" + query.replace("bar:baz", "foo:baz")
    ok = client.post(
        "/sparql", data={"query": declared}, headers={"Accept": "application/sparql-results+json"}
    )
    assert ok.status_code == 200


def test_other_parse_errors_keep_the_parser_message(client):
    response = client.post(
        "/sparql", data={"query": "SELECT * WHERE { ?s ?p }"}, headers={"Accept": "application/json"}
    )
    assert response.status_code == 400
    assert "query does not parse" in response.get_json()["error"]["message"]


def test_the_timeline_names_the_author_once_and_other_speakers_on_their_entries(client):
    text = page(client, "/timeline")
    speaker = text[text.index('<p class="speaker">') :]
    assert 'href="/doc/agent/article-author"' in speaker[: speaker.index("</p>")]
    assert text.count('href="/doc/agent/article-author"') == 1  # was on every entry
    said_by = re.findall(r'<span class="said-by">— (.*?)</span>', text, re.S)
    assert said_by and all("article-author" not in s for s in said_by)
    assert any('href="/doc/org/united-nations"' in s for s in said_by)  # others stay named
    entries = re.findall(r'<li class="event"', text)
    assert len(said_by) < len(entries)


def test_the_claims_list_names_the_author_once(client):
    text = page(client, "/claims")
    speaker = text[text.index('<p class="speaker">') :]
    assert 'href="/doc/agent/article-author"' in speaker[: speaker.index("</p>")]
    assert text.count('href="/doc/agent/article-author"') == 1  # was in every row
    said_by = [row.split("<td>")[-1] for row in re.findall(r"<tr><td>.*?</tr>", text, re.S)]
    assert len(said_by) > 20
    assert any('href="/doc/' in cell for cell in said_by)  # other speakers stay named
    assert any('href="/doc/' not in cell for cell in said_by)  # the author's rows name no one
