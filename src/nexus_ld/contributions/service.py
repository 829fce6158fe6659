"""One validation of a contribution: parse -> context -> shapes -> checks -> rules -> one report.

The checks are the dataset's (``pipeline/checks/sparql.py``), run over an in-memory store holding the
contribution and its context, with the ontology's vocabulary read once.

``Validator`` holds what does not change between contributions (shapes, ontology, the store, the
limits), so the CLI, the web views and the tests all call ``Validator.check`` the same way.
"""

from __future__ import annotations

import re
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from rdflib import Graph, URIRef

from nexus_ld.config import Settings
from nexus_ld.contributions import rules
from nexus_ld.contributions.context import Fetcher, fetch, restrict
from nexus_ld.contributions.parse import Limits, Parsed
from nexus_ld.contributions.parse import parse as parse_bytes
from nexus_ld.pipeline.checks.sparql import Vocabulary, store_findings
from nexus_ld.pipeline.load import ontology_files, parse_files, shape_files
from nexus_ld.pipeline.shapes import validate
from nexus_ld.report import Report, Result
from nexus_ld.store.embedded import Store


@dataclass
class Outcome:
    """A contribution's validation: the report, where each focus node stands, and what it cost."""

    parsed: Parsed
    report: Report
    lines: dict[str, int] = field(default_factory=dict)
    context_triples: int = 0
    queries: int = 0
    seconds: float = 0.0

    @property
    def conforms(self) -> bool:
        return self.report.conforms


@dataclass
class Validator:
    """Validates contributions against shapes, ontology and the part of the store they touch."""

    store: Store
    shapes: Graph
    ontology: Graph
    data_dir: Path
    base: str
    limits: Limits
    max_source_bytes: int
    # The build folder whose kept releases (``releases.kept_folder``) can be opened; None: not here.
    build_dir: Path | None = None
    # What the ontology declares, read once: each validation's check store holds only the data.
    vocabulary: Vocabulary = field(init=False, repr=False)

    def __post_init__(self) -> None:
        ontology = Store.in_memory()
        ontology.add_rdflib(self.ontology, ontology.graphs["ontology"])
        self.vocabulary = Vocabulary.of(ontology)

    @classmethod
    def from_settings(cls, settings: Settings, store: Store | None = None) -> Validator:
        """Load shapes and ontology once; open the build read-only unless a store is given.

        Raises:
            StoreUnavailable: no build (run ``nexus-ld build``).
        """
        root = settings.project
        return cls(
            store or Store.open(settings.build),
            parse_files(shape_files(root)),
            parse_files(ontology_files(root)),
            root / "data",
            settings.base,
            Limits.from_settings(settings),
            settings.max_source_bytes,
            settings.build,
        )

    @property
    def release(self) -> str:
        """The id of the release validated against ('' when the store is no release)."""
        return str(self.store.release.get("release", ""))

    def parse(self, data: bytes, fmt: Any, source: str) -> Parsed:
        return parse_bytes(data, fmt, source, self.limits)

    def check(self, parsed: Parsed, *, restating: bool = False) -> Outcome:
        """Validate a parsed contribution in context; results only for the nodes it touches.

        ``restating``: the input is one of the files the published data is built from (``data/``), so
        restating published claims, and naming source files, is expected.
        """
        started = time.perf_counter()
        contribution = parsed.graph
        # A contribution's nx:textFile / nx:sha256 are refused (rules) and never seen by the checks: the
        # only files read are those the published data (or, restating, the project's own file) names.
        own = contribution if restating else rules.without_server_fields(contribution)
        context = fetch(self.store, own)
        # Triples only: Graph.__add__ would also bind every prefix of both graphs (a millisecond).
        merged = Graph()
        merged += context.graph
        merged += own
        fetcher = Fetcher(self.store)
        # Quotes are checked against text the contribution ships (schema:text) or published texts.
        inline = {str(s): str(t) for s, t in own.subject_objects(rules.SCHEMA.text) if isinstance(s, URIRef)}
        checked = Store.in_memory()
        checked.add_rdflib(merged, checked.graphs["data"])
        findings: list[Result] = store_findings(
            checked, self.data_dir, self.base, self.max_source_bytes, inline, self.vocabulary
        )
        shapes_report = validate(merged, self.shapes, self.ontology)
        report = restrict(shapes_report.merge(findings), context.scope)
        contribution_rules = (
            []
            if restating
            else [
                *rules.check_server_fields(contribution),
                *rules.check_says_something(contribution, self.base),
            ]
        )
        report = report.merge(
            [
                *contribution_rules,
                *rules.check_iri_schemes(contribution),
                *rules.check_graph_names(parsed.graph_names, self.base),
                *rules.check_vocabulary(contribution, fetcher),
                *rules.check_new_iris(contribution, context, self.base),
                *rules.check_claim_edits(contribution, context, restating=restating),
                *rules.check_sources(contribution, context),
                *rules.check_literals(contribution),
                *rules.check_duplicate_labels(contribution, context, fetcher),
            ]
        )
        return Outcome(
            parsed,
            report,
            focus_lines(parsed, report),
            len(context.graph),
            context.queries + fetcher.queries,
            time.perf_counter() - started,
        )


def validate_bytes(
    validator: Validator, data: bytes, fmt: Any, source: str, *, restating: bool = False
) -> Outcome:
    """Parse (with the limits) and validate: the one entry point of the CLI and the web views."""
    return validator.check(validator.parse(data, fmt, source), restating=restating)


def focus_lines(parsed: Parsed, report: Report) -> dict[str, int]:
    """The first line of the input that names each IRI focus node (best effort: full or prefixed form)."""
    first = token_lines(parsed.text, parsed.prefixes)
    foci = {str(r.focus) for r in report.results if isinstance(r.focus, URIRef)}
    return {iri: first[iri] for iri in foci if iri in first}


# One pass over the text: IRIs in <>, quoted strings (JSON-LD, RDF/XML attributes), comments (skipped)
# and prefixed names, each token at most once, so the cost is linear in the input.
PNAME = r"(?:[A-Za-z][\w.-]*)?:(?:[\w%-](?:[\w.%:-]*[\w%:-])?)?"
TOKEN = re.compile(
    r"<(?P<iri>[^<>\"{}|^`\\\s]*)>"
    r"|\"(?P<dq>(?:[^\"\\\n]|\\.)*)\""
    r"|'(?P<sq>(?:[^'\\\n]|\\.)*)'"
    r"|(?P<comment>#[^\n]*)"
    rf"|(?<![\w:.-])(?P<pname>{PNAME})"
    r"|(?P<newline>\n)"
)
WHOLE_PNAME = re.compile(PNAME)


def token_lines(text: str, prefixes: dict[str, str]) -> dict[str, int]:
    """Every IRI the text names (``<iri>``, ``prefix:local`` with the parser's prefixes, or a string
    that is one of these), with the first line it stands on."""
    first: dict[str, int] = {}
    line = 1
    for match in TOKEN.finditer(text):
        kind = match.lastgroup or ""
        if kind == "newline":
            line += 1
            continue
        if kind == "comment":
            continue
        value = match.group(kind)
        first.setdefault(value, line)
        if kind != "iri" and WHOLE_PNAME.fullmatch(value):
            prefix, _, local = value.partition(":")
            if prefix in prefixes:
                first.setdefault(prefixes[prefix] + local, line)
    return first
