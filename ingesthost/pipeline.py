"""The library entry point: a loaded pipeline that processes documents.

A Python log shipper embeds it like this::

    from ingesthost import Pipeline

    with Pipeline.from_file("pipeline.yml") as pipeline:
        doc = pipeline.process({"message": "user=alice status=200"})
        # doc is the processed dict, or None when a processor dropped it;
        # a failure raises ProcessorError carrying the processor's tag.
"""

from __future__ import annotations

import dataclasses
import itertools
from pathlib import Path
from typing import IO, Any, Iterable, Iterator, Literal

import orjson

from .config import PipelineBuilder, PipelineSnapshot
from .document import MAX_DEPTH, IngestDocument
from .engine import DEFAULT_COMPILER, EngineSet
from .errors import InputError, ProcessorError
from .jsonnumbers import has_non_finite_float, number_problem
from .loader import DEFAULT_MAX_MEMORY, CompileCache, ModuleLoader
from .ndjson import DEFAULT_MAX_LINE_BYTES, read_blocks
from .processors import Processor
from .processors.compound import CompoundProcessor
from .simulate import SimulateDocument, simulate
from .stats import ProcessorStats, pipeline_stats

#: Documents per :meth:`Pipeline.execute_batch` call when the pipeline
#: batches: large enough that a guest call costs little per document, small
#: enough that a guest stuck on one document is found soon (a batch has its
#: documents' time limits added up).
BATCH_DOCUMENTS = 64


@dataclasses.dataclass(frozen=True)
class DocumentResult:
    """The outcome of one document in a batch: ``status`` is ``"ok"``,
    ``"dropped"`` or ``"failed"``; ``document`` is set when ok, ``error`` when failed.

    ``error`` is a :class:`ProcessorError` when a processor failed the
    document (``tag``, ``processor_type``, ``reason``, ``kind``), or an
    :class:`InputError` when the item was no usable document: not a dict, not
    JSON-serialisable, or holding a number JSON cannot carry (see
    :mod:`ingesthost.jsonnumbers`). Its ``source`` names the item's position
    in the batch, ``docs[2]``, and its ``problem`` says what is wrong. Both are
    :class:`~ingesthost.errors.IngestHostError`; ``str(error)`` is the whole message.
    """

    status: Literal["ok", "dropped", "failed"]
    document: dict[str, Any] | None = None
    error: ProcessorError | InputError | None = None


class Pipeline:
    """An ordered list of processors, loaded and checked up front.

    The first failure stops a document (it raises :class:`ProcessorError`)
    unless the processor has ``ignore_failure`` or ``on_failure``, or the
    pipeline has ``on_failure`` (then its handlers run and the document is
    returned as they left it); a drop stops it too (the result is None).
    Instances of wasm guests live as long as the pipeline: call :meth:`close`
    (or use ``with``) to free them.

    ``id`` names the pipeline to on_failure handlers
    (``_ingest.on_failure_pipeline``) and in :meth:`stats`; it defaults to
    the file name without its extension.
    """

    def __init__(
        self,
        processors: list[Processor],
        *,
        description: str | None = None,
        source: str | None = None,
        on_failure: list[Processor] | None = None,
        id: str | None = None,
    ) -> None:
        self.processors = list(processors)
        self.description = description
        self.source = source
        self.on_failure = list(on_failure or [])
        self.id = id if id is not None else pipeline_id_for(source)
        self.compound = CompoundProcessor(self.processors, self.on_failure, pipeline_id=self.id)
        #: Pipeline-level counters (see :meth:`stats`).
        self.counters: ProcessorStats = self.compound.counters
        self._run = self.compound.execute
        # The per-document entry point, bound once: one Python call less per document.
        self.execute = self._run  # type: ignore[method-assign]

    # -- construction ------------------------------------------------------

    @classmethod
    def from_file(
        cls,
        path: str | Path,
        *,
        compiler: str = DEFAULT_COMPILER,
        runtime: str | None = None,
        cache: CompileCache | None | bool = True,
        max_memory: int = DEFAULT_MAX_MEMORY,
        confine_to: str | Path | None = None,
        snapshot: PipelineSnapshot | None = None,
    ) -> "Pipeline":
        """Load a JSON or YAML pipeline file; module paths are relative to the file.

        ``compiler`` is the default for processors that name none; ``runtime``
        (``wasmer``, ``wasmtime``, None: :func:`ingesthost.runtime.default_runtime`)
        too, unless the file sets its own. ``cache``:
        True uses the on-disk compile cache in its default place
        (:func:`ingesthost.loader.default_cache_dir`), a :class:`CompileCache`
        uses that one, False or None compiles every module afresh.
        ``max_memory`` (bytes) caps each guest instance's memory unless the
        file sets its own. ``confine_to``: every module, nested pipeline and
        WASI directory the file names must lie inside this directory.
        ``snapshot``: build from a :func:`take_snapshot` of the same call
        instead of the disk (pipeline files larger than
        :data:`~ingesthost.config.MAX_PIPELINE_FILE_BYTES` are refused either way).
        """
        path = Path(path)
        files = snapshot if snapshot is not None else PipelineSnapshot()
        definition = files.definition(path)
        return cls.from_definition(
            definition,
            base_dir=path.parent,
            source=str(path),
            compiler=compiler,
            runtime=runtime,
            cache=cache,
            max_memory=max_memory,
            confine_to=confine_to,
            snapshot=files,
        )

    @classmethod
    def from_definition(
        cls,
        definition: dict[str, Any],
        *,
        base_dir: str | Path = ".",
        source: str | None = None,
        compiler: str = DEFAULT_COMPILER,
        runtime: str | None = None,
        cache: CompileCache | None | bool = True,
        max_memory: int = DEFAULT_MAX_MEMORY,
        confine_to: str | Path | None = None,
        snapshot: PipelineSnapshot | None = None,
    ) -> "Pipeline":
        """Build from an already-parsed definition (the shape of a pipeline file);
        ``snapshot`` as in :meth:`from_file` (for nested pipelines and modules)."""
        files = snapshot if snapshot is not None else PipelineSnapshot()
        loader = ModuleLoader(EngineSet(compiler, runtime), _compile_cache(cache), read_bytes=files.module_bytes)
        pipeline_id = pipeline_id_for(source)
        builder = PipelineBuilder(
            source=source,
            base_dir=Path(base_dir),
            loader=loader,
            max_memory=max_memory,
            pipeline_id=pipeline_id,
            confine_to=confine_to,
            snapshot=files,
        )
        processors, description = builder.build(definition)
        return cls(processors, description=description, source=source, on_failure=builder.on_failure, id=pipeline_id)

    @classmethod
    def from_module(
        cls,
        module: str | Path,
        params: dict[str, Any] | None = None,
        *,
        tag: str | None = None,
        compiler: str = DEFAULT_COMPILER,
        runtime: str | None = None,
        cache: CompileCache | None | bool = True,
        max_memory: int = DEFAULT_MAX_MEMORY,
        snapshot: PipelineSnapshot | None = None,
    ) -> "Pipeline":
        """A one-processor pipeline running ``module`` (a ``.wasm``, ``.wasm.gz`` or
        compiled artifact; the CLI's ``--module`` shortcut); ``snapshot`` as in
        :meth:`from_file`."""
        files = snapshot if snapshot is not None else PipelineSnapshot()
        options: dict[str, Any] = {"module": str(files.resolve(Path(module))), "params": params or {}}
        if tag:
            options["tag"] = tag
        return cls.from_definition(
            {"processors": [{"wasm": options}]},
            source=str(module),
            compiler=compiler,
            runtime=runtime,
            cache=cache,
            max_memory=max_memory,
            snapshot=files,
        )

    # -- processing --------------------------------------------------------

    def execute(self, document: IngestDocument) -> IngestDocument | None:
        """Run the pipeline on ``document`` in place; None when dropped.

        Raises :class:`ProcessorError` when a failure is not handled by
        ``ignore_failure`` or an ``on_failure``.
        """
        return self._run(document)

    @property
    def batches(self) -> bool:
        """Whether a processor of this pipeline takes whole batches of documents
        (an ABI 1.1 guest): then :meth:`execute_batch` is the fast way."""
        return self.compound.batches

    def execute_batch(self, documents: list[IngestDocument]) -> list[IngestDocument | None | ProcessorError]:
        """:meth:`execute` on each of ``documents``, processor by processor: per
        document the processed document, None (dropped) or the ProcessorError
        it failed with, in order."""
        return self.compound.execute_batch(documents)

    def process(self, doc: dict[str, Any]) -> dict[str, Any] | None:
        """Process a copy of ``doc``; the caller's dict is never modified.

        Returns the processed document, or None when a processor dropped it.
        Raises :class:`ProcessorError` (with ``.tag``) when a processor fails,
        and :class:`InputError` when ``doc`` is not a JSON object, is not
        JSON-serialisable or holds a number JSON cannot carry (an integer
        beyond 64 bits, NaN, an infinity: see :mod:`ingesthost.jsonnumbers`).
        """
        result = self.execute(IngestDocument(orjson.loads(document_json(doc))))
        return None if result is None else result.source

    def process_many(self, docs: Iterable[dict[str, Any]], *, batch: int = BATCH_DOCUMENTS) -> Iterator[DocumentResult]:
        """Process documents in order, one :class:`DocumentResult` each. Nothing
        stops the batch: a failed document, and an item that is no usable
        document (failed with an :class:`InputError` naming ``docs[i]``),
        each get their result and the next one runs.

        When the pipeline batches (:attr:`batches`), up to ``batch``
        documents are taken from ``docs`` before any of them runs, for
        speed; give ``batch=1`` when ``docs`` is a live stream whose every
        result is wanted as soon as its document arrives."""
        items = iter(docs)
        index = 0
        size = batch if batch > 1 and self.batches else 1
        while True:
            chunk = list(itertools.islice(items, size))
            if not chunk:
                return
            documents: list[IngestDocument] = []
            results: list[DocumentResult | None] = []
            for doc in chunk:
                try:
                    documents.append(IngestDocument(orjson.loads(document_json(doc, f"docs[{index}]"))))
                    results.append(None)
                except InputError as exc:
                    results.append(DocumentResult("failed", error=exc))
                index += 1
            outcomes = iter(self._execute_all(documents))
            for result in results:
                if result is None:
                    outcome = next(outcomes)
                    if outcome is None:
                        result = DocumentResult("dropped")
                    elif isinstance(outcome, ProcessorError):
                        result = DocumentResult("failed", error=outcome)
                    else:
                        result = DocumentResult("ok", outcome.source)
                yield result

    def _execute_all(self, documents: list[IngestDocument]) -> list[IngestDocument | None | ProcessorError]:
        """:meth:`execute_batch` for more than one document, else :meth:`execute`."""
        if len(documents) > 1:
            return self.execute_batch(documents)
        results: list[IngestDocument | None | ProcessorError] = []
        for document in documents:
            try:
                results.append(self.execute(document))
            except ProcessorError as exc:
                results.append(exc)
        return results

    # -- the process job (the interface the isolated kinds share) -----------

    #: Workers replaced, guest calls timed out, worker crashes: always 0 here
    #: (no workers), as counted by :class:`~ingesthost.workers.IsolatedPipeline`.
    restarts = timeouts = crashes = 0

    def run(
        self,
        stream: IO[bytes],
        output: IO[bytes],
        failures: IO[bytes],
        *,
        source: str = "<input>",
        max_line_bytes: int = DEFAULT_MAX_LINE_BYTES,
        max_depth: int = MAX_DEPTH,
    ) -> Any:
        """The ``ingesthost process`` job in this process, as
        :meth:`ingesthost.workers.IsolatedPipeline.run` does it in a worker:
        NDJSON bytes from ``stream``, processed documents to ``output``,
        failure records to ``failures``, a block of lines at a time (each
        flushed), and a :class:`~ingesthost.runner.RunSummary`."""
        from .runner import write_results  # these two import this module
        from .workers import DEFAULT_BATCH_BYTES, DEFAULT_BATCH_SIZE

        blocks = read_blocks(stream, source, DEFAULT_BATCH_SIZE, DEFAULT_BATCH_BYTES, max_line_bytes)
        return write_results(self.run_blocks(blocks, source, max_line_bytes, max_depth), output, failures)

    def run_blocks(
        self, blocks: Iterable[tuple], source: str, max_line_bytes: int, max_depth: int
    ) -> Iterator[tuple[bytes, bytes, dict[str, int], int]]:
        """:func:`ingesthost.runner.run_blocks` with this pipeline: the results
        of blocks of NDJSON lines, in order (what the ``process`` job commits)."""
        from .runner import run_blocks

        return run_blocks(self, blocks, source, max_line_bytes, max_depth)

    def simulate(
        self, docs: Iterable[dict[str, Any] | SimulateDocument], *, verbose: bool = False
    ) -> dict[str, Any]:
        """What Elasticsearch's ``_simulate`` API answers for ``docs`` (sources, or
        :class:`~ingesthost.simulate.SimulateDocument` with ``_index``/``_id``):
        ``{"docs": [{"doc": {...}} | {"error": {...}} | None, ...]}``, or with
        ``verbose`` ``{"docs": [{"processor_results": [...]}, ...]}``.
        The callers' dicts are not modified.
        """
        return simulate(self, docs, verbose=verbose)

    def stats(self) -> dict[str, Any]:
        """Counters since load (or :meth:`reset_stats`), shaped like Elasticsearch's
        ingest node stats: ``{"pipelines": {id: {"count", "time_in_millis",
        "current", "failed", "dropped", "processors": [{"type:tag": {"type",
        "stats": {...}}}]}}}``, nested pipelines included."""
        return pipeline_stats(self)

    def reset_stats(self) -> None:
        """Zero the counters of this pipeline, its processors and nested pipelines."""
        from .stats import reset_pipeline_stats

        reset_pipeline_stats(self)

    # -- lifecycle ---------------------------------------------------------

    def close(self) -> None:
        """Free the wasm instances now rather than at garbage collection."""
        self.compound.close()

    def __enter__(self) -> "Pipeline":
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"<Pipeline {self.source or ''} processors={len(self.processors)}>"


def pipeline_id_for(source: str | None) -> str:
    """A pipeline's id: its file name without the extension (Elasticsearch
    pipelines have ids; files have names), ``_pipeline`` when there is no file."""
    if not source:
        return "_pipeline"
    name = Path(source).name
    for suffix in (".yml", ".yaml", ".json", ".wasm.gz", ".wasm"):
        if name.endswith(suffix) and len(name) > len(suffix):
            return name[: -len(suffix)]
    return name


def _compile_cache(cache: CompileCache | None | bool) -> CompileCache | None:
    if cache is True:
        return CompileCache()
    if cache is False or cache is None:
        return None
    return cache


def document_json(doc: Any, source: str = "<input>") -> bytes:
    """``doc`` as JSON text, the way every library document enters a pipeline
    (in process, or sent to a worker), after the checks: a dict, JSON-serialisable,
    and numbers JSON can carry (the rule of :mod:`ingesthost.jsonnumbers`, the
    one NDJSON input follows too). Raises :class:`InputError` with ``source``
    (e.g. ``docs[3]``) naming the item."""
    if not isinstance(doc, dict):
        raise InputError(f"a document must be a JSON object (dict), got {type(doc).__name__}", source=source)
    try:
        data = orjson.dumps(doc)
    except TypeError as exc:  # orjson.JSONEncodeError included
        # "Integer exceeds 64-bit range" names no field: find it
        problem = number_problem(doc) or f"document is not JSON-serialisable: {exc}"
        raise InputError(problem, source=source) from None
    # orjson wrote NaN and infinities as null: only then look (a clean document costs this search)
    if b"null" in data and has_non_finite_float(doc):
        raise InputError(number_problem(doc) or "NaN or an infinity is not a JSON number", source=source)
    return data


def take_snapshot(
    kind: str,
    *,
    path: str | Path | None = None,
    definition: dict[str, Any] | None = None,
    base_dir: str | Path = ".",
    params: dict[str, Any] | None = None,
    tag: str | None = None,
    compiler: str = DEFAULT_COMPILER,
    max_memory: int = DEFAULT_MAX_MEMORY,
    confine_to: str | Path | None = None,
) -> PipelineSnapshot:
    """Read, once, everything building a pipeline reads from disk, and check it:
    the frozen :class:`~ingesthost.config.PipelineSnapshot` that
    ``Pipeline.from_*(..., snapshot=...)`` then builds from without touching
    the disk. ``kind`` is ``file`` (``path``), ``definition`` (``definition``,
    ``base_dir``, ``path`` as the source name) or ``module`` (``path``,
    ``params``, ``tag``); the other arguments are those of the build.

    Every check of the pipeline runs (its errors are raised here, as a load
    raises them) except those that need the compiled module: nothing is
    compiled and no guest code runs, so a parent process can take it and
    hand it to workers (:class:`ingesthost.workers.IsolatedPipeline` does).
    """
    snapshot = PipelineSnapshot(taking=True)
    common: dict[str, Any] = {"compiler": compiler, "cache": None, "max_memory": max_memory, "snapshot": snapshot}
    if kind == "file":
        assert path is not None
        planned = Pipeline.from_file(path, confine_to=confine_to, **common)
    elif kind == "definition":
        assert definition is not None
        source = None if path is None else str(path)
        planned = Pipeline.from_definition(definition, base_dir=base_dir, source=source, confine_to=confine_to, **common)
    elif kind == "module":
        assert path is not None
        planned = Pipeline.from_module(path, params, tag=tag, **common)
    else:
        raise ValueError(f"no snapshot for pipelines of kind [{kind}]")
    planned.close()
    return snapshot.frozen()
