"""The maintainers' review page: sign in with the maintainer token, read what each pending contribution
adds (entities, claims with their quotes, sources, warnings, restated claims), accept or reject it.

- ``GET /contributions/review``: the sign-in form, or (signed in) the oldest ``page_size`` pending
  contributions, each with its digest (``contributions/digest.py``).
- ``POST /contributions/review/sign-in``: the token (``token``) is checked as the ``Authorization``
  header is (``contributions.check_maintainer_token``: constant time, wrong tokens counted per client,
  429 past ``maintainer_token_failures_per_minute``).
- ``POST /contributions/review/<id>/accept|reject``, ``POST /contributions/review/sign-out``.

The session is Flask's signed cookie (itsdangerous): its key is derived from ``maintainer_token``
(HMAC-SHA256), so changing the token signs every maintainer out; it is HttpOnly, SameSite=Strict,
sent only under ``/contributions``, Secure when the request came over HTTPS, and lapses after
``maintainer_session_minutes`` without use. Every POST carries the session's CSRF token (a random
value kept in the signed session, compared in constant time; 400 without it). Accepting and rejecting
call ``contributions.review`` as the JSON endpoints and the CLI do.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from datetime import timedelta
from typing import Any

from flask import (
    Blueprint,
    Flask,
    Response,
    flash,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask.sessions import SecureCookieSessionInterface
from werkzeug.wrappers import Response as BaseResponse

from nexus_ld.contributions import review
from nexus_ld.contributions.digest import digests
from nexus_ld.errors import BadRequest, Forbidden, NexusError, Unauthorized
from nexus_ld.web.views.contributions import _state, check_maintainer_token, same_entity

bp = Blueprint("review", __name__)

MAX_NAME = 100  # characters of the name a maintainer signs in with (written into the provenance)
CSRF_FIELD = "csrf_token"


class ReviewSessions(SecureCookieSessionInterface):
    """Flask's signed-cookie session, Secure whenever the request itself came over HTTPS (behind the
    front, as nginx's X-Forwarded-Proto says: ``trusted_proxy_hops``)."""

    def get_cookie_secure(self, app: Flask) -> bool:
        return request.is_secure


def init_app(app: Flask) -> None:
    """Register the review page; the session key comes from ``maintainer_token`` (none: page disabled)."""
    settings = app.extensions["nexus_ld"].settings
    if settings.maintainer_token:
        app.secret_key = hmac.new(
            settings.maintainer_token.encode(), b"nexus-ld review session", hashlib.sha256
        ).digest()
    app.config.update(
        SESSION_COOKIE_NAME="nexus_review",
        SESSION_COOKIE_PATH="/contributions",
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Strict",
        PERMANENT_SESSION_LIFETIME=timedelta(minutes=settings.maintainer_session_minutes),
    )
    app.session_interface = ReviewSessions()
    app.register_blueprint(bp)


def _enabled() -> None:
    if not _state().settings.maintainer_token:
        raise Forbidden("the review page is disabled (setting maintainer_token is empty)")


def _csrf_token() -> str:
    """The session's CSRF token, made on first use (the sign-in form carries one too)."""
    if CSRF_FIELD not in session:
        session[CSRF_FIELD] = secrets.token_urlsafe(32)
        session.permanent = True
    return str(session[CSRF_FIELD])


def _check_csrf() -> None:
    expected, given = session.get(CSRF_FIELD), request.form.get(CSRF_FIELD, "")
    if not expected or not hmac.compare_digest(str(expected).encode(), given.encode()):
        raise BadRequest(
            "the form's CSRF token is missing or does not match this session (it may have expired); "
            "reload the review page and try again"
        )


def _signed_in() -> str | None:
    name = session.get("maintainer")
    return str(name) if name else None


def _page(status: int = 200, *, error: NexusError | None = None) -> Response:
    """The review page: the sign-in form, or the pending contributions with their digests."""
    state, name = _state(), _signed_in()
    context: dict[str, Any] = {"title": "Review contributions", "csrf_token": _csrf_token(), "error": error}
    if name:
        total, shown = state.inbox.pending(state.settings.page_size)
        items = list(zip(shown, digests(state.validator, state.inbox, shown), strict=True))
        context |= {"maintainer": name, "total": total, "items": items}
    response = Response(render_template("review.html", **context), status=status)
    if error is not None and "Retry-After" in error.headers:
        response.headers["Retry-After"] = error.headers["Retry-After"]
    return response


def _done(message: str) -> BaseResponse:
    flash(message)
    return redirect(url_for("review.page"), 303)  # after a POST: a reload does not post again


@bp.get("/contributions/review")
def page() -> Response:
    _enabled()
    return _page()


@bp.post("/contributions/review/sign-in")
def sign_in() -> BaseResponse:
    _enabled()
    _check_csrf()
    try:
        default = check_maintainer_token(request.form.get("token", ""))
    except NexusError as error:
        return _page(error.status, error=error)
    name = request.form.get("name", "").strip()[:MAX_NAME] or default
    session.clear()  # a new session (and CSRF token) for the signed-in maintainer
    session["maintainer"] = name
    _csrf_token()
    return _done(f"Signed in as {name}.")


@bp.post("/contributions/review/sign-out")
def sign_out() -> BaseResponse:
    _check_csrf()
    session.clear()
    return redirect(url_for("review.page"), 303)


def _maintainer() -> str:
    """The signed-in maintainer of a decision POST (CSRF token checked); 401 when not signed in."""
    _enabled()
    _check_csrf()
    name = _signed_in()
    if not name:
        raise Unauthorized("sign in on the review page first (your session may have expired)")
    return name


@bp.post("/contributions/review/<entry_id>/accept")
def accept(entry_id: str) -> BaseResponse:
    by = _maintainer()
    state = _state()
    try:
        entry = review.accept(state.inbox, state.validator, entry_id, by, same_entity=same_entity())
    except NexusError as error:
        return _page(error.status, error=error)
    return _done(f"Accepted {entry.id} into {entry.file}; `nexus-ld build` publishes it.")


@bp.post("/contributions/review/<entry_id>/reject")
def reject(entry_id: str) -> BaseResponse:
    by = _maintainer()
    try:
        entry = review.reject(_state().inbox, entry_id, by, request.form.get("reason", ""))
    except NexusError as error:
        return _page(error.status, error=error)
    return _done(f"Rejected {entry.id}: {entry.reason}")
