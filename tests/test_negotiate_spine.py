"""One negotiation for every view (web/negotiate.py ``choose``): the contribution endpoints answer the
form the Accept header asks for, browsers get HTML, ``*/*`` gets the documented default (JSON), and
every answer chosen so says ``Vary: Accept``."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest
from contributions_support import BAD, GOOD
from rdflib import Graph, URIRef
from rdflib.namespace import RDF

from nexus_ld.config import Settings, load_settings
from nexus_ld.web.app import create_app

FIREFOX = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"
CHROMIUM = (
    "text/html,application/xhtml+xml,application/xml;q=0.9,image/avif,image/webp,image/apng,*/*;q=0.8,"
    "application/signed-exchange;v=b3;q=0.7"
)
CURL = "*/*"
SH = "http://www.w3.org/ns/shacl#"
WEB = Path(__file__).resolve().parents[1] / "src" / "nexus_ld" / "web"


@pytest.fixture()
def client(bundled: Settings, tmp_path: Path):
    settings = load_settings(
        dict(bundled.values) | {"inbox_path": str(tmp_path / "inbox.sqlite")}, environ={}
    )
    app = create_app(settings)
    app.config["TESTING"] = True
    return app.test_client()


def _validate(client, name: str, accept: str):
    body = (BAD / name).read_bytes() if (BAD / name).exists() else (GOOD / name).read_bytes()
    return client.post("/validate", data=body, content_type="text/turtle", headers={"Accept": accept})


def _a_bad_file() -> str:
    return sorted(p.name for p in BAD.glob("*.ttl"))[0]


def test_validate_answers_text_to_text_plain(client) -> None:
    response = _validate(client, _a_bad_file(), "text/plain")
    assert response.mimetype == "text/plain", response.get_data(as_text=True)[:300]
    text = response.get_data(as_text=True)
    assert "contribution" in text and not text.lstrip().startswith("{")
    assert "Accept" in response.headers["Vary"]


def test_validate_answers_the_shacl_report_in_turtle_to_text_turtle(client) -> None:
    response = _validate(client, _a_bad_file(), "text/turtle")
    assert response.mimetype == "text/turtle", response.get_data(as_text=True)[:300]
    graph = Graph().parse(data=response.get_data(as_text=True), format="turtle")
    reports = list(graph.subjects(RDF.type, URIRef(SH + "ValidationReport")))
    assert len(reports) == 1 and list(graph.objects(reports[0], URIRef(SH + "result")))
    assert "Accept" in response.headers["Vary"]


@pytest.mark.parametrize("accept", [CURL, "application/json", ""])
def test_validate_answers_json_by_default(client, accept: str) -> None:
    response = _validate(client, "new-claim.ttl", accept)
    assert response.mimetype == "application/json"
    assert response.get_json()["report"]["conforms"] is True
    assert "Accept" in response.headers["Vary"]


def test_contribution_status_is_html_for_firefox_and_chromium_and_json_for_curl(client) -> None:
    submitted = client.post(
        "/contributions", data=(GOOD / "new-claim.ttl").read_bytes(), content_type="text/turtle"
    )
    assert submitted.status_code == 201, submitted.get_data(as_text=True)
    path = submitted.headers["Location"]
    for browser in (FIREFOX, CHROMIUM, "text/html"):
        page = client.get(path, headers={"Accept": browser})
        assert page.status_code == 200 and page.mimetype == "text/html", browser
        assert submitted.get_json()["id"] in page.get_data(as_text=True)
        assert "Accept" in page.headers["Vary"]
    for machine in (CURL, "application/json", ""):
        answer = client.get(path, headers={"Accept": machine})
        assert answer.mimetype == "application/json", machine
        assert answer.get_json()["id"] == submitted.get_json()["id"]
        assert "Accept" in answer.headers["Vary"]


def test_errors_of_machine_endpoints_follow_the_same_negotiation(client) -> None:
    missing = "/contributions/no-such-entry"
    assert client.get(missing, headers={"Accept": FIREFOX}).mimetype == "text/html"
    assert client.get(missing, headers={"Accept": "text/html"}).mimetype == "text/html"
    assert client.get(missing, headers={"Accept": CURL}).mimetype == "text/plain"
    error = client.get(missing, headers={"Accept": "application/json"})
    assert error.status_code == 404 and error.get_json()["error"]["status"] == 404
    assert client.get(missing, headers={"Accept": "image/png"}).mimetype == "text/plain"


def test_no_view_reads_the_accept_header_itself() -> None:
    """Only web/negotiate.py reads Accept (``accept_mimetypes`` or the header); views call ``choose``."""
    readers = []
    for path in WEB.rglob("*.py"):
        if path.name == "negotiate.py":
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Attribute) and node.attr == "accept_mimetypes":
                readers.append(f"{path.name}:{node.lineno}")
            if isinstance(node, ast.Constant) and node.value == "Accept" and _is_header_read(node, path):
                readers.append(f"{path.name}:{node.lineno}")
    assert readers == []


def _is_header_read(node: ast.Constant, path: Path) -> bool:
    """``request.headers.get("Accept")`` / ``request.headers["Accept"]`` (not ``Vary: Accept``)."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    for parent in ast.walk(tree):
        if isinstance(parent, ast.Call) and node in parent.args:
            func = parent.func
            return isinstance(func, ast.Attribute) and func.attr == "get" and _headers(func.value)
        if isinstance(parent, ast.Subscript) and parent.slice is node:
            return _headers(parent.value)
    return False


def _headers(node: ast.expr) -> bool:
    return isinstance(node, ast.Attribute) and node.attr == "headers" and isinstance(node.value, ast.Name)
