"""Contributions from form fields: a claim from a passage, or a new source, built as an rdflib graph.

A person who has never written RDF fills a form; this module turns its fields into the triples of
``docs/data-model.md`` (quote, offsets and checksum exact by construction) on a ``forms.Draft``, which
maps each validation finding back to the form field that produced it. No Flask here:
``web/views/compose.py`` calls it.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass

from rdflib import BNode, Graph, Literal, URIRef
from rdflib.namespace import DCTERMS, RDF, RDFS, XSD

from nexus_ld.contributions.forms import (
    OA,
    TIME,
    W3ORG,
    WHEN_PREDICATES,
    Draft,
    Vocabulary,
    passage,
    slug,
    when_literal,
)
from nexus_ld.contributions.rules import PROV, SCHEMA
from nexus_ld.namespaces import NX
from nexus_ld.pipeline.quotes import CONTEXT, QuoteNotFound

# The event properties the "about" and "other" parties take, where the kind gives them a part.
EVENT_PARTS = {
    NX.Attack: (NX.perpetrator, NX.target),
    NX.MilitaryOperation: (NX.conductedBy, NX.target),
    NX.PledgeOfAllegiance: (NX.subject, NX.pledgedTo),
}
MAX_FIELD = 2_000  # characters of a one-line field (the text of a source is bounded by max_body_bytes)


def sha256_hex(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


@dataclass(frozen=True)
class SourceText:
    """The source a passage is taken from: its IRI, its exact text, its author (if the data names one),
    and, for a source still pending in the inbox, its description to ship with the claim."""

    iri: str
    text: str
    author: str | None = None
    author_label: str = ""
    title: str = ""
    pending: Graph | None = None


def compose_claim(
    values: Mapping[str, str],
    source: SourceText,
    vocabulary: Vocabulary,
    base: str,
    exists: Callable[[str], bool] = lambda iri: False,
) -> Draft:
    """The claim the form describes, with the nodes it asserts and any new entity; problems of fields
    that cannot be turned into triples (an unreadable date, a passage not in the source, a new entity
    whose IRI ``exists`` already) are on the draft.
    """
    draft = Draft(base, exists)
    if source.pending is not None:
        for s, p, o in source.pending:
            draft.add(s, p, o, "source")
    get = {k: str(v).strip()[: len(source.text) if k == "exact" else MAX_FIELD] for k, v in values.items()}
    when, ended = _when(draft, get)
    summary = get.get("summary", "")
    start: int | None
    end: int | None
    try:
        start, end = passage(source.text, get)
    except QuoteNotFound as exc:
        draft.problem("quote", str(exc))
        start = end = None
    claim = draft.iri("claim", _claim_slug(summary, source.iri, start, end))
    add = draft.add
    add(claim, RDF.type, NX.Claim, "status")  # rules on the claim as a whole weigh its status
    if summary:
        add(claim, NX.summary, Literal(summary, lang="en"), "summary")
    else:
        draft.problem("summary", "write one neutral English line saying what the passage claims")
    parties = {name: _entity(draft, get, name, vocabulary) for name in ("about", "other")}
    if parties["about"] is None:
        draft.problem("about", "choose what the claim is about (or name a new entity)")
    for name, party in parties.items():
        if party is not None:
            add(claim, NX.about, party, name)
    _statement(draft, claim, get, vocabulary, parties, summary, (when, ended))
    _status(draft, claim, get, vocabulary)
    _attribution(draft, claim, get, source, vocabulary)
    if start is not None and end is not None:
        _evidence(draft, claim, URIRef(source.iri), source.text, start, end)
    if get.get("time_text"):
        add(claim, NX.timeText, Literal(get["time_text"]), "time_text")
    return draft


def _claim_slug(summary: str, source: str, start: int | None, end: int | None) -> str:
    """A readable slug from the summary, made unique by the passage and summary it comes from."""
    digest = hashlib.sha256(f"{source} {start} {end} {summary}".encode()).hexdigest()[:6]
    return f"{slug(summary)}-{digest}"


def _entity(
    draft: Draft, get: Mapping[str, str], name: str, vocabulary: Vocabulary, where: str = ""
) -> URIRef | None:
    """The IRI the field ``name`` chose, or a new entity minted from ``<name>_label`` + ``<name>_class``;
    problems go to the field ``where`` (default ``name``)."""
    where = where or name
    chosen = get.get(name, "")
    if chosen:
        if not chosen.startswith(draft.base + "id/"):
            draft.problem(where, f"choose an entity of this dataset (an IRI under {draft.base}id/)")
            return None
        return URIRef(chosen)
    label, cls = get.get(f"{name}_label", ""), get.get(f"{name}_class", "")
    if not label:
        return None
    folder = vocabulary.folders.get(cls)
    if folder is None:
        draft.problem(
            where, f"say what kind of thing {label!r} is (a group, a person, a state body, a place …)"
        )
        return None
    entity = draft.iri(folder, slug(label))
    if draft.exists(str(entity)):
        draft.problem(
            where, f"{label!r} would be <{entity}>, which is published already: choose it from the list"
        )
        return None
    draft.add(entity, RDF.type, URIRef(cls), where)
    draft.add(entity, RDFS.label, Literal(label, lang="en"), where)
    return entity


def _statement(
    draft: Draft,
    claim: URIRef,
    get: Mapping[str, str],
    vocabulary: Vocabulary,
    parties: Mapping[str, URIRef | None],
    summary: str,
    when: tuple[dict[str, Literal], bool],
) -> None:
    """The node the claim asserts (relationship, post or event) with its parties and its time; or, with
    no kind, a claim of its summary alone (the ontology's textual claim), its time the claim's valid time."""
    kind_iri = get.get("kind", "")
    if not kind_iri:
        _attach_time(draft, claim, NX.validTime, *when, instant=False)
        return
    kind = vocabulary.kind(kind_iri)
    if kind is None:
        draft.problem("kind", "choose a kind of statement from the list")
        return
    about, other = parties.get("about"), parties.get("other")
    folder = "membership" if kind.group == "post" else kind.group
    node = draft.iri(folder, _claim_slug(summary, str(claim), None, None))
    add = draft.add
    add(claim, NX.asserts, node, "kind")
    add(node, RDF.type, URIRef(kind.iri), "kind")
    add(node, RDFS.label, Literal(summary or kind.label, lang="en"), "summary")
    if kind.group == "post":
        _post(draft, node, get.get("post", ""), vocabulary, about, other)
        _attach_time(draft, node, W3ORG.memberDuring, *when, instant=False)
        return
    if kind.group == "relationship":
        if other is None:
            draft.problem("other", f"a {kind.label} goes from one party to another: choose the other party")
        parts = (NX.fromAgent, NX.toAgent)
    else:
        parts = EVENT_PARTS.get(URIRef(kind.iri), (NX.participant, NX.participant))
    for prop, party, name in ((parts[0], about, "about"), (parts[1], other, "other")):
        if party is not None:
            add(node, prop, party, name)
    if kind.group == "relationship":
        _attach_time(draft, node, NX.during, *when, instant=False)
    else:
        _attach_time(draft, node, TIME.hasTime, *when, instant=True)


def _post(
    draft: Draft, node: URIRef, role: str, vocabulary: Vocabulary, person: URIRef | None, org: URIRef | None
) -> None:
    """A post: the person (what the claim is about) holds it in the organisation (the other party)."""
    post = next((p for p in vocabulary.posts if p.slug == role), None)
    if post is None:
        draft.problem("post", "choose the post held (leader, spokesperson, member …)")
    else:
        draft.add(node, W3ORG.role, URIRef(post.iri), "post")
    if org is None:
        draft.problem("other", "a post is held in an organisation: choose it as the other party")
    for prop, party, name in ((W3ORG.member, person, "about"), (W3ORG.organization, org, "other")):
        if party is not None:
            draft.add(node, prop, party, name)


def _when(draft: Draft, get: Mapping[str, str]) -> tuple[dict[str, Literal], bool]:
    """The dates of the "when" fields (problems for those that are not dates) and "ended, date unknown"."""
    values: dict[str, Literal] = {}
    for name in ("when_in", "when_from", "when_until"):
        raw = get.get(name, "")
        literal = when_literal(raw) if raw else None
        if literal is not None:
            values[name] = literal
        elif raw:
            draft.problem(
                name, f"{raw[:40]!r} is not a year (2015), a year and month (2015-06) or a date (2015-06-14)"
            )
    return values, get.get("ended_unknown") in ("on", "true", "1", "yes")


def _attach_time(
    draft: Draft, parent: URIRef, prop: URIRef, values: dict[str, Literal], ended: bool, *, instant: bool
) -> None:
    """An instant (an event "in" a year), or an interval: "in" (time:hasInside), "from", "until",
    "ended, date unknown" (an end without a date, docs/data-model.md)."""
    if not values and not ended:
        return
    time = BNode()
    draft.add(parent, prop, time, "when")
    if instant and set(values) == {"when_in"} and not ended:
        _instant(draft, time, values["when_in"], "when_in")
        return
    draft.add(time, RDF.type, TIME.Interval, "when")
    for name, step in (
        ("when_in", TIME.hasInside),
        ("when_from", TIME.hasBeginning),
        ("when_until", TIME.hasEnd),
    ):
        if name in values:
            point = BNode()
            draft.add(time, step, point, name)
            _instant(draft, point, values[name], name)
    if ended and "when_until" not in values:
        point = BNode()
        draft.add(time, TIME.hasEnd, point, "when_until")
        draft.add(point, RDF.type, TIME.Instant, "when_until")


def _instant(draft: Draft, node: BNode, value: Literal, name: str) -> None:
    draft.add(node, RDF.type, TIME.Instant, name)
    draft.add(node, WHEN_PREDICATES[URIRef(str(value.datatype))], value, name)


def _status(draft: Draft, claim: URIRef, get: Mapping[str, str], vocabulary: Vocabulary) -> None:
    status = next((s for s in vocabulary.statuses if s.slug == get.get("status")), None)
    if status is None:
        draft.problem("status", "choose how sure the source is (each status says when it applies)")
    else:
        draft.add(claim, NX.status, URIRef(status.iri), "status")
    if get.get("hedged") in ("on", "true", "1", "yes"):
        draft.add(claim, NX.hedged, Literal(True), "status")


def _attribution(
    draft: Draft, claim: URIRef, get: Mapping[str, str], source: SourceText, vocabulary: Vocabulary
) -> None:
    """Who says it, in which role: the source's author (``speaker=author``), or a person or body the
    source quotes (``speaker=quoted``: ``quoted``, or a new one from ``quoted_label`` + ``quoted_class``)."""
    speaker: URIRef | None
    if get.get("speaker", "author") != "quoted":
        speaker = URIRef(source.author) if source.author else None
        role = next((r for r in vocabulary.roles if r.slug == "author"), None)
        if speaker is None:
            draft.problem("speaker", "this source names no author: choose the person or body who says it")
    else:
        speaker = _entity(draft, get, "quoted", vocabulary, "speaker")
        role = next((r for r in vocabulary.roles if r.slug == get.get("role")), None)
        if speaker is None:
            draft.problem("speaker", "choose the person or body who says it (or name a new one)")
        if role is None:
            draft.problem("role", "choose the role in which they say it (official, spokesperson, analyst …)")
    if speaker is None or role is None:
        return
    attribution = BNode()
    draft.add(claim, PROV.wasAttributedTo, speaker, "speaker")
    draft.add(claim, PROV.qualifiedAttribution, attribution, "speaker")
    draft.add(attribution, RDF.type, PROV.Attribution, "speaker")
    draft.add(attribution, PROV.agent, speaker, "speaker")
    draft.add(attribution, PROV.hadRole, URIRef(role.iri), "role")


def _evidence(draft: Draft, claim: URIRef, source: URIRef, text: str, start: int, end: int) -> None:
    """The verbatim passage: Web Annotation selectors computed from the source's own text."""
    evidence, quote, position = BNode(), BNode(), BNode()
    add = draft.add
    add(claim, PROV.wasDerivedFrom, source, "quote")
    add(claim, NX.evidence, evidence, "quote")
    add(evidence, RDF.type, OA.SpecificResource, "quote")
    add(evidence, OA.hasSource, source, "quote")
    add(evidence, OA.hasSelector, quote, "quote")
    add(quote, RDF.type, OA.TextQuoteSelector, "quote")
    add(quote, OA.exact, Literal(text[start:end]), "quote")
    add(quote, OA.prefix, Literal(text[max(0, start - CONTEXT) : start]), "quote")
    add(quote, OA.suffix, Literal(text[end : end + CONTEXT]), "quote")
    add(evidence, OA.hasSelector, position, "quote")
    add(position, RDF.type, OA.TextPositionSelector, "quote")
    add(position, OA.start, Literal(start), "quote")
    add(position, OA.end, Literal(end), "quote")


def compose_source(values: Mapping[str, str], base: str) -> Draft:
    """A new source: its text inline (``schema:text``) with the SHA-256 the server computes, never a path."""
    draft = Draft(base)
    get = {k: str(v).strip() if k != "text" else str(v) for k, v in values.items()}
    text, title = get.get("text", ""), get.get("title", "")[:MAX_FIELD]
    if not text.strip():
        draft.problem("text", "paste the text of the source: claims quote it verbatim")
    if not title:
        draft.problem("title", "give the source's title")
    source = draft.iri("source", slug(title or "source", 8))
    add = draft.add
    add(source, RDF.type, NX.Source, "title")
    if title:
        add(source, RDFS.label, Literal(title, lang="en"), "title")
        add(source, DCTERMS.title, Literal(title, lang="en"), "title")
    if text.strip():
        add(source, SCHEMA.text, Literal(text), "text")
        add(source, NX.sha256, Literal(sha256_hex(text), datatype=XSD.hexBinary), "text")
        add(source, DCTERMS["format"], Literal("text/plain; charset=utf-8"), "text")
    if author := get.get("author", "")[:MAX_FIELD]:
        agent = draft.iri("agent", slug(author))
        add(source, DCTERMS.creator, agent, "author")
        add(agent, RDF.type, NX.Author, "author")
        add(agent, RDFS.label, Literal(author, lang="en"), "author")
    if publisher := get.get("publisher", "")[:MAX_FIELD]:
        add(source, DCTERMS.publisher, Literal(publisher), "publisher")
    for name, prop in (("date", DCTERMS.issued), ("accessed", NX.accessed)):
        if raw := get.get(name, ""):
            literal = when_literal(raw)
            if literal is None or (name == "accessed" and literal.datatype != XSD.date):
                wanted = "a date (2021-06-14)" if name == "accessed" else "a year, a year and month or a date"
                draft.problem(name, f"{raw[:40]!r} is not {wanted}")
            else:
                add(source, prop, literal, name)
    for name, prop in (("url", SCHEMA.url), ("licence", DCTERMS.license)):
        if raw := get.get(name, "")[:MAX_FIELD]:
            if re.fullmatch(r"https?://[^\s<>\"{}|\\^`]+", raw):
                add(source, prop, URIRef(raw), name)
            elif name == "licence":
                add(source, DCTERMS.rights, Literal(raw), name)
            else:
                draft.problem(name, "a web address starting with http:// or https://")
    return draft


def pending_source(graph: Graph) -> tuple[URIRef, str, Graph] | None:
    """The one source with its text that a pending contribution ships: IRI, text and its own triples."""
    found = [
        (s, str(t))
        for s, t in graph.subject_objects(SCHEMA.text)
        if isinstance(s, URIRef) and (s, RDF.type, NX.Source) in graph
    ]
    if len(found) != 1:
        return None
    iri, text = found[0]
    own = Graph()
    for triple in graph.triples((iri, None, None)):
        own.add(triple)
    for creator in graph.objects(iri, DCTERMS.creator):
        for triple in graph.triples((creator, None, None)):
            own.add(triple)
    return iri, text, own
