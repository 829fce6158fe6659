"""Namespaces and the one prefix map of nexus-ld.

``NX`` is closed: a term that is not in ``ontology/nexus.ttl`` raises, so a typo fails loudly.
``tests/test_namespaces.py`` checks that the term list here equals the ontology's.
"""

from __future__ import annotations

from rdflib import Namespace, URIRef
from rdflib.namespace import DefinedNamespace

ONTOLOGY_IRI = "https://w3id.org/nexus-ld/ontology"
DEFAULT_BASE = "https://w3id.org/nexus-ld/"


class NX(DefinedNamespace):
    """The nexus-ld ontology (generated from ontology/nexus.ttl)."""

    _NS = Namespace(ONTOLOGY_IRI + "#")
    _fail = True

    Affiliation: URIRef
    Allegiance: URIRef
    Alliance: URIRef
    ArmedForces: URIRef
    ArmedGroup: URIRef
    ArmsSupply: URIRef
    Attack: URIRef
    AttributionRoleScheme: URIRef
    Author: URIRef
    BoundScheme: URIRef
    Branch: URIRef
    Capture: URIRef
    CitedDocument: URIRef
    Claim: URIRef
    Conflict: URIRef
    Contribution: URIRef
    Death: URIRef
    Dissolution: URIRef
    District: URIRef
    Event: URIRef
    Facilitation: URIRef
    Facility: URIRef
    Faction: URIRef
    Founding: URIRef
    Funding: URIRef
    GroupCategory: URIRef
    IdeologicalGuidance: URIRef
    IntelligenceAgency: URIRef
    InternationalBody: URIRef
    Invasion: URIRef
    LeadershipChange: URIRef
    MeasureScheme: URIRef
    MediaOrganisation: URIRef
    Mediation: URIRef
    Meeting: URIRef
    Membership: URIRef
    Merger: URIRef
    MilitaryOperation: URIRef
    Negotiation: URIRef
    PledgeOfAllegiance: URIRef
    Proclamation: URIRef
    Province: URIRef
    Region: URIRef
    Rejoining: URIRef
    Relationship: URIRef
    Renaming: URIRef
    Reorganisation: URIRef
    ReportPublication: URIRef
    ResearchOrganisation: URIRef
    Rivalry: URIRef
    RoleScheme: URIRef
    SafeHaven: URIRef
    Source: URIRef
    SplinterRelation: URIRef
    Split: URIRef
    State: URIRef
    StateBody: URIRef
    StatementEvent: URIRef
    Statistic: URIRef
    StatusScheme: URIRef
    Support: URIRef
    Training: URIRef
    UmbrellaOrganisation: URIRef
    UnitScheme: URIRef
    Withdrawal: URIRef
    about: URIRef
    accessed: URIRef
    acronym: URIRef
    affiliatedWith: URIRef
    aim: URIRef
    alliedWith: URIRef
    armed: URIRef
    asserts: URIRef
    baseline: URIRef
    bound: URIRef
    casualties: URIRef
    citedDocument: URIRef
    component: URIRef
    conductedBy: URIRef
    conflictsWith: URIRef
    controlledBy: URIRef
    corroborates: URIRef
    derivedAtBuild: URIRef
    during: URIRef
    evidence: URIRef
    facilitated: URIRef
    financedThrough: URIRef
    firstYear: URIRef
    fromAgent: URIRef
    funded: URIRef
    gaveSafeHavenTo: URIRef
    guidedIdeologicallyBy: URIRef
    hedged: URIRef
    hostileTo: URIRef
    ideology: URIRef
    issuedBy: URIRef
    lastYear: URIRef
    measure: URIRef
    mediatedFor: URIRef
    memberGroupOf: URIRef
    memberOfTribe: URIRef
    nationality: URIRef
    nativeOf: URIRef
    operatesIn: URIRef
    outcome: URIRef
    partOf: URIRef
    participant: URIRef
    perpetrator: URIRef
    place: URIRef
    pledgedAllegianceTo: URIRef
    pledgedTo: URIRef
    precededBy: URIRef
    quote: URIRef
    reportedAsFact: URIRef
    sha256: URIRef
    shortcut: URIRef
    splinterOf: URIRef
    startDate: URIRef
    statedAt: URIRef
    status: URIRef
    subject: URIRef
    summary: URIRef
    supersededBy: URIRef
    supersedes: URIRef
    supported: URIRef
    target: URIRef
    territory: URIRef
    textFile: URIRef
    timeText: URIRef
    toAgent: URIRef
    trained: URIRef
    unSanctionsReference: URIRef
    unit: URIRef
    validTime: URIRef
    value: URIRef
    year: URIRef


def graph_iri(name: str, base: str = DEFAULT_BASE) -> str:
    """IRI of a named graph of the build: ontology, data, sources, truthy, inferred."""
    return f"{base}graph/{name}"


GRAPHS = ("ontology", "data", "sources", "truthy", "inferred")

# One prefix map for serialisation, the query UI and the pages.
PREFIXES: dict[str, str] = {
    "nx": ONTOLOGY_IRI + "#",
    "graph": DEFAULT_BASE + "graph/",
    "claim": DEFAULT_BASE + "id/claim/",
    "group": DEFAULT_BASE + "id/group/",
    "person": DEFAULT_BASE + "id/person/",
    "org": DEFAULT_BASE + "id/org/",
    "agent": DEFAULT_BASE + "id/agent/",
    "place": DEFAULT_BASE + "id/place/",
    "event": DEFAULT_BASE + "id/event/",
    "relationship": DEFAULT_BASE + "id/relationship/",
    "membership": DEFAULT_BASE + "id/membership/",
    "statistic": DEFAULT_BASE + "id/statistic/",
    "document": DEFAULT_BASE + "id/document/",
    "source": DEFAULT_BASE + "id/source/",
    "status": DEFAULT_BASE + "id/status/",
    "arole": DEFAULT_BASE + "id/attribution-role/",
    "role": DEFAULT_BASE + "id/role/",
    "measure": DEFAULT_BASE + "id/measure/",
    "unit": DEFAULT_BASE + "id/unit/",
    "bound": DEFAULT_BASE + "id/bound/",
    "w3org": "http://www.w3.org/ns/org#",
    "prov": "http://www.w3.org/ns/prov#",
    "oa": "http://www.w3.org/ns/oa#",
    "time": "http://www.w3.org/2006/time#",
    "schema": "http://schema.org/",
    "rdf": "http://www.w3.org/1999/02/22-rdf-syntax-ns#",
    "rdfs": "http://www.w3.org/2000/01/rdf-schema#",
    "owl": "http://www.w3.org/2002/07/owl#",
    "skos": "http://www.w3.org/2004/02/skos/core#",
    "dcterms": "http://purl.org/dc/terms/",
    "xsd": "http://www.w3.org/2001/XMLSchema#",
    "sh": "http://www.w3.org/ns/shacl#",
    "void": "http://rdfs.org/ns/void#",
    "dcat": "http://www.w3.org/ns/dcat#",
    "wd": "http://www.wikidata.org/entity/",
}
