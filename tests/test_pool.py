"""One execution layer: ``open_pipeline`` and the worker pool (``--workers N``).

Wherever a pipeline runs (in this process, in one worker, in a pool of
workers) the same input gives the same output bytes, failure records and
counts, in input order; in a pool each worker keeps its time limits and
crash isolation, restarts add up, statistics merge, and a run stopped
part-way (Ctrl-C, SIGTERM, a full disk, a worker given up) leaves whole
records and says what is accounted for. No timing is asserted here.
"""

from __future__ import annotations

import io
import json
import os
import signal
import subprocess
import threading
import time
from pathlib import Path
from typing import Any, Iterator

import orjson
import pytest
import yaml

import ingesthost
from ingesthost import (
    InputError,
    IsolatedPipeline,
    Pipeline,
    ProcessorError,
    WorkerError,
    WorkerPool,
    open_pipeline,
)
from ingesthost import pool as pool_module
from ingesthost.errors import IngestHostError
from ingesthost.job import process_stream
from ingesthost.ndjson import read_blocks
from ingesthost.outputs import OutputFile, RunOutputs

# Hostile guests and the tampered (SIGSEGV) artifact, and the CLI run-safety
# helpers, are shared with the suites that introduced them.
from test_isolation import abort_pipeline, crash_at_load, crashing_artifact, guests
from test_run_safety import (
    PIPELINE,
    command,
    docs,
    small_disk,
    stop_report,
    summary_of,
    whole_lines,
    work,
)
from test_run_safety import run as run_cli

#: Fixtures of those suites, used here by name.
SHARED_FIXTURES = (guests, crashing_artifact, small_disk, work)

ROOT = Path(__file__).resolve().parent.parent
WASM = ROOT / "fixtures" / "wasm"
BENCH_EDIT = WASM / "bench_edit.wasm"
ACCESS = ROOT / "fixtures" / "pipelines" / "access.yml"
ACCESS_SAMPLE = ROOT / "fixtures" / "sample" / "access.ndjson"

#: Built-ins that modify, drop and fail, around a wasm guest (bench_edit: two gets, one put).
MIXED = {
    "processors": [
        {"drop": {"if": "ctx.drop == true"}},
        {"fail": {"message": "asked to fail", "if": "ctx.fail == true", "tag": "failer"}},
        {"wasm": {"module": str(BENCH_EDIT), "tag": "edit"}},
        {"set": {"field": "seen", "value": True}},
        {"rename": {"field": "old", "target_field": "new", "ignore_missing": True}},
    ]
}


def mixed_input(count: int = 1500) -> bytes:
    """Documents for MIXED, with every 7th dropped, every 11th failed, and
    lines that are no documents: not JSON, not an object, not UTF-8, blank,
    over-long (at max_line_bytes=400), CRLF, and no final newline."""
    lines = []
    for n in range(1, count + 1):
        doc: dict[str, Any] = {"n": n, "user": {"name": f"u{n % 13}"}, "http": {"status": 200 + n % 5}}
        if n % 7 == 0:
            doc["drop"] = True
        if n % 11 == 0:
            doc["fail"] = True
        if n % 17 == 0:
            doc["old"] = n
        line = orjson.dumps(doc)
        if n % 101 == 0:
            line = b"not json"
        elif n % 103 == 0:
            line = b"[1, 2, 3]"
        elif n % 107 == 0:
            line = b"\xff\xfe{}"
        elif n % 109 == 0:
            line = b"   "
        elif n % 113 == 0:
            line = b'{"long":"' + b"x" * 600 + b'"}'
        elif n % 127 == 0:
            line += b"\r"
        lines.append(line)
    return b"\n".join(lines)  # no final newline


def run_with(pipeline: Any, data: bytes, **options: Any) -> tuple[bytes, bytes, dict[str, int]]:
    output, failures = io.BytesIO(), io.BytesIO()
    summary = pipeline.run(io.BytesIO(data), output, failures, source="in.ndjson", **options)
    assert summary.accounted_through == data.count(b"\n") + (not data.endswith(b"\n"))
    return output.getvalue(), failures.getvalue(), summary.counts()


# ---------------------------------------------------------------------------
# The same results wherever the pipeline runs
# ---------------------------------------------------------------------------


def test_in_process_isolated_and_pool_write_the_same_bytes() -> None:
    data = mixed_input()
    options = {"max_line_bytes": 400, "max_depth": 64}
    with open_pipeline(MIXED, isolation="none") as pipeline:
        assert type(pipeline) is Pipeline
        expected = run_with(pipeline, data, **options)
    out, failed, counts = expected
    assert counts["read"] + counts["blank"] == 1500
    assert counts["dropped"] > 100 and counts["invalid_input"] > 10 and counts["failed"] > 100 + counts["invalid_input"]
    assert b'"kind":"fail","message":"asked to fail"' in failed and b'"raw_truncated":true' in failed
    lines = out.splitlines()
    assert [orjson.loads(line)["n"] for line in lines] == sorted(orjson.loads(line)["n"] for line in lines)
    for batch_size in (1, 7, 64, 512):
        with open_pipeline(MIXED, batch_size=batch_size) as isolated:
            assert type(isolated) is IsolatedPipeline
            assert run_with(isolated, data, **options) == expected
        with open_pipeline(MIXED, workers=2, batch_size=batch_size) as pooled:
            assert type(pooled) is WorkerPool and pooled.workers == 2
            assert run_with(pooled, data, **options) == expected
            assert pooled.restarts == 0
    with open_pipeline(MIXED, workers=3, batch_size=50) as pooled:
        assert run_with(pooled, data, **options) == expected


def without_ingest_time(data: bytes) -> list[dict]:
    docs = [orjson.loads(line) for line in data.splitlines()]
    for doc in docs:
        assert doc["event"].pop("ingested")
    return docs


def test_the_sample_pipeline_gives_the_same_documents_every_way() -> None:
    """fixtures/pipelines/access.yml (five Rust guests; one stamps the time, left out)."""
    data = ACCESS_SAMPLE.read_bytes()
    results = []
    for kind in ({"isolation": "none"}, {"workers": 1}, {"workers": 2, "batch_size": 40}):
        with open_pipeline(ACCESS, **kind) as pipeline:
            out, failed, counts = run_with(pipeline, data)
        results.append((without_ingest_time(out), failed, counts))
    assert results[0] == results[1] == results[2]
    assert results[0][2] == {"read": 500, "written": 431, "dropped": 69, "failed": 0, "invalid_input": 0, "blank": 0, "already_there": 0}


def test_cli_workers_2_writes_what_isolation_none_writes(tmp_path: Path) -> None:
    (tmp_path / "in.ndjson").write_bytes(mixed_input(600))
    (tmp_path / "p.json").write_bytes(orjson.dumps(MIXED))
    results = {}
    for name, extra in {"none": ["--isolation", "none"], "one": [], "pool": ["--workers", "2"]}.items():
        done = run_cli(
            "process", "in.ndjson", "-p", "p.json", "-o", f"{name}.ndjson", "--batch-size", "32",
            "--max-line-bytes", "400", *extra, cwd=tmp_path,
        )
        assert done.returncode == 1, done.stderr  # documents fail on purpose
        results[name] = (
            (tmp_path / f"{name}.ndjson").read_bytes(),
            (tmp_path / f"{name}.failures.ndjson").read_bytes(),
            summary_of(done.stderr).split(", failures in")[0],
        )
    assert results["none"] == results["one"] == results["pool"]


# ---------------------------------------------------------------------------
# Hostile guests in a pool: each worker keeps its limits
# ---------------------------------------------------------------------------


@pytest.fixture(scope="module")
def hostile_pipeline(guests: dict[str, Path], crashing_artifact: Path) -> dict:
    """Built-ins and bench_edit, then a guest that hangs on "hang" and one that
    crashes its process (SIGSEGV) on "crash"."""
    return {
        "timeout": 0.3,
        "processors": [
            {"drop": {"if": "ctx.drop == true"}},
            {"fail": {"message": "asked to fail", "if": "ctx.fail == true"}},
            {"wasm": {"module": str(BENCH_EDIT), "tag": "edit"}},
            {"wasm": {"module": str(guests["hostile_loop"]), "tag": "spin"}},
            {"wasm": {"module": str(crashing_artifact), "tag": "boom"}},
            {"set": {"field": "seen", "value": True}},
        ],
    }


HANGS = (5, 6, 130, 131, 398)
CRASHES = (40, 243, 244, 394)


def hostile_input() -> bytes:
    lines = []
    for n in range(1, 401):
        doc: dict[str, Any] = {"n": n}
        if n % 7 == 0:
            doc["drop"] = True
        if n % 11 == 0:
            doc["fail"] = True
        if n in HANGS:
            doc["hang"] = 1
        if n in CRASHES:
            doc["crash"] = 1
        lines.append(orjson.dumps(doc) if n % 50 else b"{not json")
    return b"\n".join(lines) + b"\n"


@pytest.mark.wasmer_only  # the crashing artifact is wasmer's machine code, patched
def test_hangs_and_crashes_in_a_pool_fail_only_their_documents(hostile_pipeline: dict) -> None:
    data = hostile_input()
    with open_pipeline(hostile_pipeline, workers=1, batch_size=16) as isolated:
        expected = run_with(isolated, data)
        # bench_edit takes batches (ABI 1.1): a hang or crash in a batch blames the
        # batch first, which then runs again one document at a time: more restarts
        # than incidents, as many with one worker as with several on the same blocks
        counters = (isolated.restarts, isolated.timeouts, isolated.crashes)
        assert counters[0] == counters[1] + counters[2] and counters[1] >= 5 and counters[2] >= 4
    for workers, batch_size in ((2, 16), (3, 5)):
        with open_pipeline(hostile_pipeline, workers=workers, batch_size=batch_size) as pooled:
            result = run_with(pooled, data)
            if batch_size == 16:
                assert (pooled.restarts, pooled.timeouts, pooled.crashes) == counters
        assert result == expected
    out, failed, counts = expected
    records = [json.loads(line) for line in failed.splitlines()]
    by_line = {record["line"]: record["error"] for record in records}
    assert [line for line, error in by_line.items() if error.get("kind") == "timeout"] == list(HANGS)
    assert [line for line, error in by_line.items() if error.get("kind") == "crash"] == list(CRASHES)
    assert by_line[5]["processor_tag"] == "spin" and by_line[40]["message"] == "worker process crashed (SIGSEGV)"
    assert [record["line"] for record in records] == sorted(by_line)
    written = [json.loads(line) for line in out.splitlines()]
    assert [doc["n"] for doc in written] == [
        n for n in range(1, 401) if n % 7 and n % 11 and n % 50 and n not in HANGS + CRASHES
    ]
    assert all(doc["seen"] and doc["processed"] for doc in written)
    assert counts["read"] == 400 and counts["written"] == len(written) and counts["failed"] == len(records)


def test_a_crash_outside_guest_code_in_a_pool() -> None:
    with open_pipeline(factory=abort_pipeline, workers=2, batch_size=2) as pooled:
        results = list(pooled.process_many([{"n": 1}, {"n": 2}, {"abort": 1}, {"n": 4}, {"n": 5}, {"abort": 2}, {"n": 7}]))
        assert (pooled.crashes, pooled.restarts) == (2, 2)
    assert [r.status for r in results] == ["ok", "ok", "failed", "ok", "ok", "failed", "ok"]
    assert [r.document for r in results if r.document] == [{"n": n, "ok": True} for n in (1, 2, 4, 5, 7)]
    assert all(r.error.reason == "worker process crashed (SIGABRT) outside guest code" for r in results if r.error)


def test_max_restarts_counts_every_worker_of_the_pool(guests: dict[str, Path]) -> None:
    data = b"".join(orjson.dumps({"n": n, "hang": 1} if n % 3 == 0 else {"n": n}) + b"\n" for n in range(1, 31))
    with open_pipeline(module=guests["hostile_loop"], workers=2, timeout=0.2, batch_size=2, max_restarts=3) as pooled:
        with pytest.raises(WorkerError, match="gave up after 3 worker restarts"):
            run_with(pooled, data)
        assert pooled.restarts == 4 or pooled.restarts == 5  # both workers may have hit one at once
        # the pool is usable afterwards (the workers given up are replaced)
        assert pooled.process({"n": 1}) == {"n": 1, "processed": True}


def test_a_worker_that_dies_at_start_up_is_a_clear_error_and_no_worker_is_left() -> None:
    before = {t.name for t in threading.enumerate()}
    with pytest.raises(WorkerError, match=r"died while loading the pipeline \(SIGSEGV\)"):
        open_pipeline(factory=crash_at_load, workers=2)
    assert not [t for t in threading.enumerate() if t.name.startswith("ingesthost-pool")]
    assert {t.name for t in threading.enumerate()} <= before | {"ingesthost-worker-sender"}


# ---------------------------------------------------------------------------
# The library through the pool
# ---------------------------------------------------------------------------


def test_library_process_many_through_the_pool(guests: dict[str, Path]) -> None:
    docs_in: list[Any] = [{"n": n} for n in range(60)]
    docs_in[7] = {"n": 7, "hang": 1}
    docs_in[33] = ["not", "a", "document"]
    docs_in[41] = {"n": float("nan")}
    docs_in[50] = {"n": 50, "hang": 1}
    with open_pipeline(module=guests["hostile_loop_hostcalls"], tag="lib", workers=2, timeout=0.3, batch_size=4) as pooled:
        results = list(pooled.process_many(docs_in))
        assert pooled.restarts == 2 and pooled.timeouts == 2
        assert [r.status for r in results] == [
            "failed" if n in (7, 33, 41, 50) else "ok" for n in range(60)
        ]
        assert [r.document["n"] for r in results if r.document] == [n for n in range(60) if n not in (7, 33, 41, 50)]
        for index in (7, 50):
            error = results[index].error
            assert isinstance(error, ProcessorError) and (error.kind, error.tag) == ("timeout", "lib")
        assert isinstance(results[33].error, InputError) and results[33].error.source == "docs[33]"
        assert isinstance(results[41].error, InputError) and results[41].error.source == "docs[41]"
        with pytest.raises(ProcessorError) as info:
            pooled.process({"hang": True})
        assert info.value.kind == "timeout"
        mine = {"c": 3}
        assert pooled.process(mine) == {"c": 3, "processed": True} and mine == {"c": 3}


def test_stopping_a_pool_early_mixes_up_no_answers_and_counts_no_restart() -> None:
    docs_in = [{"user": {"name": f"u{n}"}, "http": {"status": n}} for n in range(400)]
    with open_pipeline(module=BENCH_EDIT, workers=2, batch_size=4) as pooled:
        for _ in range(3):
            for result in pooled.process_many(docs_in):
                assert result.document is not None and result.document["summary"] == "u0:0"
                break
            assert not [t for t in threading.enumerate() if t.name.startswith("ingesthost-pool")]
            assert pooled.process({"user": {"name": "z"}, "http": {"status": 1}})["summary"] == "z:1"
            summaries = [r.document["summary"] for r in pooled.process_many(docs_in)]
            assert summaries == [f"u{n}:{n}" for n in range(400)]
        assert pooled.restarts == 0 and pooled.crashes == 0


def test_the_pool_gives_out_a_bounded_number_of_blocks() -> None:
    """At most blocks_per_worker x workers blocks are read ahead of what was handed back."""
    data = b"".join(b'{"user":{"name":"a"},"http":{"status":%d}}\n' % n for n in range(5000))
    pulled: list[int] = []

    def counted(blocks: Iterator[tuple]) -> Iterator[tuple]:
        for entry in blocks:
            pulled.append(entry[1] + entry[3] - 1)  # its last line
            yield entry

    with open_pipeline(module=BENCH_EDIT, workers=2, batch_size=10) as pooled:
        limit = pooled.blocks_per_worker * pooled.workers
        assert limit == 8
        blocks = counted(read_blocks(io.BytesIO(data), "in", 10, 1 << 20, 1 << 20))
        ahead = 0
        for _, _, _, last in pooled.run_blocks(blocks, "in", 1 << 20, 64):
            ahead = max(ahead, sum(1 for end in pulled if end > last))
        assert len(pulled) == 500 and 0 < ahead <= limit


def test_statistics_of_the_workers_are_merged() -> None:
    data = mixed_input(900)
    with open_pipeline(MIXED, isolation="none") as pipeline:
        run_with(pipeline, data, max_line_bytes=400)
        expected = pipeline.stats()
    with open_pipeline(MIXED, workers=2, batch_size=16, collect_stats=True) as pooled:
        run_with(pooled, data, max_line_bytes=400)
        assert all(pid is not None for pid in pooled.worker_pids)
        merged = pooled.stats()

    def counters(stats: dict) -> Any:
        (entry,) = stats["pipelines"].values()
        keep = ("count", "failed", "dropped", "current")
        return (
            {key: entry[key] for key in keep},
            [{name: {key: value["stats"][key] for key in keep} for name, value in processor.items()} for processor in entry["processors"]],
        )

    assert counters(merged) == counters(expected)
    assert counters(merged)[0]["count"] > 700


def test_each_worker_loads_the_modules_the_first_one_compiled(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    cache = tmp_path / "cache"
    seen: list[list[str]] = []

    class Recording(pool_module._Member):
        def __init__(self, *args: Any, **kwargs: Any) -> None:
            seen.append(sorted(os.listdir(cache)) if cache.exists() else [])
            super().__init__(*args, **kwargs)

    monkeypatch.setattr(pool_module, "_Member", Recording)
    with open_pipeline(ACCESS, workers=3, cache=ingesthost.loader.CompileCache(cache)) as pooled:
        assert pooled.workers == 3
    assert seen[0] == []
    assert len(seen[1]) == 5 and seen[1] == seen[2] == sorted(os.listdir(cache))  # five modules, compiled once


# ---------------------------------------------------------------------------
# open_pipeline: one API for every kind
# ---------------------------------------------------------------------------


def test_open_pipeline_picks_the_kind_and_every_kind_has_the_interface(tmp_path: Path) -> None:
    kinds = {
        Pipeline: open_pipeline(ACCESS, isolation="none"),
        IsolatedPipeline: open_pipeline(ACCESS),
        WorkerPool: open_pipeline(ACCESS, workers=2),
    }
    doc = {"message": "user=alice status=200", "log": {"level": "info"}}
    for kind, pipeline in kinds.items():
        with pipeline:
            assert type(pipeline) is kind
            for name in ("process", "process_many", "run", "run_blocks", "stats", "close"):
                assert callable(getattr(pipeline, name)), (kind, name)
            assert (pipeline.restarts, pipeline.timeouts, pipeline.crashes) == (0, 0, 0)
            assert pipeline.process(doc)["user"] == {"name": "alice"}
    # a module as the source, with params, and a definition
    with open_pipeline(WASM / "drop_when.wasm", params={"field": "a", "equals": 1}, workers=2) as pooled:
        assert [r.status for r in pooled.process_many([{"a": 1}, {"a": 2}])] == ["dropped", "ok"]
    with open_pipeline(module=WASM / "drop_when.wasm", params={"field": "a", "equals": 1}, isolation="none") as inline:
        assert inline.process({"a": 1}) is None
    with open_pipeline({"processors": [{"set": {"field": "x", "value": 1}}]}, workers=2) as pooled:
        assert pooled.process({}) == {"x": 1}


@pytest.mark.parametrize(
    "kwargs, problem",
    [
        ({"source": ACCESS, "isolation": "none", "workers": 2}, "several workers need isolation='process'"),
        ({"source": ACCESS, "isolation": "none", "timeout": 1}, "timeout needs isolation='process'"),
        ({"source": ACCESS, "isolation": "none", "max_restarts": 1}, "max_restarts needs isolation='process'"),
        ({"source": ACCESS, "module": BENCH_EDIT}, "give one of source, module or factory"),
        ({}, "give one of source, module or factory, found none"),
        ({"source": ACCESS, "workers": 0}, "workers must be a whole number of at least 1"),
        ({"source": ACCESS, "isolation": "thread"}, "isolation must be 'process' or 'none'"),
        ({"source": ACCESS, "params": {"a": 1}}, "params and tag apply to a module"),
        ({"module": BENCH_EDIT, "confine_to": ROOT}, "confine_to applies to pipeline files"),
    ],
)
def test_open_pipeline_refuses_what_cannot_apply(kwargs: dict, problem: str) -> None:
    with pytest.raises(IngestHostError, match=problem.replace("(", r"\(")):
        open_pipeline(**kwargs)


def test_pipeline_errors_surface_from_open_pipeline(tmp_path: Path) -> None:
    bad = tmp_path / "bad.yml"
    bad.write_text("processors:\n  - wasm: {module: missing.wasm, tag: gone}\n")
    for kind in ({"isolation": "none"}, {}, {"workers": 2}):
        with pytest.raises(ingesthost.PipelineConfigError, match=r"tag \[gone\]: module file not found"):
            open_pipeline(bad, **kind)


# ---------------------------------------------------------------------------
# The command line: --workers, and runs that stop part-way
# ---------------------------------------------------------------------------


def test_cli_refuses_workers_where_they_cannot_apply(work: Path) -> None:
    for args, problem in (
        (["--workers", "2", "--isolation", "none"], b"--workers runs worker processes: it needs --isolation process"),
        (["--workers", "0"], b"--workers must be at least 1"),
    ):
        done = run_cli("process", "in.ndjson", "-p", "p.yml", "-o", "o.ndjson", *args, cwd=work)
        assert done.returncode == 2 and problem in done.stderr, done.stderr
        assert not (work / "o.ndjson").exists()


def test_cli_pool_reports_restarts_and_merged_statistics(work: Path, guests: dict[str, Path]) -> None:
    (work / "h.ndjson").write_bytes(b"".join(b'{"n":%d%s}\n' % (n, b',"hang":1' if n in (3, 9) else b"") for n in range(1, 13)))
    done = run_cli("process", "h.ndjson", "-m", str(guests["hostile_loop"]), "-o", "o.ndjson", "--timeout", "0.2",
                   "--workers", "2", "--batch-size", "2", "--stats-json", "s.json", cwd=work)
    assert done.returncode == 1, done.stderr
    assert "ingesthost: 2 worker restarts (2 timeouts, 0 crashes)" in done.stderr.decode()
    assert [d["n"] for d in whole_lines(work / "o.ndjson")] == [n for n in range(1, 13) if n not in (3, 9)]
    (entry,) = json.loads((work / "s.json").read_text())["pipelines"].values()
    assert entry["count"] == 10  # the two stuck documents died with their workers


@pytest.mark.parametrize("how", ["SIGINT", "SIGTERM", "SIGTERM to the group"])
def test_a_signal_stops_a_pool_run_with_whole_records_and_what_is_accounted_for(work: Path, how: str) -> None:
    process = subprocess.Popen(
        command("process", "-", "-p", "p.yml", "-o", "out.ndjson", "--workers", "2", "--batch-size", "16"),
        stdin=subprocess.PIPE, stderr=subprocess.PIPE, cwd=work, start_new_session=True,
    )
    try:
        assert process.stdin is not None
        n = 1
        deadline = time.monotonic() + 60
        # keep the input coming and the pool busy: several blocks in flight when the signal lands
        while not (work / "out.ndjson").exists() or (work / "out.ndjson").read_bytes().count(b"\n") < 200:
            assert time.monotonic() < deadline, "the run did not write its output as input arrived"
            process.stdin.write(docs(200, start=n, pad=50))
            process.stdin.flush()
            n += 200
            time.sleep(0.01)
        signum = signal.SIGINT if how == "SIGINT" else signal.SIGTERM
        if how.endswith("group"):
            os.killpg(process.pid, signum)
        else:
            process.send_signal(signum)
        _, stderr = process.communicate(timeout=60)
    finally:
        process.kill()
        process.wait()
    assert process.returncode == 128 + signum, stderr
    text, through = stop_report(stderr)
    assert f"interrupted ({signal.Signals(signum).name})" in text
    assert "Error" not in text.replace("error", ""), text
    written = whole_lines(work / "out.ndjson")
    failed = whole_lines(work / "out.failures.ndjson")
    assert through >= 200
    assert [d["n"] for d in written] == [n for n in range(1, through + 1) if n % 7 and n % 11]
    assert [f["line"] for f in failed] == [n for n in range(1, through + 1) if n % 11 == 0 and n % 7]
    assert f"read {through}, written {len(written)}" in summary_of(stderr)


def test_ctrl_c_stops_a_pool_whose_worker_is_stuck_in_a_guest(work: Path, guests: dict[str, Path]) -> None:
    """Line 1 hangs under a two-minute time limit: Ctrl-C ends the run at once
    (the stuck worker is killed, not waited for) with nothing claimed."""
    data = b'{"n":1,"hang":1}\n' + b"".join(b'{"n":%d}\n' % n for n in range(2, 300))
    (work / "h.ndjson").write_bytes(data)
    process = subprocess.Popen(
        command("process", "h.ndjson", "-m", str(guests["hostile_loop"]), "-o", "o.ndjson", "--timeout", "120",
                "--workers", "2", "--batch-size", "10"),
        stderr=subprocess.PIPE, cwd=work,
    )
    try:
        deadline = time.monotonic() + 60
        while not (work / "o.ndjson").exists():  # opened once the pipeline has loaded
            assert time.monotonic() < deadline and process.poll() is None
            time.sleep(0.05)
        time.sleep(1.0)  # the first block is with a worker, stuck in the guest
        signalled = time.monotonic()
        process.send_signal(signal.SIGINT)
        _, stderr = process.communicate(timeout=60)
        stopped_in = time.monotonic() - signalled
    finally:
        process.kill()
        process.wait()
    assert process.returncode == 130, stderr
    assert stopped_in < 30  # not the two minutes of the time limit
    text, through = stop_report(stderr)
    assert through == 0 and "interrupted (SIGINT)" in text
    assert (work / "o.ndjson").read_bytes() == b""


class InterruptedAfterCommit(RunOutputs):
    """Outputs whose ``commit`` goes through, and then Ctrl-C lands before the
    job has accounted for it: the narrowest window a signal can hit."""

    def __init__(self, *args: Any, after: int) -> None:
        super().__init__(*args)
        self.left = after

    def commit(self) -> None:
        super().commit()
        self.left -= 1
        if self.left == 0:
            raise KeyboardInterrupt


@pytest.mark.parametrize("workers", [1, 2])
def test_a_signal_right_after_a_commit_leaves_the_files_as_the_summary_says(tmp_path: Path, workers: int) -> None:
    data = docs(400)
    outputs = InterruptedAfterCommit(
        OutputFile("output", str(tmp_path / "o.ndjson")), OutputFile("failure file", str(tmp_path / "f.ndjson")), after=5
    )
    outputs.start()
    with open_pipeline(yaml.safe_load(PIPELINE), workers=workers, batch_size=16) as pipeline:
        outcome = process_stream(
            lambda blocks: pipeline.run_blocks(blocks, "in", 1 << 20, 64),
            io.BytesIO(data), "in", outputs, batch_size=16, batch_bytes=1 << 20, max_line_bytes=1 << 20,
        )
        assert not [t for t in threading.enumerate() if t.name.startswith("ingesthost-pool")]
    outputs.close()
    through = outcome.summary.accounted_through
    assert outcome.signum == signal.SIGINT and through == 4 * 16
    assert [d["n"] for d in whole_lines(tmp_path / "o.ndjson")] == [n for n in range(1, through + 1) if n % 7 and n % 11]
    assert [f["line"] for f in whole_lines(tmp_path / "f.ndjson")] == [n for n in range(1, through + 1) if n % 11 == 0 and n % 7]
    assert outcome.summary.read == through


def test_a_full_disk_stops_a_pool_run_with_whole_records(work: Path, small_disk: Path) -> None:
    (work / "in.ndjson").write_bytes(docs(3000, pad=300))
    out = small_disk / "out.ndjson"
    done = run_cli("process", "in.ndjson", "-p", "p.yml", "-o", str(out), "--failures", "f.ndjson",
                   "--workers", "2", "--batch-size", "64", cwd=work)
    assert done.returncode == 3, done.stderr
    text, through = stop_report(done.stderr)
    assert f"cannot write {out}: No space left on device" in text
    assert 0 < through < 3000
    written, failed = whole_lines(out), whole_lines(work / "f.ndjson")
    assert [d["n"] for d in written] == [n for n in range(1, through + 1) if n % 7 and n % 11]
    assert [f["line"] for f in failed] == [n for n in range(1, through + 1) if n % 11 == 0 and n % 7]


def test_a_pool_given_up_stops_part_way_with_a_summary(work: Path, guests: dict[str, Path]) -> None:
    (work / "h.ndjson").write_bytes(b'{"n":1}\n{"n":2}\n{"n":3,"hang":1}\n{"n":4}\n{"n":5,"hang":1}\n{"n":6}\n')
    done = run_cli("process", "h.ndjson", "-m", str(guests["hostile_loop"]), "-o", "o.ndjson", "--timeout", "0.2",
                   "--max-restarts", "0", "--batch-size", "1", "--workers", "2", cwd=work)
    assert done.returncode == 3, done.stderr
    text, through = stop_report(done.stderr)
    assert "gave up after 0 worker restarts (the last: line 3:" in text
    assert through == 2 and [d["n"] for d in whole_lines(work / "o.ndjson")] == [1, 2]
    assert whole_lines(work / "o.failures.ndjson") == []
    assert "read 2, written 2" in summary_of(done.stderr)


@pytest.mark.parametrize("workers", ["1", "2"])
def test_a_slow_pipe_flows_through_one_worker_and_a_pool(work: Path, workers: str) -> None:
    """Every line that arrived comes out while the input stays open, a burst
    of several blocks included (the last block of a burst is answered
    before the reader waits for more input)."""
    import select

    process = subprocess.Popen(
        command("process", "-", "-p", "p.yml", "--failures", "f.ndjson", "--workers", workers, "--batch-size", "10"),
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, cwd=work,
    )
    try:
        assert process.stdin is not None and process.stdout is not None
        expected = 0
        received = b""
        for burst in (1, 25, 1, 40):
            start = expected + 1
            process.stdin.write(b"".join(b'{"n":%d}\n' % n for n in range(start, start + burst)))
            process.stdin.flush()
            expected += burst
            while received.count(b"\n") < expected:
                ready, _, _ = select.select([process.stdout], [], [], 60)
                assert ready, f"lines {start}-{expected} did not come out while the input was still open"
                received += os.read(process.stdout.fileno(), 1 << 16)
        assert [json.loads(line) for line in received.splitlines()] == [{"n": n, "seen": True} for n in range(1, 68)]
        process.stdin.close()
        assert process.wait(60) == 0
    finally:
        process.kill()
        process.wait()
