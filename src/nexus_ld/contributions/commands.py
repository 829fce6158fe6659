"""The ``validate`` and ``contributions`` commands (registered on the main ``nexus-ld`` group in cli.py).

Exit codes, as pySHACL's: 0 conforms (warnings allowed), 1 violations, 2 unreadable or refused input.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import click

from nexus_ld.config import Settings
from nexus_ld.contributions.inbox import Inbox
from nexus_ld.contributions.parse import choose_format, inflate
from nexus_ld.errors import NexusError

EXIT_OK, EXIT_VIOLATIONS, EXIT_UNREADABLE = 0, 1, 2


def _settings(ctx: click.Context) -> Settings:
    return ctx.find_root().obj


def _fail(message: str) -> None:
    click.echo(f"error: {message}", err=True)
    sys.exit(EXIT_UNREADABLE)


@click.command()
@click.argument("files", nargs=-1, required=True, type=click.Path(dir_okay=False))
@click.option(
    "--format",
    "fmt_name",
    help="RDF format of every FILE (turtle, trig, ntriples, nquads, jsonld, rdfxml); default: suffix.",
)
@click.option("--json", "as_json", is_flag=True, help="Print the reports as JSON (one object per file).")
@click.option(
    "--turtle", "as_turtle", is_flag=True, help="Print the SHACL validation report graph as Turtle."
)
@click.pass_context
def validate(
    ctx: click.Context, files: tuple[str, ...], fmt_name: str | None, as_json: bool, as_turtle: bool
) -> None:
    """Validate FILES as contributions: the checks of `check` (shapes, quotes, ontology terms …) and the
    contribution rules, on each file in the context of the published data it touches.

    Exit 0 when every file conforms (warnings allowed), 1 on violations, 2 when a file cannot be read or
    is refused. Needs a build (`nexus-ld build`): the context comes from its store.
    """
    from nexus_ld.contributions.report import to_dict, to_text, to_turtle
    from nexus_ld.contributions.service import Validator

    settings = _settings(ctx)
    try:
        validator = Validator.from_settings(settings)
    except NexusError as exc:
        _fail(exc.message)
    data_dir = (settings.project / "data").resolve()
    worst, reports = EXIT_OK, []
    for name in files:
        path = Path(name)
        try:
            raw = path.read_bytes()
            fmt = choose_format(explicit=fmt_name, filename=path.name)
            if path.suffix.lower() == ".gz" or raw.startswith(b"\x1f\x8b"):
                raw = inflate(raw, "gzip", validator.limits.max_bytes)
            restating = path.resolve().is_relative_to(data_dir)  # the files the data is built from
            outcome = validator.check(validator.parse(raw, fmt, name), restating=restating)
        except OSError as exc:
            click.echo(f"error: {name}: {exc.strerror or exc}", err=True)
            worst = EXIT_UNREADABLE
            continue
        except NexusError as exc:
            message = exc.message if exc.message.startswith(name) else f"{name}: {exc.message}"
            click.echo(f"error: {message}", err=True)
            worst = EXIT_UNREADABLE
            continue
        if as_json:
            reports.append({"file": name, **to_dict(outcome)})
        elif as_turtle:
            click.echo(to_turtle(outcome))
        else:
            click.echo(to_text(outcome, name))
        if not outcome.conforms and worst == EXIT_OK:
            worst = EXIT_VIOLATIONS
    if as_json:
        click.echo(json.dumps(reports if len(files) > 1 else (reports[0] if reports else {}), indent=2))
    sys.exit(worst)


@click.group()
def contributions() -> None:
    """Review the inbox of contributions: list, show, accept, reject."""


def _inbox(ctx: click.Context) -> Inbox:
    return Inbox(_settings(ctx).inbox_path)


@contributions.command("list")
@click.option("--status", type=click.Choice(["pending", "accepted", "rejected"]), help="Only these.")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@click.pass_context
def list_(ctx: click.Context, status: str | None, as_json: bool) -> None:
    """List contributions, oldest first."""
    entries = _inbox(ctx).list(status)
    if as_json:
        click.echo(json.dumps([e.summary() for e in entries], indent=2))
        return
    for e in entries:
        verdict = f"{e.report.get('triples', '?')} triples, {e.report.get('warnings', 0)} warnings"
        click.echo(f"{e.id}  {e.status:8}  {e.received}  {e.size:>8} bytes  {verdict}  {e.note[:40]}")
    click.echo(f"({len(entries)} contributions)")


@contributions.command()
@click.argument("entry_id")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@click.option("--body", is_flag=True, help="Print the submitted RDF as received.")
@click.pass_context
def show(ctx: click.Context, entry_id: str, as_json: bool, body: bool) -> None:
    """Show one contribution: status, dates, note, report (or its body)."""
    try:
        entry = _inbox(ctx).get(entry_id, with_body=body)
    except NexusError as exc:
        _fail(exc.message)
    if body:
        click.echo(entry.body.decode("utf-8"), nl=False)
    elif as_json:
        click.echo(json.dumps(entry.summary(), indent=2))
    else:
        for key, value in entry.summary().items():
            if key != "report" and value not in (None, ""):
                click.echo(f"{key:10} {value}")
        click.echo(f"report     {'conforms' if entry.report.get('conforms') else 'does not conform'}")
        for r in entry.report.get("results", []):
            click.echo(f"  {r['severity']}: {r['node']}: {r['message']}")


@contributions.command()
@click.argument("entry_id")
@click.option(
    "--by", default="maintainer", show_default=True, help="Who accepts (written into the provenance)."
)
@click.option(
    "--same-entity",
    is_flag=True,
    help="A new IRI another accepted contribution minted (not yet built) describes the same entity.",
)
@click.pass_context
def accept(ctx: click.Context, entry_id: str, by: str, same_entity: bool) -> None:
    """Accept: re-validate, write data/contributions/ID.ttl with its provenance; `build` publishes it."""
    from nexus_ld.contributions import review
    from nexus_ld.contributions.service import Validator

    settings = _settings(ctx)
    try:
        entry = review.accept(
            _inbox(ctx), Validator.from_settings(settings), entry_id, by, same_entity=same_entity
        )
    except NexusError as exc:
        click.echo(f"error: {exc.message}", err=True)
        sys.exit(EXIT_VIOLATIONS if exc.status == 422 else EXIT_UNREADABLE)
    click.echo(f"accepted {entry.id} into {entry.file}; run `nexus-ld build` to publish it")


@contributions.command()
@click.argument("entry_id")
@click.option("--reason", required=True, help="Why (kept, and shown on the contribution's status page).")
@click.option("--by", default="maintainer", show_default=True, help="Who rejects.")
@click.pass_context
def reject(ctx: click.Context, entry_id: str, reason: str, by: str) -> None:
    """Reject a pending contribution, keeping the reason."""
    from nexus_ld.contributions import review

    try:
        entry = review.reject(_inbox(ctx), entry_id, by, reason)
    except NexusError as exc:
        _fail(exc.message)
    click.echo(f"rejected {entry.id}: {entry.reason}")


__all__ = ["contributions", "validate"]
