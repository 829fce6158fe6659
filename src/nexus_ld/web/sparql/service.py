"""What ``GET /sparql`` without a query answers: the SPARQL Service Description for RDF clients, the
query UI for browsers (negotiated like every other answer)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import pyoxigraph as ox
from flask import Response, render_template, url_for

from nexus_ld.config import Settings
from nexus_ld.formats import HTML, RDF_FORMATS, RESULT_FORMATS, W3C_FORMATS, serialize
from nexus_ld.urls import Urls
from nexus_ld.web.negotiate import choose
from nexus_ld.web.state import current_state

SD = "http://www.w3.org/ns/sparql-service-description#"


def describe_service(examples: Sequence[Any], settings: Settings, wanted: Sequence[str]) -> Response:
    """The Service Description for RDF clients, the query UI for browsers."""
    offers = {**RDF_FORMATS, "html": HTML}
    fmt = choose(offers.values(), RDF_FORMATS["turtle"], asked=wanted)
    # The canonical IRI under the build's base (as in the VoID), never from the request's Host header.
    here = Urls(current_state().store.base).canonical("sparql")
    if fmt is HTML:
        page = render_template(
            "sparql.html",
            endpoint_url=here,
            endpoint_path=url_for("sparql.sparql"),  # the UI queries the server that sent it
            examples=[e.__dict__ for e in examples],
            settings=settings,
        )
        link = f'<{url_for("sparql.sparql")}>; rel="alternate"; type="text/turtle"'
        return Response(page, mimetype="text/html", headers={"Vary": "Accept", "Link": link})
    body = serialize(service_description(here), fmt)
    return Response(body, mimetype=fmt.media_type, headers={"Vary": "Accept"})


def service_description(here: str) -> list[ox.Triple]:
    """The SD triples of the endpoint at ``here``: the .rq part plus the result formats."""
    store = current_state().store
    subs = {"service": here, "dataset": here + "#dataset", "defaultGraph": here + "#default-graph"}
    triples = list(store.named("service-description", subs))
    service = ox.NamedNode(here)
    triples += [
        ox.Triple(service, ox.NamedNode(SD + "resultFormat"), ox.NamedNode(W3C_FORMATS[name]))
        for name in [*RESULT_FORMATS, *RDF_FORMATS]
    ]
    return triples
