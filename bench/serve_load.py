"""A bounded load test of ``ingesthost serve``: a fixed number of ``_bulk``
requests from a few concurrent senders, against the server forwarding to
noida-db, and the same requests sent straight to noida-db.

    .venv/bin/python bench/serve_load.py [--requests 200] [--docs 200] [--senders 4]

Reported per target: documents/s, p50/p99 request latency, statuses seen
(429s under overload are expected and retried by the sender after a short
pause, as shippers do), the server's RSS at the start and end, and a count
check: every document sent is in the index, dropped or failed, none lost
and none twice. The pipeline drops every 10th document and fails every
7th, as ``tests/test_serve.py`` does.
"""

from __future__ import annotations

import argparse
import http.client
import json
import re
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from urllib.parse import urlsplit

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))
from es_server import NoidaServer  # noqa: E402

PIPELINE = """\
processors:
  - drop: {if: "ctx.n % 10 == 0"}
  - fail: {message: "sevens", if: "ctx.n % 7 == 0"}
  - set: {field: seen, value: true}
"""


def body(request: int, docs: int, index: str) -> bytes:
    lines = []
    for k in range(docs):
        n = request * docs + k
        lines.append(json.dumps({"index": {"_index": index, "_id": f"d{n}"}}))
        lines.append(json.dumps({"n": n, "message": f"user=u{n % 97} status={200 + n % 5} path=/api/{n % 13}"}))
    return ("\n".join(lines) + "\n").encode()


def load(url: str, index: str, requests: int, docs: int, senders: int) -> dict:
    """Send the requests; each sender keeps one connection and retries a 429/503 after 50 ms."""
    target = urlsplit(url)
    queue = list(range(requests))
    lock = threading.Lock()
    latencies: list[float] = []
    statuses: dict[int, int] = {}

    def sender() -> None:
        connection = http.client.HTTPConnection(target.hostname, target.port, timeout=120)
        while True:
            with lock:
                if not queue:
                    break
                number = queue.pop()
            payload = body(number, docs, index)
            while True:
                started = time.perf_counter()
                connection.request("POST", "/_bulk", payload, {"Content-Type": "application/x-ndjson"})
                response = connection.getresponse()
                response.read()
                with lock:
                    statuses[response.status] = statuses.get(response.status, 0) + 1
                if response.status in (429, 503):
                    time.sleep(0.05)
                    continue
                with lock:
                    latencies.append(time.perf_counter() - started)
                break
        connection.close()

    started = time.perf_counter()
    threads = [threading.Thread(target=sender) for _ in range(senders)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    seconds = time.perf_counter() - started
    latencies.sort()
    return {
        "seconds": seconds,
        "docs_per_second": requests * docs / seconds,
        "p50_ms": 1000 * statistics.median(latencies),
        "p99_ms": 1000 * latencies[min(len(latencies) - 1, int(len(latencies) * 0.99))],
        "statuses": statuses,
    }


def rss_mb(pid: int) -> float:
    total = 0.0
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            total = int(line.split()[1]) / 1024
    return total


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--requests", type=int, default=200)
    parser.add_argument("--docs", type=int, default=200, help="documents per request")
    parser.add_argument("--senders", type=int, default=4)
    parser.add_argument("--workers", type=int, default=2, help="worker processes of the pipeline")
    args = parser.parse_args()
    from elasticsearch import Elasticsearch

    work = Path(tempfile.mkdtemp(prefix="ingesthost-serve-load-"))
    (work / "pipelines").mkdir()
    (work / "pipelines" / "main.yml").write_text(PIPELINE)
    noida = NoidaServer(work / "data")
    noida.start()
    server = None
    try:
        log = open(work / "serve.stderr", "wb")
        server = subprocess.Popen(
            [sys.executable, "-m", "ingesthost", "serve", "--pipelines", "pipelines", "--listen", "127.0.0.1:0",
             "--forward", f"es://127.0.0.1:{noida.port}", "--default-pipeline", "main", "--workers", str(args.workers),
             "--max-in-flight", "2000"],
            cwd=work, stderr=log, stdout=subprocess.DEVNULL,
        )
        log.close()
        url = None
        for _ in range(600):
            found = re.search(r"serving on (\S+)", (work / "serve.stderr").read_text())
            if found:
                url = found.group(1)
                break
            time.sleep(0.05)
        assert url, (work / "serve.stderr").read_text()
        rss_start = rss_mb(server.pid)
        through = load(url, "via", args.requests, args.docs, args.senders)
        rss_end = rss_mb(server.pid)
        direct = load(f"http://127.0.0.1:{noida.port}", "direct", args.requests, args.docs, args.senders)
        client = Elasticsearch(f"http://127.0.0.1:{noida.port}")
        client.indices.refresh(index="via")
        total = args.requests * args.docs
        kept = sum(1 for n in range(total) if n % 10 and n % 7)
        failed_lines = len((work / "serve.failures.ndjson").read_text().splitlines())
        indexed = client.count(index="via")["count"]
        print(f"{args.requests} requests of {args.docs} documents, {args.senders} senders, pipeline in {args.workers} workers")
        print(f"{'target':34} {'docs/s':>9} {'p50 ms':>8} {'p99 ms':>8}  statuses")
        for name, result in (("ingesthost serve -> noida-db", through), ("straight to noida-db", direct)):
            print(f"{name:34} {result['docs_per_second']:9,.0f} {result['p50_ms']:8.1f} {result['p99_ms']:8.1f}  {result['statuses']}")
        print(f"server RSS {rss_start:.1f} MB at the start, {rss_end:.1f} MB at the end")
        print(f"accounted: {indexed} indexed (expected {kept}), {failed_lines} in the failure file "
              f"(expected {sum(1 for n in range(total) if n % 10 and not n % 7)}), dropped {total // 10}")
        assert indexed == kept, "documents lost or duplicated"
    finally:
        if server is not None:
            server.terminate()
            server.wait(30)
        noida.close()


if __name__ == "__main__":
    main()
