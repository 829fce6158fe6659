"""Downloads and the dataset description: ``/downloads/`` lists the release files (sizes, triple
counts, SHA-256) as HTML or JSON and sends them with ETag and Content-Length; the VoID + DCAT
description is served at ``/.well-known/void``, ``/void`` and ``/void.ttl`` (negotiated).

Nothing is computed per request: the files and ``void.ttl`` were written by the build, and the VoID
triples are parsed once when the app starts.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pyoxigraph as ox
from flask import Blueprint, Response, current_app, jsonify, render_template, send_file
from flask.blueprints import BlueprintSetupState

from nexus_ld.errors import NotFound
from nexus_ld.formats import GRAPH_FORMATS, HTML, JSON, RDF_FORMATS, Format
from nexus_ld.pipeline.publish.dumps import SUMS_FILE
from nexus_ld.pipeline.publish.void import FILE as VOID_FILE
from nexus_ld.web.negotiate import choose
from nexus_ld.web.urls import Urls
from nexus_ld.web.views.resources import alternates, represent, serialize, split_suffix

bp = Blueprint("dumps", __name__)
VOID_KEY = "nexus_ld.void"
VOID_OFFERS: tuple[Format, ...] = (*GRAPH_FORMATS.values(), HTML)


@bp.record_once
def _load_void(setup: BlueprintSetupState) -> None:
    # Parsed once at start-up; an app on a build without void.ttl serves a 404 for it.
    state = setup.app.extensions["nexus_ld"]
    path = Path(state.settings.build) / "dumps" / VOID_FILE
    triples = list(ox.parse(path=str(path), format=ox.RdfFormat.TURTLE)) if path.is_file() else []
    setup.app.extensions[VOID_KEY] = triples


def _folder() -> Path:
    return Path(current_app.extensions["nexus_ld"].settings.build) / "dumps"


def _release() -> dict[str, Any]:
    return dict(current_app.extensions["nexus_ld"].store.release)


def listing_entries(release: dict[str, Any], folder: Path) -> list[dict[str, Any]]:
    """The release files with size, checksum, triple count, graph, format and media type."""
    entries = list(release.get("dumps", []))
    if release.get("void"):
        entries.append(release["void"] | {"graph": "description", "format": "turtle", "triples": None})
    out = []
    for entry in entries:
        fmt = RDF_FORMATS.get(entry["format"])
        out.append(entry | {"media_type": fmt.media_type if fmt else "", "url": "/downloads/" + entry["file"],
                            "gzip": entry["file"].endswith(".gz")})  # fmt: skip
    if (folder / SUMS_FILE).is_file():
        out.append({"file": SUMS_FILE, "bytes": (folder / SUMS_FILE).stat().st_size, "sha256": None,
                    "graph": "checksums", "format": "sha256sum", "triples": None, "media_type": "text/plain",
                    "url": "/downloads/" + SUMS_FILE, "gzip": False})  # fmt: skip
    return out


@bp.get("/downloads/")
@bp.get("/downloads/index.<suffix>")
def downloads(suffix: str | None = None) -> Response:
    """The list of release files: HTML for browsers, JSON for scripts (or ``index.json``)."""
    release = _release()
    entries = listing_entries(release, _folder())
    if suffix is not None:
        fmt = {"json": JSON, "html": HTML}.get(suffix)
        if fmt is None:
            raise NotFound(f"no listing index.{suffix}; use index.json or index.html")
    else:
        fmt = choose((HTML, JSON), HTML)
    body = {"release": release.get("release"), "base": release.get("base"), "files": entries}
    if fmt is JSON:
        response = jsonify(body)
    else:
        response = Response(render_template("downloads.html", title="Downloads", files=entries, rel=release))
    response.headers["Vary"] = "Accept"
    response.headers["Link"] = '</downloads/index.json>; rel="alternate"; type="application/json"'
    return response


@bp.get("/downloads/<name>")
def download(name: str) -> Response:
    """One release file, with an ETag from its SHA-256 (or size and time) and Content-Length."""
    folder = _folder()
    known = {e["file"]: e for e in listing_entries(_release(), folder)}
    if name not in known or not (folder / name).is_file():
        raise NotFound(f"no file {name!r} in this release; see /downloads/")
    entry = known[name]
    mimetype = "application/gzip" if entry["gzip"] else (entry["media_type"] or "text/plain")
    response = send_file(folder / name, mimetype=mimetype, as_attachment=entry["gzip"], conditional=True,
                         etag=entry["sha256"] or True, max_age=3600)  # fmt: skip
    if entry["sha256"]:
        response.headers["Digest"] = f"sha-256={entry['sha256']}"
    return response


@bp.get("/.well-known/void")
@bp.get("/void")
@bp.get("/void.<suffix>")
def void(suffix: str | None = None) -> Response:
    """The VoID + DCAT description, negotiated (Turtle by default; HTML shows the Turtle)."""
    triples = current_app.extensions.get(VOID_KEY) or []
    if not triples:
        raise NotFound("this build has no VoID description; rebuild with `nexus-ld build`")
    suffix_format = split_suffix(f"void.{suffix}", VOID_OFFERS)[1] if suffix else None
    fmt = choose(VOID_OFFERS, RDF_FORMATS["turtle"], suffix=suffix_format)
    store = current_app.extensions["nexus_ld"].store
    urls = Urls(store.base)
    links = alternates(fmt, VOID_OFFERS, lambda f: urls.void(f.suffix))
    headers = {"Link": ", ".join([*links, f'<{urls.canonical("void")}>; rel="canonical"'])}
    if suffix_format is None:
        headers["Content-Location"] = urls.void(fmt.suffix)
    if fmt is HTML:
        turtle = (_folder() / VOID_FILE).read_text(encoding="utf-8")
        return represent(fmt, render_template("void.html", title="VoID", turtle=turtle), headers)
    return represent(fmt, serialize(triples, fmt, store), headers)
