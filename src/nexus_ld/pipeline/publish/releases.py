"""Kept releases and the atomic switch between them.

Layout of a build folder (``build_dir``)::

    releases/<release-id>/   store/ dumps/ search.sqlite release.json sources/   (one per build)
    current -> releases/<release-id>     the release being served (a symlink, replaced by rename(2))
    store, dumps, search.sqlite, release.json, sources -> current/...   (the layout before releases)

A build is written into a staging folder, moved into ``releases/`` and published by replacing
``current`` with ``os.replace`` of a new symlink: a reader sees the old release or the new one, never
a mix. The links at the top keep ``Store.open(build_dir)``, ``oxigraph serve --location build/store``
and scripts of the old layout working. Servers watch ``current`` (``web/state.py``) and move to the
new release without a restart. The last ``keep_releases`` releases stay on disk, so a citation of a
release's dumps keeps resolving (``/downloads/<release>/``) and a rollback is one switch.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import time
from pathlib import Path
from typing import Any

from nexus_ld.store.embedded import RELEASE_FILE, Store

RELEASES_DIR = "releases"
CURRENT = "current"
# What the top of the build folder held before releases were kept, and the page tables: links into
# ``current``, so a copy that follows the links (``cp -rL``) is a whole release at its top.
TOP_LEVEL = ("store", "dumps", "search.sqlite", RELEASE_FILE, "sources", "tables")
# A release id is a path segment of URLs and of the folder: letters, digits, '.', '_', '-'.
RELEASE_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,63}")
MAX_LISTED = 1000  # claim IRIs listed per kind of change in release.json (the counts are complete)


def valid_id(release: str) -> bool:
    """Whether ``release`` can name a release folder (and a URL segment)."""
    return RELEASE_ID.fullmatch(release) is not None and ".." not in release


def served_folder(build: Path) -> Path:
    """The folder of the release being served: ``current`` resolved, or ``build`` itself for a build
    folder of the layout before releases (or a copy that followed the links: its files are at the top)."""
    current = Path(build) / CURRENT
    return current.resolve() if current.is_symlink() and current.is_dir() else Path(build)


def folder_key(folder: Path) -> tuple[int, int] | None:
    """The identity of a release folder (device, inode): a new build is a new folder, even with the
    same release id. None when it does not exist."""
    try:
        st = os.stat(folder)
    except OSError:
        return None
    return (st.st_dev, st.st_ino)


def read_release(folder: Path) -> dict[str, Any]:
    return json.loads((Path(folder) / RELEASE_FILE).read_text(encoding="utf-8"))


def kept(build: Path) -> list[dict[str, Any]]:
    """The kept releases' descriptions (release.json), newest first (by ``built_at``)."""
    root = Path(build) / RELEASES_DIR
    found = []
    if root.is_dir():
        for path in root.iterdir():
            if valid_id(path.name) and (path / RELEASE_FILE).is_file():
                found.append(read_release(path))
    return sorted(found, key=lambda r: (r.get("built_at", ""), r["release"]), reverse=True)


def kept_folder(build: Path, release: str) -> Path | None:
    """The folder of kept release ``release``, or None. The id is checked against the pattern and
    looked up among the folder's entries, so a request never names a path."""
    if not valid_id(release):
        return None
    root = Path(build) / RELEASES_DIR
    names = {p.name for p in root.iterdir()} if root.is_dir() else set()
    if release not in names or not (root / release / RELEASE_FILE).is_file():
        return None
    return root / release


def previous_release(build: Path, release: str) -> str | None:
    """The release a new build of id ``release`` follows: the one served now (or, when that has the
    same id, the one it followed)."""
    folder = served_folder(build)
    if not (folder / RELEASE_FILE).is_file():
        return None
    served = read_release(folder)
    return served.get("previous") if served["release"] == release else served["release"]


def first_issued(build: Path, release: str) -> str | None:
    """When release ``release`` was first issued, if a build of that id is kept: its ``issued`` (or its
    ``built_at``, for releases written before ``issued`` was). A rebuild of the same id (the same inputs)
    is the same release and keeps that date; None for a new id."""
    folder = kept_folder(build, release)
    if folder is None:
        return None
    described = read_release(folder)
    issued = described.get("issued") or described.get("built_at")
    return str(issued) if issued else None


def claim_changes(store: Store, previous: Store | None) -> dict[str, Any]:
    """What ``store`` adds, removes and newly supersedes compared with ``previous`` (by claim IRI)."""
    rows = list(store.named("release-claims"))
    claims = {r["claim"].value for r in rows}
    superseded = {r["claim"].value for r in rows if r["by"] is not None}
    before: set[str] = set()
    before_superseded: set[str] = set()
    if previous is not None:
        old = list(previous.named("release-claims"))
        before = {r["claim"].value for r in old}
        before_superseded = {r["claim"].value for r in old if r["by"] is not None}
    changes: dict[str, Any] = {"claims": len(claims)}
    for kind, iris in (
        ("added", claims - before),
        ("removed", before - claims),
        ("superseded", superseded - before_superseded),
    ):
        changes[f"{kind}_count"] = len(iris)
        changes[kind] = sorted(iris)[:MAX_LISTED] if previous is not None else []
    return changes


def _link(target: str, path: Path) -> None:
    """Make ``path`` a symlink to ``target`` atomically (a new link renamed over the old one). A real
    folder there (the layout before releases, or a copy that followed the links) is removed first."""
    if path.is_symlink() and os.readlink(path) == target:
        return
    if path.is_dir() and not path.is_symlink():
        shutil.rmtree(path)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    tmp.unlink(missing_ok=True)
    os.symlink(target, tmp)
    os.replace(tmp, path)


def switch(build: Path, release: str) -> Path:
    """Serve kept release ``release``: replace ``current`` atomically (a rollback is this too).

    Raises:
        KeyError: no kept release of that id.
    """
    folder = kept_folder(build, release)
    if folder is None:
        raise KeyError(release)
    _link(f"{RELEASES_DIR}/{release}", Path(build) / CURRENT)
    for name in TOP_LEVEL:
        _link(f"{CURRENT}/{name}", Path(build) / name)
    return folder


def publish(build: Path, staging: Path, release: str, keep: int) -> Path:
    """Move the finished build in ``staging`` into ``releases/<release>``, switch ``current`` to it,
    and remove all but the newest ``keep`` releases (never the one served). Its folder.

    A rebuild of the same id replaces that release's folder: the old one is moved aside and removed
    by a later build once a minute old, so servers still reading it finish first.
    """
    root = Path(build) / RELEASES_DIR
    root.mkdir(parents=True, exist_ok=True)
    target = root / release
    if target.exists():
        target.rename(root / f".replaced-{release}-{time.time_ns()}")
    staging.rename(target)
    switch(build, release)
    prune(build, keep)
    return target


def prune(build: Path, keep: int) -> list[str]:
    """Remove kept releases beyond the newest ``keep`` (never the one served) and folders moved aside
    by earlier builds; the ids removed."""
    root = Path(build) / RELEASES_DIR
    served = served_folder(build).name
    removed = [r["release"] for r in kept(build)[max(1, keep) :] if r["release"] != served]
    for release in removed:
        shutil.rmtree(root / release)
    for path in root.glob(".replaced-*"):
        if time.time() - path.stat().st_mtime > 60:  # long past any request that was reading it
            shutil.rmtree(path, ignore_errors=True)
    return removed
