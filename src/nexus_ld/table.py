"""Plain-text tables of SPARQL SELECT results, for the terminal."""

from __future__ import annotations

from typing import Any

import pyoxigraph as ox


def term_text(term: Any) -> str:
    """A compact text form: IRIs in <>, literals as their value."""
    if term is None:
        return ""
    if isinstance(term, ox.NamedNode):
        return f"<{term.value}>"
    if isinstance(term, ox.BlankNode):
        return f"_:{term.value}"
    return term.value


def render_table(solutions: ox.QuerySolutions, width: int = 60) -> str:
    """Aligned columns, one row per solution, long cells cut with an ellipsis."""
    names = [v.value for v in solutions.variables]
    rows = [[term_text(s[n]) for n in names] for s in solutions]
    rows = [[c if len(c) <= width else c[: width - 1] + "…" for c in row] for row in rows]
    widths = [max([len(n)] + [len(r[i]) for r in rows]) for i, n in enumerate(names)]
    line = lambda cells: "  ".join(c.ljust(w) for c, w in zip(cells, widths, strict=True)).rstrip()  # noqa: E731
    out = [line(names), line(["-" * w for w in widths])] + [line(r) for r in rows]
    return "\n".join(out) + f"\n({len(rows)} rows)"
