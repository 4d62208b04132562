#!/usr/bin/env bash
# Runs every benchmark once at a tiny size against whatever DATABASE_URL says
# (SQLite when unset), so none of them rots. Figures are printed, not asserted;
# a failure, or a lost or duplicated span in the load and fault runs, exits non-zero.
# The fault run restarts PostgreSQL when DATABASE_URL points at it (see
# load.py --restart-command); it kills one gunicorn worker either way.
set -euo pipefail
cd "$(dirname "$0")/.."
PYTHON=${PYTHON:-.venv/bin/python}

run() {
  echo "== $*"
  timeout 300 "$PYTHON" "$@"
}

run bench/corpus.py --documents 20 --spans 3
run bench/annotate_page.py --sizes 10 100 --repeat 3 --warmup 1
run bench/pages_in_chromium.py --sizes 10 --length 3000 --annotators 2 --adjudication-spans 10 --creates 2 --loads 1
run bench/lists.py --documents 120 --repeat 3 --warmup 1
run bench/document_search.py --documents 300 --repeat 3 --warmup 1
run bench/export.py 30
run bench/api_spans.py --spans 40 --length 3000 --repeat 3
run bench/import_documents.py --documents 200 --length 500
run bench/span_import.py 20
run bench/suggestions.py --phrases 200 --characters 3000 --repeat 3
run bench/suggestions.py --phrases 200 --characters 3000 --repeat 3 --dense
run bench/training.py 12 --epochs 1
run bench/zip_writers.py 200
run bench/load.py --users 3 --duration 5 --documents 6
run bench/load.py --users 3 --duration 8 --documents 6 --faults
echo "== smoke: every benchmark ran"
