#!/usr/bin/env python3
"""What the page tables cost a server process: the app is made in a fresh process on a build, then each
page that reads the tables is asked once, in order, through Flask's test client; printed for each are
the first request's time to its last byte (it reads the tables that page needs, once per release and
process) and the process's resident memory after it, the answer dropped (VmRSS: what the process keeps;
``/usr/bin/time -v`` gives the peak). Asserts nothing.

    python bench/bench_page_memory.py /tmp/nx-pages-bench/1M/build [--json out.json]
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path


def rss_mb() -> float:
    """The resident memory of this process (VmRSS), MB."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    raise RuntimeError("no VmRSS in /proc/self/status")


PATHS = ("/", "/events", "/events?page=2", "/groups", "/relationships", "/people", "/places", "/sources",
         "/claims", "/claims?status=allegation", "/timeline", "/network.json", "/network",
         "/network.json?status=all")  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("build", type=Path, help="a build folder (build_dir)")
    parser.add_argument("--json", type=Path, help="write the numbers here too")
    args = parser.parse_args()
    from nexus_ld.config import load_settings
    from nexus_ld.web.app import create_app

    start = rss_mb()
    settings = {"build_dir": str(args.build), "rate_limit_per_minute": 0}
    settings["inbox_path"] = str(args.build.parent / "inbox-memory.sqlite")
    client = create_app(load_settings(settings, environ={})).test_client()
    rows = [{"path": "(app made)", "first_ms": None, "bytes": None, "rss_mb": round(rss_mb(), 1)}]
    for path in PATHS:
        t0 = time.perf_counter()
        r = client.get(path, headers={"Accept": "application/json" if ".json" in path else "text/html"})
        size = len(r.get_data())  # a streamed answer is made as it is read: timed to its last byte
        ms = (time.perf_counter() - t0) * 1000
        if r.status_code != 200:
            raise RuntimeError(f"{path}: {r.status_code} {r.get_data(as_text=True)[:200]}")
        del r  # what the process keeps, not the answer this client holds
        rows.append({"path": path, "first_ms": round(ms, 1), "bytes": size, "rss_mb": round(rss_mb(), 1)})
    print(f"process before the app: {start:.1f} MB")
    print("| page (first request, in order) | ms | bytes | RSS after (MB) |\n|---|---|---|---|")
    for row in rows:
        ms = "" if row["first_ms"] is None else f"{row['first_ms']:,.1f}"
        size = "" if row["bytes"] is None else f"{row['bytes']:,}"
        print(f"| `{row['path']}` | {ms} | {size} | {row['rss_mb']:,.1f} |")
    if args.json:
        args.json.write_text(json.dumps({"start_mb": start, "rows": rows}, indent=1))


if __name__ == "__main__":
    main()
