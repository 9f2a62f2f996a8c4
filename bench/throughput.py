"""Throughput: a 2-get/1-put wasm processor next to the same edit in pure Python.

    .venv/bin/python bench/throughput.py [--docs 20000] [--rounds 5] [--compiler cranelift] [--batch-size 512]

Every variant parses NDJSON lines and serialises results with orjson, so the
figures compare whole per-document paths. Variants run interleaved, round
after round, and the medians are reported with their ratio to pure Python:
this machine is shared and noisy, so only ratios from one run mean much.

The isolated variant is the same wasm pipeline through
:class:`ingesthost.workers.IsolatedPipeline` (what ``ingesthost process``
does by default): raw lines go to a worker process in batches, which parses,
runs the guest under a deadline and sends back output bytes. Its ratio to
the in-process wasm variant is the cost of time limits and crash isolation.
"""

from __future__ import annotations

import argparse
import io
import statistics
import sys
import time
from pathlib import Path
from typing import Callable

import orjson

sys.path.insert(0, str(Path(__file__).resolve().parent))
from gen_docs import make_docs  # noqa: E402

from ingesthost import Pipeline  # noqa: E402
from ingesthost.ndjson import read_records  # noqa: E402
from ingesthost.runner import run  # noqa: E402
from ingesthost.workers import IsolatedPipeline  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
BENCH_EDIT = ROOT / "fixtures" / "wasm" / "bench_edit.wasm"


def bench_lines(count: int) -> list[bytes]:
    """~200-byte documents with the two fields the benchmark guest reads."""
    lines = []
    for doc in make_docs(count):
        user = doc["message"].split()[0].split("=")[1]
        status = int(doc["message"].split("status=")[1].split()[0])
        doc["message"] = doc["message"].split(" token=")[0]
        doc["user"] = {"name": user}
        doc["http"] = {"status": status}
        lines.append(orjson.dumps(doc))
    return lines


def floor(lines: list[bytes]) -> None:
    out = io.BytesIO()
    for line in lines:
        out.write(orjson.dumps(orjson.loads(line), option=orjson.OPT_APPEND_NEWLINE))


def python_edit(lines: list[bytes]) -> None:
    out = io.BytesIO()
    for line in lines:
        doc = orjson.loads(line)
        name = doc.get("user", {}).get("name", "-")
        status = doc.get("http", {}).get("status", "-")
        doc["summary"] = f"{name}:{status}"
        out.write(orjson.dumps(doc, option=orjson.OPT_APPEND_NEWLINE))


def make_wasm_variant(pipeline: Pipeline) -> Callable[[list[bytes]], None]:
    def wasm_edit(lines: list[bytes]) -> None:
        data = b"\n".join(lines) + b"\n"
        out = io.BytesIO()
        summary = run(pipeline, read_records(io.BytesIO(data), "bench"), out, io.BytesIO(), source="bench")
        assert summary.written == len(lines), summary

    return wasm_edit


def make_isolated_variant(isolated: IsolatedPipeline) -> Callable[[list[bytes]], None]:
    def wasm_isolated(lines: list[bytes]) -> None:
        data = b"\n".join(lines) + b"\n"
        out = io.BytesIO()
        summary = isolated.run(io.BytesIO(data), out, io.BytesIO(), source="bench")
        assert summary.written == len(lines), summary

    return wasm_isolated


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--docs", type=int, default=20000)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--compiler", default="cranelift")
    parser.add_argument("--batch-size", type=int, default=512, help="lines per message to the worker")
    args = parser.parse_args()

    lines = bench_lines(args.docs)
    pipeline = Pipeline.from_module(BENCH_EDIT, compiler=args.compiler)
    # Same result both ways before timing anything.
    sample = orjson.loads(lines[0])
    expected = dict(sample, summary=f"{sample['user']['name']}:{sample['http']['status']}")
    assert pipeline.process(sample) == expected, pipeline.process(sample)
    isolated = IsolatedPipeline.from_module(BENCH_EDIT, compiler=args.compiler, batch_size=args.batch_size)
    assert isolated.process(sample) == expected

    variants = {
        "orjson loads+dumps only (floor)": floor,
        "pure Python edit": python_edit,
        f"wasm bench_edit ({args.compiler})": make_wasm_variant(pipeline),
        f"  same, isolated (worker, batch {args.batch_size})": make_isolated_variant(isolated),
    }
    timings: dict[str, list[float]] = {name: [] for name in variants}
    for _ in range(args.rounds):
        for name, fn in variants.items():
            start = time.perf_counter()
            fn(lines)
            timings[name].append(time.perf_counter() - start)

    avg = sum(map(len, lines)) / len(lines)
    print(f"{args.docs} documents of {avg:.0f} bytes, {args.rounds} rounds, medians")
    python_rate = args.docs / statistics.median(timings["pure Python edit"])
    print(f"{'variant':40} {'docs/s':>10} {'us/doc':>8} {'vs Python':>10}")
    for name, values in timings.items():
        rate = args.docs / statistics.median(values)
        print(f"{name:40} {rate:10,.0f} {1e6 / rate:8.2f} {rate / python_rate:9.2f}x")
    in_process = args.docs / statistics.median(timings[f"wasm bench_edit ({args.compiler})"])
    isolated_rate = args.docs / statistics.median(timings[f"  same, isolated (worker, batch {args.batch_size})"])
    print(
        f"isolation: {isolated_rate / in_process:.2f}x the in-process wasm rate "
        f"({(1 / isolated_rate - 1 / in_process) * 1e6:+.2f} us/doc); worker start {isolated.last_startup_seconds * 1000:.0f} ms"
    )
    pipeline.close()
    isolated.close()


if __name__ == "__main__":
    main()
