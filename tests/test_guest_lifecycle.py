"""Guests from load to replacement: the module checks at load, ``_initialize``
and ``configure``, ``process`` results, traps and instance replacement."""

from __future__ import annotations

import gzip
import logging
from typing import Any

import pytest

from helpers import Driver, compile_wat, exports_of, load_wat, wat_bytes, wat_path, wat_processor
from ingesthost import IngestDocument, ModuleLoadError, Pipeline, ProcessorError
from ingesthost.guest import GuestModule, GuestTrap, read_module_bytes
from ingesthost.processors import WasmProcessor

#: Pieces of small inline modules (for the load-time checks).
MEMORY = '(memory (export "memory") 1)'
MALLOC = '(func (export "malloc") (param i32) (result i32) (i32.const 16))'
PROCESS = '(func (export "process") (result i32) (i32.const 0))'


def _module(*parts: str) -> str:
    return "(module " + " ".join(parts) + ")"


def _load(wat: str, engine, name: str = "guest.wasm") -> GuestModule:
    return compile_wat(wat, engine, name=name)


# --------------------------------------------------------------------------
# process results
# --------------------------------------------------------------------------


@pytest.fixture
def driver_processor(engine):
    processor = WasmProcessor(load_wat("driver", engine), tag="drv")
    yield processor
    processor.close()


def test_process_returning_0_keeps_the_document(driver_processor: WasmProcessor) -> None:
    document = IngestDocument({"a": 1})
    assert driver_processor.execute(document) is document
    assert document.source == {"a": 1}


def test_process_returning_4_drops_the_document(driver_processor: WasmProcessor) -> None:
    exports_of(driver_processor).set_result(4)
    assert driver_processor.execute(IngestDocument({"a": 1})) is None


def test_a_drop_stops_the_pipeline(engine) -> None:
    dropper = WasmProcessor(load_wat("driver", engine), tag="dropper")
    after = WasmProcessor(load_wat("driver", engine), tag="after")
    exports_of(dropper).set_result(4)
    with Pipeline([dropper, after]) as pipeline:
        assert pipeline.process({"a": 1}) is None
        assert exports_of(dropper).process_calls() == 1
        assert exports_of(after).process_calls() == 0  # later processors do not run
        exports_of(dropper).set_result(0)
        assert pipeline.process({"a": 1}) == {"a": 1}
        assert exports_of(after).process_calls() == 1


@pytest.mark.parametrize(
    "code,reason",
    [
        (1, "process returned 1 (InternalFailure)"),
        (2, "process returned 2 (InvalidArgument)"),
        (3, "process returned 3 (NotFound)"),
        (5, "process returned 5"),
        (7, "process returned 7"),
        (-1, "process returned -1"),
        (2147483647, "process returned 2147483647"),
    ],
)
def test_other_results_fail_the_document_with_the_status_name(
    driver_processor: WasmProcessor, code: int, reason: str
) -> None:
    exports_of(driver_processor).set_result(code)
    with pytest.raises(ProcessorError) as info:
        driver_processor.execute(IngestDocument({}))
    error = info.value
    assert error.reason == reason
    assert error.kind == "guest_failure"
    assert error.tag == "drv"
    assert error.processor_type == "wasm"
    assert str(error) == f"processor wasm [drv]: {reason}"
    assert driver_processor.replacements == 0  # a failure is not a trap


def test_failure_message_is_the_last_error_log_line(driver_processor: WasmProcessor) -> None:
    driver = Driver(driver_processor)
    exports_of(driver_processor).set_result(1)
    lines = [(3, b"field [x] is missing"), (4, b"cannot parse [x]"), (2, b"warn"), (1, b"info")]
    driver.script([("log", level, driver.place(text), len(text)) for level, text in lines])
    with pytest.raises(ProcessorError) as info:
        driver_processor.execute(IngestDocument({}))
    assert info.value.reason == "cannot parse [x]"
    assert info.value.tag == "drv"
    # an error line logged by a call that then succeeds is not kept for the next one
    exports_of(driver_processor).set_result(0)
    assert driver_processor.execute(IngestDocument({})) is not None
    exports_of(driver_processor).set_result(1)
    driver.script([])
    with pytest.raises(ProcessorError) as info:
        driver_processor.execute(IngestDocument({}))
    assert info.value.reason == "process returned 1 (InternalFailure)"


# --------------------------------------------------------------------------
# traps and replacement
# --------------------------------------------------------------------------


@pytest.mark.parametrize(
    "kind,message",
    [(1, "unreachable"), (2, "divide by zero"), (3, "out of bounds memory access"), (4, "call stack exhausted")],
)
def test_trap_fails_the_document_and_replaces_the_instance(engine, kind: int, message: str) -> None:
    processor = WasmProcessor(load_wat("counter", engine), tag="counting")
    try:
        first, second = IngestDocument({}), IngestDocument({})
        processor.execute(first)
        processor.execute(second)
        assert (first.source, second.source) == ({"count": 1, "configured": 1}, {"count": 2, "configured": 1})
        old_instance = processor._instance

        trapping = IngestDocument({"trap": kind})
        with pytest.raises(ProcessorError) as info:
            processor.execute(trapping)
        error = info.value
        assert error.kind == "guest_trap"
        assert error.tag == "counting"
        assert message in error.reason
        assert error.reason.startswith("guest trapped: ")
        assert "\n" not in error.reason
        assert message in str(error) and "[counting]" in str(error)
        assert trapping.source == {"trap": kind}

        # the next document runs on a fresh, freshly configured instance
        after = IngestDocument({})
        assert processor.execute(after) is after
        assert processor.replacements == 1
        assert processor._instance is not old_instance
        assert after.source == {"count": 1, "configured": 1}  # state was reset
        again = IngestDocument({})
        processor.execute(again)
        assert again.source == {"count": 2, "configured": 1}
        assert processor.replacements == 1
    finally:
        processor.close()


def test_every_trap_replaces_the_instance(engine) -> None:
    processor = WasmProcessor(load_wat("counter", engine), tag="t")
    try:
        for n in range(1, 4):
            with pytest.raises(ProcessorError):
                processor.execute(IngestDocument({"trap": 1}))
            doc = IngestDocument({})
            processor.execute(doc)
            assert doc.source["count"] == 1
            assert processor.replacements == n
    finally:
        processor.close()


def test_an_instance_that_cannot_be_re_created_fails_the_document(engine, monkeypatch) -> None:
    processor = WasmProcessor(load_wat("counter", engine), tag="fragile")
    try:
        with pytest.raises(ProcessorError):
            processor.execute(IngestDocument({"trap": 1}))

        def refuse(*args: Any, **kwargs: Any) -> None:
            raise ModuleLoadError("counter.wat", "out of address space")

        monkeypatch.setattr(processor.module, "instantiate", refuse)
        with pytest.raises(ProcessorError) as info:
            processor.execute(IngestDocument({}))
        assert info.value.kind == "host"
        assert info.value.tag == "fragile"
        assert "out of address space" in info.value.reason
        monkeypatch.undo()
        doc = IngestDocument({})
        assert processor.execute(doc) is doc
        assert doc.source["count"] == 1
        assert processor.replacements == 1
    finally:
        processor.close()


def test_trap_in_a_pipeline_reports_the_tag_and_the_pipeline_goes_on(engine) -> None:
    with Pipeline([WasmProcessor(load_wat("counter", engine), tag="cnt")]) as pipeline:
        with pytest.raises(ProcessorError) as info:
            pipeline.process({"trap": 1})
        assert info.value.tag == "cnt" and info.value.kind == "guest_trap"
        assert pipeline.process({"x": 1}) == {"x": 1, "count": 1, "configured": 1}


def test_driver_trap_op_via_guest_instance_raises_guest_trap(engine) -> None:
    driver = Driver.create(engine)
    with pytest.raises(GuestTrap, match="unreachable"):
        driver.run({}, [("trap",)])
    assert driver.instance.host.document is None  # not left bound to the failed document


# --------------------------------------------------------------------------
# configure and _initialize
# --------------------------------------------------------------------------


def _configured_params(processor: WasmProcessor) -> tuple[bytes, dict]:
    doc = IngestDocument({})
    processor.execute(doc)
    exports = exports_of(processor)
    raw = bytes(memoryview(exports.memory.buffer)[0x2000 : 0x2000 + exports.params_len()])
    return raw, doc.source


def test_configure_gets_an_empty_object_by_default(engine) -> None:
    processor = WasmProcessor(load_wat("configure_echo", engine))
    try:
        raw, source = _configured_params(processor)
    finally:
        processor.close()
    assert raw == b"{}"
    assert source == {"params": {}, "configure_calls": 1}


@pytest.mark.parametrize(
    "params",
    [
        {"field": "message", "target": "parsed"},
        {"n": 3, "list": [1, 2.5, None, True], "nested": {"é": "ünïcode ☃"}},
    ],
)
def test_configure_gets_the_params_as_json(engine, params: dict[str, Any]) -> None:
    processor = WasmProcessor(load_wat("configure_echo", engine), params, tag="echo")
    try:
        raw, source = _configured_params(processor)
        assert raw.decode("utf-8").startswith("{")
        assert source == {"params": params, "configure_calls": 1}
        # configure runs once per instance, not per document
        for _ in range(3):
            doc = IngestDocument({})
            processor.execute(doc)
            assert doc.source["configure_calls"] == 1
    finally:
        processor.close()


def test_register_is_accepted_as_the_configure_name(engine) -> None:
    module = load_wat("register_echo", engine)
    assert module.shape.configure_export == "register"
    processor = WasmProcessor(module, {"mode": "poc"})
    try:
        doc = IngestDocument({})
        processor.execute(doc)
        assert doc.source == {"params": {"mode": "poc"}}
    finally:
        processor.close()


def test_configure_wins_over_register(engine) -> None:
    module = load_wat("configure_and_register", engine)
    instance = module.instantiate(b'{"a":1}')  # register would fail the load
    try:
        assert instance._instance.exports.configured() == 1
    finally:
        instance.close()


def test_initialize_runs_before_configure(engine) -> None:
    """configure_echo's configure refuses to run before its _initialize."""
    module = load_wat("configure_echo", engine)
    assert module.shape.has_initialize
    instance = module.instantiate(b"{}")
    instance.close()
    # and the guard is real: without the _initialize export, configure refuses
    text = wat_path("configure_echo").read_text(encoding="utf-8")
    no_init = text.replace('(export "_initialize")', "")
    assert no_init != text
    with pytest.raises(ModuleLoadError, match="configure ran before _initialize"):
        compile_wat(no_init, engine, name="no_init").instantiate()


def test_configure_rejection_carries_the_last_error_line(engine) -> None:
    with pytest.raises(ModuleLoadError) as info:
        WasmProcessor(load_wat("configure_reject", engine), {"threshold": "high"})
    error = info.value
    assert "configure_reject.wat" in error.module
    assert "threshold must be a number" in error.problem
    assert "first complaint" not in error.problem
    assert "just saying" not in error.problem
    assert str(error).startswith(f"cannot load wasm module {error.module}: ")


def test_configure_rejection_without_a_log_line_names_the_code(engine) -> None:
    with pytest.raises(ModuleLoadError) as info:
        load_wat("configure_code7", engine).instantiate()
    assert "configure returned 7" in info.value.problem


def test_configure_params_need_malloc(engine) -> None:
    with pytest.raises(ModuleLoadError) as info:
        load_wat("configure_malloc_zero", engine).instantiate()
    assert "malloc" in info.value.problem
    assert "configure_malloc_zero" in str(info.value)


@pytest.mark.parametrize(
    "where,wat",
    [
        ("_initialize", '(func (export "_initialize") unreachable)'),
        ("configure", '(func (export "configure") (param i32 i32) (result i32) unreachable)'),
    ],
)
def test_trap_during_set_up_fails_the_load(engine, where: str, wat: str) -> None:
    module = compile_wat(_module(MEMORY, MALLOC, PROCESS, wat), engine, name=f"trap_in_{where}.wasm")
    with pytest.raises(ModuleLoadError) as info:
        module.instantiate()
    assert info.value.module == f"trap_in_{where}.wasm"
    assert "unreachable" in info.value.problem


def test_start_function_that_traps_fails_the_load(engine) -> None:
    module = compile_wat(
        _module(MEMORY, MALLOC, PROCESS, "(func $boom unreachable)", "(start $boom)"), engine, name="start.wasm"
    )
    with pytest.raises(ModuleLoadError) as info:
        WasmProcessor(module)
    assert info.value.module == "start.wasm"
    assert "unreachable" in info.value.problem


# --------------------------------------------------------------------------
# What the host refuses at load
# --------------------------------------------------------------------------

@pytest.mark.parametrize(
    "marker,version_text",
    [
        (None, "1.0 (no marker: pre-1.0 guest, run as 1.0)"),
        ("elastic_ingest_wasm_abi_1_0", "1.0"),
    ],
)
def test_accepted_abi_markers(engine, marker: str | None, version_text: str) -> None:
    parts = [MEMORY, MALLOC, PROCESS]
    if marker:
        parts.append(f'(func (export "{marker}"))')
    module = _load(_module(*parts), engine)
    assert module.shape.version_text == version_text
    assert (module.shape.abi_major, module.shape.abi_minor) == (1, 0)
    assert module.shape.declared_version is (marker is not None)
    processor = WasmProcessor(module)
    try:
        assert processor.execute(IngestDocument({"a": 1})) is not None
    finally:
        processor.close()


@pytest.mark.parametrize(
    "markers,problem",
    [
        (["elastic_ingest_wasm_abi_2_0"], "declares ABI 2.0"),
        (["elastic_ingest_wasm_abi_0_9"], "declares ABI 0.9"),
        (["elastic_ingest_wasm_abi_1_2"], "newer than this host's ABI 1.1"),
        (["elastic_ingest_wasm_abi_1_0", "elastic_ingest_wasm_abi_1_1"], "several ABI versions"),
        (["elastic_ingest_wasm_abi_1_0", "elastic_ingest_wasm_abi_2_0"], "several ABI versions"),
        (["elastic_ingest_wasm_abi_1"], "malformed"),
        (["elastic_ingest_wasm_abi_1_0_0"], "malformed"),
        (["elastic_ingest_wasm_abi_x_y"], "malformed"),
        (["elastic_ingest_wasm_abi_"], "malformed"),
        (["elastic_ingest_wasm_abi_1_0 "], "malformed"),
    ],
)
def test_refused_abi_markers(engine, markers: list[str], problem: str) -> None:
    parts = [MEMORY, MALLOC, PROCESS] + [f'(func (export "{m}"))' for m in markers]
    with pytest.raises(ModuleLoadError) as info:
        _load(_module(*parts), engine, name="versioned.wasm")
    assert info.value.module == "versioned.wasm"
    assert problem in info.value.problem
    assert "versioned.wasm" in str(info.value)


def test_marker_that_is_not_a_function_is_refused(engine) -> None:
    wat = _module(MEMORY, MALLOC, PROCESS, '(global (export "elastic_ingest_wasm_abi_1_0") i32 (i32.const 0))')
    with pytest.raises(ModuleLoadError, match="must be a function"):
        _load(wat, engine)


def test_marker_with_another_signature_is_refused(engine) -> None:
    """ABI.md: the marker has type () -> (), and a module that "exports one of
    the names above with another type" is refused at load."""
    marker = '(func (export "elastic_ingest_wasm_abi_1_0") (param i32) (result i32) (local.get 0))'
    with pytest.raises(ModuleLoadError) as info:
        _load(_module(MEMORY, MALLOC, PROCESS, marker), engine, name="odd_marker.wasm")
    assert info.value.module == "odd_marker.wasm"
    assert "elastic_ingest_wasm_abi_1_0" in info.value.problem
    assert "(i32) -> (i32)" in info.value.problem


@pytest.mark.parametrize(
    "data,problem",
    [
        (b"", "not a WebAssembly module"),
        (b"hello, world", "not a WebAssembly module"),
        (b'{"not": "wasm"}', "not a WebAssembly module"),
        (b"\0asm", "not a valid WebAssembly module"),
        (b"\0asm\x02\0\0\0", "not a valid WebAssembly module"),
        (b"\0asm\x01\0\0\0\x01\xff\xff", "not a valid WebAssembly module"),
    ],
    ids=["empty", "text", "json", "magic-only", "bad-version", "garbage-section"],
)
def test_bytes_that_are_not_wasm_are_refused(engine, data: bytes, problem: str) -> None:
    with pytest.raises(ModuleLoadError) as info:
        GuestModule.from_bytes(data, engine, name="junk.wasm")
    assert info.value.module == "junk.wasm"
    assert problem in info.value.problem
    assert "\n" not in str(info.value)


@pytest.mark.parametrize("cut", [1, 5, 20])
def test_truncated_wasm_is_refused(engine, cut: int) -> None:
    data = wat_bytes(_module(MEMORY, MALLOC, PROCESS, '(data (i32.const 0) "some data to cut short")'))
    with pytest.raises(ModuleLoadError) as info:
        GuestModule.from_bytes(data[:-cut], engine, name="cut.wasm")
    assert info.value.module == "cut.wasm"
    assert "not a valid WebAssembly module" in info.value.problem


def test_a_file_that_is_not_wasm_is_refused_naming_the_path(engine, tmp_path) -> None:
    path = tmp_path / "notes.wasm"
    path.write_text("these are notes")
    with pytest.raises(ModuleLoadError) as info:
        GuestModule.from_file(path, engine)
    assert info.value.module == str(path)
    gz = tmp_path / "guest.wasm.gz"
    gz.write_bytes(gzip.compress(wat_bytes(_module(MEMORY, MALLOC, PROCESS))))
    assert read_module_bytes(gz)[:4] == b"\0asm"
    assert GuestModule.from_file(gz, engine).name == str(gz)


@pytest.mark.parametrize(
    "parts,problems",
    [
        ([MALLOC, PROCESS], ["missing required export `memory`"]),
        ([MEMORY, PROCESS], ["missing required export `malloc`"]),
        ([MEMORY, MALLOC], ["missing required export `process`"]),
        (["(memory 1)"], ["`memory`", "`malloc`", "`process`"]),
        (
            ['(global (export "memory") i32 (i32.const 0))', MALLOC, PROCESS],
            ["export `memory` must be a memory"],
        ),
        (
            [MEMORY, '(func (export "malloc") (param i64) (result i64) (i64.const 16))', PROCESS],
            ["export `malloc` has signature (i64) -> (i64), expected (i32) -> (i32)"],
        ),
        (
            [MEMORY, '(func (export "malloc") (param i32) (i32.const 0) drop)', PROCESS],
            ["export `malloc` has signature (i32) -> (), expected (i32) -> (i32)"],
        ),
        (
            [MEMORY, '(global (export "malloc") i32 (i32.const 0))', PROCESS],
            ["export `malloc` must be a function"],
        ),
        (
            [MEMORY, MALLOC, '(func (export "process") (param i32) (result i32) (i32.const 0))'],
            ["export `process` has signature (i32) -> (i32), expected () -> (i32)"],
        ),
        (
            [MEMORY, MALLOC, '(func (export "process"))'],
            ["export `process` has signature () -> (), expected () -> (i32)"],
        ),
        (
            [MEMORY, MALLOC, PROCESS, '(func (export "configure") (param i32) (result i32) (i32.const 0))'],
            ["export `configure` has signature (i32) -> (i32), expected (i32, i32) -> (i32)"],
        ),
        (
            [MEMORY, MALLOC, PROCESS, '(func (export "register") (param i32 i32))'],
            ["export `register` has signature (i32, i32) -> (), expected (i32, i32) -> (i32)"],
        ),
        (
            [MEMORY, MALLOC, PROCESS, '(func (export "_initialize") (result i32) (i32.const 0))'],
            ["export `_initialize` has signature () -> (i32), expected () -> ()"],
        ),
        (
            [MEMORY, '(func (export "malloc") (param f32) (result i32) (i32.const 0))',
             '(func (export "process") (result i64) (i64.const 0))'],
            ["export `malloc` has signature (f32) -> (i32)", "export `process` has signature () -> (i64)"],
        ),
    ],
    ids=[
        "no-memory", "no-malloc", "no-process", "nothing", "memory-not-memory", "malloc-i64", "malloc-no-result",
        "malloc-global", "process-param", "process-no-result", "configure-sig", "register-sig", "initialize-sig",
        "two-problems",
    ],
)
def test_missing_or_mistyped_exports_are_refused(engine, parts: list[str], problems: list[str]) -> None:
    with pytest.raises(ModuleLoadError) as info:
        _load(_module(*parts), engine, name="shape.wasm")
    assert info.value.module == "shape.wasm"
    for problem in problems:
        assert problem in info.value.problem
    assert str(info.value).count("cannot load wasm module") == 1  # one error for all problems


@pytest.mark.parametrize(
    "imports,problem",
    [
        (['(import "env" "foo" (func))'], "imports what the host does not provide: env.foo"),
        (
            ['(import "wasi_snapshot_preview1" "fd_write" (func (param i32 i32 i32 i32) (result i32)))'],
            "imports WASI functions the processor was not granted: wasi_snapshot_preview1.fd_write",
        ),
        (
            ['(import "elastic" "elastic_get_field_v2" (func (param i32 i32) (result i32)))'],
            "imports what the host does not provide: elastic.elastic_get_field_v2",
        ),
        (['(import "env" "memory" (memory 1))'], "env.memory"),
        (
            ['(import "env" "a" (func))', '(import "env" "b" (global i32))'],
            "imports what the host does not provide: env.a, env.b",
        ),
        (
            ['(import "elastic" "elastic_log" (func (param i32 i32) (result i32)))'],
            "imports `elastic.elastic_log` as (i32, i32) -> (i32), the host provides (i32, i32, i32) -> (i32)",
        ),
        (
            ['(import "elastic" "elastic_abi_version" (func (result i64)))'],
            "imports `elastic.elastic_abi_version` as () -> (i64), the host provides () -> (i32)",
        ),
        (
            ['(import "elastic" "elastic_get_current_time_nanoseconds" (func (param i64) (result i32)))'],
            "imports `elastic.elastic_get_current_time_nanoseconds` as (i64) -> (i32)",
        ),
        (['(import "elastic" "elastic_put_field" (global i32))'], "imports `elastic.elastic_put_field` as"),
    ],
    ids=["env-foo", "wasi-fd_write", "elastic-unknown", "env-memory", "two-unknown", "log-sig", "abi-version-sig",
         "time-sig", "put-global"],
)
def test_imports_the_host_does_not_provide_are_refused(engine, imports: list[str], problem: str) -> None:
    # otherwise a valid guest; an imported memory is re-exported as `memory`
    imports_memory = any("(memory" in i for i in imports)
    memory = '(export "memory" (memory 0))' if imports_memory else MEMORY
    wat = _module(*imports, memory, MALLOC, PROCESS)
    with pytest.raises(ModuleLoadError) as info:
        _load(wat, engine, name="imports.wasm")
    assert info.value.module == "imports.wasm"
    assert problem in info.value.problem


def test_every_host_import_with_the_right_signature_is_accepted(engine) -> None:
    # driver.wat imports all six
    module = load_wat("driver", engine)
    assert sorted(module.shape.imports) == sorted(
        f"elastic.{name}"
        for name in (
            "elastic_get_field",
            "elastic_put_field",
            "elastic_remove_field",
            "elastic_get_current_time_nanoseconds",
            "elastic_log",
            "elastic_abi_version",
        )
    )


def test_unrelated_exports_are_ignored(engine) -> None:
    wat = _module(
        MEMORY, MALLOC, PROCESS,
        '(func (export "free") (param i32))',
        '(global (export "__heap_base") i32 (i32.const 1024))',
        '(table (export "__indirect_function_table") 1 funcref)',
    )
    module = _load(wat, engine)
    assert "free" in module.shape.exports


def test_the_logger_of_an_untagged_processor_is_the_module_stem(engine, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG, logger="ingesthost.guest.configure_reject")
    with pytest.raises(ModuleLoadError):
        wat_processor("configure_reject", engine=engine)
    # The Critical line is the refusal's message (in the ModuleLoadError), so it
    # is not also logged; the earlier Error line, which is not, is.
    assert [(r.name, r.levelno, r.getMessage()) for r in caplog.records] == [
        ("ingesthost.guest.configure_reject", logging.ERROR, "first complaint"),
        ("ingesthost.guest.configure_reject", logging.INFO, "just saying"),
    ]
