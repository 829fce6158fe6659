"""Finding 1 of issue 11: a contribution's nx:textFile made the server read any file (existence, SHA-256
and a quote oracle leaked through POST /validate). Contributions cannot name a file now, and the project's
own nx:textFile is a bare name of a regular file of data/sources/ under max_source_bytes, read by the one
resolver both check engines use."""

from __future__ import annotations

import hashlib
import os
import re
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from check_oracle import source_texts as oracle_source_texts
from conftest import ROOT, make_app
from rdflib import Graph, Literal, URIRef

from nexus_ld.namespaces import NX
from nexus_ld.pipeline.checks import sparql as check_store

SOURCE = "https://w3id.org/nexus-ld/id/source/"
PREFIXES = """\
@prefix nx: <https://w3id.org/nexus-ld/ontology#> .
@prefix source: <https://w3id.org/nexus-ld/id/source/> .
@prefix claim: <https://w3id.org/nexus-ld/id/claim/> .
@prefix group: <https://w3id.org/nexus-ld/id/group/> .
@prefix agent: <https://w3id.org/nexus-ld/id/agent/> .
@prefix status: <https://w3id.org/nexus-ld/id/status/> .
@prefix arole: <https://w3id.org/nexus-ld/id/attribution-role/> .
@prefix prov: <http://www.w3.org/ns/prov#> .
@prefix oa: <http://www.w3.org/ns/oa#> .
@prefix rdf: <http://www.w3.org/1999/02/22-rdf-syntax-ns#> .
@prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .
@prefix xsd: <http://www.w3.org/2001/XMLSchema#> .
"""


def contribution(text_file: str, sha: str = "", exact: str = "root", end: int | None = None) -> bytes:
    """A new source naming ``text_file`` and a claim quoting ``exact`` at 0-len from it."""
    checksum = f'; nx:sha256 "{sha}"^^xsd:hexBinary ' if sha else ""
    end = len(exact) if end is None else end
    return (
        PREFIXES
        + f"""
source:leak a nx:Source ; rdfs:label "leak"@en ; nx:textFile "{text_file}" {checksum}.
claim:leak a nx:Claim ;
    rdf:subject group:ttp ; rdf:predicate nx:aim ; rdf:object "x"@en ;
    nx:about group:ttp ; nx:summary "x"@en ; nx:status status:reported-fact ;
    prov:wasAttributedTo agent:article-author ;
    prov:qualifiedAttribution [ a prov:Attribution ; prov:agent agent:article-author ;
                                prov:hadRole arole:author ] ;
    prov:wasDerivedFrom source:leak ;
    nx:evidence [ a oa:SpecificResource ; oa:hasSource source:leak ;
        oa:hasSelector [ a oa:TextQuoteSelector ; oa:exact {exact!r} ] ,
                       [ a oa:TextPositionSelector ; oa:start 0 ; oa:end {end} ] ] .
"""
    ).encode("utf-8")


@pytest.fixture(scope="module")
def client(built):
    return make_app(built, contribution_rate_per_minute=0).test_client()


def validate(client, body: bytes) -> dict:
    response = client.post("/validate", data=body, content_type="text/turtle")
    assert response.status_code == 200, response.text
    return response.get_json()["report"]


def messages(report: dict) -> list[str]:
    return sorted(r["message"] for r in report["results"])


PATHS = [
    "/etc/passwd",
    "../../pyproject.toml",
    "/proc/self/environ",
    "/no/such/file",
    "ttp-aq-isis-nexus.txt",
]


@pytest.mark.parametrize("path", PATHS)
def test_a_contribution_naming_a_file_is_refused_and_learns_nothing_of_it(client, path: str) -> None:
    body = contribution(path)
    report = validate(client, body)
    assert not report["conforms"]
    text = "\n".join(messages(report))
    assert "cannot set nx:textFile" in text and "schema:text" in text
    # Nothing tells whether the file exists, nor what it holds: no checksum, no "not found".
    assert "not found" not in text and "Checksum" not in text
    hexes = set(re.findall(r"[0-9a-f]{64}", str(report["results"])))
    assert hexes <= set(re.findall(r"[0-9a-f]{64}", body.decode())), hexes
    # The answer is the same, word for word, whatever file is named.
    assert messages(validate(client, contribution("/no/such/file"))) == messages(report)


def test_the_quote_check_is_no_oracle_on_a_named_file(client) -> None:
    target = ROOT / "pyproject.toml"
    raw = target.read_bytes()
    sha = hashlib.sha256(raw).hexdigest()
    head = raw[:9].decode()
    right = validate(client, contribution("../../pyproject.toml", sha, exact=head))
    wrong = validate(client, contribution("../../pyproject.toml", sha, exact="z" * 9))
    assert not any("Quote check" in m for m in messages(right) + messages(wrong))
    assert messages(right) == messages(wrong)


def test_a_contributions_own_text_is_still_checked_verbatim(client) -> None:
    good = (ROOT / "tests/data/contributions/good/new-source-with-text.ttl").read_bytes()
    assert validate(client, good)["conforms"]
    wrong = validate(client, good.replace(b"oa:start 12 ; oa:end 55", b"oa:start 11 ; oa:end 54"))
    assert "Quote check: the quote is not at offsets 11-54 (it occurs at 12-55)" in messages(wrong)


def test_a_published_source_is_still_the_text_quotes_are_checked_against(client) -> None:
    bad = (ROOT / "tests/data/contributions/bad/wrong-quote.ttl").read_bytes()
    assert any("not at offsets 2098-2204" in m for m in messages(validate(client, bad)))


# --- the project's own data: one resolver for both engines ---------------------------------------------


def sources_graph(names: dict[str, str]) -> Graph:
    graph = Graph()
    for slug, name in names.items():
        graph.add((URIRef(SOURCE + slug), NX.textFile, Literal(name)))
        graph.add((URIRef(SOURCE + slug), NX.sha256, Literal("0" * 64)))
    return graph


def both_engines(graph: Graph, folder: Path, max_bytes: int, tmp_path: Path) -> list[dict[str, str]]:
    """source -> message from the oracle's source_texts and from the check engine's."""
    slow = oracle_source_texts(graph, folder, max_bytes)[1]
    data = tmp_path / "sources.ttl"
    graph.serialize(data, format="turtle")
    fast = check_store.source_texts(check_store.check_store({"sources": [data]}), folder, max_bytes)[1]
    return [{str(r.focus).removeprefix(SOURCE): r.message for r in results} for results in (slow, fast)]


def test_project_source_names_must_be_bare_and_name_a_small_regular_file(tmp_path: Path) -> None:
    folder = tmp_path / "sources"
    folder.mkdir()
    secret = tmp_path / "secret.txt"
    secret.write_text("the maintainer token is hunter2")
    (folder / "big.txt").write_bytes(b"x" * 101)
    (folder / "link.txt").symlink_to(secret)
    (folder / "dir.txt").mkdir()
    names = {
        "absolute": str(secret),
        "parent": "../secret.txt",
        "hidden": ".secret",
        "nested": "dir.txt/x",
        "link": "link.txt",
        "folder": "dir.txt",
        "big": "big.txt",
    }
    for found in both_engines(sources_graph(names), folder, 100, tmp_path):
        assert sorted(found) == sorted(names)
        for slug in ("absolute", "parent", "hidden", "nested"):
            assert "must be a bare file name" in found[slug], found[slug]
        assert "not a regular file" in found["link"]
        assert "not a regular file" in found["folder"]
        assert "larger than 100 bytes (setting max_source_bytes)" in found["big"]
        text = "\n".join(found.values())
        assert str(tmp_path) not in text and "hunter2" not in text
        assert not re.search(r"[0-9a-f]{64}", text)


DEVICE_SCRIPT = """
import os, resource, sys
from pathlib import Path
from rdflib import Graph, Literal, URIRef
from nexus_ld.pipeline.checks import sparql as check_store
from nexus_ld.namespaces import NX

resource.setrlimit(resource.RLIMIT_AS, (2 << 30, 2 << 30))  # /dev/zero read whole: MemoryError
folder = Path(sys.argv[1])
(folder / "zero.txt").symlink_to("/dev/zero")
os.mkfifo(folder / "fifo.txt")  # opened for reading without O_NONBLOCK: waits for a writer forever
graph = Graph()
for name in ("zero.txt", "fifo.txt", "/dev/zero"):
    graph.add((URIRef("https://w3id.org/nexus-ld/id/source/" + name.strip("/")), NX.textFile, Literal(name)))
graph.serialize(folder.parent / "s.ttl", format="turtle")
store = check_store.check_store({"sources": [folder.parent / "s.ttl"]})
texts, results = check_store.source_texts(store, folder)  # the default cap (max_source_bytes)
assert not texts
print("\\n".join(sorted(r.message for r in results)))
"""


@pytest.mark.live
def test_devices_and_fifos_in_the_sources_folder_are_never_read(tmp_path: Path) -> None:
    folder = tmp_path / "sources"
    folder.mkdir()
    # The hard timeout is the failure condition: unguarded, the FIFO blocks and /dev/zero eats memory.
    done = subprocess.run(
        [sys.executable, "-c", textwrap.dedent(DEVICE_SCRIPT), str(folder)],
        capture_output=True,
        text=True,
        timeout=60,
        env={**os.environ, "PYTHONPATH": str(ROOT / "src")},
    )
    assert done.returncode == 0, done.stderr[-2000:]
    lines = done.stdout.splitlines()
    assert sum("not a regular file" in line for line in lines) == 2, lines
    assert sum("must be a bare file name" in line for line in lines) == 1, lines


def test_the_source_page_follows_no_symbolic_link_out_of_the_sources(built, tmp_path: Path) -> None:
    """A second layer: the page reads a source text as the checks do, so a link planted in the build's
    or the project's sources folder shows nothing of what it points to."""
    build = tmp_path / "build"
    shutil.copytree(built.build, build)
    project = tmp_path / "project"
    (project / "data" / "sources").mkdir(parents=True)
    secret = tmp_path / "secret.txt"
    secret.write_text("NEXUS_LD_MAINTAINER_TOKEN=hunter2")
    for folder in (build / "sources", project / "data" / "sources"):
        (folder / "ttp-aq-isis-nexus.txt").unlink(missing_ok=True)
        (folder / "ttp-aq-isis-nexus.txt").symlink_to(secret)
    client = make_app(built, build_dir=str(build), project_dir=str(project)).test_client()
    response = client.get("/doc/source/ttp-aq-isis-nexus", headers={"Accept": "text/html"})
    assert response.status_code == 200
    assert "hunter2" not in response.get_data(as_text=True)
