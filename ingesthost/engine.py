"""Compilers, engines and wasmer stores.

wasmer-python offers three compilers. Singlepass compiles fastest, Cranelift
(the default) balances compile time and code speed, LLVM makes the fastest
code but compiles slowly. Two engines hold compiled code: ``universal``
(wasmer's own format, any compiler) and ``native`` (wasmer's Dylib engine: a
real shared object; LLVM only, gcc needed to link it).

Each :class:`Engine` owns one ``wasmer.Store``; a module instantiates only
with the store it was compiled or deserialized in, so a pipeline keeps one
engine per (compiler, engine) it uses (:class:`EngineSet`). Loading a
precompiled artifact needs no compiler at all: :meth:`Engine.headless`.
"""

from __future__ import annotations

import ctypes
import importlib
import shutil
from typing import Any

import wasmer

from .errors import IngestHostError

COMPILERS = ("cranelift", "llvm", "singlepass")
DEFAULT_COMPILER = "cranelift"
ENGINE_KINDS = ("universal", "native")
DEFAULT_ENGINE = "universal"

_COMPILER_PACKAGES = {
    "cranelift": "wasmer_compiler_cranelift",
    "llvm": "wasmer_compiler_llvm",
    "singlepass": "wasmer_compiler_singlepass",
}


class CompilerUnavailableError(IngestHostError):
    """A compiler or engine cannot be used here; the message says what to install or pick."""


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
        raise CompilerUnavailableError(f"unknown compiler [{name}]; choose one of {', '.join(COMPILERS)}")
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


def make_target(triple: str | None, cpu_features: tuple[str, ...] = ()) -> Any:
    """A wasmer ``Target`` for cross-compiling, or None for this host."""
    if triple is None and not cpu_features:
        return None
    try:
        wasm_triple = wasmer.target.Triple(triple) if triple else wasmer.target.Triple.host()
    except (ValueError, RuntimeError) as exc:
        raise CompilerUnavailableError(f"unknown target triple [{triple}]: {exc}") from None
    features = wasmer.target.CpuFeatures()
    for feature in cpu_features:
        try:
            features.add(feature)
        except (ValueError, RuntimeError) as exc:
            raise CompilerUnavailableError(f"unknown CPU feature [{feature}]: {exc}") from None
    return wasmer.target.Target(wasm_triple, features)


class Engine:
    """One compiler + engine kind (+ optional cross target) and its wasmer store.

    ``compiler`` None makes a headless engine: it cannot compile, only load
    artifacts, and imports no compiler package.
    """

    def __init__(
        self,
        compiler: str | None = DEFAULT_COMPILER,
        kind: str = DEFAULT_ENGINE,
        *,
        target: str | None = None,
        cpu_features: tuple[str, ...] = (),
    ) -> None:
        if kind not in ENGINE_KINDS:
            raise CompilerUnavailableError(f"unknown engine [{kind}]; choose one of {', '.join(ENGINE_KINDS)}")
        self.compiler = compiler
        self.kind = kind
        self.target = target
        self.cpu_features = tuple(cpu_features)
        engine_class = wasmer.engine.Universal if kind == "universal" else wasmer.engine.Dylib
        if compiler is None:
            self.store = wasmer.Store(engine_class())
            return
        if kind == "native":
            if compiler != "llvm":
                raise CompilerUnavailableError(
                    f"the native engine needs the llvm compiler (wasmer's Dylib engine cannot link "
                    f"{compiler} code); use --compiler llvm, or --engine universal"
                )
            if target is None and shutil.which("gcc") is None:
                raise CompilerUnavailableError(
                    "the native engine links a shared object with gcc, which is not installed "
                    "(Debian/Ubuntu: `apt-get install gcc`); or use --engine universal"
                )
            if target is not None:
                raise CompilerUnavailableError(
                    "cross-compiling with the native engine needs a linker for the target, which "
                    "wasmer-python cannot be given; cross-compile with --engine universal"
                )
        compiler_class = load_compiler(compiler)
        wasm_target = make_target(target, self.cpu_features)
        args = (compiler_class,) if wasm_target is None else (compiler_class, wasm_target)
        self.store = wasmer.Store(engine_class(*args))

    @classmethod
    def headless(cls, kind: str = DEFAULT_ENGINE) -> "Engine":
        """An engine that only loads precompiled artifacts of ``kind``."""
        return cls(None, kind)

    @property
    def is_cross(self) -> bool:
        return self.target is not None or bool(self.cpu_features)

    def compile(self, wasm: bytes) -> wasmer.Module:
        """Compile; raises ``RuntimeError``/``TypeError`` from wasmer on invalid bytes."""
        if self.compiler is None:
            raise CompilerUnavailableError("this engine is headless: it loads artifacts and cannot compile")
        return wasmer.Module(self.store, wasm)

    def __repr__(self) -> str:
        return f"Engine({self.compiler!r}, {self.kind!r})"


class EngineSet:
    """The engines of one pipeline, created on first use, one per (compiler, kind)."""

    def __init__(self, default_compiler: str = DEFAULT_COMPILER) -> None:
        if default_compiler not in COMPILERS:
            raise CompilerUnavailableError(
                f"unknown compiler [{default_compiler}]; choose one of {', '.join(COMPILERS)}"
            )
        self.default_compiler = default_compiler
        self._engines: dict[tuple[str | None, str], Engine] = {}

    def get(self, compiler: str | None = None, kind: str = DEFAULT_ENGINE) -> Engine:
        key = (compiler or self.default_compiler, kind)
        engine = self._engines.get(key)
        if engine is None:
            engine = self._engines[key] = Engine(key[0], kind)
        return engine

    def headless(self, kind: str) -> Engine:
        """The artifact-loading engine of ``kind`` (shared by all artifacts of that kind)."""
        key = (None, kind)
        engine = self._engines.get(key)
        if engine is None:
            engine = self._engines[key] = Engine.headless(kind)
        return engine
