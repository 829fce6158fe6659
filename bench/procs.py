"""Child processes of the benchmark: run a command and measure it; start a server, wait until it
answers, read its peak memory, stop it.

Peak memory is the kernel's own high-water mark of resident memory (``VmHWM`` in
``/proc/<pid>/status``), summed over the process tree (gunicorn's master and workers), or
``ru_maxrss`` of a finished child from ``os.wait4``. Every process started here runs in its own
session, so that stopping it stops its workers too and nothing else.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import threading
import time
from dataclasses import dataclass
from pathlib import Path

import requests


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@dataclass
class Finished:
    """A command that ran to its end (or was stopped at its time limit)."""

    argv: list[str]
    seconds: float
    peak_rss_mb: float
    returncode: int | None
    stdout: str
    stderr: str
    timed_out: bool = False
    lines: list[tuple[float, str]] | None = None  # (seconds since start, stderr line)

    @property
    def ok(self) -> bool:
        return self.returncode == 0 and not self.timed_out


def run(argv: list[str], env: dict[str, str] | None = None, timeout: float = 3600.0) -> Finished:
    """Run ``argv`` to its end; time it, take its peak RSS, and timestamp each stderr line (progress)."""
    started = time.perf_counter()
    proc = subprocess.Popen(
        argv,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
    )
    lines: list[tuple[float, str]] = []

    out_chunks: list[str] = []

    def read_stdout() -> None:
        out_chunks.append(proc.stdout.read())

    def read_stderr() -> None:
        for line in proc.stderr:
            lines.append((time.perf_counter() - started, line.rstrip("\n")))

    readers = [threading.Thread(target=f, daemon=True) for f in (read_stdout, read_stderr)]
    for t in readers:
        t.start()
    timed_out = False
    deadline = started + timeout
    try:
        while True:
            pid, status, usage = os.wait4(proc.pid, os.WNOHANG)
            if pid:
                break
            if time.perf_counter() > deadline:
                timed_out = True
                os.killpg(proc.pid, signal.SIGKILL)
                pid, status, usage = os.wait4(proc.pid, 0)
                break
            time.sleep(0.01)
    except BaseException:
        # Stopped (SIGTERM, Ctrl-C): the step must not outlive the benchmark.
        os.killpg(proc.pid, signal.SIGKILL)
        raise
    seconds = time.perf_counter() - started
    proc.returncode = os.waitstatus_to_exitcode(status)
    for t in readers:
        t.join()
    return Finished(
        argv,
        seconds,
        usage.ru_maxrss / 1024,
        proc.returncode,
        "".join(out_chunks),
        "\n".join(line for _, line in lines),
        timed_out,
        lines,
    )


def tree(pid: int) -> list[int]:
    """``pid`` and all its descendants (from /proc/<pid>/task/*/children)."""
    found, todo = [], [pid]
    while todo:
        current = todo.pop()
        found.append(current)
        for task in Path(f"/proc/{current}/task").glob("*"):
            try:
                todo += [int(c) for c in (task / "children").read_text().split()]
            except OSError:
                pass
    return found


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of ``pid`` and its live descendants (``/proc/<pid>/stat``), in seconds:
    what a server spent, whatever else the machine ran meanwhile (a latency is not)."""
    ticks = 0
    for p in tree(pid):
        try:
            fields = Path(f"/proc/{p}/stat").read_text().rpartition(")")[2].split()
        except OSError:
            continue
        ticks += int(fields[11]) + int(fields[12])  # utime, stime (fields 14 and 15 of proc(5))
    return ticks / os.sysconf("SC_CLK_TCK")


def peak_rss_mb(pid: int) -> float:
    """Sum of VmHWM over the process tree of ``pid``, in MiB."""
    total = 0
    for p in tree(pid):
        try:
            for line in Path(f"/proc/{p}/status").read_text().splitlines():
                if line.startswith("VmHWM:"):
                    total += int(line.split()[1])
        except OSError:
            pass
    return total / 1024


class Server:
    """A server under test, started as a child process and polled until it answers a query."""

    def __init__(
        self,
        name: str,
        argv: list[str],
        url: str,
        endpoint: str,
        env: dict[str, str] | None = None,
        params: list[tuple[str, str]] | None = None,
    ):
        self.name = name
        self.params = params or []  # protocol parameters sent with every query (default-graph-uri)
        self.argv = argv
        self.url = url
        self.endpoint = endpoint  # full URL of its SPARQL endpoint
        self.env = env
        self.proc: subprocess.Popen | None = None
        self.ready_s: float | None = None
        self.log = Path(os.environ.get("TMPDIR", "/tmp")) / f"nexus-ld-bench-{name}-{os.getpid()}.log"

    def start(self, timeout: float = 600.0) -> float:
        """Start and wait until ``ASK {}`` answers 200; returns the seconds from spawn to ready.

        Raises:
            RuntimeError: when the process exits or does not answer within ``timeout``.
        """
        log = open(self.log, "wb")
        started = time.perf_counter()
        self.proc = subprocess.Popen(
            self.argv, env=self.env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
        )
        deadline = started + timeout
        with requests.Session() as session:
            while time.perf_counter() < deadline:
                if self.proc.poll() is not None:
                    raise RuntimeError(f"{self.name} exited with {self.proc.returncode}: {self.tail()}")
                try:
                    r = session.get(
                        self.endpoint,
                        params={"query": "ASK {}"},
                        timeout=2,
                        headers={"Accept": "application/sparql-results+json"},
                    )
                    if r.status_code == 200:
                        self.ready_s = time.perf_counter() - started
                        return self.ready_s
                except requests.RequestException:
                    pass
                time.sleep(0.005)
        self.stop()
        raise RuntimeError(f"{self.name} did not answer within {timeout} s: {self.tail()}")

    def peak_rss_mb(self) -> float:
        return peak_rss_mb(self.proc.pid) if self.proc else 0.0

    def tail(self, lines: int = 15) -> str:
        try:
            return "\n".join(self.log.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return ""

    def stop(self) -> None:
        """Stop the server's whole session (its workers too), politely first."""
        if not self.proc or self.proc.poll() is not None:
            return
        try:
            os.killpg(self.proc.pid, signal.SIGTERM)
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait()
        except ProcessLookupError:
            pass

    def __enter__(self) -> Server:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()
        self.log.unlink(missing_ok=True)
