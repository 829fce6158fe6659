"""One place that renders errors: JSON for API and SPARQL clients, plain text for text/*, HTML for
browsers. Unexpected errors are logged with their trace; the user gets a generic 500."""

from __future__ import annotations

from urllib.parse import urlsplit

from flask import Flask, Response, current_app, jsonify, redirect, render_template, request
from werkzeug.exceptions import HTTPException
from werkzeug.routing import RequestRedirect
from werkzeug.wrappers import Response as BaseResponse

from nexus_ld.errors import NexusError, NotAcceptable
from nexus_ld.formats import HTML, JSON, TEXT, Format
from nexus_ld.web.negotiate import negotiate

ERROR_FORMATS = (HTML, JSON, TEXT)
# Machine endpoints answer a browser's error in HTML only when it asks for HTML over */*.
MACHINE_PATHS = ("/sparql", "/api", "/validate", "/contributions")


def _preferred() -> Format:
    default = TEXT if request.path.startswith(MACHINE_PATHS) else HTML
    try:
        return negotiate(request.headers.get("Accept"), ERROR_FORMATS, default)
    except NotAcceptable:
        return TEXT  # an error must still be said: in the simplest form


def render_error(status: int, title: str, message: str, headers: dict[str, str] | None = None) -> Response:
    kind = _preferred()
    if kind is JSON:
        response = jsonify({"error": {"status": status, "title": title, "message": message}})
    elif kind is HTML:
        response = Response(render_template("error.html", status=status, title=title, message=message))
    else:
        response = Response(f"{status} {title}: {message}\n", mimetype="text/plain")
    response.status_code = status
    response.headers.extend(headers or {})
    response.headers["Vary"] = "Accept"
    return response


def local_redirect() -> BaseResponse | None:
    """Werkzeug's trailing-slash redirect (``/downloads`` -> ``/downloads/``) as a path: it builds an
    absolute URL from the Host header, which the client chooses, into both Location and body."""
    exc = request.routing_exception
    if isinstance(exc, RequestRedirect):
        return redirect(urlsplit(exc.new_url)._replace(scheme="", netloc="").geturl(), exc.code)
    return None


def register(app: Flask) -> None:
    app.before_request(local_redirect)

    @app.errorhandler(NexusError)
    def nexus_error(exc: NexusError) -> Response:
        return render_error(exc.status, exc.title, exc.message, exc.headers)

    @app.errorhandler(HTTPException)
    def http_error(exc: HTTPException) -> Response:
        headers = dict(exc.get_headers())
        headers.pop("Content-Type", None)
        return render_error(exc.code or 500, exc.name, exc.description or exc.name, headers)

    @app.errorhandler(Exception)
    def unexpected(exc: Exception) -> Response:
        if current_app.config.get("PROPAGATE_EXCEPTIONS"):
            raise exc
        current_app.logger.exception("unhandled error on %s %s", request.method, request.path)
        return render_error(
            500, "Internal server error", "Something went wrong on our side; it has been logged."
        )
