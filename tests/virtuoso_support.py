"""A real Virtuoso (Debian's ``virtuoso-opensource``, 7.2) for the tests: a database in a temp folder with
its own virtuoso.ini (SQL and HTTP ports free on 127.0.0.1), the release's N-Quads dump bulk-loaded with
``isql-vt`` (``ld_dir`` + ``rdf_loader_run`` + ``checkpoint``), stopped at the end.

These are the steps docs/scaling.md gives a user; ``./dev.sh test`` installs the package when it is
missing (as it installs Chromium), and a test run without it fails saying so: nothing is skipped."""

from __future__ import annotations

import shutil
import subprocess
import time
from pathlib import Path

import pytest

from tests.conftest import free_port, stop_process, wait_until_responds

VIRTUOSO = shutil.which("virtuoso-t")
ISQL = shutil.which("isql-vt")
START_TIMEOUT_S = 120  # a new database is created on the first start (about 7 s on 2 cores)
LOAD_TIMEOUT_S = 300

# The shape of Debian's /etc/virtuoso-opensource-7/virtuoso.ini cut to what a test database needs: every
# file in the folder, both ports on 127.0.0.1, the bulk loader allowed to read the dump folder only.
INI = """\
[Database]
DatabaseFile = {db}/virtuoso.db
ErrorLogFile = {db}/virtuoso.log
LockFile = {db}/virtuoso.lck
TransactionFile = {db}/virtuoso.trx
xa_persistent_file = {db}/virtuoso.pxa
MaxCheckpointRemap = 2000
Striping = 0
TempStorage = TempDatabase

[TempDatabase]
DatabaseFile = {db}/virtuoso-temp.db
TransactionFile = {db}/virtuoso-temp.trx
MaxCheckpointRemap = 2000
Striping = 0

[Parameters]
ServerPort = 127.0.0.1:{sql_port}
DisableUnixSocket = 1
MaxClientConnections = 10
CheckpointInterval = 60
CaseMode = 2
DirsAllowed = ., {load}
NumberOfBuffers = 10000
MaxDirtyBuffers = 6000
ThreadsPerQuery = 2
MaxQueryMem = 256M

[HTTPServer]
ServerPort = 127.0.0.1:{http_port}
ServerRoot = /var/lib/virtuoso-opensource-7/vsp
MaxClientConnections = 10
ServerThreads = 10
EnabledDavVSP = 0
Charset = UTF-8

[SPARQL]
ResultSetMaxRows = 100000
MaxQueryExecutionTime = 60
MaxQueryCostEstimationTime = 400
"""


class Virtuoso:
    """``virtuoso-t +foreground`` on a database in ``folder``; ``sparql_url`` is its SPARQL endpoint."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.db, self.load_dir = folder / "db", folder / "load"
        self.sql_port, self.http_port = free_port(), free_port()
        self.sparql_url = f"http://127.0.0.1:{self.http_port}/sparql"
        self.log = folder / "virtuoso.out"
        self.proc: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        """Write virtuoso.ini, start the server and wait for its SPARQL endpoint."""
        if not (VIRTUOSO and ISQL):
            pytest.fail(
                "virtuoso-t or isql-vt not found: install Debian's package (apt-get install -y"
                " virtuoso-opensource; ./dev.sh test does it as root); the Virtuoso tests are not skipped.",
                pytrace=False,
            )
        self.db.mkdir(parents=True)
        self.load_dir.mkdir()
        ini = self.folder / "virtuoso.ini"
        ini.write_text(
            INI.format(db=self.db, load=self.load_dir, sql_port=self.sql_port, http_port=self.http_port),
            encoding="utf-8",
        )
        with self.log.open("wb") as log:
            self.proc = subprocess.Popen(
                [VIRTUOSO, "+foreground", "+configfile", str(ini)], cwd=self.db, stdout=log, stderr=log
            )
        wait_until_responds(self.sparql_url + "?query=ASK%7B%7D", START_TIMEOUT_S, self.proc, self.log)

    def isql(self, *statements: str) -> str:
        """Run SQL statements as dba (the password of a new database) through ``isql-vt``."""
        assert ISQL
        done = subprocess.run(
            [ISQL, f"127.0.0.1:{self.sql_port}", "dba", "dba", "exec=" + " ".join(statements)],
            capture_output=True,
            text=True,
            timeout=LOAD_TIMEOUT_S,
            check=False,
        )
        if done.returncode != 0 or "*** Error" in done.stdout + done.stderr:
            raise RuntimeError(
                f"isql-vt failed ({done.returncode}): {done.stdout[-2000:]} {done.stderr[-2000:]}"
            )
        return done.stdout

    def load(self, nquads_gz: Path) -> float:
        """Bulk-load an N-Quads dump (each quad into its own graph); returns the seconds it took."""
        started = time.monotonic()
        shutil.copy(nquads_gz, self.load_dir / nquads_gz.name)
        self.isql(
            f"ld_dir('{self.load_dir}', '*.nq.gz', 'urn:x-nexus-ld:unnamed');",
            "rdf_loader_run();",
            "checkpoint;",
        )
        # rdf_loader_run records a file it could not read in load_list instead of failing.
        errors = self.isql("SELECT ll_file, ll_error FROM DB.DBA.load_list WHERE ll_error IS NOT NULL;")
        if "0 Rows." not in errors:
            raise RuntimeError(f"Virtuoso could not load {nquads_gz.name}: {errors}")
        return time.monotonic() - started

    def stop(self) -> None:
        if self.proc is not None:
            stop_process(self.proc)
