"""The maintainers' decision: accept a pending contribution into ``data/contributions/``, or reject it.

Accepting re-validates the contribution against the current build (the store may have moved on since
it was submitted), then writes ``data/contributions/<id>.ttl``: the triples as submitted plus a
provenance record (an ``nx:Contribution`` named ``<base>id/contribution/<id>``: received when,
SHA-256, the submitter's note and name, accepted by whom and when). A new source that shipped its text
gets the text in ``data/sources/`` and the usual
``nx:textFile`` + ``nx:sha256``, so that the build checks its quotes like any other. Files are written
to a temporary name, fsynced and renamed: a crash leaves either no file or the whole file. Nothing is
published until the next ``nexus-ld build``.
"""

from __future__ import annotations

import hashlib
import os
import re
from pathlib import Path

from rdflib import Graph, Literal, URIRef
from rdflib.namespace import DCTERMS, RDF, RDFS, XSD

from nexus_ld import formats
from nexus_ld.contributions.inbox import Entry, Inbox, now
from nexus_ld.contributions.report import to_text
from nexus_ld.contributions.rules import SCHEMA
from nexus_ld.contributions.service import Validator
from nexus_ld.errors import BadRequest, NexusError, Unprocessable
from nexus_ld.namespaces import NX, PREFIXES

FOLDER = "contributions"


class DescribedTwice(NexusError):
    """A source that shipped its text is already described by an accepted contribution."""

    status, title = 409, "Source already accepted"


def write_atomically(path: Path, data: bytes) -> None:
    """Write ``data`` to ``path`` via a temporary file, fsync and rename (all or nothing)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(f".{path.name}.tmp")
    with open(temporary, "wb") as fh:
        fh.write(data)
        fh.flush()
        os.fsync(fh.fileno())
    os.replace(temporary, path)
    directory = os.open(path.parent, os.O_RDONLY)
    try:
        os.fsync(directory)
    finally:
        os.close(directory)


def record_iri(base: str, entry_id: str) -> URIRef:
    """The IRI of the provenance record of contribution ``entry_id`` (an inbox id: digits, ``-``, hex)."""
    return URIRef(f"{base}id/contribution/{entry_id}")


def provenance_records(graph: Graph, base: str) -> list[str]:
    """The resources of ``graph`` that only accepting may write: ``nx:Contribution`` records, typed as
    such or named under ``<base>id/contribution/``. A contribution carrying one would forge its own
    "contributed by …, accepted by …" (accept refuses it; the review page warns)."""
    folder = str(record_iri(base, ""))
    typed = set(graph.subjects(RDF.type, NX.Contribution))
    return sorted({str(s) for s in graph.subjects() if s in typed or str(s).startswith(folder)})


def accepted_elsewhere(folder: Path, graph: Graph) -> dict[str, str]:
    """The sources ``graph`` ships with their text (``schema:text``) that an accepted contribution's
    file in ``folder`` already describes: source IRI -> that file's name. A claim made from a pending
    source carries the source (``compose.pending_source``); accepting it and the source's own
    contribution would give the source two text files, two checksums and two of every field."""
    shipped = {s for s in graph.subjects(SCHEMA.text) if isinstance(s, URIRef)}
    found: dict[str, str] = {}
    for path in sorted(folder.glob("*.ttl")) if shipped else []:
        accepted = Graph().parse(path, format="turtle")
        for source in sorted(shipped):
            if str(source) not in found and (source, None, None) in accepted:
                found[str(source)] = path.name
    return found


def accepted_graph(entry: Entry, graph: Graph, by: str, accepted: str, sources_dir: Path, base: str) -> Graph:
    """The contribution's triples with its provenance record (``record_iri``, under ``base``); inline
    source texts moved to files."""
    out = Graph(bind_namespaces="core")
    for prefix, namespace in {**PREFIXES, "dcterms": str(DCTERMS), "schema": str(SCHEMA)}.items():
        out.bind(prefix, namespace, override=True, replace=True)
    out += graph
    for source, text in list(out.subject_objects(SCHEMA.text)):
        raw = str(text).encode("utf-8")
        name = f"contribution-{entry.id}-{_slug(str(source))}.txt"
        write_atomically(sources_dir / name, raw)
        out.remove((source, SCHEMA.text, text))
        out.remove((source, NX.sha256, None))  # a contributed checksum of this text: recomputed below
        out.add((source, NX.textFile, Literal(name)))
        out.add((source, NX.sha256, Literal(hashlib.sha256(raw).hexdigest(), datatype=XSD.hexBinary)))
    record = record_iri(base, entry.id)
    out.add((record, RDF.type, NX.Contribution))
    out.add((record, RDFS.label, Literal(f"contribution {entry.id}")))
    out.add((record, DCTERMS.identifier, Literal(entry.id)))
    out.add((record, DCTERMS.dateSubmitted, Literal(entry.received, datatype=XSD.dateTime)))
    out.add((record, DCTERMS.dateAccepted, Literal(accepted, datatype=XSD.dateTime)))
    out.add((record, SCHEMA.editor, Literal(by)))
    out.add((record, DCTERMS.source, Literal(f"sha256:{entry.sha256}")))
    if entry.note:
        out.add((record, DCTERMS.description, Literal(entry.note)))
    if entry.contributor:
        out.add((record, DCTERMS.contributor, Literal(entry.contributor)))
    for subject in sorted({s for s in graph.subjects() if isinstance(s, URIRef)}):
        out.add((record, DCTERMS.hasPart, subject))
    return out


def accept(inbox: Inbox, validator: Validator, entry_id: str, by: str) -> Entry:
    """Accept a pending contribution: re-validate, write its file, mark it accepted.

    Raises:
        NotFound: no such contribution.
        NotPending: already decided.
        Unprocessable: it no longer conforms to the current build (the report says why), or it
            describes contribution records (``provenance_records``).
        DescribedTwice: a source it ships is already described by an accepted contribution
            (``accepted_elsewhere``).
    """
    entry = inbox.get(entry_id, with_body=True)
    if entry.status != "pending":
        inbox.decide(entry_id, "accepted", by)  # raises NotPending with the details
    fmt = formats.RDF_FORMATS[entry.format]
    outcome = validator.check(validator.parse(entry.body, fmt, entry_id))
    if not outcome.conforms:
        raise Unprocessable(
            "it no longer conforms to the current build; reject it or ask for a new version:\n"
            + to_text(outcome, entry_id)
        )
    forged = provenance_records(outcome.parsed.graph, validator.base)
    if forged:
        raise Unprocessable(
            f"it describes contribution records ({', '.join(forged)}), which only accepting writes; reject it"
        )
    data_dir = validator.data_dir
    twice = accepted_elsewhere(data_dir / FOLDER, outcome.parsed.graph)
    if twice:
        described = ", ".join(f"<{iri}> (in data/{FOLDER}/{name})" for iri, name in twice.items())
        raise DescribedTwice(
            f"it describes {described} again: a source is accepted once, with its own contribution or "
            "with the claims made from it; reject this one (its claims can be sent again citing the source)"
        )
    accepted = now()
    graph = accepted_graph(entry, outcome.parsed.graph, by, accepted, data_dir / "sources", validator.base)
    header = (
        f"# Contribution {entry.id}: received {entry.received}, accepted {accepted} by {by}.\n"
        f"# Submitted as {entry.format}, {entry.size} bytes, sha256 {entry.sha256}.\n"
    )
    path = data_dir / FOLDER / f"{entry.id}.ttl"
    write_atomically(path, header.encode("utf-8") + graph.serialize(format="turtle", encoding="utf-8"))
    return inbox.decide(entry_id, "accepted", by, file=str(path.relative_to(data_dir.parent)))


def reject(inbox: Inbox, entry_id: str, by: str, reason: str) -> Entry:
    """Reject a pending contribution, keeping the reason (shown on its status page)."""
    if not reason.strip():
        raise BadRequest("say why: a rejection needs a reason (--reason / reason=)")
    return inbox.decide(entry_id, "rejected", by, reason=reason.strip())


def _slug(iri: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", iri.rstrip("/").rsplit("/", 1)[-1].lower()).strip("-")[:60] or "source"
