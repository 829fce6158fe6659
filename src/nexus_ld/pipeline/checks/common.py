"""What the checks (``sparql.py``) and their rdflib oracle (``tests/check_oracle.py``) share: the
vocabularies and fixed lists the checks read, the IRI rule, and the one way a check's finding becomes a
``Result`` (a shape name of its own under ``nxsh:``)."""

from __future__ import annotations

import re

from rdflib import URIRef
from rdflib.namespace import PROV, SKOS, Namespace
from rdflib.term import Node

from nexus_ld.namespaces import DEFAULT_BASE, ONTOLOGY_IRI
from nexus_ld.pipeline.shapes import NXSH
from nexus_ld.report import Result

OA = Namespace("http://www.w3.org/ns/oa#")
TIME = Namespace("http://www.w3.org/2006/time#")  # open: rdflib's closed TIME lacks hasInside
W3ORG = Namespace("http://www.w3.org/ns/org#")
SCHEMA = Namespace("http://schema.org/")
WIKIDATA = "http://www.wikidata.org/entity/"
STATUS_REPORTED_FACT = URIRef(DEFAULT_BASE + "id/status/reported-fact")

# Classes of standard vocabularies the data may use without the ontology declaring them.
STANDARD_CLASSES = frozenset(
    {
        OA.SpecificResource,
        OA.TextQuoteSelector,
        OA.TextPositionSelector,
        PROV.Attribution,
        PROV.Role,
        TIME.Instant,
        TIME.Interval,
        W3ORG.Membership,
        W3ORG.Role,
        SKOS.Concept,
        SKOS.ConceptScheme,
    }
)

# Folders of the base that hold resources (docs/data-model.md, "IRIs").
ID_FOLDERS = (
    "group person org agent place event relationship membership statistic document claim source "
    "status attribution-role role measure unit bound contribution"
).split()


def iri_problem(iri: str, base: str) -> str | None:
    """What is wrong with a w3id.org IRI: outside ``base``, or in no known folder of it (None: fine)."""
    folders = tuple(f"{base}id/{f}/" for f in ID_FOLDERS) + (f"{base}graph/", ONTOLOGY_IRI)
    if not re.match(r"https?://w3id\.org/", iri) or iri.startswith(folders):
        return None
    if iri.startswith(base):
        return f"IRI in an unknown folder of the base: {iri} (known: id/{{{','.join(ID_FOLDERS)}}}/)"
    return f"IRI outside the canonical base {base}: {iri}"


def finding(
    focus: Node,
    message: str,
    path: Node | None = None,
    value: Node | None = None,
    check: str = "Check",
    *,
    context: URIRef | None = None,
    severity: str = "Violation",
) -> Result:
    shape = URIRef(NXSH + check)
    return Result(focus, message, path, value, severity, shape, shape, context)


# One message per finding (the SPARQL checks of ``sparql.py``, and their oracle in tests/): the registry
# a reader looks up, filled by ``message``.
MESSAGES = {
    "quote": "Quote check: {reason}",
    "padded-date": (
        "Padded date: time:inXSDDate {value} is a 1 January no quote contains; use time:inXSDgYear"
    ),
    "date-day": (
        "time:inXSDDate {value}: the quoted passage does not contain day {day}; quote the passage "
        "that gives the date, or use time:inXSDgYearMonth"
    ),
    "attribution-unqualified": (
        "prov:wasAttributedTo names an agent that no prov:qualifiedAttribution has as prov:agent"
    ),
    "attribution-unnamed": "The prov:qualifiedAttribution's prov:agent is missing from prov:wasAttributedTo",
    "attribution-underived": "The evidence quotes a source that prov:wasDerivedFrom does not name",
    "wikidata": "Wikidata ID {qid} is not in data/reference/wikidata.tsv: no sameAs until it is confirmed",
    "un-reference": "UN sanctions reference {ref} is not in data/reference/un-sanctions.tsv",
    "unknown-class": "Unknown class {cls}: not declared in ontology/ (typo?)",
    "unknown-term": "Unknown term {term}: not in ontology/nexus.ttl",
    "derived-term": (
        "{term} is derived at build time (nx:derivedAtBuild in ontology/nexus.ttl): leave it out; the build "
        "computes it from the data it restates"
    ),
    "truthy-leak": (
        "Allegation leaking into the truthy graph: {node} is claimed only as {status} or superseded"
    ),
}


def message(key: str, **fields: object) -> str:
    """The registered message ``key`` with its fields filled in."""
    return MESSAGES[key].format(**fields)
