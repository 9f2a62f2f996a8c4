"""What the host needs to know about a wasm module, in words of its own.

The ABI checks, ``inspect`` and the Fluent Bit flavour read a module's
imports and exports through these plain records, so none of them depends on
which runtime compiled the module. Value types are the wasm text format's
names (``i32``, ``i64``, ``f32``, ``f64``), which is also how messages print
them.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable, Protocol

#: A function signature: (parameter types, result types).
Signature = tuple[tuple[str, ...], tuple[str, ...]]

I32 = "i32"
I64 = "i64"
F32 = "f32"
F64 = "f64"


@dataclass(frozen=True)
class Extern:
    """One export or import: a function (with its signature), a memory (with
    its limits in pages), a global or a table."""

    name: str
    kind: str  # "function", "memory", "global", "table"
    sig: Signature | None = None
    minimum: int | None = None
    maximum: int | None = None
    #: For imports: the import module (``elastic``, ``wasi_snapshot_preview1``...).
    module: str = ""

    @property
    def kind_text(self) -> str:
        """How a wrong kind is named in messages (``FunctionType``, ``MemoryType``...)."""
        return {"function": "FunctionType", "memory": "MemoryType", "global": "GlobalType", "table": "TableType"}.get(
            self.kind, self.kind
        )


@dataclass(frozen=True)
class HostFunction:
    """A host function to import: ``fn`` takes and returns Python ints (or
    floats for f32/f64). It must not raise: a runtime may turn an exception
    into a trap, or worse."""

    fn: Callable[..., Any]
    sig: Signature


#: import module -> name -> function
HostImports = dict[str, dict[str, HostFunction]]


class GuestMemory(Protocol):
    """A guest's linear memory: ``buffer`` supports the buffer protocol (a
    writable view of all of memory as it is now), ``size`` is in 64 KiB pages,
    ``grow`` adds pages and returns the old size (RuntimeError when it cannot)."""

    @property
    def buffer(self) -> Any: ...

    @property
    def size(self) -> int: ...

    def grow(self, pages: int) -> int: ...
