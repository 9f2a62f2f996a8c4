#!/usr/bin/env bash
# Set up a development machine: Debian packages (when root and missing), a
# CPython 3.10 virtualenv in .venv with ingesthost installed in it.
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

if [[ ! -x .venv/bin/python ]] || ! .venv/bin/python -c 'import sys; assert sys.version_info[:2] == (3, 10)' 2>/dev/null; then
  if ! py="$(find_python310)"; then
    echo "setup: CPython 3.10 is required (wasmer-python has wheels only up to 3.10)." >&2
    echo "       install it, e.g. 'pyenv install 3.10.13', and run this again." >&2
    exit 1
  fi
  echo "setup: creating .venv with $py" >&2
  rm -rf .venv
  "$py" -m venv .venv
fi
stamp=.venv/.ingesthost-installed
if [[ ! -f $stamp || pyproject.toml -nt $stamp ]]; then
  echo "setup: installing ingesthost into .venv" >&2
  .venv/bin/python -m pip install -q --disable-pip-version-check -e ".[test]" 2>&1 | grep -v "^WARNING: Location" >&2 || true
  .venv/bin/python -c "import ingesthost, wasmer_compiler_cranelift" \
    || { echo "setup: installation failed" >&2; exit 1; }
  touch "$stamp"
fi
