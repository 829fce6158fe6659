"""SPARQL 1.1 Protocol endpoint (query only)."""

from __future__ import annotations

import pyoxigraph as ox
from flask import Blueprint, Response, current_app, request

from ..conneg import negotiate
from ..errors import BadRequest, UnsupportedMediaType
from ..formats import GRAPH_FORMATS, RESULT_FORMATS

bp = Blueprint("sparql", __name__)


def _query_text() -> str:
    if request.method == "GET":
        text = request.args.get("query")
    elif request.mimetype == "application/x-www-form-urlencoded":
        text = request.form.get("query")
    elif request.mimetype == "application/sparql-query":
        text = request.get_data(as_text=True)
    else:
        raise UnsupportedMediaType(
            f"POST a query as application/x-www-form-urlencoded or application/sparql-query, not {request.mimetype!r}"
        )
    if not text:
        raise BadRequest("no query: pass the SPARQL text as the 'query' parameter")
    return text


@bp.route("/sparql", methods=["GET", "POST"])
def sparql() -> Response:
    store = current_app.extensions["nexus_ld"].store
    result = store.query(_query_text())
    accept = request.headers.get("Accept")
    if isinstance(result, ox.QueryTriples):
        fmt = negotiate(accept, GRAPH_FORMATS.values())
        body = ox.serialize(result, format=fmt.rdf)
    else:
        fmt = negotiate(accept, RESULT_FORMATS.values())
        body = result.serialize(format=fmt.results)
    return Response(body, mimetype=fmt.media_type, headers={"Vary": "Accept"})
