"""Results as JSON and Markdown: one file pair per size, and a combined table (bench/results/README.md).

Targets are those of issue 7 (1M triples, 2 cores); they are reported, never asserted.
"""

from __future__ import annotations

import json
from pathlib import Path

import bench_queries
import servers

LABELS = {spec.name: spec.label for spec in servers.SPECS}

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


def ratio_table(results: list[dict]) -> list[str]:
    """(a) p50 of each server over the paired `oxigraph serve`, per shape, per size."""
    columns = [
        (r["size"], name, s)
        for r in results
        for name, s in r.get("servers", {}).items()
        if name != "oxigraph" and s.get("ratios")
    ]
    if not columns:
        return ["No server was measured."]
    shapes: list[str] = []
    for _, _, s in columns:
        shapes += [k for k in s["ratios"] if k not in shapes]
    lines = [
        "| shape | " + " | ".join(f"{size} {LABELS.get(name, name)}" for size, name, _ in columns) + " |",
        "|---|" + "---|" * len(columns),
    ]
    for shape in shapes:
        cells = []
        for _, _, s in columns:
            ratio = s["ratios"].get(shape)
            cells.append("–" if ratio is None else f"{ratio:.2f}×" if ratio <= 1.3 else f"**{ratio:.2f}×**")
        lines.append(f"| {shape} | " + " | ".join(cells) + " |")
    loads = " | ".join(fmt(s.get("load_1min"), 2) for _, _, s in columns)
    lines.append(f"| load average (1 min) at the end of the run | {loads} |")
    return lines


def queries_table(results: list[dict]) -> list[str]:
    """(b) p50 of each example and page query in process, per size, and where it is over 100 ms."""
    sized = [(r["size"], {q["query"]: q for q in r["queries"]}) for r in results if r.get("queries")]
    failed = [
        f"- {r['size']}: not timed, {r['queries_error']}; a reused build older than the code needs"
        " rebuilding."
        for r in results
        if r.get("queries_error")
    ]
    if not sized:
        return failed or ["No query was timed."]
    names: list[str] = []
    for _, found in sized:
        names += [k for k in found if k not in names]
    head = " | ".join(f"{size} p50 (ms) | {size} rows" for size, _ in sized)
    lines = [f"| query | {head} | < 100 ms |", "|---|" + "---|---|" * len(sized) + "---|"]
    for name in names:
        cells, over, errors = [], [], []
        for size, found in sized:
            q = found.get(name)
            if q and q.get("error"):
                cells += ["error: " + " ".join(q["error"][:80].split()).replace("|", "/"), "–"]
                errors.append(size)
                continue
            cells += [fmt(q["p50_ms"], 1), fmt(q["results"])] if q else ["–", "–"]
            if q and q["p50_ms"] >= bench_queries.TARGET_MS:
                over.append(size)
        marks = (["**no**: " + ", ".join(over)] if over else []) + (
            ["not timed: " + ", ".join(errors)] if errors else []
        )
        mark = "; ".join(marks) or "yes"
        lines.append(f"| {name} | " + " | ".join(cells) + f" | {mark} |")
    return lines + ([""] + failed if failed else [])


def front_table(results: list[dict]) -> list[str]:
    """(c) requests/s through the caching front, beside gunicorn alone and `oxigraph serve`; the cached
    rows over the ceiling too, the CPU each server spent per request answered, what nginx forwarded on
    the miss rows (answers per X-Cache-Status) and the bytes one answer of a /doc row takes."""
    lines = [
        "| size | request | contender | req/s | failed | load (1 min) | ratio to oxigraph | cache/ceiling "
        "| CPU ms/request | X-Cache-Status | bytes sent |",
        "|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for r in results:
        front = r.get("front")
        if not front:
            continue
        if front.get("error"):
            why = " ".join(front["error"][-300:].split()).replace("|", "/")
            lines.append(f"| {r['size']} | front not run: {why} | | | | | | | | | |")
            continue
        for row in front["rows"]:
            ratio, top = row.get("ratio_to_oxigraph"), row.get("ratio_to_ceiling")
            cpu = ", ".join(f"{k} {v:.2f}" for k, v in row.get("cpu_ms_per_request", {}).items() if v)
            status = ", ".join(f"{k} {n}" for k, n in row.get("cache_status", {}).items())
            sent = f"{row['bytes']:,} {row['content_encoding']}" if "bytes" in row else ""
            lines.append(
                f"| {r['size']} | {row['request']} | {row['contender']} | {fmt(row['requests_per_s'], 0)} "
                f"| {fmt(row['failed'])} | {fmt(row['load_1min'], 2)} "
                f"| {'–' if ratio is None else f'{ratio:.2f}×'} | {'' if top is None else f'{top:.2f}'} "
                f"| {cpu} | {status} | {sent} |"
            )
    return lines


def misses_table(results: list[dict]) -> list[str]:
    """(c) a miss (a new URL each time) through the front against gunicorn alone, in pairs: the median
    ratio of each row's throughput rounds and of its latency pairs at concurrency 1, with their 95%
    intervals, the ms the front adds, and the verdict of each."""
    lines = [
        "| size | miss | throughput front/alone (rounds, 95% CI): verdict | latency p50 front / alone ms "
        "(pairs) | latency front/alone (95% CI): verdict | added ms (95% CI) | load (1 min) |",
        "|---|---|---|---|---|---|---|",
    ]
    for r in results:
        for row in (r.get("front") or {}).get("misses", []):
            t, m = row["throughput"], row["latency"]
            if not m["pairs"]:
                lines.append(f"| {r['size']} | {row['request']} | {t['verdict']} | | {m['verdict']} | | |")
                continue
            lines.append(
                f"| {r['size']} | {row['request']} | {t['ratio']:.3f}× ({t['rounds']}, "
                f"{t['ratio_ci'][0]:.3f}–{t['ratio_ci'][1]:.3f}): {t['verdict']} "
                f"| {m['front_p50_ms']:.3f} / {m['alone_p50_ms']:.3f} ({m['pairs']}) | {m['ratio']:.3f}× "
                f"({m['ratio_ci'][0]:.3f}–{m['ratio_ci'][1]:.3f}): {m['verdict']} | {m['added_ms']:+.3f} "
                f"({m['added_ms_ci'][0]:+.3f} to {m['added_ms_ci'][1]:+.3f}) | {m['load_1min']:.2f} |"
            )
    return lines


def steps_table(results: list[dict]) -> list[str]:
    """(d) each step of the run, when it started and the machine's load average then."""
    lines = ["| size | step | started at (s) | load average (1 min) |", "|---|---|---|---|"]
    for r in results:
        lines += [
            f"| {r['size']} | {s['step']} | {fmt(s['at_s'], 0)} | {fmt(s['load_1min'], 2)} |"
            for s in r.get("steps", [])
        ]
    return lines


def issue15(results: list[dict]) -> list[str]:
    """Issue 15's "Done when" in one place: the per-shape ratios, the queries' times, the front."""
    cores = results[0]["machine"]["usable_cores"] if results else "?"
    out = ["## Issue 15: per-request cost, queries that scale, the caching front", ""]
    for r in results:
        took = f" in {fmt(r.get('seconds'), 0)} s" if r.get("seconds") is not None else ""
        reused = r.get("reused")
        made = (
            f"reused build {reused['folder']} (release {reused['release']}, {reused['date']}, from "
            f"{reused['date_from']})"
            if reused
            else "data generated and built by this run"
        )
        out.append(f"- {r['size']}: {made}; ran{took}, started {r['started']}.")
    out += [
        "",
        f"The machine has {cores} usable cores and may be shared: a load average above that means other"
        " work ran beside the benchmark, and every number below is worth only the load it was measured"
        " under (each table gives it).",
        "",
        "### (a) p50 over `oxigraph serve`, paired, per shape (target ≤ 1.3×; above it in bold)",
        "",
        *ratio_table(results),
        "",
        "### (b) Example and page queries in process, p50 (target < 100 ms)",
        "",
        *queries_table(results),
        "",
        "### (c) Through the caching front (bench/bench_front.py), requests/s, median of rounds",
        "",
        "Ratio: the row's requests/s over the `oxigraph serve` row of the same request; cache/ceiling: a"
        " cached row's over nginx answering 100 bytes from memory (no front is faster on this machine).",
        "",
        *front_table(results),
        "",
        "Misses in pairs: each row's throughput rounds paired by round, and requests at concurrency 1"
        ' alternating between the front and gunicorn alone; "slower" only when the whole interval is.',
        "",
        *misses_table(results),
        "",
        "### (d) The machine's load at each step",
        "",
        *steps_table(results),
        "",
    ]
    return out


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
            bench_queries.table([q for q in result["queries"] if "error" not in q]),
            "",
        ]
    out += issue15([result])
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
        *issue15(results),
    ]
    (folder / "README.md").write_text("\n".join(text), encoding="utf-8")
