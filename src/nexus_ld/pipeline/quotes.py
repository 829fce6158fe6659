"""Locate and verify verbatim quotes in source texts (Web Annotation selectors).

Offsets count Unicode code points of the UTF-8-decoded source file, as Python string indices:
``text[start:end] == exact``. Prefix and suffix are the (up to) ``CONTEXT`` characters around it.
"""

from __future__ import annotations

from dataclasses import dataclass

CONTEXT = 32


class QuoteNotFound(ValueError):
    """The exact text does not occur in the source, or occurs more than once without a hint."""


@dataclass(frozen=True)
class Selector:
    exact: str
    prefix: str
    suffix: str
    start: int
    end: int

    def to_turtle(self, source: str, indent: str = "    ") -> str:
        """The nx:evidence block for this selector, as a contributor pastes it into a claim."""

        def lit(value: str) -> str:
            return '"' + value.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n") + '"'

        return (
            f"{indent}nx:evidence [ a oa:SpecificResource ; oa:hasSource {source} ;\n"
            f"{indent}    oa:hasSelector [ a oa:TextQuoteSelector ;\n"
            f"{indent}        oa:exact {lit(self.exact)} ;\n"
            f"{indent}        oa:prefix {lit(self.prefix)} ;\n"
            f"{indent}        oa:suffix {lit(self.suffix)} ] ,\n"
            f"{indent}      [ a oa:TextPositionSelector ; oa:start {self.start} ; oa:end {self.end} ] ]"
        )


def locate(text: str, exact: str, after: int = 0) -> Selector:
    """Find ``exact`` in ``text`` (first occurrence at or after ``after``) and build its selectors.

    Raises:
        QuoteNotFound: when ``exact`` is empty or does not occur.
    """
    start = text.find(exact, after) if exact else -1
    if start < 0:
        raise QuoteNotFound(f"quote not found in source: {exact[:60]!r}")
    end = start + len(exact)
    return Selector(exact, text[max(0, start - CONTEXT) : start], text[end : end + CONTEXT], start, end)


def mismatch(
    text: str, exact: str, start: int | None, end: int | None, prefix: str | None, suffix: str | None
) -> str | None:
    """Return why a quote selector does not fit ``text`` (None when it fits exactly)."""
    if exact not in text:
        return "the exact quote does not occur in the source text"
    if start is None or end is None:
        return "no TextPositionSelector offsets"
    if end - start != len(exact):
        return f"offsets {start}-{end} span {end - start} characters but the quote has {len(exact)}"
    if text[start:end] != exact:
        where = text.find(exact)
        return f"the quote is not at offsets {start}-{end} (it occurs at {where}-{where + len(exact)})"
    if prefix is not None and not text[:start].endswith(prefix):
        return "oa:prefix does not match the text before the quote"
    if suffix is not None and not text[end:].startswith(suffix):
        return "oa:suffix does not match the text after the quote"
    return None
