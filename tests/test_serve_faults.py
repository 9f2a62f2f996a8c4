"""``ingesthost serve`` under faults and load, each test bounded in time:

* overload: more documents in flight than ``--max-in-flight`` get 429
  ``es_rejected_execution_exception``; retried, every document lands once;
* the forward target killed and restarted mid-load: 503s while it is down,
  every acknowledged document in the index once, no duplicate failure record;
* clients that disconnect mid-request or send garbage: the server and its
  workers keep serving;
* malformed bodies over HTTP, answered as Elasticsearch answers them (the
  cases ``tests/test_serve.py`` does not cover).
"""

from __future__ import annotations

import gzip
import http.client
import json
import socket
import threading
import time
import urllib.request
from pathlib import Path
from typing import Any, Iterator
from urllib.parse import urlsplit

import pytest
from elasticsearch import helpers

from es_fixtures import running_noida
from es_server import NoidaServer
from helpers import wat_bytes
from test_serve import Served, _descendants, _post_status, indexed, serve, target

#: A guest that spins SPIN iterations per document (about 7 ms for 20 million
#: with Cranelift here), then sets ``slowed: true``: requests overlap.
SLOW_GUEST = """\
(module
  (import "elastic" "elastic_put_field" (func $put_field (param i32 i32 i32 i32) (result i32)))
  (memory (export "memory") 1 1)
  (data (i32.const 32) "slowed")
  (data (i32.const 48) "true")
  (global $heap (mut i32) (i32.const 4096))
  (func (export "elastic_ingest_wasm_abi_1_0"))
  (func (export "malloc") (param $n i32) (result i32)
    (local $p i32)
    (local.set $p (global.get $heap))
    (if (i32.gt_u (i32.add (local.get $p) (local.get $n)) (i32.const 65536))
      (then (return (i32.const 0))))
    (global.set $heap (i32.add (local.get $p) (local.get $n)))
    (local.get $p))
  (func (export "process") (result i32)
    (local $i i32)
    (loop $spin
      (local.set $i (i32.add (local.get $i) (i32.const 1)))
      (br_if $spin (i32.lt_u (local.get $i) (i32.const SPIN))))
    (drop (call $put_field (i32.const 32) (i32.const 6) (i32.const 48) (i32.const 4)))
    (i32.const 0)))
"""


@pytest.fixture(scope="module")
def noida() -> Iterator[NoidaServer]:
    yield from running_noida()


def with_slow_pipeline(work: Path, spin: int = 20_000_000) -> None:
    """``pipelines/slow.yml`` (the slow guest) in ``work`` before :func:`serve` adds its own."""
    (work / "pipelines").mkdir(parents=True, exist_ok=True)
    (work / "slow.wasm").write_bytes(wat_bytes(SLOW_GUEST.replace("SPIN", str(spin))))
    (work / "pipelines" / "slow.yml").write_text(f"processors:\n  - wasm: {{module: {work / 'slow.wasm'}}}\n")


def ndjson(index: str, ids: list[str], **fields: Any) -> bytes:
    lines = []
    for doc_id in ids:
        lines.append(json.dumps({"index": {"_index": index, "_id": doc_id}}))
        lines.append(json.dumps({"n": int(doc_id.rsplit("-", 1)[1]), **fields}))
    return ("\n".join(lines) + "\n").encode()


def stats(served: Served) -> dict[str, Any]:
    with urllib.request.urlopen(served.url + "/_ingesthost/stats", timeout=30) as answer:
        return json.loads(answer.read())


def versions(es: Any, index: str) -> dict[str, int]:
    es.indices.refresh(index=index)
    return {hit["_id"]: hit["_version"] for hit in helpers.scan(es, index=index, version=True)}


def items(answer: dict) -> list[dict]:
    return [next(iter(item.values())) for item in answer["items"]]


# -- 1. overload ---------------------------------------------------------------------


def test_overload_is_429_and_retries_land_every_document_once(tmp_path: Path, noida: NoidaServer) -> None:
    with_slow_pipeline(tmp_path)
    served = serve(tmp_path, "--forward", f"es://127.0.0.1:{noida.port}", "--default-pipeline", "slow",
                   "--max-in-flight", "50", "--workers", "1")
    threads_n, batches, size = 5, 3, 20
    rejected: list[dict] = []
    answered: list[dict] = []
    problems: list[str] = []
    lock = threading.Lock()
    deadline = time.monotonic() + 90
    start = threading.Barrier(threads_n)

    def sender(t: int) -> None:
        start.wait(30)
        for b in range(batches):
            body = ndjson("overload", [f"t{t}b{b}-{i}" for i in range(size)])
            while True:
                if time.monotonic() > deadline:
                    with lock:
                        problems.append(f"thread {t}: batch {b} not taken before the deadline")
                    return
                status, answer = _post_status(served.url + "/_bulk", body)
                with lock:
                    if status == 429:
                        rejected.append(answer)
                    elif status == 200:
                        answered.append(answer)
                    else:
                        problems.append(f"thread {t}: {status} {answer}")
                        return
                if status == 200:
                    break
                time.sleep(0.02)  # a shipper's back-off, short: the test wants the load

    try:
        threads = [threading.Thread(target=sender, args=(t,), daemon=True) for t in range(threads_n)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(max(0.0, deadline - time.monotonic()) + 5)
        assert not any(thread.is_alive() for thread in threads), "senders still running after the deadline"
        after = stats(served)
    finally:
        served.stop()
    assert problems == []
    assert rejected, "no request was refused with 429 although more than 50 documents were sent at once"
    for answer in rejected:
        assert answer["status"] == 429
        assert answer["error"]["type"] == "es_rejected_execution_exception"
        assert answer["error"]["root_cause"][0]["type"] == "es_rejected_execution_exception"
    assert len(answered) == threads_n * batches
    every = {f"t{t}b{b}-{i}" for t in range(threads_n) for b in range(batches) for i in range(size)}
    statuses = [(item["_id"], item["status"]) for answer in answered for item in items(answer)]
    assert sorted(statuses) == sorted((doc_id, 201) for doc_id in every)
    es = target(noida)
    # Exactly once: each id present, each written once (a refused request wrote nothing).
    assert versions(es, "overload") == dict.fromkeys(every, 1)
    assert all(doc["slowed"] is True for doc in indexed(es, "overload").values())
    assert after["in_flight"] == 0
    assert after["documents"]["received"] == len(every)  # the refused requests were never taken in


# -- 2. the target killed and restarted mid-load ------------------------------------


class Sender(threading.Thread):
    """Posts batches of 10 documents with ``_id``s until told to stop; a 503
    is sent again after a pause, as a shipper does. Records what was acknowledged."""

    def __init__(self, url: str, index: str, deadline: float) -> None:
        super().__init__(daemon=True)
        self.url, self.index, self.deadline = url, index, deadline
        self.stop_after = threading.Event()
        self.lock = threading.Lock()
        self.batches = 0
        self.unavailable: list[dict] = []
        #: id -> the ``_version`` the acknowledgement named (201 created, or 200
        #: updated: a write whose first answer was lost, sent again).
        self.acknowledged: dict[str, int] = {}
        self.retried_batches: set[int] = set()
        self.dropped: list[str] = []
        self.failed: list[str] = []
        self.problems: list[str] = []

    def run(self) -> None:
        b = 0
        while not self.stop_after.is_set():
            body = ndjson(self.index, [f"b{b}-{b * 10 + i}" for i in range(10)])
            while True:
                if time.monotonic() > self.deadline:
                    self.problems.append(f"batch {b} not taken before the deadline")
                    return
                try:
                    status, answer = _post_status(self.url + "/_bulk", body)
                except OSError as exc:
                    self.problems.append(f"batch {b}: {exc!r}")
                    return
                if status == 503:
                    with self.lock:
                        self.unavailable.append(answer)
                        self.retried_batches.add(b)
                    time.sleep(0.1)
                    continue
                if status != 200:
                    self.problems.append(f"batch {b}: {status} {answer}")
                    return
                with self.lock:
                    for item in items(answer):
                        if item["status"] in (200, 201) and item.get("result") in ("created", "updated"):
                            if item["_id"] in self.acknowledged:
                                self.problems.append(f"batch {b}: {item['_id']} acknowledged twice")
                            if item["result"] == "updated" and b not in self.retried_batches:
                                self.problems.append(f"batch {b}: {item['_id']} updated but never sent twice")
                            self.acknowledged[item["_id"]] = item["_version"]
                        elif item["status"] == 200 and item.get("result") == "noop":
                            self.dropped.append(item["_id"])
                        elif item["status"] == 500:
                            self.failed.append(item["_id"])
                        else:
                            self.problems.append(f"batch {b}: unexpected item {item}")
                    self.batches += 1
                break
            b += 1

    def wait_for(self, condition: Any, what: str, timeout: float = 30) -> None:
        until = time.monotonic() + timeout
        while not condition():
            assert not self.problems, self.problems
            assert self.is_alive(), f"the sender stopped while waiting for {what}"
            assert time.monotonic() < until, f"timed out waiting for {what}"
            time.sleep(0.02)


def test_target_killed_and_restarted_mid_load_loses_and_duplicates_nothing(tmp_path: Path) -> None:
    own = NoidaServer()
    own.start()
    served = None
    sender = None
    try:
        served = serve(tmp_path, "--forward", f"es://127.0.0.1:{own.port}", "--default-pipeline", "main",
                       "--max-retries", "1")
        sender = Sender(served.url, "restart", time.monotonic() + 120)
        sender.start()
        sender.wait_for(lambda: sender.batches >= 5, "5 batches before the stop")
        own.stop()
        sender.wait_for(lambda: len(sender.unavailable) >= 3, "503 answers while the target is down")
        before = sender.batches
        own.start()  # same data directory, same port
        sender.wait_for(lambda: sender.batches >= before + 5, "5 batches after the restart", timeout=60)
        sender.stop_after.set()
        sender.join(60)
        assert not sender.is_alive(), "the sender did not finish its last batch"
        assert sender.problems == []
        assert served.process.poll() is None
        served.stop()
        for answer in sender.unavailable:
            assert answer["status"] == 503 and answer["error"]["type"] == "unavailable_shards_exception"
        # Every acknowledged document is in the index, once, as last acknowledged (no write after
        # the answer); nothing else. A write answered 503 may have landed (the answer was lost with
        # the target): its retry then updates the same _id, version 2, never a second document.
        es = target(own)
        assert versions(es, "restart") == sender.acknowledged
        assert es.count(index="restart")["count"] == len(sender.acknowledged)
        assert all(version == 1 for doc_id, version in sender.acknowledged.items()
                   if int(doc_id[1:].split("-")[0]) not in sender.retried_batches)
        assert not set(sender.dropped) & set(sender.acknowledged)
        # The failure file: each failed document once (a 503 records nothing; its retry does).
        records = [json.loads(line) for line in (tmp_path / "failures.ndjson").read_text().splitlines()]
        recorded = [r["action"]["_id"] for r in records]
        assert len(recorded) == len(set(recorded)), "a failure recorded twice"
        assert sorted(recorded) == sorted(sender.failed) and sender.failed
        assert sender.dropped
    finally:
        if sender is not None:
            sender.stop_after.set()
        if served is not None:
            served.stop()
        own.close()


# -- 3. clients that go away or talk nonsense -----------------------------------------


def _raw(url: str, data: bytes, *, read: bool = True, timeout: float = 10) -> bytes:
    """Send ``data`` on a fresh connection; the server's bytes until it closes (or none)."""
    parts = urlsplit(url)
    with socket.create_connection((parts.hostname, parts.port), timeout=timeout) as sock:
        sock.sendall(data)
        if not read:
            return b""
        received = b""
        try:
            while True:
                chunk = sock.recv(65536)
                if not chunk:
                    break
                received += chunk
        except socket.timeout:
            pass
        return received


def _headers(length: int, extra: str = "") -> bytes:
    return (f"POST /_bulk HTTP/1.1\r\nHost: x\r\nContent-Type: application/x-ndjson\r\n"
            f"Content-Length: {length}\r\n{extra}\r\n").encode()


def test_disconnects_and_garbage_leave_the_server_and_its_workers_serving(tmp_path: Path, noida: NoidaServer) -> None:
    with_slow_pipeline(tmp_path)
    served = serve(tmp_path, "--forward", f"es://127.0.0.1:{noida.port}", "--default-pipeline", "slow", "--workers", "2")
    try:
        status, answer = _post_status(served.url + "/_bulk", ndjson("hangup", ["ok-0"]))
        assert status == 200 and items(answer)[0]["status"] == 201
        workers = sorted(_descendants(served.process.pid))
        assert workers

        # Half a body of a large declared length, then the client is gone.
        body = ndjson("hangup", [f"half-{n}" for n in range(200)])
        _raw(served.url, _headers(len(body) * 10) + body[: len(body) // 2], read=False)
        # A whole body, then gone before the answer (the pipeline is still running it).
        body = ndjson("hangup", [f"gone-{n}" for n in range(10)])
        _raw(served.url, _headers(len(body)) + body, read=False)
        # Garbage: not HTTP at all, a TLS hello on the plain port, a bad Content-Length, a lying chunked body.
        for garbage in (b"\x00\xff\xfe garbage \r\n\r\n",
                        bytes.fromhex("16030100a5010000a10303") + b"\x00" * 64,
                        b"POST /_bulk HTTP/1.1\r\nHost: x\r\nContent-Length: abc\r\n\r\n",
                        b"POST /_bulk HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\nxx\r\n0\r\n\r\n"):
            reply = _raw(served.url, garbage)
            assert reply == b"" or reply.startswith(b"HTTP/1.1 400"), reply[:200]

        # The request whose client left is finished and its documents given back: nothing stays in flight.
        until = time.monotonic() + 30
        while True:
            now = stats(served)
            if now["in_flight"] == 0 and now["documents"]["received"] >= 11:
                break
            assert time.monotonic() < until, f"documents stuck in flight: {now['in_flight']}"
            time.sleep(0.05)
        assert now["documents"]["received"] == 11  # the half body never became a request

        status, answer = _post_status(served.url + "/_bulk", ndjson("hangup", [f"after-{n}" for n in range(5)]))
        assert status == 200 and [item["status"] for item in items(answer)] == [201] * 5
        assert served.process.poll() is None
        assert sorted(_descendants(served.process.pid)) == workers, "a worker process was lost or replaced"
        docs = indexed(target(noida), "hangup")
        assert {f"after-{n}" for n in range(5)} <= set(docs)
        assert not any(doc_id.startswith("half-") for doc_id in docs)
        assert all(doc["slowed"] is True for doc in docs.values())
    finally:
        served.stop()


# -- 4. malformed bodies over HTTP ---------------------------------------------------------


@pytest.fixture(scope="module")
def small(tmp_path_factory: pytest.TempPathFactory, noida: NoidaServer) -> Iterator[Served]:
    """A server with a 4 KiB body limit and the ``main`` pipeline."""
    server = serve(tmp_path_factory.mktemp("malformed"), "--forward", f"es://127.0.0.1:{noida.port}",
                   "--default-pipeline", "main", "--max-body-bytes", "4096")
    try:
        yield server
    finally:
        server.stop()


GOOD = b'{"index":{"_index":"malformed","_id":"good"}}\n{"n":1}\n'


@pytest.mark.parametrize(
    ("body", "headers", "status", "error_type", "reason"),
    [
        # REST API 9 (the 9.x clients' header); REST API 8, the default, accepts it with a deprecation.
        pytest.param(GOOD + b'{"index":{"_index":"malformed","_id":"x"}\n{"n":2}\n',
                     {"Content-Type": "application/vnd.elasticsearch+x-ndjson; compatible-with=9"}, 400,
                     "parse_exception", "could not parse bulk request body", id="unclosed-action-line-api-9"),
        pytest.param(GOOD + b"{index}\n{}\n", {}, 400, "parse_exception", "could not parse bulk request body",
                     id="invalid-json-action-line"),
        pytest.param(GOOD + b'{"upsert":{"_index":"malformed"}}\n{"n":3}\n', {}, 400, "illegal_argument_exception",
                     "Malformed action/metadata line [3], expected field [create], [delete], [index] or [update] "
                     "but found [upsert]", id="unknown-action"),
        pytest.param(b'{"index":{"_index":"malformed","_id":"alone"}}\n', {}, 400, "action_request_validation_exception",
                     "Validation Failed: 1: no requests added;", id="only-an-action-line"),
        pytest.param(b"", {}, 400, "parse_exception", "request body is required", id="empty-body"),
        pytest.param(GOOD + b'[{"index":{}}]\n{}\n', {}, 400, "illegal_argument_exception",
                     "Malformed action/metadata line [3], expected START_OBJECT but found [START_ARRAY]",
                     id="action-line-not-an-object"),
        pytest.param(gzip.compress(GOOD)[:-12], {"Content-Encoding": "gzip"}, 400, "parse_exception", None,
                     id="truncated-gzip"),
    ],
)
def test_malformed_bodies_are_refused_whole(small: Served, noida: NoidaServer, body: bytes, headers: dict,
                                            status: int, error_type: str, reason: str | None,
                                            request: pytest.FixtureRequest) -> None:
    case = request.node.callspec.id
    body = body.replace(b'"_id":"good"', f'"_id":"good-{case}"'.encode())
    got, answer = _post_status(small.url + "/_bulk", body, headers)
    assert (got, answer["status"]) == (status, status)
    assert answer["error"]["type"] == error_type
    assert answer["error"]["root_cause"][0]["type"] == error_type
    if reason is not None:
        assert answer["error"]["reason"] == reason
    if error_type == "parse_exception" and body.startswith(GOOD):
        assert answer["error"]["caused_by"]["type"] in ("x_content_parse_exception", "x_content_e_o_f_exception")
    # Refused whole: not even the good document before the bad line went anywhere.
    assert not indexed(target(noida), "malformed")
    assert not (small.work / "failures.ndjson").exists()
    # And the server goes on.
    got, answer = _post_status(small.url + "/_bulk?pipeline=_none", b'{"index":{"_index":"malformed-ok"}}\n{"n":1}\n')
    assert got == 200 and items(answer)[0]["status"] == 201


def test_a_chunked_body_over_the_limit_is_413_while_it_streams(small: Served, noida: NoidaServer) -> None:
    """No Content-Length to refuse up front: the limit applies as the body arrives."""
    parts = urlsplit(small.url)
    sent = 0

    def chunks() -> Iterator[bytes]:
        nonlocal sent
        for n in range(2000):  # 2000 documents of about 60 bytes: far beyond 4096
            piece = json.dumps({"index": {"_index": "chunked", "_id": f"c{n}"}}).encode() + b'\n{"n":' + str(n).encode() + b"}\n"
            sent += len(piece)
            yield piece

    connection = http.client.HTTPConnection(parts.hostname, parts.port, timeout=30)
    try:
        try:
            connection.request("POST", "/_bulk", body=chunks(), encode_chunked=True,
                               headers={"Content-Type": "application/x-ndjson"})
        except (BrokenPipeError, ConnectionResetError):
            pass  # the server answered and closed before the whole body was sent
        response = connection.getresponse()
        payload = json.loads(response.read())
    finally:
        connection.close()
    assert response.status == 413 and payload["status"] == 413
    assert response.headers["X-Elastic-Product"] == "Elasticsearch"
    assert payload["error"]["type"] == "content_too_long_exception"
    assert not target(noida).indices.exists(index="chunked")
    got, _ = _post_status(small.url + "/_bulk", GOOD.replace(b"good", b"after-chunked"))
    assert got == 200


def test_stats_answer_at_once_while_a_batch_runs_and_wrong_methods_get_405(tmp_path: Path, noida: NoidaServer) -> None:
    """Found by these tests: /_ingesthost/stats waited for the pipeline's
    batch in flight; GET /_bulk was 'no handler found'."""
    with_slow_pipeline(tmp_path)
    server = serve(tmp_path, "--forward", f"es://127.0.0.1:{noida.port}", "--timeout", "10")
    try:
        status, answer = _get_status(server.url + "/_bulk")
        assert status == 405 and "Incorrect HTTP method for uri [/_bulk] and method [GET]" in answer["error"]
        body = b"".join(b'{"index":{"_index":"st","_id":"%d","pipeline":"slow"}}\n{"n":%d}\n' % (n, n) for n in range(1, 30))
        sender = threading.Thread(target=_post_status, args=(server.url + "/_bulk", body))
        sender.start()
        deadline = time.monotonic() + 30
        while True:  # until the slow batch is in its pipeline
            status, stats = _get_status(server.url + "/_ingesthost/stats")
            if stats["in_flight"]:
                break
            assert time.monotonic() < deadline
            time.sleep(0.01)
        started = time.monotonic()
        status, stats = _get_status(server.url + "/_ingesthost/stats")
        took = time.monotonic() - started
        assert status == 200 and stats["pipelines"]["slow"].get("busy") is True
        assert took < 0.5, took
        sender.join(120)
        assert not sender.is_alive()
    finally:
        server.stop()


def _get_status(url: str) -> tuple[int, Any]:
    import urllib.error
    import urllib.request

    try:
        with urllib.request.urlopen(url, timeout=30) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read())
