"""nexus-ld: a linked-data publication of the TTP / al-Qaeda / Islamic State network."""

from __future__ import annotations

__version__ = "0.1.0"

__all__ = ["__version__", "create_app"]


def create_app(settings=None):  # noqa: ANN001, ANN201 - re-export without importing Flask at package import
    """Create the Flask app (see ``nexus_ld.web.app.create_app``)."""
    from nexus_ld.web.app import create_app as _create_app

    return _create_app(settings)
