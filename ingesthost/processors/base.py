"""What every processor is: something that edits a document, drops it, or fails."""

from __future__ import annotations

import abc
from typing import ClassVar

from ..document import IngestDocument


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

    def close(self) -> None:
        """Release what the processor holds (wasm instances...). Idempotent."""

    def __repr__(self) -> str:
        tag = f" tag={self.tag!r}" if self.tag else ""
        return f"<{type(self).__name__}{tag}>"
