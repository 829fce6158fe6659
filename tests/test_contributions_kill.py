"""A real server process killed with SIGKILL in the middle of a stream of submissions loses nothing it
acknowledged and leaves no half-written contribution; restarted on the same inbox, it serves them all."""

from __future__ import annotations

import hashlib
import os
import signal
import sqlite3
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
import requests
from conftest import free_port, wait_until_responds
from contributions_support import GOOD

from nexus_ld.config import Settings

pytestmark = pytest.mark.live  # a server process killed mid-write

CLAIM = "claim:contributed-ttp-aims-to-overthrow-government"


def start_server(settings, inbox: Path) -> tuple[subprocess.Popen, str]:
    port = free_port()
    args = [sys.executable, "-m", "nexus_ld"]
    for name, value in {
        "project_dir": settings.project,
        "build_dir": settings.build,
        "inbox_path": inbox,
        "contribution_rate_per_minute": 0,
    }.items():
        args += ["--setting", name, str(value)]
    env = {k: v for k, v in os.environ.items() if not k.startswith("NEXUS_LD_")}
    process = subprocess.Popen(
        [*args, "serve", "--port", str(port)], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    url = f"http://127.0.0.1:{port}"
    wait_until_responds(url + "/healthz", 60, process)
    return process, url


def bodies(count: int) -> list[bytes]:
    """Distinct valid contributions: the good claim under ``count`` different IRIs."""
    text = (GOOD / "new-claim.ttl").read_text(encoding="utf-8")
    return [text.replace(CLAIM, f"{CLAIM}-{n}").encode("utf-8") for n in range(count)]


def test_kill_9_mid_write_loses_nothing_acknowledged(tmp_path: Path, bundled: Settings) -> None:
    settings = bundled  # read-only: the server writes to its own inbox
    inbox = tmp_path / "inbox" / "contributions.sqlite"
    process, url = start_server(settings, inbox)
    acknowledged: dict[str, str] = {}  # id -> sha256 of the body the server answered 201 for
    lock = threading.Lock()
    pending = bodies(400)

    def submit_loop(offset: int) -> None:
        for body in pending[offset::4]:
            try:
                response = requests.post(
                    url + "/contributions", data=body, headers={"Content-Type": "text/turtle"}, timeout=10
                )
            except requests.RequestException:
                return  # the server is gone
            if response.status_code == 201:
                with lock:
                    acknowledged[response.json()["id"]] = hashlib.sha256(body).hexdigest()

    threads = [threading.Thread(target=submit_loop, args=(i,)) for i in range(4)]
    for thread in threads:
        thread.start()
    deadline = time.monotonic() + 60
    while len(acknowledged) < 15 and time.monotonic() < deadline:
        time.sleep(0.01)
    os.kill(process.pid, signal.SIGKILL)  # mid-stream: requests are being validated and written
    process.wait(timeout=10)
    for thread in threads:
        thread.join(timeout=30)
    assert process.returncode == -signal.SIGKILL
    assert len(acknowledged) >= 15
    assert len(acknowledged) < len(pending)  # it really was killed before the end

    # Open the inbox as a crashed process left it: consistent, every acknowledged row whole.
    with sqlite3.connect(inbox) as db:
        assert db.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        rows = {r[0]: (r[1], r[2]) for r in db.execute("SELECT id, sha256, body FROM contributions")}
    for entry_id, sha256 in acknowledged.items():
        assert entry_id in rows, f"acknowledged contribution {entry_id} was lost"
        stored_sha, body = rows[entry_id]
        assert stored_sha == sha256 == hashlib.sha256(body).hexdigest()
    for stored_sha, body in rows.values():  # nothing half-written, acknowledged or not
        assert hashlib.sha256(body).hexdigest() == stored_sha
        assert body.startswith(b"# A new triple claim") and body.rstrip().endswith(b".")

    # Restarted on the same inbox: every contribution is served, and new ones are taken.
    process, url = start_server(settings, inbox)
    try:
        for entry_id, sha256 in acknowledged.items():
            status = requests.get(
                f"{url}/contributions/{entry_id}", headers={"Accept": "application/json"}, timeout=10
            )
            assert status.status_code == 200
            assert (status.json()["status"], status.json()["sha256"]) == ("pending", sha256)
        fresh = requests.post(
            url + "/contributions", data=bodies(401)[400], headers={"Content-Type": "text/turtle"}, timeout=30
        )
        assert fresh.status_code == 201, fresh.text
    finally:
        process.kill()
        process.wait(timeout=10)
