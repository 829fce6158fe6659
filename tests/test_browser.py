"""The site in a real browser: Debian's Chromium (/usr/bin/chromium, the `chromium` package) driven
by Playwright for Python against the app on a real 127.0.0.1 server.

No browser is downloaded (`playwright install` is never run): CI installs Chromium by package name.
If it is missing these tests fail, loudly, instead of being skipped. Screenshots of every page go to
$NEXUS_TEST_SHOTS (default /tmp/shots) for a person to look at.
"""

from __future__ import annotations

import os
import re
import shutil
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Browser, Page, expect, sync_playwright

pytestmark = pytest.mark.live  # Chromium over a real server

CHROMIUM = os.environ.get("NEXUS_TEST_CHROMIUM", "/usr/bin/chromium")
ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
    "--disable-sync",
]
SHOTS = Path(os.environ.get("NEXUS_TEST_SHOTS", "/tmp/shots"))
TIMEOUT_MS = 30_000
# Every violation of the Content-Security-Policy the page reports (blocked or not) is kept on
# window.__violations; the pages are tested under the policy the server sends, never bypassed.
LISTEN = """
window.__violations = [];
document.addEventListener('securitypolicyviolation', (e) =>
  window.__violations.push([e.violatedDirective, e.blockedURI, e.sourceFile, e.lineNumber]));
"""


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    if not (Path(CHROMIUM).is_file() or shutil.which(CHROMIUM)):
        pytest.fail(
            f"Chromium not found at {CHROMIUM}: install Debian's package (apt-get install -y chromium)"
            " or set NEXUS_TEST_CHROMIUM; the browser tests are not skipped.",
            pytrace=False,
        )
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        yield browser
        browser.close()


@pytest.fixture()
def page(browser: Browser, live_server) -> Iterator[Page]:
    """A fresh page on the live server, under the site's Content-Security-Policy; failed requests,
    script errors and policy violations are collected on it (and fail the test)."""
    context = browser.new_context(base_url=live_server.url, viewport={"width": 1400, "height": 1000})
    context.set_default_timeout(TIMEOUT_MS)
    context.add_init_script(LISTEN)
    # Nothing may leave 127.0.0.1 (no CDN): any other request fails the test.
    outside: list[str] = []

    def route(r):
        if r.request.url.startswith(live_server.url) or r.request.url.startswith("data:"):
            return r.continue_()
        outside.append(r.request.url)
        return r.abort()

    context.route("**/*", route)
    page = context.new_page()
    page.errors = []  # type: ignore[attr-defined]
    page.on("pageerror", lambda exc: page.errors.append(str(exc)))  # type: ignore[attr-defined]
    yield page
    broken = page.evaluate("window.__violations")
    context.close()
    assert not outside, f"requests left the site: {outside}"
    assert not page.errors, f"script errors: {page.errors}"  # type: ignore[attr-defined]
    assert not broken, f"Content-Security-Policy violations: {broken}"


def wait_for(page: Page, expression: str, arg: Any = None) -> Any:
    """Poll ``expression`` (a function of ``arg``) in the page until it is truthy; its value.

    Playwright's ``wait_for_function`` compiles its predicate in the page with ``new Function``, which
    the site's policy forbids ('unsafe-eval' is not allowed); ``evaluate`` runs over the DevTools
    protocol, which the policy does not govern.
    """
    deadline = time.monotonic() + TIMEOUT_MS / 1000
    while not (value := page.evaluate(expression, arg)):
        assert time.monotonic() < deadline, f"still false after {TIMEOUT_MS} ms: {expression}"
        page.wait_for_timeout(100)
    return value


def shot(page: Page, name: str, full_page: bool = False) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=full_page)


def test_home_page_renders(page: Page):
    page.goto("/")
    expect(page.locator("h1")).to_contain_text("TTP, al-Qaeda and Islamic State network")
    expect(page.locator("header.site nav a", has_text="Network")).to_have_attribute("href", "/network")
    expect(page.locator("header.site nav a", has_text="Timeline")).to_have_attribute("href", "/timeline")
    assert page.locator("ul.entry-points a[href='/doc/group/ttp']").count() == 1
    assert page.locator(".card .badge.status-reported-fact").count() >= 1
    shot(page, "home")


def test_entity_page_shows_badges_and_a_quote_that_links_into_the_source(page: Page):
    page.goto("/doc/group/ttp")
    expect(page.locator("h1")).to_contain_text("Tehrik-e-Taliban Pakistan")
    assert page.locator("article.claim .badge.status-reported-fact").count() >= 5
    assert page.locator("article.claim .badge.status-allegation").count() >= 1
    page.locator("details#status-reported-fact > summary").click()  # statements are folded by status
    quote = page.locator("article.claim blockquote.quote").first
    expect(quote).to_be_visible()
    link = quote.locator("a.quote-link")
    href = link.get_attribute("href")
    assert href and re.fullmatch(r"/doc/source/[\w-]+#char=\d+,\d+", href), href
    exact = quote.inner_text().split("”")[0].strip("“ \n")
    quote.scroll_into_view_if_needed()
    shot(page, "entity")
    link.click()
    page.wait_for_url(re.compile(r"/doc/source/[\w-]+#char=\d+,\d+$"))
    start, end = map(int, href.rsplit("=", 1)[1].split(","))
    # The anchor of the passage is followed by the highlighted passage that holds the quote.
    anchor = page.locator(f"[id='char={start},{end}']")
    expect(anchor).to_have_count(1)
    marked = page.locator(f"[id='char={start},{end}'] + a.mark")
    expect(marked).to_be_visible()
    assert exact[:20] in page.locator(".article").inner_text()
    assert marked.inner_text().strip() and marked.inner_text().strip() in exact
    shot(page, "source-at-passage")


def test_source_page_highlights_quoted_passages(page: Page):
    page.goto("/doc/source/ttp-aq-isis-nexus")
    marks = page.locator(".article a.mark")
    expect(marks.first).to_be_visible()
    assert marks.count() >= 20
    colour = marks.first.evaluate("el => getComputedStyle(el).backgroundColor")
    assert colour not in ("rgba(0, 0, 0, 0)", "transparent"), colour
    target = marks.first.get_attribute("href")
    assert target and target.startswith("#passage-")
    assert page.locator(f"[id='{target[1:]}']").count() == 1  # each highlight links to its claims
    shot(page, "source")


def _set_year(page: Page, year: int) -> None:
    page.locator("#year").evaluate(
        "(el, y) => { el.value = String(y); el.dispatchEvent(new Event('change')); }", year
    )
    wait_for(
        page,
        "y => new URL(location.href).searchParams.get('year') === String(y) &&"
        " document.getElementById('cy').dataset.state === 'ready'",
        year,
    )
    expect(page.locator("#network-status")).to_contain_text(f"as of {year}")


def _shown(page: Page) -> tuple[int, int]:
    nodes, edges = page.evaluate("[window.nexusNetwork.shownNodes(), window.nexusNetwork.shownEdges()]")
    return nodes, edges


def test_network_view_draws_nodes_and_follows_year_and_status(page: Page):
    page.goto("/network")
    wait_for(page, "() => document.getElementById('cy').dataset.state === 'ready'")
    page.evaluate("window.nexusNetwork.ready")
    total = page.evaluate("window.nexusNetwork.cy.nodes().length")
    nodes_2021, edges_2021 = _shown(page)
    assert 10 <= nodes_2021 <= total, (nodes_2021, total)
    # Every node and edge links to its page.
    hrefs = page.evaluate("window.nexusNetwork.cy.elements().map(e => e.data('href'))")
    assert hrefs and all(h.startswith("/doc/") for h in hrefs), hrefs[:5]
    # The canvas really has pixels drawn on it.
    painted = page.evaluate(
        """() => Array.from(document.querySelectorAll('#cy canvas')).some(c => {
             const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
             for (let i = 3; i < d.length; i += 4) if (d[i] > 0) return true; return false; })"""
    )
    assert painted
    shot(page, "network")

    _set_year(page, 2007)
    nodes_2007, edges_2007 = _shown(page)
    assert (nodes_2007, edges_2007) != (nodes_2021, edges_2021)
    assert edges_2007 < edges_2021
    leader = (
        "window.nexusNetwork.cy.$id('https://w3id.org/nexus-ld/id/membership/noor-wali-mehsud-leader-ttp')"
    )
    assert page.evaluate(leader + ".style('display')") == "none"  # he leads TTP from 2018
    shot(page, "network-2007")

    _set_year(page, 2021)
    assert _shown(page) == (nodes_2021, edges_2021)
    page.locator("input[name=status][value=allegation]").check()
    wait_for(page, "() => new URL(location.href).searchParams.get('status') === 'reported-fact,allegation'")
    wait_for(page, "n => window.nexusNetwork.shownEdges() > n", edges_2021)
    raw = "window.nexusNetwork.cy.$id('https://w3id.org/nexus-ld/id/relationship/raw-support-ttp')"
    assert page.evaluate(raw + ".style('display')") == "element"
    assert page.evaluate(raw + ".data('status')") == "allegation"
    page.locator("input[name=status][value=reported-fact]").uncheck()
    wait_for(page, "() => new URL(location.href).searchParams.get('status') === 'allegation'")
    assert _shown(page)[1] >= 1
    assert page.evaluate(
        "window.nexusNetwork.cy.edges().filter(e => e.style('display') !== 'none')"
        ".every(e => e.data('claims').every(c => c.status === 'allegation'))"
    )

    # Clicking a node shows the claims behind its links and a link to its page.
    page.locator("input[name=status][value=reported-fact]").check()
    wait_for(page, "() => document.getElementById('cy').dataset.state === 'ready'")
    position = page.evaluate(
        "(() => { const n = window.nexusNetwork.cy.$id('https://w3id.org/nexus-ld/id/group/ttp');"
        " const p = n.renderedPosition(); const b = document.getElementById('cy').getBoundingClientRect();"
        " return [b.left + p.x, b.top + p.y]; })()"
    )
    page.mouse.click(*position)
    details = page.locator("#details")
    expect(details).to_be_visible()
    expect(details.locator("#details-title a")).to_have_attribute("href", "/doc/group/ttp")
    assert details.locator("ul.links li").count() >= 3
    shot(page, "network-details")
    details.locator("a.open").click()
    page.wait_for_url(re.compile(r"/doc/group/ttp$"))


def test_timeline_lists_events_by_year(page: Page):
    page.goto("/timeline")
    years = page.locator("section.year > h2").all_inner_texts()
    assert len(years) >= 5 and [int(y) for y in years] == sorted(int(y) for y in years)
    founding = page.locator("#y2007 li.event a[href='/doc/event/ttp-founding']")
    expect(founding).to_be_visible()
    assert page.locator("#y2007 .badge.status-reported-fact").count() >= 1
    expect(page.locator("#undated h2")).to_have_text("Undated")
    assert page.locator("#undated li.event").count() >= 1
    shot(page, "timeline")
    page.locator("nav.years a[href='#y2014']").click()
    page.wait_for_url(re.compile(r"#y2014$"))


def test_query_ui_runs_an_example_query(page: Page):
    page.goto("/sparql", wait_until="load")
    page.wait_for_selector(".yasqe .CodeMirror")
    options = page.locator("#nx-example option").all_inner_texts()
    assert len(options) >= 2, options
    page.select_option("#nx-example", index=1)
    wait_for(
        page,
        "() => document.querySelectorAll('.tabPanel.active .CodeMirror').length > 0 &&"
        " document.querySelector('.tabPanel.active .CodeMirror').CodeMirror.getValue().includes('SELECT')",
    )
    query = page.evaluate("document.querySelector('.tabPanel.active .CodeMirror').CodeMirror.getValue()")
    first_variable = re.search(r"SELECT\s+(?:DISTINCT\s+)?\?(\w+)", query).group(1)
    page.locator(".tabPanel.active .yasqe_queryButton").click()
    rows = page.locator(".tabPanel.active .yasr table tbody tr")
    expect(rows.first).to_be_visible(timeout=TIMEOUT_MS)
    assert rows.count() >= 1
    expect(page.locator(".tabPanel.active .yasr table thead")).to_contain_text(first_variable)
    expect(page.locator(".tabPanel.active .yasr")).to_contain_text("results in")
    shot(page, "sparql")
