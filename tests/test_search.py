"""/search and the FTS5 index the build writes: real build, real index, the app's own client."""

from __future__ import annotations

import json
import re
import shutil

import pytest
from click.testing import CliRunner

from nexus_ld.cli import main
from nexus_ld.errors import StoreUnavailable
from nexus_ld.pipeline.publish.releases import served_folder
from nexus_ld.pipeline.publish.search import INDEX_FILE, Hit, index_release, plain_query, search, segments
from nexus_ld.web.views.search import highlighted
from tests.conftest import make_app

TTP = "https://w3id.org/nexus-ld/id/group/ttp"


def _json(client, **params):
    response = client.get("/search", query_string=params, headers={"Accept": "application/json"})
    return response, response.get_json()


@pytest.fixture(scope="module")
def a_quote(store):
    """A real quoted passage, its claim and status, and a word of it that is rare in the index."""
    rows = store.query(
        "PREFIX oa: <http://www.w3.org/ns/oa#> SELECT ?claim ?exact ?status WHERE { GRAPH graph:data {"
        " ?claim a nx:Claim ; nx:status ?status ; nx:evidence/oa:hasSelector/oa:exact ?exact } }"
        " ORDER BY DESC(STRLEN(?exact)) ?claim LIMIT 1"
    )
    row = next(iter(rows))
    return row["claim"].value, row["exact"].value, row["status"].value


def test_build_writes_an_index_for_its_release(built):
    release = json.loads((built.build / "release.json").read_text())["release"]
    assert (built.build / INDEX_FILE).is_file()
    assert index_release(built.build / INDEX_FILE) == release


def test_a_name_finds_the_group_first_with_its_local_path_and_type(client, store):
    response, body = _json(client, q="TTP")
    assert response.status_code == 200
    first = body["hits"][0]
    assert first["iri"] == TTP and first["path"] == "/id/group/ttp" and first["page"] == "/doc/group/ttp"
    assert first["kind"] == "altLabel" and first["text"] == "TTP"
    asserted = {r["t"].value for r in store.query("SELECT ?t WHERE { GRAPH graph:data { group:ttp a ?t } }")}
    assert {store.prefixes["nx"] + t[3:] for t in first["types"]} == asserted
    assert first["segments"] == [{"text": "TTP", "match": True}]
    assert first["html"] == "<mark>TTP</mark>"
    assert body["total"] > 20 and body["next"] == "/search?q=TTP&limit=20&offset=20&format=json"


def test_alternative_labels_and_words_in_any_order(client):
    _, body = _json(client, q="pakistan taliban", kind="altLabel")
    assert TTP in {h["iri"] for h in body["hits"]}
    assert all(h["kind"] == "altLabel" for h in body["hits"])


def test_a_quote_hit_names_its_claim_and_status(client, a_quote):
    claim, exact, status = a_quote
    words = re.findall(r"[A-Za-z]{6,}", exact)[:4]
    _, body = _json(client, q=" ".join(words), kind="quote")
    hit = next(h for h in body["hits"] if h["claim"] == claim)
    assert hit["kind"] == "quote" and hit["status"] == status and hit["status_label"]
    assert hit["path"] == "/id/claim/" + claim.rsplit("/", 1)[-1]
    assert "nx:Claim" in hit["types"]
    assert {s["text"].lower() for s in hit["segments"] if s["match"]} >= {w.lower() for w in words}


def test_claim_summaries_are_searched(client, store):
    row = next(
        iter(store.query("SELECT ?c ?s WHERE { GRAPH graph:data { ?c nx:summary ?s } } ORDER BY ?c LIMIT 1"))
    )
    _, body = _json(client, q=f'"{row["s"].value}"', kind="claim")
    assert body["hits"][0]["claim"] == row["c"].value and body["hits"][0]["text"] == row["s"].value


@pytest.mark.parametrize(
    "q", ['"unbalanced', "AND", "NOT", "NEAR(", "kind:label", "*", "^", ")(", "a OR", '"', "--", "ttp)"]
)
def test_fts5_syntax_errors_are_searched_as_plain_words(client, q):
    response, body = _json(client, q=q)
    assert response.status_code == 200
    assert body["query"] == q and isinstance(body["total"], int)


@pytest.mark.parametrize("q", ['"ttp', "ttp)", "(ttp", "ttp AND", 'ttp "'])
def test_broken_syntax_still_finds_the_words(client, q):
    _, body = _json(client, q=q)
    assert body["total"] > 0
    for hit in body["hits"]:
        assert "ttp" in {s["text"].lower() for s in hit["segments"] if s["match"]}


def test_plain_query_always_parses():
    assert plain_query('"unbalanced ttp)') == '"unbalanced" "ttp"'
    assert plain_query("al-Qaeda -- ! O'Neil") == '"al-Qaeda" "O\'Neil"'


def test_a_hyphenated_name_is_found_as_a_phrase(client):
    _, body = _json(client, q="al-Qaeda")
    first = body["hits"][0]
    assert first["text"].lower().replace("-", " ") == "al qaeda" and first["path"] == "/id/group/al-qaeda"


def test_paging(client):
    _, first = _json(client, q="taliban", limit=5)
    _, second = _json(client, q="taliban", limit=5, offset=5)
    assert first["total"] == second["total"] > 10
    assert len(first["hits"]) == len(second["hits"]) == 5
    key = lambda h: (h["iri"], h["kind"], h["text"])  # noqa: E731
    assert not {key(h) for h in first["hits"]} & {key(h) for h in second["hits"]}
    assert second["previous"] == "/search?q=taliban&limit=5&format=json"


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({"q": "ttp", "limit": "0"}, "limit must be between 1 and 100"),
        ({"q": "ttp", "limit": "many"}, "limit must be a whole number"),
        ({"q": "ttp", "offset": "-1"}, "offset must be a whole number"),
        ({"q": "ttp", "kind": "bogus"}, "kind must be one of label, altLabel, claim, quote"),
        ({"q": "x" * 501}, "at most 500 are accepted"),
        ({"q": "  "}, "give the words to search for"),
    ],
)
def test_bad_parameters_get_a_400_with_a_message(client, params, message):
    response, body = _json(client, **params)
    assert response.status_code == 400
    assert message in body["error"]["message"]


def test_html_page_marks_matches_and_escapes_the_query(client):
    response = client.get("/search", query_string={"q": "<script>alert(1)</script> TTP"})
    assert response.status_code == 200 and response.mimetype == "text/html"
    page = response.get_data(as_text=True)
    assert "<script>alert(1)" not in page and "&lt;script&gt;alert(1)&lt;/script&gt; TTP" in page
    response = client.get("/search?q=TTP")
    page = response.get_data(as_text=True)
    assert '<a class="hit-link" href="/doc/group/ttp">' in page and "<mark>TTP</mark>" in page
    assert 'rel="alternate"; type="application/json"' in response.headers["Link"]


def test_html_without_query_is_the_form_and_json_is_negotiated(client):
    page = client.get("/search").get_data(as_text=True)
    assert '<input type="search" name="q"' in page and 'class="hits"' not in page
    assert client.get("/search?q=ttp&format=json").get_json()["total"] > 0
    response = client.get("/search?q=ttp", headers={"Accept": "image/png"})
    assert response.status_code == 406 and "application/json" in response.get_data(as_text=True)


def test_highlight_escapes_the_text_around_and_inside_matches():
    hit = Hit("x", "quote", "", (("<b>&", False), ("<i>", True)), "l", ())
    assert str(highlighted(hit)) == "&lt;b&gt;&amp;<mark>&lt;i&gt;</mark>"
    assert segments("a \x02b\x03 c") == (("a ", False), ("b", True), (" c", False))


def test_no_index_is_a_503_naming_the_fix(built, tmp_path):
    with pytest.raises(StoreUnavailable, match="run `nexus-ld build`"):
        search(tmp_path / INDEX_FILE, "ttp")
    # A build without its index: a copy of the served release, the index removed.
    shutil.copytree(served_folder(built.build), tmp_path / "build")
    (tmp_path / "build" / INDEX_FILE).unlink()
    app = make_app(built, build_dir=str(tmp_path / "build"))
    response = app.test_client().get("/search?q=ttp", headers={"Accept": "application/json"})
    assert response.status_code == 503 and "nexus-ld build" in response.get_json()["error"]["message"]


def test_cli_search(built):
    result = CliRunner().invoke(main, ["--setting", "build_dir", str(built.build), "search", "TTP", "--json"])
    assert result.exit_code == 0, result.output
    body = json.loads(result.stdout)
    assert body["hits"][0]["iri"] == TTP and body["hits"][0]["segments"] == [["TTP", True]]
    result = CliRunner().invoke(
        main, ["--setting", "build_dir", str(built.build), "search", "TTP", "--limit", "2"]
    )
    assert "[TTP]" in result.stdout and TTP in result.stdout
