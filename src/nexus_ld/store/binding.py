"""Values bound into a query's text: a ``VALUES`` block opening every WHERE clause.

The remote store binds every value so (a SPARQL 1.1 server has no ``substitutions``); the embedded
store binds lists so (pyoxigraph's ``substitutions`` take one value per variable). Values never enter
the text as strings: each is an N-Triples term serialised by pyoxigraph, which has checked it (an IRI
cannot close its ``<…>``, a literal's quotes are escaped), and blank nodes are refused (SPARQL's VALUES
cannot name one).
"""

from __future__ import annotations

from collections.abc import Mapping

import pyoxigraph as ox

from nexus_ld.store.scanner import tokens

Term = ox.NamedNode | ox.BlankNode | ox.Literal
Bound = Mapping[str, Term | tuple[Term, ...]]  # variable name -> a value, or a list of values


def nt(term: Term) -> str:
    """``term`` as N-Triples (also valid SPARQL).

    Raises:
        ValueError: for a blank node (a query's text cannot name one) or a value that is not a term.
    """
    if isinstance(term, ox.BlankNode):
        raise ValueError("a blank node cannot be bound in a query's text")
    if not isinstance(term, ox.NamedNode | ox.Literal):
        raise ValueError(f"only IRIs and literals can be bound in a query's text, not {type(term).__name__}")
    return str(term)


def where_clauses(text: str) -> list[int]:
    """Offsets just after the ``{`` that opens each WHERE clause of the query and of its subqueries.

    Raises:
        ValueError: for ``CONSTRUCT WHERE { … }`` (its pattern is its template: no VALUES can go in).
    """
    points: list[int] = []
    pending: list[tuple[str, int]] = []  # ("where" | "template", paren depth) after a query keyword
    templates: list[int] = []  # brace depth at which an open CONSTRUCT template closes
    paren = brace = 0
    previous = ""
    for kind, token, start in tokens(text):
        if kind == "punct" and token not in "{}()":
            continue  # dots, semicolons, operators: they never open or close a clause
        if kind != "word" and kind != "punct":
            previous = token  # a string, IRI, variable or name, taken whole
            continue
        if kind == "word":
            upper = token.upper()
            if upper in ("SELECT", "ASK", "DESCRIBE"):
                pending.append(("where", paren))
            elif upper == "CONSTRUCT":
                pending.append(("template", paren))
            previous = upper
            continue
        if token == "(":
            paren += 1
        elif token == ")":
            paren -= 1
        elif token == "{":
            if pending and pending[-1][1] == paren:
                what, _ = pending.pop()
                if what == "template":
                    if previous == "WHERE":
                        raise ValueError("CONSTRUCT WHERE { … } cannot take bound values; write the template")
                    templates.append(brace)
                else:
                    points.append(start + 1)
            brace += 1
        elif token == "}":
            brace -= 1
            if templates and templates[-1] == brace:
                templates.pop()
                pending.append(("where", paren))
        previous = token
    return points


def bind(text: str, substitutions: Bound) -> str:
    """``text`` with ``VALUES (?a ?b) { (<…> "…") }`` for the single values and ``VALUES ?t { <…> <…> }``
    for each list opening every WHERE clause.

    This gives what pyoxigraph's ``substitutions`` give the embedded store: the variables hold the
    values from the start of evaluation, in subqueries too, and stay in the results; a list binds its
    variable to each of its values in turn (an empty list: no solution).

    Raises:
        ValueError: no WHERE clause to put the values in, or a blank node value.
    """
    if not substitutions:
        return text
    single = {name: v for name, v in substitutions.items() if not isinstance(v, tuple)}
    blocks = []
    if single:
        names = " ".join(f"?{name}" for name in single)
        values = " ".join(nt(term) for term in single.values())
        blocks.append(f" VALUES ({names}) {{ ({values}) }} ")
    for name, terms in substitutions.items():
        if isinstance(terms, tuple):
            blocks.append(f" VALUES ?{name} {{ {' '.join(nt(term) for term in terms)} }} ")
    block = "".join(blocks)
    points = where_clauses(text)
    if not points:
        raise ValueError("the query has no WHERE clause to bind values in")
    parts, last = [], 0
    for point in points:
        parts += [text[last:point], block]
        last = point
    return "".join(parts) + text[last:]
