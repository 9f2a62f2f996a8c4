"""Instance churn: a guest that traps on every document, 100,000 times.

    .venv/bin/python bench/churn.py [--docs 100000]

Every trap discards the instance and the next document gets a new one.
wasmer reserves ~6 GB of address space per instance; this prints the
process's address space (VmSize) and resident memory (VmRSS) as it goes, to
show that discarded instances are really freed.
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import wasmer

from ingesthost import IngestDocument, Pipeline, ProcessorError

TRAP_ALWAYS = """
(module
  (memory (export "memory") 1)
  (func (export "malloc") (param i32) (result i32) (i32.const 8))
  (func (export "process") (result i32) unreachable))
"""


def status() -> tuple[float, float]:
    fields = {}
    for line in Path("/proc/self/status").read_text().splitlines():
        key, _, value = line.partition(":")
        fields[key] = value
    return int(fields["VmSize"].split()[0]) / 1024, int(fields["VmRSS"].split()[0]) / 1024


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--docs", type=int, default=100_000)
    args = parser.parse_args()
    module = Path("/tmp/ingesthost-churn-trap.wasm")
    module.write_bytes(wasmer.wat2wasm(TRAP_ALWAYS))
    with Pipeline.from_module(module, cache=False) as pipeline:
        processor = pipeline.processors[0]
        vm0, rss0 = status()
        print(f"{'documents':>10} {'VmSize MiB':>12} {'VmRSS MiB':>10} {'docs/s':>8}")
        print(f"{0:>10} {vm0:12.0f} {rss0:10.1f}")
        start = last = time.perf_counter()
        failed = 0
        step = max(1, args.docs // 10)
        for i in range(1, args.docs + 1):
            try:
                pipeline.execute(IngestDocument({"n": i}))
            except ProcessorError:
                failed += 1
            if i % step == 0:
                now = time.perf_counter()
                vm, rss = status()
                print(f"{i:>10} {vm:12.0f} {rss:10.1f} {step / (now - last):8.0f}")
                last = now
        vm, rss = status()
        print(
            f"\n{failed} of {args.docs} documents failed (trap), {processor.replacements} instances replaced "
            f"in {time.perf_counter() - start:.1f} s; address space {vm - vm0:+.0f} MiB, RSS {rss - rss0:+.1f} MiB"
        )


if __name__ == "__main__":
    main()
