"""What the server says about one resource: the same content for every format.

``describe`` runs ``queries/describe.rq`` (the resource's triples, the claims about it with status,
attribution and evidence, the nodes they assert, the labels of everything linked) and
``queries/incoming.rq`` (incoming links, paged, with a count). RDF formats serialise
``Description.rdf``; the HTML page is drawn from the same triples by ``pages.entity_view``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property

import pyoxigraph as ox

from .errors import NotFound
from .store import Store
from .urls import Urls

RDF = "http://www.w3.org/1999/02/22-rdf-syntax-ns#"
RDFS = "http://www.w3.org/2000/01/rdf-schema#"
SKOS = "http://www.w3.org/2004/02/skos/core#"
FOAF = "http://xmlns.com/foaf/0.1/"
HYDRA = "http://www.w3.org/ns/hydra/core#"
VOID = "http://rdfs.org/ns/void#"
XSD_INTEGER = ox.NamedNode("http://www.w3.org/2001/XMLSchema#integer")
LABELS = (RDFS + "label", SKOS + "prefLabel")
TYPE = ox.NamedNode(RDF + "type")


@dataclass(frozen=True)
class Incoming:
    """One link into the resource: ``subject predicate resource``."""

    subject: str
    predicate: str
    label_term: ox.Literal | None

    @property
    def label(self) -> str | None:
        return self.label_term.value if self.label_term is not None else None


class Index:
    """Triples indexed by subject and predicate, with label look-ups (for building views)."""

    def __init__(self, triples: list[ox.Triple]) -> None:
        self.by_subject: dict[str, dict[str, list[ox.NamedNode | ox.BlankNode | ox.Literal]]] = {}
        for t in triples:
            objects = self.by_subject.setdefault(_key(t.subject), {}).setdefault(t.predicate.value, [])
            if t.object not in objects:
                objects.append(t.object)

    def objects(self, subject: object, predicate: str) -> list:
        return self.by_subject.get(_key(subject), {}).get(predicate, [])

    def first(self, subject: object, predicate: str) -> object | None:
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
    index: Index = field(init=False, repr=False)

    def __post_init__(self) -> None:
        self.index = Index(self.triples)

    @property
    def pages(self) -> int:
        return max(1, -(-self.incoming_total // self.page_size))

    @cached_property
    def label(self) -> str:
        return self.index.label(ox.NamedNode(self.iri)) or self.iri.rsplit("/", 1)[-1].rsplit("#", 1)[-1]

    def rdf(self, urls: Urls, dataset_iri: str) -> list[ox.Triple]:
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
        meta = [
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


def exists(store: Store, iri: str) -> bool:
    """Whether ``iri`` occurs in the published graphs (``queries/exists.rq``)."""
    return bool(store.named("exists", {"r": ox.NamedNode(iri)}))


DESCRIBED_GRAPHS = ("data", "sources", "ontology", "truthy")  # not the entailments


BLANK_DEPTH = 3  # claim -> evidence -> selector; membership -> interval -> instant


def described_triples(store: Store, roots: list[ox.NamedNode]) -> list[ox.Triple]:
    """The triples of ``roots`` in the published graphs, of the blank nodes they reach (up to
    ``BLANK_DEPTH`` levels), and the labels of every IRI linked and property used (read from the
    store's indexes, in order, without repeats)."""
    graphs = {store.graphs[name] for name in DESCRIBED_GRAPHS}
    out: dict[ox.Triple, None] = {}
    level: list[ox.NamedNode | ox.BlankNode] = list(roots)
    seen = set(level)
    for _ in range(BLANK_DEPTH + 1):
        following: list[ox.BlankNode] = []
        for subject in level:
            for quad in store.ox.quads_for_pattern(subject, None, None, None):
                if quad.graph_name in graphs:
                    out[quad.triple] = None
                    if isinstance(quad.object, ox.BlankNode) and quad.object not in seen:
                        seen.add(quad.object)
                        following.append(quad.object)
        level = following
    linked = {t.object for t in out if isinstance(t.object, ox.NamedNode)} | {t.predicate for t in out}
    label_properties = [ox.NamedNode(p) for p in LABELS]
    for term in sorted(linked, key=lambda n: n.value):
        for prop in label_properties:
            for quad in store.ox.quads_for_pattern(term, prop, None, None):
                out[quad.triple] = None
    return list(out)


def describe(store: Store, iri: str, page: int = 1, page_size: int = 50) -> Description:
    """Describe ``iri``: its triples, claims, asserted nodes, linked labels and incoming links.

    Raises:
        NotFound: when the dataset does not name ``iri`` at all.
    """
    node = ox.NamedNode(iri)
    roots = [row["root"] for row in store.named("describe", {"r": node})]
    triples = described_triples(store, roots)
    incoming: dict[tuple[str, str], Incoming] = {}
    for row in store.named("incoming", {"r": node}):
        key = (row["s"].value, row["p"].value)
        if key not in incoming:  # several labels give several rows; keep the first
            incoming[key] = Incoming(key[0], key[1], row["label"])
    if not triples and not incoming:
        raise NotFound(f"no resource <{iri}> in this dataset")
    rows = list(incoming.values())
    start = (page - 1) * page_size
    return Description(iri, triples, rows[start : start + page_size], len(rows), page, page_size)


# --- structured views of a description (format-neutral; the HTML page draws them) ------------------
NX_SUFFIX = "ontology#"
TIME = "http://www.w3.org/2006/time#"
PROV = "http://www.w3.org/ns/prov#"
OA = "http://www.w3.org/ns/oa#"
W3ORG = "http://www.w3.org/ns/org#"
TIME_PROPS = ("hasTime", "during", "memberDuring", "validTime")
PRECISIONS = (TIME + "inXSDDate", TIME + "inXSDgYearMonth", TIME + "inXSDgYear")


@dataclass
class Quote:
    source: str
    exact: str
    start: int | None
    end: int | None


@dataclass
class ClaimView:
    iri: str
    summary: str
    status: str | None
    status_label: str
    hedged: bool
    agents: list[tuple[str, str, str]]  # (agent IRI, agent label, role label)
    quotes: list[Quote]
    asserts: list[str]
    triple: tuple[str, str, object] | None  # rdf:subject, rdf:predicate, rdf:object
    when: str

    @property
    def status_slug(self) -> str:
        return (self.status or "unknown").rstrip("/").rsplit("/", 1)[-1]

    @property
    def first_offset(self) -> int:
        return min((q.start for q in self.quotes if q.start is not None), default=10**9)


def _nx(index_base: str, name: str) -> str:
    return index_base + NX_SUFFIX + name


def time_text(index: Index, node: object, base: str) -> tuple[str, str]:
    """(display text, sort key) of the time a node carries: ``2007``, ``2013 – 2018-06``, ``from 2014``."""
    for prop in TIME_PROPS:
        for iri in (TIME + prop, _nx(base, prop), W3ORG + prop):
            t = index.first(node, iri)
            if t is None:
                continue
            instant = index.value(t, *PRECISIONS)
            if instant:
                return instant, instant
            begin = index.first(t, TIME + "hasBeginning")
            end = index.first(t, TIME + "hasEnd")
            b = index.value(begin, *PRECISIONS) if begin is not None else None
            e = index.value(end, *PRECISIONS) if end is not None else None
            if b and e:
                return f"{b} – {e}", b
            if b:
                return f"from {b}", b
            if e:
                return f"until {e}", e
    text = index.value(node, _nx(base, "timeText"))
    return (text or "", "9999")


def claims_of(desc: Description, base: str) -> list[ClaimView]:
    """Every claim in the description with status, attribution, evidence and time."""
    ix = desc.index
    claim_class = _nx(base, "Claim")
    out = []
    for subject, props in ix.by_subject.items():
        if claim_class not in [o.value for o in props.get(RDF + "type", [])]:
            continue
        status = ix.first(subject, _nx(base, "status"))
        agents = []
        for attribution in ix.objects(subject, PROV + "qualifiedAttribution"):
            agent = ix.first(attribution, PROV + "agent")
            role = ix.first(attribution, PROV + "hadRole")
            if agent is not None:
                agents.append(
                    (agent.value, ix.label(agent) or agent.value, ix.label(role) or "" if role else "")
                )
        if not agents:
            agents = [
                (a.value, ix.label(a) or a.value, "") for a in ix.objects(subject, PROV + "wasAttributedTo")
            ]
        quotes = []
        for evidence in ix.objects(subject, _nx(base, "evidence")):
            source = ix.value(evidence, OA + "hasSource") or ""
            exact, start, end = "", None, None
            for selector in ix.objects(evidence, OA + "hasSelector"):
                exact = ix.value(selector, OA + "exact") or exact
                if ix.value(selector, OA + "start") is not None:
                    start = int(ix.value(selector, OA + "start"))
                    end = int(ix.value(selector, OA + "end"))
            quotes.append(Quote(source, exact, start, end))
        subj, pred, obj = (ix.first(subject, RDF + x) for x in ("subject", "predicate", "object"))
        out.append(
            ClaimView(
                iri=subject,
                summary=ix.value(subject, _nx(base, "summary")) or "",
                status=status.value if status is not None else None,
                status_label=(ix.label(status) if status is not None else None) or "unknown status",
                hedged=ix.value(subject, _nx(base, "hedged")) == "true",
                agents=agents,
                quotes=quotes,
                asserts=[o.value for o in ix.objects(subject, _nx(base, "asserts"))],
                triple=(subj.value, pred.value, obj) if subj is not None and pred is not None else None,
                when=time_text(ix, subject, base)[0],
            )
        )
    out.sort(key=lambda c: (c.first_offset, c.iri))
    return out
