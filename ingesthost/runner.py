"""The ``process`` job: NDJSON in, processed NDJSON out, failures kept.

Every input line ends in exactly one place: the output (processed), nowhere
because a processor dropped it on purpose (counted), or the failure output
with its error, line number and original content.
"""

from __future__ import annotations

import dataclasses
import io
import logging
import time
from typing import IO, Any, Callable, Iterable, Iterator

import orjson

from .document import IngestDocument
from .errors import IngestHostError, ProcessorError
from .ndjson import Record, dumps_line, parse_block, raw_fields, read_records
from .pipeline import BATCH_DOCUMENTS, Pipeline

logger = logging.getLogger(__name__)


@dataclasses.dataclass
class RunSummary:
    """Counts of one run. ``read = written + dropped + failed``; ``failed``
    includes ``invalid_input`` (lines that were not documents) and documents
    a processor failed. ``blank`` whitespace-only lines were skipped (not in
    ``read``). ``accounted_through`` is the last input line whose result is
    in the outputs (or that was dropped or skipped): after a stop, the lines
    after it are the ones to process again."""

    read: int = 0
    written: int = 0
    dropped: int = 0
    failed: int = 0
    invalid_input: int = 0
    blank: int = 0
    #: Of ``written``: documents an index already held (``create`` answered 409).
    already_there: int = 0
    accounted_through: int = 0
    elapsed_seconds: float = 0.0

    def add(self, counts: dict[str, int]) -> None:
        """Add the counts of one block (a :meth:`counts` of another summary)."""
        for name, value in counts.items():
            setattr(self, name, getattr(self, name) + value)

    def counts(self) -> dict[str, int]:
        """The document counts, without timing or position."""
        return {
            "read": self.read,
            "written": self.written,
            "dropped": self.dropped,
            "failed": self.failed,
            "invalid_input": self.invalid_input,
            "blank": self.blank,
            "already_there": self.already_there,
        }

    @property
    def docs_per_second(self) -> float:
        return self.read / self.elapsed_seconds if self.elapsed_seconds > 0 else 0.0

    def as_dict(self) -> dict[str, Any]:
        data = dataclasses.asdict(self)
        data["docs_per_second"] = round(self.docs_per_second, 1)
        return data


class UnwritableDocument(Exception):
    """A processed document that cannot be written as JSON (e.g. a guest nested
    it deeper than JSON output allows): the document fails, the run goes on."""


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
    elif isinstance(error, UnwritableDocument):
        entry["error"] = {"type": "output_error", "message": str(error)}
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



#: Told (first input line, how many documents) before each document or batch
#: runs: a worker publishes it, so that a guest that hangs or crashes is
#: pinned on its document (or its batch, which is then run one by one).
Progress = Callable[[int, int], None]


def run(
    pipeline: Pipeline,
    records: Iterable[Record],
    output: IO[bytes],
    failures: IO[bytes],
    *,
    source: str,
    progress: Progress | None = None,
    batch_documents: int = BATCH_DOCUMENTS,
) -> RunSummary:
    """Process ``records`` in input order, writing results to ``output`` and
    failure records to ``failures``. Never stops early for a bad document.

    When the pipeline batches (:attr:`Pipeline.batches`), documents go
    through it ``batch_documents`` at a time, with the same results."""
    summary = RunSummary()
    started = time.perf_counter()
    if batch_documents > 1 and getattr(pipeline, "batches", False):
        _run_batched(pipeline, records, output, failures, source, summary, progress, batch_documents)
    else:
        _run_each(pipeline, records, output, failures, source, summary, progress)
    summary.elapsed_seconds = time.perf_counter() - started
    return summary


def _run_each(
    pipeline: Pipeline,
    records: Iterable[Record],
    output: IO[bytes],
    failures: IO[bytes],
    source: str,
    summary: RunSummary,
    progress: Progress | None,
) -> None:
    execute = pipeline.execute
    write = output.write
    for record in records:
        doc = record.document
        if doc is None:
            if record.error is None:  # a blank line: skipped, counted
                summary.blank += 1
                continue
            summary.read += 1
            summary.failed += 1
            summary.invalid_input += 1
            failures.write(dumps_line(failure_record(record, source, record.error)))
            continue
        summary.read += 1
        if progress is not None:
            progress(record.line, 1)
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
        _write_result(record, result, output, failures, source, summary, write)


def _write_result(
    record: Record,
    result: IngestDocument | None,
    output: IO[bytes],
    failures: IO[bytes],
    source: str,
    summary: RunSummary,
    write: Callable[[bytes], Any],
) -> None:
    if result is None:
        summary.dropped += 1
        return
    try:
        line = dumps_line(result.source)
    except TypeError as exc:  # e.g. a guest nested a value deeper than JSON output allows
        summary.failed += 1
        problem = UnwritableDocument(f"the processed document cannot be written as JSON: {exc}")
        failures.write(dumps_line(failure_record(record, source, problem)))
        return
    write(line)
    summary.written += 1


def _run_batched(
    pipeline: Pipeline,
    records: Iterable[Record],
    output: IO[bytes],
    failures: IO[bytes],
    source: str,
    summary: RunSummary,
    progress: Progress | None,
    size: int,
) -> None:
    """Documents in groups of ``size``; lines that are not documents are
    reported in their place, so the outputs keep input order."""
    write = output.write
    pending: list[Record] = []

    def flush() -> None:
        if not pending:
            return
        if progress is not None:
            progress(pending[0].line, len(pending))
        now = time.time_ns()  # the documents of a batch enter the pipeline together
        documents = [IngestDocument(record.document, now) for record in pending]  # type: ignore[arg-type]
        try:
            results = pipeline.execute_batch(documents)
        except Exception:  # a host bug: run them one by one from their original lines
            logger.exception("internal error in a batch of %s lines %d-%d", source, pending[0].line, pending[-1].line)
            for record in pending:
                record.document = orjson.loads(record.raw)
            batch = list(pending)
            pending.clear()
            _run_each(pipeline, batch, output, failures, source, summary, progress)
            return
        for record, result in zip(pending, results):
            if isinstance(result, IngestHostError):
                summary.failed += 1
                failures.write(dumps_line(failure_record(record, source, result)))
            else:
                _write_result(record, result, output, failures, source, summary, write)
        pending.clear()

    for record in records:
        if record.document is None:
            flush()
            if record.error is None:
                summary.blank += 1
                continue
            summary.read += 1
            summary.failed += 1
            summary.invalid_input += 1
            failures.write(dumps_line(failure_record(record, source, record.error)))
            continue
        summary.read += 1
        pending.append(record)
        if len(pending) >= size:
            flush()
    flush()


def run_blocks(
    pipeline: Pipeline, blocks: Iterable[tuple], source: str, max_line_bytes: int, max_depth: int
) -> Iterator[tuple[bytes, bytes, dict[str, int], int]]:
    """In this process: the results of blocks of NDJSON lines
    (:func:`ingesthost.ndjson.read_blocks`), in input order, as ``(output
    bytes, failure-record bytes, counts, last line)`` per block; the same
    shape as :meth:`ingesthost.workers.IsolatedPipeline.run_blocks`."""
    for entry in blocks:
        if entry[0] == "batch":
            _, first, block, count, _ready = entry
            out, failed, counts = run_lines(pipeline, block, first, source, max_line_bytes, max_depth)
            yield out, failed, counts, first + count - 1
        else:
            yield oversize_result(entry[1], source)


def run_lines(
    pipeline: Pipeline,
    block: bytes,
    first: int,
    source: str,
    max_line_bytes: int,
    max_depth: int,
    progress: Progress | None = None,
) -> tuple[bytes, bytes, dict[str, int]]:
    """One block of NDJSON lines (the first is line ``first``), as
    :func:`read_blocks <ingesthost.ndjson.read_blocks>` cuts them: (output
    bytes, failure-record bytes, counts), exactly as :func:`run` over
    :func:`read_records` of the block gives them.

    A block whose every line is a plain document (the common case; see
    :func:`~ingesthost.ndjson.parse_block`) is parsed in one pass and its
    documents go through the pipeline without a per-line :class:`Record`;
    any other block is read line by line."""
    parsed = parse_block(block, max_line_bytes, max_depth)
    if parsed is None:
        records = read_records(
            io.BytesIO(block), source, max_line_bytes=max_line_bytes, max_depth=max_depth, first_line=first
        )
        return run_block(pipeline, records, source, progress)
    lines, docs = parsed
    if BATCH_DOCUMENTS > 1 and getattr(pipeline, "batches", False):
        return _run_parsed(pipeline, lines, docs, first, source, progress, BATCH_DOCUMENTS)
    return _run_parsed(pipeline, lines, docs, first, source, progress, 1)


def _run_parsed(
    pipeline: Pipeline,
    lines: list[bytes],
    docs: list[Any],
    first: int,
    source: str,
    progress: Progress | None,
    size: int,
) -> tuple[bytes, bytes, dict[str, int]]:
    """Parsed documents ``size`` at a time (1: :meth:`Pipeline.execute` on
    each), with :func:`run`'s results and accounting."""
    out: list[bytes] = []
    failures: list[bytes] = []
    written = dropped = failed = 0
    dumps = orjson.dumps
    newline = orjson.OPT_APPEND_NEWLINE
    execute = pipeline.execute
    for start in range(0, len(docs), size):
        if progress is not None:
            progress(first + start, min(size, len(docs) - start))
        if size == 1:
            results: list[Any] = [_execute_one(execute, IngestDocument(docs[start]), first + start, source)]
        else:
            now = time.time_ns()  # the documents of a batch enter the pipeline together
            documents = [IngestDocument(doc, now) for doc in docs[start : start + size]]
            try:
                results = pipeline.execute_batch(documents)
            except Exception:  # a host bug: run them one by one from their original lines
                logger.exception(
                    "internal error in a batch of %s lines %d-%d", source, first + start, first + start + len(documents) - 1
                )
                results = [
                    _execute_one(execute, IngestDocument(orjson.loads(lines[start + index])), first + start + index, source)
                    for index in range(len(documents))
                ]
        for index, result in enumerate(results, start):
            if result is None:
                dropped += 1
                continue
            if not isinstance(result, Exception):
                try:
                    out.append(dumps(result.source, option=newline))
                    written += 1
                    continue
                except TypeError as exc:  # e.g. a guest nested a value deeper than JSON output allows
                    result = UnwritableDocument(f"the processed document cannot be written as JSON: {exc}")
            failed += 1
            record = Record(first + index, lines[index], docs[index])
            failures.append(dumps_line(failure_record(record, source, result)))
    counts = {"read": len(docs), "written": written, "dropped": dropped, "failed": failed}
    return b"".join(out), b"".join(failures), counts


def _execute_one(
    execute: Callable[[IngestDocument], IngestDocument | None], document: IngestDocument, line: int, source: str
) -> IngestDocument | None | Exception:
    """:meth:`Pipeline.execute` on one document: its result, or the error it failed with."""
    try:
        return execute(document)
    except IngestHostError as exc:
        return exc
    except Exception as exc:  # a host bug must not lose the document
        logger.exception("internal error on %s line %d", source, line)
        return exc


def write_results(
    results: Iterable[tuple[bytes, bytes, dict[str, int], int]], output: IO[bytes], failures: IO[bytes]
) -> RunSummary:
    """Write block results (``run_blocks``, in process or in workers) to plain
    streams, flushing each block so that a slow stream's results come out as
    they are ready; the library's ``run`` for every kind of pipeline."""
    summary = RunSummary()
    started = time.perf_counter()
    for out, failed, counts, last in results:
        output.write(out)
        failures.write(failed)
        output.flush()
        failures.flush()
        summary.add(counts)
        summary.accounted_through = last
    summary.elapsed_seconds = time.perf_counter() - started
    return summary


def oversize_result(record: Record, source: str) -> tuple[bytes, bytes, dict[str, int], int]:
    """The block result of a line too long to read (see :func:`run_blocks`)."""
    counts = {"read": 1, "failed": 1, "invalid_input": 1}
    return b"", dumps_line(failure_record(record, source, record.error)), counts, record.line


def run_block(
    pipeline: Pipeline, records: Iterable[Record], source: str, progress: Progress | None = None
) -> tuple[bytes, bytes, dict[str, int]]:
    """:func:`run` over one block of records: (output bytes, failure-record bytes, counts)."""
    output, failures = io.BytesIO(), io.BytesIO()
    summary = run(pipeline, records, output, failures, source=source, progress=progress)
    return output.getvalue(), failures.getvalue(), summary.counts()
