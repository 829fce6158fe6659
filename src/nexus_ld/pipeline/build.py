"""Build: check -> pyoxigraph store with named graphs -> infer -> truthy graph -> dumps.

The build is written into a fresh folder next to the target and published only when complete, as a
new kept release (``publish/releases.py``: ``releases/<id>/`` and an atomic switch of ``current``), so
a failed build leaves the last good one in place and running servers move to the new one. Same input,
same store and same release id.

No rdflib Graph of the whole data is made unless owlrl needs one (``inference = "owlrl"``): the check
is ``checks.dataset.check_root`` (native SHACL and SPARQL checks), the files are parsed by pyoxigraph,
the rules (``inference = "rules"``) run in the store, and the truthy graph is checked there too.
"""

from __future__ import annotations

import json
import shutil
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pyoxigraph as ox
from rdflib import Graph

from nexus_ld import __version__, formats
from nexus_ld.config import Settings
from nexus_ld.errors import BuildError, InputError
from nexus_ld.namespaces import DEFAULT_BASE
from nexus_ld.pipeline.checks.dataset import check_root
from nexus_ld.pipeline.checks.truthy import truthy_report
from nexus_ld.pipeline.infer import ENTAILMENTS, owl_rl_entailments, store_entailments
from nexus_ld.pipeline.load import (
    SOURCES_FILE,
    checksum,
    data_files,
    input_files,
    load_project,
    ontology_files,
    parse_files,
    shape_files,
)
from nexus_ld.pipeline.publish import releases
from nexus_ld.pipeline.publish.counts import site_counts
from nexus_ld.pipeline.publish.dumps import copy_source_texts, write_dumps
from nexus_ld.pipeline.publish.pages import page_tables
from nexus_ld.pipeline.publish.search import INDEX_FILE as SEARCH_INDEX
from nexus_ld.pipeline.publish.search import write_index
from nexus_ld.pipeline.publish.void import write_void
from nexus_ld.store.embedded import RELEASE_FILE, STORE_DIR, Store

Progress = Callable[[str], None]
TRUTHY_QUERIES = ("truthy-triples", "truthy-nodes", "truthy-shortcuts")
# In order: derive-spans.rq reads the nx:year derive-years.rq writes.
INFERRED_QUERIES = (
    "derive-years",
    "derive-reported-as-fact",
    "derive-quotes",
    "derive-spans",
    "derive-start-dates",
)


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
    if fmt is None or fmt.rdf is None:
        raise InputError(f"{path.name}: no RDF format of nexus-ld is named *{path.suffix}")
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
            store.add(file_quads(path, store.graphs[name], store.base), bulk=True)


def infer_into(store: Store, engine: str, root: Path) -> int:
    """Compute the entailments of ontology + data with ``engine`` into the inferred graph; their number.

    "rules" runs in the store itself (``infer.store_entailments``); "owlrl" needs rdflib Graphs, so
    only this engine parses the project with rdflib.
    """
    target = store.graphs["inferred"]
    if engine == "rules":
        # The rules run in an in-memory copy: their rounds of reads and writes are several times
        # faster there than in the on-disk store (blank nodes are the same terms in both).
        graphs = [store.graphs["ontology"], store.graphs["data"]]
        scratch = Store.in_memory(store.base)
        for graph in graphs:
            scratch.add(store.quads(graph), bulk=True)
        triples = store_entailments(scratch, graphs, store.base)
        store.add((ox.Quad(t.subject, t.predicate, t.object, target) for t in triples), bulk=True)
        return len(triples)
    project = load_project(root)
    inferred = owl_rl_entailments(project.ontology, project.data, DEFAULT_BASE)
    store.add(graph_quads(inferred, target, store.base), bulk=True)
    return len(inferred)


def derive(store: Store) -> dict[str, int]:
    """Fill the truthy graph and the inferred graph's shortcuts (years, nx:reportedAsFact, claims' quotes,
    spans' first and last years, start dates) from the ``.rq`` files, in order; count each."""
    added = {}
    derived = [(q, "truthy") for q in TRUTHY_QUERIES] + [(q, "inferred") for q in INFERRED_QUERIES]
    for name, target in derived:
        triples = list(store.named(name))
        store.add(ox.Quad(t.subject, t.predicate, t.object, store.graphs[target]) for t in triples)
        added[name] = len(triples)
    return added


def stage(progress: Progress, what: str, since: float) -> None:
    """Report the time a stage of the build took (``bench/`` and docs/performance.md read these lines)."""
    progress(f"  {what} ({time.perf_counter() - since:.1f} s)")


def graph_counts(store: Store) -> dict[str, int]:
    return {name: store.count(iri) for name, iri in store.graphs.items()}


@dataclass
class Run:
    """One build in progress: what its stages read and fill in (the store in ``staging``, the release)."""

    settings: Settings
    staging: Path
    store: Store
    progress: Progress
    release: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def start(cls, settings: Settings, staging: Path, progress: Progress = lambda _: None) -> Run:
        """A fresh on-disk store in ``staging`` (emptied first)."""
        shutil.rmtree(staging, ignore_errors=True)
        staging.mkdir(parents=True)
        progress(f"loading the store ({staging / STORE_DIR})")
        return cls(settings, staging, Store.create(staging / STORE_DIR, settings.base), progress)


def _load(run: Run) -> str:
    load_files(run.store, run.settings.project)
    return "load"


def _infer(run: Run) -> str:
    run.progress(f"computing OWL 2 RL entailments ({run.settings.inference})")
    return f"infer: {infer_into(run.store, run.settings.inference, run.settings.project)} entailed triples"


def _derive(run: Run) -> str:
    run.progress("deriving the truthy graph and years")
    run.release["derived"] = derive(run.store)
    return "truthy graph"


def _check_truthy(run: Run) -> str:
    root = run.settings.project
    truthy = truthy_report(run.store, parse_files(shape_files(root)), ontology_files(root))
    if not truthy.conforms:
        raise BuildError("the truthy graph holds more than reported facts:\n" + truthy.text)
    return "truthy check"


def _describe(run: Run) -> str:
    counts = graph_counts(run.store)
    input_sha256 = checksum(run.settings.project, input_files(run.settings.project))
    release_id = run.settings.release or input_sha256[:12]
    if not releases.valid_id(release_id):
        raise BuildError(f"setting release must match {releases.RELEASE_ID.pattern}, not {release_id!r}")
    previous = releases.previous_release(run.settings.build, release_id)
    before = releases.kept_folder(run.settings.build, previous) if previous else None
    built_at = datetime.now(UTC).isoformat(timespec="microseconds")
    run.release = {
        "release": release_id,
        "input_sha256": input_sha256,
        "base": run.settings.base,
        "nexus_ld_version": __version__,
        "graphs": counts,
        "triples": sum(counts.values()),
        "built_at": built_at,
        # The VoID's dcterms:issued: a rebuild of the same id keeps the date the release was first issued.
        "issued": releases.first_issued(run.settings.build, release_id) or built_at,
        # The release this one follows, and what it changed (computed here, never per request).
        "previous": previous if before is not None else None,
        "changes": releases.claim_changes(run.store, Store.open(before) if before is not None else None),
        "site": site_counts(run.store),  # what the home page and listings count over everything
        **run.release,
    }
    return "release"


def _tables(run: Run) -> str:
    run.progress("writing the page tables")
    run.release["tables"] = page_tables(run.store, run.staging)
    return f"page tables: {sum(run.release['tables'].values())} rows"


def _publish(run: Run) -> str:
    run.progress("writing dumps")
    dumps = run.staging / "dumps"
    run.release["dumps"] = write_dumps(run.store, dumps, run.release["release"])
    run.release["void"] = write_void(run.store, dumps, run.release)
    run.release["source_texts"] = copy_source_texts(run.settings.project, run.staging)
    return "dumps"


def _index(run: Run) -> str:
    run.progress("writing the search index")
    entries = write_index(run.store, run.staging / SEARCH_INDEX, run.release["release"])
    return f"search index: {entries} entries"


def _optimize(run: Run) -> str:
    run.store.optimize()
    return "optimize"


# The stages of a build after the check, in order: ``build`` runs them all, bench/ the ones it measures.
STAGES: dict[str, Callable[[Run], str]] = {
    "load": _load,
    "infer": _infer,
    "derive": _derive,
    "truthy": _check_truthy,
    "release": _describe,
    "tables": _tables,  # what the pages would sort or read in full per request (publish/tables.py)
    "dumps": _publish,
    "search": _index,
    "optimize": _optimize,
}


def run_stage(run: Run, name: str) -> float:
    """Run one stage of ``STAGES``; its seconds (also reported through ``run.progress``)."""
    step = time.perf_counter()
    what = STAGES[name](run)
    stage(run.progress, what, step)
    return time.perf_counter() - step


def build(settings: Settings, progress: Progress = lambda _: None) -> BuildResult:
    """Build the store, dumps and release description into ``settings.build``.

    Raises:
        InputError: an input file does not parse (file:line:column).
        BuildError: the data does not conform to the shapes or the checks; nothing is replaced.
    """
    started = time.perf_counter()
    if settings.inference not in ENTAILMENTS:
        raise BuildError(
            f"setting inference must be one of {', '.join(ENTAILMENTS)}, not {settings.inference!r}"
        )
    progress("checking shapes, quotes and checksums")
    report = check_root(settings.project, DEFAULT_BASE, max_source_bytes=settings.max_source_bytes)
    if not report.conforms:
        raise BuildError("the data does not conform; nothing was replaced:\n" + report.text)
    stage(progress, "check", started)

    target = settings.build
    run = Run.start(settings, target.with_name(target.name + ".staging"), progress)
    for name in STAGES:
        run_stage(run, name)
    release, staging = run.release, run.staging
    del run  # closes the store before the folder moves
    (staging / RELEASE_FILE).write_text(json.dumps(release, indent=2, sort_keys=True), encoding="utf-8")

    folder = releases.publish(target, staging, release["release"], settings.keep_releases)
    seconds = time.perf_counter() - started
    progress(f"built release {release['release']}: {release['triples']} quads in {seconds:.1f} s")
    return BuildResult(folder, release, seconds)
