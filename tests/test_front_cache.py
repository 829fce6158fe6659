"""The caching front (issue 15): the README's production commands, nginx's configuration rendered with
``--cache-dir``, in front of gunicorn on loopback. A second GET is a cache HIT, a client's ETag gets a
304 from nginx, POSTs, errors and the inbox never come from the cache, and each format and encoding
asked is an entry of its own. Bounded: every request has a timeout and the processes stop after."""

from __future__ import annotations

import gzip
import time
from urllib.parse import urlencode

import pytest
import requests

from nexus_ld.config import Settings
from tests.conftest import free_port
from tests.security.front_attack import PREFIX, production, readme_commands

pytestmark = pytest.mark.live

SELECT = "SELECT ?label WHERE { group:ttp rdfs:label ?label }"


def cached_commands() -> list[str]:
    """The README's production commands, nginx's configuration with a cache under its prefix."""
    lines = []
    for line in readme_commands():
        if line.startswith("nexus-ld nginx-config"):
            command, _, target = line.partition(" > ")
            line = f"{command} --cache-dir {PREFIX}/cache > {target}"
        lines.append(line)
    assert any("--cache-dir" in line for line in lines), "the README has no nginx-config line"
    return lines


@pytest.fixture(scope="module")
def front(built: Settings, tmp_path_factory: pytest.TempPathFactory):
    inbox = tmp_path_factory.mktemp("inbox") / "contributions.sqlite"
    with production(built.build, cached_commands(), free_port, {"NEXUS_LD_INBOX_PATH": str(inbox)}) as run:
        yield run.url


def get(url: str, **headers: str) -> requests.Response:
    """A GET asking for no compression unless ``headers`` say otherwise (requests asks for gzip)."""
    return requests.get(url, headers={"Accept-Encoding": "identity"} | headers, timeout=30)


def test_a_second_get_is_a_cache_hit_and_an_etag_gets_a_304(front):
    for path in ("/doc/group/ttp", "/sparql?" + urlencode({"query": SELECT})):
        first = get(front + path, Accept="*/*")
        assert first.status_code == 200 and first.headers["X-Cache-Status"] == "MISS"
        second = get(front + path, Accept="*/*")
        assert second.headers["X-Cache-Status"] == "HIT", path
        assert second.content == first.content and second.headers["ETag"] == first.headers["ETag"]
        revalidated = get(front + path, Accept="*/*", **{"If-None-Match": first.headers["ETag"]})
        assert revalidated.status_code == 304 and revalidated.content == b""
        assert revalidated.headers["X-Cache-Status"] == "HIT"  # answered by nginx, not the app


def test_each_format_and_encoding_asked_is_its_own_entry(front):
    path = front + "/doc/group/jua"
    turtle = [get(path, Accept="text/turtle") for _ in range(2)]
    jsonld = [get(path, Accept="application/ld+json") for _ in range(2)]
    assert [r.headers["X-Cache-Status"] for r in turtle + jsonld] == ["MISS", "HIT", "MISS", "HIT"]
    assert turtle[1].headers["Content-Type"].startswith("text/turtle")
    assert jsonld[1].headers["Content-Type"] == "application/ld+json"
    assert turtle[1].headers["ETag"] != jsonld[1].headers["ETag"]
    assert "Content-Encoding" not in jsonld[1].headers
    raw = requests.get(
        path, headers={"Accept": "application/ld+json", "Accept-Encoding": "gzip"}, stream=True, timeout=30
    )
    packed = raw.raw.read()
    assert raw.headers["Content-Encoding"] == "gzip" and raw.headers["X-Cache-Status"] == "MISS"
    assert gzip.decompress(packed) == jsonld[1].content  # the identity entry was not sent compressed
    again = get(path, Accept="application/ld+json", **{"Accept-Encoding": "gzip"})
    assert again.headers["X-Cache-Status"] == "HIT" and again.headers["Content-Encoding"] == "gzip"


def post_as_a_patient_client(url: str) -> requests.Response:
    """POST the SELECT; on a 429 wait as Retry-After says and ask again (at most 3 times). Two POSTs
    in a row can meet the per-client in-flight cap while the first one's slot is still being released
    (a race of the cap, noted in the closing note of stop 18); the cache is what this test is about."""
    for _ in range(3):
        answer = requests.post(url, data={"query": SELECT}, headers={"Accept": "text/csv"}, timeout=30)
        if answer.status_code != 429:
            return answer
        time.sleep(min(float(answer.headers.get("Retry-After", "1")), 1.0))
    return answer


def test_posts_errors_and_the_inbox_never_come_from_the_cache(front):
    posts = [post_as_a_patient_client(front + "/sparql") for _ in range(2)]
    assert [p.status_code for p in posts] == [200, 200]
    assert "Tehrik-e-Taliban Pakistan" in posts[1].text
    assert all(p.headers.get("X-Cache-Status", "") != "HIT" for p in posts)
    for path in ("/doc/group/no-such-group", "/contribute", "/readyz"):
        answers = [get(front + path, Accept="text/html") for _ in range(2)]
        assert answers[1].headers.get("X-Cache-Status") in ("MISS", "BYPASS"), (path, answers[1].headers)
        assert answers[1].headers["Cache-Control"] == "no-store"
