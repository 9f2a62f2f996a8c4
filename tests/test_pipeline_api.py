"""The library API a Python log shipper embeds: ``from ingesthost import Pipeline``."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

import ingesthost
from ingesthost import (
    DocumentResult,
    InputError,
    Pipeline,
    PipelineConfigError,
    ProcessorError,
)
from ingesthost.runtime import wat2wasm

ROOT = Path(__file__).resolve().parent.parent
WAT = ROOT / "tests" / "wat" / "cli_fail_on_field.wat"


@pytest.fixture(scope="module")
def pipeline_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("pipeline")
    (folder / "guests").mkdir()
    (folder / "guests" / "check.wasm").write_bytes(wat2wasm(WAT.read_text()))
    path = folder / "pipeline.yml"
    path.write_text(
        "description: test pipeline\n"
        "processors:\n"
        "  - wasm:\n"
        "      module: guests/check.wasm   # relative to this file\n"
        "      tag: check\n"
    )
    return path


@pytest.fixture
def pipeline(pipeline_file: Path):
    with Pipeline.from_file(pipeline_file) as p:
        yield p


def test_public_api_is_curated() -> None:
    for name in ("Pipeline", "ProcessorError", "IngestHostError", "ModuleLoadError", "PipelineConfigError"):
        assert name in ingesthost.__all__
        assert getattr(ingesthost, name)
    assert issubclass(ProcessorError, ingesthost.IngestHostError)
    assert issubclass(PipelineConfigError, ingesthost.IngestHostError)


def test_process_returns_a_new_dict_and_keeps_the_callers(pipeline: Pipeline) -> None:
    doc = {"a": {"b": [1, 2]}}
    out = pipeline.process(doc)
    assert out == {"a": {"b": [1, 2]}, "seen": True}
    assert doc == {"a": {"b": [1, 2]}}, "the caller's dict is never modified"
    assert out is not doc


def test_drop_returns_none(pipeline: Pipeline) -> None:
    assert pipeline.process({"drop": True}) is None


def test_failure_raises_with_tag_and_reason(pipeline: Pipeline) -> None:
    with pytest.raises(ProcessorError) as info:
        pipeline.process({"fail": True})
    assert info.value.tag == "check"
    assert info.value.processor_type == "wasm"
    assert info.value.reason == "document asked to fail"
    assert info.value.kind == "guest_failure"
    assert str(info.value) == "processor wasm [check]: document asked to fail"


def test_trap_raises_and_the_next_document_works(pipeline: Pipeline) -> None:
    with pytest.raises(ProcessorError) as info:
        pipeline.process({"trap": True})
    assert info.value.kind == "guest_trap"
    assert pipeline.process({"x": 1}) == {"x": 1, "seen": True}


def test_process_many_keeps_order_and_goes_on(pipeline: Pipeline) -> None:
    docs = [{"n": 1}, {"n": 2, "fail": 1}, {"n": 3, "drop": 1}, {"n": 4, "trap": 1}, {"n": 5}]
    results = list(pipeline.process_many(docs))
    assert [r.status for r in results] == ["ok", "failed", "dropped", "failed", "ok"]
    assert results[0] == DocumentResult("ok", {"n": 1, "seen": True})
    assert results[4].document == {"n": 5, "seen": True}
    assert results[1].error is not None and results[1].error.tag == "check"
    assert results[3].error is not None and results[3].error.kind == "guest_trap"


@pytest.mark.parametrize("bad", [[1, 2], "text", {"a": object()}, {"a": float("nan")}, {"a": 2**70}])
def test_non_json_documents_are_input_errors(pipeline: Pipeline, bad: object) -> None:
    # NaN and integers beyond 64 bits are refused too (JSON cannot carry them;
    # see tests/test_library_results.py for the rule, the same as NDJSON input's)
    with pytest.raises(InputError):
        pipeline.process(bad)  # type: ignore[arg-type]


def test_from_definition_and_from_module(pipeline_file: Path) -> None:
    module = pipeline_file.parent / "guests" / "check.wasm"
    with Pipeline.from_definition({"processors": [{"wasm": {"module": "guests/check.wasm"}}]}, base_dir=pipeline_file.parent) as p:
        assert p.process({}) == {"seen": True}
    with Pipeline.from_module(module, tag="only") as p:
        assert p.processors[0].tag == "only"
        assert p.process({"k": "v"}) == {"k": "v", "seen": True}


def test_empty_pipeline_passes_documents_through() -> None:
    with Pipeline.from_definition({"processors": []}) as p:
        assert p.process({"a": 1}) == {"a": 1}


@pytest.mark.parametrize(
    "text,expected",
    [
        ("processors: [", "invalid YAML at line 1"),
        ("- just\n- a list\n", "must be an object with a `processors` list"),
        ("description: 5\nprocessors: []\n", "`description` must be a string"),
        ("processors:\n  - wasm: {}\n", "processors[0]: processor [wasm] needs `module`"),
        ("processors:\n  - wasm: {module: m.wasm, params: [1]}\n", "`params` must be an object"),
        ("processors:\n  - wasm: {module: m.wasm, tag: 7}\n", "`tag` must be a string"),
        ("processors:\n  - wasm: {module: m.wasm, compiler: gcc}\n", "`compiler` must be one of cranelift, llvm, singlepass"),
        ("processors:\n  - {wasm: {module: m.wasm}, other: {}}\n", "exactly one key"),
        ("processors:\n  - wasm: {module: m.wasm}\n  - wasm: {module: missing.wasm, tag: second}\n",
         "processors[1], tag [second]: module file not found"),
    ],
)
def test_pipeline_validation_errors(tmp_path: Path, text: str, expected: str) -> None:
    (tmp_path / "m.wasm").write_bytes(wat2wasm(WAT.read_text()))
    path = tmp_path / "p.yml"
    path.write_text(text)
    with pytest.raises(PipelineConfigError) as info:
        Pipeline.from_file(path)
    assert str(path) in str(info.value)
    assert expected in str(info.value)


def test_json_pipeline_syntax_error_has_position(tmp_path: Path) -> None:
    path = tmp_path / "p.json"
    path.write_text('{"processors": [\n  {"wasm": }\n]}')
    with pytest.raises(PipelineConfigError) as info:
        Pipeline.from_file(path)
    assert "invalid JSON at line 2" in str(info.value)


def test_missing_pipeline_file(tmp_path: Path) -> None:
    with pytest.raises(PipelineConfigError, match="pipeline file not found"):
        Pipeline.from_file(tmp_path / "nope.yml")


def test_guest_logs_go_to_a_logger_named_for_the_tag(tmp_path: Path, caplog: pytest.LogCaptureFixture, pipeline: Pipeline) -> None:
    with caplog.at_level("DEBUG", logger="ingesthost.guest.check"):
        with pytest.raises(ProcessorError) as raised:
            pipeline.process({"fail": 1})
    # The Error line became the failure's message: it is reported there, not logged twice.
    assert raised.value.reason == "document asked to fail"
    assert [r.name for r in caplog.records] == []


def test_definition_roundtrip_json(tmp_path: Path, pipeline_file: Path) -> None:
    path = tmp_path / "p.json"
    module = (pipeline_file.parent / "guests" / "check.wasm").resolve()
    path.write_text(json.dumps({"description": "d", "processors": [{"wasm": {"module": str(module)}}]}))
    with Pipeline.from_file(path) as p:
        assert p.description == "d"
        assert p.process({}) == {"seen": True}
