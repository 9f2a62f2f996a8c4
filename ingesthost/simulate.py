"""Elasticsearch's ``_simulate`` for a pipeline file: what each document becomes.

The response has Elasticsearch's shape, field for field, so that tools and
habits carry over::

    {"docs": [
      {"doc": {"_index": "_index", "_id": "_id", "_version": "-3",
               "_source": {...}, "_ingest": {"timestamp": "..."}}},
      {"error": {"root_cause": [{"type": "...", "reason": "..."}], "type": "...", "reason": "..."}},
      null
    ]}

(a processed document, a failed one, a dropped one). Documents given
without metadata get Elasticsearch's defaults: ``_index`` ``"_index"``,
``_id`` ``"_id"`` and ``_version`` ``"-3"`` (its "any version" constant,
printed as a string as Elasticsearch prints it).

With ``verbose`` each document instead lists ``processor_results``, one
entry per processor that ran (handlers included, nested pipelines
flattened, as Elasticsearch lists them): ``processor_type``, ``status``
(``success``, ``error``, ``error_ignored``, ``skipped``, ``dropped``),
``description`` and ``tag`` when set, ``if`` (``condition`` and ``result``)
when the processor has one, then ``error`` (or ``ignored_error``) and the
document after the step (``doc``, whose ``_ingest`` also carries
``pipeline``, the pipeline running). Verbose runs a traced copy of the
processor tree, so the pipeline's own statistics are untouched.
"""

from __future__ import annotations

import dataclasses
from typing import TYPE_CHECKING, Any, Iterable

import orjson

from .document import METADATA_FIELDS, IngestDocument, pop_metadata, with_metadata
from .errors import IngestHostError, InputError, ProcessorError
from .processors.base import Processor
from .processors.builtins import PipelineProcessor, deep_copy
from .processors.compound import CompoundProcessor, OnFailureProcessor
from .processors.conditional import ConditionalProcessor, ConditionError
from .condition import ConditionRuntimeError

if TYPE_CHECKING:  # pragma: no cover
    from .pipeline import Pipeline

__all__ = ["ERROR_TYPES", "SimulateDocument", "error_object", "parse_request", "simulate"]

#: Elasticsearch's "any version" (``Versions.MATCH_ANY``), what ``_version`` shows by default.
MATCH_ANY_VERSION = -3

#: ``ProcessorError.kind`` -> the error ``type`` in responses. Built-in field errors
#: are Elasticsearch's ``illegal_argument_exception``; guest failures get their own names.
ERROR_TYPES = {
    "field": "illegal_argument_exception",
    "fail": "fail_processor_exception",
    "condition": "script_exception",
    "guest_failure": "guest_failure_exception",
    "guest_trap": "guest_trap_exception",
    "host": "host_exception",
}


@dataclasses.dataclass
class SimulateDocument:
    """One document of a simulation, with the metadata Elasticsearch shows."""

    source: dict[str, Any]
    index: str = "_index"
    id: str = "_id"
    version: int = MATCH_ANY_VERSION
    routing: str | None = None

    def metadata(self) -> dict[str, str]:
        meta = {"_index": self.index, "_id": self.id, "_version": str(self.version)}
        if self.routing is not None:
            meta["_routing"] = self.routing
        return meta


def parse_request(body: Any) -> list[SimulateDocument]:
    """The documents of an Elasticsearch ``_simulate`` request body
    (``{"docs": [{"_index": ..., "_id": ..., "_source": {...}}]}``)."""
    if not isinstance(body, dict) or "docs" not in body:
        raise InputError("a simulate request is an object with a `docs` list")
    if "pipeline" in body:
        raise InputError("the request's `pipeline` is not used here: give the pipeline file with --pipeline")
    unknown = set(body) - {"docs"}
    if unknown:
        raise InputError(f"unknown simulate request field(s): {', '.join(sorted(map(str, unknown)))}")
    docs = body["docs"]
    if not isinstance(docs, list) or not docs:
        raise InputError("must specify at least one document in [docs]")
    parsed = []
    for number, entry in enumerate(docs):
        if not isinstance(entry, dict) or not isinstance(entry.get("_source"), dict):
            raise InputError(f"docs[{number}]: malformed [docs] section, each entry needs a `_source` object")
        extra = set(entry) - {"_source", "_index", "_id", "_version", "_routing"}
        if extra:
            raise InputError(f"docs[{number}]: unsupported field(s) {', '.join(sorted(map(str, extra)))}")
        inside = [key for key in METADATA_FIELDS if key in entry["_source"]]
        if inside:
            raise InputError(f"docs[{number}]: {_metadata_inside(inside[0])}")
        version = entry.get("_version", MATCH_ANY_VERSION)
        try:
            version = int(version)
        except (TypeError, ValueError):
            raise InputError(f"docs[{number}]: [_version] must be a number, found {version!r}") from None
        routing = entry.get("_routing")
        parsed.append(
            SimulateDocument(
                entry["_source"],
                index=str(entry.get("_index", "_index")),
                id=str(entry.get("_id", "_id")),
                version=version,
                routing=None if routing is None else str(routing),
            )
        )
    return parsed


def error_object(exc: BaseException) -> dict[str, Any]:
    """Elasticsearch's error body: ``{"root_cause": [...], "type": ..., "reason": ...}``."""
    cause = _describe(exc)
    root = {key: value for key, value in cause.items() if key != "caused_by"}
    return {"root_cause": [root], **cause}


def _describe(exc: BaseException) -> dict[str, Any]:
    if isinstance(exc, ConditionError):
        # Painless wraps run-time errors: "runtime error", caused by the Java exception.
        return {
            "type": "script_exception",
            "reason": "runtime error",
            "script": exc.script,
            "lang": "painless",
            "caused_by": {"type": exc.cause_type, "reason": exc.reason},
        }
    if isinstance(exc, ProcessorError):
        return {"type": ERROR_TYPES.get(exc.kind, f"{exc.kind}_exception"), "reason": exc.reason}
    if isinstance(exc, IngestHostError):
        return {"type": "ingest_host_exception", "reason": str(exc)}
    return {"type": "exception", "reason": f"{type(exc).__name__}: {exc}"}


def _as_simulate_document(doc: dict[str, Any] | SimulateDocument) -> SimulateDocument:
    if isinstance(doc, SimulateDocument):
        return doc
    if not isinstance(doc, dict):
        raise InputError(f"a document must be a JSON object (dict), got {type(doc).__name__}")
    # a plain document (an NDJSON line) is what the pipeline sees, as in `process`: its
    # `_index`, `_id` and `_routing` are its metadata
    source = {key: value for key, value in doc.items() if key not in METADATA_FIELDS}
    meta = {key: doc[key] for key in METADATA_FIELDS if key in doc}
    return SimulateDocument(
        source, index=meta.get("_index", "_index"), id=meta.get("_id", "_id"), routing=meta.get("_routing")
    )


def _fresh(doc: SimulateDocument) -> IngestDocument:
    """The document a pipeline sees: the entry's metadata (``_index``, ``_id``,
    ``_routing``) beside its source, so processors and conditions read and
    change them as in Elasticsearch (``set`` on ``_index`` reroutes)."""
    try:
        source = orjson.loads(orjson.dumps(doc.source))
    except (TypeError, orjson.JSONEncodeError) as exc:
        raise InputError(f"document is not JSON-serialisable: {exc}") from None
    inside = [key for key in METADATA_FIELDS if key in source]
    if inside:  # a SimulateDocument made by hand (parse_request refuses these with the entry's place)
        raise InputError(_metadata_inside(inside[0]))
    return IngestDocument(with_metadata(source, doc.index, doc.id, doc.routing))


def _metadata_inside(key: str) -> str:
    return f"field [{key}] is a metadata field and cannot be added inside a document's _source: give it beside _source"


def _doc_body(meta: SimulateDocument, document: IngestDocument, pipeline_id: str | None = None) -> dict[str, Any]:
    """A result document as Elasticsearch shows it: metadata (as the pipeline
    left it) beside ``_source`` and ``_ingest``."""
    ingest = deep_copy(document.ingest)
    if pipeline_id is not None:
        ingest["pipeline"] = pipeline_id
    source = deep_copy(document.source)
    shown: dict[str, Any] = dict(meta.metadata())
    for key, value in pop_metadata(source).items():
        if value is None and key == "_routing":
            shown.pop(key, None)
        else:
            shown[key] = value
    return {**shown, "_source": source, "_ingest": ingest}


def simulate(
    pipeline: "Pipeline", docs: Iterable[dict[str, Any] | SimulateDocument], *, verbose: bool = False
) -> dict[str, Any]:
    """The ``_simulate`` response for ``docs`` run through ``pipeline``."""
    results: list[Any] = []
    for doc in docs:
        meta = _as_simulate_document(doc)
        document = _fresh(meta)
        if verbose:
            results.append({"processor_results": _trace(pipeline, meta, document)})
            continue
        try:
            out = pipeline.execute(document)
        except IngestHostError as exc:
            results.append({"error": error_object(exc)})
            continue
        results.append(None if out is None else {"doc": _doc_body(meta, out)})
    return {"docs": results}


# -- verbose: a traced copy of the processor tree --------------------------------------


class _Recorder:
    """The processor results of one document, and what the tracers share."""

    def __init__(self, meta: SimulateDocument, pipeline_id: str) -> None:
        self.meta = meta
        self.results: list[dict[str, Any]] = []
        self.pipelines = [pipeline_id]
        self.pending_if: dict[str, Any] | None = None

    def take_if(self) -> dict[str, Any] | None:
        condition, self.pending_if = self.pending_if, None
        return condition

    def snapshot(self, document: IngestDocument) -> dict[str, Any]:
        return _doc_body(self.meta, document, self.pipelines[-1])

    def add(
        self,
        processor: Processor,
        condition: dict[str, Any] | None,
        *,
        doc: dict[str, Any] | None = None,
        error: BaseException | None = None,
    ) -> None:
        # Elasticsearch's SimulateProcessorResult.getStatus
        if condition is not None and condition.get("result") is False:
            status = "skipped"
        elif error is not None:
            status = "error_ignored" if doc is not None else "error"
        elif doc is None and processor.type != "pipeline":
            status = "dropped"
        else:
            status = "success"
        entry: dict[str, Any] = {"processor_type": processor.type, "status": status}
        if processor.description is not None:
            entry["description"] = processor.description
        if processor.tag is not None:
            entry["tag"] = processor.tag
        if condition is not None:
            entry["if"] = condition
        if error is not None:
            if doc is not None:
                entry["ignored_error"] = {"error": error_object(error)}
            else:
                entry["error"] = error_object(error)
        if doc is not None:
            entry["doc"] = doc
        self.results.append(entry)


class _Traced(Processor):
    """A leaf processor whose every run is recorded."""

    def __init__(self, actual: Processor, recorder: _Recorder, ignore_failure: bool) -> None:
        super().__init__(tag=actual.tag, description=actual.description)
        self.actual = actual
        self.type = actual.type  # type: ignore[misc]  # reported as the processor it traces
        self.recorder = recorder
        self.ignore_failure = ignore_failure

    def execute(self, document: IngestDocument) -> IngestDocument | None:
        recorder = self.recorder
        condition = recorder.take_if()
        try:
            result = self.actual.execute(document)
        except ProcessorError as exc:
            doc = recorder.snapshot(document) if self.ignore_failure else None
            recorder.add(self.actual, condition, doc=doc, error=exc)
            raise
        if result is None:
            recorder.add(self.actual, condition)
        else:
            recorder.add(self.actual, condition, doc=recorder.snapshot(result))
        return result


class _TracedConditional(ConditionalProcessor):
    """An ``if``: a false condition is recorded as ``skipped``; a true one is
    passed to the processor's own record."""

    def __init__(self, original: ConditionalProcessor, inner: Processor, recorder: _Recorder) -> None:
        super().__init__(inner, original.condition, tag=original.tag, description=original.description)
        self.original = original
        self.recorder = recorder

    def execute(self, document: IngestDocument) -> IngestDocument | None:
        recorder = self.recorder
        source = self.condition.source
        try:
            matched = self.condition.evaluate(document.source)
        except ConditionRuntimeError:
            try:
                return super().execute(document)  # raises the ConditionError
            except ProcessorError as exc:
                recorder.add(self.original.actual, {"condition": source}, error=exc)
                raise
        if not matched:
            recorder.add(self.original.actual, {"condition": source, "result": False})
            return document
        recorder.pending_if = {"condition": source, "result": True}
        try:
            return self.processor.execute(document)
        finally:
            recorder.pending_if = None


class _TracedPipeline(Processor):
    """A ``pipeline`` processor: one ``success`` entry, then the nested pipeline's steps."""

    type = "pipeline"

    def __init__(self, actual: PipelineProcessor, recorder: _Recorder) -> None:
        super().__init__(tag=actual.tag, description=actual.description)
        self.actual = actual
        self.recorder = recorder
        self.nested = None if actual.pipeline is None else _decorate(actual.pipeline.compound, recorder)

    def execute(self, document: IngestDocument) -> IngestDocument | None:
        recorder = self.recorder
        condition = recorder.take_if()
        pipeline = self.actual.pipeline
        if pipeline is None or self.nested is None:
            missing = ProcessorError(
                f"Pipeline processor configured for non-existent pipeline [{self.actual.name}]",
                processor_type="pipeline",
                tag=self.actual.tag,
                kind="field",
            )
            recorder.add(self.actual, condition, doc=recorder.snapshot(document), error=missing)
            return document
        recorder.add(self.actual, condition)
        recorder.pipelines.append(pipeline.id)
        try:
            return self.nested.execute(document)
        finally:
            recorder.pipelines.pop()


def _decorate(processor: Processor, recorder: _Recorder, ignore_failure: bool = False) -> Processor:
    """A copy of the tree with every leaf traced (Elasticsearch's TrackingResultProcessor.decorate)."""
    if isinstance(processor, ConditionalProcessor):
        return _TracedConditional(processor, _decorate(processor.processor, recorder, ignore_failure), recorder)
    if isinstance(processor, OnFailureProcessor):
        return OnFailureProcessor(
            _decorate(processor.processor, recorder, processor.ignore_failure),
            [_decorate(handler, recorder) for handler in processor.on_failure],
            ignore_failure=processor.ignore_failure,
            pipeline_id=processor.pipeline_id,
        )
    if isinstance(processor, CompoundProcessor):
        return CompoundProcessor(
            [_decorate(child, recorder, processor.ignore_failure) for child in processor.processors],
            [_decorate(handler, recorder) for handler in processor.on_failure],
            ignore_failure=processor.ignore_failure,
            pipeline_id=processor.pipeline_id,
        )
    if isinstance(processor, PipelineProcessor):
        return _TracedPipeline(processor, recorder)
    return _Traced(processor, recorder, ignore_failure)


def _trace(pipeline: "Pipeline", meta: SimulateDocument, document: IngestDocument) -> list[dict[str, Any]]:
    recorder = _Recorder(meta, pipeline.id)
    traced = _decorate(pipeline.compound, recorder)
    try:
        traced.execute(document)
    except IngestHostError:
        pass  # the failing step is already in the results
    return recorder.results
