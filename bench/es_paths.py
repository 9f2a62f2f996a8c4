"""Throughput of ``ingesthost process`` with Elasticsearch on either side.

    .venv/bin/python bench/es_paths.py [--docs 20000] [--rounds 3]

The same documents and the same pipeline (``fixtures/wasm/bench_edit.wasm``,
in a worker as the CLI runs it by default) through the real CLI, in a
subprocess, start-up included:

* NDJSON -> NDJSON (the reference);
* NDJSON -> Elasticsearch (``-o es://.../INDEX``, ``_bulk``);
* Elasticsearch -> NDJSON (point in time + ``search_after``);
* Elasticsearch -> Elasticsearch (a reindex through the pipeline).

The server is noida-db (an Elasticsearch-API server in a wheel, started on
127.0.0.1 with a temporary data directory): its speed is part of every
figure with an index, so read them as the cost of the whole path against
this server, not of Elasticsearch. Rounds are interleaved; medians.
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))
sys.path.insert(0, str(Path(__file__).resolve().parent))
from es_server import NoidaServer  # noqa: E402
from throughput import BENCH_EDIT, bench_lines  # noqa: E402


def run_cli(*arguments: str, cwd: str) -> float:
    """Seconds one ``ingesthost process`` takes (it must account for every document)."""
    started = time.perf_counter()
    done = subprocess.run(
        [sys.executable, "-m", "ingesthost", "process", *arguments, "-m", str(BENCH_EDIT), "--quiet"],
        cwd=cwd, capture_output=True, text=True, timeout=1800,
    )
    seconds = time.perf_counter() - started
    if done.returncode != 0:
        raise SystemExit(f"ingesthost failed ({done.returncode}): {done.stderr[-2000:]}")
    return seconds


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--docs", type=int, default=20000)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()

    from elasticsearch import Elasticsearch, helpers

    work = tempfile.mkdtemp(prefix="ingesthost-bench-es-")
    lines = bench_lines(args.docs, 200)
    source = Path(work) / "docs.ndjson"
    source.write_bytes(b"\n".join(lines) + b"\n")
    server = NoidaServer(Path(work) / "data")
    server.start()
    try:
        url = server.url
        host = url.split("//", 1)[1]
        client = Elasticsearch(url)
        helpers.bulk(client, ({"_index": "src", "_id": str(i), "_source": line.decode()} for i, line in enumerate(lines)))
        client.indices.refresh(index="src")
        variants = {
            "NDJSON -> NDJSON": lambda r: run_cli(str(source), "-o", f"{work}/out{r}.ndjson", cwd=work),
            "NDJSON -> Elasticsearch": lambda r: run_cli(str(source), "-o", f"es://{host}/a{r}", cwd=work),
            "Elasticsearch -> NDJSON": lambda r: run_cli(f"es://{host}/src", "-o", f"{work}/exp{r}.ndjson", cwd=work),
            "Elasticsearch -> Elasticsearch": lambda r: run_cli(f"es://{host}/src", "-o", f"es://{host}/b{r}", cwd=work),
        }
        timings: dict[str, list[float]] = {name: [] for name in variants}
        for round_ in range(args.rounds):
            for name, variant in variants.items():
                timings[name].append(variant(round_))
        for round_ in range(args.rounds):  # every document arrived, once
            for index in (f"a{round_}", f"b{round_}"):
                client.indices.refresh(index=index)
                count = client.count(index=index)["count"]
                assert count == args.docs, (index, count)
    finally:
        server.close()
    print(f"{args.docs} documents of ~200 bytes, bench_edit in a worker, {args.rounds} rounds, medians, start-up included")
    reference = statistics.median(timings["NDJSON -> NDJSON"])
    print(f"{'path':34} {'seconds':>8} {'docs/s':>9} {'vs NDJSON':>10}")
    for name, values in timings.items():
        seconds = statistics.median(values)
        print(f"{name:34} {seconds:8.2f} {args.docs / seconds:9,.0f} {reference / seconds:9.2f}x")


if __name__ == "__main__":
    main()
