"""The same kv_parse processor built with each guest SDK: module size and
documents/s through ``ingesthost process``, with a check that every module
writes the same output.

    .venv/bin/python bench/sdk_kv_parse.py [--docs 50000] [--rounds 3] [MODULE.wasm ...]

Without modules: the Rust one (fixtures/wasm/kv_parse.wasm), the C ones
(fixtures/wasm/c/kv_parse.wasm without libc, kv_parse_wasi.wasm with WASI's).
The input is
fixtures/sample/access.ndjson repeated to ``--docs`` lines. Each round runs
every module once (interleaved, as the machine is shared and noisy); the
best wall time of the rounds is reported, start-up (compiling from the
cache, the worker) included. The Rust guest declares ABI 1.1 and gets its
documents in batches; the C guest makes ABI 1.0 field calls.
"""

from __future__ import annotations

import argparse
import hashlib
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def default_modules() -> list[Path]:
    wasm = ROOT / "fixtures" / "wasm"
    return [wasm / "kv_parse.wasm", wasm / "c" / "kv_parse.wasm", wasm / "c" / "kv_parse_wasi.wasm"]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("modules", nargs="*", type=Path)
    parser.add_argument("--docs", type=int, default=50_000)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    modules = args.modules or default_modules()

    with tempfile.TemporaryDirectory() as tmp:
        lines = (ROOT / "fixtures" / "sample" / "access.ndjson").read_bytes().splitlines(keepends=True)
        data = Path(tmp) / "input.ndjson"
        data.write_bytes(b"".join(lines[i % len(lines)] for i in range(args.docs)))
        best: dict[Path, float] = {}
        digests: dict[Path, str] = {}
        for _ in range(args.rounds):
            for module in modules:
                out = Path(tmp) / "out.ndjson"
                command = [sys.executable, "-m", "ingesthost", "process", "--module", str(module), "--quiet",
                           "--output", str(out), str(data)]
                start = time.perf_counter()
                subprocess.run(command, check=True)
                elapsed = time.perf_counter() - start
                best[module] = min(elapsed, best.get(module, elapsed))
                digests[module] = hashlib.sha256(out.read_bytes()).hexdigest()

    same = len(set(digests.values())) == 1
    print(f"{args.docs} documents, best of {args.rounds} runs of `ingesthost process --module M.wasm`")
    print(f"{'module':<36} {'bytes':>8} {'docs/s':>9}")
    for module in modules:
        name = str(module.relative_to(ROOT)) if module.is_relative_to(ROOT) else str(module)
        print(f"{name:<36} {module.stat().st_size:>8} {args.docs / best[module]:>9,.0f}")
    print("outputs identical" if same else "OUTPUTS DIFFER")
    return 0 if same else 1


if __name__ == "__main__":
    sys.exit(main())
