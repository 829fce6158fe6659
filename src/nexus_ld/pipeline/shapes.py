"""Validate a data graph against the SHACL shapes: a thin, pure wrapper over a SHACL engine.

``validate`` returns a ``Report`` (``conforms``, the SHACL report ``graph``, a readable ``text`` and the
parsed ``results``), as pySHACL's ``validate()`` returns ``(conforms, report_graph, report_text)``.
Findings that SHACL cannot make (``checks/sparql.py``: quotes, checksums, reference lists) are ``Result``s too
and join a report with ``Report.merge``. Nothing is printed.

Two engines give the same results on our shapes (``tests/test_validate_engine.py``, run once per engine):

- pySHACL, the reference implementation, a core dependency: 0.6 s on the bundled data;
- the turbo pair (pyshacl-turbo, a native engine with pySHACL's API, and rdflib-turbo, its store), the
  optional extra ``nexus-ld[fast]``: it validates an rdflib-turbo store where it is (``validate_store``),
  1M triples in about 7 s where pySHACL over an rdflib Graph took 165 s (docs/performance.md). Both are
  alpha releases that only work as the exact pair the extra pins, so ``choose_engine`` uses them only
  when that pair is installed, and says why not otherwise.

Subclass typing (``nx:ArmedGroup`` is a ``prov:Agent``) works without inference: the ontology is mixed
into the data graph, and SHACL's ``sh:class`` / ``sh:targetClass`` follow ``rdfs:subClassOf*`` in it.
RDFS inference is available (``inference="rdfs"``) but is slower and adds domain/range typing that
the shapes do not rely on.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace
from importlib import import_module, metadata
from typing import Any

from packaging.requirements import Requirement
from rdflib import BNode, Graph, Literal, URIRef
from rdflib.graph import DATASET_DEFAULT_GRAPH_ID
from rdflib.namespace import SH
from rdflib.term import Node

from nexus_ld.config import load_settings
from nexus_ld.errors import NexusError
from nexus_ld.report import SEVERITIES, Report, Result, render, sort_key

NXSH = "https://w3id.org/nexus-ld/shapes#"
TRUTHY_GRAPH = URIRef(NXSH + "TruthyGraph")
APPLIES_TO = URIRef(NXSH + "appliesTo")

ENGINES = ("auto", "pyshacl", "turbo")
FAST_EXTRA = "fast"

# --- the engine ----------------------------------------------------------------------------------


class EngineError(NexusError):
    """The SHACL engine asked for cannot run (not installed, or not the pair nexus-ld[fast] pins)."""


@dataclass(frozen=True)
class Engine:
    """The SHACL engine in use: ``pyshacl`` or ``turbo``; ``note`` says why ``auto`` fell back to pySHACL."""

    name: str
    note: str = ""


def fast_pins() -> dict[str, str]:
    """The exact versions the ``fast`` extra pins, read from nexus-ld's installed metadata (one source)."""
    pins = {}
    for line in metadata.requires("nexus-ld") or []:
        req = Requirement(line)
        if req.marker is not None and req.marker.evaluate({"extra": FAST_EXTRA}):
            pins[req.name] = next(iter(req.specifier)).version
    return pins


def installed_versions(names: Iterable[str]) -> dict[str, str | None]:
    """The installed version of each distribution, None when it is not installed."""
    found: dict[str, str | None] = {}
    for name in names:
        try:
            found[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            found[name] = None
    return found


def choose_engine(choice: str, installed: Mapping[str, str | None] | None = None) -> Engine:
    """The engine for the ``shacl_engine`` setting, given the installed versions of the turbo pair.

    ``auto`` takes the turbo pair when exactly the pinned pair is installed, else pySHACL (with a note
    when a mismatched pair is installed); ``turbo`` refuses anything but the pinned pair.

    Raises:
        EngineError: for an unknown choice, or ``turbo`` without the pinned pair.
    """
    if choice not in ENGINES:
        raise EngineError(f"unknown SHACL engine {choice!r}: choose one of {', '.join(ENGINES)}")
    if choice == "pyshacl":
        return Engine("pyshacl")
    pins = fast_pins()
    found = dict(installed_versions(pins) if installed is None else installed)
    if found == pins:
        return Engine("turbo")
    absent = all(version is None for version in found.values())
    if absent:
        problem = "the turbo SHACL engine is not installed"
    else:
        have = " + ".join(f"{name} {found.get(name) or '(missing)'}" for name in pins)
        want = " + ".join(f"{name} {version}" for name, version in pins.items())
        problem = (
            f"the installed SHACL engine pair ({have}) is not the pair nexus-ld[fast] pins ({want});"
            " the two only work as that exact pair"
        )
    fix = "install the pinned pair with: pip install 'nexus-ld[fast]'"
    if choice == "turbo":
        raise EngineError(f"{problem}: {fix}")
    if absent:
        return Engine("pyshacl")  # the default install: nothing to say
    return Engine("pyshacl", f"{problem}; using pySHACL instead (slower at a million triples); {fix}")


_engine: Engine | None = None


def use_engine(choice: str) -> Engine:
    """Choose the engine of this process (the ``shacl_engine`` setting); a fallback is logged once."""
    global _engine
    _engine = choose_engine(choice)
    if _engine.note:
        logging.getLogger(__name__).warning("nexus-ld: %s", _engine.note)
    return _engine


def engine() -> Engine:
    """The engine of this process: chosen by ``use_engine``, else from the settings' defaults and
    environment (a gunicorn worker, a check's second process)."""
    return _engine or use_engine(load_settings().shacl_engine)


def validate(data: Graph, shapes: Graph, ontology: Graph, *, inference: str = "none") -> Report:
    """Validate ``data`` united with ``ontology`` against ``shapes``.

    Warnings and infos do not make the data non-conforming. ``data`` is not modified.

    Args:
        data: the graph to check (entities, claims, sources).
        shapes: SHACL shapes (``shapes/*.ttl``; the truthy-graph shapes in it are deactivated).
        ontology: OWL ontology and concept schemes; class hierarchy and schemes come from here.
        inference: pyshacl's inference option ("none", "rdfs", …).
    """
    # pyshacl's ont_graph mixing copies only RDFS/OWL axioms, not the SKOS concept schemes the
    # shapes look up, so the union is made here, on a copy: the caller's graph stays untouched.
    combined = Graph()
    combined += data
    combined += ontology
    module = "pyshacl_turbo" if engine().name == "turbo" else "pyshacl"
    conforms, graph, _ = import_module(module).validate(
        combined,
        shacl_graph=shapes,
        inference=None if inference == "none" else inference,
        allow_warnings=True,
        allow_infos=True,
    )
    return _report(bool(conforms), graph, shapes, combined)


def validate_store(store: Any, shapes: Graph) -> Report:
    """Validate a store of ``load.native_store`` (data and ontology together) against ``shapes``.

    With the turbo pair the store is an rdflib-turbo store that pyshacl-turbo reads natively: nothing
    is copied into rdflib; blank focus nodes are named by their owner, looked up through rdflib-turbo's
    Graph facade over the same store. With pySHACL it is an rdflib Graph.
    """
    if engine().name != "turbo":
        conforms, graph, _ = import_module("pyshacl").validate(
            store, shacl_graph=shapes, allow_warnings=True, allow_infos=True
        )
        return _report(bool(conforms), graph, shapes, store)
    import pyshacl_turbo
    import rdflib_turbo

    program = pyshacl_turbo.compile_shapes(shapes)
    conforms, graph, _ = program.validate(store, allow_warnings=True, allow_infos=True)
    facade = rdflib_turbo.Graph(store=store, identifier=DATASET_DEFAULT_GRAPH_ID)
    return _report(bool(conforms), graph, shapes, facade)


def _report(conforms: bool, graph: Graph, shapes: Graph, data: Graph) -> Report:
    results = [_with_context(r, data) for r in parse_results(graph, shapes)]
    results.sort(key=sort_key)
    return Report(conforms, graph, render(conforms, results), results)


def parse_results(report: Graph, shapes: Graph) -> list[Result]:
    """The ``sh:result`` nodes of a SHACL report graph as ``Result``s."""
    results = []
    for node in report.objects(None, SH.result):
        source_shape = report.value(node, SH.sourceShape)
        messages = list(report.objects(node, SH.resultMessage))
        results.append(
            Result(
                focus=report.value(node, SH.focusNode),
                path=report.value(node, SH.resultPath),
                value=report.value(node, SH.value),
                message=str(_english(messages)) if messages else "",
                severity=SEVERITIES.get(report.value(node, SH.resultSeverity), "Violation"),
                shape=_named_shape(shapes, source_shape),
                source_shape=source_shape,
            )
        )
    return results


def truthy_shapes(shapes: Graph) -> Graph:
    """The shapes marked ``nxsh:appliesTo nxsh:TruthyGraph``, activated, for validating the truthy graph."""
    selected = Graph()
    for shape in shapes.subjects(APPLIES_TO, TRUTHY_GRAPH):
        selected += shapes.cbd(shape)
    selected.remove((None, SH.deactivated, None))
    return selected


def owner(graph: Graph, node: Node, depth: int = 6) -> URIRef | None:
    """The nearest IRI from which a blank ``node`` is reached (its claim, event, …), if any."""
    seen, frontier = {node}, [node]
    for _ in range(depth):
        parents = [s for n in frontier for s in graph.subjects(None, n) if s not in seen]
        named = sorted(p for p in parents if isinstance(p, URIRef))
        if named:
            return named[0]
        seen.update(parents)
        frontier = parents
    return None


def _with_context(result: Result, graph: Graph) -> Result:
    if isinstance(result.focus, BNode):
        return replace(result, context=owner(graph, result.focus))
    return result


def _english(messages: list[Node]) -> Node:
    for message in messages:
        if isinstance(message, Literal) and message.language in (None, "en"):
            return message
    return messages[0]


def _named_shape(shapes: Graph, shape: Node | None) -> Node | None:
    """The IRI a reader can look up: the shape itself, or the node shape whose sh:property it is."""
    if shape is None or isinstance(shape, URIRef):
        return shape
    owner = shapes.value(None, SH.property, shape)
    return owner if owner is not None else shape
