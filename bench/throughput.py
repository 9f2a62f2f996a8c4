"""Throughput: a 2-get/1-put wasm processor next to the same edit in pure Python.

    .venv/bin/python bench/throughput.py [--docs 20000] [--rounds 5] [--size 200|500] [--no-llvm]

Every variant turns the same NDJSON lines into output lines (parse, edit,
serialise), so the figures compare whole per-document paths:

* the orjson floor (parse + serialise, no edit) and the edit in pure Python;
* ``bench_edit`` (Rust SDK) through ``Pipeline.run`` in-process (the path of
  ``ingesthost process --isolation none``: blocks, the whole-block reader), with
  ABI 1.1 batches (``process_batch``), compiled by Cranelift and by LLVM;
* the same guest held to ABI 1.0 (its ``process_batch`` ignored: every
  field is a host call), the path of a plain 1.0 guest such as the proof of
  concept's;
* the same through a worker process (:class:`IsolatedPipeline`, what
  ``ingesthost process`` does by default).

Then the proof of concept's ``modify_fields`` (six ``put_field`` calls, a
plain ABI 1.0 guest built with Elastic's SDK): guest + host time per
document, documents already parsed, next to the same six edits in Python.

Variants run interleaved, round after round, and the medians are reported
with their ratio to pure Python: this machine is shared and noisy, so only
ratios from one run mean much. The process collects garbage as the CLI
does (``ingesthost.process_settings``) unless ``--default-gc`` is given.
"""

from __future__ import annotations

import argparse
import dataclasses
import io
import statistics
import sys
import time
from pathlib import Path
from typing import Callable

import orjson

sys.path.insert(0, str(Path(__file__).resolve().parent))
from gen_docs import make_docs  # noqa: E402

from ingesthost import IngestDocument, Pipeline  # noqa: E402
from ingesthost.process_settings import tune_garbage_collector  # noqa: E402
from ingesthost.workers import IsolatedPipeline  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
BENCH_EDIT = ROOT / "fixtures" / "wasm" / "bench_edit.wasm"
MODIFY_FIELDS = ROOT.parent / "shared" / "thirdparty" / "elastic-ingest-wasm-go" / "modify_fields.wasm.gz"


def bench_lines(count: int, size: int = 200) -> list[bytes]:
    """Access-log documents of about ``size`` bytes with the two fields the benchmark guest reads."""
    lines = []
    for doc in make_docs(count):
        user = doc["message"].split()[0].split("=")[1]
        status = int(doc["message"].split("status=")[1].split()[0])
        doc["message"] = doc["message"].split(" token=")[0]
        doc["user"] = {"name": user}
        doc["http"] = {"status": status}
        line = orjson.dumps(doc)
        if len(line) < size:
            doc["message"] += " pad=" + "x" * (size - len(line) - 5)
            line = orjson.dumps(doc)
        lines.append(line)
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
        summary = pipeline.run(io.BytesIO(data), out, io.BytesIO(), source="bench")
        assert summary.written == len(lines), summary

    return wasm_edit


def make_isolated_variant(isolated: IsolatedPipeline) -> Callable[[list[bytes]], None]:
    def wasm_isolated(lines: list[bytes]) -> None:
        data = b"\n".join(lines) + b"\n"
        out = io.BytesIO()
        summary = isolated.run(io.BytesIO(data), out, io.BytesIO(), source="bench")
        assert summary.written == len(lines), summary

    return wasm_isolated


def abi_1_0(pipeline: Pipeline) -> Pipeline:
    """Hold the pipeline's guests to ABI 1.0: their ``process_batch`` is ignored."""
    for processor in pipeline.processors:
        module = processor.module  # type: ignore[attr-defined]
        module.shape = dataclasses.replace(module.shape, batch=False)
    assert not pipeline.batches
    return pipeline


def python_six_puts(docs: list[dict]) -> None:
    for doc in docs:
        doc["string"] = "hello"
        doc["integer"] = 1
        doc["float"] = 1.2
        doc["bool"] = True
        doc["object"] = {"hello": "world!"}
        doc["null"] = None


def make_execute_variant(pipeline: Pipeline) -> Callable[[list[dict]], None]:
    def execute(docs: list[dict]) -> None:
        run_one = pipeline.execute
        for doc in docs:
            run_one(IngestDocument(doc))

    return execute


def interleave(variants: dict[str, Callable], make_input: Callable[[], object], rounds: int) -> dict[str, float]:
    timings: dict[str, list[float]] = {name: [] for name in variants}
    for _ in range(rounds):
        for name, fn in variants.items():
            data = make_input()
            start = time.perf_counter()
            fn(data)
            timings[name].append(time.perf_counter() - start)
    return {name: statistics.median(values) for name, values in timings.items()}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--docs", type=int, default=20000)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--size", type=int, default=200, help="approximate bytes per document")
    parser.add_argument("--batch-size", type=int, default=512, help="lines per message to the worker")
    parser.add_argument("--no-llvm", action="store_true", help="skip the LLVM variant (its compile takes seconds)")
    parser.add_argument(
        "--default-gc", action="store_true", help="keep CPython's collector settings (default: the CLI's, for every variant)"
    )
    args = parser.parse_args()
    if not args.default_gc:
        tune_garbage_collector()

    lines = bench_lines(args.docs, args.size)
    sample = orjson.loads(lines[0])
    expected = dict(sample, summary=f"{sample['user']['name']}:{sample['http']['status']}")
    pipelines = {"cranelift": Pipeline.from_module(BENCH_EDIT, compiler="cranelift")}
    if not args.no_llvm:
        pipelines["llvm"] = Pipeline.from_module(BENCH_EDIT, compiler="llvm")
    plain = abi_1_0(Pipeline.from_module(BENCH_EDIT, compiler="cranelift"))
    isolated = IsolatedPipeline.from_module(BENCH_EDIT, batch_size=args.batch_size)
    for pipeline in (*pipelines.values(), plain, isolated):
        assert pipeline.process(sample) == expected  # same result every way before timing anything

    variants: dict[str, Callable] = {
        "orjson loads+dumps only (floor)": floor,
        "pure Python edit": python_edit,
    }
    for compiler, pipeline in pipelines.items():
        variants[f"wasm bench_edit, ABI 1.1 batches ({compiler})"] = make_wasm_variant(pipeline)
    variants["wasm bench_edit held to ABI 1.0 (cranelift)"] = make_wasm_variant(plain)
    variants[f"  isolated (worker, batch {args.batch_size}, cranelift)"] = make_isolated_variant(isolated)
    medians = interleave(variants, lambda: lines, args.rounds)

    avg = sum(map(len, lines)) / len(lines)
    print(f"{args.docs} documents of {avg:.0f} bytes, {args.rounds} rounds, medians")
    python_rate = args.docs / medians["pure Python edit"]
    print(f"{'variant':52} {'docs/s':>10} {'us/doc':>8} {'vs Python':>10}")
    for name, seconds in medians.items():
        rate = args.docs / seconds
        print(f"{name:52} {rate:10,.0f} {1e6 / rate:8.2f} {rate / python_rate:9.2f}x")
    in_process = medians["wasm bench_edit, ABI 1.1 batches (cranelift)"]
    isolated_seconds = medians[f"  isolated (worker, batch {args.batch_size}, cranelift)"]
    print(
        f"isolation: {in_process / isolated_seconds:.2f}x the in-process rate "
        f"({(isolated_seconds - in_process) / args.docs * 1e6:+.2f} us/doc); "
        f"worker start {isolated.last_startup_seconds * 1000:.0f} ms"
    )

    if MODIFY_FIELDS.exists():
        poc = Pipeline.from_module(MODIFY_FIELDS)
        six = {"python: the six edits": python_six_puts, "modify_fields (6 put_field, ABI 1.0)": make_execute_variant(poc)}
        six_medians = interleave(six, lambda: [{} for _ in range(args.docs)], args.rounds)
        print("six put_field calls per document, documents already parsed (guest + host time):")
        for name, seconds in six_medians.items():
            print(f"  {name:50} {seconds / args.docs * 1e6:8.2f} us/doc")
        poc.close()
    for pipeline in (*pipelines.values(), plain, isolated):
        pipeline.close()


if __name__ == "__main__":
    main()
