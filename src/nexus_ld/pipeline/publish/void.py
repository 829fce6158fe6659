"""The VoID + DCAT description of a release, written at build time next to the dumps.

It states what the dataset holds (triples, entities, class and property partitions, one subset per
named graph), where to get it (SPARQL endpoint, dumps with byte sizes and SHA-256 checksums), and
under which licence, from which sources, in which version. Every count comes from the store by a
named query (``queries/void-*.rq``), so the description always equals the data.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pyoxigraph as ox

from nexus_ld.formats import RDF_FORMATS
from nexus_ld.store.embedded import Store

VOID = "http://rdfs.org/ns/void#"
DCAT = "http://www.w3.org/ns/dcat#"
DCT = "http://purl.org/dc/terms/"
SD = "http://www.w3.org/ns/sparql-service-description#"
SPDX = "http://spdx.org/rdf/terms#"
OWL = "http://www.w3.org/2002/07/owl#"
PROV = "http://www.w3.org/ns/prov#"
RDF_TYPE = "http://www.w3.org/1999/02/22-rdf-syntax-ns#type"
XSD = "http://www.w3.org/2001/XMLSchema#"
FILE = "void.ttl"
LICENSE = "https://creativecommons.org/licenses/by/4.0/"
TITLE = "nexus-ld: the TTP / al-Qaeda / Islamic State network, with statement-level provenance"
DESCRIPTION = (
    "Armed groups, people, states, places, events and relationships taken from an analytical article; "
    "every fact is a reified claim with its epistemic status, who asserts it, and the verbatim passage."
)
VOCABULARIES = (
    "ontology#", "http://www.w3.org/ns/prov#", "http://www.w3.org/ns/oa#", "http://www.w3.org/ns/org#",
    "http://www.w3.org/2006/time#", "http://www.w3.org/2004/02/skos/core#", "http://schema.org/",
    "http://purl.org/dc/terms/",
)  # fmt: skip
# void-stats.rq column -> VoID property
STAT_PROPERTIES = {
    "triples": "triples",
    "entities": "entities",
    "classes": "classes",
    "properties": "properties",
    "subjects": "distinctSubjects",
    "objects": "distinctObjects",
}
SUFFIX_MEDIA = {f.suffix: f.media_type for f in RDF_FORMATS.values()}


def dataset_iri(base: str) -> str:
    """The IRI of the dataset: a hash IRI in the VoID document, so it dereferences to it."""
    return base + "void#dataset"


def _n(iri: str) -> ox.NamedNode:
    return ox.NamedNode(iri)


def _int(value: int) -> ox.Literal:
    return ox.Literal(str(value), datatype=_n(XSD + "integer"))


def _count(row: Any, key: str) -> int:
    return int(row[key].value)


def void_triples(store: Store, release: dict[str, Any]) -> Iterator[ox.Triple]:
    """The VoID/DCAT triples of ``release`` (its id, base, graph counts and dumps) over ``store``."""
    base = release["base"]
    ds = _n(dataset_iri(base))
    stats = next(iter(store.named("void-stats")))

    def t(s: ox.NamedNode | ox.BlankNode, p: str, o: Any) -> ox.Triple:
        return ox.Triple(s, _n(p), o if isinstance(o, ox.NamedNode | ox.BlankNode | ox.Literal) else _n(o))

    yield t(ds, RDF_TYPE, VOID + "Dataset")
    yield t(ds, RDF_TYPE, DCAT + "Dataset")
    yield t(ds, DCT + "title", ox.Literal(TITLE, language="en"))
    yield t(ds, DCT + "description", ox.Literal(DESCRIPTION, language="en"))
    yield t(ds, DCT + "license", LICENSE)
    yield t(ds, DCAT + "version", ox.Literal(release["release"]))
    yield t(ds, OWL + "versionInfo", ox.Literal(release["release"]))
    yield from version_triples(ds, base, release)
    yield t(ds, VOID + "uriSpace", ox.Literal(base + "id/"))
    yield t(ds, VOID + "sparqlEndpoint", base + "sparql")
    yield t(ds, VOID + "rootResource", base + "id/group/ttp")
    yield t(ds, VOID + "exampleResource", base + "id/group/ttp")
    yield t(ds, DCT + "conformsTo", base + "ontology")
    for vocabulary in VOCABULARIES:
        yield t(ds, VOID + "vocabulary", base + vocabulary if vocabulary == "ontology#" else vocabulary)
    for row in store.named("sources-list"):
        yield t(ds, DCT + "source", row["source"])
    for key, prop in STAT_PROPERTIES.items():
        yield t(ds, VOID + prop, _int(_count(stats, key)))
    for row in store.named("void-classes"):
        part = ox.BlankNode()
        yield t(ds, VOID + "classPartition", part)
        yield t(part, VOID + "class", row["class"])
        yield t(part, VOID + "entities", _int(_count(row, "entities")))
    for row in store.named("void-properties"):
        part = ox.BlankNode()
        yield t(ds, VOID + "propertyPartition", part)
        yield t(part, VOID + "property", row["property"])
        yield t(part, VOID + "triples", _int(_count(row, "triples")))
    for name, iri in store.graphs.items():
        yield t(ds, VOID + "subset", iri)
        yield t(iri, RDF_TYPE, VOID + "Dataset")
        yield t(iri, SD + "name", iri)
        yield t(iri, DCT + "title", ox.Literal(f"graph {name}", language="en"))
        yield t(iri, VOID + "triples", _int(release["graphs"][name]))
    for dump in release.get("dumps", []):
        url = _n(base + "downloads/" + dump["file"])
        target = ds if dump["graph"] == "all" else store.graphs[dump["graph"]]
        yield t(target, VOID + "dataDump", url)
        yield t(ds, DCAT + "distribution", url)
        yield t(url, RDF_TYPE, DCAT + "Distribution")
        yield t(url, DCAT + "downloadURL", url)
        yield t(url, DCAT + "mediaType", ox.Literal(SUFFIX_MEDIA[dump["file"].split(".")[-2]]))
        yield t(url, DCAT + "compressFormat", ox.Literal("application/gzip"))
        yield t(url, DCAT + "byteSize", _int(dump["bytes"]))
        yield t(url, VOID + "triples", _int(dump["triples"]))
        checksum = ox.BlankNode()
        yield t(url, SPDX + "checksum", checksum)
        yield t(checksum, RDF_TYPE, SPDX + "Checksum")
        yield t(checksum, SPDX + "algorithm", SPDX + "checksumAlgorithm_sha256")
        yield t(checksum, SPDX + "checksumValue", ox.Literal(dump["sha256"], datatype=_n(XSD + "hexBinary")))


def release_iri(base: str, release: str) -> str:
    """The IRI of one release (a version of the dataset): its downloads, kept while it is kept."""
    return f"{base}downloads/{release}/"


def version_triples(ds: ox.NamedNode, base: str, release: dict[str, Any]) -> Iterator[ox.Triple]:
    """DCAT 3 versions: this release is the dataset's current version and a revision of the one it
    follows (``release["previous"]``, set by the build)."""
    version = _n(release_iri(base, release["release"]))
    for p, o in ((DCAT + "hasVersion", version), (DCAT + "hasCurrentVersion", version)):
        yield ox.Triple(ds, _n(p), o)
    yield ox.Triple(version, _n(RDF_TYPE), _n(DCAT + "Dataset"))
    yield ox.Triple(version, _n(DCAT + "version"), ox.Literal(release["release"]))
    yield ox.Triple(version, _n(DCT + "isVersionOf"), ds)
    # When this release was first issued (a rebuild of the same id keeps it: releases.first_issued).
    yield ox.Triple(version, _n(DCT + "issued"), ox.Literal(release["issued"], datatype=_n(XSD + "dateTime")))
    if release.get("previous"):
        previous = _n(release_iri(base, release["previous"]))
        yield ox.Triple(ds, _n(DCAT + "hasVersion"), previous)
        yield ox.Triple(previous, _n(DCAT + "version"), ox.Literal(release["previous"]))
        yield ox.Triple(version, _n(DCAT + "previousVersion"), previous)
        yield ox.Triple(version, _n(PROV + "wasRevisionOf"), previous)


def write_void(store: Store, folder: Path, release: dict[str, Any]) -> dict[str, Any]:
    """Write ``void.ttl`` into ``folder``, add it to SHA256SUMS, and return its file entry."""
    prefixes = store.prefixes | {"void": VOID, "dcat": DCAT, "sd": SD, "spdx": SPDX}
    path = Path(folder) / FILE
    ox.serialize(
        void_triples(store, release), output=str(path), format=ox.RdfFormat.TURTLE, prefixes=prefixes
    )
    digest = hashlib.sha256(path.read_bytes()).hexdigest()
    with open(Path(folder) / "SHA256SUMS", "a", encoding="utf-8") as sums:
        sums.write(f"{digest}  {FILE}\n")
    return {"file": FILE, "bytes": path.stat().st_size, "sha256": digest}
