"""gunicorn hooks for nexus-ld, used as
``gunicorn -c python:nexus_ld.web.gunicorn_conf ... 'nexus_ld.web.app:create_app()'``.

``post_fork`` drops each worker's outbound network before it loads the app or reads a request: a sync
worker evaluates user SPARQL itself (``executor.WatchdogExecutor``). Its listening socket was opened by
the master before the fork and keeps working. Settings come from the environment, as for the app.

``on_starting`` makes the page tables of a release built before them, once, in the master, before any
worker answers (as ``nexus-ld serve`` does).
"""

from __future__ import annotations

from typing import Any

from nexus_ld.config import load_settings
from nexus_ld.pipeline.publish.pages import missing_page_tables
from nexus_ld.web.sparql import isolation


def on_starting(server: Any) -> None:
    settings = load_settings()
    if not settings.store_url:
        missing_page_tables(settings.build, progress=server.log.info)


def post_fork(server: Any, worker: Any) -> None:
    status = isolation.drop_network(load_settings())
    if status == isolation.ISOLATED:
        server.log.info("worker %d: no outbound network (%s)", worker.pid, status)
    else:
        server.log.warning("worker %d runs with the network: %s", worker.pid, status)
