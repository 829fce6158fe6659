"""Typed errors. Each carries the HTTP status it maps to; one handler (web/errors.py) renders them."""

from __future__ import annotations


class NexusError(Exception):
    """An error whose message is safe and useful to show to the user."""

    status = 500
    title = "Error"

    def __init__(self, message: str, *, headers: dict[str, str] | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.headers = headers or {}


class InputError(NexusError):
    """Input (a file, a body) that cannot be read: syntax errors name the file and line."""

    status = 400
    title = "Unreadable input"

    def __init__(self, message: str, *, source: str = "", line: int | None = None, column: int | None = None):
        where = (
            source + (f":{line}" if line is not None else "") + (f":{column}" if column is not None else "")
        )
        super().__init__(f"{where}: {message}" if where else message)
        self.source, self.line, self.column = source, line, column


class BadRequest(NexusError):
    status, title = 400, "Bad request"


class NotFound(NexusError):
    status, title = 404, "Not found"


class MethodNotAllowed(NexusError):
    status, title = 405, "Method not allowed"


class NotAcceptable(NexusError):
    status, title = 406, "Not acceptable"


class PayloadTooLarge(NexusError):
    status, title = 413, "Payload too large"


class UnsupportedMediaType(NexusError):
    status, title = 415, "Unsupported media type"


class Unprocessable(NexusError):
    status, title = 422, "Unprocessable content"


class TooManyRequests(NexusError):
    status, title = 429, "Too many requests"


class Forbidden(NexusError):
    status, title = 403, "Forbidden"


class Unauthorized(NexusError):
    status, title = 401, "Unauthorized"


class QueryTimeout(NexusError):
    status, title = 503, "Query timed out"


class StoreUnavailable(NexusError):
    status, title = 503, "Store unavailable"


class BadGateway(NexusError):
    """The store answered, but with something nexus-ld cannot read (the message quotes it)."""

    status, title = 502, "Bad gateway"


class StoreRefused(BadRequest):
    """A remote store refused a query (4xx, its words quoted): the client's error when the query is
    the client's (``/sparql``); nexus-ld's own named queries turn it into a ``BadGateway``."""


class BuildError(NexusError):
    """The build stopped (unreadable input or failed validation); the last good build stays."""

    status, title = 500, "Build failed"
