"""Findings 5 and 6 of issue 11, the contribution items: content outside the model and javascript: IRIs
conformed, the inbox had no quota, a chunked body over max_body_bytes was cut and stored, and maintainer
tokens could be guessed at full speed."""

from __future__ import annotations

import http.client
import sqlite3
from collections.abc import Iterator
from pathlib import Path

import pytest
from conftest import ROOT, LiveServer, make_app

from tests.test_gunicorn import running_gunicorn

JSON = {"Accept": "application/json"}
GOOD = ROOT / "tests" / "data" / "contributions" / "good"
NEW_CLAIM = (GOOD / "new-claim.ttl").read_bytes()
PREFIXES = b"""@prefix nx: <https://w3id.org/nexus-ld/ontology#> .
@prefix group: <https://w3id.org/nexus-ld/id/group/> .
@prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .
@prefix x: <http://example.org/> .
"""


def variant(number: int) -> bytes:
    """The good new claim with other bytes (a comment): a distinct contribution for the inbox."""
    return NEW_CLAIM + f"\n# variant {number}\n".encode()


def rows(path: Path) -> int:
    with sqlite3.connect(path) as db:
        return db.execute("SELECT count(*) FROM contributions").fetchone()[0]


def report(response) -> dict:
    return response.get_json()["report"]


def messages(response) -> str:
    return "\n".join(r["message"] for r in report(response)["results"])


@pytest.fixture(scope="module")
def client(built):
    return make_app(built, contribution_rate_per_minute=0).test_client()


# --- a contribution says something in the model, with web IRIs only ----------------------------------


@pytest.mark.parametrize(
    "body, words",
    [
        (b"[] x:p [] .\n[] x:q [ x:r [] ] .\n", "says nothing in the nexus-ld model"),
        (b'<http://example.org/s> rdfs:label "junk" .\n', "says nothing in the nexus-ld model"),
        (b'[] a nx:Group ; rdfs:label "nobody"@en .\n', "no resource points to"),
        (b"group:ttp rdfs:seeAlso <javascript:alert(document.cookie)> .\n", "IRI scheme 'javascript'"),
        (b"<file:///etc/passwd> a nx:Group .\n", "IRI scheme 'file'"),
        (b'group:ttp rdfs:comment "x"^^<data:text/plain,hi> .\n', "IRI scheme 'data'"),
    ],
)
def test_content_outside_the_model_or_with_other_schemes_does_not_conform(client, body, words) -> None:
    dry = client.post("/validate", data=PREFIXES + body, content_type="text/turtle")
    assert dry.status_code == 200, dry.text
    assert report(dry)["conforms"] is False
    assert words in messages(dry)


def test_a_javascript_link_is_not_stored(built, tmp_path: Path) -> None:
    inbox = tmp_path / "inbox.sqlite"
    client = make_app(built, inbox_path=str(inbox), contribution_rate_per_minute=0).test_client()
    body = NEW_CLAIM + b"\n<https://w3id.org/nexus-ld/id/claim/contributed-x> "
    body += b"<http://www.w3.org/2000/01/rdf-schema#seeAlso> <javascript:alert(1)> .\n"
    response = client.post("/contributions", data=body, content_type="text/turtle")
    assert response.status_code == 422, response.text
    assert "IRI scheme 'javascript'" in messages(response)
    assert rows(inbox) == 0


@pytest.mark.parametrize(
    "triple",
    [
        b'claim:contributed-ttp-aims-to-overthrow-government nx:quote "overthrow the government" .\n',
        b"[] nx:year 2031 .\n",  # never pointed to: the blank-node rule finds it too
        b"group:ttp nx:reportedAsFact true .\n",
        # The truthy graph's plain edges (truthy-shortcuts.rq): stated outright, a fact no claim backs.
        b"group:ttp nx:alliedWith group:isis-k .\n",
        b"group:ttp <http://www.w3.org/ns/org#memberOf> group:isis-k .\n",
    ],
)
def test_a_shortcut_the_build_derives_is_refused_and_not_stored(built, tmp_path: Path, triple) -> None:
    """nx:quote, nx:year, nx:reportedAsFact and the truthy graph's shortcuts (nx:derivedAtBuild in the
    ontology) are the build's to derive: a contributed value could disagree with the evidence, instant or
    claims it restates."""
    inbox = tmp_path / "inbox.sqlite"
    client = make_app(built, inbox_path=str(inbox), contribution_rate_per_minute=0).test_client()
    body = NEW_CLAIM + b"\n@prefix group: <https://w3id.org/nexus-ld/id/group/> .\n" + triple
    response = client.post("/contributions", data=body, content_type="text/turtle", headers=JSON)
    assert response.status_code == 422, response.text
    assert "is derived at build time" in messages(response)
    assert rows(inbox) == 0
    without = client.post("/validate", data=NEW_CLAIM, content_type="text/turtle")
    assert "derived at build" not in messages(without)


# --- quotas of pending contributions --------------------------------------------------------------------


def test_pending_contributions_have_a_per_client_and_a_global_quota(built, tmp_path: Path) -> None:
    inbox = tmp_path / "inbox.sqlite"
    app = make_app(
        built,
        inbox_path=str(inbox),
        contribution_rate_per_minute=0,
        max_pending_per_client=2,
        max_pending_contributions=3,
        maintainer_token="s3cret-token",
    )
    client = app.test_client()

    def submit(number: int, address: str):
        return client.post(
            "/contributions",
            data=variant(number),
            content_type="text/turtle",
            headers=JSON,
            environ_base={"REMOTE_ADDR": address},
        )

    assert [submit(n, "127.0.0.2").status_code for n in (1, 2)] == [201, 201]
    third = submit(3, "127.0.0.2")
    assert third.status_code == 429
    assert "max_pending_per_client" in third.get_json()["error"]["message"]
    assert third.headers["Retry-After"]
    assert submit(4, "127.0.0.3").status_code == 201  # another client still may
    full = submit(5, "127.0.0.4")
    assert full.status_code == 507
    assert "max_pending_contributions" in full.get_json()["error"]["message"]
    assert rows(inbox) == 3
    # A decision makes room again (and forgets the address).
    with sqlite3.connect(inbox) as db:
        entry = db.execute("SELECT id FROM contributions WHERE client = '127.0.0.2' LIMIT 1").fetchone()[0]
    rejected = client.post(
        f"/contributions/{entry}/reject",
        data={"reason": "test"},
        headers={"Authorization": "Bearer s3cret-token", **JSON},
    )
    assert rejected.status_code == 200, rejected.text
    with sqlite3.connect(inbox) as db:
        assert db.execute("SELECT client FROM contributions WHERE id = ?", (entry,)).fetchone()[0] == ""
    assert submit(6, "127.0.0.2").status_code == 201


def test_pending_bytes_have_a_quota(built, tmp_path: Path) -> None:
    inbox = tmp_path / "inbox.sqlite"
    client = make_app(
        built,
        inbox_path=str(inbox),
        contribution_rate_per_minute=0,
        max_inbox_bytes=len(variant(1)) + 10,
    ).test_client()
    assert client.post("/contributions", data=variant(1), content_type="text/turtle").status_code == 201
    full = client.post("/contributions", data=variant(2), content_type="text/turtle", headers=JSON)
    assert full.status_code == 507
    assert "max_inbox_bytes" in full.get_json()["error"]["message"]
    assert rows(inbox) == 1


# --- chunked bodies over the limit ----------------------------------------------------------------------


@pytest.fixture(scope="module")
def small_server(built, tmp_path_factory) -> Iterator[LiveServer]:
    inbox = tmp_path_factory.mktemp("chunked") / "inbox.sqlite"
    app = make_app(built, inbox_path=str(inbox), contribution_rate_per_minute=0, max_body_bytes=20_000)
    with LiveServer(app) as server:
        server.inbox = inbox
        yield server


def post_chunked(port: int, path: str, body: bytes) -> tuple[int, str]:
    """POST ``body`` with Transfer-Encoding: chunked (no Content-Length), in 4 kB chunks."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    chunks = (body[i : i + 4096] for i in range(0, len(body), 4096))
    try:
        conn.request(
            "POST",
            path,
            body=chunks,
            headers={"Content-Type": "text/turtle", "Accept": "application/json"},
            encode_chunked=True,
        )
    except (BrokenPipeError, ConnectionResetError):
        pass  # the server answered before reading everything
    response = conn.getresponse()
    text = response.read().decode()
    conn.close()
    return response.status, text


OVER_LIMIT = NEW_CLAIM + b"# padding padding padding padding\n" * 1_000  # cut, it would still parse


@pytest.mark.live
def test_a_chunked_body_over_the_limit_is_413_and_not_stored(small_server) -> None:
    assert len(OVER_LIMIT) > 20_000
    status, text = post_chunked(small_server.port, "/contributions", OVER_LIMIT)
    assert status == 413, text[:300]
    assert "max_body_bytes" in text
    assert rows(small_server.inbox) == 0
    status, text = post_chunked(small_server.port, "/validate", OVER_LIMIT)
    assert status == 413, text[:300]
    # Under the limit, chunked works as before.
    status, text = post_chunked(small_server.port, "/validate", NEW_CLAIM)
    assert status == 200, text[:300]


@pytest.mark.live
def test_a_chunked_body_over_the_limit_is_413_under_gunicorn(built, tmp_path_factory) -> None:
    with running_gunicorn(built, tmp_path_factory, MAX_BODY_BYTES="20000") as (url, _):
        port = int(url.rsplit(":", 1)[1])
        status, text = post_chunked(port, "/validate", OVER_LIMIT)
        assert status == 413, text[:300]
        status, text = post_chunked(port, "/validate", NEW_CLAIM)
        assert status == 200, text[:300]


# --- guessing the maintainer token ----------------------------------------------------------------------


def test_wrong_maintainer_tokens_are_rate_limited_per_client(built, tmp_path: Path) -> None:
    app = make_app(
        built,
        inbox_path=str(tmp_path / "inbox.sqlite"),
        maintainer_token="the-right-token",
        maintainer_token_failures_per_minute=5,
    )
    client = app.test_client()

    def accept(token: str, address: str = "127.0.0.5"):
        return client.post(
            "/contributions/20260101-00000000/accept",
            headers={"Authorization": f"Bearer {token}", **JSON},
            environ_base={"REMOTE_ADDR": address},
        )

    assert [accept(f"guess-{n}").status_code for n in range(5)] == [401] * 5
    limited = accept("guess-5")
    assert limited.status_code == 429
    assert "maintainer_token_failures_per_minute" in limited.get_json()["error"]["message"]
    assert int(limited.headers["Retry-After"]) >= 1
    # Past the limit even the right token gets 429 from that client: no oracle at any speed.
    assert accept("the-right-token").status_code == 429
    # Another client with the right token passes (no such contribution: 404).
    assert accept("the-right-token", "127.0.0.6").status_code == 404
