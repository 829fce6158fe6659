"""Finding one's way in the site, in Debian's Chromium (as tests/test_browser.py, whose fixtures these
tests use): what only a browser shows — the search box at work, folded statements that open on a
link, the network's layout, labels and legend, and the query UI running its first example and
explaining an unknown prefix. Screenshots go to $NEXUS_TEST_SHOTS (default /tmp/shots)."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

from tests import test_browser
from tests.test_browser import TIMEOUT_MS, shot, wait_for

# The Chromium and the page (on the session's live server) of tests/test_browser.py.
browser, page = test_browser.browser, test_browser.page

pytestmark = pytest.mark.live  # Chromium over a real server


def test_the_search_box_in_the_navigation_finds_a_person(page: Page):
    page.goto("/timeline")
    box = page.locator("header.site form[role=search] input[name=q]")
    box.fill("Baitullah")
    box.press("Enter")
    page.wait_for_url(re.compile(r"/search\?q=Baitullah$"))
    expect(page.locator("ol.hits a[href='/doc/person/baitullah-mehsud']").first).to_be_visible()
    shot(page, "site-search")


def test_the_claims_facet_finds_an_agent_by_name_and_links_to_all_of_them(page: Page):
    """/claims offers the agents with most claims (10 of the bundled data's 15); one outside them is
    found by typing part of a name in the form, without JavaScript's help, and the facet's "all"
    link lists every agent, each a link to their claims."""
    page.goto("/claims")
    facet = page.locator("section.facet")
    expect(facet.locator("ul.facet-values li")).to_have_count(10)
    expect(facet.locator("ul.facet-values")).not_to_contain_text("Latif Mehsud")
    everyone = page.locator("p.lead").inner_text()
    box = page.locator("form.filters input[name=who]")
    box.fill("latif")
    box.press("Enter")
    page.wait_for_url(re.compile(r"/claims\?status=&who=latif$"))
    expect(facet.locator("li.selected")).to_contain_text("Latif Mehsud")
    expect(page.locator("p.lead")).to_have_text(re.compile(r"^\d claims? match\.$"))
    assert page.locator("p.lead").inner_text() != everyone
    expect(box).to_have_value("Latif Mehsud")
    shot(page, "site-claims-facet")
    facet.locator("a.more").click()
    page.wait_for_url(re.compile(r"/claims/agents$"))
    expect(page.locator("table.listing tbody tr")).to_have_count(15)
    page.locator("table.listing a", has_text="Borhan Osman").click()
    page.wait_for_url(re.compile(r"/claims\?agent=person(%2F|/)borhan-osman$"))
    expect(facet.locator("li.selected")).to_contain_text("Borhan Osman")
    expect(box).to_have_value("Borhan Osman")


def test_the_navigation_fits_on_one_row_at_1280_px(page: Page):
    page.set_viewport_size({"width": 1280, "height": 800})
    page.goto("/")
    tops = page.locator("header.site nav a").evaluate_all(
        "els => els.map((e) => Math.round(e.getBoundingClientRect().top))"
    )
    assert len(tops) > 8 and len(set(tops)) == 1, tops  # Contribute wrapped to a second row before


def test_the_entity_page_is_short_and_a_badge_opens_its_folded_claim(page: Page):
    page.goto("/doc/group/ttp")
    height = page.evaluate("document.documentElement.scrollHeight")
    cards = page.locator("article.claim")
    assert cards.count() > 100
    assert page.locator("article.claim:visible").count() == 0  # folded by status
    assert height < 15_000, height  # 43,482 px with every claim unfolded (issue 16)
    expect(page.locator("nav.toc a[href='#statements']")).to_be_visible()
    shot(page, "site-entity")
    # A badge in "Relations and events" links to its claim; the browser opens the group holding it.
    badge = page.locator("#relations a.badge-link").first
    target = badge.get_attribute("href")
    assert target and target.startswith("#claim-")
    badge.click()
    claim = page.locator(f"[id='{target[1:]}']")
    expect(claim).to_be_visible()
    expect(claim.locator("blockquote.quote")).to_be_visible()
    assert claim.evaluate("el => el.closest('details').open")
    shot(page, "site-entity-claim-opened")


NETWORK_READY = "() => document.getElementById('cy').dataset.state === 'ready'"

# Pairs of visible labels (nodes' and lines') whose boxes on the screen overlap.
OVERLAPS = """() => {
  const cy = window.nexusNetwork.cy;
  const boxes = cy.elements(':visible')
    .filter((e) => e.pstyle('label').strValue)
    .map((e) => [e.id(), e.renderedBoundingBox({
      includeLabels: true, includeNodes: false, includeEdges: false, includeOverlays: false })])
    .filter(([, b]) => b.w > 0 && b.h > 0);
  const pairs = [];
  for (let i = 0; i < boxes.length; i++) for (let j = i + 1; j < boxes.length; j++) {
    const a = boxes[i][1], b = boxes[j][1];
    if (a.x1 < b.x2 && b.x1 < a.x2 && a.y1 < b.y2 && b.y1 < a.y2) pairs.push([boxes[i][0], boxes[j][0]]);
  }
  return { labels: boxes.length, overlaps: pairs };
}"""
POSITIONS = "window.nexusNetwork.cy.nodes().map((n) => [n.id(), n.position('x'), n.position('y')])"


def _load_network(page: Page, path: str = "/network") -> None:
    page.goto(path)
    wait_for(page, NETWORK_READY)
    page.evaluate("window.nexusNetwork.ready")


def test_the_network_has_the_same_layout_on_every_load(page: Page):
    _load_network(page)
    first = page.evaluate(POSITIONS)
    page.reload()
    wait_for(page, NETWORK_READY)
    page.evaluate("window.nexusNetwork.ready")
    again = page.evaluate(POSITIONS)
    assert len(first) > 30
    assert again == first


def test_the_network_labels_do_not_overlap(page: Page):
    _load_network(page)
    found = page.evaluate(OVERLAPS)
    assert found["labels"] >= 20 and found["overlaps"] == [], found
    shot(page, "site-network")
    page.locator("#year").evaluate("el => { el.value = '2014'; el.dispatchEvent(new Event('change')); }")
    wait_for(page, "() => new URL(location.href).searchParams.get('year') === '2014'")
    wait_for(page, NETWORK_READY)
    assert page.evaluate(OVERLAPS)["overlaps"] == []
    # A line's kind is written where the reader points: on the lines of a clicked node.
    ttp = page.evaluate(
        "(() => { const n = window.nexusNetwork.cy.$id('https://w3id.org/nexus-ld/id/group/ttp');"
        " const p = n.renderedPosition(); const b = document.getElementById('cy').getBoundingClientRect();"
        " return [b.left + p.x, b.top + p.y]; })()"
    )
    page.mouse.click(*ttp)
    labelled = page.evaluate(
        "window.nexusNetwork.cy.edges('.labelled').filter((e) => e.visible())"
        ".map((e) => e.pstyle('label').strValue)"
    )
    assert labelled and all(labelled), labelled
    shot(page, "site-network-ttp")


def test_the_network_legend_shows_the_shapes_it_draws(page: Page):
    _load_network(page, "/network?status=all")
    swatches = page.evaluate(
        "Array.from(document.querySelectorAll('.swatch[data-category]')).map((el) => [el.dataset.category,"
        " el.dataset.shape, getComputedStyle(el).clipPath, getComputedStyle(el).borderRadius])"
    )
    assert len(swatches) >= 4
    drawn = page.evaluate(
        "(() => { const out = {}; window.nexusNetwork.cy.nodes().forEach((n) => {"
        " (out[n.data('category')] = out[n.data('category')] || new Set()).add(n.style('shape')); });"
        " return Object.fromEntries(Object.entries(out).map(([k, v]) => [k, Array.from(v)])); })()"
    )
    shapes = {"ellipse": "50%", "round-rectangle": "3px"}
    for category, shape, clip, radius in swatches:
        assert drawn[category] == [shape], (category, shape, drawn[category])
        if shape in shapes:  # drawn by a border radius
            assert radius == shapes[shape] and clip == "none", (category, radius, clip)
        else:  # drawn by a polygon as the cytoscape shape
            corners = {"round-hexagon": 6, "round-diamond": 4, "round-pentagon": 5, "round-triangle": 3,
                       "round-octagon": 8}[shape]  # fmt: skip
            assert clip.startswith("polygon(") and clip.count(",") == corners - 1, (category, clip)
    assert len({shape for _, shape, _, _ in swatches}) == len(swatches)  # each category its own shape


def test_the_query_ui_is_in_the_site_and_runs_its_first_example(page: Page):
    page.goto("/sparql", wait_until="load")
    page.evaluate("localStorage.clear()")  # a first visit: no tabs kept from an earlier one
    page.reload(wait_until="load")
    expect(page.locator("header.site nav a", has_text="Query")).to_have_attribute("href", "/sparql")
    expect(page.locator("header.site form[role=search]")).to_be_visible()
    page.wait_for_selector(".tabPanel.active .CodeMirror")
    query = page.evaluate("document.querySelector('.tabPanel.active .CodeMirror').CodeMirror.getValue()")
    assert query.startswith("# Who led TTP"), query[:80]
    page.locator(".tabPanel.active .yasqe_queryButton").click()
    table = page.locator(".tabPanel.active .yasr table tbody")
    expect(table).to_contain_text("Baitullah Mehsud", timeout=TIMEOUT_MS)
    expect(table).to_contain_text("Noor Wali Mehsud")
    shot(page, "site-sparql")


def test_the_query_ui_names_an_unknown_prefix(page: Page):
    page.goto("/sparql", wait_until="load")
    page.wait_for_selector(".tabPanel.active .CodeMirror")
    page.evaluate(
        "document.querySelector('.tabPanel.active .CodeMirror').CodeMirror"
        ".setValue('SELECT ?s WHERE { ?s a foo:Group ; nx:status ?x }')"
    )
    page.locator(".tabPanel.active .yasqe_queryButton").click()
    answer = page.locator(".tabPanel.active .yasr")
    expect(answer).to_contain_text("unknown prefix foo:", timeout=TIMEOUT_MS)
    expect(answer).to_contain_text("nx:, oa:")
    assert "u{00C0}" not in answer.inner_text()
    shot(page, "site-sparql-unknown-prefix")
