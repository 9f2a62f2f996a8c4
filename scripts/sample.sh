#!/usr/bin/env bash
# Set up, then run the sample pipeline over the bundled sample data:
# processed documents in out/access.ndjson, failures (if any) next to it.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
bash scripts/setup.sh
mkdir -p out
"${INGESTHOST_VENV:-.venv}/bin/ingesthost" process fixtures/sample/access.ndjson \
  --pipeline fixtures/pipelines/access.yml -o out/access.ndjson "$@"
echo "first processed document:" >&2
head -n 1 out/access.ndjson
