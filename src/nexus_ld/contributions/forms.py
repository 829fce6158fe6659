"""The forms' side of a contribution made without RDF: what the forms offer (``Vocabulary``), a
``Draft`` whose every triple remembers the form field it came from, and the words of a passage that
suggest a status. ``compose.py`` fills drafts from the fields.

A finding about a node is placed on a field by the node's *trail*: the IRI it hangs from and the
predicates down to it, which survive the Turtle round trip that renames blank nodes.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date

from rdflib import BNode, Graph, Literal, URIRef
from rdflib.compare import to_canonical_graph
from rdflib.namespace import OWL, RDF, RDFS, SKOS, XSD, Namespace
from rdflib.term import Node

from nexus_ld.contributions.rules import PROV, SCHEMA
from nexus_ld.namespaces import NX, PREFIXES
from nexus_ld.pipeline.quotes import QuoteNotFound, locate
from nexus_ld.report import Result

OA = Namespace("http://www.w3.org/ns/oa#")
TIME = Namespace("http://www.w3.org/2006/time#")
W3ORG = Namespace("http://www.w3.org/ns/org#")

# What each field of the forms is called on the page (the report names these).
FIELD_LABELS = {
    "quote": "Passage",
    "about": "What the claim is about",
    "other": "The other party",
    "kind": "Kind of statement",
    "post": "The post",
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
    posts: list[Option]  # the roles of a post held by a person (nx:RoleScheme)
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

        # A post held by a person is a w3org:Membership with its role (docs/data-model.md, "Leaders").
        post = Option(str(W3ORG.Membership), _text(ontology, W3ORG.Membership, RDFS.label), group="post")
        kinds = options(NX.Relationship, "relationship") + [post] + options(NX.Event, "event")
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
        posts = concepts(NX.RoleScheme)
        return cls(kinds, posts, statuses, roles, sorted(classes, key=lambda o: (o.group, o.label)), folders)

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

    def place(self, graph: Graph, results: Iterable[Result], names: Mapping[str, str]) -> list[Problem]:
        """Findings of the validator (on ``graph``, the contribution as parsed) as problems of fields,
        the IRIs in their messages given by name (``names``, and the labels the draft itself gives)."""
        names = {**{str(s): str(o) for s, o in self.graph.subject_objects(RDFS.label)}, **names}
        return [Problem(self.field_of(graph, r), _named(r.message, names), r.severity) for r in results]


def _named(message: str, names: Mapping[str, str]) -> str:
    for iri, name in names.items():
        message = message.replace(f"<{iri}>", f"“{name}”").replace(iri, f"“{name}”")
    return message


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


WHEN = re.compile(r"(?P<y>-?\d{4})(?:-(?P<m>\d{2})(?:-(?P<d>\d{2}))?)?")


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
