"""Write documents with ``_bulk`` and account for every one of them.

Each input item gets exactly one outcome, in input order: written, already
there (409 on ``create``: the document was written before, e.g. by a run
that died before acknowledging it) or failed, with Elasticsearch's status
and error object. The retry rules are those of Beats and Logstash:

==========================================  ===============================
what came back                              what happens
==========================================  ===============================
429/502/503/504 for the whole request,      the same body again after a
or no response (connection error, timeout)  capped, jittered backoff; after
                                            ``max_retries`` every item of
                                            the request fails with the last
                                            error
401/403 for the whole request               :class:`EsAuthError`: nothing
                                            else can succeed
413 (request too large)                     the batch is split in halves,
                                            down to one item, which fails
other whole-request statuses                every item fails with it
an item's 429 or 5xx                        that item again (the others are
                                            done), with the same bound
an item's 409 on ``create``                 already_there
an item's other 4xx (400 mapping, 404)      failed, not retried
more or fewer items than were sent          :class:`BulkResponseError`
==========================================  ===============================

A retry after a timeout may index a document whose first attempt did land:
give items an ``id`` (or use ``create``) to make that harmless.

Every item is serialised once, with orjson, into its NDJSON lines; a retry
or a split joins the same bytes again.
"""

from __future__ import annotations

import datetime as _dt
import enum
import logging
import time
from dataclasses import dataclass, field
from typing import Any, Callable, Iterable, Mapping

import elastic_transport
import elasticsearch
import orjson

from .connection import BulkResponseError, EsAuthError, EsConfigError, describe_body, strip_userinfo
from .retry import RETRYABLE_STATUSES, Backoff

log = logging.getLogger(__name__)

OP_TYPES = ("index", "create")


class Outcome(str, enum.Enum):
    """What became of one item."""

    WRITTEN = "written"
    ALREADY_THERE = "already_there"
    FAILED = "failed"


@dataclass(frozen=True)
class BulkItem:
    """One document to write.

    ``source`` is a dict, or JSON bytes already serialised (one line, no
    newline inside). ``index`` overrides the sink's index; ``ref`` is
    anything the caller needs to recognise the item's result.
    """

    source: Mapping[str, Any] | bytes
    id: str | None = None
    index: str | None = None
    routing: str | None = None
    ref: Any = None


@dataclass(frozen=True)
class ItemResult:
    """The outcome of one item.

    ``status`` and ``error`` are Elasticsearch's (for a failure, the last
    one seen); ``status`` is None when no response came back, with an
    ``error`` built here whose ``type`` starts with ``ingesthost_``.
    ``id`` is the document id (the one Elasticsearch generated when the
    item had none), ``attempts`` how many requests carried the item.
    """

    ref: Any
    outcome: Outcome
    index: str | None = None
    id: str | None = None
    status: int | None = None
    error: Mapping[str, Any] | None = None
    attempts: int = 0
    #: The item as Elasticsearch answered it (``result``, ``_version``,
    #: ``_seq_no``...), when it answered: what a proxy hands back unchanged.
    response: Mapping[str, Any] | None = None

    @property
    def ok(self) -> bool:
        """True unless the item failed."""
        return self.outcome is not Outcome.FAILED


@dataclass
class _Entry:
    position: int
    item: BulkItem
    index: str
    lines: bytes
    attempts: int = 0
    last_status: int | None = None
    last_error: Mapping[str, Any] | None = None


@dataclass
class _Round:
    """What one request answered: done items and those to send again."""

    results: dict[int, ItemResult] = field(default_factory=dict)
    retry: list[_Entry] = field(default_factory=list)


class BulkSink:
    """Write :class:`BulkItem` objects to ``index`` through ``_bulk``.

    ``op_type`` is ``"index"`` (create or replace) or ``"create"`` (only
    if absent: 409 becomes already_there). A request carries at most
    ``max_docs`` items and ``max_bytes`` bytes (a single item larger than
    that goes alone). ``max_retries`` bounds the retries of one batch,
    whole-request and per-item together; ``backoff`` spaces them;
    ``sleep`` is injectable so that tests do not wait; ``redact`` scrubs
    error texts (pass :meth:`ConnectionSettings.redact`).
    """

    def __init__(
        self,
        client: elasticsearch.Elasticsearch,
        index: str,
        *,
        op_type: str = "index",
        max_docs: int = 500,
        max_bytes: int = 5 * 1024 * 1024,
        max_retries: int = 5,
        backoff: Backoff | None = None,
        sleep: Callable[[float], None] = time.sleep,
        redact: Callable[[str], str] = strip_userinfo,
    ) -> None:
        if op_type not in OP_TYPES:
            raise EsConfigError(f"op_type must be one of {', '.join(OP_TYPES)}, got {op_type!r}", part="op_type")
        if not index:
            raise EsConfigError("an index to write to is required", part="index")
        if max_docs < 1 or max_bytes < 1:
            raise EsConfigError(f"max_docs and max_bytes must be positive, got {max_docs} and {max_bytes}",
                                part="max_docs")
        if max_retries < 0:
            raise EsConfigError(f"max_retries must not be negative, got {max_retries}", part="max_retries")
        self._client = client
        self._index = index
        self._op = op_type
        self._max_docs = max_docs
        self._max_bytes = max_bytes
        self._max_retries = max_retries
        self._backoff = backoff if backoff is not None else Backoff()
        self._sleep = sleep
        self._redact = redact

    @property
    def op_type(self) -> str:
        return self._op

    @property
    def max_retries(self) -> int:
        return self._max_retries

    def write(self, items: Iterable[BulkItem]) -> list[ItemResult]:
        """Write ``items``; return one result per item, in input order.

        Raises :class:`EsAuthError` (credentials refused) and
        :class:`BulkResponseError` (a response that cannot be matched to
        its request); every other problem is an item's outcome.
        """
        results: dict[int, ItemResult] = {}
        batch: list[_Entry] = []
        batch_bytes = 0
        count = 0
        for position, item in enumerate(items):
            count += 1
            entry = self._prepare(position, item, results)
            if entry is None:
                continue
            if batch and (len(batch) >= self._max_docs or batch_bytes + len(entry.lines) > self._max_bytes):
                self._send_batch(batch, results)
                batch, batch_bytes = [], 0
            batch.append(entry)
            batch_bytes += len(entry.lines)
        if batch:
            self._send_batch(batch, results)
        return [results[p] for p in range(count)]

    # -- serialising ------------------------------------------------------

    def _prepare(self, position: int, item: BulkItem, results: dict[int, ItemResult]) -> _Entry | None:
        index = item.index or self._index
        meta: dict[str, Any] = {"_index": index}
        if item.id is not None:
            meta["_id"] = item.id
        if item.routing is not None:
            meta["routing"] = item.routing
        try:
            if isinstance(item.source, (bytes, bytearray, memoryview)):
                source = bytes(item.source).strip()
                if b"\n" in source or b"\r" in source:
                    raise ValueError("serialised source contains a line break; NDJSON needs one line")
                if not source.startswith(b"{"):
                    raise ValueError("serialised source is not a JSON object")
            else:
                source = orjson.dumps(item.source)
        except (TypeError, ValueError, orjson.JSONEncodeError) as exc:
            results[position] = ItemResult(
                ref=item.ref, outcome=Outcome.FAILED, index=index, id=item.id,
                error={"type": "ingesthost_serialization_error", "reason": str(exc)},
            )
            return None
        lines = orjson.dumps({self._op: meta}) + b"\n" + source + b"\n"
        return _Entry(position=position, item=item, index=index, lines=lines)

    # -- sending ----------------------------------------------------------

    def _send_batch(self, entries: list[_Entry], results: dict[int, ItemResult]) -> None:
        """Send ``entries`` until each has an outcome (retries and splits)."""
        attempt = 0
        todo = entries
        while todo:
            for entry in todo:
                entry.attempts += 1
            body = b"".join(entry.lines for entry in todo)
            status, payload = self._post(body)
            if status == 413:
                self._split(todo, payload, results)
                return
            if status is None or status in RETRYABLE_STATUSES:
                error = self._error_object(payload)
                for entry in todo:
                    entry.last_status, entry.last_error = status, error
                retry = todo
            elif status in (401, 403):
                error_type, reason = describe_body(payload)
                raise EsAuthError("bulk request", status=status, error_type=self._redact(error_type),
                                  reason=self._redact(reason))
            elif status >= 300:
                error = self._error_object(payload)
                for entry in todo:
                    results[entry.position] = self._failed(entry, status, error)
                return
            else:
                done = self._read_items(todo, payload)
                results.update(done.results)
                retry = done.retry
            if not retry:
                return
            if attempt >= self._max_retries:
                for entry in retry:
                    results[entry.position] = self._failed(entry, entry.last_status, entry.last_error)
                log.warning("bulk: %d item(s) failed after %d retries", len(retry), attempt)
                return
            wait = self._backoff.delay(attempt)
            log.warning("bulk: %d of %d item(s) to retry (status %s), retry %d of %d in %.2f s",
                        len(retry), len(todo), retry[0].last_status, attempt + 1, self._max_retries, wait)
            self._sleep(wait)
            attempt += 1
            todo = retry

    def _split(self, todo: list[_Entry], payload: Any, results: dict[int, ItemResult]) -> None:
        if len(todo) == 1:
            entry = todo[0]
            results[entry.position] = self._failed(entry, 413, self._error_object(payload))
            log.warning("bulk: one item is too large for the cluster (413)")
            return
        half = len(todo) // 2
        log.info("bulk: request of %d items too large (413), splitting", len(todo))
        self._send_batch(todo[:half], results)
        self._send_batch(todo[half:], results)

    def _post(self, body: bytes) -> tuple[int | None, Any]:
        """Send one ``_bulk`` body: ``(status, parsed body)``, or ``(None,
        error object)`` when no response came back."""
        try:
            response = self._client.bulk(operations=body)
        except elasticsearch.ApiError as exc:
            return exc.meta.status, exc.body
        except (elastic_transport.ConnectionError, elastic_transport.ConnectionTimeout) as exc:
            return None, {"type": "ingesthost_" + _snake(type(exc).__name__),
                          "reason": self._redact(str(exc.message))}
        return response.meta.status, response.body

    def _read_items(self, todo: list[_Entry], payload: Any) -> _Round:
        items = payload.get("items") if isinstance(payload, Mapping) else None
        if not isinstance(items, list) or len(items) != len(todo):
            got = len(items) if isinstance(items, list) else "no"
            raise BulkResponseError("bulk request", status=200, error_type="item_count_mismatch",
                                    reason=f"sent {len(todo)} items, the response has {got}; "
                                           "results cannot be matched to documents")
        answer = _Round()
        for entry, item in zip(todo, items):
            if not isinstance(item, Mapping) or len(item) != 1 or self._op not in item:
                raise BulkResponseError("bulk request", status=200, error_type="item_mismatch",
                                        reason=f"item {entry.position} was sent as {self._op!r}, the response "
                                               f"answers {list(item) if isinstance(item, Mapping) else item!r}")
            result = item[self._op]
            status = result.get("status")
            if not isinstance(status, int):
                raise BulkResponseError("bulk request", status=200, error_type="item_mismatch",
                                        reason=f"item {entry.position} has no status")
            doc_id = result.get("_id", entry.item.id)
            if 200 <= status < 300:
                answer.results[entry.position] = ItemResult(
                    ref=entry.item.ref, outcome=Outcome.WRITTEN, index=result.get("_index", entry.index),
                    id=doc_id, status=status, attempts=entry.attempts, response=result)
            elif status == 409 and self._op == "create":
                answer.results[entry.position] = ItemResult(
                    ref=entry.item.ref, outcome=Outcome.ALREADY_THERE, index=result.get("_index", entry.index),
                    id=doc_id, status=status, error=self._error_object(result.get("error")),
                    attempts=entry.attempts, response=result)
            elif status == 429 or status >= 500:
                entry.last_status, entry.last_error = status, result.get("error")
                answer.retry.append(entry)
            else:
                answer.results[entry.position] = self._failed(entry, status, result.get("error"), result)
        return answer

    def _failed(self, entry: _Entry, status: int | None, error: Any, response: Mapping[str, Any] | None = None) -> ItemResult:
        return ItemResult(ref=entry.item.ref, outcome=Outcome.FAILED, index=entry.index, id=entry.item.id,
                          status=status, error=self._error_object(error), attempts=entry.attempts, response=response)

    def _error_object(self, payload: Any) -> dict[str, Any]:
        """Elasticsearch's error object, as close as the payload allows."""
        if isinstance(payload, Mapping) and isinstance(payload.get("error"), Mapping):
            payload = payload["error"]
        if isinstance(payload, Mapping) and "type" in payload:
            return _redacted(dict(payload), self._redact)
        error_type, reason = describe_body(payload)
        return {"type": self._redact(error_type), "reason": self._redact(reason)}


def _redacted(value: Any, redact: Callable[[str], str]) -> Any:
    if isinstance(value, str):
        return redact(value)
    if isinstance(value, Mapping):
        return {k: _redacted(v, redact) for k, v in value.items()}
    if isinstance(value, list):
        return [_redacted(v, redact) for v in value]
    return value


def _snake(name: str) -> str:
    return "".join("_" + c.lower() if c.isupper() and i else c.lower() for i, c in enumerate(name))


class DeadLetter:
    """Keep failed items in an index of their own, for a person to look at.

    Each becomes ``{"original": <the source as JSON text>, "error": <ES's
    error object>, "status": <int or null>, "@timestamp": <now>}``. The
    original is stored as text, not as an object: it failed once because
    of its shape and would hit the same mapping problem here.
    """

    def __init__(self, client: elasticsearch.Elasticsearch, index: str, **sink_options: Any) -> None:
        self._sink = BulkSink(client, index, op_type="index", **sink_options)
        self._index = index

    def write(
        self,
        failures: Iterable[tuple[BulkItem, ItemResult]],
        *,
        now: Callable[[], _dt.datetime] = lambda: _dt.datetime.now(_dt.timezone.utc),
    ) -> list[ItemResult]:
        """Store ``(item, result)`` pairs; returns the dead-letter writes'
        own results (a dead letter that cannot be written is reported, not
        retried forever)."""
        letters = []
        for item, result in failures:
            original = item.source if isinstance(item.source, (bytes, bytearray)) else orjson.dumps(
                item.source, default=str)
            letters.append(BulkItem(
                source={
                    "original": bytes(original).decode("utf-8", "replace"),
                    "original_index": item.index or result.index,
                    "original_id": item.id,
                    "error": dict(result.error) if result.error else None,
                    "status": result.status,
                    "@timestamp": now().isoformat().replace("+00:00", "Z"),
                },
                ref=item.ref,
            ))
        return self._sink.write(letters)
