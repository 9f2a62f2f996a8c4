"""One ``_bulk`` request, from parsed actions to the items of the answer.

Blocking work, run in a thread (never on the event loop): documents go
through their pipelines (in worker processes), what the pipelines keep goes
to the target, and every action gets the item Elasticsearch would answer:

* a document a pipeline dropped: the item Elasticsearch gives a dropped
  document (:func:`~ingesthost.serve.bulk.dropped_item`);
* a document a pipeline failed: Elasticsearch's ingest-failure item, and
  the original document in the failure file;
* a document the target refused: the target's own item (status and error);
* ``delete`` and ``update``: a per-item error saying they are not
  forwarded (documented in the README): ingesthost runs ingest pipelines,
  which Elasticsearch runs only for ``index`` and ``create``.

Acknowledgement model: the answer is sent after the target acknowledged
the documents (or refused them, per item). When the target takes nothing
at all, the whole request is answered 503 and nothing is recorded, not even
the failures, so that the shipper's retry of the same request is the only
copy that counts.
"""

from __future__ import annotations

import datetime
import fcntl
import logging
import os
import threading
import time
from typing import Any

import orjson

from ..document import pop_metadata, with_metadata
from ..errors import ProcessorError
from . import bulk
from .forward import Pending
from .pipelines import PipelineSet

logger = logging.getLogger(__name__)

#: ``pipeline`` value meaning "no pipeline".
NO_PIPELINE = "_none"


class BulkService:
    """The pipelines, the target and the failure file of a server."""

    def __init__(self, pipelines: PipelineSet, target: Any, failures: str, default_pipeline: str | None = None) -> None:
        self.pipelines = pipelines
        self.target = target
        self.default_pipeline = default_pipeline
        self.failures = FailureFile(failures)
        #: Documents answered, by outcome (the stats endpoint shows them).
        self.counts = {"received": 0, "forwarded": 0, "dropped": 0, "failed": 0, "refused": 0, "unsupported": 0}
        self._counts_lock = threading.Lock()
        self._closed = False

    def handle(self, actions: list[bulk.Action], query_pipeline: str | None) -> tuple[list[dict], int | None]:
        """The ``items`` of the answer, in request order, and the
        milliseconds pipelines took (None when none ran: Elasticsearch's
        ``ingest_took``). Raises :class:`~ingesthost.serve.forward.TargetUnavailable`
        when the target takes nothing (answer 503)."""
        items: list[dict | None] = [None] * len(actions)
        groups: dict[str | None, list[int]] = {}
        tally = dict.fromkeys(self.counts, 0)
        tally["received"] = len(actions)
        for position, action in enumerate(actions):
            if action.source_error is not None:  # a document line the pipeline could not read
                items[position] = bulk.item_result(
                    action.op, action.index or "", action.id, 400, error=action.source_error
                )
                tally["failed"] += 1
                continue
            if action.op not in ("index", "create"):
                items[position] = bulk.item_result(
                    action.op, action.index or "", action.id, 400,
                    error=bulk.error_object(
                        "illegal_argument_exception",
                        f"ingesthost serve does not forward [{action.op}] actions (ingest pipelines run on index "
                        "and create only): send them to Elasticsearch directly",
                    ),
                )
                tally["unsupported"] += 1
                continue
            pipeline_id = action.pipeline or query_pipeline or self.default_pipeline
            if pipeline_id == NO_PIPELINE:
                pipeline_id = None
            if pipeline_id is not None and pipeline_id not in self.pipelines:
                items[position] = bulk.unknown_pipeline_item(action, pipeline_id)
                tally["failed"] += 1
                continue
            groups.setdefault(pipeline_id, []).append(position)

        pending: list[Pending] = []
        pending_positions: list[int] = []
        failure_records: list[bytes] = []
        ingest_started = time.perf_counter()
        for pipeline_id, positions in groups.items():
            documents = [with_metadata(actions[p].source or {}, actions[p].index, actions[p].id, actions[p].routing) for p in positions]
            if pipeline_id is None:
                outcomes: list[Any] = [("ok", doc) for doc in documents]
            else:
                outcomes = [(r.status, r.document if r.status == "ok" else r.error)
                            for r in self.pipelines.run(pipeline_id, documents)]
            for position, (status, value) in zip(positions, outcomes):
                action = actions[position]
                if status == "dropped":
                    items[position] = bulk.dropped_item(action)
                    tally["dropped"] += 1
                elif status == "failed":
                    items[position] = _failure_item(action, value, pipeline_id)
                    failure_records.append(_failure_record(action, value, pipeline_id))
                    tally["failed"] += 1
                else:
                    pending.append(_pending(action, value))
                    pending_positions.append(position)

        ran = any(pipeline_id is not None for pipeline_id in groups)
        ingest_ms = int((time.perf_counter() - ingest_started) * 1000) if ran else None
        if pending:
            answers = self.target.forward(pending)  # may raise TargetUnavailable: nothing recorded yet
            for position, (status, body) in zip(pending_positions, answers):
                action = actions[position]
                items[position] = {action.op: body}
                tally["forwarded" if status < 300 or status == 409 and action.op == "create" else "refused"] += 1
        if failure_records:
            self.failures.append(b"".join(failure_records))
        with self._counts_lock:
            for key, value in tally.items():
                self.counts[key] += value
        missing = [position for position, item in enumerate(items) if item is None]
        if missing:  # a target that answered fewer items than it was sent
            raise RuntimeError(f"no answer for the actions at positions {missing[:10]}")
        return items, ingest_ms  # type: ignore[return-value]

    def close(self) -> None:
        """Stop the pipelines' workers and the target's connections (again: nothing)."""
        if self._closed:
            return
        self._closed = True
        self.pipelines.close()
        self.target.close()


def _pending(action: bulk.Action, document: dict[str, Any]) -> Pending:
    meta = pop_metadata(document)
    index = meta.get("_index") or action.index or ""
    doc_id = meta.get("_id")
    routing = meta.get("_routing")
    return (action.op, str(index), None if doc_id is None else str(doc_id), None if routing is None else str(routing), document)


def _failure_item(action: bulk.Action, error: Any, pipeline_id: str | None) -> dict:
    if isinstance(error, ProcessorError):
        failed_by_fail = error.kind == "fail"
        return bulk.ingest_failure_item(
            action,
            error_type="fail_processor_exception" if failed_by_fail else "illegal_argument_exception",
            reason=error.reason,
            status=500 if failed_by_fail else 400,
            processor_type=error.processor_type,
            processor_tag=error.tag,
            pipeline=pipeline_id,
        )
    return bulk.ingest_failure_item(
        action, error_type="illegal_argument_exception", reason=str(error), status=400, pipeline=pipeline_id
    )


def _failure_record(action: bulk.Action, error: Any, pipeline_id: str | None) -> bytes:
    """The failure-file line: where from, why, and the document as received."""
    if isinstance(error, ProcessorError):
        detail = {"type": "processor_error", "kind": error.kind, "message": error.reason,
                  "processor_type": error.processor_type, "processor_tag": error.tag}
    else:
        detail = {"type": "input_error", "message": str(error)}
    record = {
        "source": "_bulk",
        "received": datetime.datetime.now(datetime.timezone.utc).isoformat(),
        "pipeline": pipeline_id,
        "action": {"op": action.op, "_index": action.index, "_id": action.id},
        "error": detail,
        "document": action.source,
    }
    return orjson.dumps(record, option=orjson.OPT_APPEND_NEWLINE)


class FailureFile:
    """The failure file, appended to (never emptied: a restarted server goes
    on writing after what the last one wrote), locked and synced per request."""

    def __init__(self, path: str) -> None:
        self.path = path
        self._lock = threading.Lock()

    def append(self, data: bytes) -> None:
        with self._lock:
            fd = os.open(self.path, os.O_WRONLY | os.O_CREAT | os.O_APPEND | os.O_CLOEXEC, 0o666)
            try:
                fcntl.flock(fd, fcntl.LOCK_EX)
                view = memoryview(data)
                while view:
                    view = view[os.write(fd, view):]
                os.fsync(fd)
            finally:
                os.close(fd)
