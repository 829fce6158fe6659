"""The oracle of the check engine: every check of ``nexus_ld.pipeline.checks.sparql`` written again as a
walk over rdflib Graphs, independently of SPARQL. The product runs the SPARQL checks only (dataset and
contributions); the tests compare the two on the bundled data, every fixture and a generated dataset
(tests/test_check_store.py), so a query that stops finding what it should shows up as a difference.

- every source text is a regular file of ``data/sources/`` named by a bare ``nx:textFile``, under
  ``max_source_bytes``, and its SHA-256 equals the source's ``nx:sha256`` (``read_source_file``);
- every quote stands verbatim at its offsets, with its prefix and suffix, in that text (``quotes.mismatch``);
- every full date (``time:inXSDDate``) has its day in the quote of a claim that gives it (no padded year);
- ``prov:wasAttributedTo`` names the agents of the qualified attributions, ``prov:wasDerivedFrom`` the
  evidence's source;
- every Wikidata QID and UN sanctions number is listed in ``data/reference/*.tsv``;
- every class used is declared in the ontology (or is a standard class listed here), every ``nx:`` term
  used is in the ontology;
- no triple uses a property the ontology marks ``nx:derivedAtBuild true``;
- every ``https://w3id.org/`` IRI is under the configured base, in a known folder.

``check_project`` runs the shapes and all of them; the truthy graph has its own entry point,
``check_truthy`` (``truthy_graph`` reads a build's truthy graph for it).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

from rdflib import BNode, Graph, Literal, URIRef
from rdflib.namespace import OWL, PROV, RDF, RDFS, XSD
from rdflib.term import Node

from nexus_ld import config
from nexus_ld.formats import RDF_FORMATS
from nexus_ld.namespaces import DEFAULT_BASE, NX, ONTOLOGY_IRI
from nexus_ld.pipeline import load, quotes
from nexus_ld.pipeline.checks.common import (
    OA,
    SCHEMA,
    STANDARD_CLASSES,
    STATUS_REPORTED_FACT,
    TIME,
    W3ORG,
    WIKIDATA,
    finding,
    iri_problem,
    message,
)
from nexus_ld.pipeline.shapes import truthy_shapes, validate
from nexus_ld.pipeline.sources import SourceFileError, reference_column, source_text
from nexus_ld.report import Report, Result
from nexus_ld.store.embedded import Store

# Properties that lead from a claim to the instants that time it (and from an interval to its instants).
TIME_LINKS = (
    NX.validTime,
    NX.statedAt,
    NX.asserts,
    TIME.hasTime,
    NX.during,
    W3ORG.memberDuring,
    NX.baseline,
    NX.casualties,
    TIME.hasBeginning,
    TIME.hasEnd,
    TIME.hasInside,
)


def check_project(project: load.Project, base: str = DEFAULT_BASE) -> Report:
    """Validate the project's data and sources against its shapes and run every check here."""
    data = project.data + project.sources
    return check_graph(data, project.ontology, project.shapes, project.root / "data", base)


def check_graph(
    data: Graph, ontology: Graph, shapes: Graph, data_dir: Path, base: str = DEFAULT_BASE
) -> Report:
    """Shapes and checks over ``data``; source texts and reference lists come from ``data_dir``."""
    report = validate(data, shapes, ontology)
    return report.merge(
        [
            *check_quotes(data, data_dir / "sources"),
            *check_dates(data),
            *check_attribution(data),
            *check_references(data, data_dir / "reference"),
            *check_classes(data, ontology),
            *check_terms(data, ontology),
            *check_derived(data, ontology),
            *check_iris(data, base),
        ]
    )


def check_truthy(truthy: Graph, data: Graph, ontology: Graph, shapes: Graph) -> Report:
    """Validate the truthy graph with the truthy shapes, and look for claims that are not reported facts.

    A triple (or an asserted node's triple) leaks when the only claims of it have another status or
    are superseded.
    """
    report = validate(truthy, truthy_shapes(shapes), ontology)
    return report.merge(_truthy_leaks(truthy, data, ontology))


# --- sources and quotes ----------------------------------------------------------------------------


def source_texts(
    data: Graph, sources_dir: Path, max_bytes: int = config.default("max_source_bytes")
) -> tuple[dict[Node, str], list[Result]]:
    """The text of each nx:Source whose file is usable and whose SHA-256 matches; results for the others."""
    texts: dict[Node, str] = {}
    results = []
    for source, name in data.subject_objects(NX.textFile):
        sha = data.value(source, NX.sha256)
        try:
            texts[source] = source_text(sources_dir, str(name), str(sha or ""), max_bytes)
        except SourceFileError as exc:
            value = name if exc.path == NX.textFile else sha
            results.append(finding(source, exc.message, exc.path, value, "SourceCheck"))
    return texts, results


def check_quotes(
    data: Graph, sources_dir: Path, max_bytes: int = config.default("max_source_bytes")
) -> list[Result]:
    """Checksums of the source texts, then every quote against its (verified) text."""
    texts, results = source_texts(data, sources_dir, max_bytes)
    return results + quote_results(data, texts)


def quote_results(data: Graph, texts: dict[Node, str]) -> list[Result]:
    """Every quote of ``data`` whose source has a text in ``texts`` (source -> text), checked against it."""
    results = []
    for claim, evidence in data.subject_objects(NX.evidence):
        source = data.value(evidence, OA.hasSource)
        if source not in texts:
            continue  # no text to check against: the source checks report why
        position = _selector(data, evidence, OA.TextPositionSelector)
        # Every quote selector is checked (the shapes report a second one): a wrong quote is wrong.
        for quote in _selectors(data, evidence, OA.TextQuoteSelector):
            exact = data.value(quote, OA.exact)
            if exact is None:
                continue  # the shapes report a missing quote
            reason = quotes.mismatch(
                texts[source],
                str(exact),
                _int(data.value(position, OA.start)) if position is not None else None,
                _int(data.value(position, OA.end)) if position is not None else None,
                _str(data.value(quote, OA.prefix)),
                _str(data.value(quote, OA.suffix)),
            )
            if reason:
                results.append(
                    finding(claim, message("quote", reason=reason), NX.evidence, exact, "QuoteCheck")
                )
    return results


def _selectors(data: Graph, evidence: Node, kind: URIRef) -> list[Node]:
    return [s for s in data.objects(evidence, OA.hasSelector) if (s, RDF.type, kind) in data]


def _selector(data: Graph, evidence: Node, kind: URIRef) -> Node | None:
    return next(iter(_selectors(data, evidence, kind)), None)


# --- dates -----------------------------------------------------------------------------------------


def check_dates(data: Graph) -> list[Result]:
    """A full date needs its day in the quote of a claim that gives it.

    A 1 January that no such quote contains is a year padded to a date (violation); another day missing
    from the quotes is a warning (the day may stand in the sentence around a short quote).
    """
    results = []
    for instant, value in data.subject_objects(TIME.inXSDDate):
        if not (isinstance(value, Literal) and value.datatype == XSD.date and len(str(value)) >= 10):
            continue  # the shapes report a date of the wrong type
        claims = sorted(_claims_reaching(data, instant))
        if not claims:
            continue
        day = int(str(value)[8:10])
        pattern = re.compile(rf"(^|[^0-9])0?{day}(st|nd|rd|th)?([^0-9]|$)")
        exacts = (str(e) for c in claims for ev in data.objects(c, NX.evidence) for e in _exacts(data, ev))
        if any(pattern.search(e) for e in exacts):
            continue
        if str(value)[5:10] == "01-01":
            text = message("padded-date", value=value)
            results.append(finding(instant, text, TIME.inXSDDate, value, "DateCheck", context=claims[0]))
        else:
            results.append(
                finding(
                    instant,
                    message("date-day", value=value, day=day),
                    TIME.inXSDDate,
                    value,
                    "DateCheck",
                    context=claims[0],
                    severity="Warning",
                )
            )
    return results


def _claims_reaching(data: Graph, node: Node) -> set[URIRef]:
    claims, seen, frontier = set(), {node}, [node]
    while frontier:
        parents = {s for n in frontier for p in TIME_LINKS for s in data.subjects(p, n)} - seen
        claims |= {p for p in parents if (p, RDF.type, NX.Claim) in data}
        seen |= parents
        frontier = list(parents)
    return claims


def _exacts(data: Graph, evidence: Node) -> Iterator[Node]:
    for selector in data.objects(evidence, OA.hasSelector):
        yield from data.objects(selector, OA.exact)


# --- attribution -----------------------------------------------------------------------------------


def check_attribution(data: Graph) -> list[Result]:
    """prov:wasAttributedTo names the qualified agents; prov:wasDerivedFrom names the quoted source."""
    results = []
    for claim in set(data.subjects(RDF.type, NX.Claim)):
        attributed = set(data.objects(claim, PROV.wasAttributedTo))
        qualified = {
            a for q in data.objects(claim, PROV.qualifiedAttribution) for a in data.objects(q, PROV.agent)
        }
        for agent in sorted(attributed - qualified):
            text = message("attribution-unqualified")
            results.append(finding(claim, text, PROV.wasAttributedTo, agent, "AttributionCheck"))
        for agent in sorted(qualified - attributed) if attributed else []:
            text = message("attribution-unnamed")
            results.append(finding(claim, text, PROV.qualifiedAttribution, agent, "AttributionCheck"))
        derived = set(data.objects(claim, PROV.wasDerivedFrom))
        quoted = {s for e in data.objects(claim, NX.evidence) for s in data.objects(e, OA.hasSource)}
        for source in sorted(quoted - derived) if derived else []:
            text = message("attribution-underived")
            results.append(finding(claim, text, PROV.wasDerivedFrom, source, "AttributionCheck"))
    return results


# --- reference lists -------------------------------------------------------------------------------


def check_references(data: Graph, reference_dir: Path) -> list[Result]:
    """Every Wikidata QID and UN sanctions number used is confirmed in data/reference/."""
    qids = reference_column(reference_dir / "wikidata.tsv", "wikidata_qid")
    un_refs = reference_column(reference_dir / "un-sanctions.tsv", "un_reference")
    results = []
    for entity, target in data.subject_objects(SCHEMA.sameAs):
        qid = str(target).removeprefix(WIKIDATA)
        if str(target).startswith(WIKIDATA) and qid not in qids:
            results.append(
                finding(entity, message("wikidata", qid=qid), SCHEMA.sameAs, target, "ReferenceCheck")
            )
    for entity, ref in data.subject_objects(NX.unSanctionsReference):
        if str(ref) not in un_refs:
            text = message("un-reference", ref=ref)
            results.append(finding(entity, text, NX.unSanctionsReference, ref, "ReferenceCheck"))
    return results


# --- vocabulary and IRIs ---------------------------------------------------------------------------


def declared_classes(ontology: Graph) -> set[Node]:
    """Classes the ontology declares or names in rdfs:subClassOf, and the standard classes."""
    declared = set(STANDARD_CLASSES)
    for kind in (OWL.Class, RDFS.Class):
        declared.update(ontology.subjects(RDF.type, kind))
    for sub, sup in ontology.subject_objects(RDFS.subClassOf):
        declared.update((sub, sup))
    return declared


def check_classes(data: Graph, ontology: Graph) -> list[Result]:
    """Every rdf:type object in the data is a class the ontology knows."""
    known = declared_classes(ontology)
    return [
        finding(s, message("unknown-class", cls=cls), RDF.type, cls, "ClassCheck")
        for s, cls in sorted(data.subject_objects(RDF.type))
        if cls not in known
    ]


def check_terms(data: Graph, ontology: Graph) -> list[Result]:
    """Every term of the nx: namespace used in the data exists in the ontology."""
    namespace = ONTOLOGY_IRI + "#"
    known = set(ontology.subjects())
    results = []
    for s, p, o in data:
        for term in (p, o) if p != RDF.type else (p,):  # an unknown class is check_classes' finding
            if isinstance(term, URIRef) and term.startswith(namespace) and term not in known:
                results.append(finding(s, message("unknown-term", term=term), p, term, "TermCheck"))
    return results


def check_derived(data: Graph, ontology: Graph) -> list[Result]:
    """No triple of the data has a property the ontology marks as derived at build as its predicate."""
    derived = set(ontology.subjects(NX.derivedAtBuild, Literal(True)))
    return [
        finding(s, message("derived-term", term=p), p, None, "DerivedTermCheck")
        for s, p, _ in data
        if p in derived
    ]


def check_iris(data: Graph, base: str = DEFAULT_BASE) -> list[Result]:
    """nexus-ld IRIs: under ``base`` (not elsewhere under w3id.org), in one of its known folders.

    Each IRI is reported once: on itself when it is a subject, else on the first triple that uses it
    (by predicate, then subject), as ``check-iri-use.rq`` picks it.
    """
    results = []
    terms = {t for triple in data for t in triple if isinstance(t, URIRef)}
    for term in terms:
        problem = iri_problem(str(term), base)
        if problem is None:
            continue
        focus, path = _first_use(data, term)
        results.append(finding(focus, problem, path, term, "IriCheck"))
    return results


def _first_use(data: Graph, term: URIRef) -> tuple[Node, Node | None]:
    if (term, None, None) in data:
        return term, None
    uses = [(s, term) for s in data.subjects(term, None)] + list(data.subject_predicates(term))
    # SPARQL's order: blank nodes before IRIs.
    return min(uses, key=lambda use: (str(use[1]), not isinstance(use[0], BNode), str(use[0])))


# --- truthy graph ----------------------------------------------------------------------------------


def truthy_graph(store: Store) -> Graph:
    """A built store's truthy graph as an rdflib Graph, for ``check_truthy``."""
    data = store.dump(RDF_FORMATS["ntriples"], store.graphs["truthy"])
    return Graph().parse(data=data, format="nt")


# --- truthy graph checks-------------------------------------------------------------------------------


def _truthy_leaks(truthy: Graph, data: Graph, ontology: Graph) -> list[Result]:
    def backed(claim: Node) -> bool:
        reported = (claim, NX.status, STATUS_REPORTED_FACT) in data
        superseded = (claim, NX.supersededBy, None) in data or (None, NX.supersedes, claim) in data
        return reported and not superseded

    def backed_by_shortcut(s: Node, p: Node, o: Node) -> bool:
        # A plain edge that a reported-fact relationship also yields (truthy-shortcuts.rq) is no leak.
        return any(
            (node, NX.toAgent, o) in data
            and any((cls, NX.shortcut, p) in ontology for cls in data.objects(node, RDF.type))
            and any(backed(c) for c in data.subjects(NX.asserts, node))
            for node in data.subjects(NX.fromAgent, s)
        )

    results = []
    for claim in set(data.subjects(RDF.type, NX.Claim)):
        if backed(claim):
            continue
        s, p, o = (data.value(claim, prop) for prop in (RDF.subject, RDF.predicate, RDF.object))
        if None not in (s, p, o) and (s, p, o) in truthy:
            others = (
                c
                for c in data.subjects(RDF.subject, s)
                if (c, RDF.predicate, p) in data and (c, RDF.object, o) in data
            )
            if not any(backed(c) for c in others) and not backed_by_shortcut(s, p, o):
                results.append(_leak(claim, data, s))
        for node in data.objects(claim, NX.asserts):
            if (node, None, None) in truthy and not any(backed(c) for c in data.subjects(NX.asserts, node)):
                results.append(_leak(claim, data, node))
    return results


def _leak(claim: Node, data: Graph, node: Node) -> Result:
    status = data.value(claim, NX.status)
    return finding(node, message("truthy-leak", node=node, status=status), None, status, "TruthyLeakCheck")


# --- helpers ---------------------------------------------------------------------------------------


def _int(term: Node | None) -> int | None:
    try:
        return int(term) if term is not None else None
    except (TypeError, ValueError):
        return None


def _str(term: Node | None) -> str | None:
    return str(term) if term is not None else None
