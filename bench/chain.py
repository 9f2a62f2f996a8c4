"""Per-processor overhead: pipelines of 0 to 3 processors through ``Pipeline.run``.

    .venv/bin/python bench/chain.py [--docs 50000] [--rounds 11] [--max 3] [--default-gc]

In this process (``Pipeline.from_definition({"processors": [...]})``, then
``Pipeline.run``, the ``ingesthost process`` job with ``--isolation none``:
NDJSON bytes in, output bytes out), over ``bench/throughput.py``'s ~200-byte
documents, for chains of 1, 2, ... ``--max`` processors of three kinds:

* wasm: ``fixtures/wasm/bench_edit.wasm`` repeated (2 gets, 1 put, ABI 1.1
  batches; each copy writes the same ``summary`` field);
* set: the built-in ``{"set": {"field": "fN", "value": "x"}}``, N = 1, 2, 3;
* mix: wasm and set alternating, starting with wasm (wasm; wasm, set;
  wasm, set, wasm).

Next to them: the empty pipeline (0 processors: reading, the document
object, the processor chain's frame, writing), and throughput.py's orjson
floor and pure-Python edit of the same documents. Variants run interleaved,
round after round; medians. Reported per variant: us per document, the
increment over the same kind with one processor less (over the empty
pipeline for one processor), and for wasm and set the least-squares slope
over 1..max processors (the marginal cost of one more processor of that
kind); for the mix, what a set costs after a wasm and a wasm after a set,
next to the same steps in the pure chains. Outputs of each pipeline are checked on a sample
document first. The CLI's collector settings (``tune_garbage_collector``)
apply to every variant, as in throughput.py, unless ``--default-gc``.
"""

from __future__ import annotations

import argparse
import io
import os
import statistics
import sys
import time
from pathlib import Path
from typing import Any, Callable

import orjson

sys.path.insert(0, str(Path(__file__).resolve().parent))
from throughput import bench_lines, floor, python_edit  # noqa: E402

from ingesthost import Pipeline  # noqa: E402
from ingesthost.process_settings import tune_garbage_collector  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
BENCH_EDIT = ROOT / "fixtures" / "wasm" / "bench_edit.wasm"


def wasm_step() -> dict[str, Any]:
    """One bench_edit processor."""
    return {"wasm": {"module": str(BENCH_EDIT)}}


def set_step(index: int) -> dict[str, Any]:
    """One built-in set processor writing field ``f<index>``."""
    return {"set": {"field": f"f{index}", "value": "x"}}


def chain(kind: str, length: int) -> list[dict[str, Any]]:
    """The processor list of ``length`` steps of ``kind`` (wasm, set or mix)."""
    if kind == "wasm":
        return [wasm_step() for _ in range(length)]
    if kind == "set":
        return [set_step(i + 1) for i in range(length)]
    return [wasm_step() if i % 2 == 0 else set_step(i // 2 + 1) for i in range(length)]


def expected(sample: dict[str, Any], steps: list[dict[str, Any]]) -> dict[str, Any]:
    """What ``steps`` make of ``sample``, computed in Python."""
    result = dict(sample)
    for step in steps:
        if "wasm" in step:
            result["summary"] = f"{sample['user']['name']}:{sample['http']['status']}"
        else:
            result[step["set"]["field"]] = step["set"]["value"]
    return result


def make_run_variant(pipeline: Pipeline) -> Callable[[bytes], None]:
    """The ``process`` job in this process over the whole input."""

    def run(data: bytes) -> None:
        out = io.BytesIO()
        summary = pipeline.run(io.BytesIO(data), out, io.BytesIO(), source="bench")
        assert summary.written == summary.read, summary

    return run


def make_lines_variant(fn: Callable[[list[bytes]], None], lines: list[bytes]) -> Callable[[bytes], None]:
    """A throughput.py variant (it takes the list of lines) in this script's signature."""
    return lambda _data: fn(lines)


def interleave(variants: dict[str, Callable[[bytes], None]], data: bytes, rounds: int) -> dict[str, list[float]]:
    """Seconds per round of each variant, variants in turn within a round."""
    timings: dict[str, list[float]] = {name: [] for name in variants}
    for _ in range(rounds):
        for name, fn in variants.items():
            start = time.perf_counter()
            fn(data)
            timings[name].append(time.perf_counter() - start)
    return timings


def slope(points: list[tuple[int, float]]) -> tuple[float, float]:
    """Least-squares (slope, intercept) of us/doc against the number of processors."""
    n = len(points)
    mean_x = sum(x for x, _ in points) / n
    mean_y = sum(y for _, y in points) / n
    sxx = sum((x - mean_x) ** 2 for x, _ in points)
    sxy = sum((x - mean_x) * (y - mean_y) for x, y in points)
    b = sxy / sxx
    return b, mean_y - b * mean_x


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--docs", type=int, default=50000)
    parser.add_argument("--rounds", type=int, default=11)
    parser.add_argument("--max", type=int, default=3, help="longest chain (processors)")
    parser.add_argument("--size", type=int, default=200, help="approximate bytes per document")
    parser.add_argument("--default-gc", action="store_true", help="keep CPython's collector settings")
    args = parser.parse_args()
    if not args.default_gc:
        tune_garbage_collector()

    lines = bench_lines(args.docs, args.size)
    data = b"".join(line + b"\n" for line in lines)
    sample = orjson.loads(lines[0])
    kinds = ("wasm", "set", "mix")
    pipelines: dict[tuple[str, int], Pipeline] = {("empty", 0): Pipeline.from_definition({"processors": []})}
    for kind in kinds:
        for length in range(1, args.max + 1):
            steps = chain(kind, length)
            pipeline = Pipeline.from_definition({"processors": steps}, compiler="cranelift")
            assert pipeline.process(sample) == expected(sample, steps), (kind, length)
            pipelines[(kind, length)] = pipeline
    assert pipelines[("empty", 0)].process(sample) == sample

    names = {("floor", 0): "orjson loads+dumps only (floor)", ("python", 0): "pure Python edit"}
    variants: dict[str, Callable[[bytes], None]] = {
        names[("floor", 0)]: make_lines_variant(floor, lines),
        names[("python", 0)]: make_lines_variant(python_edit, lines),
    }
    for key, pipeline in pipelines.items():
        kind, length = key
        names[key] = "empty pipeline (0 processors)" if kind == "empty" else f"{kind} x{length}"
        variants[names[key]] = make_run_variant(pipeline)
    timings = interleave(variants, data, args.rounds)
    us = {name: statistics.median(values) / args.docs * 1e6 for name, values in timings.items()}

    avg = len(data) / args.docs
    print(f"{args.docs} documents of {avg:.0f} bytes, {args.rounds} rounds interleaved, medians; Pipeline.run in "
          f"this process (cranelift); {os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.2f}")
    python_us = us[names[("python", 0)]]
    empty_us = us[names[("empty", 0)]]
    print(f"{'variant':34} {'docs/s':>10} {'us/doc':>8} {'vs Python':>10} {'+us vs one less':>16}")
    for key, name in names.items():
        kind, length = key
        step = ""
        if kind in kinds:
            previous = empty_us if length == 1 else us[names[(kind, length - 1)]]
            step = f"{us[name] - previous:+16.2f}"
        print(f"{name:34} {1e6 / us[name]:10,.0f} {us[name]:8.2f} {python_us / us[name]:9.2f}x {step}")
    print("marginal cost per processor (least-squares slope over 1..%d processors; intercept = fixed cost):" % args.max)
    for kind in ("wasm", "set"):
        points = [(length, us[names[(kind, length)]]) for length in range(1, args.max + 1)]
        b, a = slope(points)
        rounds_slopes = []
        for r in range(args.rounds):  # the same slope round by round: its spread
            per_round = [(length, timings[names[(kind, length)]][r] / args.docs * 1e6) for length in range(1, args.max + 1)]
            rounds_slopes.append(slope(per_round)[0])
        rounds_slopes.sort()
        print(f"  {kind:5} {b:6.2f} us/processor (rounds {rounds_slopes[0]:.2f}-{rounds_slopes[-1]:.2f}); "
              f"intercept {a:5.2f} us (empty pipeline measured {empty_us:.2f})")
    if args.max >= 3:
        mix = [us[names[("mix", n)]] for n in range(1, 4)]
        print(f"  mix: a set after a wasm {mix[1] - mix[0]:+.2f} us (set x2 - set x1: "
              f"{us[names[('set', 2)]] - us[names[('set', 1)]]:+.2f}); a wasm after wasm, set {mix[2] - mix[1]:+.2f} us "
              f"(wasm x2 - wasm x1: {us[names[('wasm', 2)]] - us[names[('wasm', 1)]]:+.2f})")
    wasm_1 = us[names[("wasm", 1)]]
    print(f"one wasm processor = {wasm_1 - empty_us:.2f} us over the empty pipeline; the empty pipeline = "
          f"{empty_us / python_us:.1f}x the whole pure-Python edit ({python_us:.2f} us)")
    for pipeline in pipelines.values():
        pipeline.close()


if __name__ == "__main__":
    main()
