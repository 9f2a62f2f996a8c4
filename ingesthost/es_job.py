"""The ``process`` job when Elasticsearch is the source, the sink, or both.

The same blocks, the same execution (in this process, a worker, a pool: a
``run_blocks`` function, as for :mod:`ingesthost.job`) and the same
failure records as an NDJSON run; what changes is where blocks come from
and where their results go:

* **Sources.** An NDJSON stream (:func:`ndjson_entries`), or an index read
  through :class:`~ingesthost.elasticsearch.IndexSource`
  (:func:`index_entries`): each hit becomes one NDJSON line whose object
  carries the hit's metadata as top-level fields, ``_index``, ``_id`` and
  ``_routing``, where processors and conditions read and write them, as
  Elasticsearch's ingest does (``ctx._index``).
* **Sinks.** NDJSON files (:class:`FileDelivery`), or an index written with
  ``_bulk`` (:class:`BulkDelivery`): the metadata fields leave the document
  and become the bulk action's, so a processor that sets ``_index`` routes
  the document, and a document with an ``_id`` is written idempotently.
  A document Elasticsearch refuses goes to the failure file with its status
  and Elasticsearch's error; a cluster that does not answer at all (after
  the sink's bounded retries) stops the run instead, so that nothing is
  marked failed that a later ``--resume`` can still write.
* **Checkpoints.** After a block's results are acknowledged by the sink and
  the failure file is written, never before, :class:`CheckpointFile`
  records where the source stands (the line for NDJSON, the last sort
  values per slice for an index), the counts, and the sizes of file
  outputs; ``--resume`` continues from there. SIGINT/SIGTERM/SIGHUP let the
  block in flight finish (its bulk request included), write the checkpoint
  and stop; a second signal stops at once.
"""

from __future__ import annotations

import collections
import contextlib
import dataclasses
import datetime
import hashlib
import os
import signal
import tempfile
import time
from typing import IO, Any, Callable, Iterable, Iterator

import orjson

from .elasticsearch import BulkItem, BulkSink, DeadLetter, ItemResult, Outcome
from .elasticsearch.connection import EsError
from .elasticsearch.retry import not_now
from .document import pop_metadata, with_metadata
from .errors import IngestHostError
from .job import BlockRunner, Interrupted, JobOutcome
from .ndjson import dumps_line, read_blocks
from .outputs import OutputFile, OutputWriteError, RunOutputs
from .runner import RunSummary

#: Bumped when the checkpoint's layout changes; an older one is refused.
CHECKPOINT_VERSION = 1

#: (entry for ``run_blocks``, where the source stands once that entry is done)
Entry = tuple[tuple, Any]


class CheckpointError(IngestHostError):
    """A checkpoint that cannot be written, read or resumed from."""


class SinkUnavailable(IngestHostError):
    """The sink did not answer (after its retries): the run stops, nothing is marked failed."""


# --------------------------------------------------------------------------
# Sources
# --------------------------------------------------------------------------


def ndjson_entries(
    stream: IO[bytes], source: str, batch_size: int, batch_bytes: int, max_line_bytes: int, first_line: int = 1
) -> Iterator[Entry]:
    """Blocks of an NDJSON stream; the position after each is its last line.
    ``first_line`` > 1 resumes: that many lines minus one are skipped first."""
    if first_line > 1:
        _skip_lines(stream, first_line - 1, source)
    for entry in read_blocks(stream, source, batch_size, batch_bytes, max_line_bytes, first_line=first_line):
        last = entry[1] + entry[3] - 1 if entry[0] == "batch" else entry[1].line
        yield entry, {"line": last}


def _skip_lines(stream: IO[bytes], count: int, source: str) -> None:
    """Read past ``count`` lines (what a checkpoint says is done)."""
    left = count
    while left:
        chunk = stream.readline(1 << 20)
        if not chunk:
            raise CheckpointError(f"{source} has fewer lines than the checkpoint accounts for ({count}): it changed")
        if chunk.endswith(b"\n"):
            left -= 1


def hit_document(hit: Any, index: str | None = None) -> dict[str, Any]:
    """A hit as the pipeline sees it (:func:`~ingesthost.document.with_metadata`).
    ``index`` replaces the index it was read from, as a reindex into another
    index shows the destination in ``ctx._index``."""
    return with_metadata(hit.source, index or hit.index, hit.id, hit.routing)


def index_entries(
    hits: Iterable[Any],
    batch_size: int,
    first_line: int = 1,
    positions: dict[str, Any] | None = None,
    *,
    destination: str | None = None,
) -> Iterator[Entry]:
    """Blocks of ``batch_size`` hits as NDJSON lines, numbered from
    ``first_line`` in read order; the position after each block is the sort
    values of the last hit of every slice read so far. ``destination``: the
    index the documents will be written to (see :func:`hit_document`)."""
    state: dict[str, Any] = dict(positions or {})
    lines: list[bytes] = []
    first = first_line
    dumps = orjson.dumps
    reading = iter(hits)
    try:
        for hit in reading:
            lines.append(dumps(hit_document(hit, destination)))
            state[str(hit.slice)] = list(hit.sort)
            if len(lines) >= batch_size:
                yield ("batch", first, b"\n".join(lines) + b"\n", len(lines), True), {"slices": dict(state)}
                first += len(lines)
                lines = []
        if lines:
            yield ("batch", first, b"\n".join(lines) + b"\n", len(lines), True), {"slices": dict(state)}
    finally:
        _close(reading)  # a stopped run closes the point in time now, not when collected


# --------------------------------------------------------------------------
# Sinks
# --------------------------------------------------------------------------


class FileDelivery:
    """Results to NDJSON files (the output and the failure file), committed together."""

    def __init__(self, outputs: RunOutputs) -> None:
        self.outputs = outputs

    def deliver(self, out: bytes, failed: bytes, counts: dict[str, int]) -> dict[str, int]:
        self.outputs.output.write(out)
        self.outputs.failures.write(failed)
        self.outputs.commit()
        return counts

    def sizes(self) -> dict[str, Any]:
        failures = self.outputs.failures
        return {"output": self.outputs.output.mark()[0], "failures": failures.mark()[0], "failures_path": failures.path}

    def close(self) -> None:
        self.outputs.close()


class BulkDelivery:
    """Results to an index through ``_bulk``; failures (the pipeline's and
    the index's refusals) to the failure file, and to a dead-letter index
    when one is given."""

    def __init__(
        self,
        sink: BulkSink,
        failures: OutputFile,
        source: str,
        *,
        default_index: str | None,
        dead_letter: DeadLetter | None = None,
    ) -> None:
        self.sink = sink
        self.failures = failures
        self.source = source
        self.default_index = default_index
        self.dead_letter = dead_letter

    def deliver(self, out: bytes, failed: bytes, counts: dict[str, int]) -> dict[str, int]:
        failures = bytearray(failed)
        items: list[BulkItem] = []
        refused = 0
        for line in out.splitlines():
            document = orjson.loads(line)
            item, problem = self._item(document)
            if problem is not None:
                refused += 1
                failures += dumps_line(self._failure(document, None, {"type": "ingesthost_metadata", "reason": problem}))
                continue
            items.append(item)
        results = self.sink.write(items) if items else []
        unavailable = [result for result in results if not result.ok and not_now(result.status)]
        if unavailable and (len(unavailable) == len(results) or any(r.status is None for r in unavailable)):
            # No answer at all, or "not now" for the whole block after the retries: the cluster is
            # down or overloaded, not refusing these documents. Stop (a resume writes them) rather
            # than send the rest of the input to the failure file.
            first = unavailable[0]
            reason = (first.error or {}).get("reason") or (first.error or {}).get("type") or "no response"
            status = "no response" if first.status is None else f"status {first.status}"
            raise SinkUnavailable(
                f"Elasticsearch is not taking documents ({status}: {reason}) after {self.sink.max_retries} retries; "
                "the run stops here and nothing of this block is marked failed"
            )
        dead: list[tuple[BulkItem, ItemResult]] = []
        for item, result in zip(items, results):
            if result.outcome is Outcome.FAILED:
                refused += 1
                document = dict(item.ref)
                failures += dumps_line(self._failure(document, result.status, dict(result.error or {})))
                dead.append((item, result))
        if dead and self.dead_letter is not None:
            self.dead_letter.write(dead)
        if failures:
            self.failures.write(bytes(failures))
            self.failures.commit()
        there = sum(1 for result in results if result.outcome is Outcome.ALREADY_THERE)
        if refused or there:
            counts = dict(counts)
            counts["written"] = counts.get("written", 0) - refused
            counts["failed"] = counts.get("failed", 0) + refused
            counts["already_there"] = counts.get("already_there", 0) + there
        return counts

    def _item(self, document: dict[str, Any]) -> tuple[BulkItem | None, str | None]:
        meta = pop_metadata(document)
        index = meta.get("_index", self.default_index)
        for key, value in meta.items():
            if value is not None and not isinstance(value, str):
                document.update(meta)
                return None, f"metadata field {key} must be a string, found {type(value).__name__}"
        if not index:
            document.update(meta)
            return None, "the document has no _index and the output URL names no index"
        source = dict(document)
        document.update(meta)  # the failure record shows the document as the pipeline left it
        return BulkItem(source, id=meta.get("_id"), index=index, routing=meta.get("_routing"), ref=document), None

    def _failure(self, document: dict[str, Any], status: int | None, error: dict[str, Any]) -> dict[str, Any]:
        message = error.get("reason") or error.get("type") or "refused"
        entry: dict[str, Any] = {
            "source": self.source,
            "error": {"type": "sink_error", "status": status, "message": message, "es_error": error},
            "document": document,
        }
        return entry

    def sizes(self) -> dict[str, Any]:
        return {"failures": self.failures.mark()[0], "failures_path": self.failures.path}

    def close(self) -> None:
        self.failures.close()


# --------------------------------------------------------------------------
# Checkpoints
# --------------------------------------------------------------------------


class CheckpointFile:
    """Where a run stands, written atomically (a temporary file renamed over
    the old one, fsynced) after each acknowledged block.

    ``identity`` holds what must not change between a run and its resume
    (source, sink, pipeline digest, options that change results); no
    secret is ever part of it (URLs are kept without credentials)."""

    def __init__(self, path: str, identity: dict[str, Any]) -> None:
        self.path = path
        self.identity = identity

    def save(self, position: Any, summary: RunSummary, sizes: dict[str, Any]) -> None:
        state = {
            "version": CHECKPOINT_VERSION,
            "identity": self.identity,
            "position": position,
            "counts": summary.counts(),
            "accounted_through": summary.accounted_through,
            "sizes": sizes,
            "saved_at": datetime.datetime.now(datetime.timezone.utc).isoformat(),
        }
        data = orjson.dumps(state, option=orjson.OPT_INDENT_2 | orjson.OPT_APPEND_NEWLINE)
        directory = os.path.dirname(os.path.abspath(self.path))
        try:
            fd, temporary = tempfile.mkstemp(prefix=".checkpoint-", dir=directory)
            try:
                with os.fdopen(fd, "wb") as handle:
                    handle.write(data)
                    handle.flush()
                    os.fsync(handle.fileno())
                os.replace(temporary, self.path)
            except BaseException:
                with contextlib.suppress(OSError):
                    os.unlink(temporary)
                raise
        except OSError as exc:
            raise CheckpointError(f"cannot write the checkpoint {self.path}: {exc.strerror or exc}") from None

    def load(self) -> dict[str, Any]:
        """The saved state, after checking it belongs to this run."""
        try:
            with open(self.path, "rb") as handle:
                state = orjson.loads(handle.read())
        except FileNotFoundError:
            raise CheckpointError(f"--resume: no checkpoint at {self.path}") from None
        except (OSError, orjson.JSONDecodeError) as exc:
            raise CheckpointError(f"cannot read the checkpoint {self.path}: {exc}") from None
        if not isinstance(state, dict) or state.get("version") != CHECKPOINT_VERSION:
            raise CheckpointError(f"{self.path} is not a checkpoint of this ingesthost version")
        saved = state.get("identity", {})
        different = sorted(key for key in set(saved) | set(self.identity) if saved.get(key) != self.identity.get(key))
        if different:
            details = "; ".join(f"{key}: was {saved.get(key)!r}, now {self.identity.get(key)!r}" for key in different)
            raise CheckpointError(f"--resume: this run is not the one {self.path} was written by ({details})")
        return state


def digest_files(paths: Iterable[str]) -> str:
    """A digest of the files a pipeline is made of: a resume with another pipeline is refused."""
    digest = hashlib.sha256()
    for path in sorted(paths):
        digest.update(path.encode())
        try:
            with open(path, "rb") as handle:
                digest.update(hashlib.sha256(handle.read()).digest())
        except OSError:
            digest.update(b"?")
    return digest.hexdigest()


def _close(iterator: Any) -> None:
    close = getattr(iterator, "close", None)
    if close is not None:
        with contextlib.suppress(Exception):
            close()


# --------------------------------------------------------------------------
# The job
# --------------------------------------------------------------------------


def run_document_job(
    run_blocks: BlockRunner,
    entries: Iterable[Entry],
    delivery: FileDelivery | BulkDelivery,
    *,
    start: RunSummary | None = None,
    checkpoint: CheckpointFile | None = None,
    on_commit: Callable[[RunSummary], None] | None = None,
) -> JobOutcome:
    """Run blocks to the end of the source or until something stops the run;
    the summary (and the checkpoint) cover exactly what the sink acknowledged."""
    summary = RunSummary()
    accounted = dataclasses.replace(start) if start is not None else RunSummary()
    outcome = JobOutcome(summary)
    started = time.perf_counter()
    positions: collections.deque[Any] = collections.deque()

    def feed() -> Iterator[tuple]:
        reading = iter(entries)
        try:
            for entry, position in reading:
                positions.append(position)
                yield entry
        finally:
            _close(reading)

    blocks = feed()
    results = run_blocks(blocks)
    stop = _StopRequests()
    try:
        with stop:
            for out, failed, counts, last in results:
                position = positions.popleft()
                counts = delivery.deliver(out, failed, counts)
                after = dataclasses.replace(accounted)
                after.add(counts)
                after.accounted_through = last
                accounted = after
                if checkpoint is not None:
                    checkpoint.save(position, after, delivery.sizes())
                if on_commit is not None:
                    on_commit(after)
                if stop.signum is not None:
                    raise Interrupted(stop.signum)
    except OutputWriteError as exc:
        outcome.stopped, outcome.broken_pipe = str(exc), exc.broken_pipe
    except KeyboardInterrupt:
        outcome.stopped, outcome.signum = "interrupted (SIGINT)", int(signal.SIGINT)
    except Interrupted as exc:
        outcome.stopped, outcome.signum = f"interrupted ({exc})", exc.signum
    except OSError as exc:
        outcome.stopped = f"cannot read the input: {exc.strerror or exc}"
    except (EsError, IngestHostError) as exc:
        outcome.stopped = str(exc)
    finally:
        for field in dataclasses.fields(RunSummary):
            setattr(summary, field.name, getattr(accounted, field.name))
        _close(results)  # abandon the block in flight (a worker is stopped, not waited for)
        _close(blocks)
        summary.elapsed_seconds = time.perf_counter() - started
    return outcome


class _StopRequests:
    """While a run is inside: the first SIGINT/SIGTERM/SIGHUP is noted and
    the run stops after the block in flight (its bulk request and its
    checkpoint included); a second one stops it at once."""

    SIGNALS = (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)

    def __init__(self) -> None:
        self.signum: int | None = None
        self._previous: dict[int, Any] = {}

    def _handle(self, signum: int, frame: Any) -> None:
        if self.signum is not None:
            raise KeyboardInterrupt if signum == signal.SIGINT else Interrupted(signum)
        self.signum = signum

    def __enter__(self) -> "_StopRequests":
        for signum in self.SIGNALS:
            try:
                self._previous[signum] = signal.signal(signum, self._handle)
            except (ValueError, OSError):  # not the main thread: signals stay as they are
                pass
        return self

    def __exit__(self, *exc: object) -> None:
        for signum, handler in self._previous.items():
            signal.signal(signum, handler)
