"""A maintainer reviews in a real browser (Debian's Chromium, Playwright) under the site's own CSP: signs
in, sees a pending contribution (submitted over HTTP as Turtle) with its quote and its "restates claim"
warning, accepts it; after `nexus-ld build` on the test's copy of the project, the claim's page names
its contributor and the maintainer who accepted it. Screenshots of each step go to $NEXUS_LD_SHOTS
(default /tmp/shots), as review-*.png."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator

import pytest
import requests
from conftest import LiveServer
from contributions_support import GOOD, writable_copy
from playwright.sync_api import Browser, Page, expect
from test_browser import ARGS, CHROMIUM, TIMEOUT_MS, browser, shot  # noqa: F401 (the browser fixture)

from nexus_ld.config import Settings, load_settings
from nexus_ld.web.app import create_app

pytestmark = pytest.mark.live  # Chromium over real servers, and the CLI

TOKEN = "browser-review-token-9876543210"
CLAIM_PAGE = "/doc/claim/contributed-ttp-aims-to-overthrow-government"
BUILD_TIMEOUT_S = 600


def server_for(settings: Settings) -> LiveServer:
    values = dict(settings.values) | {"maintainer_token": TOKEN}
    return LiveServer(create_app(load_settings(values, environ={})))


@pytest.fixture()
def project(tmp_path, bundled: Settings) -> Settings:
    return writable_copy(bundled, tmp_path / "project")


@pytest.fixture()
def review_page(browser: Browser) -> Iterator[Page]:  # noqa: F811 (the browser fixture, imported)
    context = browser.new_context(viewport={"width": 1300, "height": 1000})  # the site's CSP applies
    context.set_default_timeout(TIMEOUT_MS)
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    yield page
    context.close()
    assert not errors, f"script errors: {errors}"


def test_a_maintainer_accepts_in_the_browser_and_the_build_names_who(project, review_page: Page) -> None:
    page = review_page
    with server_for(project) as server:
        sent = requests.post(
            server.url + "/contributions",
            params={"note": "from the article's first section", "contributor": "Karim Haddad"},
            data=(GOOD / "new-claim.ttl").read_bytes(),
            headers={"Content-Type": "text/turtle"},
            timeout=60,
        )
        assert sent.status_code == 201, sent.text
        entry_id = sent.json()["id"]

        page.goto(server.url + "/contributions/review")
        expect(page.get_by_label("Maintainer token")).to_be_visible()
        shot(page, "review-1-sign-in")
        page.get_by_label("Maintainer token").fill(TOKEN)
        page.get_by_label("Your name").fill("Ayesha Siddiqa")
        page.get_by_role("button", name="Sign in").click()
        expect(page.get_by_role("status")).to_have_text("Signed in as Ayesha Siddiqa.")

        article = page.locator(f"#contribution-{entry_id}")
        expect(article.locator("blockquote.quote")).to_contain_text(
            "It aims to overthrow the government by waging a terrorist campaign"
        )
        expect(article.locator("li.restates").first).to_contain_text("Restates claim")
        expect(article).to_contain_text("claim:ttp-aim-overthrow-government")
        expect(article).to_contain_text("Karim Haddad")
        shot(page, "review-2-pending", full_page=True)

        article.get_by_role("button", name="Accept").click()
        expect(page.get_by_role("status")).to_contain_text(f"Accepted {entry_id}")
        expect(page.get_by_text("Nothing is waiting for review.")).to_be_visible()
        shot(page, "review-3-accepted")

    built = subprocess.run(
        [sys.executable, "-m", "nexus_ld", "--setting", "project_dir", str(project.project),
         "--setting", "build_dir", str(project.build), "--setting", "inference", "rules", "build"],
        capture_output=True, text=True, timeout=BUILD_TIMEOUT_S,
    )  # fmt: skip
    assert built.returncode == 0, built.stderr[-2000:]

    with server_for(project) as server:
        page.goto(server.url + CLAIM_PAGE)
        note = page.locator("p.contributed-by")
        expect(note).to_contain_text("Contributed by Karim Haddad, accepted by Ayesha Siddiqa on")
        expect(note.locator("time")).to_have_text(
            requests.get(f"{server.url}/contributions/{entry_id}", timeout=30).json()["decided"][:10]
        )
        note.scroll_into_view_if_needed()
        shot(page, "review-4-claim-page")
        note.get_by_role("link").click()
        expect(page.locator("h1")).to_contain_text(f"contribution {entry_id}")
        shot(page, "review-5-record-page")
