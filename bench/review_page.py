"""What the maintainers' review page costs: the time of `GET /contributions/review` with 1, 10 and 50
pending contributions, and of an entity page with its contribution-notes query, through the app. Each
contribution's digest is kept in the inbox for the release it was made on (at submit); "on another
release" marks them all stale before each request, so that each is made again (parsed, its
restatement queries run), as on the first view after a build.

    python bench/review_page.py --build-dir build [--n 20]

The inbox is a temporary file; nothing in the project or the build is written. No asserts: numbers for
the closing note and docs/contributions.md.
"""

from __future__ import annotations

import argparse
import re
import sqlite3
import tempfile
import time
from pathlib import Path

from bench.bench_sparql_executor import p50_p95
from nexus_ld.config import PROJECT_ROOT, load_settings
from nexus_ld.web.app import create_app

CLAIM = PROJECT_ROOT / "tests" / "data" / "contributions" / "good" / "new-claim.ttl"
TOKEN = "bench-review-token"
PENDING = (1, 10, 50)


def timed(client, path: str, n: int, before=lambda: None) -> tuple[float, float]:
    samples = []
    for _ in range(n):
        before()
        started = time.perf_counter()
        response = client.get(path, headers={"Accept": "text/html"})
        samples.append((time.perf_counter() - started) * 1000)
        assert response.status_code == 200, response.status_code  # a broken page is no measurement
    return p50_p95(samples)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--build-dir", default="build", type=Path)
    parser.add_argument("--n", default=20, type=int, help="requests per measurement")
    args = parser.parse_args()
    body = CLAIM.read_bytes()
    with tempfile.TemporaryDirectory() as folder:
        settings = load_settings(
            {"build_dir": str(args.build_dir), "inbox_path": str(Path(folder) / "inbox.sqlite"),
             "maintainer_token": TOKEN, "contribution_rate_per_minute": 0, "max_pending_per_client": 0,
             "rate_limit_per_minute": 0},
            environ={},
        )  # fmt: skip
        client = create_app(settings).test_client()
        inbox = Path(folder) / "inbox.sqlite"

        def stale() -> None:  # the digests kept were made on another release
            with sqlite3.connect(inbox) as db:
                db.execute("UPDATE contributions SET digest_release = 'another-release'")

        page = client.get("/contributions/review").get_data(as_text=True)
        csrf = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)  # type: ignore[union-attr]
        client.post("/contributions/review/sign-in", data={"token": TOKEN, "csrf_token": csrf})
        print(f"{'what':42} {'p50 ms':>8} {'p95 ms':>8}")
        pending = 0
        for target in PENDING:
            while pending < target:  # the same claim, each body different by a comment (a new SHA-256)
                sent = client.post(
                    "/contributions", data=body + f"# {pending}\n".encode(), content_type="text/turtle"
                )
                assert sent.status_code == 201, sent.get_data(as_text=True)
                pending += 1
            p50, p95 = timed(client, "/contributions/review", args.n)
            print(f"{f'review page, {pending} pending':42} {p50:8.1f} {p95:8.1f}")
            with sqlite3.connect(inbox) as db:  # an inbox made before kept digests (bench an older tree)
                columns = {row[1] for row in db.execute("PRAGMA table_info(contributions)")}
            if "digest_release" in columns:
                p50, p95 = timed(client, "/contributions/review", args.n, stale)
                print(f"{'  the same, first view on a new release':42} {p50:8.1f} {p95:8.1f}")
        p50, p95 = timed(client, "/doc/group/ttp", args.n)
        print(f"{'/doc/group/ttp (with contribution notes)':42} {p50:8.1f} {p95:8.1f}")


if __name__ == "__main__":
    main()
