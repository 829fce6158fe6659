"""A pending source's text at /compose/pending/<id> (and on the claim form made from it) is unreviewed
text that anyone with the contribution id can read: the id cannot be guessed (128 random bits; ids of
32 bits, made before, still resolve), the answer is kept by no cache, no search engine and no Referer,
and hostile HTML or script in the text or the title is shown as text."""

from __future__ import annotations

import re
import sqlite3

import pytest
from conftest import make_app

from nexus_ld.contributions.inbox import new_id

JSON = {"Accept": "application/json"}
HOSTILE = (
    "The Foo Front was founded in 1999.\n"
    '<script>window.__ran = 1</script><img src=x onerror="alert(1)">'
    '</div><a href="javascript:alert(2)">read more</a>\n'
    "It is alleged that Baz funds it."
)
TITLE = "<script>alert('title')</script> A pending report"
PRIVATE = {"Cache-Control": "no-store", "X-Robots-Tag": "noindex", "Referrer-Policy": "no-referrer"}


@pytest.fixture(scope="module")
def inbox_path(tmp_path_factory):
    return tmp_path_factory.mktemp("pending-inbox") / "contributions.sqlite"


@pytest.fixture(scope="module")
def client(bundled, inbox_path):
    return make_app(bundled, inbox_path=str(inbox_path)).test_client()


@pytest.fixture(scope="module")
def pending(client) -> str:
    fields = {"text": HOSTILE, "title": TITLE, "author": "Jane <b>Doe</b>", "action": "submit"}
    created = client.post("/compose/source", data=fields, headers=JSON)
    assert created.status_code == 201, created.json
    return created.json["id"]


def test_new_ids_carry_128_random_bits(pending) -> None:
    assert re.fullmatch(r"\d{8}-[0-9a-f]{32}", pending), pending
    made = {new_id() for _ in range(1000)}
    assert len(made) == 1000 and all(re.fullmatch(r"\d{8}-[0-9a-f]{32}", i) for i in made)


@pytest.mark.parametrize("page", ["/compose/pending/{id}", "/compose/claim?pending={id}"])
def test_the_pending_text_is_private_and_escaped(client, pending, page) -> None:
    response = client.get(page.format(id=pending), headers={"Accept": "text/html"})
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    for name, value in PRIVATE.items():
        assert response.headers[name] == value, name
    # The words are there, as text: no element of the contributor's makes it into the page.
    assert "It is alleged that Baz funds it." in html
    assert "&lt;script&gt;window.__ran = 1&lt;/script&gt;&lt;img src=x onerror=" in html
    for raw in ("<script>window.__ran", "<img src=x", 'href="javascript:', "<script>alert("):
        assert raw not in html, raw
    if page.startswith("/compose/pending"):
        assert "&lt;script&gt;alert(&#39;title&#39;)&lt;/script&gt; A pending report" in html


def test_an_unknown_id_is_a_404_that_is_private_too(client) -> None:
    response = client.get(f"/compose/pending/{new_id()}", headers=JSON)
    assert response.status_code == 404 and "no contribution" in response.get_json()["error"]["message"]
    for name, value in PRIVATE.items():
        assert response.headers[name] == value, name


def test_an_id_of_32_bits_made_before_still_resolves(client, pending, inbox_path) -> None:
    text = HOSTILE.replace("1999", "2001")  # another body: the inbox refuses the same bytes twice
    fields = {"text": text, "title": "An older report", "action": "submit"}
    created = client.post("/compose/source", data=fields, headers=JSON)
    assert created.status_code == 201, created.json
    old = "20250101-1a2b3c4d"  # as the inbox named contributions before
    with sqlite3.connect(inbox_path) as db:
        db.execute("UPDATE contributions SET id = ? WHERE id = ?", (old, created.json["id"]))
    response = client.get(f"/compose/pending/{old}", headers={"Accept": "text/html"})
    assert response.status_code == 200 and "founded in 2001" in response.get_data(as_text=True)
    assert client.get(f"/contributions/{old}", headers=JSON).get_json()["status"] == "pending"
