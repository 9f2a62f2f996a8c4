"""``ingesthost serve`` end to end: a real server process, the official
Python client (its bulk helpers, product check included) as the shipper,
noida-db as the forward target."""

from __future__ import annotations

import gzip
import json
import re
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any, Iterator

import elasticsearch
import pytest
from elasticsearch import helpers

from es_fixtures import running_noida
from es_server import NoidaServer

ROOT = Path(__file__).resolve().parent.parent

#: drops n % 10 == 0, fails n % 7 == 0 (when not dropped), marks the rest.
PIPELINE = """\
processors:
  - drop: {if: "ctx.n % 10 == 0"}
  - fail: {message: "n is a multiple of 7", tag: sevens, if: "ctx.n % 7 == 0"}
  - set: {field: seen, value: true}
  - set: {field: _index, value: routed, if: "ctx.kind == 'r'"}
"""


@pytest.fixture(scope="module")
def noida() -> Iterator[NoidaServer]:
    yield from running_noida()


class Served:
    """A running ``ingesthost serve``."""

    def __init__(self, process: subprocess.Popen, url: str, work: Path) -> None:
        self.process = process
        self.url = url
        self.work = work

    def client(self, **options: Any) -> elasticsearch.Elasticsearch:
        return elasticsearch.Elasticsearch(self.url, request_timeout=60, **options)

    def stop(self) -> int:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                return self.process.wait(30)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
                raise AssertionError("ingesthost serve did not stop on SIGTERM")
        return self.process.returncode


def serve(work: Path, *arguments: str) -> Served:
    """Start the server (port 0) and wait for the line naming its address."""
    (work / "pipelines").mkdir(exist_ok=True)
    (work / "pipelines" / "main.yml").write_text(PIPELINE)
    (work / "pipelines" / "edit.yml").write_text(
        f"processors:\n  - wasm: {{module: {ROOT / 'fixtures' / 'wasm' / 'bench_edit.wasm'}}}\n"
    )
    log = open(work / "serve.stderr", "wb")
    process = subprocess.Popen(
        [sys.executable, "-m", "ingesthost", "serve", "--pipelines", "pipelines", "--listen", "127.0.0.1:0",
         "--failures", "failures.ndjson", *arguments],
        cwd=work, stdout=subprocess.DEVNULL, stderr=log, stdin=subprocess.DEVNULL,
    )
    log.close()
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        text = (work / "serve.stderr").read_text(errors="replace")
        found = re.search(r"serving on (https?://\S+)", text)
        if found:
            return Served(process, found.group(1), work)
        if process.poll() is not None:
            raise AssertionError(f"ingesthost serve exited {process.returncode}: {text}")
        time.sleep(0.05)
    process.kill()
    raise AssertionError("ingesthost serve did not start in 60 s")


@pytest.fixture()
def served(tmp_path: Path, noida: NoidaServer) -> Iterator[Served]:
    server = serve(tmp_path, "--forward", f"es://127.0.0.1:{noida.port}", "--default-pipeline", "main")
    try:
        yield server
    finally:
        server.stop()


def target(noida: NoidaServer) -> elasticsearch.Elasticsearch:
    return elasticsearch.Elasticsearch(f"http://127.0.0.1:{noida.port}")


def actions(index: str, count: int, **extra: Any) -> list[dict]:
    return [{"_index": index, "_id": f"d{n}", "_source": {"n": n, "kind": "r" if n % 5 == 1 else "a"}, **extra}
            for n in range(count)]


def indexed(client: elasticsearch.Elasticsearch, index: str) -> dict[str, dict]:
    if not client.indices.exists(index=index):
        return {}
    client.indices.refresh(index=index)
    return {hit["_id"]: hit["_source"] for hit in helpers.scan(client, index=index)}


def expected(count: int) -> tuple[set[str], set[str], set[str], set[str]]:
    """(kept in the index, routed, dropped, failed) ids."""
    dropped = {f"d{n}" for n in range(count) if n % 10 == 0}
    failed = {f"d{n}" for n in range(count) if n % 7 == 0 and n % 10}
    kept = {f"d{n}" for n in range(count)} - dropped - failed
    routed = {f"d{n}" for n in range(count) if f"d{n}" in kept and n % 5 == 1}
    return kept - routed, routed, dropped, failed


@pytest.mark.parametrize("helper", ["bulk", "streaming_bulk", "parallel_bulk"])
def test_the_python_client_bulk_helpers_account_for_every_document(served: Served, noida: NoidaServer, helper: str) -> None:
    client = served.client()
    assert client.info()["version"]["number"]  # the product check passes
    index = f"py-{helper.replace('_', '-')}"
    docs = actions(index, 500)
    if helper == "bulk":
        ok, errors = helpers.bulk(client, docs, chunk_size=97, raise_on_error=False)
        results = [("ok", None)] * ok + [("error", e) for e in errors]
    else:
        call = helpers.streaming_bulk if helper == "streaming_bulk" else helpers.parallel_bulk
        results = [("ok" if good else "error", info) for good, info in call(client, docs, chunk_size=97, raise_on_error=False)]
    kept, routed, dropped, failed = expected(500)
    errors = [info for status, info in results if status == "error"]
    assert len(results) == 500
    # the client saw an ingest failure for each failed document, with Elasticsearch's shape
    assert {next(iter(e.values()))["_id"] for e in errors} == failed
    for error in errors:
        item = next(iter(error.values()))
        assert item["status"] == 500 and item["error"]["type"] == "fail_processor_exception"
        assert "n is a multiple of 7" in item["error"]["reason"]
    es = target(noida)
    assert set(indexed(es, index)) == kept
    assert all(source["seen"] is True and "_index" not in source for source in indexed(es, index).values())
    assert routed <= set(indexed(es, "routed"))
    records = [json.loads(line) for line in (served.work / "failures.ndjson").read_text().splitlines()]
    assert {r["action"]["_id"] for r in records if r["action"]["_index"] == index} == failed
    assert all(r["document"]["n"] % 7 == 0 for r in records)


def test_a_dropped_document_is_answered_as_elasticsearch_answers_it(served: Served) -> None:
    body = b'{"index":{"_index":"drops","_id":"a"}}\n{"n":10}\n'
    answer = _post(served.url + "/_bulk", body)
    item = answer["items"][0]["index"]
    assert answer["errors"] is False
    assert item["status"] == 200 and item["result"] == "noop" and item["_id"] == "a"


def test_pipeline_choice_unknown_pipeline_and_none(served: Served, noida: NoidaServer) -> None:
    body = (
        b'{"index":{"_index":"choice","_id":"1","pipeline":"nope"}}\n{"n":1}\n'
        b'{"index":{"_index":"choice","_id":"2","pipeline":"_none"}}\n{"n":7}\n'
        b'{"create":{"_id":"3"}}\n{"n":3,"user":{"name":"ann"},"http":{"status":200}}\n'
    )
    answer = _post(served.url + "/choice/_bulk?pipeline=edit", body)
    first, second, third = (next(iter(item.values())) for item in answer["items"])
    assert answer["errors"] is True
    assert first["status"] == 400 and "nope" in first["error"]["reason"]
    assert second["status"] == 201  # n=7 not failed: no pipeline ran
    assert third["status"] == 201
    docs = indexed(target(noida), "choice")
    assert docs == {"2": {"n": 7}, "3": {"n": 3, "user": {"name": "ann"}, "http": {"status": 200}, "summary": "ann:200"}}


def test_gzip_bodies_and_filter_path(served: Served, noida: NoidaServer) -> None:
    client = served.client(http_compress=True)
    ok, errors = helpers.bulk(client, actions("zipped", 30), raise_on_error=False)
    kept, routed, _, failed = expected(30)
    assert {next(iter(e.values()))["_id"] for e in errors} == failed
    assert set(indexed(target(noida), "zipped")) == kept
    body = b'{"index":{"_index":"fp","_id":"x"}}\n{"n":1}\n'
    assert _post(served.url + "/_bulk?filter_path=errors", body) == {"errors": False}
    answer = _post(served.url + "/_bulk?filter_path=items.*.status,took", gzip.compress(body), {"Content-Encoding": "gzip"})
    assert set(answer) == {"took", "items"} and answer["items"] == [{"index": {"status": 200}}]


def test_limits_and_malformed_bodies(tmp_path: Path, noida: NoidaServer) -> None:
    server = serve(tmp_path, "--forward", f"es://127.0.0.1:{noida.port}", "--max-body-bytes", "1000")
    try:
        status, answer = _post_status(server.url + "/_bulk", b'{"index":{"_index":"big"}}\n' + b'{"pad":"' + b"x" * 2000 + b'"}\n')
        assert status == 413 and answer["status"] == 413
        bomb = gzip.compress(b'{"index":{"_index":"big"}}\n{"pad":"' + b"x" * 100_000 + b'"}\n')
        status, answer = _post_status(server.url + "/_bulk", bomb, {"Content-Encoding": "gzip"})
        assert status == 413
        status, answer = _post_status(server.url + "/_bulk", b'{"index":{"_index":"x"}}\n{"n":1}')
        assert status == 400 and answer["error"]["type"] == "illegal_argument_exception"
        status, answer = _post_status(server.url + "/_bulk", b"not gzip", {"Content-Encoding": "gzip"})
        assert status == 400
        status, answer = _post_status(server.url + "/_nope", b"")
        assert status == 400 and "no handler found" in answer["error"]
        assert server.process.poll() is None  # still serving
    finally:
        server.stop()


def test_target_down_answers_503_and_the_retry_lands_once(tmp_path: Path) -> None:
    own = NoidaServer()
    own.start()
    try:
        server = serve(tmp_path, "--forward", f"es://127.0.0.1:{own.port}", "--max-retries", "1", "--default-pipeline", "main")
        try:
            body = b'{"index":{"_index":"down","_id":"d1"}}\n{"n":1}\n{"index":{"_index":"down","_id":"d7"}}\n{"n":7}\n'
            own.stop()
            status, answer = _post_status(server.url + "/_bulk", body)
            assert status == 503 and answer["status"] == 503
            assert not (tmp_path / "failures.ndjson").exists()  # nothing recorded for an unanswered request
            own.start()
            status, answer = _post_status(server.url + "/_bulk", body)
            assert status == 200
            assert [next(iter(i.values()))["status"] for i in answer["items"]] == [201, 500]
            assert set(indexed(target(own), "down")) == {"d1"}
            assert len((tmp_path / "failures.ndjson").read_text().splitlines()) == 1
        finally:
            server.stop()
    finally:
        own.close()


def test_authentication_is_required_when_configured(tmp_path: Path, noida: NoidaServer) -> None:
    (tmp_path / "auth").write_text("basic shipper:s3cret-pass\napikey a2V5aWQ6c2VjcmV0\n")
    server = serve(tmp_path, "--forward", f"es://127.0.0.1:{noida.port}", "--auth-file", "auth")
    try:
        with pytest.raises(elasticsearch.AuthenticationException):
            server.client().info()
        with pytest.raises(elasticsearch.AuthenticationException):
            server.client(basic_auth=("shipper", "wrong")).info()
        assert server.client(basic_auth=("shipper", "s3cret-pass")).info()["tagline"] == "You Know, for Search"
        assert server.client(api_key="a2V5aWQ6c2VjcmV0").info()["cluster_name"] == "ingesthost"
        assert b"s3cret-pass" not in (tmp_path / "serve.stderr").read_bytes()
    finally:
        server.stop()


def test_connect_calls_answer_as_elasticsearch(served: Served) -> None:
    client = served.client()
    assert client.license.get()["license"]["status"] == "active"
    assert client.cluster.health()["status"] == "green"
    major = int(elasticsearch.__versionstr__.split(".")[0])
    assert int(client.info()["version"]["number"].split(".")[0]) >= major
    assert client.indices.put_index_template(name="t", index_patterns=["x-*"])["acknowledged"] is True
    stats = json.loads(urllib.request.urlopen(served.url + "/_ingesthost/stats").read())
    assert set(stats["pipelines"]) == {"main", "edit"}


def test_sigterm_finishes_and_exits_cleanly(served: Served) -> None:
    """SIGTERM: uvicorn stops accepting, finishes what is in flight, the
    pipelines' workers are stopped, and the process ends by the signal
    (as a service manager expects: uvicorn re-raises it)."""
    assert _post(served.url + "/_bulk", b'{"index":{"_index":"bye","_id":"1"}}\n{"n":1}\n')["errors"] is False
    workers = _descendants(served.process.pid)
    assert workers  # the pipelines run in worker processes
    assert served.stop() == -signal.SIGTERM
    deadline = time.monotonic() + 10
    while any(Path(f"/proc/{pid}").exists() and "zombie" not in _state(pid) for pid in workers):
        assert time.monotonic() < deadline, "worker processes outlived the server"
        time.sleep(0.05)


def _descendants(pid: int) -> list[int]:
    children = subprocess.run(["pgrep", "-P", str(pid)], capture_output=True, text=True).stdout.split()
    found = [int(child) for child in children]
    for child in list(found):
        found.extend(_descendants(child))
    return found


def _state(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/status").read_text().split("State:")[1].split("\n")[0].lower()
    except (OSError, IndexError):
        return "zombie"


def _post(url: str, body: bytes, headers: dict[str, str] | None = None) -> Any:
    status, answer = _post_status(url, body, headers)
    assert status == 200, answer
    return answer


def _post_status(url: str, body: bytes, headers: dict[str, str] | None = None) -> tuple[int, Any]:
    request = urllib.request.Request(url, data=body, method="POST",
                                     headers={"Content-Type": "application/x-ndjson", **(headers or {})})
    try:
        with urllib.request.urlopen(request, timeout=60) as response:
            assert response.headers["X-Elastic-Product"] == "Elasticsearch"
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as error:
        assert error.headers["X-Elastic-Product"] == "Elasticsearch"
        return error.code, json.loads(error.read())



def test_rest_api_7_clients_may_send_type_and_a_bad_document_line_fails_only_its_item(served: Served, noida: NoidaServer) -> None:
    body = b'{"index":{"_index":"typed","_type":"_doc","_id":"1"}}\n{"n":1}\n'
    status, answer = _post_status(served.url + "/_bulk", body)
    assert status == 400 and "_type" in answer["error"]["reason"]  # REST API 8: an unknown parameter
    compat = {"Content-Type": "application/vnd.elasticsearch+x-ndjson; compatible-with=7"}
    assert _post(served.url + "/_bulk", body, compat)["errors"] is False
    mixed = b'{"index":{"_index":"typed","_id":"2"}}\n{"n":2,\n{"index":{"_index":"typed","_id":"3"}}\n{"n":3}\n'
    answer = _post(served.url + "/_bulk", mixed)
    first, second = (next(iter(item.values())) for item in answer["items"])
    assert first["status"] == 400 and first["error"]["type"] == "parse_exception"
    assert second["status"] == 201
    assert set(indexed(target(noida), "typed")) == {"1", "3"}


def test_request_bytes_held_at_once_are_bounded(tmp_path: Path, noida: NoidaServer) -> None:
    """A body that would take the bytes held by all requests past
    --max-in-flight-bytes is refused with 429 while it streams (here: the
    second of two requests sent at once, the first held open)."""
    import socket

    server = serve(tmp_path, "--forward", f"es://127.0.0.1:{noida.port}", "--max-in-flight-bytes", "3000")
    try:
        host, port = server.url.split("//")[1].split(":")
        slow = socket.create_connection((host, int(port)))
        first_part = b'{"index":{"_index":"held"}}\n{"pad":"' + b"x" * 2500
        slow.sendall(b"POST /_bulk HTTP/1.1\r\nHost: x\r\nContent-Type: application/x-ndjson\r\n"
                     + f"Content-Length: {len(first_part) + 3}\r\n\r\n".encode() + first_part)
        time.sleep(0.5)  # the server holds the first 2.5 KB
        status, answer = _post_status(server.url + "/_bulk", b'{"index":{"_index":"held"}}\n{"pad":"' + b"y" * 1000 + b'"}\n')
        assert status == 429 and answer["error"]["type"] == "es_rejected_execution_exception"
        slow.close()  # gone mid-body: its bytes are given back
        time.sleep(0.5)
        status, answer = _post_status(server.url + "/_bulk", b'{"index":{"_index":"held"}}\n{"pad":"' + b"y" * 1000 + b'"}\n')
        assert status == 200, answer
    finally:
        server.stop()


def test_tls_with_a_certificate_and_key(tmp_path: Path, noida: NoidaServer) -> None:
    """--tls-cert/--tls-key serve https; a client that trusts the certificate
    talks to it, one that checks it against nothing refuses it."""
    cert, key = tmp_path / "cert.pem", tmp_path / "key.pem"
    made = subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj", "/CN=127.0.0.1",
         "-addext", "subjectAltName=IP:127.0.0.1", "-keyout", str(key), "-out", str(cert)],
        capture_output=True,
    )
    assert made.returncode == 0, made.stderr
    server = serve(tmp_path, "--forward", f"es://127.0.0.1:{noida.port}", "--tls-cert", str(cert), "--tls-key", str(key))
    try:
        assert server.url.startswith("https://")
        client = elasticsearch.Elasticsearch(server.url, ca_certs=str(cert), request_timeout=30)
        assert client.info()["tagline"] == "You Know, for Search"
        ok, errors = helpers.bulk(client, actions("tls", 20), raise_on_error=False)
        assert ok + len(errors) == 20
        client.close()
        untrusting = elasticsearch.Elasticsearch(server.url, request_timeout=10, max_retries=0)
        with pytest.raises(elasticsearch.ConnectionError):
            untrusting.info()
        untrusting.close()
        started = time.monotonic()
        assert server.stop() == -signal.SIGTERM
        assert time.monotonic() - started < 10  # no connection left half-open to wait for
    finally:
        server.stop()


def test_the_failure_file_may_not_be_a_pipeline_file(tmp_path: Path) -> None:
    """The failure file is appended to for the server's life: naming one of
    the pipeline files is refused before anything is written to it."""
    (tmp_path / "pipelines").mkdir()
    (tmp_path / "pipelines" / "main.yml").write_text(PIPELINE)
    done = subprocess.run(
        [sys.executable, "-m", "ingesthost", "serve", "--pipelines", "pipelines", "--forward-ndjson", "out",
         "--failures", "pipelines/main.yml", "--listen", "127.0.0.1:0"],
        cwd=tmp_path, capture_output=True, timeout=60,
    )
    assert done.returncode == 2
    assert b"failure file pipelines/main.yml and pipeline file pipelines/main.yml are the same file" in done.stderr
    assert (tmp_path / "pipelines" / "main.yml").read_text() == PIPELINE


def test_yaml_40_mutate_test_metadata(tmp_path: Path, noida: NoidaServer) -> None:
    """40_mutate.yml "Test metadata": a pipeline that sets ``_index`` sends the
    document to that index, with nothing of the metadata left in its source.
    (ingesthost: the same for ``_id``, and ``rename`` of a source field onto ``_id``.)"""
    (tmp_path / "pipelines").mkdir()
    (tmp_path / "pipelines" / "my_pipeline.yml").write_text(
        'description: _description\nprocessors:\n  - set: {field: _index, value: surprise}\n'
    )
    (tmp_path / "pipelines" / "ids.yml").write_text(
        "processors:\n  - set: {field: _id, value: 'new-{{n}}'}\n  - rename: {field: key, target_field: _routing}\n"
    )
    server = serve(tmp_path, "--forward", f"es://127.0.0.1:{noida.port}")
    try:
        body = b'{"index":{"_index":"test","_id":"1","pipeline":"my_pipeline"}}\n{"field":"value"}\n'
        answer = _post(server.url + "/_bulk?refresh=true", body)
        assert answer["errors"] is False and answer["items"][0]["index"]["_index"] == "surprise"
        got = target(noida).get(index="surprise", id="1")
        assert got["_source"] == {"field": "value"}
        assert not target(noida).exists(index="test", id="1")

        body = b'{"index":{"_index":"idx","_id":"old","pipeline":"ids"}}\n{"n":7,"key":"user-7"}\n'
        answer = _post(server.url + "/_bulk?refresh=true", body)
        assert answer["errors"] is False and answer["items"][0]["index"]["_id"] == "new-7"
        got = target(noida).get(index="idx", id="new-7", routing="user-7")
        assert got["_source"] == {"n": 7}
    finally:
        server.stop()
