"""Pages link only to http(s) IRIs: a ``javascript:`` or ``data:`` IRI in the data (an accepted
contribution could carry one) is shown as text, never as a clickable ``href`` (issue 11, finding 5)."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pyoxigraph as ox
import pytest

from nexus_ld.config import Settings
from nexus_ld.namespaces import graph_iri
from nexus_ld.store.embedded import STORE_DIR
from nexus_ld.urls import Urls
from tests.conftest import make_app

BASE = "https://w3id.org/nexus-ld/"
TTP = ox.NamedNode(BASE + "id/group/ttp")
SCRIPT = "javascript:alert(1)"
DATA = "data:text/html,%3Cscript%3Ealert(2)%3C/script%3E"
SEE_ALSO = ox.NamedNode("http://www.w3.org/2000/01/rdf-schema#seeAlso")
TYPE = ox.NamedNode("http://www.w3.org/1999/02/22-rdf-syntax-ns#type")
LEADS = ox.NamedNode(BASE + "ontology#leaderOf")


@pytest.fixture(scope="module")
def hostile_app(built: Settings, tmp_path_factory: pytest.TempPathFactory):
    """The app on a copy of the session build whose data graph names TTP with hostile IRIs: as a
    property value, as a type, and as the subject of an incoming link."""
    folder = tmp_path_factory.mktemp("hostile") / "build"
    shutil.copytree(built.build, folder)
    store = ox.Store(str(Path(folder) / STORE_DIR))
    data = ox.NamedNode(graph_iri("data", BASE))
    for quad in (
        ox.Quad(TTP, SEE_ALSO, ox.NamedNode(SCRIPT), data),
        ox.Quad(TTP, SEE_ALSO, ox.NamedNode("JavaScript:alert(3)"), data),
        ox.Quad(TTP, TYPE, ox.NamedNode(DATA), data),
        ox.Quad(ox.NamedNode(SCRIPT), LEADS, TTP, data),
    ):
        store.add(quad)
    store.flush()
    del store  # the app opens it read-only
    return make_app(built, build_dir=str(folder))


def test_iris_of_other_schemes_are_shown_as_text_not_links(hostile_app):
    page = hostile_app.test_client().get("/doc/group/ttp", headers={"Accept": "text/html"})
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    links = re.findall(r"""<a\b[^>]*?\bhref\s*=\s*["']?([^"'\s>]*)""", html, re.I)
    assert len(links) > 20, "the page links to things"
    assert not [h for h in links if not h.startswith(("/", "#", "http://", "https://"))], links
    assert not re.search(r"href\s*=\s*[\"']?\s*(javascript|data:text)", html, re.I)
    # The IRIs are still there, as text.
    assert "javascript:alert(1)" in html and "JavaScript:alert(3)" in html
    assert "data:text/html," in html
    # The incoming link from the hostile subject is listed, unlinked.
    assert re.search(r'<span class="iri-text"[^>]*>javascript:alert\(1\)</span>', html)


def test_the_rdf_keeps_the_iris_as_they_are(hostile_app):
    # Only the pages withhold links; the data itself is published unchanged.
    turtle = hostile_app.test_client().get("/doc/group/ttp.nt").get_data(as_text=True)
    assert f"<{SCRIPT}>" in turtle


@pytest.mark.parametrize(
    ("iri", "href"),
    [
        (BASE + "id/group/ttp", "/doc/group/ttp"),
        ("https://example.org/x", "https://example.org/x"),
        ("HTTP://example.org/x", "HTTP://example.org/x"),
        (SCRIPT, None),
        ("JavaScript:alert(3)", None),
        (DATA, None),
        ("urn:isbn:0451450523", None),
        ("mailto:someone@example.org", None),
    ],
)
def test_the_one_url_builder_links_only_web_iris(iri: str, href: str | None):
    # Pages and /network.json (its `href` fields, null here) take their links from Urls.href.
    assert Urls(BASE).href(iri) == href
    assert (Urls(BASE).quote(iri, 1, 2) is None) == (href is None)
