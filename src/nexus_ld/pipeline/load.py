"""Read the project's RDF files: ontology/, shapes/, data/ (and data/sources/ texts).

Syntax errors become ``InputError`` naming the file, line and column (pyoxigraph's parser reports
them precisely). ``load_project`` hands on rdflib Graphs (for owlrl and the checks of small graphs);
``native_store`` parses the same files into the store the SHACL engine validates: an rdflib-turbo
store, natively, for SHACL at scale with ``nexus-ld[fast]``; an rdflib Graph with pySHACL.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pyoxigraph as ox
from rdflib import Dataset, Graph

from nexus_ld import formats
from nexus_ld.errors import InputError
from nexus_ld.pipeline.shapes import engine

SOURCES_FILE = "sources.ttl"


def syntax_check(data: bytes, fmt: formats.Format, source: str) -> None:
    """Parse ``data`` with pyoxigraph only to report the first syntax error with its position.

    Raises:
        InputError: naming ``source``, line and column.
    """
    try:
        for _ in ox.parse(data, format=fmt.rdf, base_iri="https://w3id.org/nexus-ld/"):
            pass
    except SyntaxError as exc:
        raise InputError(exc.msg, source=source, line=exc.lineno, column=exc.offset) from None
    except ValueError as exc:
        raise InputError(str(exc), source=source) from None


def parse_bytes(data: bytes, fmt: formats.Format, source: str) -> Graph:
    """Parse bytes of an RDF format into an rdflib Graph (quads formats are flattened).

    Raises:
        InputError: on a syntax error (file:line:column), or non-UTF-8 text.
    """
    try:
        data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise InputError(f"not UTF-8 text (byte {exc.start})", source=source) from None
    syntax_check(data, fmt, source)
    target: Graph = Dataset() if fmt.name in ("nquads", "trig") else Graph()
    try:
        target.parse(data=data, format=fmt.rdflib, publicID="https://w3id.org/nexus-ld/")
    except Exception as exc:  # rdflib raises many kinds; the position comes from syntax_check above
        raise InputError(f"cannot parse as {fmt.name}: {exc}", source=source) from None
    if isinstance(target, Dataset):
        flat = Graph()
        for s, p, o, _ in target.quads():
            flat.add((s, p, o))
        return flat
    return target


def _read(path: Path, fmt: formats.Format | None) -> tuple[bytes, formats.Format]:
    """The bytes of an input file and its format (from its suffix unless given)."""
    fmt = fmt or formats.by_suffix(path.suffix)
    if fmt is None:
        raise InputError(f"unknown RDF file type {path.suffix!r}", source=str(path))
    try:
        return path.read_bytes(), fmt
    except OSError as exc:
        raise InputError(exc.strerror or str(exc), source=str(path)) from None


def parse_file(path: Path, fmt: formats.Format | None = None) -> Graph:
    """Parse one file; its format comes from its suffix unless given."""
    data, fmt = _read(path, fmt)
    return parse_bytes(data, fmt, str(path))


def check_file(path: Path, fmt: formats.Format | None = None) -> None:
    """Read ``path`` only to raise the ``InputError`` (file:line:column) its parse would give, if any."""
    data, fmt = _read(path, fmt)
    try:
        data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise InputError(f"not UTF-8 text (byte {exc.start})", source=str(path)) from None
    syntax_check(data, fmt, str(path))


def native_store(paths: Iterable[Path]) -> Any:
    """Parse Turtle files into the store ``validate.validate_store`` takes from the engine in use.

    With the turbo pair: the default graph of an in-memory rdflib-turbo store (no rdflib parse), that
    pyshacl-turbo validates where it is. With pySHACL: an rdflib Graph.

    Raises:
        InputError: for the first file that cannot be parsed (file:line:column).
    """
    if engine().name != "turbo":
        return parse_files(paths)
    import rdflib_turbo  # only with nexus-ld[fast]

    store = rdflib_turbo.Store()
    for path in paths:
        try:
            store.parse(path, format="turtle", publicID="https://w3id.org/nexus-ld/")
        except Exception as exc:  # the native parser's errors carry no position: find it with check_file
            check_file(path)
            raise InputError(f"cannot parse: {exc}", source=str(path)) from None
    return store


def parse_files(paths: Iterable[Path]) -> Graph:
    """Parse several files into one graph."""
    graph = Graph()
    for path in paths:
        graph += parse_file(path)
    return graph


@dataclass
class Project:
    """The parsed inputs of a build."""

    root: Path
    ontology: Graph
    shapes: Graph
    data: Graph
    sources: Graph
    files: list[Path] = field(default_factory=list)

    def checksum(self) -> str:
        """SHA-256 over every input file (path and bytes): same input, same release id."""
        return checksum(self.root, self.files)


def checksum(root: Path, files: Iterable[Path]) -> str:
    """SHA-256 over ``files`` (path relative to ``root``, and bytes): same input, same release id."""
    digest = hashlib.sha256()
    for path in sorted(files):
        digest.update(str(path.relative_to(root)).encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()


def data_files(root: Path) -> list[Path]:
    """The Turtle files of data/ (recursively) except the source descriptions."""
    return sorted(p for p in (root / "data").rglob("*.ttl") if p.name != SOURCES_FILE)


def ontology_files(root: Path) -> list[Path]:
    return sorted((root / "ontology").glob("*.ttl"))


def shape_files(root: Path) -> list[Path]:
    return sorted((root / "shapes").glob("*.ttl"))


def input_groups(root: Path) -> dict[str, list[Path]]:
    """The RDF files of the project at ``root`` by role: ontology, shapes, data, sources."""
    root = Path(root)
    return {
        "ontology": ontology_files(root),
        "shapes": shape_files(root),
        "data": data_files(root),
        "sources": [root / "data" / SOURCES_FILE],
    }


def input_files(root: Path) -> list[Path]:
    """Every input file of a build (the RDF files and the source texts): what its checksum covers."""
    texts = sorted((Path(root) / "data" / "sources").glob("*.txt"))
    return [p for paths in input_groups(root).values() for p in paths] + texts


def load_project(root: Path) -> Project:
    """Parse ontology, shapes, data and source descriptions of the project at ``root``.

    Raises:
        InputError: for the first file that cannot be parsed.
    """
    root = Path(root)
    graphs = {name: parse_files(paths) for name, paths in input_groups(root).items()}
    return Project(root, files=input_files(root), **graphs)
