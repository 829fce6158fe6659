"""No outbound network in the processes that evaluate user SPARQL: a layer beneath the guard.

The guard refuses SERVICE, but a lexer bug is enough to let one through (issue 11). So the processes
that run user queries and contribution validation — the query pool's workers, and gunicorn's sync
workers after fork — move into a new, empty network namespace: it has only a loopback that is down,
so any connect (SERVICE, a port scan through error texts) fails at once with "Network is unreachable",
while sockets opened before (a gunicorn worker's listener, the pool's socketpair) keep working.

Why a namespace and not seccomp: Python 3.11 has no ``os.unshare``, but one libc call through ctypes
does it, with no dependency; a seccomp filter needs libseccomp's bindings, which are not on PyPI
(Debian's python3-seccomp does not install into a venv). As root ``unshare(CLONE_NEWNET)`` suffices;
otherwise a user namespace is needed too (``CLONE_NEWUSER``, single-threaded processes only, which
these are). Where the kernel refuses both, the process runs unisolated and says so (log, ``/readyz``).

Isolation cannot apply when the workers need the network: a remote store (``store_url``), or SERVICE
the operator allowed (``service_allowlist``). Then it is off, with the reason logged and in ``/readyz``.
"""

from __future__ import annotations

import ctypes
import os

from nexus_ld.config import Settings

CLONE_NEWUSER = 0x10000000
CLONE_NEWNET = 0x40000000
ISOLATED = "network namespace"
NOT_ATTEMPTED = "none: this process was not isolated (gunicorn without -c python:nexus_ld.web.gunicorn_conf)"

_status: dict[int, str] = {}  # by pid: a forked child is not isolated by its parent's call


def reason_not_to_isolate(settings: Settings) -> str | None:
    """Why the query processes must keep the network under these settings, or None."""
    if settings.store_url:
        return "the store is remote (store_url): the processes need the network to reach it"
    if settings.service_allowlist:
        return "service_allowlist is set: SERVICE to those endpoints needs the network"
    return None


def _unshare(flags: int) -> int:
    libc = ctypes.CDLL(None, use_errno=True)
    return 0 if libc.unshare(flags) == 0 else ctypes.get_errno()


def drop_network(settings: Settings) -> str:
    """Move this process into a new network namespace unless ``settings`` need the network.

    :returns: ``ISOLATED``, or ``"none: <reason>"``; also what ``status()`` answers from now on.
    """
    reason = reason_not_to_isolate(settings)
    if reason is None:
        errno = _unshare(CLONE_NEWNET)
        if errno:  # not root: an unprivileged user namespace grants the right to make one
            errno = _unshare(CLONE_NEWUSER | CLONE_NEWNET)
        reason = f"the kernel refused a network namespace ({os.strerror(errno)})" if errno else None
    _status[os.getpid()] = ISOLATED if reason is None else f"none: {reason}"
    return _status[os.getpid()]


def status() -> str:
    """This process's isolation, as ``drop_network`` left it."""
    return _status.get(os.getpid(), NOT_ATTEMPTED)
