"""One validation of a contribution: parse -> context -> shapes -> checks -> rules -> one report.

``Validator`` holds what does not change between contributions (shapes, ontology, the store, the
limits), so the CLI, the web views and the tests all call ``Validator.check`` the same way.
"""

from __future__ import annotations

import hashlib
import re
import shutil
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from rdflib import Graph, Literal, URIRef
from rdflib.namespace import XSD

from .. import check as checks
from ..config import Settings
from ..load import ontology_files, parse_files, shape_files
from ..namespaces import NX
from ..store import Store
from ..validate import Report, Result, validate
from . import rules
from .context import Fetcher, fetch, restrict
from .parse import Limits, Parsed
from .parse import parse as parse_bytes


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
        )

    def parse(self, data: bytes, fmt: Any, source: str) -> Parsed:
        return parse_bytes(data, fmt, source, self.limits)

    def check(self, parsed: Parsed, *, restating: bool = False) -> Outcome:
        """Validate a parsed contribution in context; results only for the nodes it touches.

        ``restating``: the input is one of the files the published data is built from (``data/``), so
        restating published claims is expected.
        """
        started = time.perf_counter()
        contribution = parsed.graph
        context = fetch(self.store, contribution)
        merged = context.graph + contribution
        fetcher = Fetcher(self.store)
        findings: list[Result] = [
            *checks.check_quotes(merged, self.data_dir / "sources"),
            *self._inline_quotes(contribution, merged),
            *checks.check_dates(merged),
            *checks.check_attribution(merged),
            *checks.check_references(merged, self.data_dir / "reference"),
            *checks.check_classes(merged, self.ontology),
            *checks.check_terms(merged, self.ontology),
            *checks.check_iris(merged, self.base),
        ]
        shapes_report = validate(merged, self.shapes, self.ontology)
        report = restrict(shapes_report.merge(findings), context.scope)
        report = report.merge(
            [
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

    def _inline_quotes(self, contribution: Graph, merged: Graph) -> list[Result]:
        """Quotes of claims citing a new source that ships its text (schema:text) are checked verbatim."""
        inline = {
            s: str(t) for s, t in contribution.subject_objects(rules.SCHEMA.text) if isinstance(s, URIRef)
        }
        if not inline:
            return []
        graph = Graph()
        graph += merged
        graph.remove((None, NX.textFile, None))
        graph.remove((None, NX.sha256, None))
        folder = Path(tempfile.mkdtemp(prefix="nexus-ld-sources-"))
        try:
            for number, (source, text) in enumerate(inline.items()):
                name = f"inline-{number}.txt"
                raw = text.encode("utf-8")
                (folder / name).write_bytes(raw)
                graph.add((source, NX.textFile, Literal(name)))
                graph.add((source, NX.sha256, Literal(_sha256(raw), datatype=XSD.hexBinary)))
            return [r for r in checks.check_quotes(graph, folder) if "Checksum" not in r.message]
        finally:
            shutil.rmtree(folder, ignore_errors=True)


def _sha256(raw: bytes) -> str:
    return hashlib.sha256(raw).hexdigest()


def validate_bytes(
    validator: Validator, data: bytes, fmt: Any, source: str, *, restating: bool = False
) -> Outcome:
    """Parse (with the limits) and validate: the one entry point of the CLI and the web views."""
    return validator.check(validator.parse(data, fmt, source), restating=restating)


def focus_lines(parsed: Parsed, report: Report) -> dict[str, int]:
    """The first line of the input that names each IRI focus node (best effort: full or prefixed form)."""
    lines = parsed.text.splitlines()
    prefixes = _prefixes(parsed.text)
    found: dict[str, int] = {}
    for focus in {r.focus for r in report.results if isinstance(r.focus, URIRef)}:
        iri = str(focus)
        needles = [f"<{iri}>", f'"{iri}"', f"'{iri}'"]
        needles += [
            f"{p}:{iri[len(ns) :]}" for p, ns in prefixes.items() if iri.startswith(ns) and len(iri) > len(ns)
        ]
        for number, line in enumerate(lines, 1):
            if any(_names(line, n) for n in needles):
                found[iri] = number
                break
    return found


def _names(line: str, needle: str) -> bool:
    at = line.find(needle)
    while at >= 0:
        end = at + len(needle)
        before_ok = at == 0 or not (line[at - 1].isalnum() or line[at - 1] in "_-:")
        after_ok = end >= len(line) or not (line[end].isalnum() or line[end] in "_-")
        if before_ok and after_ok:
            return True
        at = line.find(needle, at + 1)
    return False


def _prefixes(text: str) -> dict[str, str]:
    pattern = re.compile(r"@?prefix\s+([A-Za-z][\w.-]*)?:\s*<([^>]*)>", re.IGNORECASE)
    return {m.group(1) or "": m.group(2) for m in pattern.finditer(text)}
