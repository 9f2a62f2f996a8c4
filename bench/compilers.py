"""Compilers and artifacts: compile time, artifact size, load time (header checks, checksum, deserialize, ABI check), first-document
latency and documents/s, per compiler, on the Rust examples and on a
compute-heavy guest (kv_parse over long log lines).

    .venv/bin/python bench/compilers.py [--docs 3000] [--repeat 3] [--markdown]

Compile and load times are the best of ``--repeat`` runs; docs/s is the
median of ``--repeat`` passes. Everything is measured in one run, so the
ratios (artifact load vs LLVM compile, LLVM vs Cranelift code) are the
figures to read: this machine is shared and noisy.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

import orjson

sys.path.insert(0, str(Path(__file__).resolve().parent))
from gen_docs import make_docs  # noqa: E402

from ingesthost import IngestDocument  # noqa: E402
from ingesthost.engine import EngineSet  # noqa: E402
from ingesthost.guest import encode_params  # noqa: E402
from ingesthost.loader import compile_artifact, load_artifact  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
WASM = ROOT / "fixtures" / "wasm"
VARIANTS = [("singlepass", "universal"), ("cranelift", "universal"), ("llvm", "universal"), ("llvm", "native")]


def long_line_docs(count: int, pairs: int = 120) -> list[dict]:
    """Documents whose message is a long key=value log line (~2.5 KB)."""
    docs = []
    for i, base in enumerate(make_docs(count)):
        fields = " ".join(f"field{j}=value{(i * 7 + j) % 1000}" for j in range(pairs))
        docs.append({"message": base["message"] + " " + fields + ' note="a quoted value with spaces"'})
    return docs


CASES = {
    # name: (module, params, documents factory)
    "kv_parse (long lines)": ("kv_parse.wasm", {"field": "message", "target_field": "kv"}, long_line_docs),
    "kv_parse (access log)": ("kv_parse.wasm", {"field": "message", "target_field": "kv"}, make_docs),
    "bench_edit": ("bench_edit.wasm", {}, make_docs),
    "redact": ("redact.wasm", {"fields": ["message"]}, make_docs),
    "drop_when": ("drop_when.wasm", {"field": "log.level", "equals": "debug"}, make_docs),
}


def best_of(repeat: int, fn) -> tuple[float, object]:
    best, result = float("inf"), None
    for _ in range(repeat):
        start = time.perf_counter()
        result = fn()
        best = min(best, time.perf_counter() - start)
    return best, result


def measure(case: str, compiler: str, engine: str, docs_count: int, repeat: int, tmp: Path) -> dict:
    module_name, params, factory = CASES[case]
    source = WASM / module_name
    data = source.read_bytes()
    out = tmp / f"{source.stem}.{compiler}.{engine}"
    compile_seconds, _ = best_of(repeat, lambda: compile_artifact(source, out, compiler=compiler, engine=engine))
    blob = out.read_bytes()
    engines = EngineSet()
    # the whole load path: header checks, payload SHA-256, deserialize, ABI check
    load_seconds, guest = best_of(repeat * 3, lambda: load_artifact(blob, str(out), engines))
    docs = factory(docs_count)
    first_doc = orjson.loads(orjson.dumps(docs[0]))
    start = time.perf_counter()
    instance = guest.instantiate(encode_params(params))
    code, _ = instance.process(IngestDocument(first_doc))
    first_latency = time.perf_counter() - start
    assert code in (0, 4), code
    rates = []
    for _ in range(repeat):
        copies = [orjson.loads(orjson.dumps(d)) for d in docs]
        start = time.perf_counter()
        for doc in copies:
            instance.process(IngestDocument(doc))
        rates.append(len(copies) / (time.perf_counter() - start))
    instance.close()
    return {
        "case": case,
        "compiler": compiler,
        "engine": engine,
        "wasm_bytes": len(data),
        "compile_ms": compile_seconds * 1000,
        "artifact_bytes": len(blob),
        "load_ms": load_seconds * 1000,
        "first_doc_ms": first_latency * 1000,
        "docs_per_s": statistics.median(rates),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--docs", type=int, default=3000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--markdown", action="store_true", help="print a Markdown table")
    args = parser.parse_args()
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        for case in CASES:
            for compiler, engine in VARIANTS:
                rows.append(measure(case, compiler, engine, args.docs, args.repeat, Path(tmp)))
    if args.markdown:
        print("| guest | compiler | engine | compile ms | artifact KB | load ms | first doc ms | docs/s |")
        print("|---|---|---|---:|---:|---:|---:|---:|")
    for r in rows:
        if args.markdown:
            print(
                f"| {r['case']} | {r['compiler']} | {r['engine']} | {r['compile_ms']:.1f} | "
                f"{r['artifact_bytes'] / 1024:.0f} | {r['load_ms']:.2f} | {r['first_doc_ms']:.2f} | {r['docs_per_s']:,.0f} |"
            )
        else:
            print(
                f"{r['case']:24} {r['compiler']:10} {r['engine']:9} compile {r['compile_ms']:8.1f} ms  "
                f"artifact {r['artifact_bytes'] / 1024:6.0f} KB  load {r['load_ms']:6.2f} ms  "
                f"first doc {r['first_doc_ms']:6.2f} ms  {r['docs_per_s']:10,.0f} docs/s"
            )
    print()
    by = {(r["case"], r["compiler"], r["engine"]): r for r in rows}
    for case in CASES:
        llvm = by[(case, "llvm", "universal")]
        native = by[(case, "llvm", "native")]
        cranelift = by[(case, "cranelift", "universal")]
        print(
            f"{case}: LLVM compile / artifact load = {llvm['compile_ms'] / llvm['load_ms']:.0f}x (universal), "
            f"{native['compile_ms'] / native['load_ms']:.0f}x (native); "
            f"LLVM code vs Cranelift = {llvm['docs_per_s'] / cranelift['docs_per_s']:.2f}x docs/s"
        )


if __name__ == "__main__":
    main()
