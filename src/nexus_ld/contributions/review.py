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
from collections.abc import Callable, Iterable, Mapping
from functools import cache, partial
from pathlib import Path

from rdflib import Graph, Literal, URIRef
from rdflib.namespace import DCTERMS, RDF, RDFS, XSD

from nexus_ld import formats
from nexus_ld.contributions.inbox import Described, Entry, Inbox, now
from nexus_ld.contributions.report import to_text
from nexus_ld.contributions.rules import SCHEMA
from nexus_ld.contributions.service import Validator
from nexus_ld.errors import BadRequest, NexusError, Unprocessable
from nexus_ld.namespaces import NX, PREFIXES
from nexus_ld.pipeline.load import parse_file
from nexus_ld.pipeline.publish.releases import kept_folder
from nexus_ld.store.embedded import STORE_DIR, Store

FOLDER = "contributions"


class DescribedTwice(NexusError):
    """A source that shipped its text is already described by an accepted contribution."""

    status, title = 409, "Source already accepted"


class MintedTwice(NexusError):
    """A new IRI of the contribution was minted by another accepted contribution unseen by it."""

    status, title = 409, "IRI already minted"


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


def described_iris(graph: Graph, base: str) -> list[str]:
    """The IRIs ``graph`` describes (its IRI subjects), but contribution records (``record_iri``)."""
    folder = str(record_iri(base, ""))
    return sorted(
        {str(s) for s in graph.subjects() if isinstance(s, URIRef) and not str(s).startswith(folder)}
    )


def described_index(inbox: Inbox, validator: Validator) -> None:
    """Make the inbox's described index complete: rebuilt from the accepted files (``data/contributions/``)
    when the inbox has none (an IRI counts as minted by a file when the store does not have it); kept up
    to date by ``accept`` from then on.

    Raises:
        InputError: an accepted file does not parse (file:line, as ``nexus-ld check`` says).
    """
    if inbox.index_built():
        return
    data_dir = validator.data_dir
    rows = [
        (iri, path.stem, f"{data_dir.name}/{FOLDER}/{path.name}", not validator.store.exists(iri))
        for path in sorted((data_dir / FOLDER).glob("*.ttl"))
        for iri in described_iris(parse_file(path), validator.base)
    ]
    inbox.rebuild_index(rows)


def accepted_elsewhere(
    inbox: Inbox, data_dir: Path, iris: Iterable[str], entry_id: str
) -> dict[str, list[Described]]:
    """Which of ``iris`` accepted contributions other than ``entry_id`` describe, first accepted first;
    from the described index (one lookup per IRI, no file read), a file since removed from ``data/``
    not counted."""
    found = {}
    for iri, hits in inbox.described_by(iris).items():
        there = [hit for hit in hits if hit.entry != entry_id and (data_dir.parent / hit.file).is_file()]
        if there:
            found[iri] = there
    return found


Seen = Callable[[str], bool | None]


def seen_in(validator: Validator, entry: Entry) -> Seen:
    """Whether an IRI was in the release ``entry`` was validated against when received: what it could
    see. None when that cannot be told: received before the release was kept with it, or that release
    is no longer kept (pruned) or kept without its store (a remote store)."""
    release = entry.validated_release
    if release and release == validator.release:
        return validator.store.exists
    folder = kept_folder(validator.build_dir, release) if release and validator.build_dir else None
    if folder is None or not (folder / STORE_DIR).is_dir():
        return lambda iri: None
    # Opened when first asked: the review page makes this for every pending contribution, and only an
    # IRI another accepted contribution minted is asked about.
    opened = cache(partial(Store.open, folder))
    return lambda iri: opened().exists(iri)


def minted_unseen(
    entry: Entry, published: Mapping[str, bool], elsewhere: Mapping[str, list[Described]], seen: Seen
) -> dict[str, Described]:
    """The IRIs ``entry`` describes (``published``: IRI -> whether the store has it) that another accepted
    contribution (``accepted_elsewhere``) minted where ``entry`` could not see it: not built yet, or
    absent from the release ``entry`` was validated against (``seen``: received between the other's
    accept and the build that published it, both minted it blind). Where ``seen`` cannot tell, the
    times do: accepted once ``entry`` was received. Accepted, both would describe one resource, their
    labels and classes merged by the build."""
    found = {}
    for iri, hits in elsewhere.items():
        minted = [hit for hit in hits if hit.minted]
        if iri not in published or not minted:
            continue
        saw = seen(iri) if published[iri] else False
        unseen = [hit for hit in minted if saw is False or (saw is None and hit.accepted >= entry.received)]
        if unseen:
            found[iri] = unseen[0]
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


def accept(inbox: Inbox, validator: Validator, entry_id: str, by: str, *, same_entity: bool = False) -> Entry:
    """Accept a pending contribution: re-validate, write its file, mark it accepted.

    ``same_entity``: the maintainer has read that a new IRI of it was already minted by another accepted
    contribution (``MintedTwice``) and says both describe the same entity.

    Raises:
        NotFound: no such contribution.
        NotPending: already decided.
        Unprocessable: it no longer conforms to the current build (the report says why), or it
            describes contribution records (``provenance_records``).
        DescribedTwice: a source it ships is already described by an accepted contribution: a source
            is accepted once, with its own contribution or with the claims made from it.
        MintedTwice: a new IRI it describes was minted by another accepted contribution not yet built
            or accepted since it was received (``minted_unseen``), unless ``same_entity``.
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
    data_dir, graph = validator.data_dir, outcome.parsed.graph
    described_index(inbox, validator)
    published = {iri: validator.store.exists(iri) for iri in described_iris(graph, validator.base)}
    elsewhere = accepted_elsewhere(inbox, data_dir, published, entry_id)
    shipped = [str(s) for s in graph.subjects(SCHEMA.text) if isinstance(s, URIRef)]
    twice = {iri: elsewhere[iri][0].file for iri in sorted(set(shipped)) if iri in elsewhere}
    if twice:
        described = ", ".join(f"<{iri}> (in {file})" for iri, file in twice.items())
        raise DescribedTwice(
            f"it describes {described} again: a source is accepted once, with its own contribution or "
            "with the claims made from it; reject this one (its claims can be sent again citing the source)"
        )
    minted = minted_unseen(entry, published, elsewhere, seen_in(validator, entry))
    if minted and not same_entity:
        which = ", ".join(
            f"<{iri}>, already minted by contribution {hit.entry} ({hit.file})" for iri, hit in minted.items()
        )
        raise MintedTwice(
            f"it mints {which}, accepted since this one was received or not yet built: the build would "
            "merge both descriptions (labels, classes) into one resource. If both describe the same "
            'entity, accept it stating so (the review page\'s "describes the same entity" box, '
            "`--same-entity`, same_entity=1); otherwise reject it and ask for another IRI"
        )
    accepted = now()
    written = accepted_graph(entry, graph, by, accepted, data_dir / "sources", validator.base)
    header = (
        f"# Contribution {entry.id}: received {entry.received}, accepted {accepted} by {by}.\n"
        f"# Submitted as {entry.format}, {entry.size} bytes, sha256 {entry.sha256}.\n"
    )
    path = data_dir / FOLDER / f"{entry.id}.ttl"
    write_atomically(path, header.encode("utf-8") + written.serialize(format="turtle", encoding="utf-8"))
    file = str(path.relative_to(data_dir.parent))
    # An IRI another contribution minted, accepted here as the same entity, is not minted by this one:
    # a later clash names its first minter alone.
    minted_here = {iri: not there and iri not in minted for iri, there in published.items()}
    return inbox.decide(entry_id, "accepted", by, file=file, described=minted_here)


def reject(inbox: Inbox, entry_id: str, by: str, reason: str) -> Entry:
    """Reject a pending contribution, keeping the reason (shown on its status page)."""
    if not reason.strip():
        raise BadRequest("say why: a rejection needs a reason (--reason / reason=)")
    return inbox.decide(entry_id, "rejected", by, reason=reason.strip())


def _slug(iri: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", iri.rstrip("/").rsplit("/", 1)[-1].lower()).strip("-")[:60] or "source"
