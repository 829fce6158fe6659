"""What accepting a contribution costs with 1, 100 and 1,000 contributions already accepted: the time of
`review.accept` (re-validation, the duplicate-source and minted-IRI checks, writing the file) for a
contribution that ships a source with its text, the case whose check once read every accepted file.

    python -m bench.contributions_accept --build-dir build [--sizes 1,100,1000] [--n 10]

The accepted contributions are copies of one real accepted file, each about its own source and claim;
they, the inbox and every accepted file live in a temporary copy of the project's inputs (the build is
only read). With the described index, the first accept of a size rebuilds the index from the files
when the inbox has none (reported apart: once per inbox). No asserts: numbers for
bench/results/contributions-s20.md.
"""

from __future__ import annotations

import argparse
import hashlib
import shutil
import tempfile
import time
from pathlib import Path

from bench.bench_sparql_executor import p50_p95
from nexus_ld.config import PROJECT_ROOT, load_settings
from nexus_ld.contributions import review
from nexus_ld.contributions.inbox import Inbox
from nexus_ld.contributions.service import Validator

SOURCE = PROJECT_ROOT / "tests" / "data" / "contributions" / "good" / "new-source-with-text.ttl"
NAMES = ("contributed-field-note", "contributed-ttp-active-border-districts")  # its source and claim


def body(tag: str) -> bytes:
    """The fixture with its source and claim renamed by ``tag`` (a new contribution each time)."""
    text = SOURCE.read_text(encoding="utf-8")
    for name in NAMES:
        text = text.replace(name, f"{name}-{tag}")
    return text.encode("utf-8")


def pending(inbox: Inbox, tag: str) -> str:
    data = body(tag)
    return inbox.add(body=data, sha256=hashlib.sha256(data).hexdigest(), fmt="turtle", report={}).id


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--build-dir", default="build", type=Path)
    parser.add_argument("--sizes", default="1,100,1000", help="accepted contributions before timing")
    parser.add_argument("--n", default=10, type=int, help="accepts timed per size")
    args = parser.parse_args()
    print(f"{'accepted before':>16} {'first accept ms':>16} {'p50 ms':>8} {'p95 ms':>8}")
    for size in (int(s) for s in args.sizes.split(",")):
        with tempfile.TemporaryDirectory() as folder:
            project = Path(folder) / "project"
            for name in ("data", "ontology", "shapes"):
                shutil.copytree(PROJECT_ROOT / name, project / name)
            settings = load_settings(
                {"project_dir": str(project), "build_dir": str(args.build_dir.resolve())}, environ={}
            )
            inbox, validator = Inbox(Path(folder) / "inbox.sqlite"), Validator.from_settings(settings)
            accepted = review.accept(inbox, validator, pending(inbox, "model"), "bench")
            model = (project / str(accepted.file)).read_text(encoding="utf-8")
            folder_of = project / "data" / review.FOLDER
            for i in range(1, size):  # copies under their own names, as if accepted one by one
                copy = model.replace(accepted.id, f"bench-{i:06d}")
                for name in NAMES:
                    copy = copy.replace(f"{name}-model", f"{name}-copy{i}")
                (folder_of / f"bench-{i:06d}.ttl").write_text(copy, encoding="utf-8")
            fresh = Inbox(Path(folder) / "fresh.sqlite")  # no index yet: the first accept builds it
            started = time.perf_counter()
            review.accept(fresh, validator, pending(fresh, "first"), "bench")
            first = (time.perf_counter() - started) * 1000
            samples = []
            for i in range(args.n):
                entry_id = pending(fresh, f"timed{i}")
                started = time.perf_counter()
                review.accept(fresh, validator, entry_id, "bench")
                samples.append((time.perf_counter() - started) * 1000)
            p50, p95 = p50_p95(samples)
            print(f"{size:>16} {first:16.1f} {p50:8.1f} {p95:8.1f}")


if __name__ == "__main__":
    main()
