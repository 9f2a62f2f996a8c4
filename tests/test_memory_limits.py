"""max_memory: a guest cannot take more memory than its cap (issue 5)."""

from __future__ import annotations

from pathlib import Path

import pytest

from ingesthost import ModuleLoadError, Pipeline, PipelineConfigError, ProcessorError
from ingesthost.loader import compile_artifact
from ingesthost.wasm_binary import WASM_PAGE, WasmFormatError, cap_memory, parse_size
from ingesthost.engine import Engine
from ingesthost.runtime import Extern, wat2wasm

ROOT = Path(__file__).resolve().parent.parent
WAT = ROOT / "tests" / "wat"
WASM = ROOT / "fixtures" / "wasm"


def memory_module(memory: str) -> bytes:
    return wat2wasm(
        f"(module (memory (export \"memory\") {memory})"
        " (func (export \"malloc\") (param i32) (result i32) (i32.const 8))"
        " (func (export \"process\") (result i32) (i32.const 0)))"
    )


def memory_type(data: bytes) -> Extern:
    module = Engine("cranelift").compile(data)
    return next(e for e in module.exports if e.name == "memory")


@pytest.mark.parametrize(
    "declared,cap,expected_max",
    [("1", 64, 64), ("1 10", 64, 10), ("2 1000", 64, 64), ("200", 65536, 65536), ("300", 300, 300)],
)
def test_cap_memory_rewrites_only_the_maximum(declared: str, cap: int, expected_max: int) -> None:
    data = memory_module(declared)
    capped, limits = cap_memory(data, cap)
    kind = memory_type(capped)
    assert kind.minimum == int(declared.split()[0])
    assert kind.maximum == expected_max
    assert limits[0].applied_maximum == expected_max
    assert limits[0].declared_maximum == (int(declared.split()[1]) if " " in declared else None)


def test_cap_memory_keeps_modules_without_memory_and_big_leb_values() -> None:
    no_memory = wat2wasm("(module (func (export \"f\")))")
    assert cap_memory(no_memory, 10) == (no_memory, [])
    data = memory_module("129 40000")  # both limits need multi-byte LEB128
    capped, limits = cap_memory(data, 300)
    assert memory_type(capped).maximum == 300 and limits[0].minimum == 129


def test_cap_memory_refuses_garbage() -> None:
    with pytest.raises(WasmFormatError):
        cap_memory(b"\0asm\x01\0\0\0\x05\x80", 10)
    with pytest.raises(WasmFormatError):
        cap_memory(b"not wasm", 10)


@pytest.mark.parametrize(
    "text,expected", [("256MiB", 256 << 20), ("64mb", 64 << 20), ("1 GiB", 1 << 30), ("65536", 65536), (4096, 4096), ("1.5k", 1536)]
)
def test_parse_size(text: object, expected: int) -> None:
    assert parse_size(text) == expected


@pytest.mark.parametrize("bad", ["", "lots", "-5MiB", 0, True, [1]])
def test_parse_size_refuses(bad: object) -> None:
    with pytest.raises(ValueError):
        parse_size(bad)


def test_memory_bomb_fails_its_document_and_the_next_one_runs(tmp_path: Path) -> None:
    module = tmp_path / "bomb.wasm"
    module.write_bytes(wat2wasm((WAT / "hostile_memory_bomb.wat").read_text()))
    with Pipeline.from_module(module, tag="bomb", max_memory=4 << 20, cache=False) as pipeline:
        results = list(pipeline.process_many([{"small": 1}, {"big": 1}, {"small": 2}, {"big": 2}, {"small": 3}]))
        assert [r.status for r in results] == ["ok", "failed", "ok", "failed", "ok"]
        error = results[1].error
        assert isinstance(error, ProcessorError)
        assert error.kind == "guest_trap" and error.tag == "bomb"
        assert "unreachable" in error.reason
        assert "reached its max_memory of 4 MiB" in error.reason
        processor = pipeline.processors[0]
        assert processor.replacements == 2, "each trapping instance was replaced"
        memory = processor._instance.host.memory
        assert memory.size <= 64, "a fresh instance starts small again"


def test_memory_bomb_with_the_default_cap_stops_at_256_mib(tmp_path: Path) -> None:
    module = tmp_path / "bomb.wasm"
    module.write_bytes(wat2wasm((WAT / "hostile_memory_bomb.wat").read_text()))
    with Pipeline.from_module(module, cache=False) as pipeline:
        with pytest.raises(ProcessorError, match="max_memory of 256 MiB"):
            pipeline.process({"big": 1})


def test_module_whose_minimum_is_above_the_cap_is_refused_at_load(tmp_path: Path) -> None:
    module = tmp_path / "greedy.wasm"
    module.write_bytes(memory_module("300"))  # 300 pages = 18.75 MiB
    with pytest.raises(PipelineConfigError) as info:
        Pipeline.from_module(module, max_memory=16 << 20, cache=False)
    assert "declares a minimum memory of 18.75 MiB, above its max_memory of 16 MiB" in str(info.value)
    assert isinstance(info.value.__cause__, ModuleLoadError)
    with Pipeline.from_module(module, max_memory=32 << 20, cache=False) as pipeline:
        assert pipeline.process({}) == {}


def test_max_memory_in_pipeline_files(tmp_path: Path) -> None:
    module = tmp_path / "greedy.wasm"
    module.write_bytes(memory_module("300"))
    path = tmp_path / "p.yml"
    path.write_text("max_memory: 16MiB\nprocessors:\n  - wasm: {module: greedy.wasm, tag: g}\n")
    with pytest.raises(PipelineConfigError, match="tag \\[g\\].*above its max_memory of 16 MiB"):
        Pipeline.from_file(path, cache=False)
    path.write_text("max_memory: 16MiB\nprocessors:\n  - wasm: {module: greedy.wasm, max_memory: 20MiB}\n")
    with Pipeline.from_file(path, cache=False) as pipeline:
        assert pipeline.processors[0].module.max_memory == 20 << 20
    path.write_text("processors:\n  - wasm: {module: greedy.wasm, max_memory: lots}\n")
    with pytest.raises(PipelineConfigError, match="`max_memory`: cannot read 'lots'"):
        Pipeline.from_file(path, cache=False)


@pytest.mark.wasmer_only  # singlepass is wasmer's
def test_artifact_memory_cap_is_compiled_in(tmp_path: Path) -> None:
    big = tmp_path / "kv.ihu"
    compile_artifact(WASM / "kv_parse.wasm", big, compiler="singlepass")  # default cap 256 MiB
    with pytest.raises(PipelineConfigError, match="recompile it with `ingesthost compile --max-memory`"):
        Pipeline.from_module(big, max_memory=64 << 20, cache=False)
    small = tmp_path / "kv64.ihu"
    compile_artifact(WASM / "kv_parse.wasm", small, compiler="singlepass", max_memory=64 << 20)
    with Pipeline.from_module(small, max_memory=64 << 20, cache=False) as pipeline:
        assert pipeline.process({"message": "a=1"}) == {"message": "a=1", "kv": {"a": "1"}}
