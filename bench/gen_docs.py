"""Deterministic synthetic access-log documents (~200 bytes each).

Used for the sample data in fixtures/ and by the benchmarks:
    python bench/gen_docs.py 500 > fixtures/sample/access.ndjson
"""

from __future__ import annotations

import random
import sys

import orjson

USERS = ["alice", "bob", "carol", "dave", "erin", "frank", "grace", "heidi"]
PATHS = ["/", "/login", "/api/orders", "/api/orders/42", "/static/app.js", "/search"]
METHODS = ["GET", "GET", "GET", "POST", "PUT", "DELETE"]
STATUSES = [200, 200, 200, 201, 204, 301, 404, 500]
LEVELS = ["info", "info", "info", "warn", "error", "debug"]


def make_docs(count: int, seed: int = 42) -> list[dict]:
    rng = random.Random(seed)
    docs = []
    for i in range(count):
        user = rng.choice(USERS)
        status = rng.choice(STATUSES)
        method = rng.choice(METHODS)
        path = rng.choice(PATHS)
        millis = rng.randint(1, 900)
        token = "%016x" % rng.getrandbits(64)
        docs.append(
            {
                "@timestamp": f"2026-11-22T05:{i // 60 % 60:02d}:{i % 60:02d}.{rng.randint(0, 999):03d}Z",
                "log": {"level": rng.choice(LEVELS)},
                "host": {"name": f"web-{rng.randint(1, 4)}"},
                "message": f'user={user} method={method} path={path} status={status} took={millis}ms token={token} agent="curl/8.{rng.randint(0, 9)}"',
            }
        )
    return docs


def main() -> None:
    count = int(sys.argv[1]) if len(sys.argv) > 1 else 500
    out = sys.stdout.buffer
    for doc in make_docs(count):
        out.write(orjson.dumps(doc, option=orjson.OPT_APPEND_NEWLINE))


if __name__ == "__main__":
    main()
