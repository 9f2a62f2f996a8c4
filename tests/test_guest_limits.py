"""Limits on what a guest can do to the host beyond its own document.

* Deadlines hold whatever the guest does through its imports: a guest that
  logs in an endless loop floods the parent with messages, and the parent
  must still look at the deadline (``_Worker.receive``, ``_wait_ready``).
* Log lines are capped in size, and each document has a log budget; a
  failure message taken from a guest's Error line is capped too.
* Guest code that runs at load (start function, ``_initialize``,
  ``configure``) has its own time limit, ``load_timeout``; the error names
  the module and the export.
* A trap names the last host call of the document that did not return Ok
  (what a proof-of-concept SDK guest panicked on).

The guests are ``tests/wat/hostile_logs.wat``, ``load_hang_*.wat`` and
``trap_after_failed_call.wat``; most tests go through a real worker process,
where users meet these limits (the CLI's default is ``--isolation process``).
"""

from __future__ import annotations

import io
import json
import logging
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any, Callable

import orjson
import pytest

from helpers import Driver, load_wat
from ingesthost import IsolatedPipeline, Pipeline, ProcessorError, abi
from ingesthost.document import IngestDocument
from ingesthost.errors import IngestHostError, ModuleLoadError
from ingesthost.guest import GuestTrap
from ingesthost.processors import Processor
from ingesthost.runtime import wat2wasm

ROOT = Path(__file__).resolve().parent.parent
WAT = ROOT / "tests" / "wat"
BENCH_EDIT = ROOT / "fixtures" / "wasm" / "bench_edit.wasm"
#: Upper bound for what must take about a timeout plus a worker start (a shared, noisy machine).
BOUND = 30.0
FOUR_MIB = 4 * 1024 * 1024


@pytest.fixture(scope="module")
def guests(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    directory = tmp_path_factory.mktemp("limits")
    paths = {}
    for name in (
        "hostile_logs",
        "load_hang_start",
        "load_hang_initialize",
        "load_hang_configure",
        "trap_after_failed_call",
    ):
        path = directory / f"{name}.wasm"
        path.write_bytes(wat2wasm((WAT / f"{name}.wat").read_text()))
        paths[name] = path
    return paths


def run_cli(*args: str, stdin: bytes | None = None, timeout: float = 120) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "ingesthost", *args], input=stdin, capture_output=True, cwd=ROOT, timeout=timeout
    )


def within(seconds: float, call: Callable[[], Any], on_overrun: Callable[[], None] | None = None) -> Any:
    """``call()``'s result (or exception, re-raised), failing the test if it
    takes longer than ``seconds`` (then ``on_overrun`` unblocks it)."""
    outcome: dict[str, Any] = {}

    def target() -> None:
        try:
            outcome["value"] = call()
        except BaseException as exc:  # noqa: BLE001 - handed to the test thread
            outcome["error"] = exc

    thread = threading.Thread(target=target, daemon=True)
    thread.start()
    thread.join(seconds)
    if thread.is_alive():
        if on_overrun is not None:
            on_overrun()
        thread.join(10)
        pytest.fail(f"did not return within {seconds} s")
    if "error" in outcome:
        raise outcome["error"]
    return outcome.get("value")


def kill_worker(pipeline: IsolatedPipeline) -> Callable[[], None]:
    def kill() -> None:
        worker = pipeline._worker
        if worker is not None:
            worker.kill()

    return kill


def guest_lines(caplog: pytest.LogCaptureFixture, logger: str) -> list[str]:
    return [record.getMessage() for record in caplog.records if record.name == logger]


# ---------------------------------------------------------------------------
# 1. Deadlines hold however many messages the worker sends
# ---------------------------------------------------------------------------


def test_a_guest_logging_in_an_endless_loop_is_timed_out(guests: dict[str, Path]) -> None:
    with IsolatedPipeline.from_module(guests["hostile_logs"], tag="chatty", timeout=0.5) as pipeline:
        started = time.monotonic()
        with pytest.raises(ProcessorError) as info:
            within(BOUND, lambda: pipeline.process({"hang": 1}), kill_worker(pipeline))
        assert time.monotonic() - started < BOUND
        assert (info.value.kind, info.value.tag) == ("timeout", "chatty")
        assert info.value.reason == "guest ran longer than its 0.5 s timeout"
        assert pipeline.process({"n": 2}) == {"n": 2, "processed": True}
        assert pipeline.timeouts == 1


def test_cli_timeout_holds_for_a_guest_logging_in_a_loop(guests: dict[str, Path], tmp_path: Path) -> None:
    started = time.monotonic()
    failures = tmp_path / "failures.ndjson"
    result = run_cli(
        "process", "-", "--module", str(guests["hostile_logs"]), "--timeout", "1", "--failures", str(failures),
        stdin=b'{"hang":1}\n{"x":1}\n', timeout=BOUND + 30,
    )
    assert time.monotonic() - started < BOUND
    assert result.returncode == 1, result.stderr[-2000:]
    assert result.stdout == b'{"x":1,"processed":true}\n'
    (record,) = [json.loads(line) for line in failures.read_text().splitlines()]
    assert (record["line"], record["error"]["kind"]) == (1, "timeout")
    assert record["error"]["message"] == "guest ran longer than its 1.0 s timeout"
    # the log budget: 100 "still spinning" lines, not a flood
    assert result.stderr.count(b"still spinning") == abi.MAX_LOG_LINES_PER_DOCUMENT


class _SlowHandler(logging.Handler):
    """A parent-side handler slower than the worker's logging (stderr to a
    slow terminal, a log shipper): messages pile up in the pipe."""

    def __init__(self) -> None:
        super().__init__()
        self.count = 0

    def emit(self, record: logging.LogRecord) -> None:
        self.count += 1
        time.sleep(0.0002)


FLOOD_LOGGER = "ingesthost.guest.flood_test"


@pytest.fixture
def slow_flood_logger() -> Any:
    """The flood's logger, in the parent: a slow handler and no propagation
    (pytest would keep every record in memory)."""
    target = logging.getLogger(FLOOD_LOGGER)
    handler = _SlowHandler()
    target.addHandler(handler)
    target.propagate = False
    try:
        yield handler
    finally:
        target.removeHandler(handler)
        target.propagate = True


class FloodProcessor(Processor):
    """Test-only: holds the watchdog's clock like a guest call, then logs
    forever without any log budget (what guest code could do if a budget
    failed): the parent must still kill it at the deadline."""

    type = "flood_test"
    timeout = None

    def execute(self, document: IngestDocument) -> IngestDocument | None:
        from ingesthost.processors import wasm

        if "flood" not in document.source:
            document.source["ok"] = True
            return document
        token = wasm.watchdog.enter(self)
        try:
            target = logging.getLogger(FLOOD_LOGGER)
            while True:
                target.warning("flooding the parent")
        finally:
            wasm.watchdog.leave(token)


def flood_pipeline() -> Pipeline:
    """Factory for IsolatedPipeline.from_factory (runs in the worker)."""
    return Pipeline([FloodProcessor(tag="flood")])


def flood_at_load() -> Pipeline:
    """Factory that floods the parent with log lines from inside a guest
    set-up call (watched like one), never returning."""
    from ingesthost.processors import wasm

    wasm.watchdog.enter_load("flood.wasm", "configure", "f")
    target = logging.getLogger(FLOOD_LOGGER)
    while True:
        target.warning("still loading")


def test_the_parent_enforces_deadlines_however_many_messages_arrive(slow_flood_logger: _SlowHandler) -> None:
    with IsolatedPipeline.from_factory(flood_pipeline, timeout=0.5) as pipeline:
        results = within(BOUND, lambda: list(pipeline.process_many([{"n": 1}, {"flood": 1}, {"n": 3}])), kill_worker(pipeline))
        assert pipeline.timeouts == 1
    assert [r.status for r in results] == ["ok", "failed", "ok"]
    error = results[1].error
    assert (error.kind, error.tag, error.reason) == ("timeout", "flood", "guest ran longer than its 0.5 s timeout")
    assert slow_flood_logger.count > 0  # the messages did reach the parent


def test_the_parent_enforces_the_load_deadline_however_many_messages_arrive(slow_flood_logger: _SlowHandler) -> None:
    started = time.monotonic()
    with pytest.raises(ModuleLoadError) as info:
        within(BOUND, lambda: IsolatedPipeline.from_factory(flood_at_load, load_timeout=0.5))
    assert time.monotonic() - started < BOUND
    assert str(info.value) == (
        "cannot load wasm module flood.wasm: configure did not return within 0.5 s (load_timeout, processor tag [f])"
    )
    assert slow_flood_logger.count > 0


# ---------------------------------------------------------------------------
# 2. Log line size, log budget per document, failure message size
# ---------------------------------------------------------------------------


def test_long_log_lines_are_cut_and_counted(guests: dict[str, Path], caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.WARNING, logger="ingesthost.guest")
    with IsolatedPipeline.from_module(guests["hostile_logs"], tag="big") as pipeline:
        results = list(pipeline.process_many([{"big": 1}] * 3))
    assert [r.status for r in results] == ["ok"] * 3
    lines = guest_lines(caplog, "ingesthost.guest.big")
    omitted = FOUR_MIB - abi.MAX_LOG_LINE_BYTES
    assert lines == ["x" * abi.MAX_LOG_LINE_BYTES + f" [truncated, {omitted:,} more bytes]"] * 12
    assert omitted == 4_186_112


def test_cli_writes_kilobytes_not_megabytes_for_a_guest_logging_huge_lines(guests: dict[str, Path]) -> None:
    result = run_cli("process", "-", "--module", str(guests["hostile_logs"]), stdin=b'{"big":1}\n' * 3)
    assert result.returncode == 0, result.stderr[-2000:]
    assert len(result.stdout.splitlines()) == 3
    assert len(result.stderr) < 3 * 4 * (abi.MAX_LOG_LINE_BYTES + 200) + 1000  # was 50 MB
    assert result.stderr.count(b"[truncated, 4,186,112 more bytes]") == 12


def test_each_document_has_a_log_budget(guests: dict[str, Path], caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.WARNING, logger="ingesthost.guest")
    with IsolatedPipeline.from_module(guests["hostile_logs"], tag="many") as pipeline:
        results = list(pipeline.process_many([{"many": 1}, {"n": 2}, {"many": 1}]))
    assert [r.status for r in results] == ["ok"] * 3
    lines = guest_lines(caplog, "ingesthost.guest.many")
    summary = (
        "900 more log lines (15,300 bytes) of this document were not written: "
        "the log budget is 100 lines or 64 KiB per document"
    )
    # each document gets its own budget, and one line saying what was dropped
    assert lines == (["a line of chatter"] * 100 + [summary]) * 2


def test_the_log_budget_in_bytes() -> None:
    """At most 64 KiB of log text per document: eight 8 KiB lines, then nothing
    (a later short line is not written either: no gaps)."""
    driver = Driver.create()
    big = driver.place(b"y" * 20_000)
    small = driver.place(b"short")
    logger = driver.instance.host.logger
    records: list[str] = []

    class Keep(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            records.append(record.getMessage())

    handler = Keep()
    logger.addHandler(handler)
    try:
        run = driver.run({}, [("log", 2, big, 20_000)] * 9 + [("log", 2, small, 5)])
        assert run.results == [0] * 10
        cut = "y" * abi.MAX_LOG_LINE_BYTES + " [truncated, 11,808 more bytes]"
        assert records[:8] == [cut] * 8
        assert records[8:] == [
            "2 more log lines (20,005 bytes) of this document were not written: "
            "the log budget is 100 lines or 64 KiB per document"
        ]
        records.clear()
        driver.run({}, [("log", 2, small, 5)])  # the next document starts afresh
        assert records == ["short"]
    finally:
        logger.removeHandler(handler)


def test_a_line_is_cut_at_a_character_boundary() -> None:
    text = ("é" * abi.MAX_LOG_LINE_BYTES).encode()  # 2 bytes each: the limit falls between two
    assert abi.cut_utf8(text, 5) == ("éé", len(text) - 4)
    assert abi.cut_utf8("a€".encode(), 2) == ("a", 3)
    assert abi.cut_utf8(b"abc", 3) == ("abc", 0)
    assert abi.cut_utf8(b"\x80" * 10, 4) == ("\ufffd" * 4, 6)  # not UTF-8: cut at the limit


def test_a_guest_failure_message_is_capped(guests: dict[str, Path], caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.ERROR, logger="ingesthost.guest")
    with IsolatedPipeline.from_module(guests["hostile_logs"], tag="fails") as pipeline:
        (result,) = list(pipeline.process_many([{"fail": 1}]))
        output, failures = io.BytesIO(), io.BytesIO()
        summary = pipeline.run(io.BytesIO(b'{"fail":1}\n'), output, failures, source="in.ndjson")
    omitted = 1024 * 1024 - abi.MAX_FAILURE_MESSAGE_BYTES
    expected = "e" * abi.MAX_FAILURE_MESSAGE_BYTES + f" [truncated, {omitted:,} more bytes]"
    assert result.status == "failed" and result.error is not None
    assert result.error.reason == expected
    assert summary.failed == 1
    (record,) = [json.loads(line) for line in failures.getvalue().splitlines()]
    assert record["error"]["message"] == expected
    # the line that became the failure message is not also logged (it would report the failure twice)
    assert not any(line.startswith("eeee") for line in guest_lines(caplog, "ingesthost.guest.fails"))


def test_configure_rejection_message_is_capped_too() -> None:
    wat = """
    (module
      (import "elastic" "elastic_log" (func $log (param i32 i32 i32) (result i32)))
      (memory (export "memory") 2)
      (func (export "malloc") (param i32) (result i32) (i32.const 70000))
      (func (export "configure") (param i32 i32) (result i32)
        (drop (call $log (i32.const 3) (i32.const 0) (i32.const 65536)))
        (i32.const 1))
      (func (export "process") (result i32) (i32.const 0)))
    """
    from helpers import compile_wat

    module = compile_wat(wat)
    with pytest.raises(ModuleLoadError) as info:
        module.instantiate()
    assert info.value.problem == (
        "configure rejected the params: " + "\0" * abi.MAX_FAILURE_MESSAGE_BYTES + " [truncated, 61,440 more bytes]"
    )


# ---------------------------------------------------------------------------
# 3. Guest code at load has its own time limit
# ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    "guest, export",
    [
        ("load_hang_start", "start function"),
        ("load_hang_initialize", "_initialize"),
        ("load_hang_configure", "configure"),
    ],
)
def test_a_module_that_hangs_while_loading_is_stopped_by_load_timeout(
    guests: dict[str, Path], guest: str, export: str
) -> None:
    started = time.monotonic()
    with pytest.raises(ModuleLoadError) as info:
        within(BOUND, lambda: IsolatedPipeline.from_module(guests[guest], tag="kv", timeout=30, load_timeout=0.5))
    elapsed = time.monotonic() - started
    assert 0.5 <= elapsed < BOUND
    assert info.value.module == str(guests[guest])
    assert info.value.problem == f"{export} did not return within 0.5 s (load_timeout, processor tag [kv])"


def test_load_timeout_applies_in_pipeline_files_too(guests: dict[str, Path], tmp_path: Path) -> None:
    pipeline = tmp_path / "p.yml"
    pipeline.write_text(
        f"processors:\n  - wasm: {{module: {BENCH_EDIT}, tag: fine}}\n"
        f"  - wasm: {{module: {guests['load_hang_initialize']}}}\n"
    )
    with pytest.raises(ModuleLoadError, match=r"_initialize did not return within 0\.25 s \(load_timeout\)$"):
        within(BOUND, lambda: IsolatedPipeline.from_file(pipeline, load_timeout=0.25))


def test_cli_stops_a_module_that_hangs_while_loading_after_the_default_load_timeout(guests: dict[str, Path]) -> None:
    """``--timeout`` is for documents; loading has its own default limit (10 s), not the 120 s start-up limit."""
    from ingesthost.workers import DEFAULT_LOAD_TIMEOUT

    started = time.monotonic()
    result = run_cli(
        "process", "-", "--module", str(guests["load_hang_initialize"]), "--timeout", "1", stdin=b"{}\n"
    )
    elapsed = time.monotonic() - started
    assert result.returncode == 2, result.stderr[-2000:]
    assert DEFAULT_LOAD_TIMEOUT <= elapsed < DEFAULT_LOAD_TIMEOUT + BOUND
    message = f"module {guests['load_hang_initialize']}: _initialize did not return within 10.0 s (load_timeout)"
    assert message.encode() in result.stderr


def test_compiling_is_not_counted_in_load_timeout(tmp_path: Path) -> None:
    """A module compiled afresh (no cache) loads with a load_timeout far
    shorter than its compilation: only guest code is timed."""
    from ingesthost.engine import Engine

    started = time.perf_counter()
    Engine("cranelift").compile(BENCH_EDIT.read_bytes())
    compile_seconds = time.perf_counter() - started
    load_timeout = max(compile_seconds / 4, 0.02)
    with IsolatedPipeline.from_module(BENCH_EDIT, cache=False, load_timeout=load_timeout) as pipeline:
        assert pipeline.process({"user": {"name": "a"}})["summary"] == "a:-"


def crash_in_set_up() -> Pipeline:
    """Factory whose worker dies (SIGSEGV) inside a guest set-up call."""
    import os
    import signal

    from ingesthost.processors import wasm

    wasm.watchdog.enter_load("crash.wasm", "configure", None)
    os.kill(os.getpid(), signal.SIGSEGV)
    raise AssertionError("unreachable")


def test_a_crash_in_a_set_up_call_names_the_module_and_the_export() -> None:
    from ingesthost.workers import WorkerError

    with pytest.raises(WorkerError) as info:
        IsolatedPipeline.from_factory(crash_in_set_up)
    assert str(info.value) == (
        "the worker process died while loading the pipeline (SIGSEGV) in configure of module crash.wasm"
    )


@pytest.mark.parametrize("value", [0, -1, "10", True, float("inf")])
def test_load_timeout_must_be_a_positive_number(value: Any) -> None:
    with pytest.raises(IngestHostError, match="load_timeout must be a positive number of seconds"):
        IsolatedPipeline.from_module(BENCH_EDIT, load_timeout=value)


def test_the_document_timeout_still_covers_a_re_created_instance(guests: dict[str, Path]) -> None:
    """After a trap, the fresh instance's set-up runs under the document's
    deadline, as before (not under load_timeout)."""
    with IsolatedPipeline.from_module(guests["trap_after_failed_call"], timeout=0.5, load_timeout=60) as pipeline:
        results = list(pipeline.process_many([{"x": 1}, {"user": {"name": "b"}}]))
    assert [r.status for r in results] == ["failed", "ok"]


# ---------------------------------------------------------------------------
# 4. A trap names the last host call that did not return Ok
# ---------------------------------------------------------------------------


def test_a_trap_names_the_last_failed_host_call_through_the_worker(guests: dict[str, Path]) -> None:
    with IsolatedPipeline.from_module(guests["trap_after_failed_call"], tag="sdk") as pipeline:
        results = list(pipeline.process_many([{"user": {"name": "a"}}, {"user": {}}, {"user": {"name": "c"}}]))
        output, failures = io.BytesIO(), io.BytesIO()
        pipeline.run(io.BytesIO(b'{"x":1}\n'), output, failures, source="in.ndjson")
    expected = (
        'guest trapped: unreachable (the last host call that did not return Ok: '
        'elastic_get_field("user.name") -> NotFound)'
    )
    assert [r.status for r in results] == ["ok", "failed", "ok"]
    assert results[0].document == {"user": {"name": "a"}, "seen": True}
    error = results[1].error
    assert (error.kind, error.tag, error.reason) == ("guest_trap", "sdk", expected)
    (record,) = [json.loads(line) for line in failures.getvalue().splitlines()]
    assert record["error"]["message"] == expected


def test_a_trap_message_is_per_document() -> None:
    """A failed call of an earlier document is not blamed for a later trap."""
    driver = Driver.create()
    key = driver.place(b"missing.key")
    assert driver.run({}, [("get_field", key, 11, 0x40, 0x44)]).results == [abi.Status.NOT_FOUND]
    with pytest.raises(GuestTrap) as info:
        driver.run({}, [("abi_version",), ("trap",)])
    assert str(info.value) == "unreachable"


@pytest.mark.parametrize(
    "make_calls, expected",
    [
        (
            lambda d: [("get_field", 0xFFFFFFF0, 4, 0x40, 0x44)],
            "elastic_get_field(4294967280, 4, 64, 68) -> InvalidArgument (out of bounds)",
        ),
        (
            lambda d: [("get_field", d.place(b"a\xffb"), 3, 0x40, 0x44)],
            'elastic_get_field("a\ufffdb") -> InvalidArgument (not UTF-8 or not a valid field path)',
        ),
        (
            lambda d: [("put_field", d.place(b"a.b"), 3, d.place(b"{nope"), 5)],
            'elastic_put_field("a.b") -> InvalidArgument (the value is not UTF-8 JSON)',
        ),
        (
            lambda d: [("remove_field", d.place(b"gone"), 4)],
            'elastic_remove_field("gone") -> NotFound',
        ),
        (lambda d: [("log", 9, 0, 0)], "elastic_log(9, 0, 0) -> InvalidArgument (no such level)"),
        (
            lambda d: [("time", 0xFFFFFFFC)],
            "elastic_get_current_time_nanoseconds(4294967292) -> InvalidArgument (out of bounds)",
        ),
        (  # later Ok calls do not hide the failed one
            lambda d: [("get_field", d.place(b"nope"), 4, 0x40, 0x44), ("put_field", d.place(b"k"), 1, d.place(b"1"), 1)],
            'elastic_get_field("nope") -> NotFound',
        ),
    ],
)
def test_trap_messages_name_the_failed_call(make_calls: Callable[[Driver], list], expected: str) -> None:
    driver = Driver.create()
    calls = make_calls(driver) + [("trap",)]
    with pytest.raises(GuestTrap) as info:
        driver.run({"a": 1}, calls)
    assert str(info.value) == f"unreachable (the last host call that did not return Ok: {expected})"


def test_a_very_long_key_is_shortened_in_the_trap_message() -> None:
    driver = Driver.create()
    key = b"k" * 5000
    with pytest.raises(GuestTrap) as info:
        driver.run({}, [("get_field", driver.place(key), len(key), 0x40, 0x44), ("trap",)])
    assert str(info.value) == (
        'unreachable (the last host call that did not return Ok: elastic_get_field("'
        + "k" * 200
        + '"...) -> NotFound)'
    )


def test_ok_calls_do_not_record_anything(engine: Any) -> None:
    driver = Driver(load_wat("driver", engine).instantiate())
    key, value = driver.place(b"a"), driver.place(b"1")
    run = driver.run(
        {"a": 0},
        [("get_field", key, 1, 0x40, 0x44), ("put_field", key, 1, value, 1), ("time", 0x48), ("abi_version",)],
    )
    assert run.results[:3] == [0, 0, 0]
    assert driver.instance.host.last_failed_call is None


@pytest.mark.parametrize("export", ["start", "initialize", "configure"])
def test_cli_load_timeout_option_bounds_each_set_up_export(guests: dict[str, Path], export: str) -> None:
    started = time.monotonic()
    result = run_cli(
        "process", "-", "--module", str(guests[f"load_hang_{export}"]), "--load-timeout", "0.5",
        *(["--param", "a=1"] if export == "configure" else []), stdin=b"{}\n",
    )
    assert result.returncode == 2, result.stderr[-2000:]
    assert time.monotonic() - started < 0.5 + BOUND
    name = {"start": "start function", "initialize": "_initialize", "configure": "configure"}[export]
    assert f"did not return within 0.5 s (load_timeout)".encode() in result.stderr
    assert name.encode() in result.stderr
    bad = run_cli("process", "-", "--module", str(guests["load_hang_start"]), "--load-timeout", "0", stdin=b"{}\n")
    assert bad.returncode == 2 and b"--load-timeout must be a positive number" in bad.stderr
