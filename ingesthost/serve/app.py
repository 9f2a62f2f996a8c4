"""The HTTP side of ``ingesthost serve``: an ASGI application (Starlette)
that answers what shippers call, as Elasticsearch answers it.

* ``POST|PUT /_bulk`` and ``/{index}/_bulk``: the documents, through
  :class:`~ingesthost.serve.service.BulkService` in a thread.
* What clients call when they connect: ``GET|HEAD /`` (a version at least
  the client's, read from its User-Agent), ``GET /_license``,
  ``GET /_cluster/health``, ``GET /_nodes/http`` (no other nodes to sniff),
  and the set-up calls of Filebeat and Logstash (``_index_template``,
  ``_ilm/policy``, ``_ingest/pipeline``, ``_template``): accepted and
  acknowledged, nothing stored (the pipelines are ingesthost's files).
* ``GET /_ingesthost/stats`` and ``GET /_ingesthost/health``.
* Anything else: Elasticsearch's "no handler found" error.

Every answer is compact JSON with ``X-Elastic-Product: Elasticsearch``
(the official clients refuse a server without it). Bodies are read with a
size cap, decompressed with the same cap (``Content-Encoding: gzip``), and
a request that would take the documents in flight past their bound is
answered 429 before anything is buffered further: shippers retry.
"""

from __future__ import annotations

import base64
import contextlib
import logging
import re
import time
import uuid
import zlib
from typing import Any, AsyncIterator

from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.requests import ClientDisconnect, Request
from starlette.responses import Response
from starlette.routing import Route

from . import bulk
from .forward import TargetUnavailable
from .service import BulkService
from .settings import ServeSettings

logger = logging.getLogger(__name__)
access_log = logging.getLogger("ingesthost.serve.access")

PRODUCT_HEADERS = {"X-Elastic-Product": "Elasticsearch"}
_CLIENT_VERSION = re.compile(r"(?:elasticsearch-py|elastic-transport-py|elasticsearch-js|elasticsearch-java|Elastic-Libbeat|Logstash|Go-http-client|elasticsearch)[/ ](\d+)\.(\d+)\.(\d+)", re.I)


class BodyTooLarge(Exception):
    pass


def json_response(value: Any, status: int = 200) -> Response:
    return Response(bulk.dumps(value), status_code=status, media_type="application/json", headers=PRODUCT_HEADERS)


def error_response(status: int, error_type: str, reason: str, **fields: Any) -> Response:
    return json_response(bulk.error_body(status, error_type, reason, **fields), status)


class OverBudget(Exception):
    pass


class BytesBudget:
    """One request's share of the bytes all requests may hold at once
    (``total`` is a one-element list shared by the requests: the event loop
    runs them one step at a time, so no lock is needed)."""

    def __init__(self, total: list[int], limit: int) -> None:
        self.total = total
        self.limit = limit
        self.held = 0

    def add(self, count: int) -> None:
        if self.total[0] and self.total[0] + count > self.limit:
            raise OverBudget()
        self.total[0] += count
        self.held += count

    def release(self) -> None:
        self.total[0] -= self.held
        self.held = 0


class InFlight:
    """Documents being processed now, bounded: a request that does not fit is refused at once."""

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self.now = 0

    def take(self, count: int) -> bool:
        # The event loop is single-threaded: no lock needed between the check and the update.
        if self.now and self.now + count > self.limit:
            return False
        self.now += count
        return True

    def give_back(self, count: int) -> None:
        self.now -= count


def create_app(settings: ServeSettings, service: BulkService) -> Starlette:
    """The ASGI application; ``service`` is closed when the application shuts down."""
    in_flight = InFlight(settings.max_in_flight_documents)
    buffered = [0]  # bytes of request bodies held now, all requests together
    cluster_uuid = uuid.uuid5(uuid.NAMESPACE_URL, f"ingesthost:{settings.pipelines_dir}").hex[:22]

    async def bulk_endpoint(request: Request) -> Response:
        started = time.perf_counter()
        budget = BytesBudget(buffered, settings.max_in_flight_bytes)
        try:  # whatever happens (a client gone mid-body included), the bytes are given back
            try:
                body = await _read_body(request, settings.max_body_bytes, budget)
            except BodyTooLarge:
                return error_response(
                    413, "content_too_long_exception",
                    f"request body is larger than the limit of [{settings.max_body_bytes}] bytes",
                )
            except OverBudget:
                return error_response(
                    429, "es_rejected_execution_exception",
                    f"rejected execution of bulk request: {buffered[0]} bytes of requests in memory, "
                    f"the limit is {settings.max_in_flight_bytes}",
                )
            except (zlib.error, EOFError, OSError) as exc:
                return error_response(400, "parse_exception", f"request body could not be decompressed: {exc}")
            except ClientDisconnect:  # gone before its body arrived: nothing to answer, nothing done
                access_log.info(bulk.dumps({"path": request.url.path, "disconnected": True}).decode())
                return Response(status_code=499)
            return await _bulk(request, body, started)
        finally:
            budget.release()

    async def _bulk(request: Request, body: bytes, started: float) -> Response:
        try:
            actions = bulk.parse_bulk(body, request.path_params.get("index"), compatible_with=_compatible_with(request))
        except bulk.BulkRequestError as exc:
            return json_response(exc.body, exc.status)
        if not in_flight.take(len(actions)):
            return error_response(
                429, "es_rejected_execution_exception",
                f"rejected execution of bulk request: {in_flight.now} documents in flight, the limit is {in_flight.limit}",
            )
        try:
            items, ingest_ms = await run_in_threadpool(service.handle, actions, request.query_params.get("pipeline"))
        except TargetUnavailable as exc:
            return error_response(503, "unavailable_shards_exception", str(exc))
        finally:
            in_flight.give_back(len(actions))
        took = int((time.perf_counter() - started) * 1000)
        answer = bulk.apply_filter_path(
            bulk.response(took, items, ingest_took_ms=ingest_ms), request.query_params.get("filter_path")
        )
        if access_log.isEnabledFor(logging.INFO):
            access_log.info(bulk.dumps({
                "method": request.method,
                "path": request.url.path,
                "client": request.client.host if request.client else None,
                "actions": len(actions),
                "errors": any("error" in next(iter(item.values())) for item in items),
                "took_ms": took,
            }).decode())
        return json_response(answer)

    async def root(request: Request) -> Response:
        info = {
            "name": "ingesthost",
            "cluster_name": "ingesthost",
            "cluster_uuid": cluster_uuid,
            "version": {
                "number": _version_for(request, settings.version),
                "build_flavor": "default",
                "build_type": "docker",
                "build_hash": "ingesthost",
                "build_date": "2026-01-01T00:00:00.000Z",
                "build_snapshot": False,
                "lucene_version": "9.12.0",
                "minimum_wire_compatibility_version": "7.17.0",
                "minimum_index_compatibility_version": "7.0.0",
            },
            "tagline": "You Know, for Search",
        }
        if request.method == "HEAD":
            return Response(b"", media_type="application/json", headers=PRODUCT_HEADERS)
        return json_response(info)

    async def license_(request: Request) -> Response:
        return json_response({"license": {
            "status": "active", "uid": cluster_uuid, "type": "basic", "issue_date": "2026-01-01T00:00:00.000Z",
            "issue_date_in_millis": 1767225600000, "max_nodes": 1000, "max_resource_units": None,
            "issued_to": "ingesthost", "issuer": "elasticsearch", "start_date_in_millis": -1,
        }})

    async def health(request: Request) -> Response:
        return json_response({
            "cluster_name": "ingesthost", "status": "green", "timed_out": False, "number_of_nodes": 1,
            "number_of_data_nodes": 1, "active_primary_shards": 0, "active_shards": 0, "relocating_shards": 0,
            "initializing_shards": 0, "unassigned_shards": 0, "delayed_unassigned_shards": 0,
            "number_of_pending_tasks": 0, "number_of_in_flight_fetch": 0, "task_max_waiting_in_queue_millis": 0,
            "active_shards_percent_as_number": 100.0,
        })

    async def nodes_http(request: Request) -> Response:
        # No node list: a sniffing client keeps talking to the address it was given.
        return json_response({"_nodes": {"total": 0, "successful": 0, "failed": 0}, "cluster_name": "ingesthost", "nodes": {}})

    async def setup_call(request: Request) -> Response:
        if request.method in ("PUT", "POST"):
            await _read_body(request, 10 * 1024 * 1024)
            return json_response({"acknowledged": True})
        if request.method == "DELETE":
            return json_response({"acknowledged": True})
        kind = request.url.path.strip("/").split("/")[0]
        name = request.path_params.get("name", "")
        if kind == "_ingest":
            return json_response({}, 404)  # Elasticsearch answers {} with 404 for an unknown pipeline
        if kind == "_index_template":
            return error_response(404, "resource_not_found_exception", f"index template matching [{name}] not found")
        if kind == "_ilm":
            return error_response(404, "resource_not_found_exception", f"Lifecycle policy not found: {name}")
        return json_response({}, 404)

    async def stats(request: Request) -> Response:
        pipelines = await run_in_threadpool(service.pipelines.stats)
        return json_response({"documents": dict(service.counts), "in_flight": in_flight.now, "pipelines": pipelines})

    async def alive(request: Request) -> Response:
        return json_response({"status": "ok", "pipelines": service.pipelines.ids, "target": service.target.describe()})

    async def wrong_method(request: Request) -> Response:
        return json_response({
            "error": f"Incorrect HTTP method for uri [{request.url.path}] and method [{request.method}], allowed: [POST, PUT]",
            "status": 405,
        }, 405)

    async def refresh(request: Request) -> Response:
        # Clients refresh after their bulk requests (the bulk helpers' refreshOnCompletion):
        # passed on to the target, which makes the forwarded documents searchable.
        answer = await run_in_threadpool(service.target.refresh, request.path_params.get("index"))
        return json_response(answer)

    async def no_handler(request: Request) -> Response:
        return json_response(
            {"error": f"no handler found for uri [{request.url.path}] and method [{request.method}]"}, 400
        )

    routes = [
        Route("/", root, methods=["GET", "HEAD"]),
        Route("/_bulk", bulk_endpoint, methods=["POST", "PUT"]),
        Route("/{index}/_bulk", bulk_endpoint, methods=["POST", "PUT"]),
        Route("/_bulk", wrong_method, methods=["GET", "HEAD", "DELETE", "PATCH"]),
        Route("/{index}/_bulk", wrong_method, methods=["GET", "HEAD", "DELETE", "PATCH"]),
        Route("/_refresh", refresh, methods=["GET", "POST"]),
        Route("/{index}/_refresh", refresh, methods=["GET", "POST"]),
        Route("/_license", license_, methods=["GET"]),
        Route("/_xpack/license", license_, methods=["GET"]),
        Route("/_cluster/health", health, methods=["GET"]),
        Route("/_nodes/http", nodes_http, methods=["GET"]),
        Route("/_nodes/_all/http", nodes_http, methods=["GET"]),
        Route("/_index_template/{name}", setup_call, methods=["GET", "HEAD", "PUT", "POST", "DELETE"]),
        Route("/_template/{name}", setup_call, methods=["GET", "HEAD", "PUT", "POST", "DELETE"]),
        Route("/_ilm/policy/{name}", setup_call, methods=["GET", "PUT", "DELETE"]),
        Route("/_ingest/pipeline/{name}", setup_call, methods=["GET", "PUT", "DELETE"]),
        Route("/_ingesthost/stats", stats, methods=["GET"]),
        Route("/_ingesthost/health", alive, methods=["GET"]),
        Route("/{path:path}", no_handler, methods=["GET", "HEAD", "POST", "PUT", "DELETE", "PATCH"]),
    ]
    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        try:
            yield
        finally:  # after the requests in flight: close the pipelines and the target
            await run_in_threadpool(service.close)

    app = Starlette(routes=routes, lifespan=lifespan)
    if settings.credentials.required:
        app.add_middleware(_Authentication, settings=settings)
    return app


#: The REST API version a request asks for when it says none (the version ``GET /`` reports by default).
DEFAULT_REST_API = 8
_COMPATIBLE_WITH = re.compile(r"compatible-with\s*=\s*(\d+)")


def _compatible_with(request: Request) -> int:
    """``compatible-with=N`` of the request's ``Accept`` or ``Content-Type``
    (as the official clients send it), else :data:`DEFAULT_REST_API`."""
    for header in ("content-type", "accept"):
        found = _COMPATIBLE_WITH.search(request.headers.get(header, ""))
        if found:
            return int(found.group(1))
    return DEFAULT_REST_API


def _version_for(request: Request, default: str) -> str:
    """A version at least the client's: what its User-Agent names, else the default."""
    agent = request.headers.get("user-agent", "")
    match = _CLIENT_VERSION.search(agent)
    if not match:
        return default
    client = tuple(int(part) for part in match.groups())
    configured = tuple(int(part) for part in re.findall(r"\d+", default)[:3])
    return ".".join(map(str, max(client, configured)))


async def _read_body(request: Request, limit: int, budget: BytesBudget | None = None) -> bytes:
    """The body, refused past ``limit`` bytes as soon as that is known (its
    declared length, or while it streams), then decompressed with the same
    cap. Every byte held is taken from ``budget`` first: when all requests
    together hold too much, this one is refused (429) before it grows."""
    declared = request.headers.get("content-length")
    if declared is not None and declared.isdigit() and int(declared) > limit:
        raise BodyTooLarge()
    chunks = bytearray()
    async for chunk in request.stream():
        if budget is not None:
            budget.add(len(chunk))
        chunks += chunk
        if len(chunks) > limit:
            raise BodyTooLarge()
    if request.headers.get("content-encoding", "").lower() in ("gzip", "x-gzip"):
        inflater = zlib.decompressobj(16 + zlib.MAX_WBITS)
        data = inflater.decompress(bytes(chunks), limit + 1)
        if len(data) > limit or inflater.unconsumed_tail:
            raise BodyTooLarge()
        if not inflater.eof:
            raise EOFError("the gzip stream is truncated")
        if budget is not None:
            budget.add(len(data))
        return data
    return bytes(chunks)


class _Authentication:
    """API key or basic authentication on every request, compared in
    constant time; Elasticsearch's 401 with its ``WWW-Authenticate`` header otherwise."""

    def __init__(self, app: Any, settings: ServeSettings) -> None:
        self.app = app
        self.credentials = settings.credentials

    async def __call__(self, scope: dict, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = {key.decode("latin-1").lower(): value.decode("latin-1") for key, value in scope.get("headers", [])}
        if self._accepts(headers.get("authorization", "")):
            await self.app(scope, receive, send)
            return
        response = json_response(
            bulk.error_body(401, "security_exception", "missing authentication credentials for REST request [" + scope.get("path", "") + "]",
                            header={"WWW-Authenticate": ['Basic realm="security" charset="UTF-8"', "ApiKey"]}),
            401,
        )
        response.headers["WWW-Authenticate"] = 'Basic realm="security" charset="UTF-8"'
        await response(scope, receive, send)

    def _accepts(self, header: str) -> bool:
        scheme, _, value = header.partition(" ")
        scheme = scheme.lower()
        if scheme == "apikey":
            return self.credentials.accepts_api_key(value.strip())
        if scheme == "basic":
            try:
                user, _, password = base64.b64decode(value.strip(), validate=True).decode().partition(":")
            except (ValueError, UnicodeDecodeError):
                return False
            return self.credentials.accepts_user(user, password)
        return False
