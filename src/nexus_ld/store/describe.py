"""What the server says about one resource: the same content for every format.

``describe`` runs ``queries/describe.rq`` (one CONSTRUCT: the resource's triples, the claims about it
with status, attribution and evidence, the nodes they assert), ``queries/labels.rq`` (the labels of
every predicate and IRI those triples use, the IRIs bound as a list) and ``queries/incoming.rq`` (one
page of incoming links with their count, paged in the query): three queries, so a remote store
answers in as many round trips (four on a page past the last, which reads the total apart). RDF
formats serialise ``Description.rdf``; the HTML page is drawn from the same triples
(``web/models/claims.py``).
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property
from typing import TYPE_CHECKING, Any, Protocol

import pyoxigraph as ox

from nexus_ld.errors import NotFound

if TYPE_CHECKING:  # store.py builds descriptions with this module
    from nexus_ld.store.embedded import ReadStore

RDF = "http://www.w3.org/1999/02/22-rdf-syntax-ns#"
RDFS = "http://www.w3.org/2000/01/rdf-schema#"
SKOS = "http://www.w3.org/2004/02/skos/core#"
FOAF = "http://xmlns.com/foaf/0.1/"
HYDRA = "http://www.w3.org/ns/hydra/core#"
VOID = "http://rdfs.org/ns/void#"
XSD_INTEGER = ox.NamedNode("http://www.w3.org/2001/XMLSchema#integer")
LABELS = (RDFS + "label", SKOS + "prefLabel")
TYPE = ox.NamedNode(RDF + "type")


class DocUrls(Protocol):
    """Where the documents about a resource live (the web's ``Urls`` is one)."""

    def canonical_doc(self, iri: str, page: int = 1) -> str: ...


@dataclass(frozen=True)
class Incoming:
    """One link into the resource: ``subject predicate resource``."""

    subject: str
    predicate: str
    label_term: ox.Literal | None
    predicate_label: str | None = None
    summary: str | None = None  # a claim's nx:summary (claims have no label)

    @property
    def label(self) -> str | None:
        return self.label_term.value if self.label_term is not None else None


class Index:
    """Triples indexed by subject and predicate, with label look-ups (for building views)."""

    def __init__(self, triples: list[ox.Triple]) -> None:
        self.by_subject: dict[str, dict[str, list[Any]]] = {}  # terms: NamedNode, BlankNode, Literal
        for t in triples:
            objects = self.by_subject.setdefault(_key(t.subject), {}).setdefault(t.predicate.value, [])
            if t.object not in objects:
                objects.append(t.object)

    def objects(self, subject: object, predicate: str) -> list:
        return self.by_subject.get(_key(subject), {}).get(predicate, [])

    def first(self, subject: object, predicate: str) -> Any:
        found = self.objects(subject, predicate)
        return found[0] if found else None

    def value(self, subject: object, *predicates: str) -> str | None:
        for predicate in predicates:
            term = self.first(subject, predicate)
            if term is not None:
                return term.value
        return None

    def label(self, term: object) -> str | None:
        """The English (or any) label of ``term``, if the description carries one."""
        labels = [o for p in LABELS for o in self.objects(term, p) if isinstance(o, ox.Literal)]
        if not labels:
            return None
        english = [o for o in labels if o.language in (None, "en")]
        return (english or labels)[0].value

    def predicates(self, subject: object) -> dict[str, list]:
        return self.by_subject.get(_key(subject), {})


def _key(term: object) -> str:
    return f"_:{term.value}" if isinstance(term, ox.BlankNode) else getattr(term, "value", str(term))


@dataclass
class Description:
    """A resource's description: triples from describe.rq plus one page of incoming links."""

    iri: str
    triples: list[ox.Triple]
    incoming: list[Incoming]
    incoming_total: int
    page: int
    page_size: int

    @cached_property
    def index(self) -> Index:
        """The triples by subject and predicate, for the HTML page (an RDF answer never needs them)."""
        return Index(self.triples)

    @property
    def pages(self) -> int:
        return page_count(self.incoming_total, self.page_size)

    @cached_property
    def label(self) -> str:
        return self.index.label(ox.NamedNode(self.iri)) or self.iri.rsplit("/", 1)[-1].rsplit("#", 1)[-1]

    def rdf(self, urls: DocUrls, dataset_iri: str) -> list[ox.Triple]:
        """Every triple of the description, the page of incoming links and the document's own
        metadata (primary topic, incoming-link count, next/previous pages), without duplicates."""
        node = ox.NamedNode(self.iri)
        doc = ox.NamedNode(urls.canonical_doc(self.iri, self.page))
        out = dict.fromkeys(self.triples)
        for link in self.incoming:
            subject = ox.NamedNode(link.subject)
            out[ox.Triple(subject, ox.NamedNode(link.predicate), node)] = None
            if link.label_term is not None:
                out[ox.Triple(subject, ox.NamedNode(RDFS + "label"), link.label_term)] = None
        meta: list[tuple[str, ox.NamedNode | ox.Literal]] = [
            (FOAF + "primaryTopic", node),
            (VOID + "inDataset", ox.NamedNode(dataset_iri)),
            (HYDRA + "totalItems", ox.Literal(str(self.incoming_total), datatype=XSD_INTEGER)),
        ]
        if self.page < self.pages:
            meta.append((HYDRA + "next", ox.NamedNode(urls.canonical_doc(self.iri, self.page + 1))))
        if self.page > 1:
            meta.append((HYDRA + "previous", ox.NamedNode(urls.canonical_doc(self.iri, self.page - 1))))
        for predicate, obj in meta:
            out[ox.Triple(doc, ox.NamedNode(predicate), obj)] = None
        return list(out)


def page_count(total: int, page_size: int) -> int:
    """The pages of ``total`` incoming links (one, empty, when there are none)."""
    return max(1, -(-total // page_size))


def _order(triple: ox.Triple) -> tuple[str, ...]:
    """A sort key that ignores blank-node labels, which differ between stores: the same description
    gives the same page whichever store answered."""
    return tuple("" if isinstance(t, ox.BlankNode) else str(t) for t in triple)


def _text(term: Any) -> str | None:
    return term.value if term is not None else None


def linked(triples: set[ox.Triple]) -> list[ox.NamedNode]:
    """The IRIs whose labels a description carries: every predicate and every IRI object (sorted: the
    same description sends the same query text)."""
    terms = {t.predicate for t in triples} | {t.object for t in triples if isinstance(t.object, ox.NamedNode)}
    return sorted(terms, key=lambda t: t.value)


def incoming_page(store: ReadStore, iri: str, page: int, page_size: int) -> tuple[list[Incoming], int]:
    """One page of the links into ``iri`` and their total (``queries/incoming.rq``, paged in the query)."""
    subs = {"r": ox.NamedNode(iri)}
    rows = list(store.named("incoming", subs, limit=page_size, offset=(page - 1) * page_size))
    if not rows and page > 1:  # past the end no row carries the total: read it with the first link
        rows_for_total = list(store.named("incoming", subs, limit=1))
    else:
        rows_for_total = rows
    total = int(rows_for_total[0]["total"].value) if rows_for_total else 0
    links = [
        Incoming(row["s"].value, row["p"].value, row["label"], _text(row["plabel"]), _text(row["summary"]))
        for row in rows
    ]
    return links, total


def describe(store: ReadStore, iri: str, page: int = 1, page_size: int = 50) -> Description:
    """Describe ``iri``: its triples, claims, asserted nodes (one CONSTRUCT, ``queries/describe.rq``),
    the labels of what they link (``queries/labels.rq``) and one page of incoming links.

    A page past the last (the web answers it 404) has no labels: its third query reads the total.

    Raises:
        NotFound: when the dataset does not name ``iri`` at all.
    """
    found = set(store.named("describe", {"r": ox.NamedNode(iri)}))
    incoming, total = incoming_page(store, iri, page, page_size)
    if not found and not total:
        raise NotFound(f"no resource <{iri}> in this dataset")
    if found and page <= page_count(total, page_size):
        found.update(store.named("labels", {"t": linked(found)}))
    return Description(iri, sorted(found, key=_order), incoming, total, page, page_size)
