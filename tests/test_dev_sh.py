"""dev.sh: pip runs only when pyproject.toml, constraints.txt or the extras changed since the venv's
last set-up; `./dev.sh nexus-ld ...` runs any command; a set-up says how to run nexus-ld.

They run dev.sh on the venv the tests run in (the one ./dev.sh test set up). ``PIP_NO_INDEX`` makes any
pip run fail (the editable build needs hatchling from the index), so a run that succeeds with it ran no
pip.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from nexus_ld import __version__
from nexus_ld.config import PROJECT_ROOT

pytestmark = [pytest.mark.live, pytest.mark.serial]  # dev.sh, pip and nexus-ld as processes; pip reinstalls

STAMP = Path(sys.prefix) / ".nexus-ld-setup-serve"


def dev(*args: str, **env: str) -> subprocess.CompletedProcess[str]:
    assert sys.prefix != sys.base_prefix, "run the tests in the venv that ./dev.sh sets up"
    return subprocess.run(
        [str(PROJECT_ROOT / "dev.sh"), *args],
        env=os.environ | {"VENV": sys.prefix} | env,
        capture_output=True,
        text=True,
        timeout=600,
    )


def test_a_set_up_venv_runs_no_pip_and_nexus_ld_passes_through() -> None:
    first = dev("nexus-ld", "--version")  # sets the venv up for `serve` if it was not
    assert first.returncode == 0, first.stderr
    again = dev("nexus-ld", "--version", PIP_NO_INDEX="1")
    assert again.returncode == 0, again.stderr
    assert again.stdout.strip() == f"nexus-ld, version {__version__}"
    assert "nexus-ld is installed" not in again.stderr


def test_a_changed_set_up_runs_pip_and_says_how_to_run_nexus_ld() -> None:
    assert dev("nexus-ld", "--version").returncode == 0
    STAMP.write_text("the hash of an older pyproject.toml\n")
    refused = dev("nexus-ld", "--version", PIP_NO_INDEX="1")  # pip runs, and cannot reach hatchling
    assert refused.returncode != 0
    assert STAMP.read_text() == "the hash of an older pyproject.toml\n"  # a failed set-up is not stamped
    redone = dev("nexus-ld", "--version")
    assert redone.returncode == 0, redone.stderr
    assert f"{sys.prefix}/bin/nexus-ld COMMAND" in redone.stderr
    assert f"source {sys.prefix}/bin/activate" in redone.stderr


def test_a_test_run_that_selects_no_test_fails() -> None:
    # pytest's exit 5 (nothing ran) must not pass as a green run, e.g. after a typo in -k or -m.
    done = dev("test", "-k", "no_test_has_this_name", "-p", "no:cacheprovider")
    assert done.returncode == 1, done.stdout[-2000:] + done.stderr[-2000:]
    assert "no tests ran" in done.stderr
    assert "deselected" in done.stdout
