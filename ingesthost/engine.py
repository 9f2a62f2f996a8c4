"""Compilers and wasmer stores.

wasmer-python offers three compilers. Singlepass compiles fastest, Cranelift
(the default) balances compile time and code speed, LLVM makes the fastest
code but compiles slowly. Each :class:`Engine` owns one ``wasmer.Store``;
modules compiled in a store instantiate only with that store, so a pipeline
keeps one engine per compiler it uses (see :class:`EngineSet`).
"""

from __future__ import annotations

import ctypes
import importlib
from typing import Any

import wasmer

from .errors import IngestHostError

COMPILERS = ("cranelift", "llvm", "singlepass")
DEFAULT_COMPILER = "cranelift"

_COMPILER_PACKAGES = {
    "cranelift": "wasmer_compiler_cranelift",
    "llvm": "wasmer_compiler_llvm",
    "singlepass": "wasmer_compiler_singlepass",
}


class CompilerUnavailableError(IngestHostError):
    """A compiler cannot be used on this machine; the message says what to install."""


def _preload_llvm_runtime() -> None:
    """Load libtinfo.so.5 globally before the LLVM compiler wheel is imported.

    The wheel links against libtinfo.so.5 with symbol versions that Debian 12's
    libtinfo6 lacks; without this preload the dynamic loader aborts the whole
    process (an assertion in dl-version.c), which no ``except`` can catch.
    """
    try:
        ctypes.CDLL("libtinfo.so.5", mode=ctypes.RTLD_GLOBAL)
    except OSError as exc:
        raise CompilerUnavailableError(
            "the LLVM compiler needs libtinfo.so.5, which is not installed "
            "(Debian/Ubuntu: `apt-get install libtinfo5`); "
            "use --compiler cranelift or singlepass meanwhile"
        ) from exc


def load_compiler(name: str) -> Any:
    """The wasmer ``Compiler`` class for ``name``, importing its package on demand."""
    if name not in _COMPILER_PACKAGES:
        raise CompilerUnavailableError(
            f"unknown compiler [{name}]; choose one of {', '.join(COMPILERS)}"
        )
    if name == "llvm":
        _preload_llvm_runtime()
    package = _COMPILER_PACKAGES[name]
    try:
        module = importlib.import_module(package)
    except ImportError as exc:
        raise CompilerUnavailableError(
            f"compiler [{name}] is not installed: pip install {package.replace('_', '-')}==1.1.0"
        ) from exc
    return module.Compiler


class Engine:
    """One compiler and the wasmer store that runs what it compiles."""

    def __init__(self, compiler: str = DEFAULT_COMPILER) -> None:
        self.compiler = compiler
        self.store = wasmer.Store(wasmer.engine.Universal(load_compiler(compiler)))

    def compile(self, wasm: bytes) -> wasmer.Module:
        """Compile; raises ``RuntimeError``/``TypeError`` from wasmer on invalid bytes."""
        return wasmer.Module(self.store, wasm)

    def __repr__(self) -> str:
        return f"Engine({self.compiler!r})"


class EngineSet:
    """The engines of one pipeline, created on first use, one per compiler."""

    def __init__(self, default_compiler: str = DEFAULT_COMPILER) -> None:
        if default_compiler not in COMPILERS:
            raise CompilerUnavailableError(
                f"unknown compiler [{default_compiler}]; choose one of {', '.join(COMPILERS)}"
            )
        self.default_compiler = default_compiler
        self._engines: dict[str, Engine] = {}

    def get(self, compiler: str | None = None) -> Engine:
        name = compiler or self.default_compiler
        engine = self._engines.get(name)
        if engine is None:
            engine = self._engines[name] = Engine(name)
        return engine
