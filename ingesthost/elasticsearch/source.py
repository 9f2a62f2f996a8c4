"""Read every document of an index once, with a point in time.

A point in time (PIT) freezes what the index holds when the read starts, so
that documents written, moved or deleted meanwhile neither appear twice nor
vanish; ``search_after`` pages through it without the deep-paging cost of
``from``. This is the pattern Elasticsearch recommends over scroll.

Rules kept here, each because breaking it loses or duplicates documents:

* every request sends the PIT id that the latest response returned (the
  cluster may hand out a new one);
* a response with ``_shards.failed > 0`` or ``timed_out`` raises
  :class:`ShardFailureError`: its page is incomplete, and paging on would
  leave a silent gap;
* the PIT is closed when the iteration ends, fails, or is abandoned
  (the generator's ``close``), so the cluster frees it before keep-alive;
* a slice ends on an *empty* page, never on a short one.

Sort and resume
---------------
Hits carry their ``sort`` values; a run that stops can restart after the
last document it acknowledged with ``resume_after``. That only works when
the position means the same thing in a *new* PIT:

* ``_shard_doc`` (the default, and the fastest) is the shard and Lucene
  doc id inside one PIT; ``_doc`` likewise. Neither survives a new PIT, so
  without a declared key ``resume_after`` is refused.
* ``_id`` would do, but Elasticsearch 8 refuses to sort on it
  (``indices.id_field_data.enabled`` is off), and so does noida-db.
* A field whose value is unique per document and present in every one
  (a keyword or numeric field with doc values), declared with
  ``sort="field"``. Pages are sorted on it, and a resume sends only its
  value as ``search_after``; Elasticsearch then skips its implicit
  ``_shard_doc`` tiebreaker, which is right because the key is unique.

Slices split the PIT so that the work is read in parallel: each slice by a
thread of its own (at most :data:`PARALLEL_SLICES` at once), pages handed
over as they come; each slice keeps its own order and its own position. Elasticsearch's default PIT slicing splits Lucene doc id ranges,
which also changes in a new PIT, so resuming with ``slices > 1`` needs
``slice_field``: a numeric field with doc values whose value never changes,
which Elasticsearch hashes to choose the slice.
"""

from __future__ import annotations

import logging
import queue
import threading
import time
from dataclasses import dataclass
from typing import Any, Callable, Iterator, Mapping, Sequence

import elastic_transport
import elasticsearch

from .connection import EsConfigError, EsError, ResumeError, ShardFailureError, strip_userinfo
from .retry import Backoff, call_with_retries

log = logging.getLogger(__name__)

_NOT_RESUMABLE_SORTS = {
    "_shard_doc": "is a position inside one point in time",
    "_doc": "is a Lucene doc id, which changes between points in time",
    "_id": "cannot be sorted on (Elasticsearch 8 disables _id field data)",
    "_score": "is not unique",
}

#: Slices read at the same time (each by a thread of its own).
PARALLEL_SLICES = 8

#: search_after, per slice: the hit's ``sort`` values.
Position = Sequence[Any]


@dataclass(frozen=True)
class Hit:
    """One document as read, with what a writer or a checkpoint needs.

    ``seq_no``, ``primary_term`` and ``version`` are set when the cluster
    returns them (for optimistic concurrency on write-back); ``sort`` is the
    position to resume after; ``slice`` the slice it came from.
    """

    index: str
    id: str
    source: dict
    sort: tuple
    slice: int = 0
    routing: str | None = None
    seq_no: int | None = None
    primary_term: int | None = None
    version: int | None = None


class _PointInTime:
    """An open PIT whose id follows the latest response."""

    def __init__(self, client: elasticsearch.Elasticsearch, pit_id: str) -> None:
        self._client = client
        self.id = pit_id

    def follow(self, response: Mapping[str, Any]) -> None:
        new_id = response.get("pit_id")
        if new_id and new_id != self.id:
            log.debug("point in time id changed")
            self.id = new_id

    def close(self) -> None:
        """Free the PIT; a failure here only logs (the keep-alive frees it
        eventually, and an error here must not hide the one being raised)."""
        try:
            self._client.close_point_in_time(id=self.id)
        except elasticsearch.NotFoundError:
            log.debug("point in time already gone when closing")
        except (elasticsearch.ApiError, elastic_transport.TransportError) as exc:
            log.warning("could not close point in time (%s); it expires with its keep-alive", type(exc).__name__)


class IndexSource:
    """Iterate over every document of ``index`` (once per iteration).

    ``query`` filters (an Elasticsearch query object); ``page_size`` hits
    per request; ``slices`` parts read one after another; ``sort`` a unique
    key field (see the module docstring), needed for ``resume_after``;
    ``slice_field`` a numeric field that slices by hashing, needed to
    resume with slices; ``resume_after`` the ``sort`` of the last handled
    hit (a sequence for one slice, or a mapping slice number -> sort values,
    a missing slice starting from its beginning); ``keep_alive`` how long
    the PIT lives between two requests, which must cover the time the
    caller spends on one page. Transient failures (429, 502-504, connection)
    are retried ``max_retries`` times with ``backoff``; ``sleep`` is
    injectable for tests; ``redact`` scrubs error messages (pass
    :meth:`ConnectionSettings.redact`).
    """

    def __init__(
        self,
        client: elasticsearch.Elasticsearch,
        index: str,
        *,
        query: Mapping[str, Any] | None = None,
        page_size: int = 1000,
        slices: int = 1,
        sort: str | None = None,
        slice_field: str | None = None,
        resume_after: Position | Mapping[int, Position | None] | None = None,
        keep_alive: str = "5m",
        max_retries: int = 5,
        backoff: Backoff | None = None,
        sleep: Callable[[float], None] = time.sleep,
        redact: Callable[[str], str] = strip_userinfo,
    ) -> None:
        if not index:
            raise EsConfigError("an index to read from is required", part="index")
        if not 1 <= page_size <= 10_000:
            raise EsConfigError(f"page_size must be within 1..10000, got {page_size}", part="page_size")
        if not 1 <= slices <= 1024:
            raise EsConfigError(f"slices must be within 1..1024, got {slices}", part="slices")
        if sort is not None and sort in _NOT_RESUMABLE_SORTS:
            raise EsConfigError(
                f"sort={sort!r} {_NOT_RESUMABLE_SORTS[sort]}; declare a field whose value is unique per document",
                part="sort",
            )
        self._client = client
        self._index = index
        self._query = dict(query) if query is not None else None
        self._page_size = page_size
        self._slices = slices
        self._sort_key = sort
        self._slice_field = slice_field
        self._keep_alive = keep_alive
        self._max_retries = max_retries
        self._backoff = backoff if backoff is not None else Backoff()
        self._sleep = sleep
        self._redact = redact
        self._resume = self._positions(resume_after)

    # -- options ----------------------------------------------------------

    @property
    def sort_spec(self) -> list:
        """The ``sort`` sent with every search."""
        if self._sort_key is None:
            return ["_shard_doc"]
        return [{self._sort_key: {"order": "asc"}}]

    def _positions(self, resume_after: Any) -> dict[int, tuple]:
        if resume_after is None:
            return {}
        if self._sort_key is None:
            raise ResumeError(
                "resume_after needs sort=<a unique field>: without one pages are sorted on _shard_doc, "
                "whose positions mean nothing in a new point in time (and _id cannot be sorted on)",
                part="resume_after",
            )
        if isinstance(resume_after, Mapping):
            given = dict(resume_after)
        elif self._slices == 1:
            given = {0: resume_after}
        else:
            raise ResumeError("with slices > 1, resume_after must map slice numbers to positions", part="resume_after")
        if self._slices > 1 and self._slice_field is None and any(v is not None for v in given.values()):
            raise ResumeError(
                "resuming sliced reads needs slice_field=<a numeric field>: the default slicing of a point "
                "in time splits Lucene doc id ranges, so a document may change slice in a new one",
                part="slice_field",
            )
        positions: dict[int, tuple] = {}
        for slice_id, position in given.items():
            if not isinstance(slice_id, int) or not 0 <= slice_id < self._slices:
                raise ResumeError(f"resume_after names slice {slice_id!r}; slices are 0..{self._slices - 1}",
                                  part="resume_after")
            if position is None:
                continue
            if isinstance(position, (str, bytes)) or not isinstance(position, Sequence) or not position:
                raise ResumeError(f"resume position for slice {slice_id} must be a hit's sort values, got "
                                  f"{position!r}", part="resume_after")
            if position[0] is None:
                raise ResumeError(f"resume position for slice {slice_id} has no value for {self._sort_key!r}",
                                  part="resume_after")
            # Only the key's value: the cluster then drops its implicit
            # _shard_doc tiebreaker, whose old value means nothing now.
            positions[slice_id] = (position[0],)
        return positions

    # -- reading ----------------------------------------------------------

    def count(self) -> int:
        """How many documents the read will yield (for a progress bar).

        A separate request, not inside the PIT: writes in between can make
        it differ from what the iteration yields.
        """
        kwargs: dict[str, Any] = {"index": self._index}
        if self._query is not None:
            kwargs["query"] = self._query
        body = self._call(lambda: self._client.count(**kwargs).body, "count")
        _check_shards(body, "count", self._redact)
        return int(body["count"])

    def __iter__(self) -> Iterator[Hit]:
        return self._read()

    def _read(self) -> Iterator[Hit]:
        opened = self._call(
            lambda: self._client.open_point_in_time(index=self._index, keep_alive=self._keep_alive).body,
            f"open point in time on {self._index}",
        )
        pit = _PointInTime(self._client, opened["id"])
        try:
            if self._slices == 1:
                yield from self._read_slice(pit, 0)
            else:
                yield from self._read_slices_in_parallel(pit)
        finally:
            pit.close()

    def _read_slices_in_parallel(self, pit: _PointInTime) -> Iterator[Hit]:
        """Every slice read by its own thread, at most :data:`PARALLEL_SLICES`
        at once; pages arrive as they come, each slice's in its own order
        (which is all a position per slice needs). A bounded queue keeps
        memory to a few pages a slice; closing the iteration stops the readers."""
        pages: queue.Queue[tuple[str, Any]] = queue.Queue(maxsize=2 * min(self._slices, PARALLEL_SLICES))
        stop = threading.Event()
        pending = list(range(self._slices))
        lock = threading.Lock()

        def put(item: tuple[str, Any]) -> bool:
            while not stop.is_set():
                try:
                    pages.put(item, timeout=0.1)
                    return True
                except queue.Full:
                    continue
            return False

        def reader() -> None:
            while not stop.is_set():
                with lock:
                    if not pending:
                        break
                    slice_id = pending.pop(0)
                try:
                    page: list[Hit] = []
                    for hit in self._read_slice(pit, slice_id):
                        page.append(hit)
                        if len(page) >= self._page_size:
                            if not put(("hits", page)):
                                return
                            page = []
                    if page and not put(("hits", page)):
                        return
                except BaseException as exc:  # handed to the consumer, which raises it
                    put(("error", exc))
                    return
            put(("done", None))

        threads = [
            threading.Thread(target=reader, name=f"ingesthost-slice-reader-{n}", daemon=True)
            for n in range(min(self._slices, PARALLEL_SLICES))
        ]
        for thread in threads:
            thread.start()
        try:
            running = len(threads)
            while running:
                kind, value = pages.get()
                if kind == "hits":
                    yield from value
                elif kind == "done":
                    running -= 1
                else:
                    raise value
        finally:
            stop.set()
            for thread in threads:
                thread.join(timeout=1.0)  # a reader inside a request ends with it, on its own

    def _read_slice(self, pit: _PointInTime, slice_id: int) -> Iterator[Hit]:
        after: Sequence[Any] | None = self._resume.get(slice_id)
        pages = 0
        while True:
            body = self._search(pit, slice_id, after)
            hits = body["hits"]["hits"]
            pages += 1
            if not hits:
                log.debug("slice %d of %s done after %d pages", slice_id, self._index, pages)
                return
            for raw in hits:
                yield self._hit(raw, slice_id)
            after = hits[-1].get("sort")
            if not after:
                raise EsError(f"search on {self._index} returned hits without sort values; cannot page on")

    def _search(self, pit: _PointInTime, slice_id: int, after: Sequence[Any] | None) -> Mapping[str, Any]:
        def call() -> Mapping[str, Any]:
            kwargs: dict[str, Any] = {
                "pit": {"id": pit.id, "keep_alive": self._keep_alive},
                "size": self._page_size,
                "sort": self.sort_spec,
                "track_total_hits": False,
                "seq_no_primary_term": True,
                "version": True,
            }
            if self._query is not None:
                kwargs["query"] = self._query
            if self._slices > 1:
                spec: dict[str, Any] = {"id": slice_id, "max": self._slices}
                if self._slice_field is not None:
                    spec["field"] = self._slice_field
                kwargs["slice"] = spec
            if after is not None:
                kwargs["search_after"] = list(after)
            return self._client.search(**kwargs).body

        what = f"search on {self._index}" + (f" (slice {slice_id})" if self._slices > 1 else "")
        body = self._call(call, what)
        pit.follow(body)
        _check_shards(body, what, self._redact)
        return body

    def _hit(self, raw: Mapping[str, Any], slice_id: int) -> Hit:
        if "_source" not in raw:
            raise EsError(f"document {raw.get('_id')!r} in {raw.get('_index')!r} came back without _source "
                          "(is _source disabled in the mapping?); it cannot be read")
        sort = tuple(raw.get("sort") or ())
        if self._sort_key is not None and (not sort or sort[0] is None):
            raise EsError(f"document {raw.get('_id')!r} has no value for the sort key {self._sort_key!r}; "
                          "a unique sort key must be present in every document")
        return Hit(
            index=raw["_index"],
            id=raw["_id"],
            source=raw["_source"],
            sort=sort,
            slice=slice_id,
            routing=raw.get("_routing"),
            seq_no=raw.get("_seq_no"),
            primary_term=raw.get("_primary_term"),
            version=raw.get("_version"),
        )

    def _call(self, call: Callable[[], Any], what: str) -> Any:
        return call_with_retries(call, what=what, max_retries=self._max_retries, backoff=self._backoff,
                                 sleep=self._sleep, redact=self._redact)


def _check_shards(body: Mapping[str, Any], what: str, redact: Callable[[str], str]) -> None:
    """Raise when a response covers fewer shards than it should."""
    shards = body.get("_shards") or {}
    failed = shards.get("failed") or 0
    if failed:
        reasons = []
        for failure in shards.get("failures") or []:
            reason = failure.get("reason") if isinstance(failure, Mapping) else None
            if isinstance(reason, Mapping):
                reasons.append(f"shard {failure.get('shard')} of {failure.get('index')}: "
                               f"{reason.get('type')}: {reason.get('reason')}")
        detail = "; ".join(reasons[:3]) or "no failure details"
        raise ShardFailureError(
            what,
            status=200,
            error_type="shard_failure",
            reason=redact(f"{failed} of {shards.get('total')} shards failed ({detail}); the page is incomplete"),
        )
    if body.get("timed_out"):
        raise ShardFailureError(what, status=200, error_type="timed_out",
                                reason="the search timed out; its hits are partial")
