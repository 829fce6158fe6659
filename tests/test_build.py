"""The build: named graphs, the truthy graph's honesty, determinism, and failure that keeps the last build."""

import gzip
import json
from pathlib import Path

import pyoxigraph as ox
import pytest
from check_oracle import check_truthy, truthy_graph
from conftest import QUICK_BUILD, copy_project
from rdflib.namespace import ORG

from nexus_ld.config import load_settings
from nexus_ld.errors import BuildError, InputError
from nexus_ld.namespaces import NX
from nexus_ld.pipeline.build import build
from nexus_ld.pipeline.load import load_project
from nexus_ld.store.embedded import Store


def test_every_named_graph_is_filled(store):
    counts = store.release["graphs"]
    assert set(counts) == {"ontology", "data", "sources", "truthy", "inferred"}
    assert all(n > 0 for n in counts.values()), counts


def test_truthy_graph_holds_reported_facts(store):
    # TTP was founded in 2007 (reported fact) -> the founding event is in the truthy graph.
    founded = store.query(
        "ASK { GRAPH graph:truthy {"
        " ?e w3org:resultingOrganization group:ttp ; time:hasTime/time:inXSDgYear ?y } }"
    )
    assert bool(founded)


def test_truthy_graph_has_no_claim_and_nothing_only_alleged(store, project_dir: Path):
    assert not bool(store.query("ASK { GRAPH graph:truthy { ?c a nx:Claim } }"))
    assert not bool(store.query("ASK { GRAPH graph:truthy { ?c nx:status ?s } }"))
    project = load_project(project_dir)
    report = check_truthy(truthy_graph(store), project.data, project.ontology, project.shapes)
    assert report.conforms, report.text
    # RAW's funding of TTP is only alleged: neither the relationship nor its edge is a fact.
    assert not bool(store.query("ASK { GRAPH graph:truthy { org:raw ?p group:ttp } }"))
    assert not bool(store.query("ASK { GRAPH graph:truthy { ?rel nx:fromAgent org:raw } }"))


def test_years_are_derived_for_every_instant(store):
    missing = store.query(
        "ASK { GRAPH graph:data { ?i time:inXSDgYear|time:inXSDgYearMonth|time:inXSDDate ?v }"
        " FILTER NOT EXISTS { GRAPH graph:inferred { ?i nx:year ?y } } }"
    )
    assert not bool(missing)


def test_quotes_are_derived_for_every_claim_from_its_evidence(store):
    """nx:quote restates nx:evidence/oa:hasSelector/oa:exact: the same (claim, words) pairs, no more."""
    words = "nx:evidence/oa:hasSelector/oa:exact"
    path = f"SELECT ?c ?q WHERE {{ GRAPH graph:data {{ ?c a nx:Claim ; {words} ?q }} }}"
    shortcut = "SELECT ?c ?q WHERE { GRAPH graph:inferred { ?c nx:quote ?q } }"
    pairs = {(r["c"], r["q"]) for r in store.query(path)}
    assert len(pairs) > 250  # every claim of the article has its words
    assert {(r["c"], r["q"]) for r in store.query(shortcut)} == pairs
    # Only in the inferred graph: the data never states it (the check refuses it, test_check.py).
    assert not bool(store.query("ASK { GRAPH ?g { ?c nx:quote ?q } FILTER(?g != graph:inferred) }"))


def test_the_ontology_marks_each_derived_property(store):
    """nx:derivedAtBuild true on the properties derive-*.rq write, each found in the inferred graph, and
    on the truthy graph's shortcuts (truthy-shortcuts.rq: each relationship class's nx:shortcut,
    org:memberOf, org:headOf); none ever in the data graph."""
    query = "SELECT ?p WHERE { GRAPH graph:ontology { ?p nx:derivedAtBuild true } }"
    marked = {r["p"].value for r in store.query(query)}
    derived = {
        str(p) for p in (NX.year, NX.reportedAsFact, NX.quote, NX.firstYear, NX.lastYear, NX.startDate)
    }
    shortcuts = "SELECT ?p WHERE { GRAPH graph:ontology { ?class nx:shortcut ?p } }"
    truthy = {r["p"].value for r in store.query(shortcuts)} | {str(ORG.memberOf), str(ORG.headOf)}
    assert len(truthy) > 10 and marked == derived | truthy
    # Not every kind of relationship is reported as fact in the bundled data: these three are.
    for prop, graph in [(p, "inferred") for p in derived] + [
        (str(p), "truthy") for p in (NX.alliedWith, ORG.memberOf, ORG.headOf)
    ]:
        assert bool(store.query(f"ASK {{ GRAPH graph:{graph} {{ ?s <{prop}> ?o }} }}")), prop
    for prop in marked:
        assert not bool(store.query(f"ASK {{ GRAPH graph:data {{ ?s <{prop}> ?o }} }}")), prop


def test_owl_rl_entailments_are_in_the_inferred_graph(store):
    assert bool(store.query("ASK { GRAPH graph:inferred { group:ttp a w3org:Organization } }"))


def test_same_input_gives_the_same_release_and_graphs(built, tmp_path):
    again = load_settings(dict(built.values) | {"build_dir": str(tmp_path / "b")}, environ={})
    result = build(again)
    first = json.loads((built.build / "release.json").read_text())
    assert result.release["release"] == first["release"]
    assert result.release["graphs"] == first["graphs"]
    dump = next(d["file"] for d in first["dumps"] if d["format"] == "nquads")

    def canonical(folder: Path) -> ox.Dataset:
        # pyoxigraph's RDF canonicalization (RDFC-1.0) names blank nodes by the graph's shape: two
        # isomorphic datasets become equal (rdflib's isomorphic took 195 s on these graphs).
        dataset = ox.Dataset(
            ox.parse(gzip.decompress((folder / "dumps" / dump).read_bytes()), ox.RdfFormat.N_QUADS)
        )
        dataset.canonicalize(ox.CanonicalizationAlgorithm.RDFC_1_0)
        return dataset

    a, b = canonical(built.build), canonical(tmp_path / "b")
    assert len(a) == len(b) == sum(first["graphs"].values())
    assert a == b


def test_a_failed_build_keeps_the_last_good_one(tmp_path, project_dir: Path):
    project = copy_project(tmp_path / "project", project_dir)
    values = {"project_dir": str(project), "build_dir": str(tmp_path / "out")}
    settings = load_settings(values | QUICK_BUILD, environ={})
    build(settings)
    good = json.loads((tmp_path / "out" / "release.json").read_text())["release"]
    (project / "data" / "broken.ttl").write_text("@prefix x: <http://x/> .\nx:a x:b .\n")
    with pytest.raises(InputError, match=r"broken\.ttl:2"):
        build(settings)
    (project / "data" / "broken.ttl").write_text(
        "@prefix nx: <https://w3id.org/nexus-ld/ontology#> .\n"
        "<https://w3id.org/nexus-ld/id/claim/x> a nx:Claim .\n"
    )
    with pytest.raises(BuildError, match="does not conform"):
        build(settings)
    assert json.loads((tmp_path / "out" / "release.json").read_text())["release"] == good
    assert len(Store.open(tmp_path / "out").ox) > 0


def test_a_configured_base_moves_every_nexus_iri(tmp_path, project_dir: Path):
    values = {
        "base": "http://localhost:9/nx/",
        "project_dir": str(project_dir),
        "build_dir": str(tmp_path / "b"),
    }
    settings = load_settings(values | QUICK_BUILD, environ={})
    build(settings)
    store = Store.open(tmp_path / "b")
    assert store.base == "http://localhost:9/nx/"
    ttp = ox.NamedNode("http://localhost:9/nx/id/group/ttp")
    assert list(store.ox.quads_for_pattern(ttp, None, None, None))
    left = store.query(
        "ASK { GRAPH ?g { ?s ?p ?o } FILTER(STRSTARTS(STR(?s), 'https://w3id.org/nexus-ld/id/')) }"
    )
    assert not bool(left)


@pytest.mark.parametrize("shacl_engine", ["turbo"], indirect=True)
def test_a_rules_build_parses_only_the_shapes_with_rdflib(
    built, tmp_path, monkeypatch, project_dir: Path, shacl_engine: str
):
    # At scale an rdflib parse of the data costs more than the whole build (52 s at 1M triples): with
    # inference = "rules" and nexus-ld[fast] the check, the inference and the truthy check all run
    # natively (pySHACL validates an rdflib Graph of the data).
    from nexus_ld.pipeline import load as load_module
    from nexus_ld.pipeline.load import shape_files

    parsed = []
    parse_file = load_module.parse_file

    def recording(path, fmt=None):
        parsed.append(path)
        return parse_file(path, fmt)

    monkeypatch.setattr(load_module, "parse_file", recording)
    settings = load_settings(
        dict(built.values) | {"build_dir": str(tmp_path / "b"), "inference": "rules"}, environ={}
    )
    result = build(settings)
    assert parsed and set(parsed) <= set(shape_files(project_dir))
    first = json.loads((built.build / "release.json").read_text())
    assert result.release["graphs"] == first["graphs"]
    assert result.release["release"] == first["release"]


def test_the_truthy_check_of_the_build_agrees_with_the_rdflib_one(store, project_dir: Path):
    from nexus_ld.pipeline.checks.truthy import truthy_report
    from nexus_ld.pipeline.load import ontology_files

    project = load_project(project_dir)
    fast = truthy_report(store, project.shapes, ontology_files(project_dir))
    slow = check_truthy(truthy_graph(store), project.data, project.ontology, project.shapes)
    assert fast.conforms and slow.conforms
    assert [r.message for r in fast.results] == [r.message for r in slow.results]
