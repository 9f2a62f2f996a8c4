"""Pipelines stored in a cluster: ``--pipeline es://HOST:PORT/_ingest/pipeline/ID``.

People bring pipelines that already live in Elasticsearch; this module
fetches one with the official client (``ingest.get_pipeline``) and builds
it through the same code path as a pipeline file
(:meth:`~ingesthost.pipeline.Pipeline.from_definition`, the builder of
:mod:`ingesthost.config`), so it runs exactly as it would had its JSON been
saved as ``ID.json``: same checks, same messages, same pipeline id
(``_ingest.on_failure_pipeline`` is ``ID``). The definition is read once,
when the run starts; worker processes get it with the rest of the pipeline
snapshot and never ask the cluster.

The URL is an Elasticsearch URL as :mod:`ingesthost.elasticsearch` reads
them (``es://`` http, ``ess://`` https, or ``http(s)://``; a path prefix
for a proxy; credentials from the environment or the userinfo), ending in
``/_ingest/pipeline/ID``. :mod:`ingesthost.elasticsearch` knows nothing of
pipelines and stays that way: this module only borrows its URL parsing,
credentials, client and redaction, so no secret reaches a message.

What a stored pipeline cannot hold here, refused at load with every place
listed at once (see :func:`stored_only_problem`):

* processors ingesthost lacks (``script``, ``user_agent``...);
* ``pipeline`` processors: in Elasticsearch they name other *stored*
  pipelines, whereas ingesthost's name files; they are not fetched;
* a ``wasm`` module or WASI directory given as a relative path: a stored
  pipeline has no directory to resolve it against (and resolving it against
  wherever the command happens to run would pick up unrelated files).
"""

from __future__ import annotations

import dataclasses
import logging
from pathlib import Path
from typing import TYPE_CHECKING, Any, Mapping
from urllib.parse import quote, unquote, urlsplit, urlunsplit

from .errors import IngestHostError, PipelineConfigError
from .pipeline_requirements import ProcessorPlace, find_unsupported, known_processor_types, unsupported_message

if TYPE_CHECKING:  # the client is imported when a stored pipeline is used, not by every command
    from .elasticsearch.connection import ConnectionSettings

log = logging.getLogger(__name__)

#: URL schemes that make ``--pipeline`` a stored pipeline (those of :func:`ingesthost.elasticsearch.parse_url`).
URL_SCHEMES = ("es", "ess", "http", "https")
#: The keys of a stored pipeline's body that make its definition; the
#: cluster's bookkeeping (``deprecated``, ``created_date``...) is left out.
BODY_KEYS = ("description", "processors", "on_failure", "version", "_meta")
_API_PATH = ("_ingest", "pipeline")


class StoredPipelineNotFound(IngestHostError):
    """The cluster answered 404: it has no pipeline with that id."""

    status = 404

    def __init__(self, pipeline_id: str, base_url: str) -> None:
        super().__init__(f"pipeline [{pipeline_id}] not found at {base_url} (GET _ingest/pipeline/{pipeline_id} answered 404)")
        self.pipeline_id = pipeline_id
        self.base_url = base_url


@dataclasses.dataclass(frozen=True)
class StoredPipelineRef:
    """Where a stored pipeline is: the cluster's settings (their ``repr`` shows
    no secret), the pipeline's id, and ``url``, the URL without userinfo,
    which names the pipeline in every message."""

    settings: "ConnectionSettings"
    pipeline_id: str
    url: str


def is_stored_pipeline_url(text: str) -> bool:
    """Whether ``--pipeline`` names a stored pipeline (an Elasticsearch URL)
    rather than a file: ``es://``, ``ess://``, ``http://`` or ``https://``."""
    scheme, sep, _ = str(text).partition("://")
    return bool(sep) and scheme.lower() in URL_SCHEMES


def parse_stored_pipeline_url(
    url: str, *, insecure: bool = False, environ: Mapping[str, str] | None = None
) -> StoredPipelineRef:
    """Split ``es://HOST:PORT[/PREFIX]/_ingest/pipeline/ID`` into settings and id.

    Everything before ``/_ingest/pipeline/`` goes through
    :func:`~ingesthost.elasticsearch.settings_from` (its checks, its
    credential rules); the id is one pipeline, so wildcards and lists are
    refused. Raises :class:`~ingesthost.elasticsearch.EsURLError`, which
    never shows userinfo.
    """
    from .elasticsearch.connection import EsURLError, settings_from

    try:
        parts = urlsplit(url.strip())
    except ValueError as exc:
        raise EsURLError(url, "url", str(exc)) from None
    segments = parts.path.rstrip("/").split("/")
    if len(segments) < 4 or tuple(segments[-3:-1]) != _API_PATH or not segments[-1]:
        raise EsURLError(url, "path", "a stored pipeline URL ends in /_ingest/pipeline/ID")
    pipeline_id = unquote(segments[-1])
    if any(c in pipeline_id for c in "*,"):
        raise EsURLError(url, "pipeline id", f"{pipeline_id!r} must name one pipeline (no wildcard, no list)")
    prefix = "/".join(segments[:-3])
    # settings_from reads the last path segment as an index: give it a harmless one, then drop it
    probe = urlunsplit((parts.scheme, parts.netloc, prefix + "/x", parts.query, parts.fragment))
    settings = dataclasses.replace(settings_from(probe, insecure=insecure, environ=environ), index=None)
    netloc = parts.netloc.rpartition("@")[2]
    shown = f"{parts.scheme}://{netloc}{prefix}/_ingest/pipeline/{quote(pipeline_id, safe='')}"
    return StoredPipelineRef(settings, pipeline_id, shown)


def fetch_stored_pipeline(ref: StoredPipelineRef, *, client: Any = None) -> dict[str, Any]:
    """The stored pipeline's body as the cluster returns it (``GET
    _ingest/pipeline/ID``). A 404 is :class:`StoredPipelineNotFound`; other
    failures (refused credentials, an unreachable cluster, a proxy's error
    page) are :class:`~ingesthost.elasticsearch.EsRequestError` or
    :class:`~ingesthost.elasticsearch.EsAuthError`, redacted."""
    import elasticsearch

    from .elasticsearch.connection import make_client, request_error

    settings = ref.settings
    own = client is None
    if own:
        client = make_client(settings)
    try:
        response = client.ingest.get_pipeline(id=ref.pipeline_id)
    except elasticsearch.NotFoundError:
        raise StoredPipelineNotFound(ref.pipeline_id, settings.base_url) from None
    except Exception as exc:  # ApiError, TransportError, UnsupportedProductError...: all redacted
        kind = (settings.credential_kinds() or ["no credentials"])[0]
        what = f"reading pipeline [{ref.pipeline_id}] from {settings.base_url} (auth: {kind})"
        raise request_error(exc, what=what, redact=settings.redact) from None
    finally:
        if own:
            client.close()
    body = response.body if hasattr(response, "body") else response
    entry = body.get(ref.pipeline_id) if isinstance(body, Mapping) else None
    if not isinstance(entry, Mapping):  # 200 without it: treat as Elasticsearch treats a missing id
        raise StoredPipelineNotFound(ref.pipeline_id, settings.base_url)
    return dict(entry)


def definition_from_body(body: Mapping[str, Any], pipeline_id: str) -> dict[str, Any]:
    """The pipeline definition in a stored pipeline's body: the keys a
    pipeline file has (:data:`BODY_KEYS`); the cluster's own bookkeeping is
    dropped (a ``deprecated`` pipeline is logged)."""
    if body.get("deprecated") is True:
        log.warning("pipeline [%s] is marked deprecated in the cluster", pipeline_id)
    dropped = sorted(str(k) for k in body if k not in BODY_KEYS)
    if dropped:
        log.debug("pipeline [%s]: ignoring stored keys %s", pipeline_id, ", ".join(dropped))
    return {key: body[key] for key in BODY_KEYS if key in body}


def stored_only_problem(place: ProcessorPlace) -> str | None:
    """Why a processor of a *stored* pipeline cannot run here although its type
    exists (see the module docstring), or None."""
    options = place.options if isinstance(place.options, dict) else {}
    if place.kind == "pipeline":
        return (
            f"[pipeline] names stored pipeline [{options.get('name')}]; nested stored pipelines are not "
            "fetched (ingesthost's pipeline processor runs files): save both as files"
        )
    if place.kind == "wasm":
        module = options.get("module")
        if isinstance(module, str) and module and not Path(module).is_absolute():
            return f"module [{module}] is a relative path, and a stored pipeline has no directory: use an absolute path"
        wasi = options.get("wasi")
        preopens = wasi.get("preopens") if isinstance(wasi, dict) else None
        hosts = preopens.values() if isinstance(preopens, dict) else preopens if isinstance(preopens, list) else ()
        for host in hosts:
            if isinstance(host, str) and not Path(host).is_absolute():
                return f"WASI preopen directory [{host}] is a relative path, and a stored pipeline has no directory"
    return None


def check_stored_definition(definition: Any, source: str) -> None:
    """Refuse, all at once with their places, the processors of a stored
    pipeline that cannot run here (unknown types and :func:`stored_only_problem`)."""
    known = known_processor_types()
    found = find_unsupported(definition, known, stored_only_problem)
    if found:
        raise PipelineConfigError(unsupported_message(found, known), source=source)


def load_stored_definition(
    url: str,
    *,
    insecure: bool = False,
    environ: Mapping[str, str] | None = None,
    client: Any = None,
    check: bool = True,
) -> tuple[dict[str, Any], str]:
    """(definition, source name) of the stored pipeline at ``url``, checked by
    :func:`check_stored_definition` unless ``check`` is false (``inspect``
    reports instead of refusing). The source name is the URL without
    userinfo; its last segment is the id, so the pipeline's id is the
    stored one, as for a file named ``ID.json``."""
    ref = parse_stored_pipeline_url(url, insecure=insecure, environ=environ)
    body = fetch_stored_pipeline(ref, client=client)
    definition = definition_from_body(body, ref.pipeline_id)
    if check:
        check_stored_definition(definition, ref.url)
    return definition, ref.url


def open_stored_pipeline(
    url: str,
    *,
    isolation: str = "process",
    workers: int = 1,
    confine_to: str | Path | None = None,
    insecure: bool = False,
    environ: Mapping[str, str] | None = None,
    **options: Any,
) -> Any:
    """Fetch the stored pipeline at ``url`` and open it as
    :func:`ingesthost.pool.open_pipeline` opens a pipeline file (same
    ``isolation``, ``workers``, ``compiler``, ``cache``, ``max_memory``,
    time-limit and batch options); the pipeline is named by the URL, so its
    id is the stored id."""
    definition, source = load_stored_definition(url, insecure=insecure, environ=environ)
    return open_definition(definition, source, isolation=isolation, workers=workers, confine_to=confine_to, **options)


def open_definition(definition: dict[str, Any], source: str, **options: Any) -> Any:
    """:func:`ingesthost.pool.open_pipeline` for a stored definition, named by
    its URL (``source``): a :class:`~ingesthost.pipeline.Pipeline`, an
    ``IsolatedPipeline`` or a ``WorkerPool``, by the same rules. Its base
    directory is unused: relative paths were refused (check_stored_definition)."""
    from .pool import open_pipeline

    return open_pipeline(definition, base_dir=Path.cwd(), source_name=source, **options)


def check_process_args(args: Any) -> None:
    """Refuse ``process`` options that cannot work with a stored pipeline."""
    if not getattr(args, "pipeline", None) or not is_stored_pipeline_url(args.pipeline):
        return
    if getattr(args, "dask_scheduler", None):
        raise IngestHostError("--dask-scheduler needs a pipeline file: save the stored pipeline as JSON first")
    if getattr(args, "checkpoint", None):
        raise IngestHostError(
            "--checkpoint needs a pipeline file (a resume must be able to tell the pipeline has not changed): "
            "save the stored pipeline as JSON first"
        )
