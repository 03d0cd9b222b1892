#!/usr/bin/env bash
# The test command (README): a venv with the pinned requirements, then pytest against
# the PostgreSQL database `test` on 127.0.0.1 (override with TEST_DATABASE_URL).
set -euo pipefail
cd "$(dirname "$0")/.."
[ -d .venv ] || python3 -m venv .venv
. .venv/bin/activate
pip install -q --disable-pip-version-check -r requirements.txt
export TEST_DATABASE_URL="${TEST_DATABASE_URL:-postgresql://postgres@127.0.0.1:5432/test}"
exec python -m pytest -q -p no:cacheprovider "$@"
