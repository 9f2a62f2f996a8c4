"""A processor guarded by an ``if`` condition, as Elasticsearch's ConditionalProcessor.

The condition wraps everything else about the processor, its
``ignore_failure`` and ``on_failure`` included, which gives Elasticsearch's
rules:

* a false condition skips the processor and its handlers;
* a condition that cannot be evaluated (``ctx.a.b`` with ``ctx.a`` null)
  fails *outside* the processor's own ``ignore_failure``/``on_failure``: the
  pipeline's handlers see it, the processor's do not;
* to the handlers of the enclosing list the failing processor's type reads
  ``conditional`` (and its tag is the processor's tag).
"""

from __future__ import annotations

from ..condition import Condition, ConditionRuntimeError
from ..document import IngestDocument
from ..errors import ProcessorError
from ..stats import ProcessorStats
from .base import BatchResult, Processor
from .compound import OnFailureProcessor, count_failure

__all__ = ["ConditionalProcessor", "ConditionError"]


class ConditionError(ProcessorError):
    """A processor's ``if`` could not be evaluated.

    ``reason`` is what went wrong (what handlers read as
    ``_ingest.on_failure_message``); ``script`` is the condition's source and
    ``cause_type`` the Java exception Painless would have thrown
    (``null_pointer_exception``, ``class_cast_exception``...).
    """

    def __init__(self, reason: str, *, script: str, cause_type: str, processor_type: str, tag: str | None) -> None:
        super().__init__(reason, processor_type=processor_type, tag=tag, kind="condition")
        self.script = script
        self.cause_type = cause_type
        label = processor_type + (f" [{tag}]" if tag else "")
        self.args = (f"processor {label}: if [{script}]: {reason}",)


class ConditionalProcessor(Processor):
    """Runs ``processor`` only for documents where ``condition`` is true."""

    type = "conditional"

    def __init__(
        self,
        processor: Processor,
        condition: Condition,
        *,
        tag: str | None = None,
        description: str | None = None,
    ) -> None:
        super().__init__(
            tag=tag if tag is not None else processor.tag,
            description=description if description is not None else processor.description,
        )
        self.processor = processor
        self.condition = condition
        #: The counters of the slot this processor sits in (adopted by the enclosing list).
        self.stats = ProcessorStats()
        if isinstance(processor, OnFailureProcessor):
            processor.stats = self.stats

    @property
    def actual(self) -> Processor:
        """The processor doing the work, without its failure-handling wrapper."""
        inner = self.processor
        return inner.processor if isinstance(inner, OnFailureProcessor) else inner

    def execute(self, document: IngestDocument) -> IngestDocument | None:
        try:
            matched = self.condition.evaluate(document.source)
        except ConditionRuntimeError as err:
            raise self._condition_error(err) from None
        if matched:
            return self.processor.execute(document)
        self.stats.skipped += 1
        return document

    @property
    def batches(self) -> bool:
        return self.processor.batches

    def execute_batch(self, documents: list[IngestDocument]) -> list[BatchResult]:
        """The documents whose condition holds go to the processor as one batch."""
        if not self.processor.batches:
            return super().execute_batch(documents)
        results: list[BatchResult] = list(documents)
        chosen: list[int] = []
        evaluate = self.condition.evaluate
        for index, document in enumerate(documents):
            try:
                matched = evaluate(document.source)
            except ConditionRuntimeError as err:
                results[index] = self._condition_error(err)
                continue
            if matched:
                chosen.append(index)
            else:
                self.stats.skipped += 1
        if chosen:
            answers = self.processor.execute_batch([documents[i] for i in chosen])
            for index, answer in zip(chosen, answers):
                results[index] = answer
        return results

    def _condition_error(self, err: ConditionRuntimeError) -> ConditionError:
        exc = ConditionError(
            err.message,
            script=self.condition.source,
            cause_type=err.error_type,
            processor_type=self.actual.type,
            tag=self.tag,
        )
        count_failure(exc, self.stats)
        return exc

    def close(self) -> None:
        self.processor.close()

    def __repr__(self) -> str:
        return f"<ConditionalProcessor if={self.condition.source!r} {self.processor!r}>"
