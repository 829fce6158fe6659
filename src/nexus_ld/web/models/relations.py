"""The relations and events a description's claims assert, as the entity page lists them: grouped
by kind and read from the page's side, with one badge per status and its count; and the claims in
groups of one status."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field

import pyoxigraph as ox

from nexus_ld.store.describe import RDF, Description, Index
from nexus_ld.web.models.claims import ClaimView, time_text, time_words
from nexus_ld.web.models.labels import inverse_label

W3ORG_ROLE = "http://www.w3.org/ns/org#role"


@dataclass
class Relation:
    iri: str
    label: str
    when: str
    sort: str
    claims: list[ClaimView] = field(default_factory=list)
    words: str = ""  # the time as the source words it, when it gives no date

    @property
    def badges(self) -> list[tuple[ClaimView, int]]:
        """One badge per status, with how many claims have it (the first claim is linked)."""
        first: dict[str, ClaimView] = {}
        counts: dict[str, int] = defaultdict(int)
        for claim in self.claims:
            first.setdefault(claim.status_slug, claim)
            counts[claim.status_slug] += 1
        return [(claim, counts[slug]) for slug, claim in first.items()]


def predicate_label(ix: Index, iri: str, curie: Callable[[str], str]) -> str:
    """A property's label, else its CURIE (rdf:type, unlabelled in the data, is "type")."""
    return ix.label(ox.NamedNode(iri)) or ("type" if iri == RDF + "type" else curie(iri))


def _kind(ix: Index, node: str, curie: Callable[[str], str]) -> str:
    """The heading an asserted node is listed under: a membership's role (leader, spokesman), else
    the label of its class."""
    roles = [ix.label(r) for r in ix.objects(node, W3ORG_ROLE)]
    kinds = [label for label in roles if label] or [
        ix.label(t) or curie(t.value) for t in ix.objects(node, RDF + "type")
    ]
    return kinds[0] if kinds else "other"


def relations(
    desc: Description, claims: list[ClaimView], base: str, curie: Callable[[str], str]
) -> dict[str, list[Relation]]:
    """What the claims assert, grouped by kind (the asserted node's role or type, or the claimed
    property, read from this resource's side) and ordered by time within a kind. ``curie`` names an
    IRI that has no label."""
    ix = desc.index
    found: dict[tuple[str, str], Relation] = {}
    for claim in claims:
        targets = [n for n in claim.asserts if n != desc.iri]
        for node in targets:
            when, sort = time_text(ix, ox.NamedNode(node), base)
            rel = found.setdefault(
                (_kind(ix, node, curie), node),
                Relation(node, ix.label(ox.NamedNode(node)) or node, when, sort,
                         words=time_words(ix, ox.NamedNode(node), base)),
            )  # fmt: skip
            rel.claims.append(claim)
        if claim.triple and not targets:
            subject, predicate, obj = claim.triple
            kind = predicate_label(ix, predicate, curie)
            value = ix.label(obj) or obj.value  # the object's label, a literal's text
            if subject == desc.iri:  # this -> object
                other, label = (obj.value if isinstance(obj, ox.NamedNode) else ""), value
            elif isinstance(obj, ox.NamedNode) and obj.value == desc.iri:  # subject -> this
                kind, other = inverse_label(kind), subject
                label = ix.label(ox.NamedNode(subject)) or subject
            else:  # a statement between two others, about this: "subject: object"
                other, label = subject, f"{ix.label(ox.NamedNode(subject)) or subject}: {value}"
            sort = claim.when or "9999"
            rel = found.setdefault(
                (kind, other + label), Relation(other, label, claim.when, sort, words=claim.time_words)
            )
            rel.claims.append(claim)
    grouped: dict[str, list[Relation]] = defaultdict(list)
    for (kind, _), rel in found.items():
        grouped[kind].append(rel)
    return {k: sorted(v, key=lambda r: (r.sort, r.label)) for k, v in sorted(grouped.items())}


def by_status(claims: list[ClaimView]) -> list[tuple[str, str, list[ClaimView]]]:
    """The claims in groups of one status (slug, label, claims), the largest group first."""
    groups: dict[str, list[ClaimView]] = defaultdict(list)
    for claim in claims:
        groups[claim.status_slug].append(claim)
    ordered = sorted(groups.items(), key=lambda g: (-len(g[1]), g[0]))
    return [(slug, items[0].status_label, items) for slug, items in ordered]
