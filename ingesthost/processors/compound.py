"""Running a list of processors with Elasticsearch's failure rules.

Two classes, as in Elasticsearch's ingest package:

* :class:`CompoundProcessor` runs processors in order. The first failure
  stops the list: with ``ignore_failure`` the list goes on with the next
  processor; with ``on_failure`` handlers, those run (with
  ``_ingest.on_failure_message``, ``_ingest.on_failure_processor_type``,
  ``_ingest.on_failure_processor_tag`` and ``_ingest.on_failure_pipeline``
  readable) and the list *stops*, returning the document as the handlers
  left it; with neither, the failure propagates. A pipeline is one of
  these, its ``on_failure`` being the pipeline-level handlers.
* :class:`OnFailureProcessor` wraps a single processor that has its own
  ``ignore_failure`` or ``on_failure``. Because it holds one processor,
  "the list stops" means "this processor is done", and the enclosing list
  carries on: that is how a processor-level ``on_failure`` lets the
  pipeline continue while the pipeline-level one ends it.

``ignore_failure`` is checked before ``on_failure``: with both set, the
handlers never run (Elasticsearch does the same).

The first list that catches a failure records where it came from (the type
and tag of the processor it ran, and the pipeline); the failure keeps that
origin as it travels outwards, so the handlers of an outer list still see
the innermost processor that failed. A processor with an ``if`` is reported
as type ``conditional`` there, exactly as Elasticsearch reports it, unless
its own ``on_failure`` caught the failure first.

Statistics: every slot of a list has a :class:`~ingesthost.stats.ProcessorStats`
(``count``, ``time``, ``current``, ``failed``, ``dropped``, ``skipped``). A
wrapper around a slot (:class:`~ingesthost.processors.conditional.ConditionalProcessor`,
:class:`OnFailureProcessor`) shares the slot's counters, so a failure that
``ignore_failure`` swallowed, or that an ``if`` raised, still counts once.
"""

from __future__ import annotations

from time import perf_counter
from typing import Iterable, Sequence

from ..document import IngestDocument
from ..errors import ProcessorError
from ..stats import ProcessorStats
from .base import BatchResult, Processor

__all__ = [
    "CompoundProcessor",
    "OnFailureProcessor",
    "ON_FAILURE_FIELDS",
    "failure_origin",
]

ON_FAILURE_MESSAGE_FIELD = "on_failure_message"
ON_FAILURE_PROCESSOR_TYPE_FIELD = "on_failure_processor_type"
ON_FAILURE_PROCESSOR_TAG_FIELD = "on_failure_processor_tag"
ON_FAILURE_PIPELINE_FIELD = "on_failure_pipeline"
#: The ``_ingest`` keys that exist only while on_failure handlers run.
ON_FAILURE_FIELDS = (
    ON_FAILURE_MESSAGE_FIELD,
    ON_FAILURE_PROCESSOR_TYPE_FIELD,
    ON_FAILURE_PROCESSOR_TAG_FIELD,
    ON_FAILURE_PIPELINE_FIELD,
)

# Attributes kept on a ProcessorError as it travels outwards (Elasticsearch
# keeps the same facts in exception headers).
_ORIGIN = "_ingesthost_origin"  # (processor type, tag, pipeline id) of the first list that caught it
_COUNTED = "_ingesthost_counted"  # the ProcessorStats that last counted it as failed


def failure_origin(exc: ProcessorError) -> tuple[str, str | None, str | None]:
    """(processor type, tag, pipeline id) as on_failure handlers see them.

    Falls back to the error's own processor when no list has caught it yet
    (a processor run on its own).
    """
    origin = exc.__dict__.get(_ORIGIN)
    if origin is None:
        return exc.processor_type, exc.tag, None
    return origin


def count_failure(exc: ProcessorError, stats: ProcessorStats) -> None:
    """Count ``exc`` as a failure of the slot ``stats`` unless that slot already did."""
    if exc.__dict__.get(_COUNTED) is not stats:
        stats.failed += 1
        exc.__dict__[_COUNTED] = stats


#: ``active`` while on_failure handlers run: the list is busy, none of its slots is.
_IN_HANDLERS = ProcessorStats()


def _stamp(exc: ProcessorError, processor: Processor, pipeline_id: str | None) -> None:
    if _ORIGIN not in exc.__dict__:
        exc.__dict__[_ORIGIN] = (processor.type, processor.tag, pipeline_id)


def _slot_stats(processor: Processor) -> ProcessorStats:
    """A wrapper brings the counters it shares with its slot; a plain processor gets new ones."""
    stats = getattr(processor, "stats", None)
    return stats if isinstance(stats, ProcessorStats) else ProcessorStats()


def put_failure_metadata(document: IngestDocument, exc: ProcessorError) -> None:
    """What handlers read: ``_ingest.on_failure_message`` and friends."""
    processor_type, tag, pipeline_id = failure_origin(exc)
    ingest = document.ingest
    ingest[ON_FAILURE_MESSAGE_FIELD] = exc.reason
    ingest[ON_FAILURE_PROCESSOR_TYPE_FIELD] = processor_type
    ingest[ON_FAILURE_PROCESSOR_TAG_FIELD] = tag
    if pipeline_id is not None:
        ingest[ON_FAILURE_PIPELINE_FIELD] = pipeline_id


def remove_failure_metadata(document: IngestDocument) -> None:
    """Handlers are done: the on_failure keys go (all four, as in Elasticsearch,
    even when an outer handler list is still running)."""
    ingest = document.ingest
    for key in ON_FAILURE_FIELDS:
        ingest.pop(key, None)


class CompoundProcessor(Processor):
    """Processors run in order, with ``ignore_failure`` and ``on_failure`` handling.

    ``pipeline_id`` is the pipeline the processors belong to; handlers read it
    as ``_ingest.on_failure_pipeline``.
    """

    type = "compound"

    def __init__(
        self,
        processors: Iterable[Processor],
        on_failure: Iterable[Processor] = (),
        *,
        ignore_failure: bool = False,
        pipeline_id: str | None = None,
    ) -> None:
        super().__init__()
        self.processors: list[Processor] = list(processors)
        self.on_failure: list[Processor] = list(on_failure)
        self.ignore_failure = ignore_failure
        self.pipeline_id = pipeline_id
        self._entries: list[tuple[Processor, ProcessorStats]] = [(p, _slot_stats(p)) for p in self.processors]
        self._handlers: CompoundProcessor | None = (
            CompoundProcessor(self.on_failure, pipeline_id=pipeline_id) if self.on_failure else None
        )
        #: The counters of the slot running now, None between documents.
        self.active: ProcessorStats | None = None
        #: Counters of the list as a whole (a pipeline's own statistics).
        self.counters = ProcessorStats()

    @property
    def slots(self) -> Sequence[tuple[Processor, ProcessorStats]]:
        """(processor, its counters) for each processor, in order."""
        return tuple(self._entries)

    def execute(self, document: IngestDocument) -> IngestDocument | None:
        # The hot path. Per document: the list's own counters (one update, one
        # clock read, the time); per processor: one clock read, the time, and
        # one store (``active``, from which ``current`` is derived). How many
        # documents entered each slot is derived too (see :meth:`slot_stats`):
        # only the rare exits (a drop, a failure that stops the list) are counted.
        clock = perf_counter
        counters = self.counters
        counters.calls += 1
        start = first = clock()
        try:
            for processor, stats in self._entries:
                self.active = stats
                try:
                    result = processor.execute(document)
                except ProcessorError as exc:
                    stats.seconds += clock() - start
                    count_failure(exc, stats)
                    if self.ignore_failure:
                        start = clock()
                        continue
                    stats.stops += 1
                    _stamp(exc, processor, self.pipeline_id)
                    if self._handlers is None:
                        self.active = None
                        raise
                    self.active = _IN_HANDLERS
                    result = self.handle_failure(document, exc)
                    self.active = None
                    if result is None:
                        counters.dropped += 1
                    counters.seconds += clock() - first
                    return result
                now = clock()
                stats.seconds += now - start
                if result is None:
                    self.active = None
                    stats.dropped += 1
                    stats.stops += 1
                    counters.dropped += 1
                    counters.seconds += now - first
                    return None
                start = now
                document = result
        except BaseException:
            # The document leaves the list failed (or a bug surfaced): account for it.
            active = self.active
            if active is not None and active is not _IN_HANDLERS:
                active.stops += 1  # not a ProcessorError: the slot's exit was not counted yet
            self.active = None
            counters.failed += 1
            counters.seconds += clock() - first
            raise
        self.active = None
        counters.seconds += start - first
        return document

    @property
    def batches(self) -> bool:
        return any(processor.batches for processor in self.processors)

    def execute_batch(self, documents: list[IngestDocument]) -> list[BatchResult]:
        """Processor by processor over all ``documents`` (each processor gets the
        documents still running, as one batch), with :meth:`execute`'s rules and
        statistics for each document. Only worth it when a processor here
        batches (an ABI 1.1 guest); otherwise one document at a time."""
        if not self.batches:
            return Processor.execute_batch(self, documents)
        clock = perf_counter
        counters = self.counters
        counters.calls += len(documents)
        docs = list(documents)
        results: list[BatchResult] = [None] * len(docs)
        alive = list(range(len(docs)))
        first = clock()
        try:
            for processor, stats in self._entries:
                if not alive:
                    break
                self.active = stats
                start = clock()
                answers = processor.execute_batch([docs[i] for i in alive])
                stats.seconds += clock() - start
                still: list[int] = []
                for i, answer in zip(alive, answers):
                    if answer is None:
                        stats.dropped += 1
                        stats.stops += 1
                        counters.dropped += 1
                        results[i] = None
                    elif isinstance(answer, ProcessorError):
                        count_failure(answer, stats)
                        if self.ignore_failure:
                            still.append(i)
                            continue
                        stats.stops += 1
                        _stamp(answer, processor, self.pipeline_id)
                        if self._handlers is None:
                            results[i] = answer
                            counters.failed += 1
                            continue
                        self.active = _IN_HANDLERS
                        try:
                            handled = self.handle_failure(docs[i], answer)
                        except ProcessorError as exc:
                            results[i] = exc
                            counters.failed += 1
                            continue
                        finally:
                            self.active = stats
                        results[i] = handled
                        if handled is None:
                            counters.dropped += 1
                    else:
                        docs[i] = answer
                        still.append(i)
                alive = still
        finally:
            self.active = None
            counters.seconds += clock() - first
        for i in alive:
            results[i] = docs[i]
        return results

    def slot_stats(self) -> list[tuple[Processor, ProcessorStats]]:
        """(processor, a snapshot of its counters) per slot, with ``calls`` (documents
        that entered the slot) and ``current`` filled in."""
        entered = self.counters.calls
        snapshots = []
        for processor, stats in self._entries:
            snapshot = stats.copy()
            snapshot.calls = entered
            snapshot.current = self.current(stats)
            snapshots.append((processor, snapshot))
            entered -= stats.stops
        return snapshots

    def current(self, stats: ProcessorStats | None = None) -> int:
        """Documents inside the slot counted by ``stats`` right now, or inside the
        whole list when ``stats`` is None (0 or 1: a list runs one document at a time)."""
        if stats is None:
            return 0 if self.active is None else 1
        return 1 if self.active is stats else 0

    def handle_failure(self, document: IngestDocument, exc: ProcessorError) -> IngestDocument | None:
        """Run the on_failure handlers for ``exc``; their result ends this list.

        A handler that fails raises its own error (the original is then
        superseded, as in Elasticsearch); a handler that drops drops the document.
        """
        assert self._handlers is not None
        put_failure_metadata(document, exc)
        try:
            result = self._handlers.execute(document)
        except ProcessorError:
            remove_failure_metadata(document)
            raise
        if result is not None:
            remove_failure_metadata(result)
        return result

    def close(self) -> None:
        for processor in self.processors:
            processor.close()
        for processor in self.on_failure:
            processor.close()

    def __repr__(self) -> str:
        extra = f" on_failure={len(self.on_failure)}" if self.on_failure else ""
        extra += " ignore_failure" if self.ignore_failure else ""
        return f"<{type(self).__name__} processors={len(self.processors)}{extra}>"


class OnFailureProcessor(CompoundProcessor):
    """One processor with its own ``ignore_failure`` and/or ``on_failure``.

    Its ``stats`` are those of the slot it sits in; the enclosing list (or
    :class:`~ingesthost.processors.conditional.ConditionalProcessor`) adopts them.
    """

    type = "on_failure"

    def __init__(
        self,
        processor: Processor,
        on_failure: Iterable[Processor] = (),
        *,
        ignore_failure: bool = False,
        pipeline_id: str | None = None,
    ) -> None:
        super().__init__([processor], on_failure, ignore_failure=ignore_failure, pipeline_id=pipeline_id)
        if not ignore_failure and not self.on_failure:
            raise ValueError("OnFailureProcessor needs ignore_failure or on_failure handlers")
        self.processor = processor
        self.tag = processor.tag
        self.description = processor.description
        self.stats = ProcessorStats()

    def execute(self, document: IngestDocument) -> IngestDocument | None:
        try:
            return self.processor.execute(document)
        except ProcessorError as exc:
            return self._recover(document, exc)

    @property
    def batches(self) -> bool:
        return self.processor.batches

    def execute_batch(self, documents: list[IngestDocument]) -> list[BatchResult]:
        results = self.processor.execute_batch(documents)
        for index, (document, result) in enumerate(zip(documents, results)):
            if isinstance(result, ProcessorError):
                try:
                    results[index] = self._recover(document, result)
                except ProcessorError as exc:
                    results[index] = exc
        return results

    def _recover(self, document: IngestDocument, exc: ProcessorError) -> IngestDocument | None:
        """``ignore_failure`` or the handlers, for a failure of the processor."""
        stats = self.stats
        count_failure(exc, stats)
        if self.ignore_failure:
            return document
        _stamp(exc, self.processor, self.pipeline_id)
        try:
            return self.handle_failure(document, exc)
        except ProcessorError as failure:
            failure.__dict__[_COUNTED] = stats  # the slot failed once, not twice
            raise

    def __repr__(self) -> str:
        return f"<OnFailureProcessor {self.processor!r} ignore_failure={self.ignore_failure} on_failure={len(self.on_failure)}>"
