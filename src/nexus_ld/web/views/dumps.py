"""Downloads, releases and the dataset description: ``/downloads/`` lists the served release's files
(sizes, triple counts, SHA-256) as HTML or JSON and sends them with ETag and Content-Length;
``/downloads/<release>/…`` does the same for every kept release, immutable; ``/releases`` lists the kept
releases and what each changed; the VoID + DCAT description is served at ``/.well-known/void``,
``/void`` and ``/void.ttl`` (negotiated).

Nothing is computed per request: the files, ``void.ttl`` and each release's changes were written by
the build, and a release's VoID triples are parsed once (``state.State.void``). ``send_stored`` is the
one way a file the build wrote is sent (the dumps here, ``tables/network.json`` by views/network.py).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from flask import Blueprint, Response, jsonify, render_template, request, send_file

from nexus_ld.errors import NotFound
from nexus_ld.formats import GRAPH_FORMATS, HTML, JSON, RDF_FORMATS, Format
from nexus_ld.pipeline.publish import releases
from nexus_ld.pipeline.publish.dumps import SUMS_FILE
from nexus_ld.pipeline.publish.void import FILE as VOID_FILE
from nexus_ld.urls import Urls
from nexus_ld.web.negotiate import choose
from nexus_ld.web.state import current_state
from nexus_ld.web.views.resources import own_headers, represent, serialize, split_suffix

bp = Blueprint("dumps", __name__)
VOID_OFFERS: tuple[Format, ...] = (*GRAPH_FORMATS.values(), HTML)


def _served() -> tuple[dict[str, Any], Path]:
    """The request's release and its folder."""
    state = current_state()
    return dict(state.store.release), state.folder


def _kept(release_id: str) -> tuple[dict[str, Any], Path]:
    """A kept release and its folder; the id is looked up among the kept ones, never joined to a path.

    :raises NotFound: no kept release of that id (or an id no release can have).
    """
    folder = releases.kept_folder(current_state().settings.build, release_id)
    if folder is None:
        raise NotFound(f"no kept release {release_id!r}; see /releases for the kept ones")
    return releases.read_release(folder), folder


def listing_entries(
    release: dict[str, Any], folder: Path, prefix: str = "/downloads/"
) -> list[dict[str, Any]]:
    """The release files with size, checksum, triple count, graph, format, media type and URL."""
    entries = list(release.get("dumps", []))
    if release.get("void"):
        entries.append(release["void"] | {"graph": "description", "format": "turtle", "triples": None})
    out = []
    for entry in entries:
        fmt = RDF_FORMATS.get(entry["format"])
        out.append(entry | {"media_type": fmt.media_type if fmt else "", "url": prefix + entry["file"],
                            "gzip": entry["file"].endswith(".gz")})  # fmt: skip
    if (folder / SUMS_FILE).is_file():
        out.append({"file": SUMS_FILE, "bytes": (folder / SUMS_FILE).stat().st_size, "sha256": None,
                    "graph": "checksums", "format": "sha256sum", "triples": None, "media_type": "text/plain",
                    "url": prefix + SUMS_FILE, "gzip": False})  # fmt: skip
    return out


def _listing(release: dict[str, Any], folder: Path, prefix: str, suffix: str | None) -> Response:
    entries = listing_entries(release, folder / "dumps", prefix)
    if suffix is not None:
        fmt = {"json": JSON, "html": HTML}.get(suffix)
        if fmt is None:
            raise NotFound(f"no listing index.{suffix}; use index.json or index.html")
    else:
        fmt = choose((HTML, JSON), HTML)
    body = {"release": release.get("release"), "base": release.get("base"), "files": entries,
            "releases": "/releases"}  # fmt: skip
    if fmt is JSON:
        response = jsonify(body)
    else:
        page = render_template("downloads.html", title="Downloads", files=entries, rel=release, prefix=prefix)
        response = Response(page)
    response.headers["Vary"] = "Accept"
    response.headers["Link"] = f'<{prefix}index.json>; rel="alternate"; type="application/json"'
    return response


@bp.get("/downloads/")
@bp.get("/downloads/index.<suffix>")
def downloads(suffix: str | None = None) -> Response:
    """The list of the served release's files: HTML for browsers, JSON for scripts (or ``index.json``)."""
    return _listing(*_served(), "/downloads/", suffix)


@bp.get("/downloads/<release_id>/")
@bp.get("/downloads/<release_id>/index.<suffix>")
def release_downloads(release_id: str, suffix: str | None = None) -> Response:
    """The list of a kept release's files, at URLs that name the release."""
    return _listing(*_kept(release_id), f"/downloads/{release_id}/", suffix)


def _send(release: dict[str, Any], folder: Path, name: str, max_age: int) -> Response:
    """One file of a release, with an ETag from its SHA-256 (or size and time) and Content-Length.
    Sent as stored: a .gz dump is the file its checksum is of (never re-encoded on the way)."""
    folder = folder / "dumps"
    known = {e["file"]: e for e in listing_entries(release, folder)}
    if name not in known or not (folder / name).is_file():
        raise NotFound(f"no file {name!r} in release {release.get('release')}; see /downloads/")
    entry = known[name]
    mimetype = "application/gzip" if entry["gzip"] else (entry["media_type"] or "text/plain")
    response = send_stored(
        folder / name, mimetype, max_age, etag=entry["sha256"] or True, as_attachment=entry["gzip"]
    )
    if entry["sha256"]:
        response.headers["Digest"] = f"sha-256={entry['sha256']}"
    return response


def send_stored(
    path: Path, mimetype: str, max_age: int, etag: str | bool = False, as_attachment: bool = False
) -> Response:
    """A file the build wrote, sent as stored (``send_file``: Content-Length, byte ranges, Last-Modified,
    Cache-Control for ``max_age`` seconds; ``etag``: its tag, or False for caching.py's release tag).
    Where the build also wrote its gzip (``<name>.gz`` beside it), a client that takes gzip gets that
    one as ``Content-Encoding: gzip``, compressed once at build, never per request (the strong
    ``etag`` of a file with such a copy would be the same for two encodings: give none)."""
    packed = path.with_name(path.name + ".gz")
    if not packed.is_file():
        return send_file(path, mimetype=mimetype, as_attachment=as_attachment, conditional=True, etag=etag,
                         max_age=max_age)  # fmt: skip
    gzipped = request.accept_encodings["gzip"] > 0
    response = send_file(packed if gzipped else path, mimetype=mimetype, as_attachment=as_attachment,
                         conditional=True, etag=etag, max_age=max_age)  # fmt: skip
    if gzipped:
        response.content_encoding = "gzip"
    response.vary.add("Accept-Encoding")
    return response


@bp.get("/downloads/<name>")
def download(name: str) -> Response:
    """One file of the served release (an hour in caches: SHA256SUMS here changes with the release)."""
    return _send(*_served(), name, 3600)


@bp.get("/downloads/<release_id>/<name>")
def release_download(release_id: str, name: str) -> Response:
    """One file of a kept release, immutable."""
    return _send(*_kept(release_id), name, 0)  # Cache-Control: caching.FIXED (immutable)


@bp.get("/releases")
@bp.get("/releases.<suffix>")
def releases_page(suffix: str | None = None) -> Response:
    """The kept releases, newest first: date, triple and claim counts, and what each added, removed
    and superseded compared with the one before (computed by the build: release.json ``changes``)."""
    offers = {"json": JSON, "html": HTML}
    if suffix is not None and suffix not in offers:
        raise NotFound(f"no /releases.{suffix}; use /releases.json or /releases.html")
    fmt = choose(offers.values(), HTML, suffix=offers.get(suffix or ""))
    state = current_state()
    kept = releases.kept(state.settings.build) or [dict(state.store.release)]
    rows = [_release_row(r, state.release) for r in kept]
    if fmt is JSON:
        response = jsonify({"current": state.release, "releases": rows})
    else:
        response = Response(render_template("releases.html", title="Releases", releases=rows))
    response.headers["Vary"] = "Accept"
    response.headers["Link"] = '</releases.json>; rel="alternate"; type="application/json"'
    return response


def _release_row(release: dict[str, Any], current: str) -> dict[str, Any]:
    changes = release.get("changes", {})
    return {
        "release": release["release"],
        "built_at": release.get("built_at"),
        "current": release["release"] == current,
        "previous": release.get("previous"),
        "triples": release.get("triples"),
        "claims": changes.get("claims"),
        "downloads": f"/downloads/{release['release']}/",
        **{k: changes.get(k, []) for k in ("added", "removed", "superseded")},
        **{f"{k}_count": changes.get(f"{k}_count") for k in ("added", "removed", "superseded")},
    }


@bp.get("/.well-known/void")
@bp.get("/void")
@bp.get("/void.<suffix>")
def void(suffix: str | None = None) -> Response:
    """The VoID + DCAT description, negotiated (Turtle by default; HTML shows the Turtle)."""
    state = current_state()
    triples = state.void
    if not triples:
        raise NotFound("this build has no VoID description; rebuild with `nexus-ld build`")
    suffix_format = split_suffix(f"void.{suffix}", VOID_OFFERS)[1] if suffix else None
    store = state.store
    urls = Urls(store.base)

    def headers(fmt: Format) -> dict[str, str]:
        located = urls.void(fmt.suffix) if suffix_format is None else None
        return own_headers(fmt, VOID_OFFERS, urls.void, urls.canonical("void"), located)

    fmt = choose(VOID_OFFERS, RDF_FORMATS["turtle"], suffix=suffix_format, headers=headers)
    if fmt is HTML:
        turtle = (state.folder / "dumps" / VOID_FILE).read_text(encoding="utf-8")
        return represent(fmt, render_template("void.html", title="VoID", turtle=turtle), headers(fmt))
    return represent(fmt, serialize(triples, fmt, store), headers(fmt))
