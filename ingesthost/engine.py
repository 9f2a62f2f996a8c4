"""Engines: one runtime, compiler and engine kind, and what it compiled.

Two runtimes sit behind an :class:`Engine` (:mod:`ingesthost.runtime`):
wasmer, with three compilers (Singlepass compiles fastest, Cranelift, the
default, balances compile time and code speed, LLVM makes the fastest code
but compiles slowly) and two engine kinds (``universal``, wasmer's own
format for any compiler, and ``native``, a real shared object through
wasmer's Dylib engine: LLVM only, gcc needed to link it); and wasmtime,
which compiles with its own Cranelift into one kind (``universal``).

A module instantiates only in the engine it was compiled or deserialized
in, so a pipeline keeps one engine per (runtime, compiler, kind) it uses
(:class:`EngineSet`). Loading a precompiled artifact needs no compiler at
all: :meth:`Engine.headless`.
"""

from __future__ import annotations

from typing import Any

from . import runtime as runtimes
from .runtime.errors import RuntimeUnavailableError

COMPILERS = ("cranelift", "llvm", "singlepass")
DEFAULT_COMPILER = "cranelift"
ENGINE_KINDS = ("universal", "native")
DEFAULT_ENGINE = "universal"

#: Kept under its old name: a compiler, engine or runtime that cannot be used here.
CompilerUnavailableError = RuntimeUnavailableError


class Engine:
    """One runtime + compiler + engine kind (+ optional cross target).

    ``compiler`` None makes a headless engine: it cannot compile, only load
    artifacts, and imports no compiler package. ``runtime`` None is the
    default runtime (:func:`ingesthost.runtime.default_runtime`).
    """

    def __init__(
        self,
        compiler: str | None = DEFAULT_COMPILER,
        kind: str = DEFAULT_ENGINE,
        *,
        target: str | None = None,
        cpu_features: tuple[str, ...] = (),
        runtime: str | None = None,
    ) -> None:
        if kind not in ENGINE_KINDS:
            raise CompilerUnavailableError(f"unknown engine [{kind}]; choose one of {', '.join(ENGINE_KINDS)}")
        if compiler is not None and compiler not in COMPILERS:
            raise CompilerUnavailableError(f"unknown compiler [{compiler}]; choose one of {', '.join(COMPILERS)}")
        self.runtime = runtimes.resolve(runtime)
        self.backend = runtimes.backend(self.runtime)
        self.compiler = compiler
        self.kind = kind
        self.target = target
        self.cpu_features = tuple(cpu_features)
        #: The runtime's own engine object (see ingesthost.runtime.*_backend.Engine).
        self.impl: Any = self.backend.Engine(compiler, kind, target=target, cpu_features=self.cpu_features)

    @classmethod
    def headless(cls, kind: str = DEFAULT_ENGINE, runtime: str | None = None) -> "Engine":
        """An engine that only loads precompiled artifacts of ``kind``."""
        return cls(None, kind, runtime=runtime)

    @property
    def is_cross(self) -> bool:
        return self.target is not None or bool(self.cpu_features)

    @property
    def interrupts(self) -> bool:
        """Whether a running guest can be stopped at a deadline in-process."""
        return bool(self.backend.INTERRUPTS)

    def compile(self, wasm: bytes) -> Any:
        """Compile; raises ``RuntimeError``/``TypeError``/``ValueError`` on invalid bytes."""
        if self.compiler is None:
            raise CompilerUnavailableError("this engine is headless: it loads artifacts and cannot compile")
        return self.impl.compile(wasm)

    def deserialize(self, payload: bytes) -> Any:
        """A module from a serialized payload (checked by :mod:`ingesthost.artifact` first)."""
        return self.impl.deserialize(payload)

    def __repr__(self) -> str:
        return f"Engine({self.compiler!r}, {self.kind!r}, runtime={self.runtime!r})"


class EngineSet:
    """The engines of one pipeline, created on first use, one per (runtime, compiler, kind)."""

    def __init__(self, default_compiler: str = DEFAULT_COMPILER, runtime: str | None = None) -> None:
        if default_compiler not in COMPILERS:
            raise CompilerUnavailableError(
                f"unknown compiler [{default_compiler}]; choose one of {', '.join(COMPILERS)}"
            )
        self.default_compiler = default_compiler
        self.runtime = runtimes.resolve(runtime)
        self._engines: dict[tuple[str, str | None, str], Engine] = {}

    def get(self, compiler: str | None = None, kind: str = DEFAULT_ENGINE, runtime: str | None = None) -> Engine:
        key = (runtime or self.runtime, compiler or self.default_compiler, kind)
        engine = self._engines.get(key)
        if engine is None:
            engine = self._engines[key] = Engine(key[1], kind, runtime=key[0])
        return engine

    def headless(self, kind: str, runtime: str | None = None) -> Engine:
        """The artifact-loading engine of ``kind`` (shared by all artifacts of that kind)."""
        key = (runtime or self.runtime, None, kind)
        engine = self._engines.get(key)
        if engine is None:
            engine = self._engines[key] = Engine.headless(kind, runtime=key[0])
        return engine
