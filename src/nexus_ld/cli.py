"""The ``nexus-ld`` command: one subcommand per stage, each thin over the module that does the work."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import click
import pyoxigraph as ox

from nexus_ld import __version__
from nexus_ld.config import SETTINGS, Settings, SettingsError, load_settings
from nexus_ld.errors import NexusError
from nexus_ld.formats import RDF_FORMATS, serialize
from nexus_ld.pipeline.shapes import EngineError, use_engine

EXIT_OK, EXIT_VIOLATIONS, EXIT_UNREADABLE = 0, 1, 2


def _help_settings(ctx: click.Context, _param: click.Parameter, value: bool) -> None:
    if not value or ctx.resilient_parsing:
        return
    for s in SETTINGS:
        click.echo(f"{s.name:30} default {s.default!r}\n{'':30} {s.help}")
    ctx.exit()


@click.group()
@click.version_option(__version__, prog_name="nexus-ld")
@click.option(
    "--setting",
    "settings",
    type=(str, str),
    multiple=True,
    metavar="NAME VALUE",
    help="Set one setting (repeatable); see --help-settings. Environment: NEXUS_LD_<NAME>.",
)
@click.option("--config", type=click.Path(exists=True, dir_okay=False), help="A TOML file of settings.")
@click.option(
    "--help-settings",
    is_flag=True,
    expose_value=False,
    is_eager=True,
    callback=_help_settings,
    help="List every setting with its default and exit.",
)
@click.pass_context
def main(ctx: click.Context, settings: tuple[tuple[str, str], ...], config: str | None) -> None:
    """nexus-ld: build, check, query and serve the TTP / al-Qaeda / Islamic State knowledge graph."""
    try:
        ctx.obj = load_settings(dict(settings), file=config)
        use_engine(ctx.obj.shacl_engine)  # at start-up: a refused or mismatched engine is said first
    except SettingsError as exc:
        raise click.UsageError(str(exc)) from None
    except EngineError as exc:
        click.echo(f"error: {exc.message}", err=True)
        sys.exit(EXIT_UNREADABLE)


def _settings(ctx: click.Context) -> Settings:
    return ctx.find_root().obj


@main.command()
@click.option("--store", "store_url", help="Also load the graphs into this SPARQL 1.1 server (query URL).")
@click.option(
    "--store-update",
    "store_update_url",
    help="The server's Graph Store Protocol URL (default: Oxigraph's /store next to /query, else --store).",
)
@click.pass_context
def build(ctx: click.Context, store_url: str | None, store_update_url: str | None) -> None:
    """Load, check, reason and write the store, the truthy graph, the dumps and the search index;
    with --store (or the store_url setting), PUT every named graph into that server."""
    from nexus_ld.pipeline.build import build as run_build

    settings = _settings(ctx)
    if store_url or store_update_url:
        extra = {"store_url": store_url, "store_update_url": store_update_url}
        settings = load_settings(dict(settings.values) | {k: v for k, v in extra.items() if v}, environ={})
    try:
        result = run_build(settings, progress=lambda line: click.echo(line, err=True))
    except NexusError as exc:
        click.echo(f"error: {exc.message}", err=True)
        sys.exit(EXIT_VIOLATIONS if exc.title == "Build failed" else EXIT_UNREADABLE)
    if settings.store_url:
        from nexus_ld.store.remote import update_url_for, upload_build

        target = settings.store_update_url or update_url_for(settings.store_url)
        click.echo(f"loading the graphs into {target} (Graph Store Protocol)", err=True)
        try:
            for graph, triples in upload_build(result.path, target).items():
                click.echo(f"  graph {graph:10} {triples:>8} triples", err=True)
        except NexusError as exc:
            click.echo(f"error: {exc.message}", err=True)
            sys.exit(EXIT_UNREADABLE)


@main.command()
@click.argument("words")
@click.option(
    "--kind", type=click.Choice(["label", "altLabel", "claim", "quote"]), help="Only names, claims or quotes."
)
@click.option("--limit", default=20, show_default=True, help="Hits to print (at most 100).")
@click.option("--offset", default=0, show_default=True, help="Hits to skip (for paging).")
@click.option("--json", "as_json", is_flag=True, help="Print the hits as JSON (as /search?format=json).")
@click.pass_context
def search(ctx: click.Context, words: str, kind: str | None, limit: int, offset: int, as_json: bool) -> None:
    """Search names, alternative names, quotes and claim summaries in the build's index."""
    import json

    from nexus_ld.pipeline.publish.search import INDEX_FILE
    from nexus_ld.pipeline.publish.search import search as run_search

    try:
        page = run_search(_settings(ctx).build / INDEX_FILE, words, limit, offset, kind)
    except NexusError as exc:
        click.echo(f"error: {exc.message}", err=True)
        sys.exit(EXIT_UNREADABLE)
    if as_json:
        hits = [h.__dict__ | {"segments": [list(s) for s in h.segments]} for h in page.hits]
        click.echo(json.dumps({"query": page.query, "total": page.total, "hits": hits}, indent=2))
        return
    click.echo(f"{page.total} hits for {page.query!r}", err=True)
    for h in page.hits:
        text = "".join(f"[{t}]" if matched else t for t, matched in h.segments)
        click.echo(f"{h.kind:8} {h.iri}\n         {text}")


@main.command()
@click.option("--json", "as_json", is_flag=True, help="Print the findings as JSON.")
@click.pass_context
def check(ctx: click.Context, as_json: bool) -> None:
    """Check the whole dataset: shapes, quotes at their offsets, source checksums and the other checks.

    `validate` runs the same checks on a contribution in its context. Exit 0 ok, 1 violations, 2 unreadable.
    """
    from nexus_ld.pipeline.checks.dataset import check_root

    settings = _settings(ctx)
    try:
        report = check_root(settings.project, settings.base, max_source_bytes=settings.max_source_bytes)
    except NexusError as exc:
        click.echo(f"error: {exc.message}", err=True)
        sys.exit(EXIT_UNREADABLE)
    click.echo(report.to_json() if as_json else report.text)
    sys.exit(EXIT_OK if report.conforms else EXIT_VIOLATIONS)


def _print_results(result: Any, fmt: str) -> None:
    from nexus_ld.table import render_table

    if isinstance(result, ox.QueryBoolean):
        click.echo("true" if bool(result) else "false")
    elif isinstance(result, ox.QueryTriples):
        click.echo(serialize(result, RDF_FORMATS["turtle"]).decode("utf-8"), nl=False)
    elif fmt == "table":
        click.echo(render_table(result))
    else:
        kind = {"json": ox.QueryResultsFormat.JSON, "csv": ox.QueryResultsFormat.CSV}[fmt]
        click.echo((result.serialize(format=kind) or b"").decode("utf-8"), nl=False)


@main.command()
@click.argument("sparql", required=False)
@click.option(
    "--file", "query_file", type=click.Path(exists=True, dir_okay=False), help="Read the query from a file."
)
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["table", "json", "csv", "turtle"]),
    default="table",
    show_default=True,
    help="Output for SELECT (table/json/csv); CONSTRUCT and DESCRIBE always print Turtle.",
)
@click.pass_context
def query(ctx: click.Context, sparql: str | None, query_file: str | None, fmt: str) -> None:
    """Run a SPARQL query on the built store, as the server would."""
    from nexus_ld.store.embedded import Store

    if bool(sparql) == bool(query_file):
        raise click.UsageError("give a query text or --file, not both and not neither")
    text = sparql or Path(query_file or "").read_text(encoding="utf-8")
    try:
        store = Store.open(_settings(ctx).build)
        _print_results(store.query(text), fmt)
    except NexusError as exc:
        click.echo(f"error: {exc.message}", err=True)
        sys.exit(EXIT_UNREADABLE)


@main.command()
@click.pass_context
def stats(ctx: click.Context) -> None:
    """Counts of the built store: triples per graph, entities per class, claims per status."""
    from nexus_ld.store.embedded import Store
    from nexus_ld.table import render_table

    try:
        store = Store.open(_settings(ctx).build)
    except NexusError as exc:
        click.echo(f"error: {exc.message}", err=True)
        sys.exit(EXIT_UNREADABLE)
    click.echo(f"release {store.release.get('release')}  base {store.base}")
    for name, count in store.release.get("graphs", {}).items():
        click.echo(f"  graph {name:10} {count:>8} triples")
    for name in ("stats-classes", "stats-statuses"):
        click.echo(render_table(store.named(name)))


@main.command()
@click.argument("exact")
@click.option("--source", default="ttp-aq-isis-nexus.txt", show_default=True, help="File in data/sources/.")
@click.option("--after", default=0, show_default=True, help="Find the occurrence at or after this offset.")
@click.pass_context
def quote(ctx: click.Context, exact: str, source: str, after: int) -> None:
    """Print the nx:evidence block (quote and position selectors) for EXACT words of a source."""
    from nexus_ld.pipeline.quotes import QuoteNotFound, locate

    path = _settings(ctx).project / "data" / "sources" / source
    try:
        selector = locate(path.read_text(encoding="utf-8"), exact, after)
    except (OSError, QuoteNotFound) as exc:
        click.echo(f"error: {exc}", err=True)
        sys.exit(EXIT_UNREADABLE)
    click.echo(selector.to_turtle(f"source:{Path(source).stem}"))


@main.command()
@click.option(
    "--host", default="127.0.0.1", show_default=True, help="Interface to bind; 127.0.0.1 keeps it private."
)
@click.option("--port", default=8000, show_default=True, type=int, help="Port to listen on.")
@click.option("--store", "store_url", help="Use a remote SPARQL 1.1 endpoint as the store.")
@click.option("--debug", is_flag=True, help="Flask debug mode (never in production).")
@click.pass_context
def serve(ctx: click.Context, host: str, port: int, store_url: str | None, debug: bool) -> None:
    """Serve SPARQL, pages and dumps (development server; see README for gunicorn). Builds first if needed."""
    from nexus_ld.pipeline.build import build as run_build
    from nexus_ld.pipeline.publish.pages import missing_page_tables
    from nexus_ld.store.embedded import RELEASE_FILE
    from nexus_ld.web.app import QuietRequestHandler, create_app

    settings = _settings(ctx)
    if store_url:
        settings = load_settings(dict(settings.values) | {"store_url": store_url})
    if not settings.store_url and not (settings.build / RELEASE_FILE).exists():
        click.echo("no build yet: building first", err=True)
        try:
            run_build(settings, progress=lambda line: click.echo(line, err=True))
        except NexusError as exc:
            click.echo(f"error: {exc.message}", err=True)
            sys.exit(EXIT_UNREADABLE)
    if not settings.store_url:  # a release built before its page tables: they are made once, here
        missing_page_tables(settings.build, progress=lambda line: click.echo(line, err=True))
    app = create_app(settings)
    click.echo(f"nexus-ld on http://{host}:{port}/  (SPARQL at /sparql)", err=True)
    app.run(host=host, port=port, debug=debug, threaded=True, request_handler=QuietRequestHandler)


@main.command()
@click.argument("release")
@click.pass_context
def rollback(ctx: click.Context, release: str) -> None:
    """Serve kept release RELEASE again: switch build_dir/current to it atomically; running servers
    follow within release_check_s (the kept ones are listed at /releases)."""
    from nexus_ld.pipeline.publish.releases import kept, switch

    build = _settings(ctx).build
    try:
        folder = switch(build, release)
    except KeyError:
        ids = ", ".join(r["release"] for r in kept(build)) or "none"
        raise click.BadParameter(f"no kept release {release!r} in {build} (kept: {ids})") from None
    click.echo(f"serving release {release} ({folder})", err=True)


@main.command("nginx-config")
@click.option("--listen", default="127.0.0.1:8000", show_default=True, help="HOST:PORT nginx listens on.")
@click.option("--upstream", default="127.0.0.1:8001", show_default=True, help="HOST:PORT of gunicorn.")
@click.option(
    "--prefix",
    required=True,
    type=click.Path(file_okay=False, resolve_path=True),
    help="Folder for nginx's pid, logs and request buffers (writable by nginx's workers).",
)
@click.option(
    "--cache-dir",
    type=click.Path(file_okay=False, resolve_path=True),
    default=None,
    help="Cache published answers in this folder (writable by nginx's workers); default: no cache.",
)
@click.option(
    "--cache-max-size", default="1g", show_default=True, help="Most disk the cache may use (nginx size)."
)
@click.pass_context
def nginx_config(
    ctx: click.Context, listen: str, upstream: str, prefix: str, cache_dir: str | None, cache_max_size: str
) -> None:
    """Print the nginx configuration that fronts gunicorn: buffers slow clients, caps each client's
    requests in flight and rate, bodies per max_body_bytes (docs/security.md); with --cache-dir, caches
    published answers by their ETag and Cache-Control (docs/scaling.md)."""
    from nexus_ld.web.deploy import nginx_config as render

    try:
        click.echo(render(_settings(ctx), listen, upstream, prefix, cache_dir, cache_max_size), nl=False)
    except NexusError as exc:
        raise click.BadParameter(exc.message) from None


# Contributions (docs/contributions.md): `validate FILE…` and `contributions list|show|accept|reject`.
from nexus_ld.contributions.commands import contributions, validate  # noqa: E402

main.add_command(validate)
main.add_command(contributions)
