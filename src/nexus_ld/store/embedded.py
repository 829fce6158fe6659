"""The built store: opened read-only, queried by named ``.rq`` files with bound values; and the stores
the pipeline writes (the build's on disk, in-memory ones for the checks and the rules), through the same
class, so that nothing outside ``store/`` holds a pyoxigraph store object.

The nexus-ld prefixes are derived from the configured base and handed to every query, so the
same ``.rq`` files work whatever the canonical base is.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Iterator, Mapping
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any, Protocol, cast

import pyoxigraph as ox
from rdflib import BNode, URIRef

from nexus_ld.errors import BadGateway, BadRequest, StoreRefused, StoreUnavailable
from nexus_ld.formats import Format, rdf_format
from nexus_ld.namespaces import DEFAULT_BASE, GRAPHS, PREFIXES, graph_iri
from nexus_ld.store.binding import Bound, Term, bind
from nexus_ld.store.describe import Description, describe
from nexus_ld.store.jobs import QueryFn, oxigraph_query

STORE_DIR = "store"
RELEASE_FILE = "release.json"

# The graphs a query without GRAPH / default-graph-uri reads; see Store.query.
DEFAULT_GRAPHS = ("ontology", "data", "sources", "inferred")

Subs = Mapping[str, Any] | None  # variable name -> value or list of values, bound before evaluation
Graphs = list[ox.NamedNode] | None  # a dataset's graphs; None: the store's default


def prefixes_for(base: str) -> dict[str, str]:
    """The prefix map with nexus-ld namespaces moved onto ``base``."""
    return {
        k: (base + v[len(DEFAULT_BASE) :] if v.startswith(DEFAULT_BASE) else v) for k, v in PREFIXES.items()
    }


@cache
def query_text(name: str) -> str:
    """The text of ``src/nexus_ld/store/queries/<name>.rq`` (read once per process)."""
    try:
        return resources.files("nexus_ld.store.queries").joinpath(f"{name}.rq").read_text(encoding="utf-8")
    except FileNotFoundError:
        raise KeyError(f"no query named {name!r}") from None


def to_term(value: Any) -> Term:
    """A pyoxigraph term for a Python value (str that looks like an IRI -> NamedNode)."""
    if isinstance(value, ox.NamedNode | ox.BlankNode | ox.Literal):
        return value
    if isinstance(value, str) and value.startswith(("http://", "https://", "urn:")):
        return ox.NamedNode(value)
    return ox.Literal(value)


def to_bound(value: Any) -> Term | tuple[Term, ...]:
    """A substitution's value as a term, or a list (list, tuple, set) as a tuple of terms."""
    if isinstance(value, list | tuple | set | frozenset):
        return tuple(to_term(v) for v in value)
    return to_term(value)


def from_rdflib(term: Any) -> Term:
    """The pyoxigraph term of an rdflib term (IRI, blank node with its label, literal)."""
    if isinstance(term, URIRef):
        return ox.NamedNode(term)
    if isinstance(term, BNode):
        return ox.BlankNode(term)
    if term.language:
        return ox.Literal(term, language=term.language)
    if term.datatype is not None:
        return ox.Literal(term, datatype=ox.NamedNode(term.datatype))
    return ox.Literal(term)


def paged(text: str, limit: int | None, offset: int = 0) -> str:
    """``text`` with ``LIMIT``/``OFFSET`` appended (the query must end with its solution modifiers);
    without ``limit``, the whole answer."""
    if limit is None:
        return text
    return f"{text.rstrip()}\nLIMIT {int(limit)} OFFSET {int(offset)}\n"  # int(): only numbers go in


class ReadStore(Protocol):
    """What the rest of the code reads a store through, embedded (``Store``) or remote
    (``remote.RemoteStore``); nothing else touches pyoxigraph store objects for reading."""

    base: str
    prefixes: dict[str, str]
    graphs: dict[str, ox.NamedNode]
    release: Mapping[str, Any]

    default_graph: list[ox.NamedNode]

    def evaluate(
        self, text: str, substitutions: Bound, default_graph: Graphs, named_graphs: Graphs
    ) -> Any: ...

    @property
    def query(self) -> Callable[..., Any]: ...  # Reads.query

    def query_fn(self) -> QueryFn: ...

    def named(
        self,
        name: str,
        substitutions: Mapping[str, Any] | None = None,
        *,
        limit: int | None = None,
        offset: int = 0,
        **kwargs: Any,
    ) -> Any: ...

    def describe(self, iri: str, page: int = 1, page_size: int = 50) -> Description: ...

    def exists(self, iri: str) -> bool: ...


class Reads:
    """The named reads, written once for both stores over their own ``query``."""

    def query(
        self: ReadStore,
        text: str,
        substitutions: Subs = None,
        *,
        default_graph: Graphs = None,
        named_graphs: Graphs = None,
    ) -> Any:
        """Run SPARQL ``text`` with values bound by ``substitutions`` (variable name -> a value, or a
        list of values: the variable takes each in turn).

        The default graph is the merge of the ontology, data, sources and inferred graphs (``DEFAULT_GRAPHS``)
        unless ``default_graph`` names graphs. The truthy graph is left out of it because it restates
        data triples (a union would answer each of them twice); name it with GRAPH or default-graph-uri.

        Raises:
            BadRequest: when the query does not parse (the parser's message and position), or a remote
                server refuses it.
            QueryTimeout, StoreUnavailable: a remote server does not answer in time, or at all (503).
        """
        subs = {k: to_bound(v) for k, v in (substitutions or {}).items()}
        graphs = self.default_graph if default_graph is None else default_graph
        return self.evaluate(text, subs, graphs, named_graphs)

    def named(
        self: ReadStore,
        name: str,
        substitutions: Mapping[str, Any] | None = None,
        *,
        limit: int | None = None,
        offset: int = 0,
        **kwargs: Any,
    ) -> Any:
        """Run ``queries/<name>.rq`` (named graphs are ``graph:data``, ``graph:truthy`` …), optionally
        one page of its solutions (``limit``, ``offset``).

        Raises:
            BadGateway: a remote store refused the query (nexus-ld's own query, not the client's).
        """
        try:
            return self.query(paged(query_text(name), limit, offset), substitutions, **kwargs)
        except StoreRefused as exc:
            raise BadGateway(f"the store refused nexus-ld's query {name!r}: {exc.message}") from None

    def describe(self: ReadStore, iri: str, page: int = 1, page_size: int = 50) -> Description:
        """The description of ``iri`` with one page of its incoming links (``describe.describe``).

        Raises:
            NotFound: when the dataset does not name ``iri`` at all.
        """
        return describe(self, iri, page, page_size)

    def exists(self: ReadStore, iri: str) -> bool:
        """Whether ``iri`` occurs in the published graphs (``queries/exists.rq``)."""
        return bool(self.named("exists", {"r": ox.NamedNode(iri)}))


class Store(Reads):
    """A pyoxigraph store plus the base and graph IRIs of the build that made it."""

    def __init__(self, store: ox.Store, base: str = DEFAULT_BASE, release: Mapping[str, Any] | None = None):
        self.ox = store
        self.base = base
        self.prefixes = prefixes_for(base)
        self.graphs = {name: ox.NamedNode(graph_iri(name, base)) for name in GRAPHS}
        self.default_graph = [self.graphs[name] for name in DEFAULT_GRAPHS]
        self.release: Mapping[str, Any] = release or {}

    @classmethod
    def in_memory(cls, base: str = DEFAULT_BASE) -> Store:
        """An empty store in memory (the checks' store of the input files or of a contribution, the
        rules' scratch store)."""
        return cls(ox.Store(), base)

    @classmethod
    def create(cls, folder: Path, base: str = DEFAULT_BASE) -> Store:
        """A new writable store on disk in ``folder`` (the build's)."""
        return cls(ox.Store(str(folder)), base)

    @classmethod
    def open(cls, build_dir: Path) -> Store:
        """Open a finished build read-only (several processes may share it).

        Raises:
            StoreUnavailable: when there is no build at ``build_dir``.
        """
        release_path = Path(build_dir) / RELEASE_FILE
        if not release_path.exists():
            raise StoreUnavailable(f"no build in {build_dir}: run `nexus-ld build` first")
        release = json.loads(release_path.read_text(encoding="utf-8"))
        return cls(ox.Store.read_only(str(Path(build_dir) / STORE_DIR)), release["base"], release)

    def query_fn(self) -> QueryFn:
        """The SPARQL endpoint's QueryFn on this store (the job's dataset as the request gave it)."""
        return oxigraph_query(self.ox, self.prefixes)

    def evaluate(self, text: str, substitutions: Bound, default_graph: Graphs, named_graphs: Graphs) -> Any:
        """``Reads.query`` on pyoxigraph: single values by its ``substitutions`` (SEP-0007), lists by a
        VALUES block (``binding.bind``).

        Raises:
            BadRequest: when the query does not parse (the parser's message and position), or a list
                holds a blank node.
        """
        subs: dict[ox.Variable, Any] = {}
        lists: dict[str, tuple[Term, ...]] = {}
        for name, value in substitutions.items():
            if isinstance(value, tuple):
                lists[name] = value
            else:
                subs[ox.Variable(name)] = value
        try:
            text = bind(text, lists)
        except ValueError as exc:
            raise BadRequest(str(exc)) from None
        graphs: Any = default_graph  # pyoxigraph's list types are invariant: a list of NamedNode is one
        named: Any = named_graphs
        try:
            return self.ox.query(
                text,
                prefixes=self.prefixes,
                substitutions=subs or None,
                default_graph=graphs,
                named_graphs=named,
            )
        except SyntaxError as exc:
            raise BadRequest(f"query does not parse: {exc.msg}") from None

    # --- writing: the build's store and the in-memory ones -----------------------------------------

    def load_turtle(self, path: Path, graph: ox.NamedNode) -> None:
        """Parse the Turtle file ``path`` into ``graph`` (relative IRIs on the default base).

        Raises:
            SyntaxError, ValueError, OSError: as pyoxigraph's parser (``load.check_file`` positions them).
        """
        self.ox.load(path=str(path), format=ox.RdfFormat.TURTLE, base_iri=DEFAULT_BASE, to_graph=graph)

    def add_rdflib(self, triples: Iterable[tuple[Any, Any, Any]], graph: ox.NamedNode) -> None:
        """Add rdflib triples to ``graph``, term by term: blank node labels are kept (findings name the
        caller's nodes), and a small graph costs no serialisation."""
        self.ox.extend(
            ox.Quad(cast(Any, from_rdflib(s)), cast(ox.NamedNode, from_rdflib(p)), from_rdflib(o), graph)
            for s, p, o in triples
        )

    def add(self, quads: Iterable[ox.Quad], *, bulk: bool = False) -> None:
        """Add ``quads``; ``bulk``: pyoxigraph's bulk loader (no transaction: a store no one reads yet)."""
        if bulk:
            self.ox.bulk_extend(quads)
        else:
            self.ox.extend(quads)

    def quads(self, graph: ox.NamedNode | None = None) -> Iterator[ox.Quad]:
        """The quads of ``graph`` (all graphs when None)."""
        return self.ox.quads_for_pattern(None, None, None, graph)

    def remove_graph(self, graph: ox.NamedNode) -> None:
        if self.ox.contains_named_graph(graph):
            self.ox.remove_graph(graph)

    def optimize(self) -> None:
        """Compact the on-disk store and write it out (the last step of a build)."""
        self.ox.optimize()
        self.ox.flush()

    def count(self, graph: ox.NamedNode | None = None) -> int:
        """The number of quads in ``graph`` (all graphs when None), read from the indexes."""
        return sum(1 for _ in self.quads(graph))

    def dump(
        self, fmt: Format, graph: ox.NamedNode | None = None, prefixes: dict[str, str] | None = None
    ) -> bytes:
        """The store (or one ``graph``) serialised in the RDF format ``fmt``."""
        return self.ox.dump(format=rdf_format(fmt), from_graph=graph, prefixes=prefixes) or b""
