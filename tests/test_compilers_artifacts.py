"""Compilers, ahead-of-time artifacts and the compile cache (issue 3)."""

from __future__ import annotations

import dataclasses
import json
import subprocess
import sys
from pathlib import Path

import orjson
import pytest

from conftest import require_wasmer
from ingesthost import ModuleLoadError, Pipeline, PipelineConfigError
from ingesthost import artifact as art
from ingesthost.cli import main
from ingesthost.engine import CompilerUnavailableError, Engine
from ingesthost.loader import CompileCache, compile_artifact

ROOT = Path(__file__).resolve().parent.parent
WASM = ROOT / "fixtures" / "wasm"
SAMPLE = ROOT / "fixtures" / "sample" / "access.ndjson"
MODIFY_FIELDS = ROOT.parent / "shared" / "thirdparty" / "elastic-ingest-wasm-go" / "modify_fields.wasm.gz"

# wasmer's compilers, engines and artifacts (wasmtime's refusals of them: tests/test_runtimes.py)
pytestmark = pytest.mark.wasmer_only

# (module, params) pairs whose output does not depend on the clock
GUESTS = [
    ("kv_parse.wasm", {"field": "message", "target_field": "kv"}),
    ("drop_when.wasm", {"field": "log.level", "equals": "debug"}),
    ("rename_field.wasm", {"from": "host.name", "to": "host.hostname"}),
    ("redact.wasm", {"fields": ["message"]}),
    ("bench_edit.wasm", {}),
]


def sample_docs(count: int = 60) -> list[dict]:
    return [orjson.loads(line) for line in SAMPLE.read_bytes().splitlines()[:count]]


def run_all(pipeline: Pipeline, docs: list[dict]) -> list[object]:
    return [(r.status, r.document) for r in pipeline.process_many(docs)]


@pytest.fixture(scope="module")
def artifacts(tmp_path_factory: pytest.TempPathFactory) -> dict[tuple[str, str, str], Path]:
    """Every guest compiled with every compiler (universal), plus native LLVM."""
    require_wasmer()
    folder = tmp_path_factory.mktemp("artifacts")
    built = {}
    for name, _ in GUESTS:
        for compiler, engine in [("cranelift", "universal"), ("singlepass", "universal"), ("llvm", "universal"), ("llvm", "native")]:
            out = folder / f"{Path(name).stem}.{compiler}.{art.SUFFIXES[engine][1:]}"
            compile_artifact(WASM / name, out, compiler=compiler, engine=engine, runtime="wasmer")
            built[(name, compiler, engine)] = out
    return built


@pytest.mark.parametrize("name,params", GUESTS, ids=[g[0] for g in GUESTS])
def test_same_documents_under_every_compiler_and_from_artifacts(
    name: str, params: dict, artifacts: dict[tuple[str, str, str], Path]
) -> None:
    docs = sample_docs()
    with Pipeline.from_module(WASM / name, params, compiler="cranelift", cache=False) as p:
        expected = run_all(p, docs)
    assert any(status == "ok" for status, _ in expected)
    for compiler in ("singlepass", "llvm"):
        with Pipeline.from_module(WASM / name, params, compiler=compiler, cache=False) as p:
            assert p.processors[0].module.engine.compiler == compiler
            assert run_all(p, docs) == expected, compiler
    for (guest, compiler, engine), path in artifacts.items():
        if guest != name:
            continue
        with Pipeline.from_module(path, params, cache=False) as p:
            module = p.processors[0].module
            assert module.origin == "artifact"
            assert module.artifact_header.compiler == compiler
            assert module.engine.compiler is None, "artifacts load into a headless engine"
            assert run_all(p, docs) == expected, (compiler, engine)


def test_elastic_poc_module_under_every_compiler() -> None:
    for compiler in ("cranelift", "singlepass", "llvm"):
        with Pipeline.from_module(MODIFY_FIELDS, compiler=compiler, cache=False) as p:
            assert p.process({}) == {
                "string": "hello", "integer": 1, "float": 1.2, "bool": True, "object": {"hello": "world!"}, "null": None,
            }


def test_compiler_per_pipeline_and_per_processor(tmp_path: Path) -> None:
    path = tmp_path / "p.yml"
    path.write_text(
        f"compiler: singlepass\n"
        f"processors:\n"
        f"  - wasm: {{module: {WASM / 'bench_edit.wasm'}}}\n"
        f"  - wasm: {{module: {WASM / 'bench_edit.wasm'}, compiler: llvm}}\n"
    )
    with Pipeline.from_file(path, compiler="cranelift", cache=False) as p:
        assert [proc.module.engine.compiler for proc in p.processors] == ["singlepass", "llvm"]


def test_cache_hits_skip_compiling(tmp_path: Path) -> None:
    pipeline_file = ROOT / "fixtures" / "pipelines" / "access.yml"
    cache = CompileCache(tmp_path / "cache")
    with Pipeline.from_file(pipeline_file, cache=cache) as p:
        assert {proc.module.origin for proc in p.processors} == {"compiled"}
        first = [p.process(d) for d in sample_docs(10)]
    assert (cache.hits, cache.misses) == (0, 5)
    assert len(list((tmp_path / "cache").glob("*.ihu"))) == 5
    again = CompileCache(tmp_path / "cache")
    with Pipeline.from_file(pipeline_file, cache=again) as p:
        assert {proc.module.origin for proc in p.processors} == {"cache"}
        second = [p.process(d) for d in sample_docs(10)]
    assert (again.hits, again.misses) == (5, 0)
    strip = lambda docs: [{k: v for k, v in d.items() if k != "event"} if d else d for d in docs]  # noqa: E731
    assert strip(first) == strip(second)
    # another compiler is another cache entry
    other = CompileCache(tmp_path / "cache")
    with Pipeline.from_file(pipeline_file, cache=other, compiler="singlepass"):
        pass
    assert (other.hits, other.misses) == (0, 5)


def test_damaged_cache_entry_is_rebuilt_not_loaded(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    cache = CompileCache(tmp_path)
    with Pipeline.from_module(WASM / "bench_edit.wasm", cache=cache):
        pass
    (entry,) = tmp_path.glob("*.ihu")
    data = bytearray(entry.read_bytes())
    data[-100] ^= 0xFF
    entry.write_bytes(bytes(data))
    again = CompileCache(tmp_path)
    with Pipeline.from_module(WASM / "bench_edit.wasm", cache=again) as p:
        assert p.processors[0].module.origin == "compiled"
        assert p.process({"user": {"name": "a"}, "http": {"status": 1}})["summary"] == "a:1"
    assert (again.rejected, again.hits) == (1, 0)
    assert "checksum mismatch" in caplog.text
    third = CompileCache(tmp_path)
    with Pipeline.from_module(WASM / "bench_edit.wasm", cache=third):
        pass
    assert third.hits == 1, "the rebuilt entry is good again"


def test_no_cache_writes_nothing(tmp_path: Path) -> None:
    out = tmp_path / "out.ndjson"
    rc = main([
        "process", str(SAMPLE), "-m", str(WASM / "bench_edit.wasm"), "--no-cache",
        "--cache-dir", str(tmp_path / "c"), "-o", str(out), "-q",
    ])
    assert rc == 0
    assert not (tmp_path / "c").exists()
    rc = main(["process", str(SAMPLE), "-m", str(WASM / "bench_edit.wasm"), "--cache-dir", str(tmp_path / "c"), "-o", str(out), "-q"])
    assert rc == 0
    assert len(list((tmp_path / "c").glob("*.ihu"))) == 1


# -- bad artifacts -----------------------------------------------------------


@pytest.fixture(scope="module")
def good_artifact(tmp_path_factory: pytest.TempPathFactory) -> bytes:
    require_wasmer()
    path = tmp_path_factory.mktemp("good") / "bench_edit.ihu"
    compile_artifact(WASM / "bench_edit.wasm", path, compiler="cranelift", runtime="wasmer")
    return path.read_bytes()


def _reheader(data: bytes, **changes: object) -> bytes:
    header, payload = art.parse_artifact(data, "x")
    return art.encode_artifact(dataclasses.replace(header, **changes), payload)


def _bad_artifacts(good: bytes) -> dict[str, tuple[bytes, str]]:
    header, payload = art.parse_artifact(good, "x")
    flipped = bytearray(good)
    flipped[len(good) // 2] ^= 0x01
    return {
        "truncated payload": (good[:-1000], "truncated or padded"),
        "truncated header": (good[:20], "truncated or corrupt header"),
        "flipped byte": (bytes(flipped), "checksum mismatch"),
        "bad magic": (b"XXXXXXXX" + good[8:], "not a WebAssembly module"),
        "other wasmer": (_reheader(good, runtime_version="2.3.0"), "built by wasmer 2.3.0"),
        "other engine": (_reheader(good, engine="jit"), "unknown engine [jit]"),
        "other target": (_reheader(good, target="aarch64-unknown-linux-gnu"), "built for target aarch64-unknown-linux-gnu"),
        "missing cpu feature": (_reheader(good, cpu_features=("sse2", "avx1024")), "needs CPU features this host lacks: avx1024"),
        "newer format": (_reheader(good, format=2), "artifact format 2"),
        "garbage header": (art.MAGIC + (5).to_bytes(4, "little") + b"{oops" + payload, "unreadable header"),
    }


@pytest.mark.parametrize(
    "kind",
    ["truncated payload", "truncated header", "flipped byte", "bad magic", "other wasmer", "other engine",
     "other target", "missing cpu feature", "newer format", "garbage header"],
)
def test_bad_artifacts_are_refused_with_their_own_message(tmp_path: Path, good_artifact: bytes, kind: str) -> None:
    data, message = _bad_artifacts(good_artifact)[kind]
    path = tmp_path / "bad.ihu"
    path.write_bytes(data)
    with pytest.raises(PipelineConfigError) as info:
        Pipeline.from_module(path, cache=False)
    assert message in str(info.value)
    assert isinstance(info.value.__cause__, ModuleLoadError)


def test_good_artifact_still_loads(tmp_path: Path, good_artifact: bytes) -> None:
    path = tmp_path / "good.ihu"
    path.write_bytes(good_artifact)
    with Pipeline.from_module(path, cache=False) as p:
        assert p.process({"user": {"name": "x"}})["summary"] == "x:-"


def test_native_artifact_loads_in_a_fresh_process_without_compilers(tmp_path: Path) -> None:
    path = tmp_path / "kv.ihn"
    assert main(["compile", str(WASM / "kv_parse.wasm"), "-o", str(path), "--engine", "native"]) == 0
    assert art.parse_artifact(path.read_bytes(), "x")[1][:4] == b"\x7fELF", "a real shared object"
    script = (
        "import sys, json\n"
        "from ingesthost import Pipeline\n"
        f"with Pipeline.from_module({str(path)!r}, cache=False) as p:\n"
        "    out = p.process({'message': 'a=1 b=\"two words\"'})\n"
        "print(json.dumps({'out': out, 'compilers': sorted(m for m in sys.modules if m.startswith('wasmer_compiler'))}))\n"
    )
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)
    assert report["out"] == {"message": 'a=1 b="two words"', "kv": {"a": "1", "b": "two words"}}
    assert report["compilers"] == []


def test_cross_compiled_artifact_is_written_and_refused_here(tmp_path: Path) -> None:
    path = tmp_path / "kv.arm.ihu"
    rc = main(["compile", str(WASM / "kv_parse.wasm"), "-o", str(path), "--compiler", "cranelift", "--target", "aarch64-unknown-linux-gnu"])
    assert rc == 0
    header, _ = art.parse_artifact(path.read_bytes(), str(path))
    assert header.target == "aarch64-unknown-linux-gnu"
    with pytest.raises(PipelineConfigError, match="built for target aarch64-unknown-linux-gnu, this host is x86_64"):
        Pipeline.from_module(path, cache=False)


def test_inspect_reads_artifacts(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "k.ihu"
    compile_artifact(WASM / "kv_parse.wasm", path, compiler="singlepass")
    assert main(["inspect", str(path), "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["artifact"]["compiler"] == "singlepass"
    assert report["artifact"]["source_sha256"] == art.hashlib.sha256((WASM / "kv_parse.wasm").read_bytes()).hexdigest()
    assert report["abi_version"] == "1.1" and report["runnable"] is True
    assert main(["inspect", str(path)]) == 0
    assert "compiled by singlepass" in capsys.readouterr().out


def test_compile_refuses_modules_the_host_would_refuse(tmp_path: Path) -> None:
    fluent = ROOT.parent / "shared" / "thirdparty" / "fluent-bit" / "say_hello.wasm"
    with pytest.raises(ModuleLoadError, match="missing required export `process`"):
        compile_artifact(fluent, tmp_path / "x.ihu", compiler="cranelift")
    assert not (tmp_path / "x.ihu").exists()


def test_native_engine_needs_llvm_and_gcc(monkeypatch: pytest.MonkeyPatch) -> None:
    with pytest.raises(CompilerUnavailableError, match="native engine needs the llvm compiler"):
        Engine("cranelift", "native")
    import ingesthost.runtime.wasmer_backend as engine_module

    monkeypatch.setattr(engine_module.shutil, "which", lambda name: None)
    with pytest.raises(CompilerUnavailableError, match="apt-get install gcc"):
        Engine("llvm", "native")


def test_missing_libtinfo_is_a_clear_error(monkeypatch: pytest.MonkeyPatch) -> None:
    import ingesthost.runtime.wasmer_backend as engine_module

    def no_library(*args: object, **kwargs: object) -> None:
        raise OSError("libtinfo.so.5: cannot open shared object file")

    monkeypatch.setattr(engine_module.ctypes, "CDLL", no_library)
    with pytest.raises(CompilerUnavailableError, match="apt-get install libtinfo5"):
        Engine("llvm")


def test_llvm_in_a_fresh_process_needs_no_manual_preload() -> None:
    """Importing the LLVM wheel without libtinfo.so.5 preloaded aborts the process;
    the package does the preload itself."""
    script = (
        "from ingesthost.engine import Engine\n"
        "e = Engine('llvm')\n"
        "m = e.compile(open(%r, 'rb').read())\n"
        "print(len(list(m.exports)))\n" % str(WASM / "bench_edit.wasm")
    )
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    assert int(result.stdout) == 6  # memory, malloc, configure, process, process_batch, the 1.1 marker
