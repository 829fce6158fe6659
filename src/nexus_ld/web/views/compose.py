"""Contribute without writing RDF: a claim from a selected passage, and a new source, as forms.

- ``GET /compose/claim?source=<iri>&start=&end=&exact=`` (or ``pending=<id>`` for a source still in the
  inbox): the claim form, prefilled with the passage (offsets verified on the source's own text).
- ``POST /compose/claim``: ``action=check`` validates in context and answers the Turtle and the findings
  placed on the form's fields (JSON for the page's script, HTML without it); ``action=submit`` stores a
  conforming contribution in the inbox, as ``POST /contributions`` does.
- ``GET|POST /compose/source``: a new source (its text pasted; the server adds its SHA-256).
- ``GET /compose/pending/<id>``: the text of a source still pending, to select passages from.

A pending source is unreviewed text that anyone holding its contribution id can read: ids carry 128
random bits (``inbox.new_id``), and every answer here (the claim form shows that text too) is
``no-store`` (``web/caching.py``), ``X-Robots-Tag: noindex`` and ``Referrer-Policy: no-referrer``, so
neither caches, search engines nor other sites' logs keep the text or its address.

Validation and submission go through the views of ``contributions`` (same rate limit, quotas, time
limit, validator); the Turtle comes from ``contributions/compose.py``.
"""

from __future__ import annotations

from typing import Any

import pyoxigraph as ox
from flask import Blueprint, Flask, Response, jsonify, render_template, request, url_for
from rdflib.namespace import DCTERMS, RDFS
from werkzeug.exceptions import RequestEntityTooLarge

from nexus_ld import formats
from nexus_ld.contributions.compose import SourceText, compose_claim, compose_source, pending_source
from nexus_ld.contributions.forms import FIELD_LABELS, OA, Draft, Problem, Vocabulary, cue_segments, suggested
from nexus_ld.errors import BadRequest, NexusError, NotFound, PayloadTooLarge
from nexus_ld.formats import HTML, JSON
from nexus_ld.pipeline.publish.search import INDEX_FILE, search
from nexus_ld.web.negotiate import choose, vary
from nexus_ld.web.state import current_state
from nexus_ld.web.views import contributions
from nexus_ld.web.views.pages import source_text

bp = Blueprint("compose", __name__)
TURTLE = formats.RDF_FORMATS["turtle"]
TEXT_FILE = "ontology#textFile"  # under the build's base


# Every answer of these pages: unreviewed text and contribution ids stay out of indexes and Referers.
PRIVATE = {"X-Robots-Tag": "noindex", "Referrer-Policy": "no-referrer"}


def init_app(app: Flask) -> None:
    """Register the views on ``app``, after ``contributions.init_app`` (its inbox and validator)."""
    app.register_blueprint(bp)


@bp.after_request
def _private(response: Response) -> Response:
    response.headers.update(PRIVATE)
    return response


def _vocabulary() -> Vocabulary:
    """What the forms offer (kinds, statuses, roles, classes), read from the validator's ontology of the
    request's release when its first form is shown (as the validator is made on its first contribution)."""
    return current_state().once(
        "compose vocabulary", lambda: Vocabulary.from_ontology(contributions._state().validator.ontology)
    )


def _form() -> dict[str, str]:
    """The posted fields, bounded: a form larger than ``max_body_bytes`` (plus room for the fields) is 413."""
    limit = contributions._state().settings.max_body_bytes + 64_000
    if request.content_length is None or request.content_length > limit:
        raise PayloadTooLarge(f"the form is larger than {limit} bytes (setting max_body_bytes)")
    request.max_content_length = limit
    try:
        return {k: v for k, v in request.form.items()}
    except RequestEntityTooLarge:
        raise PayloadTooLarge(f"the form is larger than {limit} bytes (setting max_body_bytes)") from None


# --- where the passage comes from ------------------------------------------------------------------
def _published_source(iri: str) -> SourceText:
    store = contributions._state().store
    if not iri.startswith(store.base + "id/source/"):
        raise BadRequest(f"source must be the IRI of a published source ({store.base}id/source/…)")
    row = next(iter(store.named("compose-source", {"r": ox.NamedNode(iri)})), None)
    if row is None:
        raise NotFound(f"no source <{iri}> in this dataset")
    name = _value(row["textFile"])
    text = source_text(store, name) if name else None
    if text is None:
        raise NotFound(f"the text of <{iri}> is not in this build: passages cannot be selected from it")
    author = _value(row["author"])
    return SourceText(iri, text, author, _value(row["authorLabel"]) or "", _value(row["label"]) or iri)


def _value(term: Any) -> str | None:
    return term.value if term is not None else None


def _pending_source(entry_id: str) -> SourceText:
    state = contributions._state()
    entry = state.inbox.get(entry_id, with_body=True)
    if entry.status != "pending":
        raise NotFound(f"contribution {entry_id} is {entry.status}, not pending: use the published source")
    parsed = state.validator.parse(entry.body, formats.RDF_FORMATS[entry.format], entry_id)
    found = pending_source(parsed.graph)
    if found is None:
        raise NotFound(f"contribution {entry_id} does not ship exactly one source with its text")
    iri, text, own = found
    creator = own.value(iri, DCTERMS.creator)
    label = own.value(creator, RDFS.label) if creator is not None else None
    title = own.value(iri, RDFS.label)
    return SourceText(
        str(iri), text, str(creator) if creator else None, str(label or ""), str(title or ""), own
    )


def _source(values: dict[str, str]) -> SourceText:
    if values.get("pending"):
        return _pending_source(values["pending"])
    if not values.get("source"):
        raise BadRequest("say which source the passage is from: source=<IRI> or pending=<contribution id>")
    return _published_source(values["source"])


# --- the claim form --------------------------------------------------------------------------------
PICKERS = {"about": "about", "other": "other", "quoted": "speaker"}  # picker -> the field it reports on


def _draft(values: dict[str, str], source: SourceText) -> Draft:
    """The claim of the form's fields; names typed without the script's picker are looked up by label."""
    state = contributions._state()
    unresolved = _resolve_names(values, state.settings.build / INDEX_FILE)
    draft = compose_claim(values, source, _vocabulary(), state.settings.base, state.store.exists)
    draft.problems.extend(unresolved)
    return draft


def _resolve_names(values: dict[str, str], index: Any) -> list[Problem]:
    """Without the script, a picker sends only the typed name: take the entity of exactly that label,
    else say which ones come close (a new entity is named in the picker's own fields)."""
    problems = []
    for name, where in PICKERS.items():
        typed = " ".join(values.get(f"{name}_search", "").replace('"', " ").split())
        if values.get(name) or values.get(f"{name}_label") or not typed:
            continue
        hits = [h for h in search(index, f'"{typed}"', 10, 0).hits if h.kind in ("label", "altLabel")]
        same = [h for h in hits if h.text.casefold() == typed.casefold()]
        if same:
            values[name] = same[0].iri
            continue
        close = ", ".join(dict.fromkeys(h.label for h in hits)) or "none"
        problems.append(
            Problem(
                where, f"no entity is named {typed!r} (close: {close}); type a listed name or name a new one"
            )
        )
    return problems


@bp.get("/compose/claim")
def claim_form() -> str:
    """The form, prefilled with the passage the reader selected (``start``, ``end``, ``exact``)."""
    values = {k: v for k, v in request.args.items()}
    source = _source(values)
    draft = _draft(values, source)
    quote = (
        [p for p in draft.problems if p.field == "quote"]
        if values.get("exact") or values.get("start")
        else []
    )
    return _claim_page(values, source, draft, quote or None, None)


@bp.post("/compose/claim")
def claim_post() -> Response | tuple[str, int]:
    """``action=check``: the Turtle and the findings by field; ``action=submit``: into the inbox."""
    contributions._rate_limit()
    values = _form()
    source = _source(values)
    draft = _draft(values, source)
    return _answer(values, draft, lambda problems, entry: _claim_page(values, source, draft, problems, entry))


def _answer(values: dict[str, str], draft: Draft, page: Any) -> Response | tuple[str, int]:
    """Validate (and, for ``action=submit``, store) the draft; answer JSON or the form's page."""
    submit = values.get("action") == "submit"
    names = {values[n]: values[f"{n}_search"] for n in PICKERS if values.get(n) and values.get(f"{n}_search")}
    sender = (values.get("note"), values.get("contributor", "").strip())
    problems, entry = _check(draft, sender, names, submit=submit)
    conforms = not any(p.severity == "Violation" for p in problems)
    status = 201 if entry else (422 if submit else 200)
    if choose((HTML, JSON), HTML, asked=()) is JSON:
        body = {
            "conforms": conforms,
            "stored": entry is not None,
            "turtle": draft.turtle(),
            "problems": [p.to_dict() for p in problems],
            "id": entry.id if entry else None,
            "location": url_for("contributions.status", entry_id=entry.id) if entry else None,
        }
        response = jsonify(body)
        response.status_code = status
        return vary(response)
    return page(problems, entry), status


def _check(
    draft: Draft, sender: tuple[str | None, str], names: dict[str, str], *, submit: bool
) -> tuple[list[Problem], Any]:
    """The draft's own problems, then (when it has none) the validator's findings placed on fields;
    ``sender`` is the note to the maintainers and the contributor's name, kept with a submission."""
    if draft.problems:
        return draft.problems, None
    data = draft.turtle().encode("utf-8")
    try:
        if submit:
            note, contributor = sender
            entry, outcome = contributions._submit(data, TURTLE, contributions._note(note), contributor)
        else:
            entry, outcome = None, contributions._validate(data, TURTLE, "form")
    except NexusError as error:
        if error.status in (409, 429, 507):  # duplicate, quotas: said on the form, as the page says them
            return [Problem("form", error.message)], None
        raise
    return draft.place(outcome.parsed.graph, outcome.report.results, names), entry


def _claim_page(
    values: dict[str, str], source: SourceText, draft: Draft, problems: list[Problem] | None, entry: Any
) -> str:
    vocabulary = _vocabulary()
    start, end = _offsets(draft)
    exact = source.text[start:end] if start is not None else values.get("exact", "")
    return render_template(
        "compose_claim.html",
        title="Make a claim from a passage",
        values=values,
        source=source,
        vocabulary=vocabulary,
        exact=exact,
        start=start,
        end=end,
        cues=cue_segments(exact),
        suggested=suggested(exact),
        problems=_by_field(problems or []),
        checked=problems is not None,
        turtle=draft.turtle(),
        entry=entry,
        labels=FIELD_LABELS,
    )


def _offsets(draft: Draft) -> tuple[int | None, int | None]:
    start = next(iter(draft.graph.objects(None, OA.start)), None)
    end = next(iter(draft.graph.objects(None, OA.end)), None)
    return (int(start), int(end)) if start is not None and end is not None else (None, None)


def _by_field(problems: list[Problem]) -> dict[str, list[Problem]]:
    grouped: dict[str, list[Problem]] = {}
    for problem in problems:
        grouped.setdefault(problem.field, []).append(problem)
    return grouped


# --- a new source ----------------------------------------------------------------------------------
@bp.route("/compose/source", methods=["GET", "POST"])
def source_form() -> Response | str | tuple[str, int]:
    """A new source: text, title, author, publisher, date, URL, access date, licence."""
    base = contributions._state().settings.base
    if request.method == "GET":
        return _source_page({}, compose_source({}, base), None, None)
    contributions._rate_limit()
    values = _form()
    draft = compose_source(values, base)
    return _answer(values, draft, lambda problems, entry: _source_page(values, draft, problems, entry))


def _source_page(values: dict[str, str], draft: Draft, problems: list[Problem] | None, entry: Any) -> str:
    return render_template(
        "compose_source.html",
        title="Add a source",
        values=values,
        problems=_by_field(problems or []),
        checked=problems is not None,
        turtle=draft.turtle() if values else "",
        entry=entry,
        labels=FIELD_LABELS,
    )


@bp.get("/compose/pending/<entry_id>")
def pending(entry_id: str) -> str:
    """The text of a source waiting in the inbox, to select passages from (as on a source page)."""
    source = _pending_source(entry_id)
    return render_template(
        "compose_pending.html",
        title=source.title or "Pending source",
        source=source,
        entry_id=entry_id,
        compose_url=url_for("compose.claim_form", pending=entry_id),
    )
