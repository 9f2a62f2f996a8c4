#!/usr/bin/env bash
# Set up a development machine: Debian packages (when root and missing), a
# virtualenv in .venv (CPython 3.10 where there is one, for both runtimes;
# else the machine's python3, 3.11-3.14, with wasmtime) with ingesthost in it.
#   scripts/setup.sh            host only (enough to run pipelines)
#   scripts/setup.sh --dev      plus the toolchains the tests use (Rust, wabt)
# Idempotent: a second run only checks.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"

packages=(libtinfo5)   # the LLVM compiler wheel links against libtinfo.so.5
if [[ "${1:-}" == "--dev" ]]; then
  # Debian's rustc 1.63 with the wasm32 std builds the Rust guests (rustup
  # cannot add targets offline); lld links them; wabt gives wasm-objdump.
  packages+=(rustc cargo libstd-rust-dev-wasm32 lld lld-14 wabt)
  packages+=(clang lld wasi-libc libclang-rt-14-dev-wasm32)   # the C guests (guest_sdk_c/build.sh)
fi
missing=()
for p in "${packages[@]}"; do
  dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p")
done
if ((${#missing[@]})); then
  if [[ $(id -u) -eq 0 ]] && command -v apt-get >/dev/null; then
    echo "setup: installing ${missing[*]}" >&2
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq >/dev/null
    apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  else
    echo "setup: please install these Debian packages: ${missing[*]}" >&2
    [[ "${1:-}" == "--dev" ]] && exit 1
  fi
fi

# The virtualenv: $INGESTHOST_VENV (default .venv), made with $INGESTHOST_PYTHON
# when set, else a CPython 3.10 (both runtimes: wasmer and wasmtime), else
# this machine's python3 if it is 3.11-3.14 (the wasmtime runtime only).
venv="${INGESTHOST_VENV:-.venv}"

version_of() { "$1" -c 'import sys; print("%d.%d" % sys.version_info[:2])' 2>/dev/null; }
is_supported() {
  "$1" -c 'import sys; sys.exit(not ((3, 10) <= sys.version_info[:2] <= (3, 14)))' >/dev/null 2>&1
}
is_python310() { "$1" -c 'import sys; sys.exit(sys.version_info[:2] != (3, 10))' >/dev/null 2>&1; }

find_python310() {
  # PATH first (a pyenv shim may be there and not work: try it), then pyenv's versions.
  local candidate pyenv_root
  candidate="$(command -v python3.10 2>/dev/null || true)"
  if [[ -n "$candidate" ]] && is_python310 "$candidate"; then echo "$candidate"; return; fi
  pyenv_root="$( (pyenv root 2>/dev/null) || echo "$HOME/.pyenv")"
  for candidate in "$pyenv_root"/versions/3.10*/bin/python3.10 /usr/local/bin/python3.10 /usr/bin/python3.10; do
    if [[ -x "$candidate" ]] && is_python310 "$candidate"; then echo "$candidate"; return; fi
  done
  return 1
}

choose_python() {
  local py
  if [[ -n "${INGESTHOST_PYTHON:-}" ]]; then
    py="$(command -v "$INGESTHOST_PYTHON" || echo "$INGESTHOST_PYTHON")"
    if ! is_supported "$py"; then
      echo "setup: INGESTHOST_PYTHON=$INGESTHOST_PYTHON is not a CPython 3.10-3.14" >&2
      return 1
    fi
    echo "$py"; return
  fi
  if py="$(find_python310)"; then echo "$py"; return; fi
  for py in python3 python3.14 python3.13 python3.12 python3.11; do
    py="$(command -v "$py" 2>/dev/null || true)"
    if [[ -n "$py" ]] && is_supported "$py"; then echo "$py"; return; fi
  done
  echo "setup: no CPython 3.10-3.14 found: install one (3.10 gives both runtimes, e.g. 'pyenv install 3.10.13')" >&2
  return 1
}

wanted_version=""
[[ -n "${INGESTHOST_PYTHON:-}" ]] && wanted_version="$(version_of "$(command -v "$INGESTHOST_PYTHON" || echo "$INGESTHOST_PYTHON")")"
if [[ ! -x "$venv/bin/python" ]] || ! is_supported "$venv/bin/python" \
   || [[ -n "$wanted_version" && "$(version_of "$venv/bin/python")" != "$wanted_version" ]]; then
  py="$(choose_python)" || exit 1
  echo "setup: creating $venv with $py (CPython $(version_of "$py"))" >&2
  rm -rf "$venv"
  "$py" -m venv "$venv"
fi
if ! is_python310 "$venv/bin/python"; then
  echo "setup: $venv runs CPython $(version_of "$venv/bin/python"): the wasmtime runtime only (wasmer-python has" >&2
  echo "       wheels for 3.10 alone). Everything runs; the LLVM and Singlepass compilers and native" >&2
  echo "       artifacts are wasmer's, and each guest call costs more (README: Runtimes)." >&2
fi
stamp="$venv/.ingesthost-installed"
if [[ ! -f $stamp || pyproject.toml -nt $stamp ]]; then
  echo "setup: installing ingesthost into $venv" >&2
  "$venv/bin/python" -m pip install -q --disable-pip-version-check -e ".[test]" 2>&1 | grep -v "^WARNING: Location" >&2 || true
  "$venv/bin/python" -c "import ingesthost.runtime as r, sys; sys.exit(0 if r.available() else 1)" \
    || { echo "setup: installation failed" >&2; exit 1; }
  touch "$stamp"
fi
echo "setup: $venv ready; wasm runtimes: $("$venv/bin/python" -c 'import ingesthost.runtime as r; print(", ".join(r.available()))')" >&2
