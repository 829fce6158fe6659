"""Hostile clients against a running server, bounded and on loopback only (issue 11, finding 5).

The attacker is 127.0.0.1: slowloris connections that send their headers a byte a second, and slow
cross-join queries, resent as soon as they end. The victim is 127.0.0.2 (loopback too, so the front
sees another client address): it asks /healthz and a normal query in turn and records each answer.

The production command itself comes from the README's production section, so that what is tested is
exactly what is documented. ``python -m tests.security.front_attack`` runs the attack against it, or
against the former bare gunicorn command, and prints the figures (the worker-model measurements of
docs/security.md).
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import re
import shlex
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from tests.conftest import stop_process

ROOT = Path(__file__).resolve().parents[2]
ATTACKER, VICTIM = "127.0.0.1", "127.0.0.2"
CROSS_JOIN = "SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i }"  # hours on the bundled data
NORMAL = "ASK { group:ttp ?p ?o }"
CLIENT_TIMEOUT_S = 10.0  # what "keeps answering" means: an answer within this
# Placeholders of the README's commands, replaced by free ports and temporary folders.
FRONT, BACK, PREFIX, BUILD = "127.0.0.1:8000", "127.0.0.1:8001", "/var/lib/nexus-ld/nginx", "$PWD/build"
# The README's command before issue 11: bare gunicorn, for the figures of what it fixed.
BARE = (
    f"NEXUS_LD_BUILD_DIR={BUILD} gunicorn -w 2 -b {FRONT} --limit-request-line 8190 "
    "'nexus_ld.web.app:create_app()'"
)


def readme_commands() -> list[str]:
    """The shell lines of the README's production section (between its ``production`` markers)."""
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    block = re.search(r"<!-- production -->\s*```sh\n(.*?)```\s*<!-- /production -->", text, re.S)
    if block is None:
        raise LookupError("README.md has no <!-- production --> ... <!-- /production --> block")
    return [line for line in block.group(1).splitlines() if line.strip() and not line.startswith("#")]


def cached_commands() -> list[str]:
    """The README's production commands, nginx's configuration with a cache under its prefix (issue 15;
    tests/test_front_cache.py, and the attacks on the cache here)."""
    lines = []
    for line in readme_commands():
        if line.startswith("nexus-ld nginx-config"):
            command, _, target = line.partition(" > ")
            line = f"{command} --cache-dir {PREFIX}/cache > {target}"
        lines.append(line)
    if not any("--cache-dir" in line for line in lines):
        raise LookupError("the README's production section has no nginx-config line")
    return lines


def need_nginx() -> str:
    """Debian's nginx, installed when missing (as dev.sh does for the tests)."""
    found = shutil.which("nginx") or shutil.which("/usr/sbin/nginx")
    if found:
        return found
    if os.geteuid() == 0 and shutil.which("apt-get"):
        env = os.environ | {"DEBIAN_FRONTEND": "noninteractive"}
        subprocess.run(["apt-get", "update", "-qq"], check=True, env=env, capture_output=True)
        subprocess.run(["apt-get", "install", "-y", "-qq", "nginx"], check=True, env=env, capture_output=True)
        found = shutil.which("nginx") or shutil.which("/usr/sbin/nginx")
    if not found:
        raise RuntimeError("the production tests need nginx: apt-get install nginx")
    return found


@dataclass
class Production:
    url: str  # what clients call: nginx, or gunicorn itself for the bare command
    upstream: str = ""  # host:port of gunicorn behind nginx
    processes: list[subprocess.Popen] = field(default_factory=list)
    logs: list[Path] = field(default_factory=list)


def _argv(words: list[str]) -> tuple[dict[str, str], list[str]]:
    """Leading NAME=value words as environment, the rest with this venv's programs."""
    env = {}
    while words and re.fullmatch(r"[A-Z_][A-Z0-9_]*=.*", words[0]):
        name, value = words.pop(0).split("=", 1)
        env[name] = value
    program = {
        "nexus-ld": [sys.executable, "-m", "nexus_ld"],
        "gunicorn": [sys.executable, "-m", "gunicorn"],
        "nginx": [need_nginx()],
    }.get(words[0])
    if program is None:
        raise ValueError(f"the production section runs {words[0]!r}, which this harness does not know")
    return env, program + words[1:]


def _wait(url: str, processes: list[subprocess.Popen], logs: list[Path], timeout: float = 90.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        for proc, log in zip(processes, logs, strict=True):
            if proc.poll() is not None:
                raise RuntimeError(
                    f"{proc.args[:3]} exited with {proc.returncode}: {log.read_text()[-2000:]}"
                )
        try:
            if get(url, "/healthz", ATTACKER, 5.0)[0] == 200:
                return
        except OSError:
            pass
        time.sleep(0.1)
    raise RuntimeError(f"{url} did not answer within {timeout} s")


@contextmanager
def production(build: Path, commands: list[str], free_port, settings: dict[str, str]) -> Iterator[Production]:
    """Run ``commands`` (the README's, placeholders replaced) on free loopback ports; stop them after.

    ``settings``: NEXUS_LD_* variables for the test's sake (a temporary inbox), not the command's.
    """
    front, back = f"127.0.0.1:{free_port()}", f"127.0.0.1:{free_port()}"
    with ExitStack() as stack:
        folder = Path(tempfile.mkdtemp(prefix="nexus-ld-front-"))
        stack.callback(shutil.rmtree, folder, True)
        prefix = folder / "nginx"
        prefix.mkdir()
        folder.chmod(0o755)  # nginx's workers (nobody, when run as root) write their buffers under it
        prefix.chmod(0o755)
        base_env = {k: v for k, v in os.environ.items() if not k.startswith("NEXUS_LD_")} | settings
        run = Production(f"http://{front}", back)
        for line in commands:
            line = line.replace(FRONT, front).replace(BACK, back).replace(PREFIX, str(prefix))
            line = line.replace(BUILD, str(build))
            words = shlex.split(line)
            if words[:2] in (["nexus-ld", "build"], ["mkdir", "-p"]):
                continue  # the session's build and the folder made above
            out = None
            if ">" in words:
                out, words = Path(words[words.index(">") + 1]), words[: words.index(">")]
            env, argv = _argv(words)
            if out is not None:
                out.write_bytes(
                    subprocess.run(argv, env=base_env | env, check=True, capture_output=True).stdout
                )
                continue
            log = folder / f"{len(run.logs)}.log"
            with open(log, "wb") as stderr:  # a file, not a pipe: a full pipe would block the server
                proc = subprocess.Popen(argv, env=base_env | env, cwd=folder, stderr=stderr, stdout=stderr)
            run.processes.append(proc)
            run.logs.append(log)
            stack.callback(stop_process, proc)
        _wait(run.url, run.processes, run.logs)
        yield run


def get(url: str, path: str, source: str, timeout: float) -> tuple[int, bytes]:
    """One GET on a fresh connection from ``source`` (a loopback address): (status, body)."""
    parts = urllib.parse.urlsplit(url)
    conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=timeout, source_address=(source, 0))
    try:
        conn.request("GET", path, headers={"Accept": "application/json"})
        response = conn.getresponse()
        return response.status, response.read()
    finally:
        conn.close()


def query_path(text: str) -> str:
    return "/sparql?" + urllib.parse.urlencode({"query": text})


@dataclass
class Figures:
    """What the victim saw: per kind of request, latencies of answers and what failed."""

    latencies: dict[str, list[float]] = field(default_factory=dict)
    failures: dict[str, list[str]] = field(default_factory=dict)
    attacker_statuses: dict[str, int] = field(default_factory=dict)
    slowloris_reconnects: int = 0

    def record(self, kind: str, elapsed: float | None, failure: str | None = None) -> None:
        self.latencies.setdefault(kind, [])
        self.failures.setdefault(kind, [])
        if failure is None:
            self.latencies[kind].append(elapsed or 0.0)
        else:
            self.failures[kind].append(failure)

    def summary(self) -> dict[str, dict[str, float | int]]:
        out: dict[str, dict[str, float | int]] = {}
        for kind, times in self.latencies.items():
            out[kind] = {
                "answered": len(times),
                "failed": len(self.failures[kind]),
                "p50_ms": round(statistics.median(times) * 1000, 1) if times else -1,
                "max_ms": round(max(times) * 1000, 1) if times else -1,
            }
        return out


def _slowloris(url: str, stop: threading.Event, figures: Figures, lock: threading.Lock) -> None:
    """One slowloris connection: a request's headers a byte a second, reconnecting when cut off."""
    parts = urllib.parse.urlsplit(url)
    head = f"GET /healthz HTTP/1.1\r\nHost: {parts.netloc}\r\n".encode() + b"X-Slow: " + b"a" * 4096
    while not stop.is_set():
        try:
            with socket.create_connection((parts.hostname, parts.port), 5, source_address=(ATTACKER, 0)) as s:
                for byte in head:
                    s.sendall(bytes([byte]))
                    if stop.wait(1.0):
                        return
        except OSError:
            pass  # cut off by the server: come back, as a real attacker does
        with lock:
            figures.slowloris_reconnects += 1
        stop.wait(0.2)


def _slow_queries(url: str, stop: threading.Event, figures: Figures, lock: threading.Lock) -> None:
    """A cross join, sent again as soon as it ends (a 503 at the time limit, or a 429)."""
    while not stop.is_set():
        try:
            status, _ = get(url, query_path(CROSS_JOIN), ATTACKER, 60.0)
            key = str(status)
            if status == 429:
                stop.wait(
                    0.05
                )  # refused at once: retry at 20/s, not in a loop that only burns the test's CPU
        except OSError as exc:
            key = type(exc).__name__
            stop.wait(0.5)
        with lock:
            figures.attacker_statuses[key] = figures.attacker_statuses.get(key, 0) + 1


def _victim(url: str, stop: threading.Event, figures: Figures) -> None:
    """/healthz and a normal query in turn, each a fresh connection from the victim's address."""
    checks = (("healthz", "/healthz", {"status": "ok"}), ("query", query_path(NORMAL), True))
    while not stop.is_set():
        for kind, path, expected in checks:
            started = time.monotonic()
            try:
                status, body = get(url, path, VICTIM, CLIENT_TIMEOUT_S)
            except OSError as exc:
                figures.record(kind, None, f"{type(exc).__name__}: {exc}")
                continue
            answer = json.loads(body) if status == 200 else None
            got = answer if kind == "healthz" else (answer or {}).get("boolean")
            if status == 200 and got == expected:
                figures.record(kind, time.monotonic() - started)
            else:
                figures.record(kind, None, f"{status}: {body[:200]!r}")
        stop.wait(0.25)


def attack(url: str, seconds: float, slowloris: int = 20, slow_queries: int = 2) -> Figures:
    """``slowloris`` connections and ``slow_queries`` cross joins from the attacker, the victim's
    checks meanwhile; everything stops after ``seconds`` (the threads end within a client timeout)."""
    figures, lock, stop = Figures(), threading.Lock(), threading.Event()
    threads = [threading.Thread(target=_slowloris, args=(url, stop, figures, lock)) for _ in range(slowloris)]
    threads += [
        threading.Thread(target=_slow_queries, args=(url, stop, figures, lock)) for _ in range(slow_queries)
    ]
    for thread in threads:
        thread.start()
    time.sleep(2.0)  # the attack is under way before the victim asks
    victim = threading.Thread(target=_victim, args=(url, stop, figures))
    victim.start()
    stop.wait(seconds)
    stop.set()
    victim.join()
    settle = time.monotonic() + 15.0  # a slow query still running ends at query_timeout_s with a 503
    for thread in threads:
        thread.join(max(0.0, settle - time.monotonic()))
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--build", required=True, type=Path, help="A built store (nexus-ld build).")
    parser.add_argument("--command", choices=["readme", "bare"], default="readme")
    parser.add_argument(
        "--gunicorn", help="Replace the README's gunicorn options (from -k/-w on) with these."
    )
    parser.add_argument("--seconds", type=float, default=30.0)
    parser.add_argument("--slowloris", type=int, default=20, help="Slowloris connections.")
    parser.add_argument("--slow-queries", type=int, default=2, help="Cross joins in flight.")
    args = parser.parse_args()
    commands = readme_commands() if args.command == "readme" else [BARE]
    if args.gunicorn:
        commands = [
            re.sub(r"gunicorn .*? -b", f"gunicorn {args.gunicorn} -b", c) if "gunicorn" in c else c
            for c in commands
        ]

    def free_port() -> int:
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            return s.getsockname()[1]

    inbox = Path(tempfile.mkdtemp(prefix="nexus-ld-inbox-")) / "contributions.sqlite"
    with production(args.build, commands, free_port, {"NEXUS_LD_INBOX_PATH": str(inbox)}) as run:
        figures = attack(run.url, args.seconds, args.slowloris, args.slow_queries)
    print(
        json.dumps(
            {
                "commands": commands,
                "victim": figures.summary(),
                "attacker": figures.attacker_statuses,
                "slowloris_reconnects": figures.slowloris_reconnects,
            },
            indent=1,
        )
    )


if __name__ == "__main__":
    main()
