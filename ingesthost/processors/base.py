"""What every processor is: something that edits a document, drops it, or fails."""

from __future__ import annotations

import abc
from typing import ClassVar, Union

from ..document import IngestDocument
from ..errors import ProcessorError

#: What a processor made of one document of a batch: the document (edited in
#: place), None (dropped) or the error it failed with.
BatchResult = Union[IngestDocument, None, ProcessorError]


class Processor(abc.ABC):
    """One step of a pipeline.

    :meth:`execute` edits the document in place and returns it, returns None
    to drop it, or raises :class:`~ingesthost.errors.ProcessorError`.
    """

    #: The name used in pipeline files (``{"wasm": {...}}``).
    type: ClassVar[str]

    def __init__(self, *, tag: str | None = None, description: str | None = None) -> None:
        self.tag = tag
        self.description = description

    @abc.abstractmethod
    def execute(self, document: IngestDocument) -> IngestDocument | None:
        """Process one document."""

    def execute_batch(self, documents: list[IngestDocument]) -> list[BatchResult]:
        """Process several documents; one result each, in order, exactly what
        :meth:`execute` gives each. Processors that can do better than one at
        a time (a wasm guest taking whole batches) override it."""
        results: list[BatchResult] = []
        append = results.append
        execute = self.execute
        for document in documents:
            try:
                append(execute(document))
            except ProcessorError as exc:
                append(exc)
        return results

    @property
    def batches(self) -> bool:
        """Whether :meth:`execute_batch` does better than one document at a time."""
        return False

    def close(self) -> None:
        """Release what the processor holds (wasm instances...). Idempotent."""

    def __repr__(self) -> str:
        tag = f" tag={self.tag!r}" if self.tag else ""
        return f"<{type(self).__name__}{tag}>"
