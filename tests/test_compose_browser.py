"""Issue 16 in a real browser (Debian's Chromium via Playwright, under the site's Content-Security-Policy),
on one running server: a person with no RDF selects a passage on the source page, makes an allegation
attributed to a quoted official with a year, checks it, submits it with their name; a maintainer follows
the footer's link to the review page, signs in and accepts it; `nexus-ld build` publishes it and the
server, without a restart, shows the claim with its contributor and acceptor, and the claim's link to
the source outlines the whole passage. Then the same flow from a pending source's text. Screenshots of
each step go to $NEXUS_TEST_SHOTS/compose (default /tmp/shots/compose); the time of each step is printed
and saved next to them (timings.json)."""

from __future__ import annotations

import itertools
import json
import time
from pathlib import Path

import pytest
import requests
from click.testing import CliRunner
from conftest import LiveServer, make_app
from contributions_support import writable_copy
from playwright.sync_api import Browser, Page, expect

from nexus_ld.cli import main
from nexus_ld.config import Settings
from nexus_ld.contributions.inbox import Inbox, Quota

# The module's Chromium fixture; LISTEN keeps every violation of the page's policy on window.__violations.
from tests.test_browser import LISTEN, SHOTS, TIMEOUT_MS, browser  # noqa: F401

pytestmark = pytest.mark.live

EXACT = (
    "The head of NDS, Asadullah Khalid, posted a tweet claiming responsibility for the TTP attack on "
    "Pakistan Air Force Badaber camp in 2015."
)
TOKEN = "browser-review-token-9876543210"
CONTRIBUTOR, MAINTAINER = "Karim Haddad", "Ayesha Siddiqa"
SUMMARY = (
    "The head of the NDS, Asadullah Khalid, claimed responsibility for TTP's 2015 attack on Badaber camp."
)
# Select EXACT in the source's text as a reader's mouse would: a DOM Range over the text nodes (the
# passage crosses the highlighted marks), set as the document's selection, then the mouse is released.
SELECT = """
(exact) => {
  const article = document.querySelector('.article');
  const walker = document.createTreeWalker(article, NodeFilter.SHOW_TEXT, {
    acceptNode: (n) => n.parentElement.closest('sup.cite') ? NodeFilter.FILTER_REJECT
                                                           : NodeFilter.FILTER_ACCEPT });
  const nodes = []; let text = '';
  for (let n = walker.nextNode(); n; n = walker.nextNode()) { nodes.push([n, text.length]); text += n.data; }
  const start = text.indexOf(exact), end = start + exact.length;
  const first = nodes.find(([n, from]) => from <= start && start < from + n.data.length);
  const last = nodes.find(([n, from]) => from < end && end <= from + n.data.length);
  window.getSelection().setBaseAndExtent(first[0], start - first[1], last[0], end - last[1]);
  article.dispatchEvent(new MouseEvent('mouseup', { bubbles: true }));
  return start;
}
"""


@pytest.fixture(scope="module")
def project(bundled: Settings, tmp_path_factory: pytest.TempPathFactory) -> Settings:
    """A copy of the built project: the test accepts and rebuilds it."""
    return writable_copy(bundled, tmp_path_factory.mktemp("compose-browser") / "project")


@pytest.fixture()
def shots() -> Path:
    folder = SHOTS / "compose"
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def new_page(browser: Browser, url: str) -> Page:  # noqa: F811
    context = browser.new_context(base_url=url, viewport={"width": 1280, "height": 900})
    context.set_default_timeout(TIMEOUT_MS)
    context.route("**/*", lambda r: r.continue_() if r.request.url.startswith(url) else r.abort())
    context.add_init_script(LISTEN)
    page = context.new_page()
    page.errors = []  # type: ignore[attr-defined]
    page.on("pageerror", lambda exc: page.errors.append(str(exc)))  # type: ignore[attr-defined]
    return page


def pick(page: Page, picker: str, typed: str, label: str) -> None:
    """Type a name into an entity picker and choose the suggestion labelled ``label``."""
    box = page.locator(f'[data-picker="{picker}"]')
    box.locator("input[type=search]").fill(typed)
    box.locator("ul.hits button", has_text=label).first.click()
    expect(box.locator(".chosen")).to_contain_text(label)


def cli(settings: Settings, *args: str) -> str:
    base = ["--setting", "project_dir", str(settings.project), "--setting", "build_dir", str(settings.build)]
    base += ["--setting", "inbox_path", settings.inbox_path, "--setting", "inference", "rules"]
    result = CliRunner().invoke(main, [*base, *args])
    assert result.exit_code == 0, result.output
    return result.output


def test_a_person_with_no_rdf_makes_an_allegation_and_a_maintainer_publishes_it(
    browser: Browser,  # noqa: F811
    project,
    shots,
) -> None:
    """Issue 16's whole flow on one running server: the release `nexus-ld build` publishes is served
    within release_check_s, without a restart."""
    timings: dict[str, float] = {}
    numbers = itertools.count(1)
    started = time.perf_counter()

    def step(name: str, page: Page, full_page: bool = True) -> None:
        timings[name] = round(time.perf_counter() - started, 2)
        page.screenshot(path=str(shots / f"{next(numbers):02d}-{name}.png"), full_page=full_page)
        assert page.evaluate("window.__violations") == [], name
        assert page.errors == [], name  # type: ignore[attr-defined]

    with LiveServer(make_app(project, maintainer_token=TOKEN)) as server:
        page = new_page(browser, server.url)
        page.goto("/doc/source/ttp-aq-isis-nexus", wait_until="load")
        start = page.evaluate(SELECT, EXACT)
        offer = page.locator("#compose-button")
        expect(offer).to_be_visible()
        offer.scroll_into_view_if_needed()
        step("source-selected", page, full_page=False)
        offer.click()

        expect(page.locator("h1")).to_have_text("Make a claim from a passage")
        expect(page.locator("#passage")).to_have_text(EXACT)
        expect(page.locator('#passage mark[data-cue="claim-of-responsibility"]')).to_have_text(
            "claiming responsibility"
        )
        step("form-prefilled", page)

        pick(page, "about", "NDS", "National Directorate of Security")
        page.select_option("#kind", label="support")
        pick(page, "other", "TTP", "Tehrik-e-Taliban Pakistan")
        page.fill("#summary", SUMMARY)
        page.fill("#when_in", "2015")
        page.check("input[name=speaker][value=quoted]")
        pick(page, "quoted", "Asadullah", "Asadullah Khalid")
        page.select_option("#role", value="official")
        # A first try as a fact: the report points at the "How sure" field, in words.
        page.check("input[name=status][value=reported-fact]")
        status_problems = page.locator("#field-status ul.problems")
        expect(status_problems).to_contain_text(
            "Sponsorship rule: support by the state actor “National Directorate"
        )
        expect(page.locator("#field-status")).to_have_class("has-problems")
        step("checked-wrong-status", page)

        page.check("input[name=status][value=allegation]")
        expect(page.locator("#compose-status")).to_contain_text("it conforms")
        expect(page.locator("#compose-turtle")).to_contain_text("status:allegation")
        expect(page.locator("#compose-turtle")).to_contain_text(f"oa:start {start}")
        page.fill("#contributor", CONTRIBUTOR)
        step("checked-conforms", page)

        page.click("button[value=submit]")
        received = page.locator("#compose-received")
        expect(received).to_contain_text("Received: contribution")
        entry_id = received.locator("h2 a").inner_text()
        step("submitted", page)

        entry = Inbox(project.inbox_path, Quota.from_settings(project)).get(entry_id, with_body=True)
        assert entry.status == "pending" and EXACT.encode() in entry.body
        assert entry.contributor == CONTRIBUTOR

        # The maintainer, in the same browser: the footer's link, the token, the pending entry.
        page.get_by_role("link", name="review contributions").click()
        expect(page.get_by_label("Maintainer token")).to_be_visible()
        step("review-sign-in", page, full_page=False)
        page.get_by_label("Maintainer token").fill(TOKEN)
        page.get_by_label("Your name").fill(MAINTAINER)
        page.get_by_role("button", name="Sign in").click()
        expect(page.get_by_role("status")).to_have_text(f"Signed in as {MAINTAINER}.")
        article = page.locator(f"#contribution-{entry_id}")
        expect(article.locator("blockquote.quote")).to_contain_text(EXACT)
        expect(article).to_contain_text(SUMMARY)
        expect(article).to_contain_text(CONTRIBUTOR)
        # The data holds this allegation already: the page warns that the contribution restates it.
        expect(article.locator("li.restates").first).to_contain_text("Restates claim")
        expect(article).to_contain_text("claim:intel-asadullah-khalid-tweet")
        step("review-pending", page)
        article.get_by_role("button", name="Accept").click()
        expect(page.get_by_role("status")).to_contain_text(f"Accepted {entry_id}")
        expect(page.get_by_text("Nothing is waiting for review.")).to_be_visible()
        step("review-accepted", page, full_page=False)

        cli(project, "build")
        timings["built"] = round(time.perf_counter() - started, 2)
        written = (project.project / "data" / "contributions" / f"{entry_id}.ttl").read_text()
        claim = next(line.split()[0] for line in written.splitlines() if line.endswith("a nx:Claim ;"))
        claim_page = f"/doc/claim/{claim.removeprefix('claim:')}"
        # The running server serves the new release after its next look at build_dir/current.
        deadline = time.monotonic() + project.release_check_s + 10
        while requests.get(server.url + claim_page, timeout=30).status_code != 200:
            assert time.monotonic() < deadline, "the new release was not served without a restart"
            time.sleep(0.2)
        timings["served"] = round(time.perf_counter() - started, 2)

        page.goto(claim_page, wait_until="load")
        main = page.locator("main")
        expect(page.locator("h1")).to_contain_text(SUMMARY)
        expect(main).to_contain_text("allegation")
        expect(main).to_contain_text("Asadullah Khalid")
        note = page.locator("p.contributed-by")
        expect(note).to_contain_text(f"Contributed by {CONTRIBUTOR}, accepted by {MAINTAINER} on")
        decided = requests.get(f"{server.url}/contributions/{entry_id}", timeout=30).json()["decided"]
        expect(note.locator("time")).to_have_text(decided[:10])
        record_link = page.locator("#incoming tr", has_text=f"contribution {entry_id}")
        expect(record_link).to_contain_text("includes this")
        step("published-claim", page)

        # The claim's link to its passage opens the source with the passage marked.
        page.locator("a.quote-link").first.click()
        anchor = f"char={start},{start + len(EXACT)}"
        page.wait_for_url(f"**/doc/source/ttp-aq-isis-nexus#{anchor}")
        marked = page.locator(":target + a.mark")
        expect(marked).to_be_visible()
        assert page.evaluate("document.querySelector(':target').id") == anchor
        assert marked.evaluate("el => getComputedStyle(el).outlineStyle") == "solid"
        assert EXACT.startswith(marked.inner_text())  # the first piece, by CSS alone
        pieces = page.locator(".article a.mark.in-target")  # all of it, by static/passage.js
        assert "".join(pieces.all_inner_texts()) == EXACT
        assert pieces.evaluate_all("els => els.map((e) => getComputedStyle(e).outlineStyle)") == (
            ["solid"] * pieces.count()
        )
        expect(page.locator("aside.passages")).to_contain_text(SUMMARY)
        step("quote-in-source", page, full_page=False)

        page.goto(claim_page, wait_until="load")
        page.locator("p.contributed-by").get_by_role("link").click()
        expect(page.locator("h1")).to_contain_text(f"contribution {entry_id}")
        headings = page.locator("table.properties th").all_inner_texts()
        assert {"Contributor", "Editor", "Accepted"} <= set(headings), headings  # not dcterms:contributor
        step("contribution-record", page, full_page=False)
        page.context.close()

    (shots / "timings.json").write_text(json.dumps(timings, indent=1))
    print("issue 16 flow timings (s since start):", timings)


def test_the_same_flow_works_on_a_pending_sources_text(browser: Browser, project, shots) -> None:  # noqa: F811
    text = "The Foo Front was founded in 1999.\nOfficials alleged that the Baz Agency funds the Foo Front."
    with LiveServer(make_app(project)) as server:
        page = new_page(browser, server.url)
        page.goto("/compose/source", wait_until="load")
        page.fill("#text", text)
        page.fill("#title", "A report on the Foo Front")
        page.fill("#author", "Jane Doe")
        page.fill("#url", "https://example.org/foo")
        page.fill("#accessed", "2021-06-14")
        page.press("#accessed", "Tab")  # leaving the field checks the form
        expect(page.locator("#compose-status")).to_contain_text("it conforms")
        expect(page.locator("#compose-turtle")).to_contain_text("nx:sha256")
        page.click("button[value=submit]")
        page.locator("#compose-received a", has_text="open its text").click()
        expect(page.locator(".article")).to_contain_text("Officials alleged")
        page.evaluate(SELECT, "Officials alleged that the Baz Agency funds the Foo Front.")
        expect(page.locator("#compose-button")).to_be_visible()
        page.screenshot(path=str(shots / "pending-selected.png"))
        page.locator("#compose-button").click()
        expect(page.locator("#passage mark[data-cue=allegation]")).to_have_text("alleged")
        assert page.evaluate("window.__violations") == []
        assert page.errors == []  # type: ignore[attr-defined]
        page.context.close()
