"""Fluent Bit filter modules (``abi: fluentbit``): the real TinyGo filters of
``../shared/thirdparty/fluent-bit`` unchanged, and the hand-written
``tests/wat/fluentbit_*.wat`` filters for each rule of the contract."""

from __future__ import annotations

import hashlib
import json
import logging
import struct
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import msgpack
import pytest

from ingesthost import IsolatedPipeline, Pipeline, ProcessorError
from ingesthost.errors import PipelineConfigError
from ingesthost.inspection import inspect_module
from ingesthost.processors.fluentbit import FluentBitProcessor, parse_time
from ingesthost.runtime import wat2wasm

ROOT = Path(__file__).resolve().parent.parent
WAT = ROOT / "tests" / "wat"
FLUENT_BIT = ROOT.parent / "shared" / "thirdparty" / "fluent-bit"
#: sha256 of each module, from ../shared/thirdparty/README.md: the tests run these bytes.
THIRDPARTY = {
    "append_tag.wasm": "4016af0c6b98166125084fa09162c79751a614257ea861ccf27973b86863886b",
    "drop_record.wasm": "52d06be2af1c0303d19f1a8b7a0e94ae6f2c69d0f04ac8fd073e9d59770e406c",
    "say_hello.wasm": "28d750c04277fe9bf3c51f4e2d7c62939301a138427ab9b4a1c8f2433c53bb0d",
}


@pytest.fixture(scope="module")
def wasm_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Every tests/wat/fluentbit_*.wat compiled to a .wasm file."""
    directory = tmp_path_factory.mktemp("fluentbit")
    for wat in sorted(WAT.glob("fluentbit_*.wat")):
        (directory / (wat.stem + ".wasm")).write_bytes(wat2wasm(wat.read_text(encoding="utf-8")))
    return directory


def thirdparty(name: str) -> Path:
    path = FLUENT_BIT / name
    assert hashlib.sha256(path.read_bytes()).hexdigest() == THIRDPARTY[name], f"{path} is not the module the README lists"
    return path


def filter_pipeline(module: Path, function: str, **options: Any) -> Pipeline:
    wasm = {"module": str(module), "abi": "fluentbit", "function_name": function, **options}
    return Pipeline.from_definition({"processors": [{"wasm": wasm}]})


def run_one(pipeline: Pipeline, doc: dict) -> Any:
    """The processed document, None (dropped) or the ProcessorError."""
    try:
        return pipeline.process(doc)
    except ProcessorError as exc:
        return exc


def run_cli(*args: str, stdin: bytes | None = None) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "ingesthost", *args], input=stdin, capture_output=True, cwd=ROOT, timeout=120
    )


# -- the real Fluent Bit test modules (TinyGo, wasm32-wasi), unchanged ------------


def test_append_tag_adds_the_tag() -> None:
    with filter_pipeline(thirdparty("append_tag.wasm"), "filter_append_tag", tag="test.wasm") as pipeline:
        for _ in range(3):  # the instance is kept across records
            assert pipeline.process({"key": "val"}) == {"key": "val", "tag": "test.wasm"}


def test_append_tag_takes_the_tag_from_a_field() -> None:
    with filter_pipeline(thirdparty("append_tag.wasm"), "filter_append_tag", tag_field="route") as pipeline:
        assert pipeline.process({"key": "val", "route": "a.b"}) == {"key": "val", "route": "a.b", "tag": "a.b"}
        # missing field: the fixed tag (processor tag, else "ingesthost")
        assert pipeline.process({"key": "val"}) == {"key": "val", "tag": "ingesthost"}
        error = run_one(pipeline, {"route": 5})
        assert isinstance(error, ProcessorError) and "tag_field [route] must be a string" in str(error)


def test_drop_record_drops() -> None:
    with filter_pipeline(thirdparty("drop_record.wasm"), "filter_drop_record") as pipeline:
        assert pipeline.process({"key": "val"}) is None
        assert pipeline.process({"key": "val", "n": 1}) is None


def test_say_hello_runs_and_prints_to_the_log(caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.INFO, logger="ingesthost.guest"):
        with filter_pipeline(thirdparty("say_hello.wasm"), "filter_say_hello", tag="hello") as pipeline:
            assert pipeline.process({"key": "val", "n": 7}) == {"key": "val", "n": 7}
    assert [r.getMessage() for r in caplog.records if r.name == "ingesthost.guest.hello"] == ["Hello from WASM!"]


def test_cli_runs_the_thirdparty_filters_isolated(tmp_path: Path) -> None:
    """Through the CLI with the default worker isolation; stdout of the guest never reaches the output."""
    source = tmp_path / "in.ndjson"
    source.write_text('{"key":"val"}\n{"key":"val","n":2,"f":2.0}\n')
    pipeline = tmp_path / "p.json"
    pipeline.write_text(json.dumps({"processors": [
        {"wasm": {"module": str(thirdparty("say_hello.wasm")), "abi": "fluentbit", "function_name": "filter_say_hello"}},
        {"wasm": {"module": str(thirdparty("append_tag.wasm")), "abi": "fluentbit",
                  "function_name": "filter_append_tag", "tag": "test.wasm"}},
    ]}))
    result = run_cli("process", str(source), "--pipeline", str(pipeline))
    assert result.returncode == 0, result.stderr.decode()
    assert [json.loads(line) for line in result.stdout.splitlines()] == [
        {"key": "val", "tag": "test.wasm"},
        {"key": "val", "n": 2, "f": 2.0, "tag": "test.wasm"},
    ]
    assert b"Hello from WASM" not in result.stdout

    dropped = run_cli("process", str(source), "--module", str(thirdparty("drop_record.wasm")),
                      "--fluentbit-function", "filter_drop_record")
    assert dropped.returncode == 0, dropped.stderr.decode()
    assert dropped.stdout == b""
    assert b"dropped 2" in dropped.stderr

    tagged = run_cli("process", "-", "--module", str(thirdparty("append_tag.wasm")),
                     "--fluentbit-function", "filter_append_tag", stdin=b'{"key":"val"}\n')
    assert tagged.returncode == 0, tagged.stderr.decode()
    assert json.loads(tagged.stdout) == {"key": "val", "tag": "ingesthost"}


def test_filter_run_as_an_elastic_guest_says_how_to_run_it() -> None:
    result = run_cli("process", "-", "--module", str(thirdparty("drop_record.wasm")), stdin=b"{}\n")
    assert result.returncode == 2
    message = result.stderr.decode()
    assert "Fluent Bit filter" in message and "--fluentbit-function filter_drop_record" in message
    assert '"abi": "fluentbit"' in message


def test_inspect_recognises_a_fluent_bit_filter(wasm_dir: Path) -> None:
    report = inspect_module(thirdparty("append_tag.wasm"))
    # `runnable` stays about the elastic ABI (what --module alone runs); the
    # `fluentbit` part says whether and how abi: fluentbit runs it.
    assert report["runnable"] is False and "missing required export `process`" in report["problem"]
    assert report["fluentbit"]["runnable"] is True
    assert report["fluentbit"]["filter_functions"] == ["filter_append_tag"]
    assert "--fluentbit-function filter_append_tag" in report["fluentbit"]["run"]
    result = run_cli("inspect", str(wasm_dir / "fluentbit_msgpack.wasm"))
    text = result.stdout.decode()
    assert "runnable:  yes, as a Fluent Bit filter: run it with" in text
    assert '"abi": "fluentbit"' in text and "host-managed region" in text
    refused = inspect_module(wasm_dir / "fluentbit_bad_import.wasm")
    assert refused["fluentbit"]["runnable"] is False and "env.fopen" in refused["fluentbit"]["problem"]
    assert inspect_module(ROOT / "fixtures" / "wasm" / "kv_parse.wasm").get("fluentbit") is None


# -- the contract, with hand-written filters ---------------------------------------


def test_c_style_filter_with_env_imports(wasm_dir: Path, caplog: pytest.LogCaptureFixture) -> None:
    """env printf/sprintf/malloc/strlen; no malloc export (host heap); tag and
    record NUL-terminated with the NUL not counted; __wasm_call_ctors run once,
    _start never; time from a field."""
    doc = {"msg": "héllo", "@timestamp": "2026-11-22T05:00:00.123456789Z"}
    with caplog.at_level(logging.INFO, logger="ingesthost.guest"):
        with filter_pipeline(wasm_dir / "fluentbit_c_env.wasm", "filter_c", tag="app.logs",
                             time_field="@timestamp") as pipeline:
            out = pipeline.process(doc)
            again = pipeline.process(doc)
    record = json.dumps(doc, ensure_ascii=False, separators=(",", ":")).encode()
    assert out == {
        "tag": "app.logs", "tag_len": 8, "tag_nul": 0,
        "sec": 1795323600, "nsec": 123456789,
        "len": len(record), "strlen": len(record), "rec_nul": 0,
        "ctors": 1, "pct": "100%", "hex": "ff", "pad": "  7",
    }
    assert again == out
    lines = [r.getMessage() for r in caplog.records if r.name == "ingesthost.guest.app.logs"]
    assert lines == [f"filter_c: tag app.logs, {len(record)} bytes"] * 2


def test_default_time_is_the_ingest_time(wasm_dir: Path) -> None:
    with filter_pipeline(wasm_dir / "fluentbit_c_env.wasm", "filter_c") as pipeline:
        before = time.time()
        out = pipeline.process({"a": 1})
    assert out["tag"] == "ingesthost"
    assert before - 1 <= out["sec"] + out["nsec"] / 1e9 <= time.time() + 1


def test_parse_time() -> None:
    assert parse_time(1700000000) == (1700000000, 0)
    assert parse_time(1.5) == (1, 500000000)
    assert parse_time("1970-01-01T00:00:01.5+01:00") == (-3599, 500000000)
    with pytest.raises(ValueError):
        parse_time("yesterday")


def test_json_round_trip_keeps_integers_and_floats(wasm_dir: Path) -> None:
    with filter_pipeline(wasm_dir / "fluentbit_json.wasm", "filter_echo") as pipeline:
        doc = {"i": 1, "f": 1.0, "big": 2**64 - 1, "neg": -(2**63), "nested": {"l": [0, 0.5, None, True]}}
        out = pipeline.process(doc)
        assert out == doc
        assert type(out["i"]) is int and type(out["f"]) is float and type(out["nested"]["l"][1]) is float
    with filter_pipeline(wasm_dir / "fluentbit_json.wasm", "filter_types") as pipeline:
        out = pipeline.process({})
        assert out == {"i": 1, "f": 1.0, "neg": -5, "max": 2**64 - 1, "e": 1.5e300, "s": "é"}
        assert type(out["i"]) is int and type(out["f"]) is float


def test_guest_malloc_and_free_release_every_buffer(wasm_dir: Path) -> None:
    """_initialize runs (filter_echo traps without it), __wasm_call_ctors does
    not (it traps), and every malloc'd tag and record is freed."""
    with filter_pipeline(wasm_dir / "fluentbit_json.wasm", "filter_echo") as pipeline:
        for index in range(50):
            assert pipeline.process({"n": index}) == {"n": index}
        processor = pipeline.processors[0]
        assert isinstance(processor, FluentBitProcessor)
        assert processor._instance._instance.exports.live.value == 0


def test_host_heap_is_reused_without_malloc(wasm_dir: Path) -> None:
    """No allocator exported: the host's region is freed after each call, so memory stops growing."""
    with filter_pipeline(wasm_dir / "fluentbit_trap.wasm", "filter_trap") as pipeline:
        processor = pipeline.processors[0]
        pipeline.process({"a": 1})
        size = processor._instance.io.memory.size
        for index in range(500):
            assert pipeline.process({"a": index}) == {"a": index}
        assert processor._instance.io.memory.size == size
        assert processor._instance.io.heap.blocks == {}


def test_null_and_empty_string_drop(wasm_dir: Path) -> None:
    for function in ("filter_null", "filter_empty"):
        with filter_pipeline(wasm_dir / "fluentbit_json.wasm", function) as pipeline:
            assert pipeline.process({"a": 1}) is None


def test_text_that_is_not_json_fails(wasm_dir: Path) -> None:
    with filter_pipeline(wasm_dir / "fluentbit_json.wasm", "filter_not_json") as pipeline:
        error = run_one(pipeline, {"a": 1})
    assert isinstance(error, ProcessorError)
    assert "filter_not_json returned text that is not JSON" in str(error) and "not json" in str(error)


def test_non_object_fails(wasm_dir: Path) -> None:
    with filter_pipeline(wasm_dir / "fluentbit_non_object.wasm", "filter_non_object") as pipeline:
        error = run_one(pipeline, {"a": 1})
    assert isinstance(error, ProcessorError) and error.kind == "guest_failure"
    assert "not a JSON object" in str(error) and "array" in str(error)


def test_pointer_outside_memory_fails(wasm_dir: Path) -> None:
    with filter_pipeline(wasm_dir / "fluentbit_bad_pointer.wasm", "filter_bad_pointer") as pipeline:
        error = run_one(pipeline, {"a": 1})
    assert isinstance(error, ProcessorError)
    assert "returned pointer 0xfffffff0, outside its memory" in str(error)


def test_no_nul_before_the_end_of_memory_fails(wasm_dir: Path) -> None:
    with filter_pipeline(wasm_dir / "fluentbit_no_nul.wasm", "filter_no_nul") as pipeline:
        error = run_one(pipeline, {"a": 1})
    assert isinstance(error, ProcessorError)
    assert "no NUL before the end of its memory" in str(error)


def test_trap_fails_the_document_and_the_next_one_runs(wasm_dir: Path) -> None:
    with filter_pipeline(wasm_dir / "fluentbit_trap.wasm", "filter_trap", tag="t") as pipeline:
        error = run_one(pipeline, {"long": "x" * 30})
        assert isinstance(error, ProcessorError) and error.kind == "guest_trap"
        assert "guest trapped in filter_trap" in str(error) and "unreachable" in str(error)
        assert pipeline.process({"a": 1}) == {"a": 1}
        assert pipeline.processors[0].replacements == 1


def test_loop_times_out_in_a_worker(wasm_dir: Path) -> None:
    definition = {"processors": [{"wasm": {"module": str(wasm_dir / "fluentbit_loop.wasm"), "abi": "fluentbit",
                                           "function_name": "filter_loop", "tag": "loop"}}]}
    with IsolatedPipeline.from_definition(definition, timeout=0.3) as pipeline:
        results = list(pipeline.process_many([{"a": 1}, {"long": "x" * 30}, {"b": 2}]))
        assert [r.status for r in results] == ["ok", "failed", "ok"]
        assert results[1].error.kind == "timeout"
        assert results[0].document == {"a": 1} and results[2].document == {"b": 2}
        assert pipeline.timeouts == 1


def test_loop_times_out_through_the_cli(wasm_dir: Path, tmp_path: Path) -> None:
    source = tmp_path / "in.ndjson"
    source.write_text('{"a":1}\n{"long":"xxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"}\n')
    out = tmp_path / "out.ndjson"
    result = run_cli("process", str(source), "--module", str(wasm_dir / "fluentbit_loop.wasm"),
                     "--fluentbit-function", "filter_loop", "--timeout", "0.3", "-o", str(out))
    assert result.returncode == 1, result.stderr.decode()
    assert out.read_text() == '{"a":1}\n'
    (failure,) = [json.loads(line) for line in (tmp_path / "out.failures.ndjson").read_text().splitlines()]
    assert failure["error"]["kind"] == "timeout" and failure["line"] == 2


def test_memory_cap_applies(wasm_dir: Path) -> None:
    """The host heap cannot grow past max_memory: the record does not fit, the document fails."""
    definition = {"processors": [{"wasm": {"module": str(wasm_dir / "fluentbit_trap.wasm"), "abi": "fluentbit",
                                           "function_name": "filter_trap", "max_memory": "128KiB"}}]}
    with Pipeline.from_definition(definition) as pipeline:
        assert pipeline.process({"a": 1}) == {"a": 1}
        error = run_one(pipeline, {"big": "x" * 300_000})
    assert isinstance(error, ProcessorError) and "no room for" in str(error)


# -- msgpack mode ------------------------------------------------------------------


def test_msgpack_echo_keeps_types_and_zero_bytes(wasm_dir: Path) -> None:
    doc = {"a": 0, "f": 0.0, "i": 1, "big": 2**64 - 1, "s": "x\u0000y", "l": [0, 1.5, None, False], "o": {}}
    with filter_pipeline(wasm_dir / "fluentbit_msgpack.wasm", "filter_echo", event_format="msgpack") as pipeline:
        out = pipeline.process(doc)
    assert out == doc
    assert type(out["a"]) is int and type(out["f"]) is float


def test_msgpack_reads_exactly_one_map(wasm_dir: Path) -> None:
    with filter_pipeline(wasm_dir / "fluentbit_msgpack.wasm", "filter_const", event_format="msgpack") as pipeline:
        out = pipeline.process({"z": 1})
    assert out == {"i": 1, "f": 1.0} and type(out["f"]) is float


def test_msgpack_errors_and_drop(wasm_dir: Path) -> None:
    module = wasm_dir / "fluentbit_msgpack.wasm"
    with filter_pipeline(module, "filter_array", event_format="msgpack") as pipeline:
        error = run_one(pipeline, {"a": 1})
    assert isinstance(error, ProcessorError) and "not a JSON object" in str(error)
    with filter_pipeline(module, "filter_truncated", event_format="msgpack") as pipeline:
        error = run_one(pipeline, {"a": 1})
    assert isinstance(error, ProcessorError) and "does not end before the end of its memory" in str(error)
    with filter_pipeline(module, "filter_ext", event_format="msgpack") as pipeline:
        error = run_one(pipeline, {"a": 1})
    assert isinstance(error, ProcessorError) and "extension value (type 5)" in str(error)
    with filter_pipeline(module, "filter_null", event_format="msgpack") as pipeline:
        assert pipeline.process({"a": 1}) is None


def test_msgpack_through_the_cli(wasm_dir: Path) -> None:
    result = run_cli("process", "-", "--module", str(wasm_dir / "fluentbit_msgpack.wasm"),
                     "--fluentbit-function", "filter_echo", "--event-format", "msgpack",
                     stdin=b'{"a":0,"f":1.0,"n":null}\n')
    assert result.returncode == 0, result.stderr.decode()
    assert result.stdout == b'{"a":0,"f":1.0,"n":null}\n'


def test_msgpack_record_is_exact(wasm_dir: Path) -> None:
    """The record handed over is the document's MessagePack, exact length, no NUL added."""
    from ingesthost.fluentbit import encode_record

    data = encode_record({"a": 0, "f": 1.5}, "msgpack")
    assert msgpack.unpackb(data) == {"a": 0, "f": 1.5}
    assert data == b"\x82\xa1a\x00\xa1f\xcb" + struct.pack(">d", 1.5)


# -- refused at load ---------------------------------------------------------------


def test_unknown_env_imports_are_refused_by_name(wasm_dir: Path) -> None:
    with pytest.raises(PipelineConfigError) as info:
        filter_pipeline(wasm_dir / "fluentbit_bad_import.wasm", "filter_x")
    message = str(info.value)
    assert "env.fopen" in message and "imports `env.printf` as (i32) -> (i32), the host provides (i32, i32) -> (i32)" in message


def test_missing_or_wrong_function_is_refused(wasm_dir: Path) -> None:
    module = wasm_dir / "fluentbit_json.wasm"
    with pytest.raises(PipelineConfigError, match="exports no function `filter_nope`.*filter_echo"):
        filter_pipeline(module, "filter_nope")
    with pytest.raises(PipelineConfigError, match="`not_a_filter` does not have the Fluent Bit filter signature"):
        filter_pipeline(module, "not_a_filter")
    with pytest.raises(PipelineConfigError, match="needs `function_name`"):
        Pipeline.from_definition({"processors": [{"wasm": {"module": str(module), "abi": "fluentbit"}}]})
    with pytest.raises(PipelineConfigError, match="`event_format` must be json or msgpack"):
        filter_pipeline(module, "filter_echo", event_format="xml")
    with pytest.raises(PipelineConfigError, match="unknown|function_name"):
        Pipeline.from_definition({"processors": [{"wasm": {"module": str(module), "function_name": "filter_echo"}}]})
    with pytest.raises(PipelineConfigError, match="`abi` must be elastic or fluentbit"):
        Pipeline.from_definition({"processors": [{"wasm": {"module": str(module), "abi": "wasi"}}]})
