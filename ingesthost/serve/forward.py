"""Where a server sends processed documents, and what it answers for each.

Two targets behind one method, :meth:`forward`: a cluster (``_bulk`` through
:class:`~ingesthost.elasticsearch.BulkSink`, with its retry rules; each
item answered with the cluster's own item, status and error, so a client
sees what the cluster said), or NDJSON files, one per index, appended and
synced before the request is answered.

A target that takes nothing of a request after the retries (down,
overloaded) raises :class:`TargetUnavailable`: the server answers the whole
request 503 and the shipper sends it again; nothing it was told is stored
is lost.
"""

from __future__ import annotations

import fcntl
import os
import threading
import uuid
from pathlib import Path
from typing import Any

import orjson

from ..elasticsearch.connection import index_name_problem
from ..elasticsearch.retry import not_now
from ..errors import IngestHostError

#: A document to write: (op, index, id, routing, source without metadata).
Pending = tuple[str, str, "str | None", "str | None", dict]
#: The answer for one document: (status, the item body: ``_index``, ``_id``, ``result``... or ``error``).
Answer = tuple[int, dict]


class TargetUnavailable(IngestHostError):
    """The target took none of the documents (after its retries): answer 503."""


class EsTarget:
    """Documents to a cluster through ``_bulk``."""

    def __init__(self, url: str, *, max_retries: int = 5) -> None:
        from ..elasticsearch import BulkSink, make_client, parse_url, settings_from

        self.settings = settings_from(url)
        if parse_url(url).index:
            raise IngestHostError("--forward names a cluster (es://HOST:PORT); indices come from the requests")
        self.client = make_client(self.settings)
        self._sinks = {
            op: BulkSink(self.client, "_", op_type=op, max_retries=max_retries, redact=self.settings.redact)
            for op in ("index", "create")
        }

    def describe(self) -> str:
        return self.settings.base_url

    def forward(self, documents: list[Pending]) -> list[Answer]:
        from ..elasticsearch import BulkItem

        answers: list[Answer | None] = [None] * len(documents)
        for op, sink in self._sinks.items():
            chosen = [i for i, doc in enumerate(documents) if doc[0] == op]
            if not chosen:
                continue
            items = [
                BulkItem(documents[i][4], id=documents[i][2], index=documents[i][1], routing=documents[i][3], ref=i)
                for i in chosen
            ]
            results = sink.write(items)
            if results and not any(r.ok for r in results) and all(not_now(r.status) for r in results):
                error = dict(results[0].error or {})
                raise TargetUnavailable(self.settings.redact(f"the forward target does not take documents: {error.get('reason') or error.get('type')}"))
            for i, result in zip(chosen, results):
                body = dict(result.response) if result.response is not None else {
                    "_index": result.index,
                    "_id": result.id,
                    "status": result.status or 503,
                    "error": dict(result.error or {"type": "unavailable", "reason": "no answer"}),
                }
                answers[i] = (int(body.get("status") or result.status or 503), body)
        return [answer for answer in answers if answer is not None]

    def refresh(self, index: str | None) -> dict:
        """The target's own answer to a refresh (its shard counts, or its error)."""
        import elasticsearch

        try:
            return dict(self.client.indices.refresh(index=index).body)
        except elasticsearch.ApiError as exc:
            return {"_shards": {"total": 0, "successful": 0, "failed": 0}, "error": self.settings.redact(str(exc))}

    def close(self) -> None:
        self.client.close()


class NdjsonTarget:
    """Documents appended to ``DIR/INDEX.ndjson``, one line each (the
    metadata fields ``_index``, ``_id``, ``_routing`` first, as ``ingesthost
    process`` writes documents read from an index). Each request's lines are
    written with one ``write`` per file under an exclusive lock, then synced:
    what is acknowledged is on disk."""

    def __init__(self, directory: str) -> None:
        self.directory = Path(directory)
        self.directory.mkdir(parents=True, exist_ok=True)
        self._lock = threading.Lock()
        self._seq: dict[str, int] = {}

    def describe(self) -> str:
        return str(self.directory)

    def forward(self, documents: list[Pending]) -> list[Answer]:
        answers: list[Answer] = []
        by_index: dict[str, list[bytes]] = {}
        with self._lock:
            for op, index, doc_id, routing, source in documents:
                problem = index_name_problem(index)
                if problem is not None:
                    answers.append((400, {
                        "_index": index, "_id": doc_id, "status": 400,
                        "error": {"type": "invalid_index_name_exception", "reason": f"Invalid index name [{index}], {problem}", "index": index},
                    }))
                    continue
                doc_id = doc_id or uuid.uuid4().hex[:20]
                line: dict[str, Any] = {"_index": index, "_id": doc_id}
                if routing is not None:
                    line["_routing"] = routing
                line.update(source)
                by_index.setdefault(index, []).append(orjson.dumps(line, option=orjson.OPT_APPEND_NEWLINE))
                seq = self._seq.get(index, 0)
                self._seq[index] = seq + 1
                answers.append((201, {
                    "_index": index, "_id": doc_id, "_version": 1, "result": "created",
                    "_shards": {"total": 1, "successful": 1, "failed": 0}, "_seq_no": seq, "_primary_term": 1,
                    "status": 201,
                }))
            for index, lines in by_index.items():
                self._append(self.directory / f"{index}.ndjson", b"".join(lines))
        return answers

    @staticmethod
    def _append(path: Path, data: bytes) -> None:
        try:
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND | os.O_CLOEXEC, 0o666)
        except OSError as exc:
            raise TargetUnavailable(f"cannot write {path}: {exc.strerror or exc}") from None
        try:
            fcntl.flock(fd, fcntl.LOCK_EX)
            view = memoryview(data)
            while view:
                written = os.write(fd, view)
                view = view[written:]
            os.fsync(fd)
        except OSError as exc:
            raise TargetUnavailable(f"cannot write {path}: {exc.strerror or exc}") from None
        finally:
            os.close(fd)

    def refresh(self, index: str | None) -> dict:
        """Files are synced as written: nothing to do, as a refresh with nothing pending."""
        return {"_shards": {"total": 1, "successful": 1, "failed": 0}}

    def close(self) -> None:
        pass
