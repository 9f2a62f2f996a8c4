"""``ingesthost serve``: an Elasticsearch ``_bulk`` endpoint with pipelines in the path.

Shippers that speak to Elasticsearch (Filebeat, Fluent Bit's ``es`` output,
Logstash, the official clients) send to ingesthost instead; it runs the
pipeline each action names (or the default) in worker processes and
forwards the result to a real cluster or to NDJSON files, answering each
request as Elasticsearch would.

:func:`build_app` gives the ASGI application (to mount in another ASGI
server); :func:`run` serves it with uvicorn, as the CLI does.
"""

from __future__ import annotations

from typing import Any

from .settings import Credentials, ServeSettings

__all__ = ["Credentials", "ServeSettings", "build_app", "close_app", "run"]


def build_app(settings: ServeSettings) -> Any:
    """Load the pipelines, connect the target, and return the ASGI app
    (its shutdown closes them; so does :func:`close_app`)."""
    from .app import create_app
    from .forward import EsTarget, NdjsonTarget
    from .pipelines import PipelineSet
    from .service import BulkService

    target: Any = EsTarget(settings.forward, max_retries=settings.max_retries) if settings.forward else NdjsonTarget(settings.forward_ndjson or "")
    try:
        pipelines = PipelineSet(
            settings.pipelines_dir, workers=settings.workers, isolation=settings.isolation, timeout=settings.timeout
        )
    except BaseException:
        target.close()
        raise
    service = BulkService(pipelines, target, settings.failures, settings.default_pipeline)
    try:
        if settings.default_pipeline not in (None, "_none") and settings.default_pipeline not in pipelines:
            from ..errors import IngestHostError

            raise IngestHostError(
                f"--default-pipeline {settings.default_pipeline}: no such pipeline in {settings.pipelines_dir}"
            )
        app = create_app(settings, service)
    except BaseException:
        service.close()
        raise
    app.state.service = service
    return app


def close_app(app: Any) -> None:
    """Close what :func:`build_app` opened (again is harmless)."""
    app.state.service.close()


def run(
    settings: ServeSettings,
    host: str = "127.0.0.1",
    port: int = 9200,
    *,
    certfile: str | None = None,
    keyfile: str | None = None,
    ready: Any = None,
) -> None:
    """Serve until SIGINT/SIGTERM: then stop accepting, finish the requests
    in flight (up to 30 s), close the pipelines. ``ready(host, port)`` is
    called once the socket listens (port 0 picks a free one)."""
    import uvicorn

    app = build_app(settings)
    config = uvicorn.Config(
        app,
        host=host,
        port=port,
        log_level="warning",
        access_log=False,
        ssl_certfile=certfile,
        ssl_keyfile=keyfile,
        timeout_graceful_shutdown=30,
        limit_concurrency=1000,
        h11_max_incomplete_event_size=64 * 1024,
    )

    class Server(uvicorn.Server):
        async def startup(self, sockets: Any = None) -> None:
            await super().startup(sockets)
            if ready is not None and self.started:
                bound = [sock.getsockname() for server in self.servers for sock in server.sockets]
                ready(bound[0][0], bound[0][1])

    try:
        Server(config).run()
    finally:  # also when uvicorn gave up before its lifespan ran (a port in use)
        close_app(app)
