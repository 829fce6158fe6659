"""Results as JSON and Markdown: one file pair per size, and a combined table (bench/results/README.md).

Targets are those of issue 7 (1M triples, 2 cores); they are reported, never asserted.
"""

from __future__ import annotations

import json
from pathlib import Path

import bench_queries

TARGETS = [
    ("load_memory_s", "load < 5 s in memory", lambda v: v < 5),
    ("start_to_ready_s", "start-to-ready < 1 s (gunicorn, built store)", lambda v: v < 1),
    ("worst_latency_ratio", "HTTP latency <= 1.3x oxigraph serve, every shape (p50)", lambda v: v <= 1.3),
    ("entity_rps_gunicorn", ">= 1,500 req/s entity lookups, 8 connections, gunicorn", lambda v: v >= 1500),
    ("contribution_ms", "contribution validation < 50 ms", lambda v: v < 50),
    ("check_s", "check < 15 s", lambda v: v < 15),
]


def fmt(value: object, digits: int = 1) -> str:
    if value is None:
        return "–"
    if isinstance(value, float):
        return f"{value:,.{digits}f}"
    if isinstance(value, int):
        return f"{value:,}"
    return str(value)


def headline(result: dict) -> dict:
    """The numbers the targets speak of, picked from one size's results."""
    servers = result.get("servers", {})
    gunicorn = servers.get("nexus-gunicorn", {})
    ratios = [
        r
        for name in ("nexus-gunicorn",)
        for r in (servers.get(name, {}).get("ratios", {}) or {}).values()
        if r is not None
    ]
    return {
        "load_memory_s": result.get("load_memory", {}).get("seconds"),
        "start_to_ready_s": gunicorn.get("ready_s"),
        "worst_latency_ratio": max(ratios) if ratios else None,
        "entity_rps_gunicorn": (gunicorn.get("throughput") or {}).get("rps"),
        "contribution_ms": result.get("contribution", {}).get("p50_ms"),
        "check_s": result.get("check", {}).get("seconds") if result.get("check", {}).get("ok") else None,
    }


def targets_table(result: dict) -> list[str]:
    head = headline(result)
    lines = ["| target | measured | met |", "|---|---|---|"]
    for key, label, test in TARGETS:
        value = head.get(key)
        met = "–" if value is None else ("yes" if test(value) else "**no**")
        lines.append(f"| {label} | {fmt(value, 2)} | {met} |")
    return lines


def server_table(result: dict) -> list[str]:
    lines = [
        "| server | start-to-ready (s) | peak RSS (MiB) | entity lookups req/s (8 conn) | non-2xx |",
        "|---|---|---|---|---|",
    ]
    for name, s in result.get("servers", {}).items():
        if s.get("error"):
            lines.append(f"| {name} | not run: {s['error'][:120]} | | | |")
            continue
        tp = s.get("throughput") or {}
        lines.append(
            f"| {name} | {fmt(s.get('ready_s'), 2)} | {fmt(s.get('peak_rss_mb'), 0)} | "
            f"{fmt(tp.get('rps'), 0)} "
            f"| {fmt(tp.get('non_2xx'))} |"
        )
    return lines


def latency_table(result: dict) -> list[str]:
    servers = {n: s for n, s in result.get("servers", {}).items() if s.get("latency")}
    names = ["embedded", *servers]
    by_server = {"embedded": {t["shape"]: t for t in result.get("embedded", [])}}
    for n, s in servers.items():
        by_server[n] = {t["shape"]: t for t in s["latency"]}
    shapes = []
    for n in names:
        shapes += [k for k in by_server[n] if k not in shapes]
    lines = [
        "| shape | " + " | ".join(names) + " |",
        "|---|" + "---|" * len(names),
    ]
    for shape in shapes:
        cells = []
        for n in names:
            t = by_server[n].get(shape)
            if t is None:
                cells.append("–")
            elif t.get("error"):
                cells.append("error: " + t["error"][:40].replace("|", "/"))
            else:
                ratio = (servers.get(n, {}).get("ratios") or {}).get(shape)
                r = f" ({ratio:.2f}×)" if ratio is not None and n != "oxigraph" else ""
                cells.append(f"{fmt(t['p50_ms'], 1)} / {fmt(t['p95_ms'], 1)}{r} [{fmt(t['results'])}]")
        lines.append(f"| {shape} | " + " | ".join(cells) + " |")
    return lines


def markdown(result: dict) -> str:
    m = result["machine"]
    out = [
        f"# nexus-ld benchmark: {result['size']} ({fmt(result.get('generate', {}).get('data_triples'))} "
        "data triples,"
        f" {fmt(result.get('build', {}).get('triples'))} quads built)",
        "",
        f"Command: `{result['command']}`  ",
        f"Run at {result['started']} on {m['cpu']} ({m['cores']} cores), {m['memory_gib']:.1f} GiB RAM, "
        f"Python {m['python']}.  ",
        "Versions: " + ", ".join(f"{k} {v}" for k, v in result["versions"].items()) + ".",
        "",
        "## Targets (issue 7)",
        *targets_table(result),
        "",
        "## Build and load",
        "| step | seconds | peak RSS (MiB) | notes |",
        "|---|---|---|---|",
    ]
    for key, label in (
        ("generate", "generate (bench/generate.py)"),
        ("load_memory", "load into an in-memory pyoxigraph store"),
        ("check", "`nexus-ld check` (SHACL + quotes + checksums)"),
        ("build", "`nexus-ld build` (inference = rules)"),
        ("fast_build", "bench fast build (pyoxigraph only, no SHACL)"),
        ("infer_owlrl", "owlrl closure (rdflib graphs)"),
        ("infer_rules", "rules closure, rdflib graphs in (`inference = rules`)"),
        ("infer_rules-in-store", "rules closure in a pyoxigraph store (`store_entailments`)"),
    ):
        step = result.get(key)
        if not step:
            continue
        notes = step.get("note", "")
        if "entailments" in step:
            notes = (
                f"{fmt(step['entailments'])} entailments; rdflib load {fmt(step.get('load_seconds'))} s "
                + notes
            )
        if "stages" in step:
            notes += " stages: " + ", ".join(f"{k} {v:.1f} s" for k, v in step["stages"].items())
        if step.get("error"):
            notes += " " + step["error"][:160]
        out.append(
            f"| {label} | {fmt(step.get('seconds'), 2)} | {fmt(step.get('peak_rss_mb'), 0)} | "
            f"{notes.strip()} |"
        )
    c = result.get("contribution")
    if c:
        out += [
            "",
            f"Contribution validation (one new claim, {c.get('n')} runs): p50 {fmt(c.get('p50_ms'))} ms, max "
            f"{fmt(c.get('max_ms'))} ms, conforms {c.get('conforms')}; validator set-up "
            f"{fmt(c.get('setup_seconds'), 2)} s.",
        ]
    out += [
        "",
        "## Servers",
        *server_table(result),
        "",
        "## Latency per query shape over HTTP",
        "p50 / p95 in ms, (ratio of p50 to `oxigraph serve`), [rows or triples returned]. `embedded` is the"
        " same query on the store in-process, results serialized: the floor. Each ratio is paired: while a"
        " server is measured, a second `oxigraph serve` on the same store answers every query too, in"
        " alternating order, and the ratio divides the two p50s (the `oxigraph` column is its own run; a"
        " shape too slow to repeat within the budget falls back to it).",
        "",
        *latency_table(result),
        "",
    ]
    if result.get("queries"):
        out += [
            "## Example and page queries, in process (issue 15: each under 100 ms)",
            "p50 over a few runs on the built store with pyoxigraph, each answer read to its end"
            " (`bench/bench_queries.py`).",
            "",
            bench_queries.table(result["queries"]),
            "",
        ]
    if result.get("mismatches"):
        out += ["## Answers that differ between servers", ""]
        out += [f"- {line}" for line in result["mismatches"]]
        out.append("")
    if result.get("notes"):
        out += ["## Notes", ""] + [f"- {n}" for n in result["notes"]] + [""]
    return "\n".join(out)


def write(result: dict, folder: Path) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / f"{result['size']}.json").write_text(
        json.dumps(result, indent=2, default=str), encoding="utf-8"
    )
    (folder / f"{result['size']}.md").write_text(markdown(result), encoding="utf-8")
    combined(folder)


def combined(folder: Path) -> None:
    """bench/results/README.md: one row per size found in ``folder``."""
    rows = []
    order = {"tiny": 0, "10k": 1, "100k": 2, "1M": 3, "10M": 4}
    results = [json.loads(p.read_text(encoding="utf-8")) for p in folder.glob("*.json")]
    results.sort(key=lambda r: order.get(r["size"], 9))
    for r in results:
        h = headline(r)
        servers = r.get("servers", {})

        def rps(name: str, servers: dict = servers) -> str:
            return fmt(((servers.get(name) or {}).get("throughput") or {}).get("rps"), 0)

        def p50(name: str, shape: str = "entity-description", servers: dict = servers) -> str:
            for t in (servers.get(name) or {}).get("latency", []):
                if t["shape"] == shape:
                    return fmt(t["p50_ms"], 1)
            return "–"

        build = r.get("build") or r.get("fast_build") or {}
        rows.append(
            f"| {r['size']} | {fmt(r.get('build', {}).get('triples') or build.get('triples'))} "
            f"| {fmt(h['load_memory_s'], 2)} | {fmt(build.get('seconds'), 1)} | {fmt(h['check_s'], 1)} "
            f"| {fmt((r.get('infer_owlrl') or {}).get('seconds'), 1)} | "
            f"{fmt((r.get('infer_rules-in-store') or {}).get('seconds'), 2)} "
            f"| {fmt(h['start_to_ready_s'], 2)} | {p50('oxigraph')} | {p50('nexus-gunicorn')} | "
            f"{fmt(h['worst_latency_ratio'], 2)} "
            f"| {rps('oxigraph')} | {rps('nexus-gunicorn')} | {rps('nexus-serve')} | "
            f"{rps('rdflib-endpoint')} "
            f"| {fmt(h['contribution_ms'], 1)} |"
        )
    text = [
        "# Benchmark results",
        "",
        "Written by `bench/run`; one `<size>.md` / `<size>.json` per size with every number, the machine,",
        "the versions and the command. Reproduce: see docs/performance.md.",
        "",
        "| size | quads | load in memory (s) | build (s) | check (s) | owlrl (s) | rules (s) | gunicorn "
        "ready (s) "
        "| entity p50 oxigraph (ms) | entity p50 nexus-ld gunicorn (ms) | worst p50 ratio gunicorn/oxigraph "
        "| entity req/s oxigraph | req/s gunicorn | req/s serve | req/s rdflib-endpoint | contribution "
        "(ms) |",
        "|---" * 16 + "|",
        *rows,
        "",
    ]
    (folder / "README.md").write_text("\n".join(text), encoding="utf-8")
