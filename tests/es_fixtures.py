"""Fixtures and HTTP helpers for the Elasticsearch tests.

* :func:`running_noida`: a running noida-db server (tests/es_server.py) for a
  module-scoped fixture.
* :class:`RecordedES`: a tiny HTTP server on 127.0.0.1 that answers with
  responses in Elasticsearch's exact wire format, for what noida-db cannot
  produce (shard failures, 429, 413, 401...). The real client talks HTTP to
  it; nothing in the client is replaced.
* :class:`RecordingProxy`: forwards to noida-db and records every request
  and response, so a test can see which point-in-time ids were sent.
"""

from __future__ import annotations

import http.client
import json
import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Callable, Iterator
from urllib.parse import urlsplit

from es_server import NoidaServer

ES_HEADERS = {"Content-Type": "application/json; charset=UTF-8", "X-Elastic-Product": "Elasticsearch"}


def running_noida() -> Iterator[NoidaServer]:
    """Body of a ``noida`` fixture: a started server, stopped and deleted
    afterwards. Test modules wrap it in their own fixture (a fixture
    imported into two modules would be two fixtures anyway, and pyflakes
    cannot tell an imported fixture from an unused import)::

        @pytest.fixture(scope="module")
        def noida():
            yield from running_noida()
    """
    server = NoidaServer()
    try:
        server.start()
        yield server
    finally:
        server.close()


@dataclass
class Request:
    method: str
    path: str
    headers: dict[str, str]
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body) if self.body else None

    def ndjson(self) -> list[Any]:
        return [json.loads(line) for line in self.body.splitlines() if line.strip()]


@dataclass
class Reply:
    status: int
    body: Any = b""
    headers: dict[str, str] = field(default_factory=lambda: dict(ES_HEADERS))

    def encoded(self) -> bytes:
        if isinstance(self.body, (bytes, bytearray)):
            return bytes(self.body)
        return json.dumps(self.body).encode()


class _Server:
    """A threaded HTTP/1.1 server on 127.0.0.1 that records what it saw."""

    def __init__(self) -> None:
        self.requests: list[Request] = []
        self.replies: list[Reply] = []
        outer = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def _serve(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else b""
                request = Request(self.command, self.path, {k.lower(): v for k, v in self.headers.items()}, body)
                outer.requests.append(request)
                reply = outer.handle(request)
                outer.replies.append(reply)
                payload = reply.encoded()
                self.send_response(reply.status)
                for name, value in reply.headers.items():
                    if name.lower() not in ("content-length", "transfer-encoding", "connection"):
                        self.send_header(name, value)
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)

            do_GET = do_POST = do_PUT = do_DELETE = do_HEAD = _serve

            def log_message(self, *args: Any) -> None:
                pass

        self._httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._httpd.daemon_threads = True
        self.url = f"http://127.0.0.1:{self._httpd.server_address[1]}"
        self._thread = threading.Thread(target=self._httpd.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True)

    def handle(self, request: Request) -> Reply:
        raise NotImplementedError

    def __enter__(self):
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._httpd.shutdown()
        self._httpd.server_close()
        self._thread.join(5)

    def paths(self) -> list[str]:
        return [f"{r.method} {r.path.split('?')[0]}" for r in self.requests]


class RecordedES(_Server):
    """Answers every request with ``handler(request)``."""

    def __init__(self, handler: Callable[[Request], Reply]) -> None:
        super().__init__()
        self._handler = handler

    def handle(self, request: Request) -> Reply:
        return self._handler(request)


class RecordingProxy(_Server):
    """Forwards every request to ``upstream`` and records both sides."""

    def __init__(self, upstream: str) -> None:
        super().__init__()
        parts = urlsplit(upstream)
        self._host, self._port = parts.hostname, parts.port

    def handle(self, request: Request) -> Reply:
        conn = http.client.HTTPConnection(self._host, self._port, timeout=30)
        try:
            headers = {k: v for k, v in request.headers.items() if k not in ("host", "connection")}
            conn.request(request.method, request.path, body=request.body or None, headers=headers)
            response = conn.getresponse()
            body = response.read()
            return Reply(response.status, body, {k: v for k, v in response.getheaders()})
        finally:
            conn.close()


# -- Elasticsearch responses, in the shape a real 8.x cluster sends --------


def bulk_item(op: str, index: str, doc_id: str, status: int, error: dict | None = None) -> dict:
    if error is not None:
        return {op: {"_index": index, "_id": doc_id, "status": status, "error": error}}
    return {op: {"_index": index, "_id": doc_id, "_version": 1, "result": "created",
                 "_shards": {"total": 2, "successful": 1, "failed": 0}, "_seq_no": 0, "_primary_term": 1,
                 "status": status}}


def bulk_reply(items: list[dict]) -> Reply:
    errors = any(next(iter(i.values())).get("error") for i in items)
    return Reply(200, {"errors": errors, "took": 3, "items": items})


def ok_items(request: Request) -> list[dict]:
    """A successful item for every action line in a ``_bulk`` request."""
    lines = request.ndjson()
    items = []
    for n, action in enumerate(lines[0::2]):
        op, meta = next(iter(action.items()))
        items.append(bulk_item(op, meta.get("_index", "x"), meta.get("_id", f"gen{n}"), 201))
    return items


REJECTED_429 = {
    "type": "es_rejected_execution_exception",
    "reason": "rejected execution of coordinating operation [coordinating_and_primary_bytes=0, "
              "replica_bytes=0, all_bytes=0, coordinating_operation_bytes=52, max_coordinating_and_primary_bytes=0]",
}

WHOLE_429 = {
    "error": {"root_cause": [REJECTED_429], **REJECTED_429},
    "status": 429,
}


def security_401(user: str, path: str) -> Reply:
    reason = f"unable to authenticate user [{user}] for REST request [{path}]"
    header = {"WWW-Authenticate": ['Basic realm="security", charset="UTF-8"', 'Bearer realm="security"', "ApiKey"]}
    cause = {"type": "security_exception", "reason": reason, "header": header}
    return Reply(401, {"error": {"root_cause": [cause], **cause}, "status": 401},
                 {**ES_HEADERS, "WWW-Authenticate": 'Basic realm="security", charset="UTF-8"'})
