#!/usr/bin/env bash
# Builds the example processors (guest_sdk_rust/examples/*.rs) for
# wasm32-unknown-unknown and copies them to fixtures/wasm/<name>.wasm.
#
# Usage: guest_sdk_rust/build.sh [--out DIR] [--check]
#   --out DIR  write the modules to DIR instead of fixtures/wasm/
#   --check    build into a temporary directory and compare byte for byte
#              with fixtures/wasm/ (exit status 1 on any difference)
#
# The build is reproducible: the same bytes come out whatever the checkout
# directory, the caller's CARGO_TARGET_DIR, RUSTFLAGS or ~/.cargo config,
# given the same toolchain (Debian's rustc 1.63 + cargo, see
# ../shared/toolchains.md). It uses no network and no crates.
set -euo pipefail

SDK_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd -P)"
REPO_DIR="$(dirname "$SDK_DIR")"
FIXTURES_DIR="$REPO_DIR/fixtures/wasm"
OUT_DIR="$FIXTURES_DIR"
CHECK=0
TARGET=wasm32-unknown-unknown
EXPECTED_RUSTC="rustc 1.63.0"

while [ $# -gt 0 ]; do
    case "$1" in
        --out) [ $# -ge 2 ] || { echo "build.sh: --out needs a directory" >&2; exit 2; }
               OUT_DIR="$2"; shift 2 ;;
        --out=*) OUT_DIR="${1#--out=}"; shift ;;
        --check) CHECK=1; shift ;;
        -h|--help) sed -n '2,13p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
        *) echo "build.sh: unknown argument: $1" >&2; exit 2 ;;
    esac
done

# Debian's toolchain first: rustup's cargo/rustc cannot target wasm32 here.
export PATH="/usr/bin:$PATH"
export RUSTC=/usr/bin/rustc
for tool in /usr/bin/cargo /usr/bin/rustc /usr/bin/rust-lld; do
    [ -x "$tool" ] || { echo "build.sh: $tool not found (apt-get install rustc cargo libstd-rust-dev-wasm32 lld)" >&2; exit 1; }
done
RUSTC_VERSION="$("$RUSTC" --version)"
if [ "${RUSTC_VERSION%% (*}" != "$EXPECTED_RUSTC" ]; then
    echo "build.sh: warning: $RUSTC_VERSION is not $EXPECTED_RUSTC; the modules will differ from the committed ones" >&2
fi

# Ignore everything from the caller's environment that changes the output.
for name in $(compgen -e); do
    case "$name" in
        CARGO_PROFILE_*|CARGO_TARGET_*|CARGO_BUILD_*|CARGO_ENCODED_RUSTFLAGS|CARGO_INCREMENTAL) unset "$name" ;;
    esac
done
unset RUSTFLAGS RUSTDOCFLAGS RUSTC_WRAPPER RUSTC_WORKSPACE_WRAPPER CARGO_HOME CARGO_TARGET_DIR
export CARGO_TARGET_DIR="$SDK_DIR/target"   # git-ignored
export CARGO_HOME="$CARGO_TARGET_DIR/cargo-home"   # empty: no user config, no registry
export CARGO_INCREMENTAL=0
mkdir -p "$CARGO_HOME" "$CARGO_TARGET_DIR/bin"

# Linker: rust-lld minus the `--export=__heap_base` / `--export=__data_end`
# that rustc 1.63 adds to every wasm cdylib, so that a module exports exactly
# memory, malloc, configure, process, process_batch and the ABI marker.
LINKER="$CARGO_TARGET_DIR/bin/elastic-ingest-wasm-ld"
cat > "$LINKER.tmp" <<'EOF'
#!/bin/sh
for arg do
    shift
    case "$arg" in
        --export=__heap_base | --export=__data_end) ;;
        *) set -- "$@" "$arg" ;;
    esac
done
exec /usr/bin/rust-lld "$@"
EOF
chmod +x "$LINKER.tmp"
mv -f "$LINKER.tmp" "$LINKER"

# Source paths in the modules (panic locations) are already relative
# (src/..., examples/...) and std's are Debian's fixed /usr/src/rustc-1.63.0;
# the remaps make sure no checkout-specific path can appear. cargo 1.65 does
# not hash RUSTFLAGS into -C metadata, so these paths do not change symbols.
# CARGO_ENCODED_RUSTFLAGS (0x1f-separated) keeps paths with spaces intact.
FLAGS=(
    "-Clinker=$LINKER"
    "--remap-path-prefix=$SDK_DIR=/elastic_ingest"
    "--remap-path-prefix=$REPO_DIR=/ingesthost"
    "--remap-path-prefix=$CARGO_HOME=/cargo"
)
CARGO_ENCODED_RUSTFLAGS="$(IFS=$'\x1f'; printf '%s' "${FLAGS[*]}")"
export CARGO_ENCODED_RUSTFLAGS

cd "$SDK_DIR"
cargo build --release --offline --locked --target "$TARGET" --examples

if [ "$CHECK" = 1 ]; then
    OUT_DIR="$(mktemp -d)"
    trap 'rm -rf "$OUT_DIR"' EXIT
fi
mkdir -p "$OUT_DIR"

NAMES=()
for src in "$SDK_DIR"/examples/*.rs; do
    NAMES+=("$(basename "$src" .rs)")
done

status=0
for name in "${NAMES[@]}"; do
    built="$CARGO_TARGET_DIR/$TARGET/release/examples/$name.wasm"
    out="$OUT_DIR/$name.wasm"
    install -m 0644 "$built" "$out.tmp"
    mv -f "$out.tmp" "$out"
    if command -v wasm-objdump > /dev/null; then
        exports="$(wasm-objdump -x -j Export "$out" | sed -n 's/^ - .* -> "\(.*\)"$/\1/p' | sort | tr '\n' ' ')"
        if [ "$exports" != "configure elastic_ingest_wasm_abi_1_1 malloc memory process process_batch " ]; then
            echo "build.sh: $name.wasm: unexpected exports: $exports" >&2
            status=1
        fi
        if wasm-objdump -x -j Import "$out" | grep '^ - ' | grep -v ' <- elastic\.' >&2; then
            echo "build.sh: $name.wasm: imports from outside module \"elastic\"" >&2
            status=1
        fi
    fi
    size="$(wc -c < "$out")"
    if [ "$CHECK" = 1 ]; then
        if cmp -s "$out" "$FIXTURES_DIR/$name.wasm"; then
            printf '%-16s %6d bytes  same as fixtures/wasm/%s.wasm\n' "$name" "$size" "$name"
        else
            printf '%-16s %6d bytes  DIFFERS from fixtures/wasm/%s.wasm\n' "$name" "$size" "$name"
            status=1
        fi
    else
        printf '%-16s %6d bytes  %s\n' "$name" "$size" "$out"
    fi
done
exit "$status"
