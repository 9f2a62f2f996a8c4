"""`ingesthost process` with Elasticsearch as source and/or sink, end to end.

Through the real command in a subprocess (``python -m ingesthost process``),
against a real noida-db server (tests/es_server.py) where it can answer, and
against recorded Elasticsearch responses (tests/es_fixtures.py) for what it
cannot produce (401, 503, ``_routing`` in search hits). Indices are seeded
and checked with the official client; every count is taken after a
``refresh``. About 2 minutes; the one big index has 20,000 documents.
"""

from __future__ import annotations

import base64
import collections
import json
import os
import re
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import elasticsearch
import pytest
from elasticsearch import helpers

from es_fixtures import RecordedES, Reply, ok_items, running_noida, security_401
from es_server import NoidaServer

ROOT = Path(__file__).resolve().parent.parent
BENCH_EDIT = ROOT / "fixtures" / "wasm" / "bench_edit.wasm"

N_DOCS = 20_000
SRC = "src"

#: drop n % 10 == 0, fail n % 17 == 0 (when not dropped), mark the rest, and
#: run a wasm guest that reads user.name / http.status and writes summary.
PIPELINE = f"""\
processors:
  - drop: {{if: "ctx.n % 10 == 0"}}
  - fail: {{message: "n {{{{n}}}} is a multiple of 17", if: "ctx.n % 17 == 0"}}
  - set: {{field: seen, value: true}}
  - wasm: {{module: "{BENCH_EDIT}"}}
"""

#: the same shape without the guest (cheaper, for the fault runs)
SIMPLE_PIPELINE = """\
processors:
  - drop: {if: "ctx.n % 10 == 0"}
  - fail: {message: "asked to fail", if: "ctx.n % 17 == 0"}
  - set: {field: seen, value: true}
"""

SECRETS = ("s3cr3t-value", "hunter2")

SUMMARY = re.compile(r"ingesthost: read (\d+)\D.*?written (\d+)\D.*?dropped (\d+)\D.*?failed (\d+)")


# ---------------------------------------------------------------------------
# helpers
# ---------------------------------------------------------------------------


def doc(i: int) -> dict:
    return {
        "n": i,
        "kind": "abc"[i % 3],
        "msg": f"message {i}",
        "user": {"name": f"User{i % 50}"},
        "http": {"status": 200 + i % 5},
    }


def fate(i: int) -> str:
    if i % 10 == 0:
        return "dropped"
    if i % 17 == 0:
        return "failed"
    return "kept"


def expected_ids(n_docs: int, what: str) -> set[str]:
    return {f"d{i}" for i in range(n_docs) if fate(i) == what}


def clean_env(**extra: str) -> dict[str, str]:
    """This environment without any Elasticsearch credentials, plus ``extra``."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("ELASTIC_", "ELASTICSEARCH_"))}
    env.update(extra)
    return env


def command(*args: str) -> list[str]:
    return [sys.executable, "-m", "ingesthost", "process", *args]


def run(*args: str, cwd: Path, env: dict[str, str] | None = None, timeout: float = 240) -> subprocess.CompletedProcess:
    return subprocess.run(command(*args), capture_output=True, cwd=cwd, env=env or clean_env(), timeout=timeout,
                          stdin=subprocess.DEVNULL)


def start(*args: str, cwd: Path, name: str, env: dict[str, str] | None = None) -> subprocess.Popen:
    """A run in the background; its stdout and stderr go to files in ``cwd``."""
    out = open(cwd / f"{name}.stdout", "wb")
    err = open(cwd / f"{name}.stderr", "wb")
    try:
        return subprocess.Popen(command(*args), stdout=out, stderr=err, cwd=cwd, env=env or clean_env(),
                                stdin=subprocess.DEVNULL)
    finally:
        out.close()
        err.close()


def run_until_progress(args: tuple[str, ...], work: Path, name: str, then: Any, timeout: float) -> int:
    """Start a run with ``--checkpoint ck.json``, wait until it has made
    progress, do ``then(process)`` (a signal, a server stopped), and return
    its exit status (a run that outlives ``timeout`` is killed)."""
    process = start(*args, cwd=work, name=name)
    try:
        wait_for_progress(process, work / "ck.json")
        then(process)
        return wait_exit(process, timeout)
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()


def stderr_of(cwd: Path, name: str) -> str:
    return (cwd / f"{name}.stderr").read_text(errors="replace")


def counts(stderr: str | bytes) -> tuple[int, int, int, int]:
    """(read, written, dropped, failed) from the summary line."""
    text = stderr.decode(errors="replace") if isinstance(stderr, bytes) else stderr
    match = SUMMARY.search(text)
    assert match, f"no summary line in stderr:\n{text}"
    return tuple(int(g) for g in match.groups())  # type: ignore[return-value]


def es_url(server: NoidaServer, index: str = "", userinfo: str = "") -> str:
    return f"es://{userinfo}127.0.0.1:{server.port}/{index}"


def seed(client: elasticsearch.Elasticsearch, index: str, n_docs: int) -> None:
    client.indices.create(
        index=index,
        mappings={"properties": {"n": {"type": "long"}, "kind": {"type": "keyword"}}},
    )
    ok, errors = helpers.bulk(
        client.options(request_timeout=120),
        ({"_index": index, "_id": f"d{i}", "_source": doc(i)} for i in range(n_docs)),
        chunk_size=2000,
    )
    assert ok == n_docs and not errors
    client.indices.refresh(index=index)
    assert client.count(index=index)["count"] == n_docs


def read_index(client: elasticsearch.Elasticsearch, index: str) -> dict[str, dict]:
    """Every hit of ``index`` by id (the whole hit: _source, _routing...);
    a duplicated id fails the test."""
    client.indices.refresh(index=index)
    hits: dict[str, dict] = {}
    for hit in helpers.scan(client, index=index, size=1000):
        assert hit["_id"] not in hits, f"{hit['_id']} twice in {index}"
        hits[hit["_id"]] = hit
    assert len(hits) == client.count(index=index)["count"]
    return hits


def versions(client: elasticsearch.Elasticsearch, index: str) -> dict[str, int]:
    """Every document's ``_version`` (1: written once)."""
    client.indices.refresh(index=index)
    return {hit["_id"]: hit["_version"] for hit in helpers.scan(client, index=index, size=1000, version=True)}


def whole_run_counts(n_docs: int) -> tuple[int, int, int, int]:
    return (n_docs, *(len(expected_ids(n_docs, what)) for what in ("kept", "dropped", "failed")))


def read_ndjson(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def failed_ids(records: list[dict]) -> list[str]:
    return [r["document"]["_id"] for r in records]


def assert_no_secret(*texts: str | bytes) -> None:
    encoded = [base64.b64encode(f"elastic:{s}".encode()).decode() for s in SECRETS]
    encoded += [base64.b64encode(f"user:{s}".encode()).decode() for s in SECRETS]
    for text in texts:
        if isinstance(text, bytes):
            text = text.decode(errors="replace")
        for secret in (*SECRETS, *encoded):
            assert secret not in text, f"{secret!r} shown in:\n{text}"


def wait_for_progress(process: subprocess.Popen, checkpoint: Path, timeout: float = 120) -> str:
    """Wait until the checkpoint has recorded progress twice (so at least one
    block was acknowledged); returns its content. Fails if the run ends
    first."""
    deadline = time.monotonic() + timeout
    first = None
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail(f"the run ended (exit {process.returncode}) before it could be interrupted")
        try:
            text = checkpoint.read_text()
        except FileNotFoundError:
            text = None
        if text is not None:
            try:
                json.loads(text)
            except ValueError:
                pytest.fail(f"the checkpoint was caught half-written (not atomic): {text[:200]!r}")
        if text:
            if first is None:
                first = text
            elif text != first:
                return text
        time.sleep(0.005)
    pytest.fail(f"no progress in {checkpoint} within {timeout} s")


def wait_exit(process: subprocess.Popen, timeout: float = 120) -> int:
    try:
        return process.wait(timeout)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()
        pytest.fail(f"the run did not stop within {timeout} s")


def check_final(client: elasticsearch.Elasticsearch, index: str, failures: Path, n_docs: int) -> None:
    """``index`` holds exactly the kept documents, each once and as processed;
    ``failures`` each failed one exactly once."""
    hits = read_index(client, index)
    assert set(hits) == expected_ids(n_docs, "kept")
    for doc_id, hit in hits.items():
        assert hit["_source"] == {**doc(int(doc_id[1:])), "seen": True}, doc_id
    records = read_ndjson(failures)
    ids = failed_ids(records)
    duplicated = [i for i, c in collections.Counter(ids).items() if c > 1]
    assert not duplicated, f"failure records duplicated: {duplicated[:10]}"
    assert set(ids) == expected_ids(n_docs, "failed")


# ---------------------------------------------------------------------------
# fixtures
# ---------------------------------------------------------------------------


@pytest.fixture(scope="module")
def noida():
    yield from running_noida()


@pytest.fixture(scope="module")
def es(noida) -> elasticsearch.Elasticsearch:
    return elasticsearch.Elasticsearch(noida.url, max_retries=0, request_timeout=60)


@pytest.fixture(scope="module")
def src(es) -> str:
    """Index ``src``: 20,000 documents d0..d19999."""
    seed(es, SRC, N_DOCS)
    return SRC


@pytest.fixture()
def work(tmp_path: Path) -> Path:
    (tmp_path / "p.yml").write_text(PIPELINE)
    (tmp_path / "simple.yml").write_text(SIMPLE_PIPELINE)
    return tmp_path


# ---------------------------------------------------------------------------
# 1. end to end
# ---------------------------------------------------------------------------


def test_index_to_index_20000_documents(es, noida, src, work):
    result = run(es_url(noida, src), "-p", "p.yml", "-o", es_url(noida, "dst"), "--page-size", "997", cwd=work)
    stderr = result.stderr.decode(errors="replace")
    assert result.returncode == 1, stderr

    kept, dropped, failed = (expected_ids(N_DOCS, w) for w in ("kept", "dropped", "failed"))
    assert (len(kept), len(dropped), len(failed)) == (16941, 2000, 1059)
    read, written, n_dropped, n_failed = counts(stderr)
    assert (read, written, n_dropped, n_failed) == (N_DOCS, len(kept), len(dropped), len(failed))
    assert read == written + n_dropped + n_failed
    assert result.stdout == b""  # the documents went to the index, not to stdout

    hits = read_index(es, "dst")
    assert set(hits) == kept
    for doc_id, hit in hits.items():
        i = int(doc_id[1:])
        # metadata went into the bulk action, not into the source
        assert hit["_source"] == {**doc(i), "seen": True, "summary": f"User{i % 50}:{200 + i % 5}"}, doc_id
        assert hit["_index"] == "dst"

    # with an es:// output and no --failures: INDEXNAME.failures.ndjson in the current directory
    records = read_ndjson(work / "dst.failures.ndjson")
    ids = failed_ids(records)
    assert len(ids) == len(set(ids)) == len(failed)
    assert set(ids) == failed
    for record in records:
        i = int(record["document"]["_id"][1:])
        assert record["error"]["type"] == "processor_error"
        assert record["error"]["message"] == f"n {i} is a multiple of 17"
        # as the processors saw it: a reindex shows the destination in ctx._index
        assert record["document"]["_index"] == "dst"
        assert record["document"]["n"] == i and record["document"]["msg"] == f"message {i}"
    assert not (ROOT / "dst.failures.ndjson").exists()


def test_query_and_slices_from_an_index_to_ndjson(es, noida, src, work):
    (work / "q.json").write_text(json.dumps({"range": {"n": {"lt": 250}}}))
    result = run(es_url(noida, src), "-p", "simple.yml", "-o", "out.ndjson", "--failures", "f.ndjson",
                 "--query", "@q.json", "--slices", "2", "--page-size", "30", cwd=work)
    assert result.returncode == 1, result.stderr
    lines = read_ndjson(work / "out.ndjson")
    ids = [d["_id"] for d in lines]
    assert len(ids) == len(set(ids))
    assert set(ids) == {f"d{i}" for i in range(250) if fate(i) == "kept"}
    assert counts(result.stderr)[0] == 250

    result = run(es_url(noida, src), "-p", "simple.yml", "-o", "kind.ndjson", "--failures", "f2.ndjson",
                 "--query", '{"term": {"kind": "b"}}', cwd=work)
    assert result.returncode == 1, result.stderr
    ids = [d["_id"] for d in read_ndjson(work / "kind.ndjson")]
    assert len(ids) == len(set(ids))
    assert set(ids) == {f"d{i}" for i in range(N_DOCS) if i % 3 == 1 and fate(i) == "kept"}
    assert set(failed_ids(read_ndjson(work / "f2.ndjson"))) == {
        f"d{i}" for i in range(N_DOCS) if i % 3 == 1 and fate(i) == "failed"}


# ---------------------------------------------------------------------------
# 2. metadata
# ---------------------------------------------------------------------------

META_PIPELINE = """\
processors:
  - set: {field: _index, value: routed, if: "ctx.kind == 'b'"}
  - drop: {if: "ctx._id == 'm5'"}
  - set: {field: tagged, value: true, if: "ctx._id.startsWith('m1')"}
  - set: {field: copied_id, copy_from: _id}
"""


@pytest.fixture(scope="module")
def meta_src(es) -> str:
    """30 documents m0..m29 (no routing: noida-db leaves ``_routing`` out of
    search hits, so routing is tested against recorded responses below)."""
    ops: list[dict] = []
    for i in range(30):
        ops += [{"index": {"_index": "meta_src", "_id": f"m{i}"}}, {"n": i, "kind": "abc"[i % 3]}]
    assert es.bulk(operations=ops, refresh=True)["errors"] is False
    return "meta_src"


def test_metadata_routes_documents_and_conditions_see_the_id(es, noida, meta_src, work):
    (work / "meta.yml").write_text(META_PIPELINE)
    result = run(es_url(noida, meta_src), "-p", "meta.yml", "-o", es_url(noida, "meta_dst"), cwd=work)
    assert result.returncode == 0, result.stderr
    assert counts(result.stderr) == (30, 29, 1, 0)

    routed = read_index(es, "routed")
    plain = read_index(es, "meta_dst")
    assert set(routed) == {f"m{i}" for i in range(30) if i % 3 == 1 and i != 5}
    assert set(plain) == {f"m{i}" for i in range(30) if i % 3 != 1 and i != 5}
    for doc_id, hit in {**routed, **plain}.items():
        i = int(doc_id[1:])
        want = {"n": i, "kind": "abc"[i % 3], "copied_id": doc_id}
        if doc_id.startswith("m1"):
            want["tagged"] = True
        assert hit["_source"] == want, doc_id  # no _index/_id left in the source
    assert not (work / "meta_dst.failures.ndjson").exists()


def test_index_source_to_ndjson_keeps_the_metadata_fields(noida, meta_src, work):
    (work / "meta.yml").write_text(META_PIPELINE)
    result = run(es_url(noida, meta_src), "-p", "meta.yml", "-o", "out.ndjson", cwd=work)
    assert result.returncode == 0, result.stderr
    lines = {d["_id"]: d for d in read_ndjson(work / "out.ndjson")}
    assert set(lines) == {f"m{i}" for i in range(30) if i != 5}
    for doc_id, line in lines.items():
        i = int(doc_id[1:])
        assert line["_index"] == ("routed" if i % 3 == 1 else meta_src)
        assert line["copied_id"] == doc_id
        assert line.get("tagged") is (True if doc_id.startswith("m1") else None)
        assert "_routing" not in line


INFO = {"name": "recorded", "cluster_name": "recorded", "cluster_uuid": "x", "tagline": "You Know, for Search",
        "version": {"number": "8.15.3", "build_flavor": "default", "minimum_wire_compatibility_version": "7.17.0",
                    "minimum_index_compatibility_version": "7.0.0"}}

NO_MASTER = {"type": "cluster_block_exception", "reason": "blocked by: [SERVICE_UNAVAILABLE/2/no master];"}


def _recorded_index(hits: list[dict]):
    """A handler serving ``hits`` as an index read: info, count, point in
    time, one page of hits then an empty one, close."""
    shards = {"total": 1, "successful": 1, "skipped": 0, "failed": 0}

    def handler(request):
        path = request.path.split("?")[0]
        if path == "/" and request.method in ("GET", "HEAD"):
            return Reply(200, INFO)
        if path.endswith("/_pit") and request.method == "POST":
            return Reply(200, {"id": "pit-1", "_shards": shards})
        if path == "/_pit" and request.method == "DELETE":
            return Reply(200, {"succeeded": True, "num_freed": 1})
        if path.endswith("/_count"):
            return Reply(200, {"count": len(hits), "_shards": shards})
        if path.endswith("/_search"):
            page = [] if (request.json() or {}).get("search_after") else hits
            return Reply(200, {"pit_id": "pit-1", "took": 1, "timed_out": False, "_shards": shards,
                               "hits": {"total": {"value": len(hits), "relation": "eq"}, "max_score": None,
                                        "hits": page}})
        return Reply(404, {"error": {"type": "not_handled", "reason": path}, "status": 404})

    return handler


def test_routing_travels_from_hit_to_field_to_bulk_action(es, noida, work):
    hits = [
        {"_index": "rsrc", "_id": "r1", "_routing": "u1", "_score": None, "_source": {"n": 1}, "sort": [1, 0]},
        {"_index": "rsrc", "_id": "r2", "_score": None, "_source": {"n": 2}, "sort": [2, 1]},
    ]
    (work / "empty.yml").write_text("processors:\n  - set: {field: ok, value: true}\n")
    with RecordedES(_recorded_index(hits)) as recorded:
        source = recorded.url.replace("http://", "es://") + "/rsrc"
        result = run(source, "-p", "empty.yml", "-o", "out.ndjson", cwd=work)
        assert result.returncode == 0, result.stderr
        assert read_ndjson(work / "out.ndjson") == [
            {"_index": "rsrc", "_id": "r1", "_routing": "u1", "n": 1, "ok": True},
            {"_index": "rsrc", "_id": "r2", "n": 2, "ok": True},
        ]
        result = run(source, "-p", "empty.yml", "-o", es_url(noida, "routing_dst"), cwd=work)
        assert result.returncode == 0, result.stderr
    got = es.get(index="routing_dst", id="r1", routing="u1")
    assert got["_routing"] == "u1" and got["_source"] == {"n": 1, "ok": True}
    assert "_routing" not in es.get(index="routing_dst", id="r2")

    # from an NDJSON field, too
    (work / "in.ndjson").write_text('{"_id": "r3", "_routing": "u3", "n": 3}\n')
    result = run("in.ndjson", "-p", "empty.yml", "-o", es_url(noida, "routing_dst"), cwd=work)
    assert result.returncode == 0, result.stderr
    got = es.get(index="routing_dst", id="r3", routing="u3")
    assert got["_routing"] == "u3" and got["_source"] == {"n": 3, "ok": True}


def test_output_url_without_index_needs_index_in_every_document(es, noida, work):
    (work / "in.ndjson").write_text(
        '{"_index": "noidx_a", "_id": "x1", "v": 1}\n'
        '{"_id": "x2", "v": 2}\n'
        '{"_index": "noidx_b", "v": 3}\n'
    )
    (work / "empty.yml").write_text("processors:\n  - set: {field: ok, value: true}\n")
    result = run("in.ndjson", "-p", "empty.yml", "-o", es_url(noida), "--failures", "f.ndjson", cwd=work)
    stderr = result.stderr.decode(errors="replace")
    assert result.returncode == 1, stderr
    assert counts(stderr) == (3, 2, 0, 1)
    assert es.get(index="noidx_a", id="x1")["_source"] == {"v": 1, "ok": True}
    (hit,) = read_index(es, "noidx_b").values()
    assert hit["_source"] == {"v": 3, "ok": True}  # generated id
    (record,) = read_ndjson(work / "f.ndjson")
    assert record["document"]["_id"] == "x2" and record["document"]["v"] == 2
    assert "_index" in json.dumps(record["error"])


# ---------------------------------------------------------------------------
# 3. NDJSON -> Elasticsearch
# ---------------------------------------------------------------------------


def test_ndjson_with_ids_created_twice_is_already_there(es, noida, work):
    (work / "in.ndjson").write_text("".join(json.dumps({"_id": f"k{i}", "n": i}) + "\n" for i in range(50)))
    (work / "run1.yml").write_text("processors:\n  - set: {field: run, value: 1}\n")
    (work / "run2.yml").write_text("processors:\n  - set: {field: run, value: 2}\n")

    first = run("in.ndjson", "-p", "run1.yml", "-o", es_url(noida, "created"), "--op-type", "create", cwd=work)
    assert first.returncode == 0, first.stderr
    assert counts(first.stderr) == (50, 50, 0, 0)
    hits = read_index(es, "created")
    assert {k: h["_source"] for k, h in hits.items()} == {f"k{i}": {"n": i, "run": 1} for i in range(50)}

    again = run("in.ndjson", "-p", "run2.yml", "-o", es_url(noida, "created"), "--op-type", "create", cwd=work)
    assert again.returncode == 0, again.stderr
    read, written, dropped, failed = counts(again.stderr)
    assert (read, dropped, failed) == (50, 0, 0)
    assert written == 50  # "already there" counts as written
    assert "written 50 (50 already in the index)" in again.stderr.decode()
    assert "already in the index" not in first.stderr.decode()
    hits = read_index(es, "created")
    assert {k: h["_source"] for k, h in hits.items()} == {f"k{i}": {"n": i, "run": 1} for i in range(50)}
    assert {es.get(index="created", id=k)["_version"] for k in hits} == {1}  # nothing overwritten
    assert not (work / "created.failures.ndjson").exists()


def test_mapping_conflict_goes_to_the_failure_file_and_the_dead_letter_index(es, noida, work):
    es.indices.create(index="conflict", mappings={"properties": {"a": {"type": "long"}}})
    (work / "in.ndjson").write_text('{"_id": "c1", "a": 1}\n{"_id": "c2", "a": {"b": 1}}\n{"_id": "c3", "a": 3}\n')
    (work / "empty.yml").write_text("processors:\n  - set: {field: ok, value: true}\n")
    result = run("in.ndjson", "-p", "empty.yml", "-o", es_url(noida, "conflict"),
                 "--dead-letter", es_url(noida, "dlq"), cwd=work)
    stderr = result.stderr.decode(errors="replace")
    assert result.returncode == 1, stderr
    assert counts(stderr) == (3, 2, 0, 1)
    assert set(read_index(es, "conflict")) == {"c1", "c3"}

    (record,) = read_ndjson(work / "conflict.failures.ndjson")
    error = record["error"]
    assert error["type"] == "sink_error"
    assert error["status"] == 400
    assert error["message"]
    assert error["es_error"]["type"] == "document_parsing_exception"
    assert "[a]" in error["es_error"]["reason"]
    assert record["document"]["a"] == {"b": 1} and record["document"]["ok"] is True
    assert "c2" in json.dumps(record)

    (letter,) = read_index(es, "dlq").values()
    body = letter["_source"]
    assert body["status"] == 400
    assert body["error"]["type"] == "document_parsing_exception"
    assert body["@timestamp"]
    original = body["original"]
    if isinstance(original, str):
        original = json.loads(original)
    assert original["a"] == {"b": 1}


# ---------------------------------------------------------------------------
# 4. faults: the cluster goes away, SIGTERM; then --resume
# ---------------------------------------------------------------------------


def test_cluster_stopped_mid_run_then_resume_gives_every_document_once(tmp_path):
    work = tmp_path
    (work / "simple.yml").write_text(SIMPLE_PIPELINE)
    server = NoidaServer(tmp_path / "noida-data")
    try:
        server.start()
        client = elasticsearch.Elasticsearch(server.url, max_retries=0, request_timeout=60)
        seed(client, SRC, N_DOCS)
        args = (es_url(server, SRC), "-p", "simple.yml", "-o", es_url(server, "dst"), "--sort", "n",
                "--page-size", "500", "--bulk-docs", "100", "--max-retries", "3",
                "--failures", "f.ndjson", "--checkpoint", "ck.json")
        status = run_until_progress(args, work, "first", lambda process: server.stop(), 120)
        first_err = stderr_of(work, "first")
        assert status == 3, first_err
        checkpoint = json.loads((work / "ck.json").read_text())
        assert checkpoint
        assert "Traceback" not in first_err

        server.start()  # same data directory, same port
        assert client.count(index=SRC)["count"] == N_DOCS
        done_before = len(read_index(client, "dst")) if client.indices.exists(index="dst") else 0
        assert 0 < done_before < len(expected_ids(N_DOCS, "kept")), done_before
        resumed = run(*args, "--resume", cwd=work)
        stderr = resumed.stderr.decode(errors="replace")
        assert resumed.returncode == 1, stderr  # the rest still has documents that fail
        # the summary of a resumed run counts the whole run, once
        assert counts(stderr) == whole_run_counts(N_DOCS)
        check_final(client, "dst", work / "f.ndjson", N_DOCS)
        # the resume went on from the checkpoint: at most the block that was
        # in flight when the cluster went away is written a second time
        rewritten = [k for k, v in versions(client, "dst").items() if v > 1]
        assert len(rewritten) <= 100, f"{len(rewritten)} documents written twice"
    finally:
        server.close()


def test_source_cluster_stopped_mid_read_then_resume_completes_the_ndjson_output(tmp_path):
    work = tmp_path
    (work / "simple.yml").write_text(SIMPLE_PIPELINE)
    server = NoidaServer(tmp_path / "noida-data")
    try:
        server.start()
        client = elasticsearch.Elasticsearch(server.url, max_retries=0, request_timeout=60)
        seed(client, SRC, N_DOCS)
        args = (es_url(server, SRC), "-p", "simple.yml", "-o", "out.ndjson", "--sort", "n",
                "--page-size", "250", "--batch-size", "250", "--failures", "f.ndjson", "--checkpoint", "ck.json")
        status = run_until_progress(args, work, "first", lambda process: server.stop(), 120)
        first_err = stderr_of(work, "first")
        assert status == 3, first_err
        assert "Traceback" not in first_err
        partial = read_ndjson(work / "out.ndjson")
        assert 0 < len(partial) < len(expected_ids(N_DOCS, "kept"))

        server.start()
        resumed = run(*args, "--resume", cwd=work)
        assert resumed.returncode == 1, resumed.stderr
        assert counts(resumed.stderr) == whole_run_counts(N_DOCS)
        lines = read_ndjson(work / "out.ndjson")
        # every kept document once, in the order of the sort key
        assert [d["_id"] for d in lines] == [f"d{i}" for i in range(N_DOCS) if fate(i) == "kept"]
        assert all(d == {"_index": SRC, "_id": f"d{d['n']}", **doc(d["n"]), "seen": True} for d in lines)
        ids = failed_ids(read_ndjson(work / "f.ndjson"))
        assert ids == [f"d{i}" for i in range(N_DOCS) if fate(i) == "failed"]
    finally:
        server.close()


def test_cluster_answering_503_to_every_bulk_stops_the_run_instead_of_failing_every_document(tmp_path):
    """A cluster that lost its master (or a proxy whose backend is gone)
    still answers, with 503, after every retry: that is the cluster gone
    away (exit 3, resumable), not 900 documents refused one by one."""
    work = tmp_path
    (work / "simple.yml").write_text(SIMPLE_PIPELINE)
    (work / "in.ndjson").write_text("".join(json.dumps({"_id": f"d{i}", **doc(i)}) + "\n" for i in range(1000)))
    state = {"bulks": 0, "down": True}
    written: collections.Counter = collections.Counter()

    def handler(request):
        path = request.path.split("?")[0]
        if path == "/":
            return Reply(200, INFO)
        if path.endswith("/_bulk"):
            state["bulks"] += 1
            if state["down"] and state["bulks"] > 3:
                return Reply(503, {"error": {"root_cause": [NO_MASTER], **NO_MASTER}, "status": 503})
            lines = request.ndjson()
            written.update(action["index"]["_id"] for action in lines[0::2])
            return Reply(200, {"errors": False, "took": 1, "items": ok_items(request)})
        return Reply(404, {"error": {"type": "not_handled", "reason": path}, "status": 404})

    with RecordedES(handler) as recorded:
        args = ("in.ndjson", "-p", "simple.yml", "-o", recorded.url.replace("http://", "es://") + "/dst",
                "--bulk-docs", "100", "--batch-size", "100", "--max-retries", "2",
                "--failures", "f.ndjson", "--checkpoint", "ck.json")
        first = run(*args, cwd=work, timeout=120)
        stderr = first.stderr.decode(errors="replace")
        assert first.returncode == 3, stderr
        assert "503" in stderr or "no master" in stderr or "unavailable" in stderr.lower(), stderr
        records = read_ndjson(work / "f.ndjson") if (work / "f.ndjson").exists() else []
        assert not [r for r in records if r["error"]["type"] == "sink_error"], "the 503s were recorded as refusals"

        state["down"] = False
        resumed = run(*args, "--resume", cwd=work, timeout=120)
        assert resumed.returncode == 1, resumed.stderr
        assert counts(resumed.stderr) == whole_run_counts(1000)
    assert set(written) == expected_ids(1000, "kept")


def _interrupt(
    noida: NoidaServer, work: Path, out_index: str, name: str, failures: bool = True, extra: tuple[str, ...] = ()
) -> tuple[tuple[str, ...], str]:
    """Start an index-to-index run with a checkpoint (credentials in the URLs),
    SIGTERM it after some progress; returns its arguments and stderr."""
    args = (es_url(noida, SRC, "elastic:hunter2@"), "-p", "simple.yml",
            "-o", es_url(noida, out_index, "elastic:hunter2@"), "--sort", "n", "--page-size", "1000",
            "--bulk-docs", "100", *(("--failures", "f.ndjson") if failures else ()), "--checkpoint", "ck.json",
            *extra)
    status = run_until_progress(args, work, name, lambda process: process.send_signal(signal.SIGTERM), 60)
    stderr = stderr_of(work, name)
    assert status == 143, stderr
    return args, stderr


@pytest.mark.parametrize("slices", [1, 2])
def test_sigterm_mid_run_then_resume_gives_every_document_once(es, noida, src, work, slices):
    extra = ("--slices", "2", "--slice-field", "n") if slices > 1 else ()
    args, stderr = _interrupt(noida, work, f"term_dst{slices}", "first", extra=extra)
    checkpoint_text = (work / "ck.json").read_text()
    json.loads(checkpoint_text)
    assert_no_secret(stderr, (work / "first.stdout").read_bytes(), checkpoint_text,
                     (work / "f.ndjson").read_bytes() if (work / "f.ndjson").exists() else b"")

    resumed = run(*args, "--resume", cwd=work)
    assert resumed.returncode == 1, resumed.stderr
    assert counts(resumed.stderr) == whole_run_counts(N_DOCS)
    assert_no_secret(resumed.stdout, resumed.stderr, (work / "ck.json").read_bytes(), (work / "f.ndjson").read_bytes())
    check_final(es, f"term_dst{slices}", work / "f.ndjson", N_DOCS)
    # SIGTERM lets the block in flight finish and records it: nothing is written twice
    assert {v for v in versions(es, f"term_dst{slices}").values()} == {1}


def test_ndjson_to_index_sigterm_then_resume_with_create_writes_each_document_once(es, noida, work):
    (work / "in.ndjson").write_text("".join(json.dumps({"_id": f"d{i}", **doc(i)}) + "\n" for i in range(N_DOCS)))
    args = ("in.ndjson", "-p", "simple.yml", "-o", es_url(noida, "nd_dst"), "--op-type", "create",
            "--bulk-docs", "100", "--batch-size", "200", "--failures", "f.ndjson", "--checkpoint", "ck.json")
    status = run_until_progress(args, work, "first", lambda process: process.send_signal(signal.SIGTERM), 60)
    assert status == 143, stderr_of(work, "first")
    assert 0 < len(read_index(es, "nd_dst")) < len(expected_ids(N_DOCS, "kept"))

    resumed = run(*args, "--resume", cwd=work)
    assert resumed.returncode == 1, resumed.stderr
    assert counts(resumed.stderr) == whole_run_counts(N_DOCS)
    check_final(es, "nd_dst", work / "f.ndjson", N_DOCS)
    assert set(versions(es, "nd_dst").values()) == {1}


def test_several_files_gzip_included_to_an_index_sigterm_then_resume(es, noida, work):
    """A glob of NDJSON files (one gzip-compressed) into one index: the
    checkpoint names the file and its line; the resume skips the files done
    and writes each document once; failure records name their file."""
    import gzip

    (work / "parts").mkdir()
    for part in range(3):
        lines = "".join(json.dumps({"_id": f"d{i}", **doc(i)}) + "\n" for i in range(part, N_DOCS, 3)).encode()
        name = f"parts/p{part}.ndjson" + (".gz" if part == 1 else "")
        (work / name).write_bytes(gzip.compress(lines) if part == 1 else lines)
    args = ("parts/*", "-p", "simple.yml", "-o", es_url(noida, "parts_dst"), "--bulk-docs", "100",
            "--batch-size", "200", "--failures", "f.ndjson", "--checkpoint", "ck.json")
    status = run_until_progress(args, work, "first", lambda process: process.send_signal(signal.SIGTERM), 60)
    assert status == 143, stderr_of(work, "first")
    position = json.loads((work / "ck.json").read_text())["position"]
    assert set(position) == {"file", "line"} and position["line"] > 0

    resumed = run(*args, "--resume", cwd=work)
    assert resumed.returncode == 1, resumed.stderr
    assert counts(resumed.stderr) == whole_run_counts(N_DOCS)
    check_final(es, "parts_dst", work / "f.ndjson", N_DOCS)
    assert set(versions(es, "parts_dst").values()) == {1}
    sources = {record["source"] for record in read_ndjson(work / "f.ndjson")}
    assert sources == {"parts/p0.ndjson", "parts/p1.ndjson.gz", "parts/p2.ndjson"}


def test_resume_goes_on_with_the_default_failure_file(es, noida, src, work):
    """No --failures: the failure file is INDEXNAME.failures.ndjson in the
    current directory, and a resume continues that same file."""
    args, _ = _interrupt(noida, work, "dflt_dst", "first", failures=False)
    assert (work / "dflt_dst.failures.ndjson").exists()
    resumed = run(*args, "--resume", cwd=work)
    assert resumed.returncode == 1, resumed.stderr
    assert counts(resumed.stderr) == whole_run_counts(N_DOCS)
    check_final(es, "dflt_dst", work / "dflt_dst.failures.ndjson", N_DOCS)
    assert sorted(p.name for p in work.glob("*.failures.ndjson")) == ["dflt_dst.failures.ndjson"]


# ---------------------------------------------------------------------------
# 5. credentials and reachability
# ---------------------------------------------------------------------------


@pytest.mark.parametrize("where", ["environment", "url", "both", "api_key", "bearer"])
def test_wrong_credentials_exit_2_quickly_without_showing_secrets(tmp_path, where):
    seen_auth: list[str] = []

    def handler(request):
        seen_auth.append(request.headers.get("authorization", ""))
        return security_401("elastic", request.path.split("?")[0])

    (tmp_path / "in.ndjson").write_text('{"_id": "a", "n": 1}\n')
    (tmp_path / "simple.yml").write_text(SIMPLE_PIPELINE)
    env = clean_env()
    userinfo = ""
    if where in ("environment", "both"):
        env.update(ELASTICSEARCH_USERNAME="elastic", ELASTICSEARCH_PASSWORD="s3cr3t-value")
    if where in ("url", "both"):
        userinfo = "elastic:hunter2@"
    if where == "api_key":
        env["ELASTIC_API_KEY"] = "s3cr3t-value"
    if where == "bearer":
        env["ELASTICSEARCH_BEARER_TOKEN"] = "s3cr3t-value"
    with RecordedES(handler) as server:
        url = server.url.replace("http://", f"es://{userinfo}")
        for args in (
            [f"{url}/src", "-o", "out.ndjson", "--sort", "n"],  # index source
            ["in.ndjson", "-o", f"{url}/dst"],  # index sink
        ):
            began = time.monotonic()
            result = run(*args, "-p", "simple.yml", "--failures", "f.ndjson", "--checkpoint", "ck.json",
                         cwd=tmp_path, env=env, timeout=60)
            took = time.monotonic() - began
            stderr = result.stderr.decode(errors="replace")
            assert result.returncode == 2, stderr
            assert took < 10, f"took {took:.1f} s to give up on a 401"
            assert re.search(r"401|authenticat|credential", stderr, re.I), stderr
            assert "Traceback" not in stderr
            files = [p.read_bytes() for p in (tmp_path / "f.ndjson", tmp_path / "ck.json", tmp_path / "out.ndjson")
                     if p.exists()]
            assert_no_secret(result.stdout, stderr, *files)
    if where == "url":
        assert f"Basic {base64.b64encode(b'elastic:hunter2').decode()}" in seen_auth
    elif where == "environment":
        assert f"Basic {base64.b64encode(b'elastic:s3cr3t-value').decode()}" in seen_auth
    elif where == "api_key":
        assert "ApiKey s3cr3t-value" in seen_auth
    elif where == "bearer":
        assert "Bearer s3cr3t-value" in seen_auth


def test_ess_scheme_means_https(noida, tmp_path):
    """noida-db speaks plain HTTP: an ess:// URL to it fails the TLS handshake."""
    (tmp_path / "in.ndjson").write_text('{"n": 1}\n')
    (tmp_path / "simple.yml").write_text(SIMPLE_PIPELINE)
    result = run("in.ndjson", "-p", "simple.yml", "-o", f"ess://127.0.0.1:{noida.port}/tls", "--failures", "f.ndjson",
                 cwd=tmp_path, timeout=90)
    stderr = result.stderr.decode(errors="replace")
    assert result.returncode == 2, stderr
    assert f"https://127.0.0.1:{noida.port}" in stderr


def test_unreachable_cluster_exits_2(tmp_path):
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    (tmp_path / "in.ndjson").write_text('{"n": 1}\n')
    (tmp_path / "simple.yml").write_text(SIMPLE_PIPELINE)
    began = time.monotonic()
    result = run("in.ndjson", "-p", "simple.yml", "-o", f"es://127.0.0.1:{port}/dst", "--failures", "f.ndjson",
                 cwd=tmp_path, timeout=90)
    stderr = result.stderr.decode(errors="replace")
    assert result.returncode == 2, stderr
    assert time.monotonic() - began < 60
    assert re.search(rf"connect|unreachable|refused|{port}", stderr, re.I), stderr
    assert "Traceback" not in stderr


# ---------------------------------------------------------------------------
# 6. refusals
# ---------------------------------------------------------------------------


def test_checkpoint_with_an_index_source_needs_sort(noida, src, work):
    result = run(es_url(noida, src), "-p", "simple.yml", "-o", "out.ndjson", "--failures", "f.ndjson",
                 "--checkpoint", "ck.json", cwd=work)
    stderr = result.stderr.decode(errors="replace")
    assert result.returncode == 2, stderr
    assert "--sort" in stderr
    assert not (work / "out.ndjson").exists() or (work / "out.ndjson").read_bytes() == b""


def test_resume_with_other_arguments_is_refused(es, noida, src, work):
    args, _ = _interrupt(noida, work, "refuse_dst", "first")
    before = (work / "ck.json").read_bytes()
    failures_before = (work / "f.ndjson").read_bytes() if (work / "f.ndjson").exists() else b""
    (work / "other.yml").write_text(SIMPLE_PIPELINE.replace("seen, value: true", "seen, value: false"))

    def swapped(old: str, new: str) -> list[str]:
        out = list(args)
        out[out.index(old)] = new
        return out

    attempts = {
        "pipeline": swapped("simple.yml", "other.yml"),
        "output": swapped(args[4], es_url(noida, "refuse_other")),
        "input": swapped(args[0], es_url(noida, "meta_src")),
    }
    for what, attempt in attempts.items():
        result = run(*attempt, "--resume", cwd=work)
        stderr = result.stderr.decode(errors="replace")
        assert result.returncode == 2, f"resume with another {what} was not refused: {stderr}"
        assert "resume" in stderr.lower() or "checkpoint" in stderr.lower(), stderr
        assert (work / "ck.json").read_bytes() == before, f"a refused resume ({what}) changed the checkpoint"
        current = (work / "f.ndjson").read_bytes() if (work / "f.ndjson").exists() else b""
        assert current == failures_before, f"a refused resume ({what}) touched the failure file"
    assert not es.indices.exists(index="refuse_other")

    resumed = run(*args, "--resume", cwd=work)
    assert resumed.returncode == 1, resumed.stderr
    check_final(es, "refuse_dst", work / "f.ndjson", N_DOCS)
