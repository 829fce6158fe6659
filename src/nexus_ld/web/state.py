"""The release a request is answered from, swapped without a restart.

``Releases`` (in ``app.extensions["nexus_ld"]``) holds the ``State`` of the release being served. At
most once per ``release_check_s`` a request looks at ``build_dir/current`` (one stat); when ``build``
has published a new release there, the request opens it (the store read-only, its folder) and swaps it
in. Each request takes one ``State`` when it starts (``flask.g``) and uses it to its end, so no answer
mixes two releases; the old store is closed when its last request lets go of it (garbage collection).
Every answer names its release in the ``Nexus-Release`` header.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any, TypeVar

import pyoxigraph as ox
from flask import Flask, Response, current_app, g, has_request_context

from nexus_ld.config import Settings
from nexus_ld.errors import NexusError
from nexus_ld.pipeline.publish import releases
from nexus_ld.pipeline.publish.void import FILE as VOID_FILE
from nexus_ld.store.embedded import Store
from nexus_ld.store.remote import RemoteStore

EXTENSION = "nexus_ld"
HEADER = "Nexus-Release"
log = logging.getLogger(__name__)
T = TypeVar("T")


@dataclass(eq=False)  # compared and hashed by identity: per-release caches are keyed by it
class State:
    """Everything a view needs from one release: the settings, its store and its folder (dumps/,
    search.sqlite, sources/). Nothing in it changes; a new release is a new State."""

    settings: Settings
    store: Any  # Store | RemoteStore: the views, typed for Store, read both through ReadStore's methods
    folder: Path
    key: tuple[int, int] | None = field(
        default=None, repr=False
    )  # the folder's identity (releases.folder_key)
    _made: dict[str, Any] = field(default_factory=dict, repr=False)
    # Reentrant: what one ``make`` makes may need another (the forms' vocabulary, the validator).
    _lock: threading.RLock = field(default_factory=threading.RLock, repr=False)

    def once(self, name: str, make: Callable[[], T]) -> T:
        """What ``make`` makes for this release (a worker pool, a validator), made on first use and
        kept with the State: when the last request on an old release ends, the State is collected
        and what it made goes with it (a pool's finalizer stops its workers)."""
        with self._lock:
            if name not in self._made:
                self._made[name] = make()
            made: T = self._made[name]
            return made

    @property
    def release(self) -> str:
        """The release id ('' before the first build)."""
        return str(self.store.release.get("release", ""))

    @cached_property
    def void(self) -> list[ox.Triple]:
        """The VoID triples of this release (parsed on first use; none without void.ttl)."""
        path = self.folder / "dumps" / VOID_FILE
        return list(ox.parse(path=str(path), format=ox.RdfFormat.TURTLE)) if path.is_file() else []


def open_state(settings: Settings) -> State:
    """The State of the release served now (``current``), or of a remote store (``store_url``).

    Raises:
        StoreUnavailable: there is no build (run ``nexus-ld build``).
    """
    folder = releases.served_folder(settings.build)
    key = releases.folder_key(folder)
    if settings.store_url:  # a remote store; base and release id from the local build, if any
        return State(settings, RemoteStore.open(settings), folder, key)
    return State(settings, Store.open(folder), folder, key)


class Releases:
    """The State being served, swapped when a new release is published (see the module)."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self._state = open_state(settings)
        self._lock = threading.Lock()
        self._checked = time.monotonic()

    @property
    def state(self) -> State:
        """The newest State, after a look at ``current`` when the last one is ``release_check_s`` old."""
        if time.monotonic() - self._checked >= self.settings.release_check_s:
            self.refresh()
        return self._state

    def refresh(self) -> bool:
        """Swap in the release published at ``current`` if it is not the one served; whether it did.
        One caller opens it; the others go on with the State they have."""
        if not self._lock.acquire(blocking=False):
            return False
        try:
            self._checked = time.monotonic()
            key = releases.folder_key(releases.served_folder(self.settings.build))
            if key is None or key == self._state.key:
                return False
            try:
                new = open_state(self.settings)
            except (NexusError, OSError, ValueError) as exc:  # half-removed or unreadable: keep serving
                log.warning("release at %s not opened, still serving %s: %s", self.settings.build,
                            self._state.release, exc)  # fmt: skip
                return False
            log.info("serving release %s (was %s)", new.release, self._state.release)
            self._state = new
            return True
        finally:
            self._lock.release()


def current_state() -> State:
    """The State of this request (taken when it started), or the newest one outside a request."""
    state: State | None = g.get("nexus_state") if has_request_context() else None
    return state if state is not None else releases_of(current_app).state


def releases_of(app: Flask) -> Releases:
    return app.extensions[EXTENSION]


def init_app(app: Flask, settings: Settings) -> Releases:
    """Open the served release into ``app`` and take one State per request."""
    holder = Releases(settings)
    app.extensions[EXTENSION] = holder

    @app.before_request
    def _take_state() -> None:
        g.nexus_state = holder.state

    @app.after_request
    def _name_release(response: Response) -> Response:
        release = current_state().release
        if release:
            response.headers[HEADER] = release
        return response

    return holder
