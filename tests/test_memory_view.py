"""The host caches its view of guest memory (ingesthost.abi.HostCalls._fits).

That is only safe because growing a wasm32 memory never moves it on 64-bit
hosts with wasmer 1.1 (the whole 4 GiB is reserved up front). If a wasmer
upgrade changes that, this test fails before any stale view is used.
"""

from __future__ import annotations

import ctypes
import logging


from ingesthost import IngestDocument
from ingesthost.abi import STABLE_MEMORY_BASE, HostCalls
from ingesthost.engine import Engine
from ingesthost.runtime import wat2wasm

GROWING_GUEST = """
(module
  (memory (export "memory") 1)
  (func (export "malloc") (param $n i32) (result i32)
    ;; grow by one page and hand out the start of the new page
    (i32.mul (memory.grow (i32.const 1)) (i32.const 65536)))
  (func (export "process") (result i32) (i32.const 0)))
"""


def _base(view: memoryview) -> int:
    return ctypes.addressof(ctypes.c_char.from_buffer(view))


def test_growing_memory_keeps_its_base(engine: Engine) -> None:
    assert STABLE_MEMORY_BASE
    instance = engine.impl.instantiate(engine.compile(wat2wasm(GROWING_GUEST)), {})
    memory = instance.memory
    before = _base(memoryview(memory.buffer))
    for _ in range(50):
        memory.grow(100)
    assert memory.size == 5001
    assert _base(memoryview(memory.buffer)) == before


def test_cached_view_follows_growth_during_get_field(engine: Engine) -> None:
    host = HostCalls(logging.getLogger("test"))
    instance = engine.impl.instantiate(engine.compile(wat2wasm(GROWING_GUEST)), host.host_imports())
    host.bind(instance.memory, instance.export("malloc"))
    host.document = IngestDocument({"k": "v" * 100})
    memoryview(instance.memory.buffer)[0:1] = b"k"
    for round_ in range(3):
        # each get grows memory by a page and places the value in the new page
        assert host.get_field(0, 1, 16, 20) == 0
        view = memoryview(instance.memory.buffer)
        ptr = int.from_bytes(view[16:20], "little")
        length = int.from_bytes(view[20:24], "little")
        assert ptr == 65536 * (round_ + 1)
        assert bytes(view[ptr : ptr + length]) == b'"' + b"v" * 100 + b'"'
