"""All settings of nexus-ld in one table: name, default, help.

Layered like Flask's config: defaults < settings file (TOML) < environment (``NEXUS_LD_<NAME>``) <
explicit values (CLI ``--setting name value``, or ``create_app(settings)`` in tests).
"""

from __future__ import annotations

import os
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ENV_PREFIX = "NEXUS_LD_"
PROJECT_ROOT = Path(__file__).resolve().parents[2]


@dataclass(frozen=True)
class Setting:
    name: str
    default: Any
    help: str
    minimum: int | None = None  # the least value a number may take (refused below, naming the setting)


SETTINGS: tuple[Setting, ...] = (
    Setting("base", "https://w3id.org/nexus-ld/", "Canonical base IRI of all published resources."),
    Setting("project_dir", str(PROJECT_ROOT), "Folder holding ontology/, shapes/ and data/."),
    Setting(
        "build_dir",
        str(PROJECT_ROOT / "build"),
        "Where `build` writes its releases (`releases/<id>/`, and `current`: the one served); `serve` "
        "reads `current`.",
    ),
    Setting("release", "", "Release id of a build (default: derived from the input checksums)."),
    Setting(
        "keep_releases",
        5,
        "Releases `build` keeps under build_dir/releases/ (the served one always stays); earlier ones "
        "are served at /downloads/<release>/ and are a rollback away (docs/scaling.md). At least 2: "
        "with 1, the release just replaced is removed while requests may still be reading it.",
        minimum=2,
    ),
    Setting(
        "release_check_s",
        1.0,
        "How often a server process looks whether `build` published a new release (one stat of "
        "build_dir/current), in seconds; it then serves the new release without a restart.",
    ),
    Setting(
        "query_timeout_s",
        10.0,
        "Time limit of one SPARQL query, in seconds; past it the query is cancelled (503).",
    ),
    Setting("max_query_bytes", 100_000, "Largest SPARQL query text accepted, in bytes (413 beyond)."),
    Setting(
        "max_results", 10_000, "Most result rows/triples returned by /sparql; cut results say so in a header."
    ),
    Setting("max_nesting", 64, "Deepest nesting of brackets and braces allowed in a query (400 beyond)."),
    Setting(
        "rate_limit_per_minute",
        600,
        "Requests per minute per client address on /sparql and POSTs (0: no limit).",
    ),
    Setting(
        "max_inflight_per_client",
        1,
        "Requests to /sparql and POSTs one client address may have running at once in one server "
        "process (429 beyond; 0: no cap); keep it below query_workers so one client never holds every "
        "query process.",
    ),
    Setting(
        "trusted_proxy_hops",
        0,
        "Reverse proxies in front that set X-Forwarded-For (1 behind `nexus-ld nginx-config`); the rate "
        "limits and in-flight cap then key on the forwarded client address. 0: the connection's address.",
    ),
    Setting(
        "service_allowlist",
        "",
        "Comma-separated endpoint IRIs that SERVICE may call; empty: SERVICE refused. Non-empty also keeps"
        " the network in the query processes (no isolation, see /readyz).",
    ),
    Setting(
        "query_workers",
        2,
        "Query processes per threaded server process (sync gunicorn workers run queries themselves); "
        "a query past its time limit is killed.",
    ),
    Setting("cors_allow_origin", "*", "Access-Control-Allow-Origin sent by /sparql (empty: no CORS)."),
    Setting("store_url", "", "A remote SPARQL 1.1 endpoint to use as the store instead of the embedded one."),
    Setting(
        "store_update_url", "", "The remote store's update / Graph Store Protocol base (default: store_url)."
    ),
    Setting("page_size", 50, "Rows per page on listings, claims and incoming links."),
    Setting(
        "facet_size", 10, "Agents in the claims page's 'Said by' facet, most claims first (others: by name)."
    ),
    Setting(
        "picture_page_size", 100, "Events per page of the timeline; links per page of the network's table."
    ),
    Setting(
        "max_body_bytes",
        2_000_000,
        "Largest contribution or validation body accepted, in bytes (413 beyond).",
    ),
    Setting(
        "inbox_path", str(PROJECT_ROOT / "inbox" / "contributions.sqlite"), "SQLite inbox of contributions."
    ),
    Setting(
        "maintainer_token", "", "Token for accepting or rejecting contributions over HTTP; empty: disabled."
    ),
    Setting(
        "contribution_rate_per_minute", 30, "POSTs per minute per client to /validate and /contributions."
    ),
    Setting(
        "validation_timeout_s",
        20.0,
        "Time limit of one contribution validation (/validate, /contributions), in seconds; past it the"
        " work is stopped (503).",
    ),
    Setting("contribution_max_triples", 20_000, "Most triples in one contribution (413 beyond)."),
    Setting(
        "contribution_max_literal_chars", 100_000, "Longest literal in a contribution, in characters (413)."
    ),
    Setting(
        "contribution_max_nesting", 64, "Deepest JSON / XML nesting accepted in a contribution (400 beyond)."
    ),
    Setting(
        "max_source_bytes",
        20_000_000,
        "Largest source text file read from data/sources/, in bytes (a finding beyond).",
    ),
    Setting("max_pending_contributions", 1_000, "Most pending contributions in the inbox (507 beyond)."),
    Setting("max_pending_per_client", 20, "Most pending contributions from one client address (429 beyond)."),
    Setting(
        "max_inbox_bytes", 200_000_000, "Most bytes of pending contribution bodies in the inbox (507 beyond)."
    ),
    Setting(
        "maintainer_token_failures_per_minute",
        10,
        "Wrong maintainer tokens per minute per client before accept/reject answer 429.",
    ),
    Setting(
        "maintainer_name",
        "maintainer",
        "Who accepts contributions over HTTP (written into their provenance).",
    ),
    Setting(
        "maintainer_session_minutes",
        30,
        "Minutes without use after which a maintainer signed in on /contributions/review is signed out.",
    ),
    Setting(
        "inference",
        "owlrl",
        "How `build` computes the inferred graph: owlrl (OWL 2 RL in Python) or rules (the same rules as"
        " SPARQL on pyoxigraph; same entailments, fast at a million triples; see docs/performance.md).",
    ),
    Setting(
        "shacl_engine",
        "auto",
        "SHACL engine of `check` and validation: auto (the turbo pair of nexus-ld[fast] when exactly its"
        " pinned pair is installed, else pySHACL), pyshacl, or turbo (refused unless the pinned pair is"
        " installed).",
    ),
)

_BY_NAME = {s.name: s for s in SETTINGS}


def default(name: str) -> Any:
    """The default of setting ``name``, for functions that also run without a ``Settings``."""
    return _BY_NAME[name].default


class SettingsError(ValueError):
    """A setting that does not exist or whose value has the wrong type."""


def _coerce(setting: Setting, value: Any) -> Any:
    kind = type(setting.default)
    try:
        if isinstance(value, kind):
            coerced = value
        elif kind is bool:
            coerced = str(value).lower() in {"1", "true", "yes", "on"}
        else:
            coerced = kind(value)
    except (TypeError, ValueError) as exc:
        raise SettingsError(f"setting {setting.name!r} needs a {kind.__name__}, got {value!r}") from exc
    if setting.minimum is not None and coerced < setting.minimum:
        raise SettingsError(f"setting {setting.name!r} must be at least {setting.minimum}, got {coerced!r}")
    return coerced


@dataclass(frozen=True)
class Settings:
    values: Mapping[str, Any]

    def __getattr__(self, name: str) -> Any:
        try:
            return self.values[name]
        except KeyError:
            raise AttributeError(name) from None

    @property
    def project(self) -> Path:
        return Path(self.values["project_dir"])

    @property
    def build(self) -> Path:
        return Path(self.values["build_dir"])


def load_settings(
    overrides: Mapping[str, Any] | None = None,
    file: str | Path | None = None,
    environ: Mapping[str, str] | None = None,
) -> Settings:
    """Merge defaults, an optional TOML file, ``NEXUS_LD_*`` variables and ``overrides``.

    Raises:
        SettingsError: for an unknown name, a value of the wrong type or below its minimum.
    """
    values = {s.name: s.default for s in SETTINGS}
    layers: list[Mapping[str, Any]] = []
    if file:
        with open(file, "rb") as fh:
            layers.append(tomllib.load(fh))
    env = os.environ if environ is None else environ
    layers.append({k[len(ENV_PREFIX) :].lower(): v for k, v in env.items() if k.startswith(ENV_PREFIX)})
    layers.append(overrides or {})
    for layer in layers:
        for name, value in layer.items():
            if name not in _BY_NAME:
                raise SettingsError(f"unknown setting {name!r}; see `nexus-ld --help-settings`")
            values[name] = _coerce(_BY_NAME[name], value)
    if not values["base"].endswith("/"):
        values["base"] += "/"
    return Settings(values)
