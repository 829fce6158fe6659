"""Server-rendered pages: home, listings (groups, people, events, claims, sources …), and the HTML
forms of descriptions (entity, source) and of the ontology. Templates live in web/templates/ and
autoescape everything; no HTML is written here."""

from __future__ import annotations

import json
from collections import defaultdict
from dataclasses import dataclass, field
from functools import partial
from itertools import pairwise
from pathlib import Path
from typing import Any

import pyoxigraph as ox
from flask import Blueprint, render_template, request

from nexus_ld.errors import BadRequest, StoreUnavailable
from nexus_ld.formats import GRAPH_FORMATS, RDF_FORMATS, serialize
from nexus_ld.pipeline.publish.tables import LISTED, listing_name
from nexus_ld.pipeline.sources import SourceFileError, read_source_file
from nexus_ld.store.describe import RDF, RDFS, SKOS, Description, Index
from nexus_ld.store.embedded import Store
from nexus_ld.urls import Urls
from nexus_ld.web.models.claims import claims_of
from nexus_ld.web.models.labels import inverse_label
from nexus_ld.web.models.provenance import ContributionNote, notes_by_claim
from nexus_ld.web.models.relations import by_status, predicate_label, relations
from nexus_ld.web.paging import claims_listed, kept, listed, page_of
from nexus_ld.web.state import current_state

bp = Blueprint("pages", __name__)

# path -> (title, one line on what it lists); the class of each is the build's (tables.LISTED)
TITLES: dict[str, tuple[str, str]] = {
    "groups": ("Armed groups", "Militant organisations, their branches and factions."),
    "people": ("People", "Leaders, officials and others the sources name."),
    "events": ("Events", "Foundings, attacks, deaths, splits and other events, by time."),
    "relationships": ("Relationships", "Alliances, support, rivalry, splinters …"),
    "places": ("Places", "Countries, provinces, districts and sites."),
    "sources": ("Sources", "The documents every claim quotes."),
}
# path -> (title, class as CURIE, one line on what it lists)
LISTINGS: dict[str, tuple[str, str, str]] = {k: (t, LISTED[k], blurb) for k, (t, blurb) in TITLES.items()}
SKIP_PROPERTIES = {RDF + "type", RDFS + "label", SKOS + "altLabel", SKOS + "prefLabel"}
SOURCE_TEXTS = "sources"  # folder of the build (and of data/) holding the source texts


def _store() -> Store:
    return current_state().store


def _urls() -> Urls:
    return Urls(_store().base)


def _value(term: Any) -> str | None:
    return term.value if term is not None else None


def expand(store: Store, curie: str) -> str:
    prefix, local = curie.split(":", 1)
    return store.prefixes[prefix] + local


def curie(store: Store, iri: str) -> str:
    """``nx:Claim`` for an IRI in a known namespace (the longest match), else the IRI."""
    best = max(
        ((p, ns) for p, ns in store.prefixes.items() if iri.startswith(ns)),
        key=lambda x: len(x[1]),
        default=None,
    )
    return f"{best[0]}:{iri[len(best[1]) :]}" if best else iri


@bp.app_context_processor
def _globals() -> dict[str, Any]:
    store = current_state().store
    return {
        "urls": Urls(store.base),
        "release": store.release,
        "nav": [(k, v[0]) for k, v in LISTINGS.items() if k != "relationships"],
        "rdf_formats": list(GRAPH_FORMATS.values()),
    }


@bp.app_template_filter("href")
def _href(iri: str) -> str | None:
    return _urls().href(iri)


@bp.app_template_filter("curie")
def _curie(iri: str) -> str:
    return curie(_store(), iri)


# --- home and listings --------------------------------------------------------------------------
@bp.get("/")
def home() -> str:
    store = _store()
    site = _site(store)
    counts = [(k, title, site["members"].get(expand(store, c), 0)) for k, (title, c, _) in LISTINGS.items()]
    statuses = claim_statuses(store)
    return render_template(
        "home.html",
        counts=counts,
        statuses=statuses,
        claims=sum(s["claims"] for s in statuses),
        groups=site["groups"],
    )


def _facet(iri: str, label: str | None, claims: int) -> dict[str, Any]:
    return {"iri": iri, "slug": iri.rstrip("/").rsplit("/", 1)[-1], "label": label or iri, "claims": claims}


def _site(store: Store) -> Any:
    """What ``build`` counted over the whole release (``release.json``'s ``site``:
    pipeline/publish/counts.py), so that no page counts everything per request.

    Raises:
        StoreUnavailable: for a build made before these counts were written (rebuild it).
    """
    site = store.release.get("site")
    if site is None:
        raise StoreUnavailable(
            f"release {store.release.get('release')!r} has no page counts (release.json 'site'); "
            "rebuild it with nexus-ld build"
        )
    return site


def claim_statuses(store: Store) -> list[dict[str, Any]]:
    """The statuses claims use, most used first, with their label and claims (counted by build)."""
    return [_facet(s["status"], s["label"], s["claims"]) for s in _site(store)["statuses"]]


def _contribution_notes() -> dict[str, list[ContributionNote]]:
    return kept("contribution-notes", notes_by_claim)


@bp.get("/<any(groups, people, events, relationships, places, sources):kind>")
def listing(kind: str) -> str:
    """One page of a class's members, in the order of their years, then names (the build's table)."""
    title, class_curie, blurb = LISTINGS[kind]
    store = _store()
    total = _site(store)["members"].get(expand(store, class_curie), 0)
    page, pages, size = page_of(total)
    return render_template(
        "listing.html", kind=kind, title=title, blurb=blurb,
        rows=listed(listing_name(kind), page, size), total=total, page=page, pages=pages,
    )  # fmt: skip


@bp.get("/claims")
def claims() -> str:
    """Claims, filtered by status (``?status=allegation``) and asserting agent (``?agent=agent/…``, or
    ``?who=`` a name or part of one). The agents are a facet: the ``facet_size`` who make most claims
    and a link to all (/claims/agents); a typed name finds any other (12,460 agents at 10M triples)."""
    state = current_state()
    statuses = claim_statuses(state.store)
    status, agent = request.args.get("status", ""), request.args.get("agent", "")
    if status and status not in {s["slug"] for s in statuses}:
        raise BadRequest(f"unknown status {status!r}; use one of: {', '.join(s['slug'] for s in statuses)}")
    agents, who, matches = _who()
    if agent and "who" in request.args:  # the form sends the chosen agent back (hidden) with its name
        if [a["label"].casefold() for a in agents if a["key"] == agent] == [who.casefold()]:
            who, matches = "", []  # the same name keeps that agent, though another may share it
        else:
            agent = ""  # another name, or none, is a new choice
    if who and len(matches) == 1:  # a name that names one agent filters by it
        agent = matches[0]["key"]
    chosen = next((a for a in agents if a["key"] == agent), None) if agent else None
    if agent and chosen is None:
        raise BadRequest(f"no claims are attributed to {agent!r}; pick an agent from the list or type a name")
    iri = chosen["iri"] if chosen else None
    shown, total, page, pages, speaker = claims_listed(status, iri)
    offered = (matches if who and chosen is None else agents)[: state.settings.facet_size]
    return render_template(
        "claims.html", rows=shown, total=total, page=page, pages=pages,
        statuses=statuses, status=status, agent=chosen["key"] if chosen else "", chosen=chosen,
        who=who, matches=matches, offered=offered, agents=len(agents), speaker=speaker,
    )  # fmt: skip


@bp.get("/claims/agents")
def claim_agents() -> str:
    """Everyone claims are attributed to, most claims first, a page at a time (``?who=``: those whose
    name holds it): where the claims page's facet says "all"."""
    agents, who, matches = _who()
    rows = matches if who else agents
    page, pages, size = page_of(len(rows))
    return render_template(
        "claim_agents.html", title="Who makes the claims", rows=rows[(page - 1) * size : page * size],
        total=len(rows), agents=len(agents), who=who, page=page, pages=pages,
    )  # fmt: skip


MAX_WHO = 200  # characters of a name typed in the claims filter


def _who() -> tuple[list[dict[str, Any]], str, list[dict[str, Any]]]:
    """The agents who make claims (most claims first), ``?who=`` (a name or part of one; 400 past
    ``MAX_WHO`` characters) and the agents it names: the one whose name it is, if only one's is, else
    all whose name holds it."""
    agents = kept("claim-agents", partial(_agents, _urls()))
    who = " ".join(request.args.get("who", "").split())
    if len(who) > MAX_WHO:
        raise BadRequest(f"who must be a name of at most {MAX_WHO} characters, not {len(who)}")
    wanted = who.casefold()
    holding = [a for a in agents if wanted in a["label"].casefold()] if who else []
    exact = [a for a in holding if a["label"].casefold() == wanted]
    return agents, who, exact if len(exact) == 1 else holding


def _agents(urls: Urls, rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The claims filter's agents (the build's ``claim-agents`` table), each with its ``?agent=`` key."""
    return [
        _facet(r["agent"], r["label"], int(r["claims"])) | {"key": (urls.local_part(r["agent"]) or "")[3:]}
        for r in rows
    ]


# --- descriptions as HTML -----------------------------------------------------------------------
def _term_view(ix: Index, term: Any) -> dict[str, Any]:
    if isinstance(term, ox.NamedNode):
        return {"iri": term.value, "label": ix.label(term) or term.value}
    if isinstance(term, ox.Literal):
        return {"text": term.value, "lang": term.language}
    return {"text": "[blank node]"}


def _properties(desc: Description, store: Store) -> list[tuple[str, str, list[dict[str, Any]]]]:
    ix, out = desc.index, []
    for predicate, objects in ix.predicates(desc.iri).items():
        if predicate in SKIP_PROPERTIES or any(isinstance(o, ox.BlankNode) for o in objects):
            continue
        label = predicate_label(ix, predicate, partial(curie, store))
        out.append((label, predicate, [_term_view(ix, o) for o in objects]))
    return sorted(out)


def _jsonld(desc: Description) -> str:
    """The resource's own triples and the labels of what they link to, as JSON-LD for a <script>
    (the full description is one click away, in the alternates). Safe inside <script>: "<", ">" and
    "&" occur only in JSON strings, where their \\u escapes mean the same."""
    own = [t for t in desc.triples if isinstance(t.subject, ox.NamedNode) and t.subject.value == desc.iri]
    linked = {t.object for t in own}
    own += [
        t
        for t in desc.triples
        if t.subject in linked and t.predicate.value in (RDFS + "label", SKOS + "prefLabel")
    ]
    data = serialize(own, RDF_FORMATS["jsonld"]).decode("utf-8")
    data = json.dumps(json.loads(data), ensure_ascii=False)
    return data.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")


def render_description(desc: Description, urls: Urls, store: Store, dataset: str) -> str:
    """The HTML page of a description: the source page for sources, the entity page otherwise."""
    ix = desc.index
    node = ox.NamedNode(desc.iri)
    types = [
        {"iri": t.value, "label": ix.label(t) or curie(store, t.value)}
        for t in ix.objects(node, RDF + "type")
    ]
    claims = claims_of(desc, store.base)
    incoming: dict[str, list[Any]] = defaultdict(list)
    for link in desc.incoming:
        label = link.predicate_label or predicate_label(ix, link.predicate, partial(curie, store))
        incoming[inverse_label(label)].append(link)
    own_claim = next((c for c in claims if c.iri == desc.iri), None)
    others = [c for c in claims if c.iri != desc.iri]
    context = {
        "desc": desc,
        # A claim has no name: its summary is its title.
        "title": own_claim.summary if own_claim and own_claim.summary else desc.label,
        "types": types,
        "alt_labels": [o.value for o in ix.objects(node, SKOS + "altLabel")],
        "properties": _properties(desc, store),
        "claims": others,
        "claim_groups": by_status(others),
        "own_claim": own_claim,
        "relations": relations(desc, others, store.base, partial(curie, store)),
        "incoming": dict(incoming),
        "jsonld": _jsonld(desc),
        "contributions": _contribution_notes(),  # "contributed by …, accepted by …", by claim
    }
    if expand(store, "nx:Source") in [t["iri"] for t in types]:
        context |= _source_context(desc, store)
        return render_template("source.html", **context)
    return render_template("entity.html", **context)


# --- the source page ----------------------------------------------------------------------------
@dataclass
class Passage:
    number: int
    start: int
    end: int
    exact: str
    claims: list[dict[str, str]] = field(default_factory=list)


@dataclass
class Segment:
    text: str
    passages: list[Passage]
    starts: list[Passage]
    ends: list[Passage]


def source_text(store: Store, name: str) -> str | None:
    """The text of a source: from the build (``build/sources/``), else the project's data/sources/.

    Read as the checks read it (``pipeline.sources.read_source_file``: a bare name, a regular file,
    a size cap).
    """
    state = current_state()
    settings = state.settings
    for folder in (state.folder / SOURCE_TEXTS, settings.project / "data" / SOURCE_TEXTS):
        try:
            raw = read_source_file(Path(folder), str(name), settings.max_source_bytes)
        except SourceFileError:
            continue
        return raw.decode("utf-8", errors="replace")
    return None


def segments(text: str, passages: list[Passage]) -> list[Segment]:
    """Cut ``text`` at every passage boundary; each piece knows the passages covering it."""
    bounds = sorted({0, len(text)} | {p.start for p in passages} | {p.end for p in passages})
    return [
        Segment(
            text[a:b],
            [p for p in passages if p.start <= a and b <= p.end],
            [p for p in passages if p.start == a],
            [p for p in passages if p.end == b],
        )
        for a, b in pairwise(bounds)
        if b > a
    ]


def _source_context(desc: Description, store: Store) -> dict[str, Any]:
    name = desc.index.value(desc.iri, store.base + "ontology#textFile")
    text = source_text(store, name) if name else None
    passages: dict[tuple[int, int], Passage] = {}
    for r in store.named("passages", {"r": ox.NamedNode(desc.iri)}):
        start, end = int(r["start"].value), int(r["end"].value)
        passage = passages.setdefault((start, end), Passage(len(passages) + 1, start, end, r["exact"].value))
        slug = r["status"].value.rsplit("/", 1)[-1]
        passage.claims.append(
            {"iri": r["claim"].value, "summary": r["summary"].value, "slug": slug,
             "status_label": _value(r["statusLabel"]) or slug}
        )  # fmt: skip
    found = [p for p in passages.values() if text is not None and text[p.start : p.end] == p.exact]
    return {"text": text, "passages": list(passages.values()), "segments": segments(text or "", found)}


# --- the ontology documentation -----------------------------------------------------------------
def _iris(concatenated: Any) -> list[str]:
    """The IRIs of a GROUP_CONCAT, sorted: its order is each store's own, and over nothing it is ""
    (Virtuoso) or unbound (Oxigraph)."""
    return sorted((_value(concatenated) or "").split())


def render_ontology(store: Store, urls: Urls) -> str:
    header = next(iter(store.named("ontology-header")), None)
    kinds: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for r in store.named("ontology-terms"):
        kind = r["kind"].value.rsplit("#", 1)[-1]
        kinds[kind].append(
            {"iri": r["term"].value, "name": r["term"].value.rsplit("#", 1)[-1],
             "label": _value(r["label"]) or "",
             "definition": _value(r["definition"]) or "",
             **{key: _iris(r[key]) for key in ("parents", "domains", "ranges")}}
        )  # fmt: skip
    schemes: dict[str, list[dict[str, str]]] = defaultdict(list)
    for r in store.named("ontology-concepts"):
        schemes[_value(r["schemeLabel"]) or r["scheme"].value].append(
            {
                "iri": r["concept"].value,
                "label": _value(r["label"]) or "",
                "definition": _value(r["definition"]) or "",
            }
        )
    head = (
        {k: _value(header[k]) for k in ("title", "description", "version", "versionIRI", "license")}
        if header
        else {}
    )
    return render_template(
        "ontology.html", title=head.get("title") or "nexus-ld ontology", head=head, iri=urls.ontology_iri,
        kinds=dict(kinds), schemes=dict(schemes),
    )  # fmt: skip
