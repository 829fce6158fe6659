#!/usr/bin/env bash
# The commands of the README's quick start, on a fresh machine with Python 3.11+:
#   ./dev.sh serve [nexus-ld serve options]   set up, build the bundled data, serve on 127.0.0.1:8000
#   ./dev.sh nexus-ld [command and options]   set up, run any nexus-ld command (e.g. check, query)
#   ./dev.sh test  [pytest options]           set up (with test tools and Chromium), run every test and
#                                             the benchmark's smoke run; with pytest options, only the
#                                             tests they select (-m "not live": the fast lane)
# The venv is set up with the versions of constraints.txt (the versions the tests last passed with).
set -euo pipefail
cd "$(dirname "$0")"

PYTHON=${PYTHON:-python3}
VENV=${VENV:-.venv}
PYTEST_WORKERS=${PYTEST_WORKERS:-2}  # pytest-xdist workers of the whole suite's two lanes

setup() {  # $1: pip extras
    "$PYTHON" -c 'import sys; sys.exit(sys.version_info < (3, 11))' \
        || { echo "nexus-ld needs Python 3.11 or newer ($PYTHON is $("$PYTHON" -V 2>&1))" >&2; exit 2; }
    [ -x "$VENV/bin/python" ] || "$PYTHON" -m venv "$VENV"
    # pip runs only when pyproject.toml, constraints.txt or the extras changed since the last set-up
    # of this venv: the stamp holds their hash (pip itself takes seconds even when nothing changes).
    local stamp="$VENV/.nexus-ld-setup-${1//,/-}" wanted
    wanted=$("$VENV/bin/python" -c 'import hashlib, sys
print(hashlib.sha256(b"".join(open(f, "rb").read() for f in sys.argv[2:]) + sys.argv[1].encode()).hexdigest())' \
        "$1" pyproject.toml constraints.txt)
    if [ "$(cat "$stamp" 2>/dev/null)" = "$wanted" ]; then
        return 0
    fi
    "$VENV/bin/python" -m pip install --quiet --disable-pip-version-check -c constraints.txt -e ".[$1]"
    echo "$wanted" >"$stamp"
    echo "nexus-ld is installed in $VENV: run it as ./dev.sh nexus-ld COMMAND, $VENV/bin/nexus-ld COMMAND," \
        "or after 'source $VENV/bin/activate' as nexus-ld COMMAND" >&2
}

need_debian() {  # $1: program, $2: Debian package, $3: what needs it; installed by name when missing
    command -v "$1" >/dev/null 2>&1 || [ -x "/usr/sbin/$1" ] && return 0
    if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
        echo "installing Debian's $2 for $3" >&2
        # The tests start their own nginx and Virtuoso on 127.0.0.1; the packages' own services (nginx on
        # port 80, Virtuoso on 1111 and 8890, every interface) must not start: policy-rc.d says no (101).
        local policy=/usr/sbin/policy-rc.d made=
        [ -e "$policy" ] || { printf '#!/bin/sh\nexit 101\n' >"$policy" && chmod +x "$policy" && made=1; }
        apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$2" >/dev/null
        [ -z "$made" ] || rm -f "$policy"
    else
        echo "$3 need $2: install it (Debian: sudo apt-get install $2)" >&2
        exit 2
    fi
}

pytest_run() {  # pytest with these options; its exit 5 (no test ran) is a failure, not a pass
    local status=0
    "$VENV/bin/python" -m pytest "$@" || status=$?
    [ "$status" = 5 ] && { echo "no tests ran" >&2; exit 1; }
    [ "$status" = 0 ] || exit "$status"
}

case "${1:-}" in
    serve)
        shift
        setup serve
        exec "$VENV/bin/nexus-ld" serve "$@"
        ;;
    nexus-ld)
        shift
        setup serve
        exec "$VENV/bin/nexus-ld" "$@"
        ;;
    test)
        shift
        setup test,bench
        need_debian chromium chromium "the browser tests (Playwright drives Debian's Chromium)"
        need_debian nginx nginx "the production tests (tests/security/test_front_production.py)"
        need_debian virtuoso-t virtuoso-opensource "the Virtuoso parity tests (tests/test_store_parity.py)"
        # One ruff configuration (pyproject.toml) for the whole tree: lint and format are part of the tests.
        "$VENV/bin/ruff" check src tests bench
        "$VENV/bin/ruff" format --check src tests bench
        "$VENV/bin/mypy"  # the type hints of src/ ([tool.mypy] in pyproject.toml)
        if [ $# != 0 ]; then  # pytest options choose the tests (and how they run): no smoke run
            pytest_run "$@"
            exit 0
        fi
        # The whole suite on pytest-xdist workers, a module's tests on one worker (its servers and
        # builds are made once), while the other worker runs another module; then the tests marked
        # serial (they reinstall into this venv) alone; then the benchmark's 10k smoke run:
        # everything runs once and writes results; no time is asserted.
        pytest_run -m "not serial" -n "$PYTEST_WORKERS" --dist loadscope
        pytest_run -m serial
        exec "$VENV/bin/python" bench/run --smoke --out "${TMPDIR:-/tmp}/nexus-ld-bench-smoke"
        ;;
    *)
        echo "usage: ./dev.sh serve [options] | ./dev.sh nexus-ld COMMAND [options] | ./dev.sh test [pytest options]" >&2
        exit 2
        ;;
esac
