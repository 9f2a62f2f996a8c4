"""Fluent Bit filters built from source (``fixtures/fluentbit``), run through
the pipeline API and the CLI:

- ``wrap_tag.wasm`` (C, no libc, libc functions imported from ``env``, no
  ``malloc`` export, json mode): ``{"tag": <tag>, "original": <record>}``,
  and one ``printf`` line per record, which goes to the log.
- ``count_keys.wasm`` (Rust ``wasm32-unknown-unknown``, no crates, no
  ``malloc`` export, msgpack mode): the record with ``"filtered": true`` and
  ``"count"`` (the record's number of keys), decoded and re-encoded by its
  own MessagePack code into a static buffer.

The checked-in ``.wasm`` files are what ``fixtures/fluentbit/build.sh``
builds, byte for byte. The build test needs clang/wasm-ld and Debian's rustc
with the wasm32 std; where missing it skips, unless
INGESTHOST_REQUIRE_TOOLCHAINS=1, where it fails.
"""

from __future__ import annotations

import json
import logging
import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from ingesthost import Pipeline, ProcessorError
from ingesthost.engine import Engine
from ingesthost.inspection import inspect_module

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = ROOT / "fixtures" / "fluentbit"
WRAP_TAG = FIXTURES / "wrap_tag.wasm"
COUNT_KEYS = FIXTURES / "count_keys.wasm"
BUILD = FIXTURES / "build.sh"


def _toolchain_problem() -> str | None:
    for tool in ("clang", "wasm-ld"):
        if shutil.which(tool) is None:
            return f"{tool} is missing (apt: clang lld)"
    if not os.access("/usr/bin/rustc", os.X_OK):
        return "/usr/bin/rustc is missing (apt: rustc)"
    if not Path("/usr/lib/rustlib/wasm32-unknown-unknown").is_dir():
        return "/usr/lib/rustlib/wasm32-unknown-unknown is missing (apt: libstd-rust-dev-wasm32)"
    return None


@pytest.fixture(scope="module")
def toolchain() -> None:
    problem = _toolchain_problem()
    if problem:
        message = f"C and Rust wasm toolchains needed: {problem}; run scripts/setup.sh --dev"
        if os.environ.get("INGESTHOST_REQUIRE_TOOLCHAINS") == "1":
            pytest.fail(message)
        pytest.skip(message)


def fluentbit(module: Path, function: str, **options: Any) -> dict:
    return {"wasm": {"module": str(module), "abi": "fluentbit", "function_name": function, **options}}


def pipeline_of(*processors: dict) -> Pipeline:
    return Pipeline.from_definition({"processors": list(processors)})


def run_cli(*args: str, stdin: bytes | None = None) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "ingesthost", *args], input=stdin, check=False, capture_output=True, cwd=ROOT, timeout=120
    )


# -- the build -----------------------------------------------------------------------


@pytest.mark.usefixtures("toolchain")
def test_build_is_reproducible(tmp_path: Path) -> None:
    """A fresh build (into another directory, from another working directory)
    is byte-for-byte the checked-in modules; ``--check`` says so too."""
    out = tmp_path / "out"
    result = subprocess.run(["sh", str(BUILD), str(out)], check=False, cwd=tmp_path, capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stdout + result.stderr
    for name in ("wrap_tag.wasm", "count_keys.wasm"):
        assert (out / name).read_bytes() == (FIXTURES / name).read_bytes(), f"{name} differs from a fresh build"
    assert sorted(p.name for p in out.iterdir()) == ["count_keys.wasm", "wrap_tag.wasm"]
    check = subprocess.run(["sh", str(BUILD), "--check"], check=False, capture_output=True, text=True, timeout=300)
    assert check.returncode == 0, check.stdout + check.stderr
    assert "wrap_tag.wasm: up to date" in check.stdout and "count_keys.wasm: up to date" in check.stdout


def test_modules_have_the_shape_asked_for() -> None:
    """No allocator exported by either; the C one imports its libc from env only."""
    engine = Engine("cranelift")
    wrap = engine.compile(WRAP_TAG.read_bytes())
    assert sorted((i.module, i.name) for i in wrap.imports) == [
        ("env", name) for name in ("free", "malloc", "memcpy", "printf", "sprintf", "strlen")
    ]
    assert sorted(e.name for e in wrap.exports) == ["filter_wrap_tag", "memory"]
    count = engine.compile(COUNT_KEYS.read_bytes())
    assert list(count.imports) == []
    assert "malloc" not in {e.name for e in count.exports}
    for module, function in ((WRAP_TAG, "filter_wrap_tag"), (COUNT_KEYS, "filter_count_keys")):
        report = inspect_module(module)["fluentbit"]
        assert report["runnable"] is True and report["filter_functions"] == [function]


# -- wrap_tag (C, json) ---------------------------------------------------------------


def test_wrap_tag_wraps_each_record(caplog: pytest.LogCaptureFixture) -> None:
    docs = [
        {"a": 1},
        {"msg": "héllo \"quoted\" \\ \u0001", "f": 1.0, "n": None, "l": [1, 2.5, True], "o": {}},
        {},
    ]
    with (
        caplog.at_level(logging.INFO, logger="ingesthost.guest"),
        pipeline_of(fluentbit(WRAP_TAG, "filter_wrap_tag", tag="app.logs")) as pipeline,
    ):
        outs = [pipeline.process(doc) for doc in docs]
    assert outs == [{"tag": "app.logs", "original": doc} for doc in docs]
    assert type(outs[1]["original"]["f"]) is float and type(outs[1]["original"]["l"][0]) is int
    # printf reaches the log, one line per record, with the record's length as handed over
    lengths = [len(json.dumps(d, ensure_ascii=False, separators=(",", ":")).encode()) for d in docs]
    wrapper = len('{"tag":"app.logs","original":}')
    assert [r.getMessage() for r in caplog.records if r.name == "ingesthost.guest.app.logs"] == [
        f"wrap_tag: tag=app.logs record={n} bytes result={n + wrapper} bytes" for n in lengths
    ]


def test_wrap_tag_escapes_the_tag_and_takes_it_from_a_field() -> None:
    with pipeline_of(fluentbit(WRAP_TAG, "filter_wrap_tag", tag_field="route")) as pipeline:
        assert pipeline.process({"route": "a.b", "x": 1}) == {"tag": "a.b", "original": {"route": "a.b", "x": 1}}
        odd = 'we"ird\\tag\tx'
        assert pipeline.process({"route": odd}) == {"tag": odd, "original": {"route": odd}}
        assert pipeline.process({"x": 2}) == {"tag": "ingesthost", "original": {"x": 2}}


def test_wrap_tag_frees_its_previous_result() -> None:
    """Results come from the host heap through env.malloc; the filter frees
    the last one on the next call, so the heap holds one block at most."""
    with pipeline_of(fluentbit(WRAP_TAG, "filter_wrap_tag")) as pipeline:
        processor = pipeline.processors[0]
        pipeline.process({"n": 0})
        size = processor._instance.io.memory.size
        for index in range(300):
            assert pipeline.process({"n": index, "pad": "x" * (index % 50)}) == {
                "tag": "ingesthost", "original": {"n": index, "pad": "x" * (index % 50)}}
        assert len(processor._instance.io.heap.blocks) == 1
        assert processor._instance.io.memory.size == size


def test_wrap_tag_chained_with_count_keys() -> None:
    """Both in one pipeline: json then msgpack."""
    with pipeline_of(fluentbit(WRAP_TAG, "filter_wrap_tag", tag="t"),
                     fluentbit(COUNT_KEYS, "filter_count_keys", event_format="msgpack")) as pipeline:
        assert pipeline.process({"k": "v"}) == {"tag": "t", "original": {"k": "v"}, "filtered": True, "count": 2}


# -- count_keys (Rust, msgpack) ---------------------------------------------------------


COUNT_CASES = [
    ({}, {"filtered": True, "count": 0}),
    ({"a": 1}, {"a": 1, "filtered": True, "count": 1}),
    (
        {"i": 1, "f": 1.0, "zero": 0.0, "neg": -200, "small": -3, "big": 2**64 - 1, "min": -(2**63),
         "t": True, "no": False, "nil": None, "s": "é" * 20, "l": [0, 0.5, None, [1.25], {"x": -1}]},
        {"i": 1, "f": 1.0, "zero": 0.0, "neg": -200, "small": -3, "big": 2**64 - 1, "min": -(2**63),
         "t": True, "no": False, "nil": None, "s": "é" * 20, "l": [0, 0.5, None, [1.25], {"x": -1}],
         "filtered": True, "count": 12},
    ),
    # existing keys are replaced; count is the record's number of keys
    ({"filtered": False, "count": "many", "x": 1}, {"x": 1, "filtered": True, "count": 3}),
]


def test_count_keys_adds_filtered_and_count() -> None:
    with pipeline_of(fluentbit(COUNT_KEYS, "filter_count_keys", event_format="msgpack")) as pipeline:
        for _ in range(2):  # the instance (and its static buffer) is reused
            for doc, expected in COUNT_CASES:
                out = pipeline.process(doc)
                assert out == expected
                assert list(out)[-2:] == ["filtered", "count"]
                assert type(out["count"]) is int and out["filtered"] is True
        out = pipeline.process(COUNT_CASES[2][0])
    for key in ("i", "neg", "small", "big", "min"):
        assert type(out[key]) is int, key
    for key in ("f", "zero"):
        assert type(out[key]) is float, key
    assert type(out["l"][0]) is int and type(out["l"][1]) is float and type(out["l"][3][0]) is float


def test_count_keys_large_maps_and_strings() -> None:
    """map16 / str8 / str16 / array16 forms, decoded and written back."""
    doc = {f"k{i:03}": i * 1000 for i in range(300)}
    doc["long"] = "y" * 70_000
    doc["mid"] = "z" * 200
    doc["arr"] = list(range(20))
    with pipeline_of(fluentbit(COUNT_KEYS, "filter_count_keys", event_format="msgpack")) as pipeline:
        assert pipeline.process(doc) == {**doc, "filtered": True, "count": 303}


def test_count_keys_result_too_large_traps_and_the_next_runs() -> None:
    with pipeline_of(fluentbit(COUNT_KEYS, "filter_count_keys", event_format="msgpack")) as pipeline:
        try:
            pipeline.process({"huge": "x" * (1 << 20)})
        except ProcessorError as exc:
            error = exc
        else:
            raise AssertionError("a result larger than the static buffer must fail")
        assert error.kind == "guest_trap" and "filter_count_keys" in str(error)
        assert pipeline.process({"a": 1}) == {"a": 1, "filtered": True, "count": 1}


# -- through the CLI (default isolation: a worker process) ----------------------------


def test_cli_runs_both_filters(tmp_path: Path) -> None:
    source = tmp_path / "in.ndjson"
    source.write_bytes('{"msg":"héllo","f":2.0,"i":2}\n{"a":1,"n":null,"l":[1,1.5]}\n{}\n'.encode())

    wrapped = run_cli("--log-level", "info", "process", str(source),
                      "--module", str(WRAP_TAG), "--fluentbit-function", "filter_wrap_tag")
    assert wrapped.returncode == 0, wrapped.stderr.decode()
    assert wrapped.stdout.decode() == (
        '{"tag":"ingesthost","original":{"msg":"héllo","f":2.0,"i":2}}\n'
        '{"tag":"ingesthost","original":{"a":1,"n":null,"l":[1,1.5]}}\n'
        '{"tag":"ingesthost","original":{}}\n'
    )
    # printf goes to the log (stderr), never to the output
    assert b"wrap_tag: tag=" not in wrapped.stdout
    assert wrapped.stderr.decode().count("wrap_tag: tag=ingesthost record=") == 3

    counted = run_cli("process", str(source), "--module", str(COUNT_KEYS),
                      "--fluentbit-function", "filter_count_keys", "--event-format", "msgpack")
    assert counted.returncode == 0, counted.stderr.decode()
    assert counted.stdout.decode() == (
        '{"msg":"héllo","f":2.0,"i":2,"filtered":true,"count":3}\n'
        '{"a":1,"n":null,"l":[1,1.5],"filtered":true,"count":3}\n'
        '{"filtered":true,"count":0}\n'
    )

    pipeline = tmp_path / "p.json"
    pipeline.write_text(json.dumps({"processors": [
        fluentbit(WRAP_TAG, "filter_wrap_tag", tag="app.logs"),
        fluentbit(COUNT_KEYS, "filter_count_keys", event_format="msgpack"),
    ]}))
    out = tmp_path / "out.ndjson"
    both = run_cli("process", str(source), "--pipeline", str(pipeline), "-o", str(out))
    assert both.returncode == 0, both.stderr.decode()
    assert out.read_text(encoding="utf-8") == (
        '{"tag":"app.logs","original":{"msg":"héllo","f":2.0,"i":2},"filtered":true,"count":2}\n'
        '{"tag":"app.logs","original":{"a":1,"n":null,"l":[1,1.5]},"filtered":true,"count":2}\n'
        '{"tag":"app.logs","original":{},"filtered":true,"count":2}\n'
    )

