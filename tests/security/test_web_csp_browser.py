"""The pages under their Content-Security-Policy in a real browser (Debian's Chromium via Playwright,
as tests/test_browser.py): the policy is enforced, nothing on the site breaks it, and the pages that
run scripts (the query UI, the network view, the contribution form) still work."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from playwright.sync_api import Browser, Page, expect

# The module's Chromium fixture; LISTEN keeps every violation the page reports on window.__violations.
from tests.test_browser import LISTEN, TIMEOUT_MS, browser, wait_for  # noqa: F401


@pytest.fixture()
def page(browser: Browser, live_server) -> Iterator[Page]:  # noqa: F811
    context = browser.new_context(base_url=live_server.url)
    context.set_default_timeout(TIMEOUT_MS)
    context.route("**/*", lambda r: r.continue_() if r.request.url.startswith(live_server.url) else r.abort())
    context.add_init_script(LISTEN)
    page = context.new_page()
    page.errors = []  # type: ignore[attr-defined]
    page.on("pageerror", lambda exc: page.errors.append(str(exc)))  # type: ignore[attr-defined]
    yield page
    context.close()


def violations(page: Page) -> list:
    return page.evaluate("window.__violations")


STATIC_PAGES = ["/", "/doc/group/ttp", "/doc/source/ttp-aq-isis-nexus", "/timeline", "/search?q=ttp"]


@pytest.mark.parametrize("path", [*STATIC_PAGES, "/ontology", "/claims"])
def test_static_pages_break_no_rule_of_their_policy(page: Page, path: str):
    page.goto(path, wait_until="load")
    expect(page.locator("h1").first).to_be_visible()
    assert violations(page) == [], path
    assert page.errors == []  # type: ignore[attr-defined]


def test_the_policy_is_enforced(page: Page):
    """An inline script injected into a page does not run (the header is what the browser obeys)."""
    page.goto("/", wait_until="load")
    page.evaluate(
        "() => { const s = document.createElement('script'); s.textContent = 'window.__ran = true';"
        " document.body.append(s); }"
    )
    assert page.evaluate("window.__ran === undefined")
    assert [v[0] for v in violations(page)] == ["script-src-elem"]


def test_the_query_ui_runs_a_query_and_resizes_a_column_under_the_policy(page: Page):
    page.goto("/sparql", wait_until="load")
    page.wait_for_selector(".yasqe .CodeMirror")
    page.locator(".tabPanel.active .yasqe_queryButton").click()
    rows = page.locator(".tabPanel.active .yasr table tbody tr")
    expect(rows.first).to_be_visible()
    # Dragging a column edge inserts YASR's drag-cursor style, allowed by its hash.
    grip = page.locator(".grip-handle").first
    box = grip.bounding_box()
    assert box is not None
    page.mouse.move(box["x"] + box["width"] / 2, box["y"] + 5)
    page.mouse.down()
    page.mouse.move(box["x"] + 40, box["y"] + 5)
    page.mouse.up()
    assert violations(page) == []
    assert page.errors == []  # type: ignore[attr-defined]


def test_the_network_view_draws_under_the_policy(page: Page):
    page.goto("/network", wait_until="load")
    wait_for(page, "() => document.getElementById('cy').dataset.state === 'ready'")
    assert page.evaluate("window.nexusNetwork.shownNodes()") > 5
    assert violations(page) == []
    assert page.errors == []  # type: ignore[attr-defined]


def test_the_contribution_form_posts_under_the_policy(page: Page):
    page.goto("/contribute", wait_until="load")
    page.fill("#text", "<https://example.org/a> <https://example.org/b> <https://example.org/c> .")
    page.locator("button[value=validate]").click()
    page.wait_for_load_state("load")
    expect(page.locator("section.report").first).to_be_visible()
    assert violations(page) == []
