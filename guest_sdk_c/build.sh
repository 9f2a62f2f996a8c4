#!/usr/bin/env bash
# Builds the C example processors (guest_sdk_c/examples/*.c) with clang + lld
# in two variants each, into fixtures/wasm/c/:
#   <name>.wasm       no libc:     --target=wasm32 -ffreestanding -nostdlib
#   <name>_wasi.wasm  WASI libc:   --target=wasm32-wasi -mexec-model=reactor
#
# Usage: guest_sdk_c/build.sh [--out DIR] [--check] [--with-tests]
#   --out DIR     write the modules to DIR instead of fixtures/wasm/c/
#   --check       build into a temporary directory and compare byte for byte
#                 with fixtures/wasm/c/ (exit status 1 on any difference)
#   --with-tests  also build the test guests (guest_sdk_c/tests/*.c)
#
# The build is reproducible: the same bytes come out whatever the checkout
# directory or the caller's CFLAGS, given the same toolchain (Debian 12's
# clang 14, lld 14 and wasi-libc; ../shared/toolchains.md, "C guests").
set -euo pipefail

SDK_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd -P)"
REPO_DIR="$(dirname "$SDK_DIR")"
FIXTURES_DIR="$REPO_DIR/fixtures/wasm/c"
OUT_DIR="$FIXTURES_DIR"
CHECK=0
TESTS=0

while [ $# -gt 0 ]; do
    case "$1" in
        --out) [ $# -ge 2 ] || { echo "build.sh: --out needs a directory" >&2; exit 2; }
               OUT_DIR="$2"; shift 2 ;;
        --out=*) OUT_DIR="${1#--out=}"; shift ;;
        --check) CHECK=1; shift ;;
        --with-tests) TESTS=1; shift ;;
        -h|--help) sed -n '2,15p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
        *) echo "build.sh: unknown argument: $1" >&2; exit 2 ;;
    esac
done

CLANG=/usr/bin/clang
for tool in "$CLANG" /usr/bin/wasm-ld /usr/lib/wasm32-wasi/crt1-reactor.o; do
    [ -e "$tool" ] || { echo "build.sh: $tool not found (apt-get install clang lld wasi-libc libclang-rt-14-dev-wasm32)" >&2; exit 1; }
done
case "$("$CLANG" --version | head -1)" in
    *"clang version 14."*) ;;
    *) echo "build.sh: warning: $("$CLANG" --version | head -1) is not clang 14; the modules will differ from the committed ones" >&2 ;;
esac

# Nothing from the caller's environment changes the output.
unset CFLAGS CPPFLAGS LDFLAGS CPATH C_INCLUDE_PATH CCC_OVERRIDE_OPTIONS SOURCE_DATE_EPOCH
export LC_ALL=C

COMMON=(
    -std=c11 -Os -Wall -Wextra -Werror
    "-ffile-prefix-map=$SDK_DIR=/guest_sdk_c"
    "-ffile-prefix-map=$REPO_DIR=/ingesthost"
)
NOLIBC=(--target=wasm32 -ffreestanding -nostdlib -Wl,--no-entry)
WASI=(--target=wasm32-wasi -mexec-model=reactor)

if [ "$CHECK" = 1 ]; then
    OUT_DIR="$(mktemp -d)"
    trap 'rm -rf "$OUT_DIR"' EXIT
fi
mkdir -p "$OUT_DIR"

SOURCES=("$SDK_DIR"/examples/*.c)
if [ "$TESTS" = 1 ]; then
    SOURCES+=("$SDK_DIR"/tests/*.c)
fi

EXPECTED_EXPORTS="configure elastic_ingest_wasm_abi_1_0 malloc memory process "
status=0
cd "$SDK_DIR"
for src in "${SOURCES[@]}"; do
    name="$(basename "$src" .c)"
    rel="${src#"$SDK_DIR"/}"
    for variant in nolibc wasi; do
        if [ "$variant" = nolibc ]; then
            out="$OUT_DIR/$name.wasm"; flags=("${NOLIBC[@]}"); expected="$EXPECTED_EXPORTS"
        else
            out="$OUT_DIR/${name}_wasi.wasm"; flags=("${WASI[@]}"); expected="_initialize $EXPECTED_EXPORTS"
        fi
        "$CLANG" "${flags[@]}" "${COMMON[@]}" -o "$out.tmp" "$rel"
        chmod 0644 "$out.tmp"
        mv -f "$out.tmp" "$out"
        if command -v wasm-objdump > /dev/null; then
            exports="$(wasm-objdump -x -j Export "$out" | sed -n 's/^ - .* -> "\(.*\)"$/\1/p' | sort | tr '\n' ' ')"
            if [ "$exports" != "$expected" ]; then
                echo "build.sh: $(basename "$out"): unexpected exports: $exports" >&2
                status=1
            fi
            if wasm-objdump -x -j Import "$out" | grep '^ - ' | grep -v ' <- elastic\.' >&2; then
                echo "build.sh: $(basename "$out"): imports from outside module \"elastic\"" >&2
                status=1
            fi
        fi
        size="$(wc -c < "$out")"
        base="$(basename "$out")"
        if [ "$CHECK" = 1 ] && [[ "$src" == "$SDK_DIR"/examples/* ]]; then
            if cmp -s "$out" "$FIXTURES_DIR/$base"; then
                printf '%-22s %6d bytes  same as fixtures/wasm/c/%s\n' "$base" "$size" "$base"
            else
                printf '%-22s %6d bytes  DIFFERS from fixtures/wasm/c/%s\n' "$base" "$size" "$base"
                status=1
            fi
        else
            printf '%-22s %6d bytes  %s\n' "$base" "$size" "$out"
        fi
    done
done
exit "$status"
