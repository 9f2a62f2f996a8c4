"""The ``process`` job: NDJSON in, processed NDJSON out, failures kept.

Every input line ends in exactly one place: the output (processed), nowhere
because a processor dropped it on purpose (counted), or the failure output
with its error, line number and original content.
"""

from __future__ import annotations

import dataclasses
import logging
import time
from typing import IO, Any, Iterable

import orjson

from .document import IngestDocument
from .errors import IngestHostError, InputError, ProcessorError
from .ndjson import Record, dumps_line, raw_fields
from .pipeline import Pipeline

logger = logging.getLogger(__name__)


@dataclasses.dataclass
class RunSummary:
    """Counts of one run. ``failed`` includes ``invalid_input`` (lines that were
    not documents) and documents a processor failed."""

    read: int = 0
    written: int = 0
    dropped: int = 0
    failed: int = 0
    invalid_input: int = 0
    elapsed_seconds: float = 0.0

    @property
    def docs_per_second(self) -> float:
        return self.read / self.elapsed_seconds if self.elapsed_seconds > 0 else 0.0

    def as_dict(self) -> dict[str, Any]:
        data = dataclasses.asdict(self)
        data["docs_per_second"] = round(self.docs_per_second, 1)
        return data


def failure_record(record: Record, source: str, error: Exception) -> dict[str, Any]:
    """The failure-output line for ``record``: where, why, and the original input."""
    entry: dict[str, Any] = {"source": source, "line": record.line}
    if isinstance(error, ProcessorError):
        entry["error"] = {
            "type": "processor_error",
            "kind": error.kind,
            "message": error.reason,
            "processor_type": error.processor_type,
            "processor_tag": error.tag,
        }
    elif isinstance(error, IngestHostError):
        entry["error"] = {"type": "input_error", "message": getattr(error, "problem", str(error))}
    else:
        entry["error"] = {"type": "internal_error", "message": f"{type(error).__name__}: {error}"}
    if record.document is not None:
        # Processors edit in place: re-read the untouched original from the raw line.
        entry["document"] = orjson.loads(record.raw)
    else:
        entry.update(raw_fields(record.text))
        if record.truncated_size is not None:
            entry["raw_truncated"] = True
            entry["raw_size"] = record.truncated_size
    return entry


def run(
    pipeline: Pipeline,
    records: Iterable[Record],
    output: IO[bytes],
    failures: IO[bytes],
    *,
    source: str,
) -> RunSummary:
    """Process ``records`` in input order, writing results to ``output`` and
    failure records to ``failures``. Never stops early for a bad document."""
    summary = RunSummary()
    started = time.perf_counter()
    execute = pipeline.execute
    write = output.write
    for record in records:
        summary.read += 1
        doc = record.document
        if doc is None:
            summary.failed += 1
            summary.invalid_input += 1
            failures.write(dumps_line(failure_record(record, source, record.error)))
            continue
        try:
            result = execute(IngestDocument(doc))
        except IngestHostError as exc:
            summary.failed += 1
            failures.write(dumps_line(failure_record(record, source, exc)))
            continue
        except Exception as exc:  # a host bug must not lose the document
            logger.exception("internal error on %s line %d", source, record.line)
            summary.failed += 1
            failures.write(dumps_line(failure_record(record, source, exc)))
            continue
        if result is None:
            summary.dropped += 1
            continue
        try:
            line = dumps_line(result.source)
        except TypeError as exc:  # e.g. a guest nested a value deeper than JSON output allows
            summary.failed += 1
            problem = InputError(f"the processed document cannot be written as JSON: {exc}", source=source, line=record.line)
            failures.write(dumps_line(failure_record(record, source, problem)))
            continue
        write(line)
        summary.written += 1
    summary.elapsed_seconds = time.perf_counter() - started
    return summary
