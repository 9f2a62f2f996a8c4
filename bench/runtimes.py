"""wasmer and wasmtime side by side: documents/s per guest, and the cost of a crossing.

    .venv/bin/python bench/runtimes.py [--docs 10000] [--rounds 7] [--size 200]
                                       [--guests sdk,sdk-1.0,poc,c-kv,rust-kv] [--micro-calls 20000]

Both runtimes run in this process, in the same run, on the same documents
(``bench/throughput.py``'s access-log documents of about ``--size`` bytes),
through ``Pipeline.run`` with ``runtime="wasmer"`` / ``runtime="wasmtime"``
(the job of ``ingesthost process --isolation none --runtime NAME``: NDJSON
bytes in, the whole-block reader, output bytes out), compiled by Cranelift
without the compile cache. The guests (``--guests``):

* ``sdk``: ``fixtures/wasm/bench_edit.wasm`` (Rust SDK: 2 gets, 1 put) on ABI
  1.1, one ``process_batch`` call per batch of 64 documents. The issue's
  target: wasmtime at least 0.5x wasmer's documents/s here.
* ``sdk-1.0``: the same guest held to ABI 1.0 (its ``process_batch``
  ignored, as throughput.py does): one ``process`` call and 3 host calls per
  document, on the same documents: what the crossings alone cost.
* ``poc``: the proof of concept's ``modify_fields`` (Elastic's own SDK, a
  plain ABI 1.0 guest: six ``elastic_put_field`` calls per document).
* ``c-kv``: the C SDK's ``kv_parse`` (ABI 1.0: 1 get, 1 put per document, as in
  ``bench/sdk_kv_parse.py``); ``rust-kv``: the Rust SDK's ``kv_parse`` (ABI 1.1).

Before anything is timed, every guest runs over all the documents on both
runtimes and the output bytes and the failure bytes must be identical (none
of these guests imports a clock, ``elastic_get_current_time_nanoseconds`` or
WASI's, so no field holds the current time; the script checks the imports
and says so if one does). Then rounds: in each round every guest runs once on
each runtime, back to back, the runtime going first alternating from round to
round. Reported: median documents/s per runtime and the median of the
per-round wasmtime/wasmer ratios (with their range): the machine is shared
and noisy, so only ratios measured side by side mean much.

Micro-figures (``Engine(runtime=NAME)`` on a tiny module, rounds interleaved
too, medians): an exported call with no arguments, one with an i32 argument
and result, and a host call made from a wasm loop (so without the export
call around it).

The process collects garbage as the CLI does (``tune_garbage_collector``)
unless ``--default-gc``.
"""

from __future__ import annotations

import argparse
import dataclasses
import gzip
import io
import os
import platform
import statistics
import sys
import time
from pathlib import Path
from typing import Callable

sys.path.insert(0, str(Path(__file__).resolve().parent))
from throughput import bench_lines  # noqa: E402

from ingesthost import Pipeline  # noqa: E402
from ingesthost import runtime as runtimes  # noqa: E402
from ingesthost.engine import Engine  # noqa: E402
from ingesthost.process_settings import tune_garbage_collector  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
WASM = ROOT / "fixtures" / "wasm"
RUNTIMES = ("wasmer", "wasmtime")
#: Imports through which a guest could write the current time into a document.
CLOCK_IMPORTS = {"elastic_get_current_time_nanoseconds", "clock_time_get", "clock_res_get"}


@dataclasses.dataclass(frozen=True)
class Guest:
    key: str
    label: str
    module: Path
    abi_1_0: bool = False  # hold an ABI 1.1 guest to 1.0


GUESTS = {
    g.key: g
    for g in (
        Guest("sdk", "bench_edit, Rust SDK, ABI 1.1 (process_batch)", WASM / "bench_edit.wasm"),
        Guest("sdk-1.0", "bench_edit held to ABI 1.0 (1 call + 3 host calls/doc)", WASM / "bench_edit.wasm", True),
        Guest(
            "poc",
            "modify_fields, proof of concept, ABI 1.0 (6 put_field/doc)",
            ROOT.parent / "shared" / "thirdparty" / "elastic-ingest-wasm-go" / "modify_fields.wasm.gz",
        ),
        Guest("c-kv", "kv_parse, C SDK, ABI 1.0 (1 get + 1 put/doc)", WASM / "c" / "kv_parse.wasm"),
        Guest("rust-kv", "kv_parse, Rust SDK, ABI 1.1 (process_batch)", WASM / "kv_parse.wasm"),
    )
}


def load(guest: Guest, runtime: str) -> Pipeline:
    pipeline = Pipeline.from_module(guest.module, runtime=runtime, cache=False)
    if guest.abi_1_0:
        for processor in pipeline.processors:
            module = processor.module  # type: ignore[attr-defined]
            module.shape = dataclasses.replace(module.shape, batch=False)
        assert not pipeline.batches
    return pipeline


def run_once(pipeline: Pipeline, data: bytes, count: int) -> tuple[bytes, bytes]:
    out, failures = io.BytesIO(), io.BytesIO()
    summary = pipeline.run(io.BytesIO(data), out, failures, source="bench")
    assert summary.written == count, summary
    return out.getvalue(), failures.getvalue()


def clock_imports(guest: Guest) -> list[str]:
    data = guest.module.read_bytes()
    if guest.module.suffix == ".gz":
        data = gzip.decompress(data)
    module = Engine("cranelift", runtime=RUNTIMES[0]).compile(data)
    return [f"{i.module}.{i.name}" for i in module.imports if i.name in CLOCK_IMPORTS]


# -- micro-figures ---------------------------------------------------------

MICRO_WAT = """
(module
  (import "m" "f" (func $f (param i32) (result i32)))
  (memory (export "memory") 1)
  (func (export "empty"))
  (func (export "id") (param i32) (result i32) local.get 0)
  (func (export "host_loop") (param $n i32) (result i32) (local $acc i32)
    (block $done
      (loop $again
        (br_if $done (i32.eqz (local.get $n)))
        (local.set $acc (i32.add (local.get $acc) (call $f (local.get $n))))
        (local.set $n (i32.sub (local.get $n) (i32.const 1)))
        (br $again)))
    (local.get $acc)))
"""


def micro_variants(runtime: str, calls: int) -> dict[str, Callable[[], float]]:
    """Each variant returns microseconds per operation for one timing."""
    engine = Engine("cranelift", runtime=runtime)
    module = engine.compile(runtimes.wat2wasm(MICRO_WAT))
    host = runtimes.HostFunction(lambda x: x, (("i32",), ("i32",)))
    instance = engine.impl.instantiate(module, {"m": {"f": host}})
    empty, ident, host_loop = instance.export("empty"), instance.export("id"), instance.export("host_loop")
    assert ident(7) == 7 and host_loop(3) == 6

    def time_empty() -> float:
        start = time.perf_counter()
        for _ in range(calls):
            empty()
        return (time.perf_counter() - start) / calls * 1e6

    def time_ident() -> float:
        start = time.perf_counter()
        for i in range(calls):
            ident(i)
        return (time.perf_counter() - start) / calls * 1e6

    def time_host() -> float:
        start = time.perf_counter()
        host_loop(calls)
        return (time.perf_counter() - start) / calls * 1e6

    return {"exported call () -> ()": time_empty, "exported call (i32) -> i32": time_ident,
            "host call (i32) -> i32, from wasm": time_host}


# -- the run ---------------------------------------------------------------


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--docs", type=int, default=10_000)
    parser.add_argument("--rounds", type=int, default=7)
    parser.add_argument("--size", type=int, default=200, help="approximate bytes per document")
    parser.add_argument("--guests", default=",".join(GUESTS), help=f"comma-separated, of {', '.join(GUESTS)}")
    parser.add_argument("--micro-calls", type=int, default=20_000, help="calls per micro timing (0: skip)")
    parser.add_argument("--default-gc", action="store_true", help="keep CPython's collector settings")
    args = parser.parse_args()
    guests = [GUESTS[key] for key in args.guests.split(",") if key]
    missing = [g.key for g in guests if not g.module.exists()]
    if missing:
        parser.error(f"module missing for {', '.join(missing)}")
    if not args.default_gc:
        tune_garbage_collector()
    began = time.perf_counter()
    backends = {name: runtimes.backend(name) for name in RUNTIMES}

    lines = bench_lines(args.docs, args.size)
    data = b"\n".join(lines) + b"\n"
    avg = len(data) / args.docs

    # Load, then check outputs are byte-identical on both runtimes (this is the warm-up too).
    pipelines: dict[tuple[str, str], Pipeline] = {}
    for guest in guests:
        clocks = clock_imports(guest)
        results = {}
        for name in RUNTIMES:
            pipeline = pipelines[guest.key, name] = load(guest, name)
            results[name] = run_once(pipeline, data, args.docs)
        same = results["wasmer"] == results["wasmtime"]
        note = f"imports a clock ({', '.join(clocks)}): time fields may differ" if clocks else "imports no clock"
        print(f"check {guest.key:8} outputs {'identical' if same else 'DIFFER'} "
              f"({len(results['wasmer'][0]):,} output bytes, {len(results['wasmer'][1]):,} failure bytes; {note})")
        if not same and not clocks:
            print("outputs differ between runtimes: not timing", file=sys.stderr)
            return 1

    seconds: dict[tuple[str, str], list[float]] = {key: [] for key in pipelines}
    ratios: dict[str, list[float]] = {g.key: [] for g in guests}
    micro: dict[tuple[str, str], list[float]] = {}
    micro_fns = {name: micro_variants(name, args.micro_calls) for name in RUNTIMES} if args.micro_calls else {}
    for round_no in range(args.rounds):
        order = RUNTIMES if round_no % 2 == 0 else RUNTIMES[::-1]
        for guest in guests:
            taken = {}
            for name in order:
                pipeline = pipelines[guest.key, name]
                start = time.perf_counter()
                run_once(pipeline, data, args.docs)
                taken[name] = time.perf_counter() - start
                seconds[guest.key, name].append(taken[name])
            ratios[guest.key].append(taken["wasmer"] / taken["wasmtime"])  # wasmtime docs/s over wasmer's
        for name in order:
            for what, fn in micro_fns.get(name, {}).items():
                micro.setdefault((what, name), []).append(fn())
    for pipeline in pipelines.values():
        pipeline.close()

    cpus = os.cpu_count()
    load_avg = os.getloadavg()[0]
    print()
    print(f"{args.docs:,} documents of ~{avg:.0f} bytes, {args.rounds} rounds interleaved, medians "
          f"({time.perf_counter() - began:.0f} s); Pipeline.run in this process (--isolation none), cranelift; "
          f"wasmer {backends['wasmer'].VERSION}, wasmtime {backends['wasmtime'].VERSION}, "
          f"CPython {platform.python_version()}; {cpus} CPUs, load average {load_avg:.2f}")
    print()
    print(f"| {'guest':58} | {'wasmer docs/s':>13} | {'wasmtime docs/s':>15} | {'wasmtime/wasmer':>15} | "
          f"{'ratio range':>11} | {'extra us/doc':>12} |")
    print(f"|{'-' * 60}|{'-' * 14}:|{'-' * 16}:|{'-' * 16}:|{'-' * 12}:|{'-' * 13}:|")
    for guest in guests:
        rate = {name: args.docs / statistics.median(seconds[guest.key, name]) for name in RUNTIMES}
        ratio = statistics.median(ratios[guest.key])
        low, high = min(ratios[guest.key]), max(ratios[guest.key])
        extra = (1 / rate["wasmtime"] - 1 / rate["wasmer"]) * 1e6
        print(f"| {guest.label:58} | {rate['wasmer']:13,.0f} | {rate['wasmtime']:15,.0f} | {ratio:14.2f}x | "
              f"{low:.2f}-{high:.2f}x | {extra:+12.1f} |")
    if micro:
        print()
        print(f"| {'crossing (us each)':36} | {'wasmer':>7} | {'wasmtime':>8} | {'wasmtime/wasmer':>15} |")
        print(f"|{'-' * 38}|{'-' * 8}:|{'-' * 9}:|{'-' * 16}:|")
        for what in micro_fns["wasmer"]:
            us = {name: statistics.median(micro[what, name]) for name in RUNTIMES}
            print(f"| {what:36} | {us['wasmer']:7.2f} | {us['wasmtime']:8.2f} | {us['wasmtime'] / us['wasmer']:14.0f}x |")
    if "sdk" in ratios:
        ratio = statistics.median(ratios["sdk"])
        print()
        print(f"target (SDK guest on ABI 1.1, wasmtime >= 0.5x wasmer's docs/s): "
              f"{'met' if ratio >= 0.5 else 'NOT met'} ({ratio:.2f}x, rounds {min(ratios['sdk']):.2f}-"
              f"{max(ratios['sdk']):.2f}x)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
