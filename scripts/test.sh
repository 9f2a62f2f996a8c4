#!/usr/bin/env bash
# Set up (with the toolchains the tests build guests with), then run the
# test suite on every runtime this machine can have. Extra arguments go to
# pytest. On a machine with a CPython 3.10 (.venv has both runtimes):
#   1. the whole suite on CPython 3.10, wasmer (the default runtime);
#   2. the tests of guests and the host ABI again on 3.10 with wasmtime;
#   3. the whole suite on a newer CPython (3.12, 3.13 or 3.11, in
#      .venv-newer), where wasmtime is the only runtime.
# Without a 3.10, .venv is the newer CPython and only stage 3 runs.
# INGESTHOST_TEST_STAGES="1 3" runs some stages only.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
bash scripts/setup.sh --dev
export INGESTHOST_REQUIRE_TOOLCHAINS=1   # tests needing cargo, clang, go fail instead of skipping
stages="${INGESTHOST_TEST_STAGES:-1 2 3}"
wants() { [[ " $stages " == *" $1 "* ]]; }

if ! .venv/bin/python -c 'import sys; sys.exit(sys.version_info[:2] != (3, 10))'; then
  echo "test: .venv is not CPython 3.10: the wasmtime runtime only (stage 3)" >&2
  INGESTHOST_EXPECT_RUNTIMES=wasmtime exec .venv/bin/python -m pytest "$@"
fi

newer=""
pyenv_root="$( (pyenv root 2>/dev/null) || echo "$HOME/.pyenv")"
for candidate in python3.12 "$pyenv_root"/versions/3.12*/bin/python3.12 python3.13 "$pyenv_root"/versions/3.13*/bin/python3.13 \
                 python3.11 python3; do
  path="$(command -v "$candidate" 2>/dev/null || true)"
  if [[ -n "$path" ]] && "$path" -c 'import sys; sys.exit(not ((3, 11) <= sys.version_info[:2] <= (3, 14)))' 2>/dev/null; then
    newer="$path"; break
  fi
done
if [[ -z "$newer" ]]; then
  echo "test: no CPython 3.11-3.14 on this machine for stage 3" >&2
  exit 1
fi
INGESTHOST_PYTHON="$newer" INGESTHOST_VENV=.venv-newer bash scripts/setup.sh
# stages 1 and 2 compare their outputs with this install's (tests/test_runtimes.py)
export INGESTHOST_OTHER_PYTHON="$root/.venv-newer/bin/python"

if wants 1; then
  echo "test: stage 1: CPython 3.10, wasmer" >&2
  .venv/bin/python -m pytest "$@"
fi
if wants 2; then
  echo "test: stage 2: CPython 3.10, wasmtime (guests and the host ABI)" >&2
  INGESTHOST_RUNTIME=wasmtime .venv/bin/python -m pytest "$@" \
    tests/test_abi_hostcalls.py tests/test_guest_lifecycle.py tests/test_guest_limits.py tests/test_batches.py \
    tests/test_rust_sdk.py tests/test_c_sdk.py tests/test_wasi.py tests/test_fluentbit.py tests/test_memory_limits.py \
    tests/test_memory_view.py tests/test_isolation.py tests/test_hostile_input.py tests/test_runtimes.py \
    tests/test_pipeline_api.py tests/test_snapshot_and_limits.py
fi
if wants 3; then
  echo "test: stage 3: CPython $("$newer" -c 'import sys; print("%d.%d" % sys.version_info[:2])'), wasmtime" >&2
  unset INGESTHOST_OTHER_PYTHON
  INGESTHOST_EXPECT_RUNTIMES=wasmtime .venv-newer/bin/python -m pytest "$@"
fi
