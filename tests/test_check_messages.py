"""One registry of check messages (``pipeline/checks/common.py`` ``MESSAGES``) serves the check engine
and its rdflib oracle (``tests/check_oracle.py``): neither writes a finding's message itself."""

from __future__ import annotations

import ast
import string
from pathlib import Path

import pytest

from nexus_ld.pipeline.checks.common import MESSAGES, message

HERE = Path(__file__).resolve().parent
CHECKS = HERE.parent / "src" / "nexus_ld" / "pipeline" / "checks"
ENGINES = {
    "checks/": [CHECKS / "sparql.py", CHECKS / "truthy.py"],
    "check_oracle.py": [HERE / "check_oracle.py"],
}


def _trees(paths: list[Path]) -> list[ast.Module]:
    return [ast.parse(path.read_text(encoding="utf-8")) for path in paths]


def _message_arguments(paths: list[Path]) -> list[ast.expr]:
    """The message argument (the second) of every ``finding(...)`` call in ``paths``."""
    calls = [node for tree in _trees(paths) for node in ast.walk(tree) if isinstance(node, ast.Call)]
    return [
        c.args[1]
        for c in calls
        if isinstance(c.func, ast.Name) and c.func.id == "finding" and len(c.args) > 1
    ]


@pytest.mark.parametrize("engine", sorted(ENGINES))
def test_no_engine_writes_a_message_of_its_own(engine: str) -> None:
    arguments = _message_arguments(ENGINES[engine])
    assert len(arguments) >= 7  # every check of the engine is seen (sparql.py: through _row_finding too)
    literal = [ast.unparse(a) for a in arguments if isinstance(a, ast.Constant | ast.JoinedStr | ast.BinOp)]
    assert literal == []


def test_both_engines_use_every_registered_message() -> None:
    for engine, paths in ENGINES.items():
        keys = {
            n.value
            for tree in _trees(paths)
            for n in ast.walk(tree)
            if isinstance(n, ast.Constant) and n.value in MESSAGES
        }
        assert keys == set(MESSAGES), engine


def test_a_message_is_filled_from_its_fields() -> None:
    fields = {f for text in MESSAGES.values() for _, f, _, _ in string.Formatter().parse(text) if f}
    assert fields == {"reason", "value", "day", "qid", "ref", "cls", "term", "node", "status"}
    assert (
        message("un-reference", ref="QDi.1")
        == "UN sanctions reference QDi.1 is not in data/reference/un-sanctions.tsv"
    )
