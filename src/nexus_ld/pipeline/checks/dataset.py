"""The whole-dataset check (``nexus-ld check``, and the first stage of ``build``): the shapes, natively,
and the SPARQL checks of ``sparql.py``, never building an rdflib Graph of the data.

- the shapes: the SHACL engine over a store the input files are parsed into
  (``load.native_store``, ``shapes.validate_store``);
- the checks SHACL cannot make: ``sparql.store_findings`` over an in-memory pyoxigraph store.

The two halves do not share the GIL well (pyshacl-turbo holds it while it validates), so for large
inputs the checks run in a second process, beside the shapes (``PARALLEL_MIN_BYTES``).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from concurrent.futures import ProcessPoolExecutor
from multiprocessing import get_context
from pathlib import Path

from rdflib import Graph

from nexus_ld import config
from nexus_ld.namespaces import DEFAULT_BASE
from nexus_ld.pipeline import load
from nexus_ld.pipeline.checks.sparql import DATA_GRAPHS, check_store, store_findings
from nexus_ld.pipeline.shapes import validate_store
from nexus_ld.report import Report, Result

# Above this many bytes of input the checks run in a second process while the shapes are validated:
# below it, starting the process costs more than it saves (the bundled data is 1.5 MB).
PARALLEL_MIN_BYTES = 8_000_000


def check_root(
    root: Path,
    base: str = DEFAULT_BASE,
    *,
    parallel: bool | None = None,
    max_source_bytes: int = config.default("max_source_bytes"),
) -> Report:
    """Shapes and checks over the project at ``root`` (what ``nexus-ld check`` reports).

    Raises:
        InputError: an input file does not parse (file:line:column).
    """
    groups = load.input_groups(root)
    shapes = load.parse_files(groups.pop("shapes"))
    data_dir = Path(root) / "data"
    return check_files(groups, shapes, data_dir, base, parallel=parallel, max_source_bytes=max_source_bytes)


def check_files(
    groups: Mapping[str, Sequence[Path]],
    shapes: Graph,
    data_dir: Path,
    base: str = DEFAULT_BASE,
    *,
    parallel: bool | None = None,
    max_source_bytes: int = config.default("max_source_bytes"),
) -> Report:
    """Shapes and checks over the files of ``groups`` ("ontology", "data", "sources").

    ``parallel``: run the checks in a second process (default: when the input is large).

    Raises:
        InputError: an input file does not parse (file:line:column).
    """
    groups = {name: list(paths) for name, paths in groups.items()}
    paths = [p for name in ("ontology", *DATA_GRAPHS) for p in groups.get(name, [])]
    if parallel is None:
        parallel = sum(p.stat().st_size for p in paths if p.exists()) >= PARALLEL_MIN_BYTES
    if not parallel:
        report = validate_store(load.native_store(paths), shapes)
        return report.merge(findings_of_files(groups, data_dir, base, max_source_bytes))
    with ProcessPoolExecutor(1, mp_context=get_context("spawn")) as pool:
        future = pool.submit(findings_of_files, groups, data_dir, base, max_source_bytes)
        try:
            report = validate_store(load.native_store(paths), shapes)
        except BaseException:
            future.cancel()
            raise
        return report.merge(future.result())


def findings_of_files(
    groups: Mapping[str, Sequence[Path]], data_dir: Path, base: str, max_source_bytes: int
) -> list[Result]:
    """Load the files into a pyoxigraph store and run every check on it (the second process's job)."""
    return store_findings(check_store(groups), data_dir, base, max_source_bytes)
