"""The ABI conformance vectors of abi_spec/vectors, run two ways:

1. directly against the host functions of ``ingesthost.abi`` over real guest
   memory (a minimal guest that only provides memory and a bump ``malloc``);
2. through the Rust SDK's ``conformance`` example guest, which performs each
   call with the SDK's safe API (or raw bytes for the ``*_hex`` cases) and
   logs what it got back.
"""

from __future__ import annotations

import json
import logging
import struct
from pathlib import Path
from typing import Any

import pytest

from ingesthost import IngestDocument, Status
from ingesthost.abi import HostCalls
from ingesthost.engine import Engine
from ingesthost.guest import GuestModule
from ingesthost.processors import WasmProcessor
from ingesthost.runtime import available, wat2wasm

ROOT = Path(__file__).resolve().parent.parent
VECTOR_DIR = ROOT / "abi_spec" / "vectors"
CONFORMANCE_WASM = ROOT / "fixtures" / "wasm" / "conformance.wasm"

STATUS_BY_NAME = {s.label: int(s) for s in Status}

MEMORY_GUEST = """
(module
  (memory (export "memory") 2)
  (global $next (mut i32) (i32.const 65536))
  (func (export "malloc") (param $n i32) (result i32)
    (local $p i32)
    (local.set $p (global.get $next))
    (global.set $next (i32.add (global.get $next) (local.get $n)))
    (local.get $p))
  (func (export "process") (result i32) (i32.const 0)))
"""


def load_cases() -> list[tuple[str, dict[str, Any]]]:
    cases = []
    for path in sorted(VECTOR_DIR.glob("*.json")):
        for case in json.loads(path.read_text(encoding="utf-8")):
            cases.append((f"{path.stem}: {case['name']}", case))
    return cases


CASES = load_cases()


def _bytes_of(call: dict[str, Any], name: str) -> bytes:
    if f"{name}_hex" in call:
        return bytes.fromhex(call[f"{name}_hex"])
    return call[name].encode("utf-8")


class DirectHost:
    """HostCalls bound to a real instance's memory; calls made from Python."""

    def __init__(self, engine: Engine) -> None:
        self.host = HostCalls(logging.getLogger("ingesthost.test.conformance"))
        module = engine.compile(wat2wasm(MEMORY_GUEST))
        self.instance = engine.impl.instantiate(module, self.host.host_imports())
        self.memory = self.instance.memory
        self.host.bind(self.memory, self.instance.export("malloc"))
        self.scratch = 1024

    def place(self, data: bytes) -> int:
        ptr = self.scratch
        memoryview(self.memory.buffer)[ptr : ptr + len(data)] = data
        self.scratch += len(data) + 8
        return ptr

    def run(self, call: dict[str, Any]) -> tuple[int, Any]:
        self.scratch = 1024
        key = _bytes_of(call, "key")
        key_ptr = self.place(key)
        op = call["op"]
        if op == "get_field":
            out = self.place(b"\0" * 8)
            status = self.host.get_field(key_ptr, len(key), out, out + 4)
            if status != 0:
                return status, None
            ptr, length = struct.unpack_from("<II", self.memory.buffer, out)
            return status, json.loads(bytes(memoryview(self.memory.buffer)[ptr : ptr + length]))
        if op == "put_field":
            value = _bytes_of(call, "value_json" if "value_json" in call else "value")
            value_ptr = self.place(value)
            return self.host.put_field(key_ptr, len(key), value_ptr, len(value)), None
        if op == "remove_field":
            return self.host.remove_field(key_ptr, len(key)), None
        raise AssertionError(f"unknown op {op}")


@pytest.fixture(scope="module", params=available())
def engine(request: pytest.FixtureRequest) -> Engine:
    """Every vector runs on every installed runtime: the ABI is the same byte for byte."""
    return Engine("cranelift", runtime=request.param)


@pytest.fixture(scope="module")
def direct(engine: Engine) -> DirectHost:
    return DirectHost(engine)


def test_vectors_exist() -> None:
    assert len(CASES) >= 20
    ops = {call["op"] for _, case in CASES for call in case["calls"]}
    assert ops == {"get_field", "put_field", "remove_field"}
    statuses = {call["status"] for _, case in CASES for call in case["calls"]}
    assert statuses == {"Ok", "InvalidArgument", "NotFound"}


@pytest.mark.parametrize("name,case", CASES, ids=[name for name, _ in CASES])
def test_vector_against_host_functions(direct: DirectHost, name: str, case: dict[str, Any]) -> None:
    document = IngestDocument(json.loads(json.dumps(case["doc"])))
    direct.host.document = document
    try:
        for index, call in enumerate(case["calls"]):
            status, value = direct.run(call)
            assert status == STATUS_BY_NAME[call["status"]], f"call {index}: {call}"
            if call["op"] == "get_field" and call["status"] == "Ok":
                assert value == call["value"], f"call {index}: {call}"
    finally:
        direct.host.document = None
    assert document.source == case["doc_out"]


class _Collect(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.lines: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(record.getMessage())


@pytest.fixture(scope="module")
def conformance_module(engine: Engine) -> GuestModule:
    return GuestModule.from_file(CONFORMANCE_WASM, engine)


@pytest.mark.parametrize("name,case", CASES, ids=[name for name, _ in CASES])
def test_vector_through_rust_sdk(conformance_module: GuestModule, name: str, case: dict[str, Any]) -> None:
    check_vector(conformance_module, case, "conformance")


def check_vector(module: GuestModule, case: dict[str, Any], tag: str) -> None:
    """Run one conformance vector through a driver guest (an SDK's, which
    makes each call and logs its status and value as a JSON line) and check
    every status, every value read and the document left."""
    calls = [{k: v for k, v in call.items() if k in ("op", "key", "key_hex", "value_json", "value_hex")} for call in case["calls"]]
    processor = WasmProcessor(module, {"calls": calls}, tag=tag)
    collect = _Collect()
    logger = logging.getLogger(f"ingesthost.guest.{tag}")
    logger.addHandler(collect)
    logger.setLevel(logging.DEBUG)
    try:
        document = IngestDocument(json.loads(json.dumps(case["doc"])))
        assert processor.execute(document) is document
    finally:
        logger.removeHandler(collect)
        processor.close()
    results = [json.loads(line) for line in collect.lines]
    assert [r["i"] for r in results] == list(range(len(case["calls"])))
    for call, result in zip(case["calls"], results):
        assert result["status"] == STATUS_BY_NAME[call["status"]], f"{call} -> {result}"
        if call["op"] == "get_field" and call["status"] == "Ok":
            assert result["value"] == call["value"], f"{call} -> {result}"
    assert document.source == case["doc_out"]


@pytest.mark.parametrize("name,case", CASES, ids=[name for name, _ in CASES])
def test_vector_through_rust_sdk_in_a_batch(
    conformance_module: GuestModule, name: str, case: dict[str, Any], caplog: pytest.LogCaptureFixture
) -> None:
    """ABI 1.1: the same calls on the SDK's own copy of each document of a
    batch (``process_batch``) give the same statuses, values and documents."""
    assert conformance_module.shape.batch, "the SDK's guests declare ABI 1.1 and export process_batch"
    calls = [
        {k: v for k, v in call.items() if k in ("op", "key", "key_hex", "value_json", "value_hex")}
        for call in case["calls"]
    ]
    processor = WasmProcessor(conformance_module, {"calls": calls}, tag="conformance")
    collect = _Collect()
    logger = logging.getLogger("ingesthost.guest.conformance")
    logger.addHandler(collect)
    logger.setLevel(logging.DEBUG)
    try:
        documents = [IngestDocument(json.loads(json.dumps(case["doc"]))) for _ in range(3)]
        results = processor.execute_batch(documents)
    finally:
        logger.removeHandler(collect)
        processor.close()
    assert not any(isinstance(r, Exception) for r in results), results
    # Really in a batch: the host did not fall back to one document at a time.
    assert not [r for r in caplog.records if "one at a time" in r.getMessage()]
    lines = [json.loads(line) for line in collect.lines]
    assert [r["i"] for r in lines] == list(range(len(case["calls"]))) * 3
    for index, (call, result) in enumerate(zip(case["calls"] * 3, lines)):
        assert result["status"] == STATUS_BY_NAME[call["status"]], f"{call} -> {result}"
        if call["op"] == "get_field" and call["status"] == "Ok":
            assert result["value"] == call["value"], f"{call} -> {result}"
    for result in results:
        assert result.source == case["doc_out"]
