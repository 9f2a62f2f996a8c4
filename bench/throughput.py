"""Throughput: a 2-get/1-put wasm processor next to the same edit in pure Python.

    .venv/bin/python bench/throughput.py [--docs 20000] [--rounds 5] [--compiler cranelift]

Every variant parses NDJSON lines and serialises results with orjson, so the
figures compare whole per-document paths. Variants run interleaved, round
after round, and the medians are reported with their ratio to pure Python:
this machine is shared and noisy, so only ratios from one run mean much.
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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--docs", type=int, default=20000)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--compiler", default="cranelift")
    args = parser.parse_args()

    lines = bench_lines(args.docs)
    pipeline = Pipeline.from_module(BENCH_EDIT, compiler=args.compiler)
    # Same result both ways before timing anything.
    sample = orjson.loads(lines[0])
    expected = dict(sample, summary=f"{sample['user']['name']}:{sample['http']['status']}")
    assert pipeline.process(sample) == expected, pipeline.process(sample)

    variants = {
        "orjson loads+dumps only (floor)": floor,
        "pure Python edit": python_edit,
        f"wasm bench_edit ({args.compiler})": make_wasm_variant(pipeline),
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
    pipeline.close()


if __name__ == "__main__":
    main()
