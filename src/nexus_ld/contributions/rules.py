"""Rules for contributions beyond the shapes, reported as ``validate.Result``s like the shapes' own.

- a contribution never names a server file: ``nx:textFile`` is the server's to set when it accepts a
  source's ``schema:text``, and ``nx:sha256`` is accepted only as the checksum of that very text;
- it says something in the nexus-ld model (an ``nx:`` term or a resource under the base), and every
  blank node hangs from a resource; its IRIs are http(s) or urn (no ``javascript:``, ``data:``, ``file:``);
- a contribution writes only into the data graph, never into ontology/truthy/inferred (named graphs);
- it does not restate ontology or shape terms (it cannot change the vocabulary);
- new resources get IRIs under the canonical base;
- published claims are never edited, only superseded by a new claim that points to them;
- every claim's source is published or comes with the contribution, with its text (quotes are then
  checked verbatim) or a URL with an access date;
- literals are well-typed;
- a new entity whose label or alias equals a published one gets a warning naming it.

Every function takes the contribution graph (and the fetched context / store) and returns results.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable

from rdflib import BNode, Graph, Literal, URIRef
from rdflib.namespace import RDF, RDFS, SKOS, XSD, Namespace
from rdflib.term import Node

from nexus_ld.contributions.context import Context, Fetcher, subtree_shape
from nexus_ld.namespaces import NX, ONTOLOGY_IRI
from nexus_ld.pipeline.shapes import NXSH
from nexus_ld.report import Result

SCHEMA = Namespace("http://schema.org/")
PROV = Namespace("http://www.w3.org/ns/prov#")
SHAPES_NS = NXSH

# Lexical forms of the XSD types contributions use (rdflib does not check gYear & co.).
LEXICAL = {
    XSD.integer: r"[+-]?[0-9]+",
    XSD.nonNegativeInteger: r"\+?[0-9]+",
    XSD.decimal: r"[+-]?([0-9]+(\.[0-9]*)?|\.[0-9]+)",
    XSD.boolean: r"true|false|1|0",
    XSD.gYear: r"-?[0-9]{4,}(Z|[+-][0-9]{2}:[0-9]{2})?",
    XSD.gYearMonth: r"-?[0-9]{4,}-(0[1-9]|1[0-2])(Z|[+-][0-9]{2}:[0-9]{2})?",
    XSD.date: r"-?[0-9]{4,}-(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])(Z|[+-][0-9]{2}:[0-9]{2})?",
    XSD.dateTime: r"-?[0-9]{4,}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}(\.[0-9]+)?"
    r"(Z|[+-][0-9]{2}:[0-9]{2})?",
    XSD.hexBinary: r"([0-9a-fA-F]{2})*",
    XSD.anyURI: r"\S*",
}


def result(
    focus: Node,
    message: str,
    path: Node | None = None,
    value: Node | None = None,
    *,
    rule: str,
    severity: str = "Violation",
) -> Result:
    """A finding of rule ``rule`` (its shape IRI is ``nxsh:Contribution<Rule>`` so reports can group it)."""
    shape = URIRef(NXSH + "Contribution" + rule)
    return Result(focus, message, path, value, severity, shape, shape)


SERVER_FIELDS = {NX.textFile: "nx:textFile", NX.sha256: "nx:sha256"}
IRI_SCHEMES = ("http", "https", "urn")


def check_server_fields(contribution: Graph) -> list[Result]:
    """``nx:textFile`` is refused: a contribution can never make the server read a file. ``nx:sha256`` is
    refused too, unless it is the SHA-256 of the text the same source ships (``schema:text``)."""
    found = [
        result(
            s,
            "A contribution cannot set nx:textFile: send the source's text as schema:text; the server "
            "stores it and records its file and checksum when it is accepted",
            p,
            o,
            rule="ServerFieldCheck",
        )
        for s, p, o in contribution.triples((None, NX.textFile, None))
    ]
    for s, p, o in contribution.triples((None, NX.sha256, None)):
        texts = list(contribution.objects(s, SCHEMA.text))
        if len(texts) == 1 and str(o) == hashlib.sha256(str(texts[0]).encode("utf-8")).hexdigest():
            continue
        found.append(
            result(
                s,
                "A contribution cannot set nx:sha256 except as the SHA-256 of the source's own schema:text "
                "(UTF-8); send the text as schema:text and the server records its file and checksum",
                p,
                o,
                rule="ServerFieldCheck",
            )
        )
    return found


def without_server_fields(contribution: Graph) -> Graph:
    """``contribution`` less its ``nx:textFile`` / ``nx:sha256`` triples (what the checks may look at)."""
    kept = Graph()
    for triple in contribution:
        if triple[1] not in SERVER_FIELDS:
            kept.add(triple)
    return kept


def check_says_something(contribution: Graph, base: str) -> list[Result]:
    """Content outside the model is refused: no ``nx:`` term nor resource under the base at all, or blank
    nodes that nothing points to (statements about nobody)."""
    namespace, resources = ONTOLOGY_IRI + "#", base + "id/"
    terms = {str(t) for triple in contribution for t in triple if isinstance(t, URIRef)}
    found = []
    if not any(t.startswith((namespace, resources)) for t in terms):
        found.append(
            result(
                next(iter(sorted(contribution.subjects(), key=str))),
                "The contribution says nothing in the nexus-ld model: it uses no nx: term and no resource "
                f"under {resources}; see docs/data-model.md",
                rule="ModelCheck",
            )
        )
    pointed_to = {o for o in contribution.objects() if isinstance(o, BNode)}
    for orphan in sorted({s for s in contribution.subjects() if isinstance(s, BNode)} - pointed_to):
        found.append(
            result(
                orphan,
                "A blank node that no resource points to states nothing about the data: "
                "hang it from a claim, group or other resource",
                rule="ModelCheck",
            )
        )
    return found


def check_iri_schemes(contribution: Graph) -> list[Result]:
    """IRIs (subjects, predicates, objects, datatypes) are http(s) or urn: no ``javascript:``, ``data:``,
    ``file:``, which would end up as links on the published pages."""
    found = []
    seen: set[URIRef] = set()
    for s, p, o in contribution:
        datatype = o.datatype if isinstance(o, Literal) else None
        for term in (s, p, o, datatype):
            if not isinstance(term, URIRef) or term in seen:
                continue
            seen.add(term)
            scheme = term.split(":", 1)[0].lower()
            if scheme not in IRI_SCHEMES:
                found.append(
                    result(
                        s,
                        f"IRI scheme {scheme[:20]!r} refused: IRIs in a contribution are http, https or urn",
                        p,
                        term,
                        rule="IriSchemeCheck",
                    )
                )
    return found


def check_graph_names(names: Iterable[str], base: str) -> list[Result]:
    """Quads in named graphs are refused: the build alone writes ontology, truthy and inferred."""
    found = []
    for name in sorted(names):
        which = name[len(base) + len("graph/") :] if name.startswith(base + "graph/") else None
        if which:
            message = (
                f"A contribution cannot write into the {which} graph <{name}>: send plain triples "
                "(Turtle, N-Triples); accepted data goes into the data graph and the build derives the rest"
            )
        else:
            message = f"Named graph <{name}> refused: a contribution is one set of triples for the data graph"
        found.append(result(URIRef(name), message, rule="GraphCheck"))
    return found


def check_vocabulary(contribution: Graph, fetcher: Fetcher) -> list[Result]:
    """No triple about an ontology, scheme or shape term: the vocabulary changes only in ontology/."""
    found = []
    for subject in sorted({s for s in contribution.subjects() if isinstance(s, URIRef)}):
        iri = str(subject)
        in_ontology = iri.startswith((ONTOLOGY_IRI, SHAPES_NS)) or fetcher.ask_in(subject, "ontology")
        if in_ontology:
            found.append(
                result(
                    subject,
                    f"<{iri}> is an ontology, scheme or shape term: a contribution "
                    "cannot change the vocabulary (propose it in an issue)",
                    rule="VocabularyCheck",
                )
            )
    return found


def check_new_iris(contribution: Graph, context: Context, base: str) -> list[Result]:
    """Every new resource (described by the contribution, unknown to the store) is under the base."""
    found = []
    for subject in sorted({s for s in contribution.subjects() if isinstance(s, URIRef)}):
        if subject in context.roots or str(subject).startswith(base + "id/"):
            continue
        found.append(
            result(
                subject,
                f"New resource <{subject}> is outside the canonical base: mint it as "
                f"{base}id/<kind>/<slug> (kinds as in docs/data-model.md)",
                rule="IriCheck",
            )
        )
    return found


def check_claim_edits(contribution: Graph, context: Context, *, restating: bool = False) -> list[Result]:
    """Triples about a published claim that it does not already have are edits: supersede it instead.

    A contribution restating a published claim unchanged is refused too (it would publish its evidence
    twice), unless ``restating`` (validating the very files the data is built from).
    """
    found = []
    published = context.described
    for claim in sorted(context.roots):
        if (claim, RDF.type, NX.Claim) not in published:
            continue
        mine, theirs = subtree_shape(contribution, claim), subtree_shape(published, claim)
        extra = sorted(mine - theirs, key=str)
        if extra:
            message = (
                f"<{claim}> is a published claim and cannot be edited: publish a new claim with "
                f"nx:supersedes <{claim}> instead"
            )
            found.append(result(claim, message, URIRef(extra[0][0]), rule="ClaimEditCheck"))
        elif not restating and any(isinstance(o, BNode) for o in contribution.objects(claim)):
            message = f"<{claim}> is already published as it stands here: leave it out of the contribution"
            found.append(result(claim, message, rule="ClaimEditCheck"))
    return found


def check_sources(contribution: Graph, context: Context) -> list[Result]:
    """Each claim's source is published, or shipped here with its text or a URL and access date."""
    found = []
    merged = context.graph + contribution
    cited = {
        s
        for c in contribution.subjects(RDF.type, NX.Claim)
        for s in contribution.objects(c, PROV.wasDerivedFrom)
    }
    for source in sorted(cited):
        if source in context.roots and (source, RDF.type, NX.Source) in context.graph:
            continue
        if (source, RDF.type, NX.Source) not in merged:
            found.append(
                result(
                    source,
                    f"<{source}> is neither a published source nor an nx:Source described in "
                    "this contribution",
                    rule="SourceCheck",
                )
            )
            continue
        # Its text inline (schema:text), or, in the files accepted contributions become, as a file of
        # data/sources/ with its checksum (nx:textFile + nx:sha256, checked by checks/sparql.py).
        has_text = (source, SCHEMA.text, None) in contribution or (source, NX.textFile, None) in contribution
        has_url = (source, SCHEMA.url, None) in contribution and (source, NX.accessed, None) in contribution
        if not (has_text or has_url):
            found.append(
                result(
                    source,
                    "A new source ships its text (schema:text, so quotes can be checked) or "
                    "its schema:url with nx:accessed (the date it was read)",
                    rule="SourceCheck",
                )
            )
    return found


def check_literals(contribution: Graph) -> list[Result]:
    """Literals whose lexical form does not fit their datatype (``"abc"^^xsd:integer``)."""
    found = []
    for s, p, o in sorted(contribution, key=str):
        if not isinstance(o, Literal) or o.datatype is None:
            continue
        pattern = LEXICAL.get(o.datatype)
        bad = (pattern is not None and re.fullmatch(pattern, str(o)) is None) or (
            pattern is None and o.ill_typed
        )
        if bad:
            found.append(
                result(
                    s,
                    f"Ill-typed literal: {str(o)[:60]!r} is not a valid {o.datatype.n3()}",
                    p,
                    o,
                    rule="LiteralCheck",
                )
            )
    return found


def check_duplicate_labels(contribution: Graph, context: Context, fetcher: Fetcher) -> list[Result]:
    """A new entity named like a published one: probably the same thing (a warning naming it)."""
    found = []
    for subject in sorted({s for s in contribution.subjects(RDF.type) if isinstance(s, URIRef)}):
        if subject in context.roots:
            continue
        for prop in (RDFS.label, SKOS.altLabel):
            for label in contribution.objects(subject, prop):
                for other in fetcher.same_label(label):
                    if other != subject:
                        found.append(
                            result(
                                subject,
                                f"New entity named {str(label)!r} like the published <{other}>: "
                                "reuse that IRI if it is the same",
                                prop,
                                label,
                                rule="DuplicateCheck",
                                severity="Warning",
                            )
                        )
    return found
