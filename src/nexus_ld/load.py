"""Read the project's RDF files: ontology/, shapes/, data/ (and data/sources/ texts).

Syntax errors become ``InputError`` naming the file, line and column (pyoxigraph's parser reports
them precisely); the graphs handed on are rdflib Graphs, for pyshacl and owlrl.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

import pyoxigraph as ox
from rdflib import Dataset, Graph

from . import formats
from .errors import InputError

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


def parse_file(path: Path, fmt: formats.Format | None = None) -> Graph:
    """Parse one file; its format comes from its suffix unless given."""
    fmt = fmt or formats.by_suffix(path.suffix)
    if fmt is None:
        raise InputError(f"unknown RDF file type {path.suffix!r}", source=str(path))
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise InputError(exc.strerror or str(exc), source=str(path)) from None
    return parse_bytes(data, fmt, str(path))


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
        digest = hashlib.sha256()
        for path in sorted(self.files):
            digest.update(str(path.relative_to(self.root)).encode())
            digest.update(path.read_bytes())
        return digest.hexdigest()


def data_files(root: Path) -> list[Path]:
    """The Turtle files of data/ (recursively) except the source descriptions."""
    return sorted(p for p in (root / "data").rglob("*.ttl") if p.name != SOURCES_FILE)


def ontology_files(root: Path) -> list[Path]:
    return sorted((root / "ontology").glob("*.ttl"))


def shape_files(root: Path) -> list[Path]:
    return sorted((root / "shapes").glob("*.ttl"))


def load_project(root: Path) -> Project:
    """Parse ontology, shapes, data and source descriptions of the project at ``root``.

    Raises:
        InputError: for the first file that cannot be parsed.
    """
    root = Path(root)
    groups = {
        "ontology": ontology_files(root),
        "shapes": shape_files(root),
        "data": data_files(root),
        "sources": [root / "data" / SOURCES_FILE],
    }
    graphs = {name: parse_files(paths) for name, paths in groups.items()}
    texts = sorted((root / "data" / "sources").glob("*.txt"))
    files = [p for paths in groups.values() for p in paths] + texts
    return Project(root, files=files, **graphs)
