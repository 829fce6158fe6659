"""Release files: the whole dataset (N-Quads, TriG) and each named graph (Turtle, JSON-LD), gzipped,
with a SHA256SUMS file. Written once at build time; the server only lists and sends them."""

from __future__ import annotations

import gzip
import hashlib
import shutil
from pathlib import Path

from nexus_ld.formats import RDF_FORMATS
from nexus_ld.store.embedded import Store

WHOLE = ("nquads", "trig")
PER_GRAPH = ("turtle", "jsonld")
SUMS_FILE = "SHA256SUMS"
SOURCES_DIR = "sources"


def _write_gz(path: Path, data: bytes) -> dict:
    # mtime=0: the same data gives the same file and checksum.
    with open(path, "wb") as raw, gzip.GzipFile(fileobj=raw, mode="wb", mtime=0, filename="") as gz:
        gz.write(data)
    return {
        "file": path.name,
        "bytes": path.stat().st_size,
        "sha256": hashlib.sha256(path.read_bytes()).hexdigest(),
    }


def write_dumps(store: Store, folder: Path, release: str) -> list[dict]:
    """Write the release files into ``folder`` and return their descriptions (file, bytes, sha256,
    triples, graph, format)."""
    folder.mkdir(parents=True, exist_ok=True)
    written = []
    total = store.count()
    for name in WHOLE:
        fmt = RDF_FORMATS[name]
        data = store.dump(fmt, prefixes=store.prefixes if name == "trig" else None)
        entry = _write_gz(folder / f"nexus-ld-{release}.{fmt.suffix}.gz", data)
        written.append(entry | {"graph": "all", "format": name, "triples": total})
    for graph, iri in store.graphs.items():
        count = store.count(iri)
        for name in PER_GRAPH:
            fmt = RDF_FORMATS[name]
            data = store.dump(fmt, iri, prefixes=store.prefixes if name == "turtle" else None)
            entry = _write_gz(folder / f"nexus-ld-{release}-{graph}.{fmt.suffix}.gz", data)
            written.append(entry | {"graph": graph, "format": name, "triples": count})
    sums = "".join(f"{e['sha256']}  {e['file']}\n" for e in written)
    (folder / SUMS_FILE).write_text(sums, encoding="utf-8")
    return written


def read_sums(folder: Path) -> dict[str, str]:
    """file name -> sha256, from SHA256SUMS."""
    lines = (folder / SUMS_FILE).read_text(encoding="utf-8").splitlines()
    return {name.strip(): digest for digest, name in (line.split("  ", 1) for line in lines if line)}


def copy_source_texts(project: Path, build: Path) -> list[str]:
    """Copy the source texts (``data/sources/*.txt``) into ``build/sources/`` so that the server
    shows a source's text from the build it serves, whatever project folder it runs in."""
    target = Path(build) / SOURCES_DIR
    target.mkdir(parents=True, exist_ok=True)
    names = []
    for path in sorted((Path(project) / "data" / SOURCES_DIR).glob("*.txt")):
        shutil.copyfile(path, target / path.name)
        names.append(path.name)
    return names
