"""Deployment files shipped with the package: the nginx configuration that fronts gunicorn."""

from __future__ import annotations

import math
import re
from importlib.resources import files

from jinja2 import Environment, StrictUndefined

from nexus_ld.config import Settings
from nexus_ld.errors import BadRequest

# host:port, IPv4, [IPv6] or a host name: anything else could smuggle directives into the file.
ADDRESS = re.compile(r"(?:[A-Za-z0-9.-]+|\[[0-9A-Fa-f:.]+\]):[0-9]{1,5}")
SAFE_PATH = re.compile(r"/[A-Za-z0-9._/+-]*")
SIZE = re.compile(r"[0-9]{1,12}[kmg]?")  # nginx's size: bytes, or k, m, g
CLIENT_TIMEOUT_S = 10  # to send the headers, or the next part of a body
READ_MARGIN_S = 15  # beyond query_timeout_s: the app's own 503 must arrive before nginx gives up
# How long nginx answers from an entry before asking the app again (a cheap 304 while the release is the
# same): the front's delay in showing a new release, beyond the app's own release_check_s.
CACHE_FRESH_S = 1


def _checked(value: str, pattern: re.Pattern[str], what: str) -> str:
    if not pattern.fullmatch(value):
        raise BadRequest(f"{what} {value!r} is not of the form {pattern.pattern}")
    return value


def nginx_config(
    settings: Settings,
    listen: str,
    upstream: str,
    prefix: str,
    cache_dir: str | None = None,
    cache_max_size: str = "1g",
) -> str:
    """The nginx configuration for nexus-ld at ``upstream`` (gunicorn), listening on ``listen``, with
    its pid, logs and buffers under ``prefix`` (an absolute folder); limits follow ``settings``. With
    ``cache_dir``, nginx caches published answers there (at most ``cache_max_size``), each fresh for
    ``CACHE_FRESH_S`` and then revalidated by its ETag.

    :raises BadRequest: an address, folder or size that would not be a plain token in the file.
    """
    env = Environment(undefined=StrictUndefined, keep_trailing_newline=True, autoescape=False)
    template = env.from_string(files(__package__).joinpath("nginx.conf").read_text(encoding="utf-8"))
    return template.render(
        listen=_checked(listen, ADDRESS, "listen address"),
        upstream=_checked(upstream, ADDRESS, "upstream address"),
        prefix=_checked(prefix.rstrip("/") or "/", SAFE_PATH, "prefix folder"),
        client_timeout_s=CLIENT_TIMEOUT_S,
        max_body_bytes=settings.max_body_bytes,
        inflight=settings.max_inflight_per_client,
        rate_per_minute=settings.rate_limit_per_minute,
        read_timeout_s=math.ceil(settings.query_timeout_s) + READ_MARGIN_S,
        cache_dir=_checked(cache_dir.rstrip("/") or "/", SAFE_PATH, "cache folder") if cache_dir else "",
        cache_max_size=_checked(cache_max_size, SIZE, "cache size"),
        cache_fresh_s=CACHE_FRESH_S,
    )
