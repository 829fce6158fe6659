"""What a pending contribution adds, for the maintainers' review page: its entities (labels, classes),
claims (summary, status, quotes), sources, and the published claims it restates.

A contribution *restates* a published claim when one of its claims (under another IRI: editing a
published claim is refused by the rules) has

- the same ``rdf:subject``, ``rdf:predicate`` and ``rdf:object`` (``queries/restates-triple.rq``), or
- evidence with the same ``oa:exact`` quote from the same ``oa:hasSource`` (``queries/restates-quote.rq``).

Restating is a warning, not a violation: a second source may corroborate a claim, which a maintainer
decides. Both queries run on the published store with the claim's values bound, one pair per claim.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field

import pyoxigraph as ox
from rdflib import BNode, Graph, Literal, URIRef
from rdflib.namespace import DCTERMS, RDF, RDFS, SKOS
from rdflib.term import Node

from nexus_ld import formats
from nexus_ld.contributions.inbox import Entry, Inbox
from nexus_ld.contributions.review import (
    accepted_elsewhere,
    described_index,
    described_iris,
    minted_unseen,
    provenance_records,
    seen_in,
)
from nexus_ld.contributions.rules import SCHEMA
from nexus_ld.contributions.service import Validator
from nexus_ld.errors import NexusError
from nexus_ld.namespaces import NX
from nexus_ld.store.embedded import Store

OA = "http://www.w3.org/ns/oa#"
FORM = 1  # the kept digests' JSON form: a new form makes those kept before it stale
SAME_TRIPLE = "the same subject, predicate and object"
SAME_QUOTE = "the same quote from the same source"
OA_EXACT, OA_SOURCE, OA_SELECTOR = URIRef(OA + "exact"), URIRef(OA + "hasSource"), URIRef(OA + "hasSelector")


@dataclass
class Entity:
    iri: str
    labels: list[str]
    classes: list[str]
    published: bool  # the store already describes it: the contribution adds to it


@dataclass
class Quote:
    source: str
    exact: str


@dataclass
class Restatement:
    claim: str  # the contribution's claim
    existing: str  # the published claim it repeats
    summary: str
    why: str  # SAME_TRIPLE or SAME_QUOTE


@dataclass
class ClaimDigest:
    iri: str
    summary: str
    status: str
    quotes: list[Quote]
    triple: tuple[str, str, str] | None
    literal_object: bool = False  # the triple's object is a literal (shown quoted), not an IRI


@dataclass
class Digest:
    """What one contribution adds; ``error`` when its body could not be read again."""

    entities: list[Entity] = field(default_factory=list)
    claims: list[ClaimDigest] = field(default_factory=list)
    sources: list[Entity] = field(default_factory=list)
    restatements: list[Restatement] = field(default_factory=list)
    forged: list[str] = field(default_factory=list)  # contribution records it carries (accept refuses)
    published: dict[str, bool] = field(default_factory=dict)  # the IRIs it describes: in the store?
    # Those another accepted contribution minted unseen by it (``review.minted_unseen``): (IRI, its id,
    # its file); accepting is refused unless the maintainer says both describe the same entity.
    minted: list[tuple[str, str, str]] = field(default_factory=list)
    error: str = ""


def digests(validator: Validator, inbox: Inbox, entries: Sequence[Entry]) -> list[Digest]:
    """The digests of ``entries`` (read with their bodies), with the IRIs that contributions accepted in
    ``inbox`` minted unseen by them: the described index is asked once for them all. A digest kept in
    the inbox for this release (made at submit, or by an earlier view) is read, not made again: it
    depends only on the body and the release; those made here are kept."""
    described_index(inbox, validator)
    key = release_key(validator)
    found, made = [], []
    for entry in entries:
        if key and entry.digest_release == key:
            found.append(from_json(entry.digest))
            continue
        found.append(digest(validator, entry))
        if key and not found[-1].error:
            made.append((entry.id, to_json(found[-1]), key))
    if made:
        inbox.keep_digests(made)
    elsewhere = accepted_elsewhere(inbox, validator.data_dir, {iri for d in found for iri in d.published}, "")
    for entry, d in zip(entries, found, strict=True):
        d.minted = [
            (iri, hit.entry, hit.file)
            for iri, hit in minted_unseen(entry, d.published, elsewhere, seen_in(validator, entry)).items()
        ]
    return found


def release_key(validator: Validator) -> str:
    """What a kept digest is valid for: the validator's release and the digest's form ('' when the
    store is no release: nothing kept)."""
    return f"{validator.release}/{FORM}" if validator.release else ""


def kept(validator: Validator, graph: Graph) -> tuple[str, str]:
    """The digest of a contribution just validated (its parsed ``graph``), to keep with it in the inbox."""
    key = release_key(validator)
    return (to_json(of_graph(validator, graph)), key) if key else ("", "")


def to_json(d: Digest) -> str:
    """A digest as kept in the inbox (without ``minted``: the inbox changes, it is asked each time)."""
    return json.dumps(asdict(d) | {"minted": []})


def from_json(text: str) -> Digest:
    data = json.loads(text)
    claims = [
        ClaimDigest(
            **(
                c
                | {"quotes": [Quote(**q) for q in c["quotes"]], "triple": c["triple"] and tuple(c["triple"])}
            )
        )
        for c in data["claims"]
    ]
    return Digest(
        entities=[Entity(**e) for e in data["entities"]],
        claims=claims,
        sources=[Entity(**e) for e in data["sources"]],
        restatements=[Restatement(**r) for r in data["restatements"]],
        forged=data["forged"],
        published=data["published"],
    )


def digest(validator: Validator, entry: Entry) -> Digest:
    """The digest of ``entry`` (read with its body), against the validator's published store."""
    try:
        graph = validator.parse(entry.body, formats.RDF_FORMATS[entry.format], entry.id).graph
    except NexusError as exc:  # it parsed when submitted; a stricter limit since then may refuse it
        return Digest(error=exc.message)
    return of_graph(validator, graph)


def of_graph(validator: Validator, graph: Graph) -> Digest:
    """The digest of a contribution's parsed ``graph``, against the validator's published store."""
    store = validator.store
    published = {iri: store.exists(iri) for iri in described_iris(graph, validator.base)}
    claims = [_claim(graph, c) for c in sorted(set(graph.subjects(RDF.type, NX.Claim)), key=str)]
    sources = {s for s in graph.subjects(RDF.type, NX.Source) if isinstance(s, URIRef)}
    others = {
        s
        for s in graph.subjects(RDF.type, None)
        if isinstance(s, URIRef) and s not in sources and (s, RDF.type, NX.Claim) not in graph
    }
    return Digest(
        entities=[_entity(graph, s, published.get(str(s), True)) for s in sorted(others, key=str)],
        claims=claims,
        sources=[_entity(graph, s, published.get(str(s), True)) for s in sorted(sources, key=str)],
        restatements=[r for c in claims for r in restatements(store, graph, URIRef(c.iri))],
        forged=provenance_records(graph, validator.base),
        published=published,
    )


def restatements(store: Store, graph: Graph, claim: URIRef) -> list[Restatement]:
    """The published claims that ``claim`` of ``graph`` restates (module docstring)."""
    found: dict[str, Restatement] = {}
    subject, predicate, obj = (graph.value(claim, p) for p in (RDF.subject, RDF.predicate, RDF.object))
    if subject is not None and predicate is not None and obj is not None:
        bound = {"claim": _term(claim), "subject": _term(subject), "predicate": _term(predicate)}
        for row in store.named("restates-triple", bound | {"object": _term(obj)}):
            found.setdefault(row["existing"].value, _restatement(claim, row, SAME_TRIPLE))
    for evidence in graph.objects(claim, NX.evidence):
        source = graph.value(evidence, OA_SOURCE)
        for selector in graph.objects(evidence, OA_SELECTOR):
            exact = graph.value(selector, OA_EXACT)
            if source is None or exact is None:
                continue
            bound = {"claim": _term(claim), "source": _term(source), "exact": ox.Literal(str(exact))}
            for row in store.named("restates-quote", bound):
                found.setdefault(row["existing"].value, _restatement(claim, row, SAME_QUOTE))
    return list(found.values())


def _restatement(claim: URIRef, row: ox.QuerySolution, why: str) -> Restatement:
    summary = row["summary"]
    return Restatement(str(claim), row["existing"].value, summary.value if summary is not None else "", why)


def _claim(graph: Graph, claim: Node) -> ClaimDigest:
    quotes = []
    for evidence in graph.objects(claim, NX.evidence):
        source = graph.value(evidence, OA_SOURCE)
        for selector in graph.objects(evidence, OA_SELECTOR):
            exact = graph.value(selector, OA_EXACT)
            if exact is not None:
                quotes.append(Quote(str(source or ""), str(exact)))
    parts = [graph.value(claim, p) for p in (RDF.subject, RDF.predicate, RDF.object)]
    return ClaimDigest(
        iri=str(claim),
        summary=str(graph.value(claim, NX.summary) or ""),
        status=str(graph.value(claim, NX.status) or ""),
        quotes=quotes,
        triple=(str(parts[0]), str(parts[1]), str(parts[2])) if all(p is not None for p in parts) else None,
        literal_object=isinstance(parts[2], Literal),
    )


def _entity(graph: Graph, node: URIRef, published: bool) -> Entity:
    labels = [
        str(o)
        for p in (RDFS.label, SKOS.prefLabel, SKOS.altLabel, SCHEMA.name, DCTERMS.title)
        for o in graph.objects(node, p)
    ]
    classes = sorted(str(o) for o in graph.objects(node, RDF.type))
    return Entity(str(node), labels, classes, published)


def _term(node: Node) -> ox.NamedNode | ox.BlankNode | ox.Literal:
    """The pyoxigraph term of an rdflib term (to bind it in a query)."""
    if isinstance(node, Literal):
        if node.language:
            return ox.Literal(str(node), language=node.language)
        return ox.Literal(str(node), datatype=ox.NamedNode(str(node.datatype)) if node.datatype else None)
    if isinstance(node, BNode):
        return ox.BlankNode(str(node))
    return ox.NamedNode(str(node))
