#!/usr/bin/env bash
# Until the first release, the schema lives in one reviewed revision (0001_initial) and the reference data in
# 0002. This rebuilds 0001 from the models on a scratch SQLite database. After the first release, add new
# revisions instead.
set -euo pipefail
cd "$(dirname "$0")/.."
tmp=$(mktemp -d)
mv migrations/versions/0002_reference_data.py "$tmp/"
trap 'mv "$tmp/0002_reference_data.py" migrations/versions/; rm -rf "$tmp"' EXIT
rm -f migrations/versions/0001_initial.py
export DATABASE_URL="sqlite:///$tmp/regen.sqlite3"
.venv/bin/flask --app wsgi db revision --autogenerate --rev-id 0001_initial -m "initial schema" >/dev/null
.venv/bin/ruff format --quiet migrations/versions/0001_initial.py || true
echo "migrations/versions/0001_initial.py regenerated"
