"""Shared helpers of the tests/test_contributions_*.py files: the fixture files, writable copies.

The builds they share are the session fixtures ``bundled`` and ``synthetic`` of tests/conftest.py."""

from __future__ import annotations

import shutil
from pathlib import Path

from conftest import QUICK_BUILD, settings_for

from nexus_ld.config import PROJECT_ROOT, Settings

FIXTURES = PROJECT_ROOT / "tests" / "data" / "contributions"
GOOD = FIXTURES / "good"
BAD = FIXTURES / "bad"
TURTLE = {"Content-Type": "text/turtle"}


def writable_copy(settings: Settings, target: Path) -> Settings:
    """A copy of a built project (inputs and build) that a test may change and rebuild."""
    shutil.copytree(settings.project, target, ignore=shutil.ignore_patterns("inbox"))
    return settings_for(target, **QUICK_BUILD)
