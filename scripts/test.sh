#!/usr/bin/env bash
# Set up (with the Rust toolchain the reproducibility test needs), then run
# the whole test suite. Extra arguments go to pytest.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
bash scripts/setup.sh --dev
export INGESTHOST_REQUIRE_TOOLCHAINS=1   # tests needing cargo fail instead of skipping
exec .venv/bin/python -m pytest "$@"
