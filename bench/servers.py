"""The servers under test, one table: how to start each on the same built data.

- ``nexus-ld serve``: the development server (Flask, threaded), on the built store.
- ``nexus-ld gunicorn``: the production command, ``gunicorn -w 2 'nexus_ld.web.app:create_app()'``.
- ``nexus-gthread`` and ``nexus-granian``: the same app under gunicorn's threaded workers and under
  granian (Rust HTTP), the other two contenders of issue 15's per-request cost.
- ``oxigraph serve``: Oxigraph's own server (PyPI ``oxigraph``), read-only on the *same* store
  directory; every query names nexus-ld's default graphs with ``default-graph-uri`` (its
  ``--union-default-graph`` would add the truthy graph, whose copies of data triples change counts).
- ``rdflib-endpoint``: rdflib-endpoint (PyPI) on an N-Quads dump of the same default graphs.
- ``nexus-ld remote``: nexus-ld with ``store_url`` on a separate ``oxigraph serve`` (scale-out).

The benchmark turns nexus-ld's per-client limits off (``rate_limit_per_minute = 0``,
``max_inflight_per_client = 0``): the load generator is one client, and the other servers have no such
limit.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

from procs import Server, free_port

BIN = Path(sys.executable).parent


def tool(name: str) -> str | None:
    """A console script of this venv, else one on PATH."""
    local = BIN / name
    return str(local) if local.exists() else shutil.which(name)


def inbox_path(project: Path) -> Path:
    """The app opens an inbox: one in the temporary folder, per project, so that neither the checkout
    nor a reused project (``bench/run --reuse``, perhaps someone else's folder) is written to."""
    key = hashlib.sha256(str(project.resolve()).encode()).hexdigest()[:12]
    return Path(tempfile.gettempdir()) / "nexus-ld-bench-inbox" / f"{key}.sqlite"


def nexus_env(build: Path, project: Path, **settings: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("NEXUS_LD_")}
    env["NEXUS_LD_BUILD_DIR"] = str(build)
    env["NEXUS_LD_PROJECT_DIR"] = str(project)
    env["NEXUS_LD_RATE_LIMIT_PER_MINUTE"] = "0"
    env["NEXUS_LD_MAX_INFLIGHT_PER_CLIENT"] = "0"
    inbox = inbox_path(project)
    inbox.parent.mkdir(exist_ok=True)
    env["NEXUS_LD_INBOX_PATH"] = str(inbox)
    for key, value in settings.items():
        env["NEXUS_LD_" + key.upper()] = value
    return env


def default_graphs() -> list[str]:
    """The graphs nexus-ld's /sparql uses as its default graph (nexus_ld.store.embedded.DEFAULT_GRAPHS)."""
    from nexus_ld.namespaces import DEFAULT_BASE, graph_iri
    from nexus_ld.store.embedded import DEFAULT_GRAPHS

    return [graph_iri(name, DEFAULT_BASE) for name in DEFAULT_GRAPHS]


def dataset_params() -> list[tuple[str, str]]:
    """Protocol parameters giving `oxigraph serve` nexus-ld's dataset: the default graphs, and every
    published graph as a named graph (with a default-graph-uri alone, GRAPH would see nothing)."""
    from nexus_ld.namespaces import DEFAULT_BASE, GRAPHS, graph_iri

    named = [("named-graph-uri", graph_iri(name, DEFAULT_BASE)) for name in GRAPHS]
    return [("default-graph-uri", g) for g in default_graphs()] + named


@dataclass
class Spec:
    name: str
    label: str
    needs: str  # the executable that must exist


SPECS = [
    Spec("nexus-serve", "nexus-ld serve (Flask dev server)", "nexus-ld"),
    Spec("nexus-gunicorn", "nexus-ld under gunicorn, 2 workers", "gunicorn"),
    Spec("nexus-gthread", "nexus-ld under gunicorn gthread, 2 workers x 4 threads", "gunicorn"),
    Spec("nexus-granian", "nexus-ld under granian, 2 workers", "granian"),
    Spec("oxigraph", "oxigraph serve-read-only", "oxigraph"),
    Spec("rdflib-endpoint", "rdflib-endpoint", "rdflib-endpoint"),
]


def gunicorn(port: int, workers: int) -> list[str]:
    """The production command (docs/scaling.md): sync workers, one request per process, so each runs
    its queries itself; no limit on the request line, since GET queries are longer than gunicorn's
    default 4094 bytes (docs/sparql.md)."""
    return [
        tool("gunicorn"),
        "-w",
        str(workers),
        "-b",
        f"127.0.0.1:{port}",
        "--limit-request-line",
        "0",
        "--log-level",
        "warning",
        "nexus_ld.web.app:create_app()",
    ]


def make(
    name: str, build: Path, project: Path, nquads: Path | None = None, store_url: str = "", workers: int = 2
) -> Server:
    """A ``Server`` for ``name`` on a free port (not started)."""
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    if name == "nexus-serve":
        return Server(
            name,
            [tool("nexus-ld"), "serve", "--port", str(port)],
            url,
            url + "/sparql",
            nexus_env(build, project),
        )
    if name == "nexus-gunicorn":
        argv = gunicorn(port, workers)
        return Server(name, argv, url, url + "/sparql", nexus_env(build, project))
    if name == "nexus-gthread":  # threaded workers: queries go to the killable worker pool
        argv = [*gunicorn(port, workers), "-k", "gthread", "--threads", "4"]
        return Server(name, argv, url, url + "/sparql", nexus_env(build, project))
    if name == "nexus-granian":  # granian (Rust HTTP, `nexus-ld[granian]`): threaded, worker pool too
        argv = [
            *(tool("granian") or "granian", "--interface", "wsgi", "--host", "127.0.0.1"),
            *("--port", str(port), "--workers", str(workers), "--log-level", "warning"),
            *("--factory", "nexus_ld.web.app:create_app"),
        ]
        return Server(name, argv, url, url + "/sparql", nexus_env(build, project))
    if name == "nexus-remote":
        argv = [tool("nexus-ld"), "serve", "--port", str(port), "--store", store_url]
        return Server(name, argv, url, url + "/sparql", nexus_env(build, project, store_url=store_url))
    if name == "nexus-remote-gunicorn":
        argv = gunicorn(port, workers)
        return Server(name, argv, url, url + "/sparql", nexus_env(build, project, store_url=store_url))
    if name == "oxigraph":
        argv = [
            tool("oxigraph"),
            "serve-read-only",
            "--location",
            str(build / "store"),
            "--bind",
            f"127.0.0.1:{port}",
        ]
        return Server(name, argv, url, url + "/query", params=dataset_params())
    if name == "rdflib-endpoint":
        argv = [tool("rdflib-endpoint"), "serve", "--host", "127.0.0.1", "--port", str(port), str(nquads)]
        return Server(name, argv, url, url + "/")  # its SPARQL endpoint is the root path
    raise KeyError(name)
