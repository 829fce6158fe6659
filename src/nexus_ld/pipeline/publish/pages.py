"""The page tables stage: the tables (tables.py) and the answers made of them (network.py:
/network.json), written by ``build`` into the release, or, for a release built before them, once when
a server starts (``missing_page_tables``: ``nexus-ld serve`` and gunicorn's ``on_starting``)."""

from __future__ import annotations

import shutil
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from nexus_ld.pipeline.publish import releases
from nexus_ld.pipeline.publish.network import FILE as NETWORK_FILE
from nexus_ld.pipeline.publish.network import write_network
from nexus_ld.pipeline.publish.tables import FOLDER as TABLES
from nexus_ld.pipeline.publish.tables import write_tables
from nexus_ld.store.embedded import RELEASE_FILE, Store


def page_tables(store: Store, release_folder: Path) -> dict[str, int]:
    """The page tables of the release in ``release_folder`` (its store ``store``), then the answer of
    /network.json made of them; the rows of each table, by name."""
    rows = write_tables(store, release_folder / TABLES)
    write_network(store, release_folder)
    return rows


def missing_page_tables(build_dir: Path, progress: Callable[[str], None] = lambda _: None) -> bool:
    """Make the page tables of the release served from ``build_dir`` if it was built before them (or
    before /network.json was written with them); whether it had to. The tables go into a folder of
    their own first and are renamed into the release whole, so that a server reading the release never
    sees half of them; of two processes doing this at once, the second's rename fails and it keeps the
    first's. The store is opened read-only, the rest of the release is left as it is.
    """
    folder = releases.served_folder(build_dir)
    if (folder / TABLES / NETWORK_FILE).is_file() or not (folder / RELEASE_FILE).is_file():
        return False
    store = Store.open(folder)
    started = time.perf_counter()
    if (folder / TABLES).is_dir():  # tables from before /network.json was one: add it
        progress(f"writing {TABLES}/{NETWORK_FILE} for release {store.release.get('release')}")
        write_network(store, folder)
    else:
        progress(f"release {store.release.get('release')} has no page tables: writing them")
        work = Path(tempfile.mkdtemp(prefix=".tables-", dir=folder))
        try:
            page_tables(store, work)
            (work / TABLES).rename(folder / TABLES)
        except OSError:
            if not (folder / TABLES / NETWORK_FILE).is_file():
                raise
        finally:
            shutil.rmtree(work, ignore_errors=True)
    progress(f"page tables written in {time.perf_counter() - started:.1f} s")
    return True
