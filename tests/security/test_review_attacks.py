"""Attacks on the maintainers' review page (/contributions/review, tests/test_review_page.py for what
it does): the session cookie (signed, HttpOnly, SameSite=Strict, Secure over HTTPS, short-lived), nothing
of the inbox before signing in and nothing stored by caches, wrong tokens rate-limited with the JSON
endpoints, a CSRF token on every POST, a contribution forging its own provenance record, bounded names."""

from __future__ import annotations

import re
import time
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime

import itsdangerous.timed
import pytest

from nexus_ld.config import Settings
from tests.test_review_page import GOOD, PAGE, TOKEN, app_for, csrf, project, sign_in, submit  # noqa: F401


def test_sign_in_sets_a_strict_short_lived_session_and_nothing_is_stored(project) -> None:  # noqa: F811  # noqa: F811
    client = app_for(project, inbox_path=str(project.project / "inbox-session.sqlite")).test_client()
    entry_id = submit(client, (GOOD / "new-claim.ttl").read_bytes(), note="from section one")

    form = client.get(PAGE)
    html = form.get_data(as_text=True)
    assert form.status_code == 200 and 'name="token"' in html and 'type="password"' in html
    assert entry_id not in html  # nothing of the inbox before signing in
    assert form.headers["Cache-Control"] == "no-store"

    token = csrf(client)
    signed = client.post(PAGE + "/sign-in", data={"token": TOKEN, "name": "Ayesha", "csrf_token": token})
    assert signed.status_code == 303
    cookie = signed.headers["Set-Cookie"]
    assert cookie.startswith("nexus_review=") and "HttpOnly" in cookie and "SameSite=Strict" in cookie
    assert "Path=/contributions" in cookie
    expires = parsedate_to_datetime(re.search(r"Expires=([^;]+)", cookie).group(1))  # type: ignore[union-attr]
    assert 29 * 60 < (expires - datetime.now(UTC)).total_seconds() <= 30 * 60  # maintainer_session_minutes
    assert "Secure" not in cookie  # plain http here; over https (or X-Forwarded-Proto) it is Secure
    assert client.get_cookie("nexus_review", path="/contributions").value  # type: ignore[union-attr]

    page = client.get(PAGE)
    assert entry_id in page.get_data(as_text=True) and page.headers["Cache-Control"] == "no-store"
    # A new CSRF token once signed in (the sign-in form's one is no longer good).
    assert csrf(client) != token


def test_wrong_tokens_are_rate_limited_on_the_page_and_the_api_alike(project) -> None:  # noqa: F811
    inbox = str(project.project / "inbox-limit.sqlite")
    client = app_for(project, maintainer_token_failures_per_minute=2, inbox_path=inbox).test_client()
    token = csrf(client)
    for _ in range(2):
        wrong = client.post(PAGE + "/sign-in", data={"token": "guess", "csrf_token": token})
        assert wrong.status_code == 401 and "maintainer token is needed" in wrong.get_data(as_text=True)
        assert 'name="token"' in wrong.get_data(as_text=True)  # the form again
    refused = client.post(PAGE + "/sign-in", data={"token": TOKEN, "csrf_token": token})
    assert refused.status_code == 429 and int(refused.headers["Retry-After"]) >= 1
    assert "maintainer_token_failures_per_minute" in refused.get_data(as_text=True)
    api = client.post("/contributions/x/accept", headers={"Authorization": f"Bearer {TOKEN}"})
    assert api.status_code == 429  # one budget of wrong tokens per client, whichever door
    assert "Signed in" not in client.get(PAGE).get_data(as_text=True)


def test_every_post_needs_the_sessions_csrf_token(project) -> None:  # noqa: F811
    app = app_for(project, inbox_path=str(project.project / "inbox-csrf.sqlite"))
    client = app.test_client()
    entry_id = submit(client, (GOOD / "new-claim.ttl").read_bytes())
    bare = client.post(PAGE + "/sign-in", data={"token": TOKEN})
    assert bare.status_code == 400 and "CSRF token" in bare.get_data(as_text=True)
    sign_in(client)
    accept = f"{PAGE}/{entry_id}/accept"
    for data in ({}, {"csrf_token": "forged"}, {"csrf_token": csrf(app.test_client())}):
        response = client.post(accept, data=data)
        assert response.status_code == 400 and "CSRF token" in response.get_data(as_text=True)
    assert (
        client.get(f"/contributions/{entry_id}", headers={"Accept": "application/json"}).get_json()["status"]
        == "pending"
    )
    # A session signed with another key (another token) is no session: the POST is refused.
    other = app_for(project, maintainer_token="another-token-entirely")
    stranger = other.test_client()
    cookie = client.get_cookie("nexus_review", path="/contributions")
    assert cookie is not None
    stranger.set_cookie("nexus_review", cookie.value, path="/contributions")
    assert stranger.post(accept, data={"csrf_token": csrf(client)}).status_code == 400
    # Not signed in, with a good CSRF token of its own session: 401.
    anonymous = app.test_client()
    response = anonymous.post(accept, data={"csrf_token": csrf(anonymous)})
    assert response.status_code == 401 and "sign in" in response.get_data(as_text=True)


def test_the_page_is_off_without_a_token(bundled: Settings) -> None:
    client = app_for(bundled, maintainer_token="").test_client()
    response = client.get(PAGE, headers={"Accept": "text/html"})
    assert response.status_code == 403 and "maintainer_token" in response.get_data(as_text=True)
    assert "Set-Cookie" not in response.headers


FORGED_RECORD = b"""
@prefix dcterms: <http://purl.org/dc/terms/> .
@prefix schema:  <http://schema.org/> .
@prefix xsd:     <http://www.w3.org/2001/XMLSchema#> .
<https://w3id.org/nexus-ld/id/contribution/20200101-00000000> a nx:Contribution ;
    dcterms:identifier "20200101-00000000" ;
    dcterms:dateSubmitted "2020-01-01T00:00:00Z"^^xsd:dateTime ;
    dcterms:dateAccepted "2020-01-02T00:00:00Z"^^xsd:dateTime ;
    schema:editor "the chief editor" ;
    dcterms:hasPart claim:contributed-ttp-active-border-districts .
"""


def test_a_contribution_cannot_bring_its_own_provenance_record(project) -> None:  # noqa: F811
    client = app_for(project, inbox_path=str(project.project / "inbox-forged.sqlite")).test_client()
    entry_id = submit(client, (GOOD / "new-source-with-text.ttl").read_bytes() + FORGED_RECORD)
    sign_in(client)
    html = client.get(PAGE).get_data(as_text=True)
    assert "Carries a contribution record" in html and "20200101-00000000" in html
    refused = client.post(f"{PAGE}/{entry_id}/accept", data={"csrf_token": csrf(client)})
    text = refused.get_data(as_text=True)
    assert refused.status_code == 422 and "which only accepting writes" in text
    assert not (project.project / "data" / "contributions" / f"{entry_id}.ttl").exists()
    status = client.get(f"/contributions/{entry_id}", headers={"Accept": "application/json"}).get_json()
    assert status["status"] == "pending"


@pytest.mark.parametrize(
    ("hops", "base_url", "headers", "secure"),
    [
        (0, "https://localhost", {}, True),  # TLS to the app itself
        (1, "http://localhost", {"X-Forwarded-Proto": "https", "X-Forwarded-For": "10.0.0.1"}, True),
        (0, "http://localhost", {"X-Forwarded-Proto": "https"}, False),  # no trusted proxy: not believed
    ],
)
def test_the_session_cookie_is_secure_over_https(bundled: Settings, hops, base_url, headers, secure) -> None:
    client = app_for(bundled, trusted_proxy_hops=hops).test_client()
    response = client.get(PAGE, base_url=base_url, headers=headers)
    assert response.status_code == 200
    assert ("; Secure" in response.headers["Set-Cookie"]) is secure


def test_a_session_lapses_after_maintainer_session_minutes(project, monkeypatch) -> None:  # noqa: F811
    client = app_for(project, inbox_path=str(project.project / "inbox-lapse.sqlite")).test_client()
    sign_in(client)
    assert "Signed in as" in client.get(PAGE).get_data(as_text=True)
    # 31 minutes later, as the signature's timestamp is checked against the clock (itsdangerous).
    later = int(time.time()) + 31 * 60
    monkeypatch.setattr(itsdangerous.timed.TimestampSigner, "get_timestamp", lambda self: later)
    html = client.get(PAGE).get_data(as_text=True)
    assert 'name="token"' in html and "Signed in as" not in html


def test_the_contributors_name_is_bounded(project) -> None:  # noqa: F811
    client = app_for(project, inbox_path=str(project.project / "inbox-name.sqlite")).test_client()
    response = client.post(
        "/contributions",
        query_string={"contributor": "x" * 201},
        data=(GOOD / "new-source-with-text.ttl").read_bytes(),
        content_type="text/turtle",
    )
    assert response.status_code == 400 and "at most 200" in response.get_data(as_text=True)


def test_the_token_is_one_shared_role_and_the_name_is_whatever_its_holder_types(project) -> None:  # noqa: F811
    """docs/contributions.md, "What the maintainer token means": the name is a label, not an identity."""
    app = app_for(project, inbox_path=str(project.project / "inbox-names.sqlite"), maintainer_name="the team")
    first, second, third = (app.test_client() for _ in range(3))
    ids = [submit(first, (GOOD / "new-claim.ttl").read_bytes() + f"\n# {n}\n".encode()) for n in range(3)]
    sign_in(first, name="Ayesha Siddiqa")
    sign_in(second, name="<b>Ayesha Siddiqa</b> " + "x" * 200)  # anyone with the token, any name
    assert "Signed in as <strong>&lt;b&gt;Ayesha Siddiqa&lt;/b&gt; xxx" in second.get(PAGE).get_data(
        as_text=True
    )
    reason = "a test of who decided"
    for client, entry_id in zip((first, second), ids, strict=False):
        response = client.post(
            f"{PAGE}/{entry_id}/reject", data={"csrf_token": csrf(client), "reason": reason}
        )
        assert response.status_code == 303
    api = third.post(
        f"/contributions/{ids[2]}/reject?reason=api", headers={"Authorization": f"Bearer {TOKEN}"}
    )
    assert api.status_code == 200
    decided = [
        first.get(f"/contributions/{i}", headers={"Accept": "application/json"}).get_json()["decided_by"]
        for i in ids
    ]
    assert decided == ["Ayesha Siddiqa", "<b>Ayesha Siddiqa</b> " + "x" * 78, "the team"]  # 100 characters
