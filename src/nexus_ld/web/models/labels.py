"""Headings for links read from the other end: a page about TTP lists "Baitullah Mehsud head of TTP"
under a heading that must read from TTP's side. The ontology declares no inverse properties or
inverse labels (only nx:supersedes/nx:supersededBy), so the heading is a display pattern over the
property's own label, never a new ontology term."""

from __future__ import annotations

# A label ending in one of these words reads "<label> this" (allied with this, attributed to this).
PREPOSITIONS = frozenset({"by", "to", "with", "in", "for", "from", "at", "on", "against", "into", "over"})


def inverse_label(label: str) -> str:
    """How a link ``X <label> this`` is headed on the page of ``this``.

    A relational noun drops its "of" (head of -> head); a verb (its first word ends in -ed or -s) or
    a phrase ending in a preposition takes "this" (funded this, corroborates this, allied with this);
    a noun naming the role of the object says where it plays that role (perpetrator -> perpetrator in).

    >>> [inverse_label(x) for x in ("head of", "sub-organisation of", "member of")]
    ['head', 'sub-organisation', 'member']
    >>> [inverse_label(x) for x in ("allied with", "attributed to", "funded", "corroborates")]
    ['allied with this', 'attributed to this', 'funded this', 'corroborates this']
    >>> [inverse_label(x) for x in ("organisation", "perpetrator", "casualties")]
    ['organisation in', 'perpetrator in', 'casualties in']
    """
    words = label.split()
    if len(words) > 1 and words[-1] == "of":
        return " ".join(words[:-1])
    verb = words and (words[0].endswith("ed") or (words[0].endswith("s") and not words[0].endswith("ies")))
    if words and (words[-1] in PREPOSITIONS or verb):
        return f"{label} this"
    return f"{label} in"
