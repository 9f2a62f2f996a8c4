"""The wasm runtimes behind ingesthost, and how one is chosen.

Two runtimes implement the same small interface (compile, deserialize,
instantiate with host functions and WASI, call exports, read memory):

- ``wasmer`` (wasmer-python, CPython 3.10 only): three compilers, native
  artifacts, cheap host calls. The default where it is installed.
- ``wasmtime`` (wasmtime-py, every current CPython): in-process time limits
  (epoch interruption), store memory limits; each call costs more.

Everything above this package (the ABI host, guests, the loader, artifacts)
talks to :class:`Backend` objects only, so the same guest gives the same
bytes on both. The choice is made per engine: ``--runtime``, ``runtime:``
in a pipeline file or a processor, or ``runtime=`` in the library;
``INGESTHOST_RUNTIME`` sets the default for a whole process.
"""

from __future__ import annotations

import importlib
import importlib.util
import os
from types import ModuleType

from .errors import GuestInterrupted, RuntimeUnavailableError
from .types import Extern, HostFunction, HostImports, Signature

__all__ = [
    "RUNTIMES",
    "DEFAULT_ENV",
    "Extern",
    "GuestInterrupted",
    "HostFunction",
    "HostImports",
    "RuntimeUnavailableError",
    "Signature",
    "available",
    "backend",
    "default_runtime",
    "resolve",
    "wat2wasm",
]

RUNTIMES = ("wasmer", "wasmtime")
#: Environment variable that sets the default runtime of a process.
DEFAULT_ENV = "INGESTHOST_RUNTIME"
_MODULES = {"wasmer": "wasmer_backend", "wasmtime": "wasmtime_backend"}
_INSTALL = {
    "wasmer": "wasmer-python has wheels for CPython 3.10 only: pip install 'wasmer==1.1.0' "
    "'wasmer-compiler-cranelift==1.1.0' on a CPython 3.10, or use --runtime wasmtime",
    "wasmtime": "pip install 'wasmtime==50.0.1', or use --runtime wasmer",
}


def available() -> tuple[str, ...]:
    """The runtimes installed in this Python, in order of preference."""
    return tuple(name for name in RUNTIMES if importlib.util.find_spec(name) is not None)


def default_runtime() -> str:
    """``$INGESTHOST_RUNTIME`` if set, else wasmer where it is installed, else wasmtime."""
    chosen = os.environ.get(DEFAULT_ENV)
    if chosen:
        return _check_name(chosen, f"${DEFAULT_ENV}")
    found = available()
    if not found:
        raise RuntimeUnavailableError(
            "no WebAssembly runtime is installed: pip install 'wasmtime==50.0.1' (any CPython), "
            "or wasmer 1.1.0 on CPython 3.10"
        )
    return found[0]


def _check_name(name: object, where: str = "runtime") -> str:
    if name not in RUNTIMES:
        raise RuntimeUnavailableError(f"unknown {where} [{name}]; choose one of {', '.join(RUNTIMES)}")
    return name  # type: ignore[return-value]


def resolve(name: str | None) -> str:
    """``name`` checked, or the default runtime when None."""
    return default_runtime() if name is None else _check_name(name)


def backend(name: str | None = None) -> ModuleType:
    """The module implementing runtime ``name`` (imported on first use)."""
    name = resolve(name)
    try:
        return importlib.import_module(f"{__name__}.{_MODULES[name]}")
    except ImportError as exc:
        if exc.name not in (name, None) and not str(exc.name).startswith(name):
            raise
        raise RuntimeUnavailableError(f"the {name} runtime is not installed: {_INSTALL[name]}") from None


def wat2wasm(text: str) -> bytes:
    """WebAssembly text to binary with whichever runtime is installed."""
    for name in available():
        return backend(name).wat2wasm(text)
    raise RuntimeUnavailableError("no WebAssembly runtime is installed")
