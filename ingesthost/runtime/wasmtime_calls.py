"""Crossings between Python and wasmtime without wasmtime-py's per-call work.

wasmtime-py's ``Func.__call__`` and its host-function trampoline look up
the function's type through ctypes and box every value on every call:
20-60 us a crossing, 35-50x wasmer's (``bench/runtimes.py``). The guests'
imports and exports use only i32 and i64, whose types are known when the
module loads, so this module calls wasmtime's *unchecked* C entry points
(``wasmtime_func_call_unchecked``, ``wasmtime_linker_define_func_unchecked``)
with a value buffer laid out once, which cuts a crossing to a few
microseconds. Functions with other value types keep wasmtime-py's path.

Safety rests on four things: the types are read from the module (never
guessed), a callable holds its store (a store freed under it would be
used after free), a call checks its argument count and that its instance
was not closed (a closed store's memory is gone), and a Python exception raised in a
host function is kept and raised again in the caller after the guest has
unwound, as wasmtime-py does (so a KeyboardInterrupt still stops a run).
"""

from __future__ import annotations

import ctypes
import itertools
from ctypes import POINTER, byref, c_int32, c_int64, c_void_p, cast
from typing import Any, Callable

import wasmtime
from wasmtime import _bindings as ffi

#: Value types this module carries; a signature with any other keeps wasmtime-py's path.
FAST_TYPES = frozenset(("i32", "i64"))
_SLOT = ctypes.sizeof(ffi.wasmtime_val_raw)  # 16: i32 at 4*i, i64 at 2*i as int32/int64 arrays
_I32_STEP = _SLOT // 4
_I64_STEP = _SLOT // 8
_TRAP_TEXT = b"python exception in a host function"


class CallState:
    """What one instance's crossings share: whether its store is still open,
    and the Python exception a host function raised during the current call."""

    __slots__ = ("open", "error")

    def __init__(self) -> None:
        self.open = True
        self.error: BaseException | None = None

    def take_error(self) -> BaseException | None:
        error, self.error = self.error, None
        return error


def fits(sig: tuple[tuple[str, ...], tuple[str, ...]]) -> bool:
    """Whether a signature can take the fast path (i32/i64 only, at most one result)."""
    params, results = sig
    return len(results) <= 1 and all(t in FAST_TYPES for t in (*params, *results))


# -- host functions -------------------------------------------------------------------------------

#: env id -> (function, parameter types, result type or None, call state). Entries leave
#: when wasmtime drops the function (the finalizer); the callback and finalizer are
#: module-level so that ctypes keeps them alive as long as wasmtime may call them.
_HOSTS: dict[int, tuple[Callable[..., Any], tuple[str, ...], str | None, CallState]] = {}
_IDS = itertools.count(1)


@ffi.wasmtime_func_unchecked_callback_t
def _trampoline(env: int, caller: Any, values: Any, count: int) -> int:
    fn, params, result, state = _HOSTS[env]
    ints = cast(values, POINTER(c_int32))
    try:
        if "i64" in params or result == "i64":
            longs = cast(values, POINTER(c_int64))
            args = [longs[i * _I64_STEP] if t == "i64" else ints[i * _I32_STEP] for i, t in enumerate(params)]
            value = fn(*args)
        else:
            n = len(params)
            if n == 4:
                value = fn(ints[0], ints[_I32_STEP], ints[2 * _I32_STEP], ints[3 * _I32_STEP])
            elif n == 2:
                value = fn(ints[0], ints[_I32_STEP])
            elif n == 1:
                value = fn(ints[0])
            elif n == 0:
                value = fn()
            else:
                value = fn(*[ints[i * _I32_STEP] for i in range(n)])
        if result == "i32":
            ints[0] = value
        elif result == "i64":
            cast(values, POINTER(c_int64))[0] = value
        return 0
    except BaseException as exc:  # raised again in the caller once the guest has unwound
        state.error = exc
        return cast(ffi.wasmtime_trap_new(ctypes.create_string_buffer(_TRAP_TEXT), len(_TRAP_TEXT)), c_void_p).value or 0


@ctypes.CFUNCTYPE(None, c_void_p)
def _finalize(env: int) -> None:
    _HOSTS.pop(env or 0, None)


def define_host(
    linker: wasmtime.Linker,
    namespace: str,
    name: str,
    functype: wasmtime.FuncType,
    fn: Callable[..., Any],
    sig: tuple[tuple[str, ...], tuple[str, ...]],
    state: CallState,
) -> None:
    """Define ``namespace.name`` in ``linker`` as ``fn`` through the unchecked callback."""
    env = next(_IDS)
    _HOSTS[env] = (fn, sig[0], sig[1][0] if sig[1] else None, state)
    space, item = namespace.encode(), name.encode()
    error = ffi.wasmtime_linker_define_func_unchecked(
        linker.ptr(),
        ctypes.create_string_buffer(space), len(space),
        ctypes.create_string_buffer(item), len(item),
        functype.ptr(), _trampoline, env, _finalize,
    )
    if error:
        _HOSTS.pop(env, None)
        raise wasmtime.WasmtimeError._from_ptr(error)


# -- exported functions ---------------------------------------------------------------------------


def export_call(
    func: wasmtime.Func,
    store: wasmtime.Store,
    sig: tuple[tuple[str, ...], tuple[str, ...]],
    state: CallState,
    on_trap: Callable[[wasmtime.Trap], BaseException],
) -> Callable[..., Any]:
    """A Python callable for the exported ``func``: ints in, an int (or None) out;
    a trap raises ``on_trap(trap)``, a host function's exception itself."""
    params, results = sig
    n_params = len(params)
    result = results[0] if results else None
    size = max(n_params, len(results), 1)
    buffer_type = ffi.wasmtime_val_raw * size
    wide = "i64" in params or result == "i64"
    context = store._context()
    func_ref = byref(func._func)
    call = ffi._wasmtime_func_call_unchecked
    trap_type = POINTER(ffi.wasm_trap_t)
    spare = [buffer_type()]  # one buffer, taken while a call uses it (a nested call gets its own)

    def exported(*args: int, _keep: tuple = (store, func)) -> Any:  # the store and function outlive this callable
        if not state.open:
            raise RuntimeError("the instance was closed")
        if len(args) != n_params:
            raise TypeError(f"expected {n_params} arguments, got {len(args)}")
        values = spare.pop() if spare else buffer_type()
        try:
            ints = cast(values, POINTER(c_int32))
            if wide:
                longs = cast(values, POINTER(c_int64))
                for i, (kind, value) in enumerate(zip(params, args)):
                    if kind == "i64":
                        longs[i * _I64_STEP] = value
                    else:
                        ints[i * _I32_STEP] = value
            else:
                for i, value in enumerate(args):
                    ints[i * _I32_STEP] = value
            trap = trap_type()
            error = call(context, func_ref, values, size, byref(trap))
            if error or trap:
                raised = state.take_error()
                if trap:
                    trap_object = wasmtime.Trap._from_ptr(trap)
                    if raised is not None:
                        raise raised
                    raise on_trap(trap_object)
                failure = wasmtime.WasmtimeError._from_ptr(error)
                if raised is not None:
                    raise raised
                raise on_trap(failure)  # type: ignore[arg-type]
            if result is None:
                return None
            return ints[0] if result == "i32" else cast(values, POINTER(c_int64))[0]
        finally:
            spare.append(values)

    return exported
