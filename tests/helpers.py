"""Shared test helpers: compile the hand-written WAT guests of ``tests/wat``.

``load_wat("driver")`` compiles ``tests/wat/driver.wat`` into a
:class:`~ingesthost.guest.GuestModule`; ``wat_processor("counter", tag="t")``
wraps one in a :class:`~ingesthost.processors.WasmProcessor`.
:class:`Driver` scripts ``tests/wat/driver.wat``, a guest whose ``process``
performs the host calls the test wrote into its memory (see that file for
the layout).
"""

from __future__ import annotations

import struct
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterable, Union


from ingesthost.document import IngestDocument
from ingesthost.engine import Engine
from ingesthost.guest import GuestInstance, GuestModule
from ingesthost.processors import WasmProcessor
from ingesthost.runtime import wat2wasm

WAT_DIR = Path(__file__).resolve().parent / "wat"

_default_engine: Engine | None = None
_wasm_cache: dict[Path, bytes] = {}


def default_engine() -> Engine:
    """A Cranelift engine shared by the helpers when no engine is given."""
    global _default_engine
    if _default_engine is None:
        _default_engine = Engine("cranelift")
    return _default_engine


def wat_path(name: str) -> Path:
    """``tests/wat/<name>.wat`` (the suffix is optional)."""
    path = WAT_DIR / name
    return path if path.suffix == ".wat" else path.with_suffix(".wat")


def wat_bytes(path_or_text: Union[str, Path]) -> bytes:
    """Wasm bytes from WAT source text, or from a ``.wat`` file path."""
    if isinstance(path_or_text, Path) or (
        isinstance(path_or_text, str) and path_or_text.endswith(".wat") and "(" not in path_or_text
    ):
        path = Path(path_or_text).resolve()
        if path not in _wasm_cache:
            _wasm_cache[path] = bytes(wat2wasm(path.read_text(encoding="utf-8")))
        return _wasm_cache[path]
    return bytes(wat2wasm(path_or_text))


def compile_wat(path_or_text: Union[str, Path], engine: Engine | None = None, name: str | None = None) -> GuestModule:
    """Compile and ABI-check WAT (text or a file path) into a GuestModule."""
    if name is None:
        name = str(path_or_text) if isinstance(path_or_text, Path) else "<wat>"
    return GuestModule.from_bytes(wat_bytes(path_or_text), engine or default_engine(), name=name)


def load_wat(name: str, engine: Engine | None = None) -> GuestModule:
    """The guest ``tests/wat/<name>.wat``; the module is named by its path (logger: its stem)."""
    path = wat_path(name)
    return compile_wat(path, engine, name=str(path))


def wat_processor(
    name: str, params: dict[str, Any] | None = None, tag: str | None = None, engine: Engine | None = None
) -> WasmProcessor:
    """A WasmProcessor running ``tests/wat/<name>.wat``."""
    return WasmProcessor(load_wat(name, engine), params, tag=tag)


def exports_of(target: Union[GuestInstance, WasmProcessor]) -> Any:
    """The exports of an instance, or of a processor's current instance."""
    instance = target._instance if isinstance(target, WasmProcessor) else target
    assert instance is not None, "the processor has no live instance"
    return instance._instance.exports


def to_i32(value: int) -> int:
    """``value`` as the signed i32 wasm would carry (0xFFFFFFFF -> -1)."""
    value &= 0xFFFFFFFF
    return value - (1 << 32) if value >= 1 << 31 else value


# --------------------------------------------------------------------------
# The driver guest (tests/wat/driver.wat)
# --------------------------------------------------------------------------

#: Operation codes of driver.wat's script entries.
OPS = {
    "get_field": 1,
    "put_field": 2,
    "remove_field": 3,
    "time": 4,
    "log": 5,
    "abi_version": 6,
    "trap": 7,
    "grow": 8,
}
#: driver.wat's malloc modes (``set_malloc_mode``).
MALLOC_BUMP, MALLOC_ZERO, MALLOC_FIXED, MALLOC_TRAP, MALLOC_GROW, MALLOC_REENTER = range(6)

SCRIPT_COUNT = 0x100
SCRIPT_ENTRIES = 0x104
ENTRY = struct.Struct("<6i")  # op, a0, a1, a2, a3, result
MAX_ENTRIES = 64
DATA_START = 0x1000
HEAP_START = 0x8000
#: Where a re-entering malloc stores the statuses of its nested get/put/remove.
NESTED_STATUS = 0x40
PAGE = 65536


@dataclass
class Run:
    code: int
    last_error: str | None
    results: list[int]


class Driver:
    """Scripts one instance of driver.wat.

    ``place(data)`` copies bytes into the data area and returns the address;
    ``run(doc, calls)`` writes the script (``("get_field", a, b, c, d)``...),
    runs ``process`` on ``doc`` and returns each call's result.
    """

    def __init__(self, target: Union[GuestInstance, WasmProcessor]) -> None:
        self.target = target
        self.cursor = DATA_START

    @classmethod
    def create(cls, engine: Engine | None = None) -> "Driver":
        return cls(load_wat("driver", engine).instantiate())

    @property
    def instance(self) -> GuestInstance:
        if isinstance(self.target, WasmProcessor):
            assert self.target._instance is not None
            return self.target._instance
        return self.target

    @property
    def exports(self) -> Any:
        return exports_of(self.target)

    @property
    def memory_size(self) -> int:
        return len(memoryview(self.exports.memory.buffer))

    def write(self, addr: int, data: bytes) -> None:
        memoryview(self.exports.memory.buffer)[addr : addr + len(data)] = data

    def read(self, addr: int, length: int) -> bytes:
        return bytes(memoryview(self.exports.memory.buffer)[addr : addr + length])

    def u32(self, addr: int) -> int:
        return struct.unpack("<I", self.read(addr, 4))[0]

    def place(self, data: bytes) -> int:
        """Copy ``data`` to the next free address of the data area (8-aligned)."""
        addr = self.cursor
        assert addr + len(data) <= HEAP_START, "data area full"
        self.write(addr, data)
        self.cursor = (addr + len(data) + 7) & ~7
        return addr

    def script(self, calls: Iterable[tuple]) -> int:
        calls = list(calls)
        assert len(calls) <= MAX_ENTRIES
        for i, (op, *args) in enumerate(calls):
            args = [to_i32(a) for a in args] + [0] * (4 - len(args))
            self.write(SCRIPT_ENTRIES + i * ENTRY.size, ENTRY.pack(OPS[op], *args, -99))
        self.write(SCRIPT_COUNT, struct.pack("<i", len(calls)))
        return len(calls)

    def results(self, count: int) -> list[int]:
        return [ENTRY.unpack(self.read(SCRIPT_ENTRIES + i * ENTRY.size, ENTRY.size))[5] for i in range(count)]

    def run(self, document: Union[IngestDocument, dict], calls: Iterable[tuple] = ()) -> Run:
        """Run ``process`` of the instance directly (GuestInstance.process)."""
        if isinstance(document, dict):
            document = IngestDocument(document)
        count = self.script(calls)
        code, last_error = self.instance.process(document)
        return Run(code, last_error, self.results(count))
