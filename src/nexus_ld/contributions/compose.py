"""Contributions from form fields: a claim from a passage, or a new source, built as an rdflib graph.

A person who has never written RDF fills a form; this module turns its fields into the triples of
``docs/data-model.md`` (quote, offsets and checksum exact by construction), and maps each validation
finding back to the form field that produced it. No Flask here: ``web/views/compose.py`` calls it.

Every triple is added through ``Draft.add`` with the name of the field it comes from, so a finding about
a node (found by its *trail*: the IRI it hangs from and the predicates down to it, which survive the
Turtle round trip that renames blank nodes) names that field, not a Turtle line.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date

from rdflib import BNode, Graph, Literal, URIRef
from rdflib.compare import to_canonical_graph
from rdflib.namespace import DCTERMS, OWL, RDF, RDFS, SKOS, XSD, Namespace
from rdflib.term import Node

from nexus_ld.contributions.rules import PROV, SCHEMA
from nexus_ld.namespaces import NX, PREFIXES
from nexus_ld.pipeline.quotes import CONTEXT, QuoteNotFound, locate
from nexus_ld.report import Result

OA = Namespace("http://www.w3.org/ns/oa#")
TIME = Namespace("http://www.w3.org/2006/time#")
W3ORG = Namespace("http://www.w3.org/ns/org#")
FOAF = Namespace("http://xmlns.com/foaf/0.1/")

# What each field of the forms is called on the page (the report names these).
FIELD_LABELS = {
    "quote": "Passage",
    "about": "What the claim is about",
    "other": "The other party",
    "kind": "Kind of statement",
    "summary": "Summary",
    "when": "When it held",
    "when_in": "When it held: in",
    "when_from": "When it held: from",
    "when_until": "When it held: until",
    "time_text": "Time in the source's words",
    "status": "How sure",
    "speaker": "Who says it",
    "role": "In which role",
    "source": "Source",
    "text": "Text",
    "title": "Title",
    "author": "Author",
    "publisher": "Publisher",
    "date": "Date",
    "url": "URL",
    "accessed": "Accessed on",
    "licence": "Licence",
    "form": "The contribution as a whole",
}

# Words of a passage that suggest a status (or a hedge): shown highlighted next to the statuses.
CUES: tuple[tuple[str, str], ...] = (
    (r"\balleg\w*|\baccus\w*", "allegation"),
    (r"\bclaim(?:ed|ing|s)? responsibility\b", "claim-of-responsibility"),
    (
        r"\baccording to\b|\bsaid\b|\bstated\b|\btold\b|\bannounced\b|\bremarks?\b|\badmitted\b",
        "official-statement",
    ),
    (r"\bden(?:y|ied|ies)\b|\brejected\b", "denial"),
    (r"\bis expected to\b|\bwill\b|\bmay\b|\blikely\b", "forecast"),
    (r"\bshould\b|\bmust\b|\bneeds? to\b", "recommendation"),
    (r"\bsuggests?\b|\bindicat\w+|\bsignifies\b|\bevident\b|\bconsidered\b|\bapparently\b", "assessment"),
    (r"\bbelieved\b|\bunderstood\b|\breportedly\b", "hedged"),
)
CUE = re.compile("|".join(f"(?P<c{i}>{pattern})" for i, (pattern, _) in enumerate(CUES)), re.IGNORECASE)

# The folder of a new entity's IRI (docs/data-model.md, IRIs), by the class it falls under.
ENTITY_FOLDERS = (
    (SCHEMA.Person, "person"),
    (SCHEMA.Place, "place"),
    (NX.ArmedGroup, "group"),
    (W3ORG.Organization, "org"),
    (PROV.Agent, "agent"),
)
# The event properties the "about" and "other" parties take, where the kind gives them a part.
EVENT_PARTS = {
    NX.Attack: (NX.perpetrator, NX.target),
    NX.MilitaryOperation: (NX.conductedBy, NX.target),
    NX.PledgeOfAllegiance: (NX.subject, NX.pledgedTo),
}
WHEN = re.compile(r"(?P<y>-?\d{4})(?:-(?P<m>\d{2})(?:-(?P<d>\d{2}))?)?")
MAX_FIELD = 2_000  # characters of a one-line field (the text of a source is bounded by max_body_bytes)


@dataclass(frozen=True)
class Option:
    """One choice of a form: an IRI, its label and the one-line rule or definition that explains it."""

    iri: str
    label: str
    help: str = ""
    group: str = ""

    @property
    def slug(self) -> str:
        return self.iri.rstrip("/").rsplit("/", 1)[-1].rsplit("#", 1)[-1]


@dataclass(frozen=True)
class Vocabulary:
    """What the forms offer, read once from the ontology: kinds of statement, statuses, roles, classes."""

    kinds: list[Option]
    statuses: list[Option]
    roles: list[Option]
    classes: list[Option]
    folders: dict[str, str]  # class IRI -> folder of a new entity's IRI

    @classmethod
    def from_ontology(cls, ontology: Graph) -> Vocabulary:
        def options(top: URIRef, group: str) -> list[Option]:
            below = set(ontology.transitive_subjects(RDFS.subClassOf, top)) - {top}
            return sorted(
                (Option(str(c), _text(ontology, c, RDFS.label), _text(ontology, c, SKOS.definition), group)
                 for c in below if isinstance(c, URIRef) and (c, RDF.type, OWL.Class) in ontology),
                key=lambda o: o.label,
            )  # fmt: skip

        def concepts(scheme: URIRef, leave_out: Iterable[str] = ()) -> list[Option]:
            return [
                Option(str(c), _text(ontology, c, SKOS.prefLabel), _text(ontology, c, SKOS.definition))
                for c in _ordered(ontology, scheme)
                if str(c).rsplit("/", 1)[-1] not in leave_out
            ]

        kinds = options(NX.Relationship, "relationship") + options(NX.Event, "event")
        classes: list[Option] = []
        folders: dict[str, str] = {}
        for top, folder in ENTITY_FOLDERS:
            for c in [top, *ontology.transitive_subjects(RDFS.subClassOf, top)]:
                if isinstance(c, URIRef) and str(c) not in folders and (c, RDFS.label, None) in ontology:
                    folders[str(c)] = folder
                    classes.append(Option(str(c), _text(ontology, c, RDFS.label), group=folder))
        # The maintainers' own status and role are not a contributor's to choose.
        statuses = concepts(NX.StatusScheme, ("editorial-note",))
        roles = concepts(NX.AttributionRoleScheme, ("maintainer", "contributor"))
        return cls(kinds, statuses, roles, sorted(classes, key=lambda o: (o.group, o.label)), folders)

    def kind(self, iri: str) -> Option | None:
        return next((k for k in self.kinds if k.iri == iri), None)


def _text(graph: Graph, node: Node, prop: URIRef) -> str:
    values = sorted(graph.objects(node, prop), key=lambda v: (getattr(v, "language", None) != "en", str(v)))
    return " ".join(str(values[0]).split()) if values else ""


def _ordered(ontology: Graph, scheme: URIRef) -> list[Node]:
    """The concepts of a scheme in the order the scheme lists them (its top concepts), then the others."""
    top = list(ontology.objects(scheme, SKOS.hasTopConcept))
    members = sorted(set(ontology.subjects(SKOS.inScheme, scheme)), key=str)
    order = {str(c): i for i, c in enumerate(sorted(top, key=str))}
    return sorted(members, key=lambda c: (order.get(str(c), len(order)), _text(ontology, c, SKOS.prefLabel)))


@dataclass(frozen=True)
class Problem:
    """A finding, placed on the field of the form that produced it."""

    field: str
    message: str
    severity: str = "Violation"

    def to_dict(self) -> dict[str, str]:
        label = FIELD_LABELS.get(self.field, self.field)
        return {"field": self.field, "label": label, "severity": self.severity, "message": self.message}


Trail = tuple[Node, ...]


@dataclass
class Draft:
    """A contribution under construction: its triples, the field each came from, and what is wrong."""

    base: str
    exists: Callable[[str], bool] = lambda iri: False  # is this IRI published already?
    graph: Graph = field(default_factory=lambda: Graph(bind_namespaces="core"))
    problems: list[Problem] = field(default_factory=list)
    origins: dict[tuple[Trail, Node | None, Node | None], str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        for prefix, namespace in _prefixes(self.base).items():
            self.graph.bind(prefix, namespace, override=True, replace=True)

    def add(self, s: Node, p: Node, o: Node, where: str) -> None:
        self.graph.add((s, p, o))
        trail = _trail(self.graph, s)
        for key in ((trail, p, o), (trail, p, None), (trail, None, None)):
            self.origins.setdefault(key, where)
        if isinstance(o, BNode | URIRef):
            self.origins.setdefault((_trail(self.graph, o), None, None), where)

    def problem(self, where: str, message: str) -> None:
        self.problems.append(Problem(where, message))

    def iri(self, folder: str, slug: str) -> URIRef:
        return URIRef(f"{self.base}id/{folder}/{slug}")

    def turtle(self) -> str:
        """The Turtle to send; the same fields give the same bytes (blank nodes labelled canonically),
        so the inbox knows a form submitted twice (409)."""
        canonical = Graph(bind_namespaces="core")
        for prefix, namespace in self.graph.namespaces():
            canonical.bind(prefix, namespace, override=True, replace=True)
        canonical += to_canonical_graph(self.graph)
        return canonical.serialize(format="turtle")

    def field_of(self, graph: Graph, result: Result) -> str:
        """The form field a finding is about: by its focus node's trail, its path and its value."""
        trail = _trail(graph, result.focus)
        for key in ((trail, result.path, result.value), (trail, result.path, None)):
            if key in self.origins:
                return self.origins[key]
        while trail:
            if (trail, None, None) in self.origins:
                return self.origins[(trail, None, None)]
            trail = trail[:-1]
        return "form"

    def place(self, graph: Graph, results: Iterable[Result]) -> list[Problem]:
        """Findings of the validator (on ``graph``, the contribution as parsed) as problems of fields."""
        return [Problem(self.field_of(graph, r), r.message, r.severity) for r in results]


def _prefixes(base: str) -> dict[str, str]:
    default = PREFIXES["claim"].removesuffix("id/claim/")
    return {p: base + ns[len(default) :] if ns.startswith(default) else ns for p, ns in PREFIXES.items()}


def _trail(graph: Graph, node: Node) -> Trail:
    """The IRI a blank node hangs from and the predicates down to it (an IRI is its own trail)."""
    steps: list[Node] = []
    seen: set[Node] = set()
    while isinstance(node, BNode) and node not in seen:
        seen.add(node)
        parent = next(iter(sorted(graph.subject_predicates(node), key=str)), None)
        if parent is None:
            break
        steps.append(parent[1])
        node = parent[0]
    return (node, *reversed(steps))


def slug(words: str, limit: int = 6) -> str:
    """Lower-case words joined by hyphens (docs/data-model.md, IRIs)."""
    parts = re.findall(r"[a-z0-9]+", words.lower())
    return "-".join(parts[:limit]) or "untitled"


def sha256_hex(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def cue_segments(exact: str) -> list[dict[str, str | None]]:
    """The passage cut into pieces, each word that suggests a status marked with that status' slug."""
    pieces: list[dict[str, str | None]] = []
    at = 0
    for match in CUE.finditer(exact):
        which = CUES[int((match.lastgroup or "c0")[1:])][1]
        if match.start() > at:
            pieces.append({"text": exact[at : match.start()], "cue": None})
        pieces.append({"text": match.group(0), "cue": which})
        at = match.end()
    if at < len(exact):
        pieces.append({"text": exact[at:], "cue": None})
    return pieces


def suggested(exact: str) -> list[str]:
    """The statuses (and ``hedged``) the words of the passage suggest, in the order they occur."""
    return list(dict.fromkeys(cue for piece in cue_segments(exact) if (cue := piece["cue"])))


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


def passage(text: str, values: Mapping[str, str]) -> tuple[int, int]:
    """The offsets (code points, as the quote check counts) of the chosen passage, verified on the text.

    From ``start``/``end`` (the selection) when they fit the selected words (``exact``, if sent);
    otherwise the first occurrence of ``exact`` at or after ``start`` (a quote pasted without a script).

    Raises:
        QuoteNotFound: the words do not occur in the source, or the offsets are out of the text.
    """
    exact = values.get("exact", "")
    start, end = _int(values.get("start")), _int(values.get("end"))
    if start is not None and end is not None and 0 <= start < end <= len(text):
        if not exact or _same_words(text[start:end], exact):
            return _trimmed(text, start, end)
    words = exact.strip()
    if not words:
        raise QuoteNotFound("select a passage of the source (or paste its exact words)")
    try:
        found = locate(text, words, start or 0)
    except QuoteNotFound:
        found = locate(text, words)
    return found.start, found.end


def _trimmed(text: str, start: int, end: int) -> tuple[int, int]:
    """A selection without the spaces a mouse takes along at its ends."""
    while start < end and text[start].isspace():
        start += 1
    while end > start and text[end - 1].isspace():
        end -= 1
    if start == end:
        raise QuoteNotFound("the selection holds only spaces: select words of the source")
    return start, end


def _same_words(a: str, b: str) -> bool:
    return a.split() == b.split()


def _int(value: str | None) -> int | None:
    try:
        return int(value) if value not in (None, "") else None
    except ValueError:
        return None


def when_literal(value: str) -> Literal | None:
    """``2015`` -> xsd:gYear, ``2015-06`` -> xsd:gYearMonth, ``2015-06-14`` -> xsd:date; None if neither."""
    match = WHEN.fullmatch(value.strip())
    if match is None:
        return None
    year, month, day = match["y"], match["m"], match["d"]
    try:
        if day:
            return Literal(date(int(year), int(month), int(day)).isoformat(), datatype=XSD.date)
        if month:
            return Literal(f"{year}-{month}", datatype=XSD.gYearMonth) if 1 <= int(month) <= 12 else None
    except ValueError:
        return None
    return Literal(year, datatype=XSD.gYear)


WHEN_PREDICATES = {XSD.gYear: TIME.inXSDgYear, XSD.gYearMonth: TIME.inXSDgYearMonth, XSD.date: TIME.inXSDDate}


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
    _statement(draft, claim, get.get("kind", ""), vocabulary, parties, summary, (when, ended))
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
    kind_iri: str,
    vocabulary: Vocabulary,
    parties: Mapping[str, URIRef | None],
    summary: str,
    when: tuple[dict[str, Literal], bool],
) -> None:
    """The node the claim asserts (relationship or event) with its parties and its time; or, with no kind,
    a claim of its summary alone (the ontology's textual claim), its time as the claim's valid time."""
    if not kind_iri:
        _attach_time(draft, claim, NX.validTime, *when, instant=False)
        return
    kind = vocabulary.kind(kind_iri)
    if kind is None:
        draft.problem("kind", "choose a kind of statement from the list")
        return
    about, other = parties.get("about"), parties.get("other")
    node = draft.iri(kind.group, _claim_slug(summary, str(claim), None, None))
    add = draft.add
    add(claim, NX.asserts, node, "kind")
    add(node, RDF.type, URIRef(kind.iri), "kind")
    add(node, RDFS.label, Literal(summary or kind.label, lang="en"), "summary")
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
