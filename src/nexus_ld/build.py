"""Build: load -> check -> infer -> pyoxigraph store with named graphs -> truthy graph -> dumps.

The build is written into a fresh folder next to the target and swapped in only when complete,
so a failed build leaves the last good one in place. Same input, same store and same release id.
"""

from __future__ import annotations

import json
import shutil
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pyoxigraph as ox
from rdflib import Graph

from . import __version__, formats
from .check import check_project, check_truthy
from .config import Settings
from .dumps import copy_source_texts, write_dumps
from .errors import BuildError
from .infer import ENTAILMENTS
from .load import SOURCES_FILE, Project, data_files, load_project, ontology_files
from .namespaces import DEFAULT_BASE
from .search import INDEX_FILE as SEARCH_INDEX
from .search import write_index
from .store import RELEASE_FILE, STORE_DIR, Store
from .void import write_void

Progress = Callable[[str], None]
TRUTHY_QUERIES = ("truthy-triples", "truthy-nodes", "truthy-shortcuts")


@dataclass(frozen=True)
class BuildResult:
    path: Path
    release: dict
    seconds: float


def _rebase(term: Any, base: str) -> Any:
    """Move an IRI from the default base onto the configured one (other terms unchanged)."""
    if isinstance(term, ox.NamedNode) and term.value.startswith(DEFAULT_BASE):
        return ox.NamedNode(base + term.value[len(DEFAULT_BASE) :])
    if isinstance(term, ox.Literal) and term.datatype.value.startswith(DEFAULT_BASE):
        return ox.Literal(term.value, datatype=_rebase(term.datatype, base))
    return term


def file_quads(path: Path, graph: ox.NamedNode, base: str) -> Iterator[ox.Quad]:
    """The triples of an input file as quads of ``graph``, parsed by pyoxigraph, IRIs on ``base``."""
    fmt = formats.by_suffix(path.suffix)
    for t in ox.parse(path=str(path), format=fmt.rdf, base_iri=DEFAULT_BASE):
        if base == DEFAULT_BASE:
            yield ox.Quad(t.subject, t.predicate, t.object, graph)
        else:
            yield ox.Quad(
                _rebase(t.subject, base), _rebase(t.predicate, base), _rebase(t.object, base), graph
            )


def graph_quads(graph: Graph, name: ox.NamedNode, base: str) -> Iterator[ox.Quad]:
    """An rdflib graph (the entailments) as quads of ``name``; N-Triples is the bridge."""
    data = graph.serialize(format="nt", encoding="utf-8")
    for t in ox.parse(data, format=ox.RdfFormat.N_TRIPLES):
        yield ox.Quad(_rebase(t.subject, base), _rebase(t.predicate, base), _rebase(t.object, base), name)


def load_files(store: Store, root: Path) -> None:
    """Bulk-load the input files of the project at ``root`` into their named graphs."""
    groups = {
        "ontology": ontology_files(root),
        "data": data_files(root),
        "sources": [root / "data" / SOURCES_FILE],
    }
    for name, paths in groups.items():
        for path in paths:
            store.ox.bulk_extend(file_quads(path, store.graphs[name], store.base))


def load_into(store: Store, project: Project, inferred: Graph) -> None:
    """Bulk-load the input files and the entailments into their named graphs."""
    load_files(store, project.root)
    store.ox.bulk_extend(graph_quads(inferred, store.graphs["inferred"], store.base))


def derive(store: Store) -> dict[str, int]:
    """Fill the truthy graph and the derived years from the ``.rq`` files; count what each added."""
    added = {}
    for name, target in [(q, "truthy") for q in TRUTHY_QUERIES] + [("derive-years", "inferred")]:
        triples = list(store.named(name))
        store.ox.extend(ox.Quad(t.subject, t.predicate, t.object, store.graphs[target]) for t in triples)
        added[name] = len(triples)
    return added


def truthy_graph(store: Store) -> Graph:
    """The derived truthy graph as an rdflib Graph, for the truthy shapes and leak check."""
    data = store.ox.dump(format=ox.RdfFormat.N_TRIPLES, from_graph=store.graphs["truthy"])
    return Graph().parse(data=data, format="nt")


def graph_counts(store: Store) -> dict[str, int]:
    return {
        name: sum(1 for _ in store.ox.quads_for_pattern(None, None, None, iri))
        for name, iri in store.graphs.items()
    }


def build(settings: Settings, progress: Progress = lambda _: None) -> BuildResult:
    """Build the store, dumps and release description into ``settings.build``.

    Raises:
        InputError: an input file does not parse (file:line:column).
        BuildError: the data does not conform to the shapes or the checks; nothing is replaced.
    """
    started = time.perf_counter()
    progress("loading ontology, shapes and data")
    project = load_project(settings.project)
    progress(
        f"  {len(project.ontology)} ontology, {len(project.shapes)} shape, {len(project.data)} data triples"
    )
    progress("checking shapes, quotes and checksums")
    report = check_project(project, DEFAULT_BASE)
    if not report.conforms:
        raise BuildError("the data does not conform; nothing was replaced:\n" + report.text)
    if settings.inference not in ENTAILMENTS:
        raise BuildError(
            f"setting inference must be one of {', '.join(ENTAILMENTS)}, not {settings.inference!r}"
        )
    progress(f"computing OWL 2 RL entailments ({settings.inference})")
    inferred = ENTAILMENTS[settings.inference](project.ontology, project.data, DEFAULT_BASE)
    progress(f"  {len(inferred)} entailed triples")

    target = settings.build
    staging = target.with_name(target.name + ".staging")
    shutil.rmtree(staging, ignore_errors=True)
    staging.mkdir(parents=True)
    progress(f"loading the store ({staging / STORE_DIR})")
    store = Store(ox.Store(str(staging / STORE_DIR)), settings.base)
    load_into(store, project, inferred)
    progress("deriving the truthy graph and years")
    added = derive(store)
    truthy_report = check_truthy(truthy_graph(store), project.data, project.ontology, project.shapes)
    if not truthy_report.conforms:
        raise BuildError("the truthy graph holds more than reported facts:\n" + truthy_report.text)
    counts = graph_counts(store)
    release = {
        "release": settings.release or project.checksum()[:12],
        "input_sha256": project.checksum(),
        "base": settings.base,
        "nexus_ld_version": __version__,
        "graphs": counts,
        "triples": sum(counts.values()),
        "derived": added,
    }
    progress("writing dumps")
    release["dumps"] = write_dumps(store, staging / "dumps", release["release"])
    release["void"] = write_void(store, staging / "dumps", release)
    release["source_texts"] = copy_source_texts(project.root, staging)
    progress("writing the search index")
    entries = write_index(store, staging / SEARCH_INDEX, release["release"])
    progress(f"  {entries} search entries")
    store.ox.optimize()
    store.ox.flush()
    del store
    (staging / RELEASE_FILE).write_text(json.dumps(release, indent=2, sort_keys=True), encoding="utf-8")

    old = target.with_name(target.name + ".old")
    shutil.rmtree(old, ignore_errors=True)
    if target.exists():
        target.rename(old)
    staging.rename(target)
    shutil.rmtree(old, ignore_errors=True)
    seconds = time.perf_counter() - started
    progress(f"built release {release['release']}: {release['triples']} quads in {seconds:.1f} s")
    return BuildResult(target, release, seconds)
