"""The page tables stage: the tables (tables.py) and the answers made of them (network.py:
/network.json), written by ``build`` into the release, or, for a release built before them, once when
a server starts (``missing_page_tables``: ``nexus-ld serve`` and gunicorn's ``on_starting``)."""

from __future__ import annotations

import shutil
import sqlite3
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from nexus_ld.pipeline.publish import releases
from nexus_ld.pipeline.publish.network import FILE as NETWORK_FILE
from nexus_ld.pipeline.publish.network_db import DB as NETWORK_DB
from nexus_ld.pipeline.publish.network_db import write_network
from nexus_ld.pipeline.publish.tables import FOLDER as TABLES
from nexus_ld.pipeline.publish.tables import PAGED, QUERIES, plain_rows, write_tables
from nexus_ld.pipeline.publish.timeline import write_events
from nexus_ld.store.embedded import RELEASE_FILE, Store

# Made of the other tables alone (write_network), without a query: a release that lacks only these gets
# them in seconds (under 30 s at 10M triples, pages-s21.md) instead of the stage's every query (900 s at 10M).
NETWORK_FILES = (NETWORK_DB, NETWORK_FILE, NETWORK_FILE + ".gz")


def page_tables(store: Store, release_folder: Path) -> dict[str, int]:
    """The page tables of the release in ``release_folder`` (its store ``store``), then the network's
    made of them; the rows of each table, by name."""
    rows = write_tables(store, release_folder / TABLES)
    con = sqlite3.connect(release_folder / TABLES / PAGED)
    try:
        with con:
            rows["timeline"] = write_events(con, plain_rows(store.named("timeline")))
    finally:
        con.close()
    write_network(store, release_folder)
    return rows


def table_files() -> list[str]:
    """The files of a release's complete page tables (in its ``tables/``)."""
    return [*(f"{name}.json" for name in QUERIES), PAGED, *NETWORK_FILES]


def missing_page_tables(build_dir: Path, progress: Callable[[str], None] = lambda _: None) -> bool:
    """Make the page tables of the release served from ``build_dir`` if it was built before them, or
    before some of them (/network.json, the listings by page); whether it had to. They are written
    into a folder of their own, then each missing file is renamed into the release's ``tables/``: a
    server reading the release sees a file whole or not at all; of two processes doing this at once,
    the second finds the first's files in place and drops its own. The store is opened read-only; the
    rest of the release, and the tables it had, are left as they are.
    """
    folder = releases.served_folder(build_dir)
    missing = [name for name in table_files() if not (folder / TABLES / name).is_file()]
    if not missing or not (folder / RELEASE_FILE).is_file():
        return False
    store = Store.open(folder)
    progress(f"release {store.release.get('release')} lacks page tables ({', '.join(missing)}): writing them")
    started = time.perf_counter()
    work = Path(tempfile.mkdtemp(prefix=".tables-", dir=folder))
    try:
        if set(missing) <= set(NETWORK_FILES):
            (work / TABLES).mkdir()
            write_network(store, folder, work / TABLES)
        else:
            page_tables(store, work)
        (folder / TABLES).mkdir(exist_ok=True)
        for name in missing:
            if not (folder / TABLES / name).exists():
                (work / TABLES / name).rename(folder / TABLES / name)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    progress(f"page tables written in {time.perf_counter() - started:.1f} s")
    return True
