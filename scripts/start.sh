#!/usr/bin/env bash
# The start command (README): ./scripts/start.sh [streamlit options, e.g. --server.port 8502]
# Creates .venv if missing, installs the pinned requirements, brings the database schema to the newest
# migration, then runs the app. DATABASE_URL selects the database (default: data/clausier.db).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

if [ ! -x .venv/bin/python ]; then
    python3 -m venv .venv
fi
.venv/bin/python -m pip install --quiet --disable-pip-version-check -r requirements.txt
.venv/bin/python -m clausier upgrade
exec .venv/bin/python -m ui.serve "$@"
