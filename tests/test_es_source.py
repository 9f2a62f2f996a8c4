"""IndexSource: every document once, PIT hygiene, resume, shard failures.

Against a real noida-db server where it can answer, and against recorded
Elasticsearch responses (tests/es_fixtures.py) where it cannot.
"""

from __future__ import annotations

import collections
import itertools
import json

import elasticsearch
import pytest

from es_fixtures import RecordedES, RecordingProxy, Reply, running_noida
from ingesthost.elasticsearch import (
    Backoff,
    EsConfigError,
    EsRequestError,
    IndexSource,
    ResumeError,
    ShardFailureError,
)

N_DOCS = 2000
INDEX = "docs"


def _doc(i: int) -> dict:
    return {"uid": f"u{i:05d}", "n": i, "msg": f"message {i}", "tags": ["a", str(i % 7)], "nested": {"x": i % 3}}


@pytest.fixture(scope="module")
def noida():
    yield from running_noida()


@pytest.fixture(scope="module")
def es(noida) -> elasticsearch.Elasticsearch:
    client = elasticsearch.Elasticsearch(noida.url, max_retries=0, request_timeout=30)
    client.indices.create(
        index=INDEX,
        settings={"number_of_shards": 2},
        mappings={"properties": {"uid": {"type": "keyword"}, "n": {"type": "long"}}},
    )
    ops: list[dict] = []
    for i in range(N_DOCS):
        ops += [{"index": {"_index": INDEX, "_id": f"id-{i}"}}, _doc(i)]
    response = client.bulk(operations=ops, refresh=True)
    assert response["errors"] is False
    return client


def _pit_closed(client: elasticsearch.Elasticsearch, pit_id: str) -> bool:
    """Ask the server: closing a live PIT answers 200, a closed one 404."""
    try:
        client.close_point_in_time(id=pit_id)
    except elasticsearch.NotFoundError:
        return True
    return False


def _search_pit_ids(proxy: RecordingProxy) -> list[str]:
    return [r.json()["pit"]["id"] for r in proxy.requests if r.path.startswith("/_search")]


def _closed_pit_ids(proxy: RecordingProxy) -> list[str]:
    return [r.json()["id"] for r in proxy.requests if r.method == "DELETE" and r.path.startswith("/_pit")]


# -- against noida-db -----------------------------------------------------


@pytest.mark.parametrize("slices", [1, 2])
def test_every_document_exactly_once(es, slices):
    hits = list(IndexSource(es, INDEX, page_size=137, slices=slices))

    counts = collections.Counter(h.id for h in hits)
    assert len(hits) == N_DOCS
    assert set(counts.values()) == {1}
    assert set(counts) == {f"id-{i}" for i in range(N_DOCS)}
    for hit in hits:
        assert hit.source == _doc(int(hit.id[3:]))
        assert hit.index == INDEX
        assert hit.seq_no is not None and hit.primary_term is not None and hit.version == 1
        assert hit.sort
    per_slice = collections.Counter(h.slice for h in hits)
    assert set(per_slice) == set(range(slices))
    assert all(count > 0 for count in per_slice.values())


def test_point_in_time_closed_after_the_last_page(es, noida):
    with RecordingProxy(noida.url) as proxy:
        client = elasticsearch.Elasticsearch(proxy.url, max_retries=0)
        hits = list(IndexSource(client, INDEX, page_size=500))
    assert len(hits) == N_DOCS
    opened = [r for r in proxy.requests if r.path.startswith(f"/{INDEX}/_pit")]
    assert len(opened) == 1
    pit_id = json.loads(proxy.replies[0].body)["id"]
    assert set(_search_pit_ids(proxy)) == {pit_id}
    # 4 full pages and the empty page that ends the read
    assert len(_search_pit_ids(proxy)) == 5
    assert _closed_pit_ids(proxy) == [pit_id]
    assert _pit_closed(es, pit_id)


def test_point_in_time_closed_when_the_reader_stops_early(es, noida):
    with RecordingProxy(noida.url) as proxy:
        client = elasticsearch.Elasticsearch(proxy.url, max_retries=0)
        reader = iter(IndexSource(client, INDEX, page_size=100))
        first = list(itertools.islice(reader, 150))
        assert _closed_pit_ids(proxy) == []
        reader.close()
    assert len(first) == 150
    (pit_id,) = set(_search_pit_ids(proxy))
    assert _closed_pit_ids(proxy) == [pit_id]
    assert _pit_closed(es, pit_id)


def test_point_in_time_closed_when_a_search_fails(es, noida):
    with RecordingProxy(noida.url) as proxy:
        client = elasticsearch.Elasticsearch(proxy.url, max_retries=0)
        with pytest.raises(EsRequestError) as info:
            list(IndexSource(client, INDEX, sort="no_such_field"))
    assert info.value.status == 400
    assert "no_such_field" in str(info.value)
    (pit_id,) = set(_search_pit_ids(proxy))
    assert _closed_pit_ids(proxy) == [pit_id]
    assert _pit_closed(es, pit_id)


def test_resume_after_a_position_yields_exactly_the_rest(es):
    full = list(IndexSource(es, INDEX, page_size=137, sort="uid"))
    assert [h.source["uid"] for h in full] == sorted(_doc(i)["uid"] for i in range(N_DOCS))

    for cut in (0, 700, N_DOCS - 2, N_DOCS - 1):
        rest = list(IndexSource(es, INDEX, page_size=137, sort="uid", resume_after=full[cut].sort))
        assert [h.id for h in rest] == [h.id for h in full[cut + 1:]], cut


def test_sliced_resume_yields_exactly_the_rest_of_each_slice(es):
    options = {"page_size": 137, "slices": 2, "sort": "uid", "slice_field": "n"}
    full = list(IndexSource(es, INDEX, **options))
    assert collections.Counter(h.id for h in full) == {f"id-{i}": 1 for i in range(N_DOCS)}
    by_slice = {s: [h for h in full if h.slice == s] for s in (0, 1)}

    # slice 0 acknowledged up to its 300th hit, slice 1 not at all
    position = {0: by_slice[0][299].sort, 1: None}
    rest = list(IndexSource(es, INDEX, resume_after=position, **options))
    assert [h.id for h in rest if h.slice == 0] == [h.id for h in by_slice[0][300:]]
    assert [h.id for h in rest if h.slice == 1] == [h.id for h in by_slice[1]]

    position = {0: by_slice[0][10].sort, 1: by_slice[1][-1].sort}
    rest = list(IndexSource(es, INDEX, resume_after=position, **options))
    assert [h.id for h in rest] == [h.id for h in by_slice[0][11:]]


def test_resume_refused_where_positions_would_not_survive_a_new_pit(es):
    with pytest.raises(ResumeError, match="unique field"):
        IndexSource(es, INDEX, resume_after=["x", 3])
    with pytest.raises(ResumeError, match="slice_field"):
        IndexSource(es, INDEX, slices=2, sort="uid", resume_after={0: ["u00001"]})
    with pytest.raises(ResumeError, match="slices are 0..1"):
        IndexSource(es, INDEX, slices=2, sort="uid", slice_field="n", resume_after={2: ["u00001"]})
    with pytest.raises(ResumeError, match="must map slice numbers"):
        IndexSource(es, INDEX, slices=2, sort="uid", slice_field="n", resume_after=["u00001"])
    for key in ("_id", "_doc", "_shard_doc"):
        with pytest.raises(EsConfigError, match=key):
            IndexSource(es, INDEX, sort=key)
    # ValueError subclasses, for callers that validate options generically
    with pytest.raises(ValueError):
        IndexSource(es, INDEX, page_size=0)


def test_count_for_progress(es):
    assert IndexSource(es, INDEX).count() == N_DOCS
    query = {"range": {"n": {"lt": 100}}}
    source = IndexSource(es, INDEX, query=query, page_size=30)
    assert source.count() == 100
    assert sorted(int(h.id[3:]) for h in source) == list(range(100))


def test_missing_index_is_a_clear_error(es):
    with pytest.raises(EsRequestError) as info:
        list(IndexSource(es, "no-such-index"))
    assert info.value.status == 404
    assert info.value.error_type == "index_not_found_exception"
    assert "no-such-index" in str(info.value)


# -- against recorded Elasticsearch responses -------------------------------


def _search_body(pit_id: str, hits: list[dict], *, failed: int = 0, timed_out: bool = False) -> dict:
    shards = {"total": 3, "successful": 3 - failed, "skipped": 0, "failed": failed}
    if failed:
        shards["failures"] = [{
            "shard": 1, "index": "logs", "node": "Xo5tgjT9QmKM4tD1E0gSbw",
            "reason": {"type": "circuit_breaking_exception",
                       "reason": "[parent] Data too large, data for [<reused_arrays>] would be larger than limit",
                       "bytes_wanted": 1073741824, "bytes_limit": 1020054732, "durability": "TRANSIENT"},
        }]
    return {"pit_id": pit_id, "took": 4, "timed_out": timed_out, "_shards": shards,
            "hits": {"max_score": None, "hits": hits}}


def _hit(n: int) -> dict:
    return {"_index": "logs", "_id": f"d{n}", "_version": 1, "_seq_no": n, "_primary_term": 1, "_score": None,
            "_routing": "r1" if n == 0 else None, "_source": {"n": n}, "sort": [n]}


class ScriptedCluster:
    """Answers PIT open/close and searches from a list of page bodies."""

    def __init__(self, pages: list[Reply]) -> None:
        self.pages = list(pages)

    def __call__(self, request) -> Reply:
        if request.method == "POST" and "/_pit" in request.path:
            return Reply(200, {"id": "pit-0"})
        if request.method == "DELETE" and request.path.startswith("/_pit"):
            return Reply(200, {"succeeded": True, "num_freed": 1})
        if request.path.startswith("/_search"):
            return self.pages.pop(0)
        return Reply(404, {"error": "no handler"})


def test_always_sends_the_latest_pit_id_and_closes_it():
    pages = [
        Reply(200, _search_body("pit-1", [_hit(0), _hit(1)])),
        Reply(200, _search_body("pit-2", [_hit(2)])),
        Reply(200, _search_body("pit-3", [])),
    ]
    with RecordedES(ScriptedCluster(pages)) as server:
        client = elasticsearch.Elasticsearch(server.url, max_retries=0)
        hits = list(IndexSource(client, "logs", page_size=2))
    assert [h.id for h in hits] == ["d0", "d1", "d2"]
    assert hits[0].routing == "r1" and hits[0].seq_no == 0 and hits[0].sort == (0,)
    searches = [r.json() for r in server.requests if r.path.startswith("/_search")]
    assert [s["pit"]["id"] for s in searches] == ["pit-0", "pit-1", "pit-2"]
    assert [s.get("search_after") for s in searches] == [None, [1], [2]]
    assert searches[0]["sort"] == ["_shard_doc"]
    closes = [r.json()["id"] for r in server.requests if r.method == "DELETE"]
    assert closes == ["pit-3"]


def test_resume_sends_only_the_key_so_the_old_tiebreaker_is_dropped():
    """A hit's sort ends with the PIT's implicit _shard_doc tiebreaker, which
    means nothing in a new PIT: with [key, old_tiebreaker] the cluster would
    return the resumed-after document again whenever its new tiebreaker is
    larger. With [key] alone it drops the tiebreaker."""
    pages = [Reply(200, _search_body("pit-1", [_hit(6)])), Reply(200, _search_body("pit-1", []))]
    with RecordedES(ScriptedCluster(pages)) as server:
        client = elasticsearch.Elasticsearch(server.url, max_retries=0)
        hits = list(IndexSource(client, "logs", sort="n", resume_after=(5, 4711)))
    assert [h.id for h in hits] == ["d6"]
    first, second = [r.json() for r in server.requests if r.path.startswith("/_search")]
    assert first["search_after"] == [5]
    assert first["sort"] == [{"n": {"order": "asc"}}]
    assert second["search_after"] == [6]


@pytest.mark.parametrize("failure", ["shards", "timed_out"])
def test_incomplete_page_raises_and_closes_the_pit(failure):
    bad = _search_body("pit-2", [_hit(2)], failed=1) if failure == "shards" else \
        _search_body("pit-2", [_hit(2)], timed_out=True)
    pages = [Reply(200, _search_body("pit-1", [_hit(0), _hit(1)])), Reply(200, bad)]
    seen = []
    with RecordedES(ScriptedCluster(pages)) as server:
        client = elasticsearch.Elasticsearch(server.url, max_retries=0)
        with pytest.raises(ShardFailureError) as info:
            for hit in IndexSource(client, "logs", page_size=2):
                seen.append(hit.id)
    assert seen == ["d0", "d1"]  # nothing from the incomplete page
    if failure == "shards":
        assert "1 of 3 shards failed" in str(info.value)
        assert "circuit_breaking_exception" in str(info.value)
    else:
        assert "timed out" in str(info.value)
    assert [r.json()["id"] for r in server.requests if r.method == "DELETE"] == ["pit-2"]


def test_count_with_failed_shards_raises():
    body = {"count": 10, "_shards": {"total": 2, "successful": 1, "skipped": 0, "failed": 1}}
    with RecordedES(lambda request: Reply(200, body)) as server:
        client = elasticsearch.Elasticsearch(server.url, max_retries=0)
        with pytest.raises(ShardFailureError):
            IndexSource(client, "logs").count()


def test_busy_search_is_retried_with_backoff():
    busy = Reply(429, {"error": {"root_cause": [], "type": "es_rejected_execution_exception",
                                 "reason": "rejected execution of search"}, "status": 429})
    pages = [busy, Reply(200, _search_body("pit-1", [_hit(0)])), busy, busy,
             Reply(200, _search_body("pit-1", []))]
    sleeps: list[float] = []
    with RecordedES(ScriptedCluster(pages)) as server:
        client = elasticsearch.Elasticsearch(server.url, max_retries=0)
        source = IndexSource(client, "logs", sleep=sleeps.append,
                             backoff=Backoff(base=0.1, cap=1.0, jitter=False))
        assert [h.id for h in source] == ["d0"]
    assert sleeps == [0.1, 0.1, 0.2]
    assert len([r for r in server.requests if r.path.startswith("/_search")]) == 5


def test_persistent_busy_search_gives_up():
    busy = Reply(503, b"<html>upstream unavailable</html>", {"Content-Type": "text/html"})
    sleeps: list[float] = []
    with RecordedES(ScriptedCluster([busy] * 3)) as server:
        client = elasticsearch.Elasticsearch(server.url, max_retries=0)
        with pytest.raises(EsRequestError) as info:
            list(IndexSource(client, "logs", max_retries=2, sleep=sleeps.append))
    assert info.value.status == 503
    assert len(sleeps) == 2
    assert [r.method for r in server.requests][-1] == "DELETE"


def test_no_pipeline_imports():
    """The layer is independent of pipelines, processors and workers."""
    import ast
    import pathlib

    import ingesthost.elasticsearch as package

    forbidden = {"pipeline", "processors", "runner", "cli", "workers", "pool"}
    checked = 0
    for path in pathlib.Path(package.__file__).parent.glob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Import):
                absolute = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom) and node.level == 0:
                absolute = [node.module or ""]
            elif isinstance(node, ast.ImportFrom) and node.level >= 2:  # from ..x import y
                absolute = ["ingesthost." + (node.module or "")] + [f"ingesthost.{a.name}" for a in node.names]
            else:
                continue
            for name in absolute:
                checked += 1
                parts = name.split(".")
                assert not (parts[0] == "ingesthost" and len(parts) > 1 and parts[1] in forbidden), (path.name, name)
    assert checked > 10


def test_slices_are_read_in_parallel_each_in_its_own_order():
    """Four slices, each answered slowly: their searches overlap in time,
    every hit arrives once, and each slice's hits keep their order."""
    import threading
    import time

    in_flight = [0, 0]  # now, most at once
    lock = threading.Lock()

    def cluster(request) -> Reply:
        if request.method == "POST" and "/_pit" in request.path:
            return Reply(200, {"id": "pit-0"})
        if request.method == "DELETE" and request.path.startswith("/_pit"):
            return Reply(200, {"succeeded": True, "num_freed": 1})
        body = request.json()
        slice_id = body["slice"]["id"]
        after = body.get("search_after", [slice_id * 100 - 1])[0]
        with lock:
            in_flight[0] += 1
            in_flight[1] = max(in_flight[1], in_flight[0])
        time.sleep(0.05)
        with lock:
            in_flight[0] -= 1
        start = after + 1
        hits = [] if start >= slice_id * 100 + 6 else [_hit(n) for n in range(start, min(start + 3, slice_id * 100 + 6))]
        return Reply(200, _search_body("pit-0", hits))

    with RecordedES(cluster) as server:
        client = elasticsearch.Elasticsearch(server.url, max_retries=0)
        hits = list(IndexSource(client, "logs", page_size=3, slices=4))
    assert in_flight[1] > 1
    assert sorted(h.source["n"] for h in hits) == [s * 100 + k for s in range(4) for k in range(6)]
    for slice_id in range(4):
        mine = [h.source["n"] for h in hits if h.slice == slice_id]
        assert mine == sorted(mine) and len(mine) == 6


def test_an_abandoned_parallel_read_stops_its_readers_and_closes_the_point_in_time():
    import threading
    import time

    def cluster(request) -> Reply:
        if request.method == "POST" and "/_pit" in request.path:
            return Reply(200, {"id": "pit-0"})
        if request.method == "DELETE" and request.path.startswith("/_pit"):
            return Reply(200, {"succeeded": True, "num_freed": 1})
        body = request.json()
        after = body.get("search_after", [body["slice"]["id"] * 10_000])[0]
        return Reply(200, _search_body("pit-0", [_hit(n) for n in range(after + 1, after + 4)]))  # never ends

    with RecordedES(cluster) as server:
        client = elasticsearch.Elasticsearch(server.url, max_retries=0)
        reading = iter(IndexSource(client, "logs", page_size=3, slices=3))
        assert len([next(reading) for _ in range(5)]) == 5
        reading.close()
        deadline = time.monotonic() + 5
        while any(t.name.startswith("ingesthost-slice-reader") for t in threading.enumerate()):
            assert time.monotonic() < deadline, "slice readers still running"
            time.sleep(0.02)
        assert any(r.method == "DELETE" and r.path.startswith("/_pit") for r in server.requests)
