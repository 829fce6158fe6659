"""The example queries the query UI offers by name: the top-level ``queries/*.rq`` files."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class Example:
    """An example query offered by name in the query UI (from the top-level queries/*.rq)."""

    name: str
    title: str
    query: str


def load_examples(folder: Path) -> tuple[Example, ...]:
    """The ``*.rq`` files of ``folder``, titled by their first comment line."""
    examples = []
    for path in sorted(folder.glob("*.rq")):
        text = path.read_text(encoding="utf-8")
        first = next((line for line in text.splitlines() if line.strip()), "")
        title = first.lstrip("#").strip() if first.startswith("#") else path.stem
        examples.append(Example(path.stem, title, text))
    return tuple(examples)
