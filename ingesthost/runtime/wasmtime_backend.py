"""The wasmtime runtime (wasmtime-py, every current CPython).

What it adds over wasmer: a guest's time limit holds in-process (epoch
interruption: a ticker thread advances the engine's epoch, each call gets a
deadline in ticks), the memory cap is also enforced by the store
(``StoreLimits``) and WASI comes from wasmtime itself. What it costs: every
crossing goes through ctypes, tens of microseconds where wasmer takes one,
so ABI 1.1 guests (one call per batch) suffer least.

Traps are raised as ``RuntimeError`` with wasmer's wording for the same trap
code, so failure records read the same whichever runtime ran the guest.
Each instance has its own store: closing it frees the instance's memory.
"""

from __future__ import annotations

import ctypes
import math
import threading
import weakref
from pathlib import Path
from typing import Any, Callable

import wasmtime
from wasmtime import TrapCode

from . import wasmtime_calls
from .errors import GuestInterrupted, RuntimeUnavailableError
from .types import Extern, HostImports, Signature

NAME = "wasmtime"
try:
    from importlib.metadata import version as _version

    VERSION: str = _version("wasmtime")
except Exception:  # pragma: no cover - an unusual install
    VERSION = "unknown"
#: wasmtime compiles with its own Cranelift.
COMPILERS = ("cranelift",)
ENGINE_KINDS = ("universal",)
#: Guests are interrupted at their deadline, in-process.
INTERRUPTS = True
#: How often the epoch advances: the granularity of time limits.
TICK_SECONDS = 0.01
#: A deadline no run reaches (ticks): "no time limit".
_FOREVER = 1 << 62

#: wasmtime's trap codes in wasmer's words (the failure records must not
#: depend on the runtime).
_TRAP_TEXT = {
    TrapCode.STACK_OVERFLOW: "call stack exhausted",
    TrapCode.MEMORY_OUT_OF_BOUNDS: "out of bounds memory access",
    TrapCode.HEAP_MISALIGNED: "misaligned heap",
    TrapCode.TABLE_OUT_OF_BOUNDS: "undefined element: out of bounds table access",
    TrapCode.INDIRECT_CALL_TO_NULL: "uninitialized element",
    TrapCode.BAD_SIGNATURE: "indirect call type mismatch",
    TrapCode.INTEGER_OVERFLOW: "integer overflow",
    TrapCode.INTEGER_DIVISION_BY_ZERO: "integer divide by zero",
    TrapCode.BAD_CONVERSION_TO_INTEGER: "invalid conversion to integer",
    TrapCode.UNREACHABLE: "unreachable",
}
_VALTYPES = {"i32": wasmtime.ValType.i32, "i64": wasmtime.ValType.i64, "f32": wasmtime.ValType.f32, "f64": wasmtime.ValType.f64}


def call(fn: Callable[..., Any], *args: Any) -> Any:
    """Call into wasmtime with its errors as ``RuntimeError`` (what callers catch for any runtime)."""
    try:
        return fn(*args)
    except (wasmtime.Trap, wasmtime.WasmtimeError) as exc:
        raise _exception_of(exc) from None


def _exception_of(error: Exception) -> RuntimeError:
    """What a failed call raises: a trap in wasmer's words, a WASI exit as wasmer
    reports it, any other wasmtime error by its first line."""
    if isinstance(error, wasmtime.Trap):
        return _runtime_error(error)
    if isinstance(error, wasmtime.ExitTrap):
        return RuntimeError(f"WASI exited with code: {error.code}")
    return RuntimeError(_first_line(str(error)))


def _runtime_error(trap: wasmtime.Trap) -> RuntimeError:
    code = trap.trap_code
    if code == TrapCode.INTERRUPT:
        return GuestInterrupted("interrupted at its deadline")
    text = _TRAP_TEXT.get(code) if code is not None else None
    return RuntimeError(text or _trap_message(trap.message))


def _trap_message(message: str) -> str:
    """The cause line of a trap without a code (a host function's error, ``proc_exit``...)."""
    lines = [line.strip() for line in message.splitlines() if line.strip()]
    for line in lines:
        if line.startswith("wasm trap: "):
            return line[len("wasm trap: ") :]
    if "Caused by:" in lines:
        rest = lines[lines.index("Caused by:") + 1 :]
        if rest:
            return rest[0]
    return lines[0] if lines else "trap"


def _first_line(text: str) -> str:
    text = text.strip()
    return text.splitlines()[0] if text else "error"


def wat2wasm(text: str) -> bytes:
    return bytes(wasmtime.wat2wasm(text))


def _sig(kind: wasmtime.FuncType) -> Signature:
    return (tuple(str(t) for t in kind.params), tuple(str(t) for t in kind.results))


def _extern(name: str, kind: Any, module: str = "") -> Extern:
    if isinstance(kind, wasmtime.FuncType):
        return Extern(name, "function", _sig(kind), module=module)
    if isinstance(kind, wasmtime.MemoryType):
        limits = kind.limits
        return Extern(name, "memory", minimum=limits.min, maximum=limits.max, module=module)
    if isinstance(kind, wasmtime.GlobalType):
        return Extern(name, "global", module=module)
    return Extern(name, "table", module=module)


class CompiledModule:
    runtime = NAME

    def __init__(self, raw: wasmtime.Module) -> None:
        self.raw = raw
        self.exports = tuple(_extern(e.name, e.type) for e in raw.exports)
        self.imports = tuple(_extern(i.name or "", i.type, i.module) for i in raw.imports)

    def serialize(self) -> bytes:
        return bytes(call(self.raw.serialize))


class _Memory:
    """A wasmtime memory as a :class:`~ingesthost.runtime.types.GuestMemory`:
    ``buffer`` is a writable byte view over the store's memory, made with
    ctypes (wasmtime-py only copies through ``read``/``write``)."""

    __slots__ = ("_memory", "_store")

    def __init__(self, memory: wasmtime.Memory, store: wasmtime.Store) -> None:
        self._memory = memory
        self._store = store

    @property
    def buffer(self) -> memoryview:
        store = self._store
        length = self._memory.data_len(store)
        address = ctypes.addressof(self._memory.data_ptr(store).contents)
        return memoryview((ctypes.c_ubyte * length).from_address(address)).cast("B")

    @property
    def size(self) -> int:
        return self._memory.size(self._store)

    @property
    def data_size(self) -> int:
        """The size in bytes (wasmer's name for it)."""
        return self._memory.data_len(self._store)

    def grow(self, pages: int) -> int:
        """Grow by ``pages``: the old size in pages; RuntimeError when it cannot."""
        try:
            return self._memory.grow(self._store, pages)
        except wasmtime.WasmtimeError as exc:
            raise RuntimeError(_first_line(str(exc))) from None


class _Exports:
    """Exports by attribute, as wasmer offers them (for tools and tests)."""

    def __init__(self, instance: "Instance") -> None:
        self._instance = instance

    def __getattr__(self, name: str) -> Any:
        instance = self._instance
        item = instance._exports.get(name) if instance._exports is not None else None
        if item is None:
            raise AttributeError(name)
        if isinstance(item, wasmtime.Memory):
            return _Memory(item, instance._store)
        if isinstance(item, wasmtime.Global):
            return _Global(item, instance._store)
        return instance.export(name)


class _Global:
    """A wasmtime global with wasmer's ``value`` attribute."""

    def __init__(self, item: wasmtime.Global, store: wasmtime.Store) -> None:
        self._item = item
        self._store = store

    @property
    def value(self) -> Any:
        return self._item.value(self._store)


class Instance:
    def __init__(
        self,
        engine: "Engine",
        store: wasmtime.Store,
        raw: wasmtime.Instance,
        module: CompiledModule,
        state: wasmtime_calls.CallState,
    ) -> None:
        self._engine = engine
        self._store = store
        self._state = state
        self._sigs = {e.name: e.sig for e in module.exports if e.sig is not None}
        self._exports = raw.exports(store)
        memory = self._exports.get("memory")
        self.memory: Any = _Memory(memory, store) if isinstance(memory, wasmtime.Memory) else None

    @property
    def exports(self) -> "_Exports":
        """Every export by attribute (``exports.memory``, ``exports.process()``);
        made on demand: held by the instance it would be a reference cycle,
        keeping the store (and its memory reservation) until a garbage collection."""
        return _Exports(self)

    def export(self, name: str) -> Callable[..., Any]:
        """The exported function ``name``; it raises RuntimeError when the guest
        traps, :class:`GuestInterrupted` when it passes its deadline."""
        func = self._exports[name]
        store = self._store
        sig = self._sigs.get(name)
        if sig is not None and wasmtime_calls.fits(sig):
            return wasmtime_calls.export_call(func, store, sig, self._state, _exception_of)
        errors = (wasmtime.Trap, wasmtime.WasmtimeError)

        def exported(*args: Any) -> Any:  # other value types: wasmtime-py's own (slower) call
            try:
                return func(store, *args)
            except errors as exc:
                raise _exception_of(exc) from None

        return exported

    def set_deadline(self, seconds: float | None) -> None:
        """Interrupt the guest ``seconds`` from now (None: never)."""
        if seconds is None:
            self._store.set_epoch_deadline(_FOREVER)
            return
        self._engine.start_ticker()
        self._store.set_epoch_deadline(max(1, math.ceil(seconds / TICK_SECONDS)))

    def close(self) -> None:
        self._state.open = False  # exported callables refuse from now on: the store's memory goes
        self.memory = None
        self._exports = None
        store, self._store = self._store, None
        if store is not None:
            store.close()


class Engine:
    """A wasmtime engine with epoch interruption. ``compiler`` None: headless
    (loads artifacts only; wasmtime engines can do both, the name is kept)."""

    def __init__(
        self, compiler: str | None, kind: str, *, target: str | None = None, cpu_features: tuple[str, ...] = ()
    ) -> None:
        if kind != "universal":
            raise RuntimeUnavailableError(
                f"the {kind} engine is wasmer's (a shared object linked by wasmer's Dylib engine); "
                "the wasmtime runtime has one engine kind: universal (or use --runtime wasmer on CPython 3.10)"
            )
        if compiler not in (None, "cranelift"):
            raise RuntimeUnavailableError(
                f"compiler [{compiler}] is wasmer's: the wasmtime runtime compiles with its own Cranelift "
                "(use --compiler cranelift, or --runtime wasmer on CPython 3.10)"
            )
        if target is not None or cpu_features:
            raise RuntimeUnavailableError(
                "cross-compiling is supported on the wasmer runtime only (--runtime wasmer)"
            )
        config = wasmtime.Config()
        config.epoch_interruption = True
        # Growing never moves a memory: a cached view of it stays valid (see abi.HostCalls._fits).
        config.memory_may_move = False
        self.raw = wasmtime.Engine(config)
        self._ticker: threading.Thread | None = None
        self._ticker_lock = threading.Lock()

    def start_ticker(self) -> None:
        """Advance the epoch every TICK_SECONDS from now on, in a daemon thread
        that holds the engine weakly and ends once the engine is gone."""
        if self._ticker is not None:
            return
        with self._ticker_lock:
            if self._ticker is None:
                self._ticker = threading.Thread(
                    target=_tick, args=(weakref.ref(self),), name="ingesthost-wasmtime-epoch", daemon=True
                )
                self._ticker.start()

    def compile(self, wasm: bytes) -> CompiledModule:
        return CompiledModule(call(wasmtime.Module, self.raw, wasm))

    def deserialize(self, payload: bytes) -> CompiledModule:
        return CompiledModule(call(wasmtime.Module.deserialize, self.raw, payload))

    def instantiate(
        self,
        module: CompiledModule,
        imports: HostImports,
        *,
        wasi: Any = None,
        name: str = "",
        max_memory: int | None = None,
        deadline: float | None = None,
    ) -> Instance:
        """A new instance in a store of its own, with ``imports``, WASI when
        granted and imported, and the store's memory limit at ``max_memory``."""
        store = wasmtime.Store(self.raw)
        if deadline is None:
            store.set_epoch_deadline(_FOREVER)
        else:  # the start function runs inside instantiate
            self.start_ticker()
            store.set_epoch_deadline(max(1, math.ceil(deadline / TICK_SECONDS)))
        if max_memory is not None:
            store.set_limits(memory_size=max_memory)
        linker = wasmtime.Linker(self.raw)
        if wasi is not None and any(i.module in ("wasi_snapshot_preview1", "wasi_unstable") for i in module.imports):
            store.set_wasi(_wasi_config(wasi, name))
            linker.define_wasi()
        state = wasmtime_calls.CallState()
        for namespace, functions in imports.items():
            for fname, host in functions.items():
                functype = wasmtime.FuncType([_VALTYPES[t]() for t in host.sig[0]], [_VALTYPES[t]() for t in host.sig[1]])
                if wasmtime_calls.fits(host.sig):
                    wasmtime_calls.define_host(linker, namespace, fname, functype, host.fn, host.sig, state)
                else:
                    linker.define_func(namespace, fname, functype, host.fn)
        try:
            raw = call(linker.instantiate, store, module.raw)
        except BaseException:
            state.open = False
            store.close()
            raise
        return Instance(self, store, raw, module, state)


def _wasi_config(grant: Any, name: str) -> wasmtime.WasiConfig:
    config = wasmtime.WasiConfig()
    config.argv = [Path(name).stem or "guest", *grant.args]
    config.env = [list(pair) for pair in grant.env]
    for guest_path, host_path in grant.preopens:
        config.preopen_dir(host_path, guest_path)
    config.inherit_stdout()
    config.inherit_stderr()
    return config


def _tick(engine_ref: "weakref.ref[Engine]") -> None:
    event = threading.Event()
    while True:
        engine = engine_ref()
        if engine is None:
            return
        engine.raw.increment_epoch()
        del engine
        event.wait(TICK_SECONDS)
