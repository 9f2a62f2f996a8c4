"""Time limits and crash isolation: guests in worker processes (ingesthost.workers).

The hostile guests are in ``tests/wat/hostile_*.wat``:

* ``hostile_loop``: ``loop br 0`` with no host calls on documents with "hang";
* ``hostile_loop_hostcalls``: an endless loop that keeps calling the host;
* ``hostile_recursion``: infinite recursion (each frame calls the host too);
* ``hostile_crash``: compiled, then its machine code tampered with and the
  artifact re-signed, so that it jumps to address 0: a real SIGSEGV of the
  process running it, the way a malicious artifact could crash wasmer;
* a Python test processor (:func:`abort_pipeline`) that kills its own
  process with SIGABRT, built in the worker by :meth:`IsolatedPipeline.from_factory`.

Every other document must come out processed, in input order, and each run
must end in bounded time (generous bounds: this machine is shared).
"""

from __future__ import annotations

import hashlib
import io
import json
import logging
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import orjson
import pytest

from ingesthost import IsolatedPipeline, Pipeline, PipelineConfigError, ProcessorError
from ingesthost.document import IngestDocument
from ingesthost.engine import Engine
from ingesthost.errors import InputError
from ingesthost.ndjson import read_records
from ingesthost.processors import Processor
from ingesthost.runner import run
from ingesthost.workers import WorkerError
from ingesthost.runtime import wat2wasm

ROOT = Path(__file__).resolve().parent.parent
WAT = ROOT / "tests" / "wat"
BENCH_EDIT = ROOT / "fixtures" / "wasm" / "bench_edit.wasm"
#: Upper bound for a run that must take about timeout + restart (a shared, noisy machine).
BOUND = 30.0


@pytest.fixture(scope="module")
def guests(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """The hostile WAT guests compiled to .wasm files."""
    directory = tmp_path_factory.mktemp("hostile")
    paths = {}
    for name in ("hostile_loop", "hostile_loop_hostcalls", "hostile_recursion", "hostile_crash"):
        path = directory / f"{name}.wasm"
        path.write_bytes(wat2wasm((WAT / f"{name}.wat").read_text()))
        paths[name] = path
    return paths


@pytest.fixture(scope="module")
def crashing_artifact(guests: dict[str, Path], tmp_path_factory: pytest.TempPathFactory) -> Path:
    """hostile_crash.wat compiled by Cranelift, with $boom's ``mov eax, 0x12345678``
    rewritten to ``xor eax, eax; jmp rax`` and the artifact re-signed (valid
    header and checksum: what an attacker who can write the file can do)."""
    from ingesthost import artifact, runtime

    if "wasmer" not in runtime.available():
        pytest.skip("the patched machine code is wasmer's, which is installed on CPython 3.10 only")
    source = guests["hostile_crash"].read_bytes()
    module = Engine("cranelift", runtime="wasmer").compile(source)
    payload = module.serialize()
    needle = b"\xb8\x78\x56\x34\x12"  # mov eax, 0x12345678
    assert payload.count(needle) == 1, "Cranelift's code for $boom changed: update the patch"
    patched = payload.replace(needle, b"\x31\xc0\xff\xe0\x90")  # xor eax,eax; jmp rax; nop
    header = artifact.ArtifactHeader(
        compiler="cranelift",
        engine="universal",
        target=artifact.host_triple(),
        cpu_features=tuple(sorted(artifact.host_cpu_features())),
        source_sha256=hashlib.sha256(source).hexdigest(),
        payload_sha256=hashlib.sha256(patched).hexdigest(),
        payload_size=len(patched),
        runtime="wasmer",
        runtime_version=Engine("cranelift", runtime="wasmer").backend.VERSION,
    )
    path = tmp_path_factory.mktemp("tampered") / "crash.ihu"
    path.write_bytes(artifact.encode_artifact(header, patched))
    return path


def ndjson(docs: list[Any]) -> bytes:
    return b"".join(orjson.dumps(doc) + b"\n" for doc in docs)


def run_isolated(pipeline: IsolatedPipeline, data: bytes, **options: Any) -> tuple[list[dict], list[dict], Any]:
    output, failures = io.BytesIO(), io.BytesIO()
    summary = pipeline.run(io.BytesIO(data), output, failures, source="in.ndjson", **options)
    return (
        [json.loads(line) for line in output.getvalue().splitlines()],
        [json.loads(line) for line in failures.getvalue().splitlines()],
        summary,
    )


def run_cli(*args: str, stdin: bytes | None = None, cwd: Path = ROOT) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "ingesthost", *args], input=stdin, capture_output=True, cwd=cwd, timeout=120
    )


# ---------------------------------------------------------------------------
# Endless loops
# ---------------------------------------------------------------------------


@pytest.mark.parametrize("guest", ["hostile_loop", "hostile_loop_hostcalls"])
def test_endless_loop_fails_only_its_document_in_order(guests: dict[str, Path], guest: str) -> None:
    docs = [{"n": n} for n in range(1, 7)]
    docs[2] = {"n": 3, "hang": True}  # document 3 of 6
    started = time.monotonic()
    with IsolatedPipeline.from_module(guests[guest], tag="spin", timeout=0.5) as pipeline:
        out, failures, summary = run_isolated(pipeline, ndjson(docs))
        elapsed = time.monotonic() - started
        assert pipeline.restarts == 1 and pipeline.timeouts == 1 and pipeline.crashes == 0
    assert out == [{"n": n, "processed": True} for n in (1, 2, 4, 5, 6)]
    (failure,) = failures
    assert failure["line"] == 3
    assert failure["document"] == {"n": 3, "hang": True}
    assert failure["error"] == {
        "type": "processor_error",
        "kind": "timeout",
        "message": "guest ran longer than its 0.5 s timeout",
        "processor_type": "wasm",
        "processor_tag": "spin",
    }
    assert (summary.read, summary.written, summary.dropped, summary.failed) == (6, 5, 0, 1)
    assert 0.5 <= elapsed < BOUND


def test_stuck_document_in_the_middle_of_large_batches_keeps_order(guests: dict[str, Path]) -> None:
    """Batches in flight when the worker is killed are re-sent; failures keep input order."""
    lines = [orjson.dumps({"n": n}) for n in range(1, 1201)]
    lines[99] = b"not json"  # line 100
    lines[899] = orjson.dumps({"n": 900, "hang": 1})  # line 900
    lines[1099] = b"[1, 2]"  # line 1100
    data = b"\n".join(lines) + b"\n"
    with IsolatedPipeline.from_module(guests["hostile_loop"], timeout=0.3, batch_size=128) as pipeline:
        out, failures, summary = run_isolated(pipeline, data)
    assert [doc["n"] for doc in out] == [n for n in range(1, 1201) if n not in (100, 900, 1100)]
    assert all(doc["processed"] for doc in out)
    assert [(f["line"], f["error"]["type"]) for f in failures] == [
        (100, "input_error"),
        (900, "processor_error"),
        (1100, "input_error"),
    ]
    assert failures[1]["error"]["kind"] == "timeout"
    assert (summary.read, summary.written, summary.failed, summary.invalid_input) == (1200, 1197, 3, 2)


def test_a_guest_that_hangs_on_every_document_ends_in_bounded_time(guests: dict[str, Path]) -> None:
    started = time.monotonic()
    with IsolatedPipeline.from_module(guests["hostile_loop"], tag="always", timeout=0.2) as pipeline:
        out, failures, summary = run_isolated(pipeline, ndjson([{"n": n, "hang": 1} for n in range(5)]))
        assert pipeline.restarts == 5
    assert out == []
    assert [f["line"] for f in failures] == [1, 2, 3, 4, 5]
    assert {f["error"]["kind"] for f in failures} == {"timeout"}
    assert summary.failed == 5
    assert time.monotonic() - started < BOUND


def test_max_restarts_gives_up_with_a_clear_error(guests: dict[str, Path]) -> None:
    with IsolatedPipeline.from_module(guests["hostile_loop"], timeout=0.2, max_restarts=2) as pipeline:
        with pytest.raises(WorkerError, match="gave up after 2 worker restarts"):
            run_isolated(pipeline, ndjson([{"hang": 1}] * 5))


def test_library_process_and_process_many(guests: dict[str, Path]) -> None:
    with IsolatedPipeline.from_module(guests["hostile_loop_hostcalls"], tag="lib", timeout=0.3) as pipeline:
        results = list(pipeline.process_many([{"a": 1}, {"hang": 1}, {"b": 2}]))
        assert [r.status for r in results] == ["ok", "failed", "ok"]
        assert results[0].document == {"a": 1, "processed": True}
        assert results[2].document == {"b": 2, "processed": True}
        error = results[1].error
        assert isinstance(error, ProcessorError)
        assert (error.kind, error.tag, error.processor_type) == ("timeout", "lib", "wasm")
        assert error.reason == "guest ran longer than its 0.3 s timeout"
        with pytest.raises(ProcessorError) as info:
            pipeline.process({"hang": True})
        assert info.value.kind == "timeout"
        mine = {"c": 3}
        assert pipeline.process(mine) == {"c": 3, "processed": True}
        assert mine == {"c": 3}  # the caller's dict is not modified
        # an item that is no document fails in its turn and the batch goes on
        results = list(pipeline.process_many([{"d": 4}, ["not", "an", "object"], {"e": 5}]))
        assert [r.status for r in results] == ["ok", "failed", "ok"]
        assert [results[0].document, results[2].document] == [{"d": 4, "processed": True}, {"e": 5, "processed": True}]
        assert isinstance(results[1].error, InputError) and results[1].error.source == "docs[1]"
        with pytest.raises(InputError):
            pipeline.process(["not", "an", "object"])  # type: ignore[arg-type]
        assert pipeline.restarts == 2


def test_stopping_early_does_not_mix_up_later_answers() -> None:
    """Answers still in flight when a caller stops iterating must not be taken
    for the answers to the next request."""
    docs = [{"user": {"name": f"u{n}"}, "http": {"status": n}} for n in range(40)]
    with IsolatedPipeline.from_module(BENCH_EDIT, batch_size=4) as pipeline:
        for result in pipeline.process_many(docs):
            assert result.document is not None and result.document["summary"] == "u0:0"
            break
        assert pipeline.process({"user": {"name": "z"}, "http": {"status": 1}})["summary"] == "z:1"
        assert [r.document["summary"] for r in pipeline.process_many(docs[:6])] == [f"u{n}:{n}" for n in range(6)]
        assert pipeline.restarts == 0


# ---------------------------------------------------------------------------
# Timeouts in pipeline files, and their precedence
# ---------------------------------------------------------------------------


def test_processor_timeout_overrides_pipeline_timeout_which_overrides_the_run_default(
    guests: dict[str, Path], tmp_path: Path
) -> None:
    source = tmp_path / "in.ndjson"
    source.write_bytes(ndjson([{"n": 1}, {"n": 2, "hang": 1}, {"n": 3}]))
    own = tmp_path / "own.json"
    own.write_text(
        json.dumps(
            {"timeout": 30, "processors": [{"wasm": {"module": str(guests["hostile_loop"]), "tag": "own", "timeout": 0.2}}]}
        )
    )
    inherited = tmp_path / "inherited.yml"
    inherited.write_text(f"timeout: 0.3\nprocessors:\n  - wasm: {{module: {guests['hostile_loop']}, tag: inherits}}\n")
    for pipeline, expected in ((own, ("own", "0.2")), (inherited, ("inherits", "0.3"))):
        started = time.monotonic()
        out = tmp_path / f"{pipeline.stem}.ndjson"
        result = run_cli("process", str(source), "--pipeline", str(pipeline), "--timeout", "30", "-o", str(out))
        assert time.monotonic() - started < BOUND
        assert result.returncode == 1, result.stderr
        assert [json.loads(line)["n"] for line in out.read_text().splitlines()] == [1, 3]
        (failure,) = [json.loads(line) for line in out.with_name(f"{pipeline.stem}.failures.ndjson").read_text().splitlines()]
        assert failure["line"] == 2
        assert failure["error"]["processor_tag"] == expected[0]
        assert failure["error"]["message"] == f"guest ran longer than its {expected[1]} s timeout"
        assert b"1 worker restarts (1 timeouts, 0 crashes)" in result.stderr


def test_run_default_timeout_applies_when_the_pipeline_sets_none(guests: dict[str, Path], tmp_path: Path) -> None:
    failures = tmp_path / "f.ndjson"
    result = run_cli(
        "process", "-", "--module", str(guests["hostile_loop"]), "--timeout", "0.25", "--failures", str(failures),
        stdin=b'{"hang":1}\n{"x":1}\n',
    )
    assert result.returncode == 1
    assert result.stdout == b'{"x":1,"processed":true}\n'
    assert b"guest ran longer than its 0.25 s timeout" in failures.read_bytes()


@pytest.mark.parametrize("value", [0, -1, "1s", True, None, float("inf")])
def test_timeout_must_be_a_positive_number(guests: dict[str, Path], value: Any) -> None:
    processor = {"wasm": {"module": str(guests["hostile_loop"]), "tag": "t", "timeout": value}}
    with pytest.raises(PipelineConfigError, match=r"processors\[0\], tag \[t\]: `timeout` must be a positive number"):
        Pipeline.from_definition({"processors": [processor]}, cache=False)
    with pytest.raises(PipelineConfigError, match="`timeout` must be a positive number"):
        Pipeline.from_definition({"timeout": value, "processors": []}, cache=False)


def test_timeouts_are_read_into_processors(guests: dict[str, Path]) -> None:
    definition = {
        "timeout": 2.5,
        "processors": [
            {"wasm": {"module": str(guests["hostile_loop"]), "timeout": 0.75}},
            {"wasm": {"module": str(guests["hostile_loop"])}},
        ],
    }
    with Pipeline.from_definition(definition, cache=False) as pipeline:
        assert [p.timeout for p in pipeline.processors] == [0.75, 2.5]
    with Pipeline.from_definition({"processors": definition["processors"][1:]}, cache=False) as pipeline:
        assert pipeline.processors[0].timeout is None  # the run's default applies


# ---------------------------------------------------------------------------
# Stack exhaustion and crashes
# ---------------------------------------------------------------------------


def test_infinite_recursion_is_a_trap_in_process_and_in_a_worker(guests: dict[str, Path]) -> None:
    """Measured: wasmer turns stack exhaustion into a trap, even with host
    frames on the stack; nothing crashes, in-process or in a worker."""
    docs = [{"n": 1}, {"n": 2, "recurse": 1}, {"n": 3}]
    with Pipeline.from_module(guests["hostile_recursion"], tag="deep") as pipeline:
        results = list(pipeline.process_many(docs))
    assert [r.status for r in results] == ["ok", "failed", "ok"]
    assert results[1].error is not None
    assert (results[1].error.kind, results[1].error.reason) == ("guest_trap", "guest trapped: call stack exhausted")
    with IsolatedPipeline.from_module(guests["hostile_recursion"], tag="deep") as isolated:
        out, failures, _ = run_isolated(isolated, ndjson(docs))
        assert isolated.restarts == 0
    assert out == [{"n": 1, "processed": True}, {"n": 3, "processed": True}]
    assert [(f["line"], f["error"]["kind"], f["error"]["message"]) for f in failures] == [
        (2, "guest_trap", "guest trapped: call stack exhausted")
    ]


@pytest.mark.wasmer_only  # the artifact is wasmer's machine code, patched
def test_tampered_artifact_really_crashes_the_process_in_process(crashing_artifact: Path, tmp_path: Path) -> None:
    """Without isolation the crash takes the run down (that is what --isolation none warns about)."""
    result = run_cli(
        "process", "-", "--module", str(crashing_artifact), "--isolation", "none", "--no-cache",
        stdin=b'{"n":1}\n{"crash":1}\n{"n":3}\n', cwd=tmp_path,
    )
    assert result.returncode == -signal.SIGSEGV


@pytest.mark.wasmer_only  # the artifact is wasmer's machine code, patched
def test_a_crashing_guest_loses_only_its_document(crashing_artifact: Path) -> None:
    with IsolatedPipeline.from_module(crashing_artifact, tag="boom", cache=False) as pipeline:
        out, failures, summary = run_isolated(pipeline, ndjson([{"n": 1}, {"n": 2, "crash": 1}, {"n": 3}, {"n": 4}]))
        assert (pipeline.restarts, pipeline.crashes, pipeline.timeouts) == (1, 1, 0)
    assert out == [{"n": n, "processed": True} for n in (1, 3, 4)]
    (failure,) = failures
    assert failure["line"] == 2
    assert failure["error"] == {
        "type": "processor_error",
        "kind": "crash",
        "message": "worker process crashed (SIGSEGV)",
        "processor_type": "wasm",
        "processor_tag": "boom",
    }
    assert (summary.read, summary.written, summary.failed) == (4, 3, 1)


@pytest.mark.wasmer_only  # the artifact is wasmer's machine code, patched
def test_cli_reports_a_crash_and_goes_on(crashing_artifact: Path, tmp_path: Path) -> None:
    failures = tmp_path / "f.ndjson"
    result = run_cli(
        "process", "-", "--module", str(crashing_artifact), "--no-cache", "--failures", str(failures),
        stdin=b'{"crash":1}\n{"n":2}\n',
    )
    assert result.returncode == 1
    assert result.stdout == b'{"n":2,"processed":true}\n'
    assert b'"kind":"crash","message":"worker process crashed (SIGSEGV)"' in failures.read_bytes()


class AbortProcessor(Processor):
    """Test-only: kills its own process with SIGABRT on documents with "abort"
    (a stand-in for a native crash outside guest code)."""

    type = "abort_test"

    def execute(self, document: IngestDocument) -> IngestDocument | None:
        if "abort" in document.source:
            os.kill(os.getpid(), signal.SIGABRT)
        document.source["ok"] = True
        return document


def abort_pipeline() -> Pipeline:
    """Factory for IsolatedPipeline.from_factory (runs in the worker)."""
    return Pipeline([AbortProcessor(tag="abort")])


def crash_at_load() -> Pipeline:
    """Factory whose worker dies before it is ready."""
    os.kill(os.getpid(), signal.SIGSEGV)
    raise AssertionError("unreachable")


def test_a_crash_outside_guest_code_loses_only_its_document() -> None:
    with IsolatedPipeline.from_factory(abort_pipeline, batch_size=2) as pipeline:
        results = list(pipeline.process_many([{"n": 1}, {"n": 2}, {"abort": 1}, {"n": 4}, {"n": 5}]))
        assert pipeline.crashes == 1
    assert [r.status for r in results] == ["ok", "ok", "failed", "ok", "ok"]
    assert [r.document for r in results if r.document] == [{"n": n, "ok": True} for n in (1, 2, 4, 5)]
    error = results[2].error
    assert error is not None
    assert (error.kind, error.processor_type) == ("crash", "host")
    assert error.reason == "worker process crashed (SIGABRT) outside guest code"


def test_a_worker_that_dies_at_start_up_is_a_clear_error() -> None:
    with pytest.raises(WorkerError, match=r"died while loading the pipeline \(SIGSEGV\)"):
        IsolatedPipeline.from_factory(crash_at_load)


def test_confinement_applies_in_the_worker(tmp_path: Path) -> None:
    inside = tmp_path / "inside"
    inside.mkdir()
    (inside / "p.yml").write_text(f"processors:\n  - wasm: {{module: {BENCH_EDIT}, tag: far}}\n")
    with pytest.raises(PipelineConfigError, match="is outside"):
        IsolatedPipeline.from_file(inside / "p.yml", confine_to=inside)
    with IsolatedPipeline.from_file(inside / "p.yml") as pipeline:  # not confined: loads
        assert pipeline.process({"user": {"name": "a"}})["summary"] == "a:-"


def test_pipeline_errors_surface_at_load_and_exit_2(tmp_path: Path) -> None:
    bad = tmp_path / "bad.yml"
    bad.write_text("processors:\n  - wasm: {module: missing.wasm, tag: gone}\n")
    with pytest.raises(PipelineConfigError, match=r"processors\[0\], tag \[gone\]: module file not found"):
        IsolatedPipeline.from_file(bad)
    result = run_cli("process", "-", "--pipeline", str(bad), stdin=b"{}\n")
    assert result.returncode == 2
    assert b"ingesthost: error:" in result.stderr and b"module file not found" in result.stderr


# ---------------------------------------------------------------------------
# Same contract as an in-process run
# ---------------------------------------------------------------------------


def test_isolated_run_writes_exactly_what_an_in_process_run_writes() -> None:
    data = (
        b'{"user":{"name":"a"},"http":{"status":200}}\n'
        b"\n"
        b"not json\n"
        b'"a string"\n'
        b'{"user":{"name":"b"},"http":{"status":404}}\r\n'
        b"\xff\xfe\n"
        + b'{"long":"' + b"x" * 300 + b'"}\n'
        + b'{"user":{"name":"c"}}'  # no final newline
    )
    options = {"max_line_bytes": 200, "max_depth": 64}
    expected_out, expected_failures = io.BytesIO(), io.BytesIO()
    with Pipeline.from_module(BENCH_EDIT) as pipeline:
        expected = run(pipeline, read_records(io.BytesIO(data), "in.ndjson", **options), expected_out, expected_failures, source="in.ndjson")
    for batch_size in (1, 3, 512):
        with IsolatedPipeline.from_module(BENCH_EDIT, batch_size=batch_size) as isolated:
            output, failures = io.BytesIO(), io.BytesIO()
            summary = isolated.run(io.BytesIO(data), output, failures, source="in.ndjson", **options)
        assert output.getvalue() == expected_out.getvalue()
        assert failures.getvalue() == expected_failures.getvalue()
        assert (summary.read, summary.written, summary.dropped, summary.failed, summary.invalid_input) == (
            expected.read, expected.written, expected.dropped, expected.failed, expected.invalid_input
        )
    assert expected.read == 7 and expected.written == 3 and expected.blank == 1


def test_blocks_give_back_every_input_byte_in_order() -> None:
    """The parent cuts the input into blocks without parsing it: whatever the
    line lengths, line ends and read sizes, the blocks are the input, whole
    lines each, numbered right, at most batch_size lines."""
    import random

    from ingesthost.ndjson import read_blocks as _blocks

    rnd = random.Random(20261122)
    for _ in range(200):
        lines = [b"x" * rnd.choice([0, 1, 5, 50, 300, 3000]) + rnd.choice([b"\n", b"\r\n"]) for _ in range(rnd.randint(0, 300))]
        data = b"".join(lines)
        if lines and rnd.random() < 0.3:
            data = data.rstrip(b"\n")  # no final newline

        class Trickle(io.BytesIO):
            def read1(self, size: int = -1) -> bytes:
                return super().read1(min(size, rnd.randint(1, 5000)))

        batch_size = rnd.choice([1, 2, 7, 64, 512])
        blocks, number = [], 1
        for kind, first, block, count, _ready in _blocks(Trickle(data), "in", batch_size, rnd.choice([4096, 1 << 20]), 1 << 20):
            assert kind == "batch" and first == number and 1 <= count <= batch_size
            assert count == block.count(b"\n") + (not block.endswith(b"\n"))
            blocks.append(block)
            number += count
        assert b"".join(blocks) == data
        assert number - 1 == len(data.splitlines())


def test_an_over_long_line_is_never_sent_whole() -> None:
    """A line past the limit is reported from its first bytes, as read_records does."""
    data = b'{"a":1}\n' + b"y" * 500_000 + b"\n" + b'{"b":2}\n'
    with IsolatedPipeline.from_module(BENCH_EDIT, batch_bytes=65536) as isolated:
        out, failures, summary = run_isolated(isolated, data, max_line_bytes=100_000)
    assert [sorted(doc) for doc in out] == [["a", "summary"], ["b", "summary"]]
    (failure,) = failures
    assert failure["line"] == 2 and failure["raw_size"] == 500_001 and failure["raw_truncated"] is True
    assert "longer than the 100,000-byte limit" in failure["error"]["message"]
    assert summary.invalid_input == 1


def test_guest_logs_reach_the_parents_loggers(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    """Log lines cross from the worker to the parent's loggers. An Error line of a
    document that is kept is logged; one that became a failure message is not
    logged again (the failure record carries it)."""
    module = tmp_path / "log_then_keep.wasm"
    module.write_bytes(wat2wasm("""
      (module
        (import "elastic" "elastic_log" (func $log (param i32 i32 i32) (result i32)))
        (memory (export "memory") 1)
        (data (i32.const 16) "kept anyway")
        (func (export "malloc") (param i32) (result i32) (i32.const 1024))
        (func (export "process") (result i32)
          (drop (call $log (i32.const 3) (i32.const 16) (i32.const 11)))
          (i32.const 0)))"""))
    failing = tmp_path / "fail.wasm"
    failing.write_bytes(wat2wasm((WAT / "cli_fail_on_field.wat").read_text()))
    caplog.set_level(logging.ERROR, logger="ingesthost.guest")
    with IsolatedPipeline.from_module(module, tag="logger") as isolated:
        (result,) = list(isolated.process_many([{"a": 1}]))
    assert result.status == "ok"
    assert ("ingesthost.guest.logger", logging.ERROR, "kept anyway") in caplog.record_tuples
    with IsolatedPipeline.from_module(failing, tag="failing") as isolated:
        (result,) = list(isolated.process_many([{"fail": 1}]))
    assert result.status == "failed" and result.error is not None
    assert result.error.reason == "document asked to fail"
    assert not [t for t in caplog.record_tuples if t[0] == "ingesthost.guest.failing"]


def test_statistics_add_up_across_workers(guests: dict[str, Path]) -> None:
    with IsolatedPipeline.from_module(guests["hostile_loop"], timeout=0.3, collect_stats=True, batch_size=2) as isolated:
        run_isolated(isolated, ndjson([{"n": 1}, {"n": 2}, {"hang": 1}, {"n": 4}, {"n": 5}]))
        stats = isolated.stats()
    (pipeline,) = stats["pipelines"].values()
    # 4 documents processed, each counted once: the stuck one died with its worker
    assert pipeline["count"] == 4
    assert isolated.restarts == 1


def test_isolation_none_still_works(tmp_path: Path) -> None:
    source = tmp_path / "in.ndjson"
    source.write_bytes(b'{"user":{"name":"a"},"http":{"status":1}}\n')
    out = tmp_path / "out.ndjson"
    result = run_cli("process", str(source), "--module", str(BENCH_EDIT), "--isolation", "none", "--timeout", "5", "-o", str(out))
    assert result.returncode == 0, result.stderr
    assert json.loads(out.read_text())["summary"] == "a:1"
    assert (
        b"--timeout is not enforced with --isolation none" in result.stderr  # wasmer
        or b"--timeout is for worker processes" in result.stderr  # wasmtime: the pipeline's timeout holds
    )


def test_help_says_what_isolation_none_gives_up() -> None:
    result = run_cli("process", "--help")
    text = " ".join(result.stdout.decode().split())
    assert "--isolation {process,none}" in text
    assert "no time limits" in text and "crashes the process ends the run" in text


def _descendants(pid: int) -> dict[int, int]:
    """Every process below ``pid`` (from /proc), with its parent."""
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            children.setdefault(int(fields[1]), []).append(int(entry.name))
    found: dict[int, int] = {}
    todo = [pid]
    while todo:
        parent = todo.pop()
        for child in children.get(parent, []):
            if child not in found:
                found[child] = parent
                todo.append(child)
    return found


def _state(pid: int) -> str:
    """The process state letter (R running, S sleeping, Z zombie...), "" when gone."""
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return ""


def test_a_stuck_worker_does_not_outlive_a_killed_run(guests: dict[str, Path]) -> None:
    """SIGKILL the CLI while its worker spins in a guest: the worker (and the
    forkserver) must go too, not spin forever as orphans."""
    process = subprocess.Popen(
        [sys.executable, "-m", "ingesthost", "process", "-", "-m", str(guests["hostile_loop"]), "--timeout", "600"],
        stdin=subprocess.PIPE, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, cwd=ROOT,
    )
    workers: list[int] = []
    try:
        assert process.stdin is not None
        process.stdin.write(b'{"hang":1}\n')
        process.stdin.flush()
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            time.sleep(0.1)
            below = _descendants(process.pid)
            # the worker: forked by the forkserver (a grandchild), spinning in the guest
            workers = [pid for pid, parent in below.items() if parent != process.pid and _state(pid) == "R"]
            if workers:
                break
        assert workers, "no worker process spinning in the guest"
    finally:
        process.kill()
        process.wait()
    deadline = time.monotonic() + 15
    while time.monotonic() < deadline and any(_state(pid) not in ("", "Z") for pid in below):
        time.sleep(0.1)
    assert [pid for pid in below if _state(pid) not in ("", "Z")] == []


def test_a_slow_stream_is_processed_as_its_lines_arrive() -> None:
    """Batches are cut when the input has nothing more for now: a line's result
    comes out while the input is still open (a log shipper's pipe)."""
    import select

    process = subprocess.Popen(
        [sys.executable, "-m", "ingesthost", "process", "-", "-m", str(BENCH_EDIT), "-q"],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, cwd=ROOT,
    )
    try:
        assert process.stdin is not None and process.stdout is not None
        process.stdin.write(b'{"user":{"name":"first"},"http":{"status":1}}\n')
        process.stdin.flush()
        ready, _, _ = select.select([process.stdout], [], [], 30)
        assert ready, "no output while the input stays open"
        assert json.loads(process.stdout.readline())["summary"] == "first:1"
        process.stdin.write(b'{"user":{"name":"second"},"http":{"status":2}}\n')
        process.stdin.close()
        assert json.loads(process.stdout.readline())["summary"] == "second:2"
        assert process.wait(30) == 0
    finally:
        process.kill()
        process.wait()
