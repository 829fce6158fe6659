#!/usr/bin/env python3
"""Deterministic synthetic data shaped like nexus-ld's real data, at a chosen number of triples.

Writes a project folder that ``nexus-ld build`` runs on (``--setting project_dir DIR``)::

    DIR/ontology/*.ttl        copied from the project
    DIR/shapes/*.ttl          copied from the project
    DIR/data/reference/       copied from the project (the checks read it)
    DIR/data/{groups,people,places,organisations,sources}.ttl
    DIR/data/claims/NNNN.ttl  claims and the nodes they assert, one file per synthetic source
    DIR/data/sources/synthetic-NNNN.txt   the source texts every quote is taken from
    DIR/generated.json        seed, target, triples written, counts per kind

Everything follows docs/data-model.md: entities carry identity only; every fact is an nx:Claim with a
status, a qualified attribution, and evidence whose quote stands at its code-point offsets in a source
text whose SHA-256 is recorded. Same seed and size, same bytes.

Usage: ``python bench/generate.py --size 100k --out /tmp/nx-100k`` (sizes: 10k, 100k, 1M, 10M, or a number).
"""

from __future__ import annotations

import argparse
import hashlib
import json
import random
import shutil
import sys
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SIZES = {"tiny": 2_000, "10k": 10_000, "100k": 100_000, "1M": 1_000_000, "10M": 10_000_000}
CLAIMS_PER_SOURCE = 1_000
CONTEXT = 32  # characters of oa:prefix / oa:suffix, as src/nexus_ld/pipeline/quotes.py

PREFIXES = """\
@prefix nx:      <https://w3id.org/nexus-ld/ontology#> .
@prefix claim:   <https://w3id.org/nexus-ld/id/claim/> .
@prefix group:   <https://w3id.org/nexus-ld/id/group/> .
@prefix person:  <https://w3id.org/nexus-ld/id/person/> .
@prefix org:     <https://w3id.org/nexus-ld/id/org/> .
@prefix agent:   <https://w3id.org/nexus-ld/id/agent/> .
@prefix place:   <https://w3id.org/nexus-ld/id/place/> .
@prefix event:   <https://w3id.org/nexus-ld/id/event/> .
@prefix relationship: <https://w3id.org/nexus-ld/id/relationship/> .
@prefix membership:   <https://w3id.org/nexus-ld/id/membership/> .
@prefix statistic:    <https://w3id.org/nexus-ld/id/statistic/> .
@prefix source:  <https://w3id.org/nexus-ld/id/source/> .
@prefix status:  <https://w3id.org/nexus-ld/id/status/> .
@prefix arole:   <https://w3id.org/nexus-ld/id/attribution-role/> .
@prefix role:    <https://w3id.org/nexus-ld/id/role/> .
@prefix measure: <https://w3id.org/nexus-ld/id/measure/> .
@prefix unit:    <https://w3id.org/nexus-ld/id/unit/> .
@prefix bound:   <https://w3id.org/nexus-ld/id/bound/> .
@prefix w3org:   <http://www.w3.org/ns/org#> .
@prefix prov:    <http://www.w3.org/ns/prov#> .
@prefix oa:      <http://www.w3.org/ns/oa#> .
@prefix time:    <http://www.w3.org/2006/time#> .
@prefix schema:  <http://schema.org/> .
@prefix rdf:     <http://www.w3.org/1999/02/22-rdf-syntax-ns#> .
@prefix rdfs:    <http://www.w3.org/2000/01/rdf-schema#> .
@prefix skos:    <http://www.w3.org/2004/02/skos/core#> .
@prefix dcterms: <http://purl.org/dc/terms/> .
@prefix xsd:     <http://www.w3.org/2001/XMLSchema#> .

"""

SYLLABLES = (
    "kha ran zar bad nur mah sud waz gul tah mir jan sha fiq ras hid qa dir ab dul lah mus taf ali "
    "ham zah bak ir sal man kar im naj ib far ooq tar iq yus uf"
).split()
MONTHS = "January February March April May June July August September October November December".split()
# Status mix (weights) roughly as in the real claims files.
STATUSES = (
    ("reported-fact", 50),
    ("official-statement", 12),
    ("allegation", 10),
    ("assessment", 10),
    ("claim-of-responsibility", 8),
    ("forecast", 5),
    ("denial", 3),
    ("recommendation", 2),
)
GROUP_CLASSES = ("nx:ArmedGroup", "nx:ArmedGroup", "nx:Faction", "nx:Branch", "nx:UmbrellaOrganisation")
EVENT_KINDS = (
    ("nx:Attack", "carried out an attack in"),
    ("nx:MilitaryOperation", "was the target of an operation in"),
    ("nx:Meeting", "held a meeting in"),
    ("nx:Founding", "was founded in"),
    ("nx:PledgeOfAllegiance", "pledged allegiance in"),
    ("nx:Split", "split in"),
)
RELATIONSHIPS = (
    ("nx:Alliance", "formed an alliance with"),
    ("nx:Affiliation", "became affiliated with"),
    ("nx:SplinterRelation", "split away from"),
    ("nx:Rivalry", "fought against"),
    ("nx:Support", "supported"),
    ("nx:Funding", "funded"),
    ("nx:Training", "trained fighters of"),
    ("nx:SafeHaven", "gave safe haven to"),
)
ROLES = ("leader", "member", "senior-leader", "spokesperson", "founder")
MEASURES = ("people-killed", "civilian-casualties", "attacks-claimed")


def parse_size(text: str) -> int:
    """``10k`` / ``1M`` / ``tiny`` / a plain number -> triples."""
    if text in SIZES:
        return SIZES[text]
    try:
        return int(text.replace("_", ""))
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"size must be one of {', '.join(SIZES)} or a number, not {text!r}"
        ) from None


def size_label(triples: int) -> str:
    for label, value in SIZES.items():
        if value == triples:
            return label
    return str(triples)


def lit(text: str) -> str:
    """A Turtle string literal (the generated text has no control characters but newlines)."""
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n") + '"'


@dataclass
class Counter:
    triples: int = 0
    kinds: dict[str, int] = field(default_factory=dict)

    def add(self, kind: str, triples: int) -> None:
        self.triples += triples
        self.kinds[kind] = self.kinds.get(kind, 0) + 1


@dataclass(frozen=True)
class Entity:
    iri: str  # prefixed name
    label: str
    kind: str


@dataclass
class World:
    """The entities of a generated dataset, chosen before the claims that speak of them."""

    countries: list[Entity]
    places: list[Entity]
    groups: list[Entity]
    people: list[Entity]
    states: list[Entity]
    bodies: list[Entity]


class Generator:
    """Writes one synthetic project; every random choice comes from one seeded ``random.Random``."""

    def __init__(self, target: int, seed: int = 7):
        self.target = target
        self.rng = random.Random(seed)
        self.seed = seed
        self.count = Counter()
        self._names: set[str] = set()

    # -- names -------------------------------------------------------------------------------
    def word(self, syllables: int = 2) -> str:
        return "".join(self.rng.choice(SYLLABLES) for _ in range(syllables)).capitalize()

    def name(self, pattern: str) -> str:
        """A readable, unique name such as ``Lashkar-e-Zarkan``."""
        for attempt in range(100):
            candidate = pattern.format(self.word(), self.word(3))
            if attempt > 5:
                candidate += f" {attempt}"
            if candidate not in self._names:
                self._names.add(candidate)
                return candidate
        raise RuntimeError("ran out of names")

    # -- entities ----------------------------------------------------------------------------
    def world(self) -> World:
        claims = max(60, self.target // 34)
        n_countries = 12 if self.target < 50_000 else 24
        n_places = max(24, claims // 60)
        n_groups = max(30, claims // 20)
        n_people = max(40, claims // 8)
        countries = [
            Entity(f"place:sc-{i:04d}", self.name("{0}istan"), "schema:Country") for i in range(n_countries)
        ]
        places = []
        for i in range(n_places):
            kind = ("nx:Province", "nx:District", "schema:City", "nx:Region")[i % 4]
            places.append(Entity(f"place:sp-{i:06d}", self.name("{0} {1}"), kind))
        groups = []
        for i in range(n_groups):
            pattern = self.rng.choice(
                ("Lashkar-e-{0}", "Jamaat-ul-{0}", "Tehrik-e-{0}", "{0} Front", "Jaish-e-{0}")
            )
            groups.append(Entity(f"group:sg-{i:06d}", self.name(pattern), self.rng.choice(GROUP_CLASSES)))
        people = [
            Entity(f"person:sp-{i:07d}", self.name("{0} {1}"), "schema:Person") for i in range(n_people)
        ]
        states = [
            Entity(f"org:ss-{i:04d}", c.label + " (state)", "nx:State") for i, c in enumerate(countries)
        ]
        bodies = [
            Entity(f"org:sb-{2 * i + k:04d}", f"{c.label} {kind_label}", kind)
            for i, c in enumerate(countries)
            for k, (kind, kind_label) in enumerate(
                (("nx:ArmedForces", "armed forces"), ("nx:IntelligenceAgency", "intelligence"))
            )
        ]
        return World(countries, places, groups, people, states, bodies)

    def write_entities(self, data: Path, world: World) -> None:
        out = []
        for c in world.countries:
            out.append(f"{c.iri} a schema:Country ; rdfs:label {lit(c.label)}@en .\n")
            self.count.add("place", 2)
        for i, p in enumerate(world.places):
            parent = (
                world.countries[i % len(world.countries)]
                if i < 2 * len(world.countries)
                else world.places[i // 3]
            )
            out.append(
                f"{p.iri} a {p.kind} ; rdfs:label {lit(p.label)}@en ; skos:altLabel "
                f"{lit(p.label.split()[0])}@en ;\n"
                f"    schema:containedInPlace {parent.iri} .\n"
            )
            self.count.add("place", 4)
        (data / "places.ttl").write_text(PREFIXES + "".join(out), encoding="utf-8")

        out = []
        for g in world.groups:
            acronym = "".join(w[0] for w in g.label.replace("-", " ").split() if w[0].isupper())
            out.append(
                f"{g.iri} a {g.kind} ; rdfs:label {lit(g.label)}@en ;\n"
                f"    skos:altLabel {lit(acronym)}@en, {lit(g.label.replace('-', ' '))}@en ; nx:acronym "
                f"{lit(acronym)} .\n"
            )
            self.count.add("group", 5)
        (data / "groups.ttl").write_text(PREFIXES + "".join(out), encoding="utf-8")

        out = []
        for p in world.people:
            last = p.label.partition(" ")[2]
            out.append(
                f"{p.iri} a schema:Person ; rdfs:label {lit(p.label)}@en ; skos:altLabel {lit(last)}@en .\n"
            )
            self.count.add("person", 3)
        (data / "people.ttl").write_text(PREFIXES + "".join(out), encoding="utf-8")

        out = [
            'agent:synthetic-media a nx:MediaOrganisation ; rdfs:label "Synthetic media reports"@en .\n',
        ]
        self.count.add("agent", 2)
        for s, c in zip(world.states, world.countries, strict=True):
            out.append(f"{s.iri} a nx:State ; rdfs:label {lit(s.label)}@en ; nx:territory {c.iri} .\n")
            self.count.add("state", 3)
        for i, b in enumerate(world.bodies):
            out.append(
                f"{b.iri} a {b.kind} ; rdfs:label {lit(b.label)}@en ; nx:controlledBy "
                f"{world.states[i // 2].iri} .\n"
            )
            self.count.add("state-body", 3)
        (data / "organisations.ttl").write_text(PREFIXES + "".join(out), encoding="utf-8")

    # -- time --------------------------------------------------------------------------------
    def when(self) -> tuple[str, str]:
        """(Turtle instant, words for the quote), with the precision a source would give."""
        year = self.rng.randint(1995, 2023)
        roll = self.rng.random()
        if roll < 0.7:
            return f'[ a time:Instant ; time:inXSDgYear "{year}"^^xsd:gYear ]', f"in {year}"
        month = self.rng.randint(1, 12)
        if roll < 0.9:
            return (
                f'[ a time:Instant ; time:inXSDgYearMonth "{year}-{month:02d}"^^xsd:gYearMonth ]',
                f"in {MONTHS[month - 1]} {year}",
            )
        day = self.rng.randint(1, 28)
        # The day is in the quote: the shapes reject a full date the passage does not contain.
        return (
            f'[ a time:Instant ; time:inXSDDate "{year}-{month:02d}-{day:02d}"^^xsd:date ]',
            f"on {day} {MONTHS[month - 1]} {year}",
        )

    # -- claims ------------------------------------------------------------------------------
    def claims(self, world: World, budget: int) -> Iterator[tuple[str, str, str, str, Entity]]:
        """(asserted-node Turtle, claim Turtle without attribution and evidence, quote sentence, status,
        main group), until ``budget`` triples are counted."""
        statuses = [s for s, _ in STATUSES]
        weights = [w for _, w in STATUSES]
        rng = self.rng
        index = 0
        previous: list[tuple[str, str]] = []  # (claim IRI, about) of recent claims, for supersedes/conflicts
        while self.count.triples < budget:
            index += 1
            cid = f"claim:sc-{index:08d}"
            status = rng.choices(statuses, weights)[0]
            group = rng.choice(world.groups)
            other = rng.choice(world.groups)
            place = rng.choice(world.places)
            person = rng.choice(world.people)
            kind = rng.random()
            node = ""
            extra = ""
            node_triples = 0
            if kind < 0.35:  # a triple claim
                which = rng.randrange(4)
                if which == 0:
                    s, p, o, about = group.iri, "nx:operatesIn", place.iri, f"{group.iri}, {place.iri}"
                    sentence = f"{group.label} operates in {place.label}."
                elif which == 1:
                    country = rng.choice(world.countries)
                    s, p, o, about = person.iri, "nx:nationality", country.iri, f"{person.iri}, {country.iri}"
                    sentence = f"{person.label} is a national of {country.label}."
                elif which == 2:
                    ideology = rng.choice(("Deobandi", "Salafi", "takfiri", "nationalist"))
                    s, p, o, about = group.iri, "nx:ideology", lit(f"{ideology} doctrine") + "@en", group.iri
                    sentence = f"{group.label} follows a {ideology} doctrine."
                else:
                    s, p, o, about = person.iri, "nx:nativeOf", place.iri, f"{person.iri}, {place.iri}"
                    sentence = f"{person.label} comes from {place.label}."
                body = f"    rdf:subject {s} ; rdf:predicate {p} ; rdf:object {o} ;\n"
                claim_triples = 3
                summary = sentence
            elif kind < 0.65:  # an event
                cls, verb = rng.choice(EVENT_KINDS)
                time_ttl, time_words = self.when()
                node_iri = f"event:se-{index:08d}"
                role = {"nx:Attack": "nx:perpetrator", "nx:MilitaryOperation": "nx:target"}.get(
                    cls, "nx:participant"
                )
                if cls == "nx:Founding":
                    role = "w3org:resultingOrganization"
                elif cls == "nx:Split":
                    role = "w3org:originalOrganization"
                label = f"{group.label}: {cls[3:]} in {place.label} {time_words}"
                node = (
                    f"{node_iri} a {cls} ;\n    rdfs:label {lit(label)}@en ;\n    {role} {group.iri} ;\n"
                    f"    nx:participant {person.iri} ;\n    schema:location {place.iri} ;\n"
                    f"    time:hasTime {time_ttl} .\n"
                )
                node_triples = 8
                about = f"{group.iri}, {person.iri}, {place.iri}"
                if cls == "nx:MilitaryOperation":
                    body_state = world.bodies[rng.randrange(len(world.bodies))]
                    node = node[:-2] + f" ;\n    nx:conductedBy {body_state.iri} .\n"
                    node_triples += 1
                    about += f", {body_state.iri}"  # nx:about names every agent of the node (shapes)
                sentence = (
                    f"{group.label} {verb} {place.label} {time_words}, with {person.label} taking part."
                )
                body = f"    nx:asserts {node_iri} ;\n"
                claim_triples = 1
                summary = label
            elif kind < 0.85:  # a relationship between groups
                while other is group:
                    other = rng.choice(world.groups)
                cls, verb = rng.choice(RELATIONSHIPS)
                time_ttl, time_words = self.when()
                node_iri = f"relationship:sr-{index:08d}"
                label = f"{group.label} {verb} {other.label}"
                node = (
                    f"{node_iri} a {cls} ;\n    rdfs:label {lit(label)}@en ;\n"
                    f"    nx:fromAgent {group.iri} ; nx:toAgent {other.iri} ;\n"
                    f"    nx:during [ a time:Interval ; time:hasBeginning {time_ttl} ] .\n"
                )
                node_triples = 9
                sentence = f"{group.label} {verb} {other.label} {time_words}."
                body = f"    nx:asserts {node_iri} ;\n"
                about = f"{group.iri}, {other.iri}"
                claim_triples = 1
                summary = label
            elif kind < 0.95:  # a post held by a person
                role = rng.choice(ROLES)
                time_ttl, time_words = self.when()
                node_iri = f"membership:sm-{index:08d}"
                label = f"{person.label}, {role.replace('-', ' ')} of {group.label}"
                # A leader's post ends (date unknown): a random successor contradicts an open one (shapes).
                end = " ; time:hasEnd [ a time:Instant ]" if role == "leader" else ""
                node = (
                    f"{node_iri} a w3org:Membership ;\n    rdfs:label {lit(label)}@en ;\n"
                    f"    w3org:member {person.iri} ; w3org:organization {group.iri} ; w3org:role "
                    f"role:{role} ;\n"
                    f"    w3org:memberDuring [ a time:Interval ; time:hasBeginning {time_ttl}{end} ] .\n"
                )
                node_triples = 12 if end else 10
                sentence = f"{person.label} became {role.replace('-', ' ')} of {group.label} {time_words}."
                body = f"    nx:asserts {node_iri} ;\n"
                about = f"{person.iri}, {group.iri}"
                claim_triples = 1
                summary = label
            else:  # a statistic
                value = rng.randint(2, 900)
                measure = rng.choice(MEASURES)
                time_ttl, time_words = self.when()
                node_iri = f"statistic:st-{index:08d}"
                label = f"{measure.replace('-', ' ').capitalize()} in {place.label} {time_words}"
                node = (
                    f"{node_iri} a nx:Statistic ;\n    rdfs:label {lit(label)}@en ;\n"
                    f"    nx:value {value} ; nx:unit unit:count ; nx:bound bound:exact ;\n"
                    f"    nx:measure measure:{measure} ; nx:place {place.iri} ;\n"
                    f"    nx:during {time_ttl} .\n"
                )
                node_triples = 10
                sentence = f"{place.label} saw {value} {measure.replace('-', ' ')} {time_words}."
                body = f"    nx:asserts {node_iri} ;\n"
                about = place.iri
                claim_triples = 1
                summary = label
            if rng.random() < 0.1:
                extra += "    nx:hedged true ;\n"
                claim_triples += 1
            if previous and rng.random() < 0.02:
                older, _ = previous[rng.randrange(len(previous))]
                extra += f"    nx:supersedes {older} ;\n"
                claim_triples += 1
            elif previous and rng.random() < 0.02:
                other_claim, _ = previous[rng.randrange(len(previous))]
                extra += f"    nx:conflictsWith {other_claim} ;\n"
                claim_triples += 1
            previous.append((cid, about))
            if len(previous) > 200:
                previous.pop(0)
            about_count = about.count(",") + 1
            claim = (
                f"{cid} a nx:Claim ;\n{body}    nx:about {about} ;\n"
                f"    nx:summary {lit(summary)}@en ;\n    nx:status status:{status} ;\n{extra}"
            )
            # type + about + summary + status + attribution (2 + 3) + derivedFrom + evidence (1 + 4 + 4 + 3)
            self.count.add("claim", claim_triples + 1 + about_count + 2 + 5 + 1 + 12)
            if node:
                self.count.add(node_iri.split(":")[0], node_triples)
            yield node, claim, sentence, status, group

    def attribution(self, status: str, author: str, group: Entity, world: World) -> tuple[str, str]:
        """(agent, attribution role) for a claim of ``status``, as the data model's status guide says."""
        rng = self.rng
        if status == "claim-of-responsibility":
            return group.iri, "claimant"
        if status == "official-statement":
            return rng.choice(world.states).iri, "government"
        if status == "allegation" and rng.random() < 0.5:
            return rng.choice(world.bodies).iri, "official"
        if status == "reported-fact" and rng.random() < 0.2:
            return "agent:synthetic-media", "media"
        return author, "author"

    def write_claims(self, data: Path, world: World) -> int:
        """Claims in files of CLAIMS_PER_SOURCE, each with its source text; returns the number of sources."""
        claims_dir = data / "claims"
        texts_dir = data / "sources"
        claims_dir.mkdir(parents=True, exist_ok=True)
        texts_dir.mkdir(parents=True, exist_ok=True)
        sources_ttl = [PREFIXES]
        authors_ttl = []
        # The source descriptions are about 9 triples each; keep a little room for them.
        budget = self.target - 10 * (self.target // (34 * CLAIMS_PER_SOURCE) + 1)
        stream = self.claims(world, budget)
        number = 0
        done = False
        while not done:
            number += 1
            sid, author = f"source:synthetic-{number:04d}", f"agent:synthetic-author-{number:04d}"
            title = f"Synthetic report {number} on militant networks"
            text_parts = [title, "\n\n"]
            offset = len(title) + 2
            blocks = [PREFIXES]
            pending: list[tuple] = []  # node, claim, agent, role, sentence, start, end
            for _ in range(CLAIMS_PER_SOURCE):
                try:
                    node, claim, sentence, status, group = next(stream)
                except StopIteration:
                    done = True
                    break
                agent, arole = self.attribution(status, author, group, world)
                start = offset
                text_parts.append(sentence)
                offset += len(sentence)
                pending.append((node, claim, agent, arole, sentence, start, offset))
                gap = "\n\n" if self.rng.random() < 0.15 else " "
                text_parts.append(gap)
                offset += len(gap)
            if not pending:
                break
            text_parts.append("End of synthetic report.\n")
            text = "".join(text_parts)
            text_file = f"synthetic-{number:04d}.txt"
            (texts_dir / text_file).write_text(text, encoding="utf-8")
            for node, claim, agent, arole, sentence, start, end in pending:
                blocks.append(node)
                blocks.append(
                    claim
                    + f"    prov:wasAttributedTo {agent} ;\n"
                    + f"    prov:qualifiedAttribution [ a prov:Attribution ; prov:agent {agent} ; "
                    f"prov:hadRole arole:{arole} ] ;\n"
                    + f"    prov:wasDerivedFrom {sid} ;\n"
                    + f"    nx:evidence [ a oa:SpecificResource ; oa:hasSource {sid} ;\n"
                    + "        oa:hasSelector [ a oa:TextQuoteSelector ;\n"
                    + f"            oa:exact {lit(sentence)} ;\n"
                    + f"            oa:prefix {lit(text[max(0, start - CONTEXT) : start])} ;\n"
                    + f"            oa:suffix {lit(text[end : end + CONTEXT])} ] ,\n"
                    + f"          [ a oa:TextPositionSelector ; oa:start {start} ; oa:end {end} ] ] .\n\n"
                )
            (claims_dir / f"{number:04d}.ttl").write_text("".join(blocks), encoding="utf-8")
            if number == 1:
                self.write_contribution(
                    data.parent / "contribution.ttl", world, sid, author, text, pending[0]
                )
            sha = hashlib.sha256(text.encode("utf-8")).hexdigest()
            sources_ttl.append(
                f"{sid} a nx:Source ;\n    rdfs:label {lit(title)}@en ;\n    dcterms:title "
                f"{lit(title)}@en ;\n"
                f'    dcterms:creator {author} ;\n    dcterms:language "en" ;\n'
                f'    nx:textFile {lit(text_file)} ;\n    nx:sha256 "{sha}"^^xsd:hexBinary .\n'
            )
            self.count.add("source", 7)
            authors_ttl.append(f"{author} a nx:Author ; rdfs:label {lit('Author of ' + title)}@en .\n")
            self.count.add("author", 2)
        (data / "sources.ttl").write_text("".join(sources_ttl), encoding="utf-8")
        with open(data / "organisations.ttl", "a", encoding="utf-8") as fh:
            fh.write("".join(authors_ttl))
        return number

    def write_contribution(
        self, path: Path, world: World, sid: str, author: str, text: str, first: tuple
    ) -> None:
        """A contribution as a user would send it: one new claim quoting a published passage."""
        sentence, start, end = first[4], first[5], first[6]
        group = world.groups[0]
        path.write_text(
            PREFIXES
            + "claim:bench-contribution a nx:Claim ;\n"
            + f'    rdf:subject {group.iri} ; rdf:predicate nx:ideology ; rdf:object "Salafi doctrine"@en ;\n'
            + f"    nx:about {group.iri} ;\n"
            + f"    nx:summary {lit(group.label + ' is said to follow a Salafi doctrine.')}@en ;\n"
            + "    nx:status status:assessment ;\n"
            + f"    prov:wasAttributedTo {author} ;\n"
            + f"    prov:qualifiedAttribution [ a prov:Attribution ; prov:agent {author} ; prov:hadRole "
            "arole:author ] ;\n"
            + f"    prov:wasDerivedFrom {sid} ;\n"
            + f"    nx:evidence [ a oa:SpecificResource ; oa:hasSource {sid} ;\n"
            + "        oa:hasSelector [ a oa:TextQuoteSelector ;\n"
            + f"            oa:exact {lit(sentence)} ;\n"
            + f"            oa:prefix {lit(text[max(0, start - CONTEXT) : start])} ;\n"
            + f"            oa:suffix {lit(text[end : end + CONTEXT])} ] ,\n"
            + f"          [ a oa:TextPositionSelector ; oa:start {start} ; oa:end {end} ] ] .\n",
            encoding="utf-8",
        )


def copy_project_parts(out: Path) -> None:
    """Ontology, shapes and reference tables come from the project, so the data meets the real shapes."""
    for part in ("ontology", "shapes"):
        shutil.rmtree(out / part, ignore_errors=True)
        shutil.copytree(ROOT / part, out / part)
    reference = ROOT / "data" / "reference"
    if reference.is_dir():
        shutil.copytree(reference, out / "data" / "reference", dirs_exist_ok=True)


def generate(target: int, out: Path, seed: int = 7) -> dict:
    """Write a synthetic project of about ``target`` data triples into ``out`` (replacing its data/)."""
    out = Path(out)
    shutil.rmtree(out / "data", ignore_errors=True)
    (out / "data").mkdir(parents=True)
    copy_project_parts(out)
    gen = Generator(target, seed)
    world = gen.world()
    gen.write_entities(out / "data", world)
    sources = gen.write_claims(out / "data", world)
    summary = {
        "seed": seed,
        "target_triples": target,
        "data_triples": gen.count.triples,
        "sources": sources,
        "counts": dict(sorted(gen.count.kinds.items())),
    }
    (out / "generated.json").write_text(json.dumps(summary, indent=2), encoding="utf-8")
    return summary


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--size", type=parse_size, default="10k", help="10k, 100k, 1M, 10M, tiny or a number")
    parser.add_argument("--out", type=Path, required=True, help="project folder to write")
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args(argv)
    summary = generate(args.size, args.out, args.seed)
    print(json.dumps(summary, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
