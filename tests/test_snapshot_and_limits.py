"""Pipeline snapshots, pipeline file limits, cache entries checked against
their module, and clear messages for unusable module paths.

* A run reads its pipeline (files, nested ones included, and module bytes)
  once, at start: a replacement worker (after a timeout) builds from that
  snapshot, so editing, breaking or deleting files mid-run changes nothing.
* Pipeline files above ``MAX_PIPELINE_FILE_BYTES``, and devices such as
  ``/dev/zero``, are refused before parsing (nested files too).
* A compile-cache entry whose header names another source module is damaged:
  removed and rebuilt, never run.
* ``module:`` naming a directory, a device or an empty file says so; WASI
  confinement errors carry their location once.
"""

from __future__ import annotations

import errno
import io
import json
import logging
import os
import pickle
import shutil
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

import orjson
import pytest

from ingesthost import IsolatedPipeline, Pipeline, PipelineConfigError, ProcessorError
from ingesthost.config import MAX_PIPELINE_FILE_BYTES, PipelineSnapshot
from ingesthost.loader import CompileCache
from ingesthost.pipeline import take_snapshot
from ingesthost.runtime import wat2wasm

ROOT = Path(__file__).resolve().parent.parent
WAT = ROOT / "tests" / "wat"
WASM = ROOT / "fixtures" / "wasm"
BENCH_EDIT = WASM / "bench_edit.wasm"


def wat_file(name: str, directory: Path, as_name: str | None = None) -> Path:
    path = directory / (as_name or f"{name}.wasm")
    path.write_bytes(wat2wasm((WAT / f"{name}.wat").read_text()))
    return path


def ndjson(docs: list[Any]) -> bytes:
    return b"".join(orjson.dumps(doc) + b"\n" for doc in docs)


@pytest.fixture
def job(tmp_path: Path) -> Path:
    """tmp/main.yml -> set version 1, nested inner.yml, the hanging guest (guest.wasm)."""
    wat_file("hostile_loop", tmp_path, "guest.wasm")
    (tmp_path / "inner.yml").write_text("processors:\n  - set: {field: inner, value: original}\n")
    (tmp_path / "main.yml").write_text(
        "processors:\n"
        "  - set: {field: version, value: 1}\n"
        "  - pipeline: {name: inner}\n"
        "  - wasm: {module: guest.wasm, tag: guest}\n"
    )
    return tmp_path / "main.yml"


ORIGINAL = {"version": 1, "inner": "original", "processed": True}


def edit_everything(directory: Path) -> None:
    """What a colleague might do to the files while a job runs."""
    (directory / "main.yml").write_text("processors:\n  - set: {field: version, value: 2}\n")
    (directory / "inner.yml").write_text("processors:\n  - set: {field: inner, value: edited}\n")
    shutil.copy(BENCH_EDIT, directory / "guest.wasm")


def break_everything(directory: Path) -> None:
    (directory / "main.yml").write_text("processors: [\n")
    (directory / "inner.yml").unlink()
    (directory / "guest.wasm").write_bytes(b"")


def delete_everything(directory: Path) -> None:
    for name in ("main.yml", "inner.yml", "guest.wasm"):
        (directory / name).unlink()


# ---------------------------------------------------------------------------
# 1. The pipeline cannot change under a running job
# ---------------------------------------------------------------------------


@pytest.mark.parametrize("change", [edit_everything, break_everything, delete_everything])
def test_a_replacement_worker_runs_the_pipeline_the_run_started_with(job: Path, change: Any) -> None:
    with IsolatedPipeline.from_file(job, timeout=0.3) as pipeline:
        assert pipeline.process({"n": 1}) == {"n": 1, **ORIGINAL}
        change(job.parent)
        with pytest.raises(ProcessorError) as info:
            pipeline.process({"n": 2, "hang": True})  # kills the worker
        assert info.value.kind == "timeout"
        first = pipeline.worker_pid
        # a new worker, built from the snapshot: the original pipeline, not the disk's
        assert pipeline.process({"n": 3}) == {"n": 3, **ORIGINAL}
        assert pipeline.worker_pid != first
        results = list(pipeline.process_many([{"n": 4}, {"n": 5, "hang": 1}, {"n": 6}]))
        assert [r.status for r in results] == ["ok", "failed", "ok"]
        assert results[2].document == {"n": 6, **ORIGINAL}
        assert pipeline.restarts == 2


@pytest.mark.parametrize("change", [edit_everything, break_everything, delete_everything])
def test_a_run_whose_files_change_mid_run_ends_with_its_summary(job: Path, change: Any) -> None:
    docs = [{"n": n} for n in range(1, 7)]
    docs[2] = {"n": 3, "hang": 1}
    with IsolatedPipeline.from_file(job, timeout=0.3, batch_size=2) as pipeline:
        change(job.parent)  # after the start, before any document
        output, failures = io.BytesIO(), io.BytesIO()
        summary = pipeline.run(io.BytesIO(ndjson(docs)), output, failures, source="in.ndjson")
        assert pipeline.restarts == 1
    out = [json.loads(line) for line in output.getvalue().splitlines()]
    assert out == [{"n": n, **ORIGINAL} for n in (1, 2, 4, 5, 6)]
    (failure,) = [json.loads(line) for line in failures.getvalue().splitlines()]
    assert (failure["line"], failure["error"]["kind"]) == (3, "timeout")
    assert (summary.read, summary.written, summary.failed) == (6, 5, 1)


def test_cli_run_survives_its_pipeline_file_being_deleted_mid_run(job: Path, tmp_path: Path) -> None:
    """End to end: a document is through, then the files go, then a guest hangs."""
    failures_file = tmp_path / "failures.ndjson"
    process = subprocess.Popen(
        [sys.executable, "-m", "ingesthost", "process", "-", "-p", str(job), "--timeout", "0.3",
         "--batch-size", "1", "--failures", str(failures_file)],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, cwd=tmp_path,
    )
    try:
        assert process.stdin is not None and process.stdout is not None
        process.stdin.write(b'{"n":1}\n')
        process.stdin.flush()
        first = process.stdout.readline()  # the worker has built the pipeline and run a document
        assert json.loads(first) == {"n": 1, **ORIGINAL}
        delete_everything(job.parent)
        rest, stderr = process.communicate(b'{"n":2,"hang":1}\n{"n":3}\n', timeout=120)
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
    assert process.returncode == 1, stderr  # 1: some documents failed; the run finished
    assert [json.loads(line) for line in rest.splitlines()] == [{"n": 3, **ORIGINAL}]
    (failure,) = [json.loads(line) for line in failures_file.read_text().splitlines()]
    assert (failure["line"], failure["error"]["kind"]) == (2, "timeout")
    assert b"read 3" in stderr and b"failed 1" in stderr  # the summary


def test_a_frozen_snapshot_never_reads_the_disk(job: Path) -> None:
    snapshot = take_snapshot("file", path=str(job))
    copy = pickle.loads(pickle.dumps(snapshot))  # as a worker receives it
    assert copy.module_bytes_total == len((job.parent / "guest.wasm").read_bytes())
    delete_everything(job.parent)
    for frozen in (snapshot, copy):
        with Pipeline.from_file(job, snapshot=frozen, cache=False) as pipeline:
            assert pipeline.process({"n": 1}) == {"n": 1, **ORIGINAL}
    # a path the snapshot never saw is refused, not read from disk
    (job.parent / "other.yml").write_text("processors: []\n")
    with pytest.raises(PipelineConfigError, match="not part of the pipeline snapshot"):
        Pipeline.from_file(job.parent / "other.yml", snapshot=copy, cache=False)


def test_taking_a_snapshot_runs_and_compiles_no_guest_code(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The parent reads bytes and parses YAML only: configure (guest code) is
    not run there, nothing is compiled there; the worker does both."""
    wat_file("configure_echo", tmp_path, "echo.wasm")
    (tmp_path / "p.yml").write_text("processors:\n  - wasm: {module: echo.wasm, tag: echo, params: {a: 1}}\n")
    from ingesthost import guest, loader

    def forbidden(*args: Any, **kwargs: Any) -> Any:
        raise AssertionError("guest code or compiling in the parent")

    monkeypatch.setattr(guest.GuestModule, "instantiate", forbidden)
    monkeypatch.setattr(guest, "compile_module", forbidden)
    monkeypatch.setattr(loader, "compile_module", forbidden)
    monkeypatch.setattr(loader, "load_artifact", forbidden)
    snapshot = take_snapshot("file", path=str(tmp_path / "p.yml"))
    assert snapshot.entries > 0
    with IsolatedPipeline.from_file(tmp_path / "p.yml", cache=False) as pipeline:  # the worker is unpatched
        assert pipeline.process({"x": 1}) is not None


def test_pipeline_errors_are_raised_by_the_parent_with_their_location(tmp_path: Path) -> None:
    (tmp_path / "p.yml").write_text("processors:\n  - wasm: {module: gone.wasm, tag: gone}\n")
    with pytest.raises(PipelineConfigError) as info:
        IsolatedPipeline.from_file(tmp_path / "p.yml")
    assert (info.value.source, info.value.where, info.value.tag) == (str(tmp_path / "p.yml"), "processors[0]", "gone")


def test_confinement_is_decided_on_the_snapshot_and_holds_in_the_worker(tmp_path: Path) -> None:
    inside = tmp_path / "inside"
    (inside / "data").mkdir(parents=True)
    shutil.copy(BENCH_EDIT, inside / "m.wasm")
    (inside / "p.yml").write_text("processors:\n  - wasm: {module: m.wasm, tag: t, wasi: {preopens: {/d: data}}}\n")
    with IsolatedPipeline.from_file(inside / "p.yml", confine_to=inside, timeout=5) as pipeline:
        # the module is swapped for a symlink to a file outside: the snapshot holds the original
        outside = tmp_path / "outside.wasm"
        shutil.copy(BENCH_EDIT, outside)
        (inside / "m.wasm").unlink()
        (inside / "m.wasm").symlink_to(outside)
        assert pipeline.process({"user": {"name": "a"}})["summary"] == "a:-"
        assert pipeline.spec.snapshot is not None
        resolved = pipeline.spec.snapshot.frozen().directory(inside / "data")
        assert resolved == ((inside / "data").resolve(), True)
    (inside / "p.yml").write_text("processors:\n  - wasm: {module: m.wasm, tag: t}\n")
    with pytest.raises(PipelineConfigError, match="is outside"):
        IsolatedPipeline.from_file(inside / "p.yml", confine_to=inside)


def test_a_definition_changed_by_the_caller_mid_run_changes_nothing(tmp_path: Path) -> None:
    module = wat_file("hostile_loop", tmp_path)
    definition = {"processors": [{"set": {"field": "v", "value": 1}}, {"wasm": {"module": module.name}}]}
    with IsolatedPipeline.from_definition(definition, base_dir=tmp_path, timeout=0.3) as pipeline:
        definition["processors"][0]["set"]["value"] = 2
        del definition["processors"][1]
        results = list(pipeline.process_many([{"hang": 1}, {"a": 1}]))  # a restart in between
        assert [r.status for r in results] == ["failed", "ok"]
        assert results[1].document == {"a": 1, "v": 1, "processed": True}


def test_module_pipelines_are_snapshotted_too(tmp_path: Path) -> None:
    module = wat_file("hostile_loop", tmp_path)
    with IsolatedPipeline.from_module(module, tag="m", timeout=0.3) as pipeline:
        module.write_bytes(b"garbage")
        results = list(pipeline.process_many([{"hang": 1}, {"a": 1}]))
        assert [r.status for r in results] == ["failed", "ok"]
        assert results[1].document == {"a": 1, "processed": True}


# ---------------------------------------------------------------------------
# 2. Pipeline file size and kind
# ---------------------------------------------------------------------------


def test_a_pipeline_file_above_the_limit_is_refused_before_parsing(tmp_path: Path) -> None:
    big = tmp_path / "big.yml"
    with big.open("wb") as stream:
        stream.truncate(MAX_PIPELINE_FILE_BYTES + 1)  # sparse: no need to write it
    with pytest.raises(PipelineConfigError) as info:
        Pipeline.from_file(big)
    assert str(info.value).startswith(f"{big}: larger than the 16 MiB limit of pipeline files")


def test_a_pipeline_file_at_the_limit_is_read(tmp_path: Path) -> None:
    exact = tmp_path / "exact.json"
    text = b'{"processors": []}'
    exact.write_bytes(text + b" " * (MAX_PIPELINE_FILE_BYTES - len(text)))
    assert exact.stat().st_size == MAX_PIPELINE_FILE_BYTES
    with Pipeline.from_file(exact, cache=False) as pipeline:
        assert pipeline.process({"a": 1}) == {"a": 1}


def test_a_pipe_is_read_up_to_the_limit_only(tmp_path: Path) -> None:
    fifo = tmp_path / "pipe.yml"
    os.mkfifo(fifo)
    written = []

    def writer() -> None:
        try:
            with open(fifo, "wb") as stream:
                chunk = b"#" * 65536
                for _ in range(MAX_PIPELINE_FILE_BYTES // len(chunk) + 64):
                    stream.write(chunk)
                    written.append(len(chunk))
        except BrokenPipeError:
            pass
        except OSError as exc:
            assert exc.errno == errno.EPIPE

    thread = threading.Thread(target=writer, daemon=True)
    thread.start()
    with pytest.raises(PipelineConfigError, match="larger than the 16 MiB limit"):
        Pipeline.from_file(fifo)
    thread.join(30)
    assert sum(written) < MAX_PIPELINE_FILE_BYTES + 64 * 65536  # the reader stopped: the writer broke off


def test_a_small_pipe_is_a_fine_pipeline_file(tmp_path: Path) -> None:
    fifo = tmp_path / "pipe.yml"
    os.mkfifo(fifo)
    thread = threading.Thread(target=lambda: fifo.write_text("processors:\n  - set: {field: a, value: 1}\n"))
    thread.start()
    with Pipeline.from_file(fifo, cache=False) as pipeline:
        assert pipeline.process({}) == {"a": 1}
    thread.join(10)


@pytest.mark.parametrize(
    "target,expected",
    [
        ("/dev/zero", "/dev/zero: not a pipeline file: it is a character device, not a regular file"),
        ("DIR", "DIR: not a pipeline file: it is a directory"),
    ],
)
def test_devices_and_directories_are_not_pipeline_files(tmp_path: Path, target: str, expected: str) -> None:
    target = target.replace("DIR", str(tmp_path))
    expected = expected.replace("DIR", str(tmp_path))
    started = time.monotonic()
    with pytest.raises(PipelineConfigError) as info:
        Pipeline.from_file(target)
    assert str(info.value) == expected
    assert time.monotonic() - started < 5


@pytest.mark.parametrize("nested", ["/dev/zero", "big.yml"])
def test_nested_pipeline_files_have_the_same_limits(tmp_path: Path, nested: str) -> None:
    with (tmp_path / "big.yml").open("wb") as stream:
        stream.truncate(MAX_PIPELINE_FILE_BYTES + 10)
    (tmp_path / "main.yml").write_text(f"processors:\n  - pipeline: {{name: {nested}, tag: inner}}\n")
    with pytest.raises(PipelineConfigError) as info:
        Pipeline.from_file(tmp_path / "main.yml")
    message = str(info.value)
    assert "processors[0], tag [inner]: in pipeline [" in message
    if nested == "/dev/zero":
        assert "/dev/zero: not a pipeline file: it is a character device" in message
    else:
        assert f"{tmp_path / 'big.yml'}: larger than the 16 MiB limit" in message


def test_cli_refuses_dev_zero_as_a_pipeline(tmp_path: Path) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "ingesthost", "process", "-", "-p", "/dev/zero"],
        input=b"{}\n", capture_output=True, cwd=tmp_path, timeout=60,
    )
    assert result.returncode == 2
    assert b"/dev/zero: not a pipeline file: it is a character device" in result.stderr


# ---------------------------------------------------------------------------
# 3. Compile-cache entries are checked against the module being loaded
# ---------------------------------------------------------------------------


@pytest.mark.parametrize("victim,intruder", [("bench_edit", "set_timestamp"), ("set_timestamp", "bench_edit")])
def test_a_cache_entry_copied_over_another_modules_is_rebuilt(
    tmp_path: Path, caplog: pytest.LogCaptureFixture, victim: str, intruder: str
) -> None:
    cache_dir = tmp_path / "cache"
    entries = {}
    for name in (victim, intruder):
        before = set(cache_dir.glob("*.ihu"))
        with Pipeline.from_module(WASM / f"{name}.wasm", cache=CompileCache(cache_dir)):
            pass
        (entries[name],) = set(cache_dir.glob("*.ihu")) - before
    shutil.copy(entries[intruder], entries[victim])  # the intruder's code under the victim's key
    cache = CompileCache(cache_dir)
    with caplog.at_level(logging.WARNING, logger="ingesthost.loader"):
        with Pipeline.from_module(WASM / f"{victim}.wasm", cache=cache) as pipeline:
            assert pipeline.processors[0].module.origin == "compiled"
            out = pipeline.process({"user": {"name": "a"}, "http": {"status": 1}})
    assert (cache.rejected, cache.hits) == (1, 0)
    assert "compiled from another module" in caplog.text and str(entries[victim]) in caplog.text
    if victim == "bench_edit":  # the victim's own code ran
        assert out["summary"] == "a:1"
    else:
        assert "summary" not in out
    again = CompileCache(cache_dir)
    with Pipeline.from_module(WASM / f"{victim}.wasm", cache=again) as pipeline:
        assert pipeline.processors[0].module.origin == "cache"
    assert (again.hits, again.rejected) == (1, 0), "the rebuilt entry is the victim's own"


# ---------------------------------------------------------------------------
# 4. Messages
# ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    "module,expected",
    [
        ("DIR/sub", "module DIR/sub is a directory, not a wasm module"),
        ("/dev/null", "module /dev/null is not a regular file but a character device"),
        ("DIR/empty.wasm", "module DIR/empty.wasm is empty: not a wasm module"),
        ("DIR/missing.wasm", "module file not found: DIR/missing.wasm"),
    ],
)
def test_module_paths_that_are_not_modules_say_what_they_are(tmp_path: Path, module: str, expected: str) -> None:
    (tmp_path / "sub").mkdir()
    (tmp_path / "empty.wasm").write_bytes(b"")
    module, expected = module.replace("DIR", str(tmp_path)), expected.replace("DIR", str(tmp_path))
    (tmp_path / "p.yml").write_text(f"processors:\n  - wasm: {{module: {module}, tag: m}}\n")
    with pytest.raises(PipelineConfigError) as info:
        Pipeline.from_file(tmp_path / "p.yml", cache=False)
    assert str(info.value) == f"{tmp_path / 'p.yml'}, processors[0], tag [m]: {expected}"
    with pytest.raises(PipelineConfigError) as info:
        Pipeline.from_module(module, cache=False)
    assert str(info.value).endswith(f"processors[0]: {expected}")


@pytest.mark.parametrize(
    "wasi,problem",
    [
        ("{preopens: {/etc: /etc}}", "WASI preopen directory /etc is outside"),
        ("{preopens: {/d: nope}}", "`wasi.preopens`: INSIDE/nope is not a directory"),
        ("{files: [x]}", "unknown `wasi` option(s) files"),
    ],
)
def test_wasi_and_confinement_errors_carry_their_location_once(tmp_path: Path, wasi: str, problem: str) -> None:
    inside = tmp_path / "inside"
    inside.mkdir()
    shutil.copy(BENCH_EDIT, inside / "m.wasm")
    pipeline = inside / "p.yml"
    pipeline.write_text(f"processors:\n  - wasm: {{module: m.wasm, tag: pre, wasi: {wasi}}}\n")
    with pytest.raises(PipelineConfigError) as info:
        Pipeline.from_file(pipeline, cache=False, confine_to=inside)
    message = str(info.value)
    prefix = f"{pipeline}, processors[0], tag [pre]: "
    assert message.startswith(prefix + problem.replace("INSIDE", str(inside)))
    assert message.count(str(pipeline)) == 1 and message.count("tag [pre]") == 1
    assert info.value.problem.startswith(problem.replace("INSIDE", str(inside)))
