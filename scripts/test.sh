#!/usr/bin/env bash
# The test command (README): ./scripts/test.sh [pytest arguments]
# Creates .venv if missing, installs the pinned test requirements into it, runs pytest from the repo root.
# PostgreSQL tests run when TEST_DATABASE_URL is set (required when CI=true); browser tests use /usr/bin/chromium.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

if [ ! -x .venv/bin/python ]; then
    python3 -m venv .venv
fi
.venv/bin/python -m pip install --quiet --disable-pip-version-check -r requirements-dev.txt
exec .venv/bin/python -m pytest "$@"
