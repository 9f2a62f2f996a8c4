"""Two runtimes, one ABI: wasmer and wasmtime give the same results, each
does what only it can, and what a runtime cannot do is refused by name.

The comparisons need both runtimes (CPython 3.10); a newer CPython has
wasmtime only, and says so in ``INGESTHOST_EXPECT_RUNTIMES`` (CI sets it)
so that a missing runtime fails instead of going unnoticed.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest

from ingesthost import IngestHostError, Pipeline, PipelineConfigError, ProcessorError
from ingesthost import runtime as runtimes
from ingesthost.engine import CompilerUnavailableError, Engine
from ingesthost.loader import compile_artifact
from ingesthost.runtime import wat2wasm

ROOT = Path(__file__).resolve().parent.parent
WAT = ROOT / "tests" / "wat"
WASM = ROOT / "fixtures" / "wasm"
MODIFY_FIELDS = ROOT.parent / "shared" / "thirdparty" / "elastic-ingest-wasm-go" / "modify_fields.wasm.gz"
FLUENT_BIT = ROOT.parent / "shared" / "thirdparty" / "fluent-bit"
SAMPLE = ROOT / "fixtures" / "sample" / "access.ndjson"
SAMPLE_PIPELINE = ROOT / "fixtures" / "pipelines" / "access.yml"
VECTORS = ROOT / "abi_spec" / "vectors"

INSTALLED = runtimes.available()
both = pytest.mark.skipif(
    INSTALLED != runtimes.RUNTIMES,
    reason="compares wasmer with wasmtime: wasmer-python is installed on CPython 3.10 only",
)


def test_the_runtimes_expected_here_are_installed() -> None:
    expected = os.environ.get("INGESTHOST_EXPECT_RUNTIMES", "wasmer,wasmtime").split(",")
    assert list(INSTALLED) == expected
    assert runtimes.default_runtime() == os.environ.get("INGESTHOST_RUNTIME", expected[0])


def guest(tmp_path: Path, name: str) -> Path:
    path = tmp_path / f"{name}.wasm"
    path.write_bytes(wat2wasm((WAT / f"{name}.wat").read_text()))
    return path


def cli(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "ingesthost", *args],
        capture_output=True,
        cwd=ROOT,
        timeout=300,
        env={**os.environ, **(env or {})},
    )


def without_times(path: Path) -> list[Any]:
    """The records of an NDJSON file, minus what holds the current time."""
    records = []
    for line in path.read_text().splitlines():
        record = json.loads(line)
        record.get("event", {}).pop("ingested", None)
        record.pop("@timestamp", None) if "timestamp" in record.get("failure", {}) else None
        failure = record.get("failure")
        if isinstance(failure, dict):
            failure.pop("timestamp", None)
        records.append(record)
    return records


# -- the same results ---------------------------------------------------------------------------


@both
@pytest.mark.parametrize("isolation", ["none", "process"])
def test_the_sample_pipeline_gives_the_same_bytes_on_both(tmp_path: Path, isolation: str) -> None:
    outputs = {}
    for name in runtimes.RUNTIMES:
        out = tmp_path / f"{name}.ndjson"
        result = cli(
            "process", str(SAMPLE), "-p", str(SAMPLE_PIPELINE), "-o", str(out), "--runtime", name,
            "--isolation", isolation, "--no-cache",
        )
        assert result.returncode == 0, result.stderr.decode()
        summary = result.stderr.decode().strip().splitlines()[-1]
        assert "read 500, written 431, dropped 69, failed 0" in summary
        assert summary.endswith(f"runtime {name}")
        outputs[name] = without_times(out)
    assert outputs["wasmer"] == outputs["wasmtime"] and len(outputs["wasmer"]) == 431


@both
def test_the_proof_of_concept_module_gives_the_same_on_both(tmp_path: Path) -> None:
    """Elastic's own Go module (built by them), and conformance inputs with it."""
    docs = [json.loads(line) for line in SAMPLE.read_text().splitlines()[:50]]
    docs += [{"message": "x" * 5000}, {"a": {"b": [1, 2, {"c": None}]}}, {}]
    source = tmp_path / "in.ndjson"
    source.write_text("".join(json.dumps(doc) + "\n" for doc in docs))
    outputs = {}
    for name in runtimes.RUNTIMES:
        out = tmp_path / f"{name}.ndjson"
        result = cli("process", str(source), "-m", str(MODIFY_FIELDS), "-o", str(out), "--runtime", name)
        assert result.returncode == 0, result.stderr.decode()
        outputs[name] = out.read_bytes()
    assert outputs["wasmer"] == outputs["wasmtime"]
    assert outputs["wasmer"].count(b"\n") == len(docs)


@both
@pytest.mark.parametrize(
    "body,message",
    [
        ("unreachable", "guest trapped: unreachable"),
        ("(drop (i32.load (i32.const 0x7ffffff0)))", "guest trapped: out of bounds memory access"),
        ("(drop (i32.div_u (i32.const 1) (i32.const 0)))", "guest trapped: integer divide by zero"),
        ("(drop (i32.trunc_f32_s (f32.const nan)))", "guest trapped: invalid conversion to integer"),
        ("(call $deep)", "guest trapped: call stack exhausted"),
    ],
)
def test_a_trap_reads_the_same_on_both(tmp_path: Path, body: str, message: str) -> None:
    path = tmp_path / "trap.wasm"
    path.write_bytes(
        wat2wasm(
            '(module (memory (export "memory") 1) (func (export "malloc") (param i32) (result i32) (i32.const 16))'
            ' (func $deep (call $deep))'
            f' (func (export "process") (result i32) {body} (i32.const 0)))'
        )
    )
    errors = {}
    for name in runtimes.RUNTIMES:
        with Pipeline.from_module(path, runtime=name, cache=False, tag="t") as pipeline:
            [result] = pipeline.process_many([{"a": 1}])
        assert result.status == "failed"
        errors[name] = str(result.error)
    assert errors["wasmer"] == errors["wasmtime"]
    assert message in errors["wasmtime"]


@both
def test_fluent_bit_filters_give_the_same_on_both(tmp_path: Path) -> None:
    docs = [{"log": "hello", "n": 1}, {"log": "drop me", "drop": True}]
    results = {}
    for name in runtimes.RUNTIMES:
        got = []
        for module, function in (("say_hello", "go_filter"), ("append_tag", "go_filter"), ("drop_record", "go_filter")):
            path = FLUENT_BIT / f"{module}.wasm"
            definition = {
                "processors": [{"wasm": {"module": str(path), "abi": "fluentbit", "function_name": function, "wasi": {}}}]
            }
            try:
                with Pipeline.from_definition(definition, runtime=name, cache=False) as pipeline:
                    got.append([(r.status, r.document) for r in pipeline.process_many(docs)])
            except PipelineConfigError as exc:
                got.append(str(exc))
        results[name] = got
    assert results["wasmer"] == results["wasmtime"]


# -- what wasmtime adds -------------------------------------------------------------------------


@pytest.mark.skipif("wasmtime" not in INSTALLED, reason="wasmtime is not installed")
def test_an_endless_loop_meets_its_time_limit_in_process_on_wasmtime(tmp_path: Path) -> None:
    module = guest(tmp_path, "hostile_loop")
    definition = {"processors": [{"wasm": {"module": str(module), "tag": "spin", "timeout": 0.3}}]}
    with Pipeline.from_definition(definition, runtime="wasmtime", cache=False) as pipeline:
        started = time.monotonic()
        results = list(pipeline.process_many([{"a": 1}, {"hang": True}, {"b": 2}, {"hang": 2}]))
        elapsed = time.monotonic() - started
    assert [r.status for r in results] == ["ok", "failed", "ok", "failed"]
    error = results[1].error
    assert isinstance(error, ProcessorError) and error.kind == "timeout" and error.tag == "spin"
    assert "ran longer than its 0.3 s timeout" in str(error)
    assert results[2].document == {"b": 2, "processed": True}  # a fresh instance after the interruption
    assert 0.5 < elapsed < 5


@pytest.mark.skipif("wasmtime" not in INSTALLED, reason="wasmtime is not installed")
@pytest.mark.parametrize(
    "name,export", [("load_hang_start", "start function"), ("load_hang_initialize", "_initialize"),
                    ("load_hang_configure", "configure")],
)
def test_set_up_calls_meet_the_load_time_limit_in_process_on_wasmtime(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, name: str, export: str
) -> None:
    import ingesthost.guest

    monkeypatch.setattr(ingesthost.guest, "DEFAULT_LOAD_TIMEOUT", 0.4)
    started = time.monotonic()
    with pytest.raises(PipelineConfigError) as info:
        Pipeline.from_module(guest(tmp_path, name), {"k": 1}, runtime="wasmtime", cache=False, tag="hang")
    assert f"{export} did not return within 0.4 s (load_timeout, processor tag [hang]" in str(info.value)
    assert time.monotonic() - started < 5


@pytest.mark.skipif("wasmtime" not in INSTALLED, reason="wasmtime is not installed")
def test_the_cli_in_process_on_wasmtime_stops_a_loop(tmp_path: Path) -> None:
    module = guest(tmp_path, "hostile_loop")
    source = tmp_path / "in.ndjson"
    source.write_text('{"hang": 1}\n{"ok": 1}\n')
    result = cli(
        "process", str(source), "-m", str(module), "-o", str(tmp_path / "out.ndjson"), "--isolation", "none",
        "--runtime", "wasmtime",
    )
    assert result.returncode == 1, result.stderr.decode()
    assert json.loads((tmp_path / "out.ndjson").read_text()) == {"ok": 1, "processed": True}
    failure = json.loads((tmp_path / "out.failures.ndjson").read_text())
    assert "ran longer than its 1 s timeout" in failure["error"]["message"]


@pytest.mark.skipif("wasmtime" not in INSTALLED, reason="wasmtime is not installed")
def test_a_fluent_bit_filter_meets_its_time_limit_in_process_on_wasmtime(tmp_path: Path) -> None:
    module = guest(tmp_path, "fluentbit_loop")  # loops on records longer than 20 bytes
    definition = {"processors": [{"wasm": {"module": str(module), "abi": "fluentbit",
                                           "function_name": "filter_loop", "tag": "fb", "timeout": 0.3}}]}
    with Pipeline.from_definition(definition, runtime="wasmtime", cache=False) as pipeline:
        results = list(pipeline.process_many([{"log": "x" * 40}, {"a": 1}]))
    assert [r.status for r in results] == ["failed", "ok"] and results[1].document == {"a": 1}
    error = results[0].error
    assert isinstance(error, ProcessorError) and error.kind == "timeout" and error.tag == "fb"
    assert "ran longer than its 0.3 s timeout (interrupted in-process by wasmtime)" in str(error)


@pytest.mark.skipif("wasmtime" not in INSTALLED, reason="wasmtime is not installed")
@pytest.mark.parametrize("isolation", ["none", "process"])
def test_a_memory_bomb_meets_its_cap_on_wasmtime(tmp_path: Path, isolation: str) -> None:
    module = guest(tmp_path, "hostile_memory_bomb")
    source = tmp_path / "in.ndjson"
    source.write_text('{"x": 1}\n{"small": 1}\n')
    result = cli(
        "process", str(source), "-m", str(module), "-o", str(tmp_path / "out.ndjson"), "--isolation", isolation,
        "--runtime", "wasmtime", "--max-memory", "8MiB",
    )
    assert result.returncode == 1, result.stderr.decode()
    failure = json.loads((tmp_path / "out.failures.ndjson").read_text())
    assert "reached its max_memory of 8 MiB" in failure["error"]["message"]
    assert json.loads((tmp_path / "out.ndjson").read_text()) == {"small": 1}


@pytest.mark.skipif("wasmtime" not in INSTALLED, reason="wasmtime is not installed")
def test_the_store_limit_holds_even_for_an_artifact_allowed_more(tmp_path: Path) -> None:
    """An artifact's memory maximum is compiled in; wasmtime's store limit is a second wall."""
    artifact = tmp_path / "bomb.ihu"
    compile_artifact(guest(tmp_path, "hostile_memory_bomb"), artifact, compiler="cranelift", runtime="wasmtime",
                     max_memory=64 << 20)
    with Pipeline.from_module(artifact, runtime="wasmtime", cache=False, max_memory=64 << 20) as pipeline:
        [result] = pipeline.process_many([{"x": 1}])
        memory = pipeline.processors[0]._instance
    assert result.status == "failed" and "max_memory of 64 MiB" in str(result.error)
    assert memory is None  # the trapped instance was dropped


# -- artifacts ----------------------------------------------------------------------------------


@pytest.mark.parametrize("name", INSTALLED)
def test_an_artifact_records_its_runtime_and_loads_there(tmp_path: Path, name: str) -> None:
    artifact = tmp_path / "kv.ihu"
    header = compile_artifact(WASM / "kv_parse.wasm", artifact, compiler="cranelift", runtime=name)
    assert header.runtime == name and header.runtime_version == runtimes.backend(name).VERSION
    with Pipeline.from_module(artifact, {"field": "m"}, runtime=name, cache=False) as pipeline:
        [result] = pipeline.process_many([{"m": "a=1 b=2"}])
    assert result.status == "ok" and result.document["kv"] == {"a": "1", "b": "2"}
    report = json.loads(cli("inspect", "--json", str(artifact), "--runtime", name).stdout)
    assert report["artifact"]["runtime"] == name and report["runnable"] is True


@both
@pytest.mark.parametrize("built,loaded", [("wasmer", "wasmtime"), ("wasmtime", "wasmer")])
def test_an_artifact_of_one_runtime_is_refused_by_the_other(tmp_path: Path, built: str, loaded: str) -> None:
    artifact = tmp_path / "kv.ihu"
    compile_artifact(WASM / "kv_parse.wasm", artifact, compiler="cranelift", runtime=built)
    with pytest.raises(IngestHostError) as info:
        Pipeline.from_module(artifact, runtime=loaded, cache=False)
    assert f"built by the {built} runtime, and this processor runs on {loaded}" in str(info.value)
    assert f"--runtime {built}" in str(info.value)


@both
def test_the_compile_cache_keeps_each_runtimes_code_apart(tmp_path: Path) -> None:
    from ingesthost.loader import CompileCache

    cache = CompileCache(tmp_path / "cache")
    for _ in range(2):
        for name in runtimes.RUNTIMES:
            Pipeline.from_module(WASM / "kv_parse.wasm", {"field": "m"}, runtime=name, cache=cache).close()
    assert (cache.misses, cache.hits, cache.rejected) == (2, 2, 0)
    assert len(list((tmp_path / "cache").iterdir())) == 2


# -- what only wasmer can do, refused by name on wasmtime ---------------------------------------


@pytest.mark.skipif("wasmtime" not in INSTALLED, reason="wasmtime is not installed")
@pytest.mark.parametrize(
    "options,message",
    [
        ({"compiler": "llvm"}, "compiler [llvm] is wasmer's"),
        ({"compiler": "singlepass"}, "compiler [singlepass] is wasmer's"),
        ({"compiler": "llvm", "kind": "native"}, "the native engine is wasmer's"),
        ({"target": "aarch64-unknown-linux-gnu"}, "cross-compiling is supported on the wasmer runtime only"),
    ],
)
def test_wasmer_only_features_are_refused_by_name_on_wasmtime(options: dict[str, Any], message: str) -> None:
    compiler = options.pop("compiler", "cranelift")
    kind = options.pop("kind", "universal")
    with pytest.raises(CompilerUnavailableError, match=message.replace("[", r"\[").replace("]", r"\]")):
        Engine(compiler, kind, runtime="wasmtime", **options)


@pytest.mark.skipif("wasmtime" not in INSTALLED, reason="wasmtime is not installed")
def test_compile_on_wasmtime_defaults_to_its_own_compiler(tmp_path: Path) -> None:
    out = tmp_path / "kv.ihu"
    result = cli("compile", str(WASM / "kv_parse.wasm"), "-o", str(out), "--runtime", "wasmtime")
    assert result.returncode == 0, result.stderr.decode()
    assert "wasmtime" in result.stderr.decode() and "cranelift" in result.stderr.decode()
    result = cli("compile", str(WASM / "kv_parse.wasm"), "-o", str(out), "--runtime", "wasmtime", "--compiler", "llvm")
    assert result.returncode == 2 and "compiler [llvm] is wasmer's" in result.stderr.decode()


# -- choosing -----------------------------------------------------------------------------------


def test_a_pipeline_file_and_a_processor_choose_their_runtime(tmp_path: Path) -> None:
    name = INSTALLED[-1]
    module = WASM / "kv_parse.wasm"
    for definition in (
        {"runtime": name, "processors": [{"wasm": {"module": str(module), "params": {"field": "m"}}}]},
        {"processors": [{"wasm": {"module": str(module), "params": {"field": "m"}, "runtime": name}}]},
    ):
        with Pipeline.from_definition(definition, cache=False) as pipeline:
            assert pipeline.processors[0].module.engine.runtime == name
            assert pipeline.process({"m": "k=v"})["kv"] == {"k": "v"}


@pytest.mark.parametrize(
    "definition,where",
    [
        ({"runtime": "v8", "processors": []}, "`runtime` must be one of wasmer, wasmtime, found 'v8'"),
        (
            {"processors": [{"wasm": {"module": "kv_parse.wasm", "runtime": 3, "tag": "kv"}}]},
            "`runtime` must be one of wasmer, wasmtime, found 3",
        ),
    ],
)
def test_an_unknown_runtime_is_refused_with_its_place(definition: dict[str, Any], where: str) -> None:
    with pytest.raises(PipelineConfigError) as info:
        Pipeline.from_definition(definition, base_dir=WASM, cache=False)
    assert where in str(info.value)
    if definition["processors"]:
        assert "tag [kv]" in str(info.value)


def test_the_default_runtime_follows_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(runtimes.DEFAULT_ENV, "nope")
    with pytest.raises(runtimes.RuntimeUnavailableError, match=r"unknown \$INGESTHOST_RUNTIME \[nope\]"):
        runtimes.default_runtime()
    monkeypatch.setenv(runtimes.DEFAULT_ENV, INSTALLED[-1])
    assert runtimes.default_runtime() == INSTALLED[-1]
    monkeypatch.delenv(runtimes.DEFAULT_ENV)
    assert runtimes.default_runtime() == INSTALLED[0]


def test_the_cli_refuses_an_unknown_runtime_and_inspect_names_the_one_used() -> None:
    result = cli("process", str(SAMPLE), "-m", str(WASM / "kv_parse.wasm"), "--runtime", "v8")
    assert result.returncode == 2 and "invalid choice: 'v8'" in result.stderr.decode()
    for name in INSTALLED:
        result = cli("inspect", str(WASM / "kv_parse.wasm"), "--runtime", name)
        assert result.returncode == 0 and f"runtime:   {name}" in result.stdout.decode()


@pytest.mark.skipif("wasmer" in INSTALLED, reason="only where wasmer is not installed (CPython 3.11+)")
def test_asking_for_wasmer_where_it_is_not_installed_says_what_to_do() -> None:
    result = cli("process", str(SAMPLE), "-m", str(WASM / "kv_parse.wasm"), "--runtime", "wasmer")
    assert result.returncode == 2
    assert "the wasmer runtime is not installed" in result.stderr.decode()
    assert "CPython 3.10" in result.stderr.decode()


# -- another CPython ----------------------------------------------------------------------------


def other_python() -> str:
    """The python of an install on a newer CPython (``scripts/test.sh`` makes
    ``.venv-newer`` and sets ``INGESTHOST_OTHER_PYTHON``)."""
    if "wasmer" not in INSTALLED:
        pytest.skip("run from the CPython 3.10 install (stage 1 of scripts/test.sh), which has both runtimes")
    path = os.environ.get("INGESTHOST_OTHER_PYTHON")
    if not path:
        if os.environ.get("INGESTHOST_REQUIRE_TOOLCHAINS"):
            pytest.fail("INGESTHOST_OTHER_PYTHON is not set: scripts/test.sh sets it to .venv-newer/bin/python")
        pytest.skip("set INGESTHOST_OTHER_PYTHON to an ingesthost install on CPython 3.11+ to compare with it")
    return path


@pytest.mark.parametrize(
    "run",
    [
        ["-m", str(MODIFY_FIELDS)],
        ["-p", str(SAMPLE_PIPELINE)],
        [
            "-m", str(WASM / "conformance.wasm"), "--param",
            'calls=[{"op":"put_field","key":"seen.ok","value_json":"true"},{"op":"remove_field","key":"log"},'
            '{"op":"put_field","key":"tags.0","value_json":"1"},{"op":"get_field","key":"a"}]',
        ],
    ],
    ids=["proof-of-concept", "sample-pipeline", "conformance-guest"],
)
def test_an_install_on_a_newer_cpython_gives_what_this_one_gives(tmp_path: Path, run: list[str]) -> None:
    """The conformance inputs (every vector's document) and the sample data,
    through the proof-of-concept module, the sample pipeline and the SDK's
    conformance guest: the same output and failure records from this
    install as from one on a newer CPython (wasmtime there)."""
    python = other_python()
    docs = [case["doc"] for name in ("get_field", "put_field", "remove_field")
            for case in json.loads((VECTORS / f"{name}.json").read_text())]
    source = tmp_path / "in.ndjson"
    source.write_text("".join(json.dumps(doc) + "\n" for doc in docs) + SAMPLE.read_text())
    results = {}
    for label, interpreter in (("here", sys.executable), ("newer", python)):
        out = tmp_path / f"{label}.ndjson"
        result = subprocess.run(
            [interpreter, "-m", "ingesthost", "process", str(source), *run, "-o", str(out)],
            capture_output=True, cwd=ROOT, timeout=300,
        )
        assert result.returncode in (0, 1), result.stderr.decode()
        failures = out.with_suffix(".failures.ndjson")
        results[label] = (
            without_times(out),
            failures.read_text().replace(str(tmp_path), "") if failures.exists() else "",
            result.stderr.decode().splitlines()[-1].split(";")[0].split(", failures in")[0],
        )
    newer_version = subprocess.run(
        [python, "-c", "import sys, ingesthost.runtime as r; print(sys.version_info[:2] >= (3, 11), r.default_runtime())"],
        capture_output=True, text=True, check=True,
    ).stdout.split()
    assert newer_version == ["True", "wasmtime"]
    assert results["here"] == results["newer"]
    assert len(results["here"][0]) > 400
