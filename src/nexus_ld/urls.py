"""One URL builder (Datasette's ``url_builder.Urls`` idea): every link the server writes comes from here.

IRIs stay canonical (under the build's base, e.g. ``https://w3id.org/nexus-ld/``) in RDF. Links on
pages are local paths, so a server on any host (127.0.0.1 in tests, the production host behind
w3id.org) serves working links: ``{base}id/group/ttp`` is linked as ``/doc/group/ttp``.
"""

from __future__ import annotations

from urllib.parse import quote, urlencode

ID, DOC, ONTOLOGY = "id/", "doc/", "ontology"
WEB_SCHEMES = ("http://", "https://")  # the only IRIs a page links to as they are


class Urls:
    """Maps canonical IRIs to local paths and back, and names every page of the site."""

    def __init__(self, base: str) -> None:
        self.base = base if base.endswith("/") else base + "/"

    # --- canonical IRIs --------------------------------------------------------------------------
    def iri(self, path: str) -> str:
        """The canonical IRI of a thing named by ``path`` under /id/ (``group/ttp``)."""
        return self.base + ID + path

    @property
    def ontology_iri(self) -> str:
        return self.base + ONTOLOGY

    def canonical_doc(self, iri: str, page: int = 1) -> str:
        """The canonical URL of the document describing ``iri`` (what ``/id/…`` redirects to)."""
        rest = self.local_part(iri)
        if rest is None:
            return iri
        if rest.startswith(ID):
            rest = DOC + rest[len(ID) :]
        return self.base + rest + (f"?incoming={page}" if page > 1 else "")

    def canonical(self, local_path: str) -> str:
        """The canonical form of a local path such as ``/downloads/SHA256SUMS``."""
        return self.base + local_path.lstrip("/")

    def local_part(self, iri: str) -> str | None:
        """``iri`` without the base (``id/group/ttp``), or None for IRIs of other datasets."""
        return iri[len(self.base) :] if iri.startswith(self.base) else None

    # --- local paths for links on pages ----------------------------------------------------------
    def href(self, iri: str) -> str | None:
        """Where a page links for ``iri``: the local document for our IRIs, the IRI itself for other
        http(s) IRIs, and nothing for other schemes: a ``javascript:`` or ``data:`` IRI in the data
        would run or render when clicked, so pages show it as text."""
        rest = self.local_part(iri)
        if rest is None:
            return iri if iri.lower().startswith(WEB_SCHEMES) else None
        if rest.startswith(ID):
            return "/" + DOC + _path(rest[len(ID) :])
        return "/" + _path(rest)

    def doc(self, iri: str, suffix: str | None = None, page: int = 1) -> str:
        """The local document of ``iri``, optionally in the format of file ``suffix`` (``ttl``)."""
        rest = self.local_part(iri) or ""
        if rest == ONTOLOGY or rest.startswith(ONTOLOGY + "#"):
            path = "/" + ONTOLOGY
        else:
            path = "/" + DOC + _path(rest[len(ID) :] if rest.startswith(ID) else rest)
        path += f".{suffix}" if suffix else ""
        return path + (f"?incoming={page}" if page > 1 else "")

    def quote(self, source_iri: str, start: int, end: int) -> str | None:
        """A link into a source page at a passage (the page anchors it as ``#char=start,end``)."""
        page = self.href(source_iri)
        return f"{page}#char={start},{end}" if page else None

    # --- site pages ------------------------------------------------------------------------------
    def home(self) -> str:
        return "/"

    def listing(self, kind: str, **params: str | int | None) -> str:
        query = {k: v for k, v in params.items() if v not in (None, "", 1)}
        return f"/{kind}" + (f"?{urlencode(query)}" if query else "")

    def sparql(self) -> str:
        return "/sparql"

    def downloads(self) -> str:
        return "/downloads/"

    def download(self, name: str) -> str:
        return "/downloads/" + quote(name)

    def void(self, suffix: str = "ttl") -> str:
        return f"/void.{suffix}"


def _path(rest: str) -> str:
    # Slugs are plain, but a hash (ontology terms) must survive as a fragment.
    path, _, fragment = rest.partition("#")
    return quote(path, safe="/") + (f"#{fragment}" if fragment else "")
