"""Pipelines stored in a cluster: ``--pipeline es://HOST:PORT/_ingest/pipeline/ID``.

People bring pipelines that already live in Elasticsearch; this module
fetches one with the official client (``ingest.get_pipeline``) and builds
it through the same code path as a pipeline file
(:meth:`~ingesthost.pipeline.Pipeline.from_definition`, the builder of
:mod:`ingesthost.config`), so it runs exactly as it would had its JSON been
saved as ``ID.json``: same checks, same messages, same pipeline id
(``_ingest.on_failure_pipeline`` is ``ID``).

In Elasticsearch a ``pipeline`` processor names another *stored* pipeline.
Every stored pipeline the top one reaches that way (through handlers and
``foreach`` bodies too, transitively) is fetched with it
(:func:`load_stored_pipelines`); a 404 is recorded, not raised, so that
``ignore_missing_pipeline`` works. The builder finds them in the pipeline
snapshot (:attr:`ingesthost.config.PipelineSnapshot.stored_pipelines`,
id -> :class:`~ingesthost.config.StoredPipeline`) where it finds nested
pipeline files otherwise, so cycles, the depth limit, missing pipelines
and messages are those of files; each nested pipeline's id is its stored
id. Everything is read once, when the run starts; worker processes get it
with the rest of the snapshot and never ask the cluster.

The URL is an Elasticsearch URL as :mod:`ingesthost.elasticsearch` reads
them (``es://`` http, ``ess://`` https, or ``http(s)://``; a path prefix
for a proxy; credentials from the environment or the userinfo), ending in
``/_ingest/pipeline/ID``. :mod:`ingesthost.elasticsearch` knows nothing of
pipelines and stays that way: this module only borrows its URL parsing,
credentials, client and redaction, so no secret reaches a message.

What a stored pipeline, or one it reaches, cannot hold here, refused at
load with every place listed at once (see :func:`stored_only_problem`):

* processors ingesthost lacks (``script``, ``user_agent``...);
* a ``pipeline`` processor whose ``name`` is a template (``{{...}}``): it
  could only be resolved per document, and nothing is fetched after load;
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

from .config import PipelineSnapshot, StoredPipeline
from .errors import IngestHostError, PipelineConfigError
from .pipeline_requirements import (
    ProcessorPlace,
    Unsupported,
    find_unsupported,
    known_processor_types,
    unsupported_message,
    walk_processors,
)

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

    def sibling(self, pipeline_id: str) -> "StoredPipelineRef":
        """The stored pipeline ``pipeline_id`` of the same cluster."""
        prefix = self.url.rpartition("/")[0]
        return dataclasses.replace(self, pipeline_id=pipeline_id, url=f"{prefix}/{quote(pipeline_id, safe='')}")


@dataclasses.dataclass(frozen=True)
class StoredPipelines:
    """A stored pipeline and every stored pipeline it reaches through
    ``pipeline`` processors, as fetched when the run started."""

    #: The URL of the pipeline to run (without userinfo): its source name.
    source: str
    #: Its id.
    pipeline_id: str
    #: Every stored pipeline fetched, by id, the top one first, then in the
    #: order they were reached; a definition of None: the cluster has none.
    pipelines: dict[str, StoredPipeline]

    @property
    def definition(self) -> dict[str, Any]:
        """The definition of the pipeline to run."""
        definition = self.pipelines[self.pipeline_id].definition
        assert definition is not None
        return definition

    @property
    def nested(self) -> dict[str, StoredPipeline]:
        """The stored pipelines it reaches (the top one left out)."""
        return {key: entry for key, entry in self.pipelines.items() if key != self.pipeline_id}

    def snapshot(self, *, taking: bool = False) -> PipelineSnapshot:
        """A pipeline snapshot (see :class:`~ingesthost.config.PipelineSnapshot`)
        whose ``pipeline`` processors find these stored pipelines."""
        return PipelineSnapshot(taking=taking, stored_pipelines=self.pipelines)


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
        name = options.get("name")
        if isinstance(name, str) and "{{" in name:
            return (
                f"[pipeline] name [{name}] is a template: nested stored pipelines are fetched when the run "
                "starts, so the name must be a pipeline id"
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


def nested_pipeline_names(definition: Any) -> list[str]:
    """The ids the ``pipeline`` processors of ``definition`` name, in build order
    (handlers and ``foreach`` bodies included; templates and malformed names
    left out: :func:`stored_only_problem` and the builder report them)."""
    names = []
    for place in walk_processors(definition):
        name = place.options.get("name") if place.kind == "pipeline" and isinstance(place.options, dict) else None
        if isinstance(name, str) and name and "{{" not in name and name not in names:
            names.append(name)
    return names


def nested_place(pipeline_id: str, where: str) -> str:
    """How a place in a nested stored pipeline is shown: ``pipeline [ID], processors[0]``."""
    return f"pipeline [{pipeline_id}], {where}"


def find_stored_unsupported(stored: StoredPipelines) -> list[Unsupported]:
    """The processors of ``stored`` and of every pipeline it reaches that cannot
    run here (unknown types and :func:`stored_only_problem`), in order; those of
    a nested pipeline have its id in their place (:func:`nested_place`)."""
    known = known_processor_types()
    found: list[Unsupported] = []
    for pipeline_id, entry in stored.pipelines.items():
        for item in find_unsupported(entry.definition, known, stored_only_problem):
            if pipeline_id != stored.pipeline_id:
                item = dataclasses.replace(item, where=nested_place(pipeline_id, item.where))
            found.append(item)
    return found


def check_stored_pipelines(stored: StoredPipelines) -> None:
    """Refuse, all at once with their places, the processors of a stored
    pipeline and of the pipelines it reaches that cannot run here."""
    found = find_stored_unsupported(stored)
    if found:
        raise PipelineConfigError(unsupported_message(found, known_processor_types()), source=stored.source)


def load_stored_pipelines(
    url: str,
    *,
    insecure: bool = False,
    environ: Mapping[str, str] | None = None,
    client: Any = None,
    check: bool = True,
) -> StoredPipelines:
    """Fetch the stored pipeline at ``url`` and every stored pipeline it reaches
    through ``pipeline`` processors (transitively, each once, with one client),
    checked by :func:`check_stored_pipelines` unless ``check`` is false
    (``inspect`` reports instead of refusing). A 404 for the top pipeline is
    :class:`StoredPipelineNotFound`; for a nested one it is recorded (a
    definition of None) and the builder decides, as for a missing file.
    Other failures are raised as :func:`fetch_stored_pipeline` raises them."""
    ref = parse_stored_pipeline_url(url, insecure=insecure, environ=environ)
    own = client is None
    if own:
        from .elasticsearch.connection import make_client

        client = make_client(ref.settings)
    try:
        definition = definition_from_body(fetch_stored_pipeline(ref, client=client), ref.pipeline_id)
        pipelines = {ref.pipeline_id: StoredPipeline(ref.url, definition)}
        pending = nested_pipeline_names(definition)
        while pending:
            name = pending.pop(0)
            if name in pipelines:
                continue
            nested = ref.sibling(name)
            try:
                found: dict[str, Any] | None = definition_from_body(fetch_stored_pipeline(nested, client=client), name)
            except StoredPipelineNotFound:
                found = None
            pipelines[name] = StoredPipeline(nested.url, found)
            pending.extend(nested_pipeline_names(found))
    finally:
        if own:
            client.close()
    stored = StoredPipelines(ref.url, ref.pipeline_id, pipelines)
    if check:
        check_stored_pipelines(stored)
    return stored


def load_stored_definition(
    url: str,
    *,
    insecure: bool = False,
    environ: Mapping[str, str] | None = None,
    client: Any = None,
    check: bool = True,
) -> tuple[dict[str, Any], str]:
    """(definition, source name) of the stored pipeline at ``url``, fetched and
    checked as :func:`load_stored_pipelines` does (nested ones included). The
    source name is the URL without userinfo; its last segment is the id, so
    the pipeline's id is the stored one, as for a file named ``ID.json``. To
    run it, use :func:`open_stored_pipeline`: its ``pipeline`` processors
    need the nested pipelines, which this leaves out."""
    stored = load_stored_pipelines(url, insecure=insecure, environ=environ, client=client, check=check)
    return stored.definition, stored.source


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
    """Fetch the stored pipeline at ``url`` (with the stored pipelines it
    reaches) and open it as :func:`ingesthost.pool.open_pipeline` opens a
    pipeline file (same ``isolation``, ``workers``, ``compiler``, ``cache``,
    ``max_memory``, time-limit and batch options); the pipeline is named by
    the URL, so its id is the stored id."""
    stored = load_stored_pipelines(url, insecure=insecure, environ=environ)
    return open_stored(stored, isolation=isolation, workers=workers, confine_to=confine_to, **options)


def open_stored(
    stored: StoredPipelines,
    *,
    isolation: str = "process",
    compiler: str | None = None,
    runtime: str | None = None,
    cache: Any = True,
    max_memory: int | None = None,
    confine_to: str | Path | None = None,
    **options: Any,
) -> Any:
    """:func:`ingesthost.pool.open_pipeline` for fetched stored pipelines: a
    :class:`~ingesthost.pipeline.Pipeline`, an ``IsolatedPipeline`` or a
    ``WorkerPool``, by the same rules (``options``).

    The pipeline is built by :func:`build_stored` from a snapshot holding the
    stored pipelines. With ``isolation="process"`` that snapshot is taken
    here, in this process (:func:`take_stored_snapshot`: everything checked,
    every module read, nothing compiled) and handed to the workers, which
    build from it alone: neither the cluster nor the disk is read again, by
    replacement workers neither.
    """
    from .engine import DEFAULT_COMPILER
    from .loader import DEFAULT_MAX_MEMORY
    from .pool import open_pipeline

    compiler = compiler or DEFAULT_COMPILER
    max_memory = DEFAULT_MAX_MEMORY if max_memory is None else max_memory
    if isolation == "process":
        snapshot = take_stored_snapshot(stored, compiler=compiler, max_memory=max_memory, confine_to=confine_to)
        cache = _cache_dir(cache)  # a worker is given the directory, not the object
    else:
        snapshot = stored.snapshot()
    load = {"compiler": compiler, "runtime": runtime, "cache": cache, "max_memory": max_memory, "confine_to": confine_to}
    return open_pipeline(
        factory=build_stored, factory_args=(stored.definition, stored.source, snapshot, load), isolation=isolation, **options
    )


def build_stored(definition: dict[str, Any], source: str, snapshot: PipelineSnapshot, load: dict[str, Any]) -> Any:
    """The :class:`~ingesthost.pipeline.Pipeline` of a stored pipeline, built from
    ``snapshot`` (which holds the stored pipelines it reaches), in this process
    or in a worker. ``load``: ``compiler``, ``runtime``, ``cache`` (a
    CompileCache, a directory, or True/False/None), ``max_memory``,
    ``confine_to``. Its base directory is unused: relative paths were
    refused (:func:`check_stored_pipelines`)."""
    from .loader import CompileCache
    from .pipeline import Pipeline

    load = dict(load)
    if isinstance(load.get("cache"), str):
        load["cache"] = CompileCache(load["cache"])
    return Pipeline.from_definition(definition, base_dir=Path.cwd(), source=source, snapshot=snapshot, **load)


def take_stored_snapshot(
    stored: StoredPipelines,
    *,
    compiler: str | None = None,
    max_memory: int | None = None,
    confine_to: str | Path | None = None,
) -> PipelineSnapshot:
    """:func:`ingesthost.pipeline.take_snapshot` for a stored pipeline: the
    frozen snapshot (the stored pipelines, every module's bytes) after every
    check of a load, with nothing compiled and no guest code run."""
    from .engine import DEFAULT_COMPILER
    from .loader import DEFAULT_MAX_MEMORY
    from .pipeline import Pipeline

    snapshot = stored.snapshot(taking=True)
    planned = Pipeline.from_definition(
        stored.definition,
        base_dir=Path.cwd(),
        source=stored.source,
        compiler=compiler or DEFAULT_COMPILER,
        cache=None,
        max_memory=DEFAULT_MAX_MEMORY if max_memory is None else max_memory,
        confine_to=confine_to,
        snapshot=snapshot,
    )
    planned.close()
    return snapshot.frozen()


def _cache_dir(cache: Any) -> str | None:
    """The compile cache as a directory name (resolved here, in the parent), or None."""
    from .loader import default_cache_dir

    if cache is True:
        return str(default_cache_dir())
    if cache is False or cache is None:
        return None
    return str(cache.directory)


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
