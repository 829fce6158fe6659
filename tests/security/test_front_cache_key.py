"""Attacks on the caching front's key (issue 15): nginx writes the key (the URI, Accept and
Accept-Encoding) into the buffer of the answer's headers, so a client that makes the key long could make
nginx answer 502 ("upstream sent too big header") or fill the cache with entries of its choosing. An
Accept and Accept-Encoding longer than 2 KB together are left out of the key and skip the cache. The
README's production commands with ``--cache-dir``, on loopback; every request has a timeout."""

from __future__ import annotations

from urllib.parse import urlencode

import pytest
import requests

from nexus_ld.config import Settings
from tests.conftest import free_port
from tests.security.front_attack import cached_commands, production

pytestmark = pytest.mark.live

SELECT = "SELECT ?label WHERE { group:ttp rdfs:label ?label }"


@pytest.fixture(scope="module")
def front(built: Settings, tmp_path_factory: pytest.TempPathFactory):
    inbox = tmp_path_factory.mktemp("inbox") / "contributions.sqlite"
    settings = {"NEXUS_LD_INBOX_PATH": str(inbox), "NEXUS_LD_MAX_INFLIGHT_PER_CLIENT": "4"}
    with production(built.build, cached_commands(), free_port, settings) as run:
        yield run.url


def test_an_overlong_accept_is_answered_and_never_stored(front):
    """Without the fix the key of a long query and a long Accept no longer fitted beside the headers:
    a 502 for a request any client can send."""
    path = front + "/sparql?" + urlencode({"query": SELECT + "\n# " + "x" * 3_000})
    accept = "application/sparql-results+json, " + ", ".join(f"text/x-{i};q=0.1" for i in range(300))
    assert 2_048 < len(accept) < 8_190
    headers = {"Accept": accept, "Accept-Encoding": "identity"}
    answers = [requests.get(path, headers=headers, timeout=30) for _ in range(3)]
    assert [a.status_code for a in answers] == [200] * 3, answers[0].text[:300]
    assert [a.headers["X-Cache-Status"] for a in answers] == ["BYPASS"] * 3  # no entry, however often
    assert answers[2].headers["Content-Type"].startswith("application/sparql-results+json")
    assert "Tehrik-e-Taliban Pakistan" in answers[2].text
