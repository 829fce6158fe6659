"""Structured views of claims (format-neutral; the HTML pages draw them): the claims about a resource
with their status, agents, quotes and time, read from ``store.describe.Description``; the claims list
of /claims, from the build's ``claims`` table."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from nexus_ld.store.describe import RDF, Description, Index

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
    triple: tuple[str, str, Any] | None  # rdf:subject, rdf:predicate, rdf:object (a pyoxigraph term)
    when: str  # a date or interval of dates, or ""
    time_words: str = ""  # the time as the source words it ("repeatedly"), never shown as a date

    @property
    def status_slug(self) -> str:
        return (self.status or "unknown").rstrip("/").rsplit("/", 1)[-1]

    @property
    def first_offset(self) -> int:
        return min((q.start for q in self.quotes if q.start is not None), default=10**9)


def _nx(index_base: str, name: str) -> str:
    return index_base + NX_SUFFIX + name


def _time_nodes(index: Index, node: object, base: str) -> list[Any]:
    return [t for prop in TIME_PROPS for iri in (TIME + prop, _nx(base, prop), W3ORG + prop)
            for t in index.objects(node, iri)]  # fmt: skip


def time_words(index: Index, node: object, base: str) -> str:
    """The time as the source words it (``nx:timeText`` of the node, its time or that time's ends),
    quoted: “repeatedly”, until “After the death of Baitullah Mehsud”. Text, never a date."""
    words = _nx(base, "timeText")
    found = [f"“{w}”" for w in [index.value(node, words)] if w]
    for t in _time_nodes(index, node, base):
        found += [f"“{w}”" for w in [index.value(t, words)] if w]
        for end, lead in ((TIME + "hasBeginning", "from"), (TIME + "hasEnd", "until")):
            instant = index.first(t, end)
            worded = index.value(instant, words) if instant is not None else None
            found += [f"{lead} “{worded}”"] if worded else []
    return "; ".join(dict.fromkeys(found))


def time_text(index: Index, node: object, base: str) -> tuple[str, str]:
    """(display text, sort key) of the dates a node carries: ``2007``, ``2013 – 2018-06``, ``from 2014``
    (an interval known only by an instant inside it shows that instant);
    ("", "9999") when it has none (a time worded only in text is ``time_words``)."""
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
            inside = index.first(t, TIME + "hasInside")  # held at a known time, its span unknown
            i = index.value(inside, *PRECISIONS) if inside is not None else None
            if i:
                return i, i  # as the timeline shows it
    return ("", "9999")


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
                offsets = ix.value(selector, OA + "start"), ix.value(selector, OA + "end")
                if offsets[0] is not None:
                    start, end = int(offsets[0]), int(offsets[1] or 0)
            quotes.append(Quote(source, exact, start, end))
        subj, pred, obj = (ix.first(subject, RDF + x) for x in ("subject", "predicate", "object"))
        out.append(
            ClaimView(
                iri=subject,
                summary=ix.value(subject, _nx(base, "summary")) or "",
                status=status.value if status is not None else None,
                status_label=(ix.label(status) if status is not None else None) or "unknown status",
                hedged=ix.value(subject, _nx(base, "hedged")) in ("true", "1"),  # xsd:boolean, by value
                agents=agents,
                quotes=quotes,
                asserts=[o.value for o in ix.objects(subject, _nx(base, "asserts"))],
                triple=(subj.value, pred.value, obj) if subj is not None and pred is not None else None,
                when=time_text(ix, subject, base)[0],
                time_words=time_words(ix, subject, base),
            )
        )
    out.sort(key=lambda c: (c.first_offset, c.iri))
    return out
