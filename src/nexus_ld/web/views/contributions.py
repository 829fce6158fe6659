"""Contributions over HTTP: dry-run validation, submission, status, the maintainers' decision, the form.

Request flow: rate limit (429) -> size before reading (413) -> the body read with a hard cap, whatever
the transfer encoding (413) -> inflate with a bound (413) -> format from Content-Type or ``format=``
(415) -> quota of pending contributions (429/507) -> parse with limits (400/413) -> validate in context
-> answer.

- ``POST /validate``: 200 with the report whether or not it conforms; nothing is stored.
- ``POST /contributions[?note=…&contributor=…]``: 201 + Location when it conforms (stored as pending),
  422 with the report when it does not, 409 for a duplicate.
- ``GET /contributions/<id>``: status and report (JSON, or HTML for browsers).
- ``POST /contributions/<id>/accept|reject``: ``Authorization: Bearer <maintainer_token>``; a client
  past ``maintainer_token_failures_per_minute`` wrong tokens gets 429 whatever token it sends.
- ``GET|POST /contribute``: a page to paste or upload a file and read the report.
"""

from __future__ import annotations

import hmac
import math
from dataclasses import dataclass
from typing import Any

from flask import Blueprint, Flask, Response, current_app, jsonify, render_template, request, url_for
from werkzeug.exceptions import RequestEntityTooLarge

from nexus_ld import formats
from nexus_ld.config import Settings
from nexus_ld.contributions import review
from nexus_ld.contributions.digest import kept
from nexus_ld.contributions.inbox import Inbox, Quota
from nexus_ld.contributions.parse import check_size, choose_format, inflate, read_capped
from nexus_ld.contributions.report import grouped, to_dict, to_text, to_turtle
from nexus_ld.contributions.service import Outcome, Validator
from nexus_ld.errors import BadRequest, Forbidden, NexusError, PayloadTooLarge, TooManyRequests, Unauthorized
from nexus_ld.formats import HTML, JSON, TEXT
from nexus_ld.web.negotiate import choose, vary
from nexus_ld.web.ratelimit import RateLimiter
from nexus_ld.web.sparql.endpoint import run_bounded
from nexus_ld.web.sparql.executor import validate_task, validation_timed_out
from nexus_ld.web.state import current_state, releases_of

EXTENSION = "nexus_ld.contributions"
MAX_NOTE = 2_000

TURTLE = formats.RDF_FORMATS["turtle"]
REPORT_FORMATS = (JSON, TURTLE, TEXT)

bp = Blueprint("contributions", __name__)


@dataclass
class Contributions:
    """What the views share: settings, the inbox, the limiters (of contributions, and of wrong
    maintainer tokens), and a validator per served release (``state.State``)."""

    settings: Settings
    inbox: Inbox
    limiter: RateLimiter | None
    token_failures: RateLimiter | None

    @property
    def store(self) -> Any:
        """The store of the request's release."""
        return current_state().store

    @property
    def validator(self) -> Validator:
        """The validator of the request's release (a contribution is checked against the release its
        request is answered from), made on its first contribution, not at start-up: parsing shapes and
        ontology costs ~0.4 s that a server answering only queries need not pay."""
        state = current_state()
        return state.once("validator", lambda: Validator.from_settings(self.settings, state.store))


def init_app(app: Flask) -> None:
    """Register the views on ``app`` (whose store is already open)."""
    settings: Settings = releases_of(app).settings
    rate = settings.contribution_rate_per_minute
    failures = settings.maintainer_token_failures_per_minute
    app.extensions[EXTENSION] = Contributions(
        settings,
        Inbox(settings.inbox_path, Quota.from_settings(settings)),
        RateLimiter(rate) if rate > 0 else None,
        RateLimiter(failures) if failures > 0 else None,
    )
    app.register_blueprint(bp)


def _state() -> Contributions:
    return current_app.extensions[EXTENSION]


def _client() -> str:
    """The key of a client for limits and quotas: its address, as the rest of the app counts it."""
    return request.remote_addr or "unknown"


def _rate_limit() -> None:
    limiter = _state().limiter
    if limiter is not None:
        limiter.enforce(_client(), "contributions or validations", "contribution_rate_per_minute")


def _body() -> tuple[bytes, formats.Format]:
    """The request body (size-checked before reading, inflated with a bound) and its RDF format."""
    limit = _state().settings.max_body_bytes
    if request.content_length is not None:
        check_size(request.content_length, limit)
    fmt = choose_format(explicit=request.args.get("format"), media_type=request.headers.get("Content-Type"))
    # Werkzeug's max_content_length cuts a chunked body at the limit without a word: read one byte more
    # than the limit ourselves, so that a longer body is refused, whatever its transfer encoding.
    data = read_capped(request.stream, limit)
    return inflate(data, request.headers.get("Content-Encoding", ""), limit), fmt


def _validate(data: bytes, fmt: formats.Format, source: str) -> Outcome:
    """Parse and validate where a time limit can stop it (a worker process, or under the watchdog)."""
    timeout = _state().settings.validation_timeout_s
    return run_bounded(validate_task, (data, fmt, source), timeout, validation_timed_out(timeout))


def _note(value: str | None) -> str:
    note = (value or "").strip()
    if len(note) > MAX_NOTE:
        raise BadRequest(f"the note has {len(note)} characters; at most {MAX_NOTE}")
    return note


def _report_response(outcome: Outcome, status: int, extra: dict[str, Any] | None = None) -> Response:
    """The report as JSON (the default, also for ``*/*``), Turtle (the SHACL report) or plain text.

    ``?format=`` names the contribution's own format here, so only the Accept header chooses.
    """
    fmt = choose(REPORT_FORMATS, JSON, asked=())
    if fmt is TURTLE:
        response = Response(to_turtle(outcome), mimetype=TURTLE.media_type)
    elif fmt is TEXT:
        response = Response(to_text(outcome, "contribution") + "\n", mimetype=TEXT.media_type)
    else:
        response = jsonify({**(extra or {}), "report": to_dict(outcome)})
    response.status_code = status
    return vary(response)


@bp.post("/validate")
def validate_body() -> Response:
    """Dry run: the validation report of the body; nothing is stored."""
    _rate_limit()
    data, fmt = _body()
    return _report_response(_validate(data, fmt, "body"), 200)


@bp.post("/contributions")
def submit() -> Response:
    """Store a conforming contribution as pending (201), or answer its report (422)."""
    _rate_limit()
    data, fmt = _body()
    note = _note(request.args.get("note"))
    entry, outcome = _submit(data, fmt, note, request.args.get("contributor", "").strip())
    if entry is None:
        return _report_response(outcome, 422, {"stored": False})
    location = url_for("contributions.status", entry_id=entry.id)
    response = _report_response(outcome, 201, {"id": entry.id, "status": entry.status, "location": location})
    response.headers["Location"] = location
    return response


def _submit(data: bytes, fmt: formats.Format, note: str, contributor: str = "") -> tuple[Any, Outcome]:
    state = _state()
    state.inbox.check_room(_client(), len(data))  # before the work of validating
    outcome = _validate(data, fmt, "body")
    if not outcome.conforms:
        return None, outcome
    entry = state.inbox.add(
        body=data,
        sha256=outcome.parsed.sha256,
        fmt=fmt.name,
        report=to_dict(outcome),
        note=note,
        client=_client(),
        contributor=contributor,
        digest=kept(state.validator, outcome.parsed.graph),  # the review page reads it, not the body
        validated_release=state.validator.release,
    )
    return entry, outcome


@bp.get("/contributions/<entry_id>")
def status(entry_id: str) -> Response:
    """A contribution's status, dates, reason and report: HTML for browsers, JSON otherwise (``*/*``)."""
    entry = _state().inbox.get(entry_id)
    if choose((JSON, HTML), JSON, asked=()) is HTML:
        page = render_template("contribution.html", title=f"Contribution {entry.id}", entry=entry)
        return vary(Response(page, mimetype=HTML.media_type))
    return vary(jsonify(entry.summary()))


def _maintainer() -> str:
    """The maintainer's name when ``Authorization: Bearer <token>`` carries the maintainer token."""
    scheme, _, token = request.headers.get("Authorization", "").partition(" ")
    return check_maintainer_token(token.strip() if scheme.lower() == "bearer" else None)


def check_maintainer_token(token: str | None) -> str:
    """Check a maintainer token (from the Authorization header or the review page's sign-in form)
    against the configured one in constant time; answer the maintainer's name.

    Wrong tokens are counted per client; past the limit every attempt is refused (429) before its token
    is compared, so that a guesser learns nothing more, right token or not.

    Raises:
        Forbidden: no maintainer token is configured.
        TooManyRequests: the client sent too many wrong tokens lately.
        Unauthorized: ``token`` is missing or wrong.
    """
    state = _state()
    settings = state.settings
    expected = settings.maintainer_token
    if not expected:
        raise Forbidden("accepting and rejecting over HTTP is disabled (setting maintainer_token is empty)")
    failures, client = state.token_failures, _client()
    if failures is not None and (wait := failures.wait(client)):
        raise TooManyRequests(
            f"more than {failures.per_minute} wrong maintainer tokens per minute from {client} "
            f"(setting maintainer_token_failures_per_minute); retry in {max(1, math.ceil(wait))} s",
            headers={"Retry-After": str(max(1, math.ceil(wait)))},
        )
    if token is None or not hmac.compare_digest(token.encode(), expected.encode()):
        if failures is not None:
            failures.hit(client)
        raise Unauthorized(
            "a maintainer token is needed: send Authorization: Bearer <maintainer_token>",
            headers={"WWW-Authenticate": 'Bearer realm="nexus-ld maintainers"'},
        )
    return settings.maintainer_name


def same_entity() -> bool:
    """The maintainer's ``same_entity`` (form field or query): a new IRI minted again describes the
    entity another accepted contribution minted (``review.MintedTwice``)."""
    value = request.values.get("same_entity", "")
    if value not in ("", "0", "1", "on"):
        raise BadRequest(f"same_entity is 1 (or on) or 0, not {value[:20]!r}")
    return value in ("1", "on")


@bp.post("/contributions/<entry_id>/accept")
def accept(entry_id: str) -> Response:
    """Accept: write data/contributions/<id>.ttl (published by the next build)."""
    by = _maintainer()
    state = _state()
    entry = review.accept(state.inbox, state.validator, entry_id, by, same_entity=same_entity())
    return jsonify(entry.summary())


@bp.post("/contributions/<entry_id>/reject")
def reject(entry_id: str) -> Response:
    """Reject with a reason (form field, JSON ``reason`` or ``?reason=``)."""
    by = _maintainer()
    payload = request.get_json(silent=True) if request.is_json else None
    reason = (payload or {}).get("reason") or request.values.get("reason", "")
    entry = review.reject(_state().inbox, entry_id, by, str(reason))
    return jsonify(entry.summary())


@bp.route("/contribute", methods=["GET", "POST"])
def contribute() -> str | tuple[str, int]:
    """The browser page: paste or upload, then validate or submit; the report rendered readably."""
    if request.method == "GET":
        return render_template("contribute.html", title="Contribute", formats=formats.RDF_FORMATS)
    _rate_limit()
    limit = _state().settings.max_body_bytes
    form_values: dict[str, Any] = {}
    try:
        if request.content_length is None or request.content_length > limit + 64_000:
            raise PayloadTooLarge(f"the form is larger than {limit} bytes (setting max_body_bytes)")
        request.max_content_length = limit + 64_000
        text, upload = request.form.get("text", ""), request.files.get("file")
        form_values = {
            "text": text[:limit],
            "note": request.form.get("note", ""),
            "contributor": request.form.get("contributor", ""),
            "format": request.form.get("format"),
        }
        data = upload.read(limit + 1) if upload and upload.filename else text.encode("utf-8")
        check_size(len(data), limit)
        fmt = choose_format(
            explicit=request.form.get("format") or None,
            filename=upload.filename if upload and upload.filename else "contribution.ttl",
        )
        note = _note(request.form.get("note"))
        if request.form.get("action") == "submit":
            entry, outcome = _submit(data, fmt, note, request.form.get("contributor", "").strip())
        else:
            entry, outcome = None, _validate(data, fmt, "form")
    except RequestEntityTooLarge:
        error = PayloadTooLarge(f"the form is larger than {limit} bytes (setting max_body_bytes)")
        return _form_error(error, form_values)
    except NexusError as error:
        return _form_error(error, form_values)
    page = render_template(
        "contribute.html",
        title="Contribute",
        formats=formats.RDF_FORMATS,
        outcome=outcome,
        groups=grouped(outcome),
        entry=entry,
        submitted=request.form.get("action") == "submit",
        values=form_values,
    )
    return page, (201 if entry else 422 if request.form.get("action") == "submit" else 200)


def _form_error(error: NexusError, values: dict[str, Any]) -> tuple[str, int]:
    page = render_template(
        "contribute.html", title="Contribute", formats=formats.RDF_FORMATS, error=error, values=values
    )
    return page, error.status
