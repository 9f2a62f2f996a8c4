"""ABI 1.1 batches (``process_batch``): the same results as one document at a
time, whatever the guest gets wrong.

The guest is ``tests/wat/batch_modes.wat`` (see its header), built in one of
its misbehaving modes; its ``process`` (ABI 1.0) gives what a correct
``process_batch`` gives, which is what every mode must end up giving.
"""

from __future__ import annotations

import dataclasses
import io
import json
import logging
from pathlib import Path
from typing import Any

import orjson
import pytest

from ingesthost import Pipeline
from ingesthost.ndjson import read_records
from ingesthost.runner import run
from ingesthost.workers import IsolatedPipeline
from ingesthost.runtime import wat2wasm

WAT = Path(__file__).resolve().parent / "wat" / "batch_modes.wat"

DOCS = [
    {"n": 1},
    {"n": 2, "drop": True},
    {"n": 3, "fail": True},
    {"n": 4, "odd": True},
    {"n": 5},
    {"n": 6, "skip": True, "fail": True},
    {"n": 7, "skip": True, "drop": True},
]


@pytest.fixture(scope="module")
def guest(tmp_path_factory: pytest.TempPathFactory) -> Any:
    directory = tmp_path_factory.mktemp("batch-guests")
    source = WAT.read_text()

    def build(mode: int) -> Path:
        path = directory / f"batch{mode}.wasm"
        if not path.exists():
            path.write_bytes(wat2wasm(source.replace("MODE", str(mode))))
        return path

    return build


def held_to_1_0(pipeline: Pipeline) -> Pipeline:
    """The same pipeline with every guest's process_batch ignored (the reference)."""
    for processor in _wasm_processors(pipeline.processors):
        processor.module.shape = dataclasses.replace(processor.module.shape, batch=False)
    assert not pipeline.batches
    return pipeline


def _wasm_processors(processors: list) -> list:
    found = []
    for processor in processors:
        inner = processor
        while hasattr(inner, "processor"):
            inner = inner.processor
        if getattr(inner, "type", None) == "wasm":
            found.append(inner)
    return found


def run_lines(pipeline: Any, docs: list[dict]) -> tuple[list[dict], list[dict], Any]:
    data = b"".join(orjson.dumps(doc) + b"\n" for doc in docs)
    out, failures = io.BytesIO(), io.BytesIO()
    if isinstance(pipeline, IsolatedPipeline):
        summary = pipeline.run(io.BytesIO(data), out, failures, source="in")
    else:
        summary = run(pipeline, read_records(io.BytesIO(data), "in"), out, failures, source="in")
    return (
        [json.loads(line) for line in out.getvalue().splitlines()],
        [json.loads(line) for line in failures.getvalue().splitlines()],
        summary,
    )


def test_a_batching_guest_gives_what_process_gives(guest: Any) -> None:
    with Pipeline.from_module(guest(0), tag="b") as batching, held_to_1_0(Pipeline.from_module(guest(0), tag="b")) as plain:
        assert batching.batches
        assert run_lines(batching, DOCS)[:2] == run_lines(plain, DOCS)[:2]
        out, failed, summary = run_lines(batching, DOCS)
    assert [d["n"] for d in out] == [1, 4, 5]
    assert [(f["line"], f["error"]["message"]) for f in failed] == [(3, "asked to fail"), (6, "asked to fail")]
    assert (summary.read, summary.written, summary.dropped, summary.failed) == (7, 3, 2, 2)


@pytest.mark.parametrize("mode,problem", [(1, "returned 8 results for 7 documents"), (2, "outside memory"), (3, "trapped")])
def test_a_batch_the_guest_gets_wrong_is_run_one_document_at_a_time(
    guest: Any, mode: int, problem: str, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.WARNING, logger="ingesthost")
    with Pipeline.from_module(guest(mode), tag="b") as broken, held_to_1_0(Pipeline.from_module(guest(0), tag="b")) as plain:
        assert run_lines(broken, DOCS)[:2] == run_lines(plain, DOCS)[:2]
    assert any(problem in r.getMessage() and "one at a time" in r.getMessage() for r in caplog.records)


def test_a_kept_document_that_is_not_an_object_fails_alone(guest: Any) -> None:
    with Pipeline.from_module(guest(4), tag="b") as pipeline:
        out, failed, _ = run_lines(pipeline, DOCS)
    assert [d["n"] for d in out] == [1, 5]
    odd = next(f for f in failed if f["line"] == 4)
    assert odd["error"]["message"] == "process_batch returned a document that is not a JSON object"
    assert odd["document"] == {"n": 4, "odd": True}


def test_a_batch_that_traps_on_one_document_fails_only_that_one(guest: Any) -> None:
    docs = [{"n": 1}, {"n": 2, "boom": 1}, {"n": 3}]
    with Pipeline.from_module(guest(6), tag="b") as pipeline:
        out, failed, _ = run_lines(pipeline, docs)
    assert [d["n"] for d in out] == [1, 3]
    assert [(f["line"], f["error"]["kind"]) for f in failed] == [(2, "guest_trap")]


def test_in_a_worker_a_batch_that_hangs_costs_only_the_document_that_hangs(guest: Any) -> None:
    docs = [{"n": 1}, {"n": 2}, {"n": 3, "hang": 1}, {"n": 4}, {"n": 5}]
    with IsolatedPipeline.from_module(guest(5), tag="b", timeout=0.2) as pipeline:
        out, failed, summary = run_lines(pipeline, docs)
        restarts = pipeline.restarts
    assert [d["n"] for d in out] == [1, 2, 4, 5]
    assert [(f["line"], f["error"]["kind"]) for f in failed] == [(3, "timeout")]
    assert summary.read == 5 and restarts == 2  # the batch, then the document on its own


PIPELINE = {
    "processors": [
        {"set": {"field": "pre", "value": 1}},
        {"wasm": {"module": "MODULE", "tag": "b1", "if": "ctx.skip != true"}},
        {"wasm": {"module": "MODULE", "tag": "b2", "on_failure": [{"set": {"field": "handled", "value": "{{_ingest.on_failure_message}}"}}]}},
        {"wasm": {"module": "MODULE", "tag": "b3", "ignore_failure": True}},
        {"set": {"field": "post", "value": 2}},
    ],
    "on_failure": [{"set": {"field": "pipeline_failed", "value": "{{_ingest.on_failure_processor_tag}}"}}],
}


def test_batches_keep_elasticsearch_failure_rules_and_statistics(guest: Any) -> None:
    definition = json.loads(json.dumps(PIPELINE).replace("MODULE", str(guest(0))))
    docs = DOCS + [{"n": 8, "skip": True}, {"n": 9, "skip": True, "odd": True}] * 3
    with Pipeline.from_definition(definition) as batching, held_to_1_0(Pipeline.from_definition(definition)) as plain:
        assert batching.batches
        got, want = run_lines(batching, docs), run_lines(plain, docs)
        assert got[:2] == want[:2]
        assert got[2].counts() == want[2].counts()
        assert _without_times(batching.stats()) == _without_times(plain.stats())
    assert any(d.get("pipeline_failed") == "b1" for d in got[0])


def _without_times(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _without_times(v) for k, v in value.items() if "time" not in k}
    if isinstance(value, list):
        return [_without_times(v) for v in value]
    return value
