"""The wasmer runtime (wasmer-python 1.1, CPython 3.10 only).

wasmer is the engine the project was built on: three compilers (Cranelift,
LLVM, Singlepass), a ``native`` engine that links real shared objects, and
host calls about 50x cheaper than wasmtime-py's. It has no interrupt API:
a guest's time limit holds only in a worker process, which the parent kills
(:mod:`ingesthost.workers`).

Its objects are used as they are (a ``wasmer.Memory`` is already a
:class:`~ingesthost.runtime.types.GuestMemory`; exported functions already
raise ``RuntimeError`` on a trap), so this runtime adds no cost per call.
"""

from __future__ import annotations

import ctypes
import importlib
import shutil
from typing import Any, Callable

import wasmer
from wasmer import wasi as wasmer_wasi

from .errors import RuntimeUnavailableError
from .types import Extern, HostImports, Signature

NAME = "wasmer"
VERSION: str = wasmer.__version__
COMPILERS = ("cranelift", "llvm", "singlepass")
ENGINE_KINDS = ("universal", "native")
#: wasmer cannot interrupt a running guest.
INTERRUPTS = False

_COMPILER_PACKAGES = {
    "cranelift": "wasmer_compiler_cranelift",
    "llvm": "wasmer_compiler_llvm",
    "singlepass": "wasmer_compiler_singlepass",
}
_TYPES = {wasmer.Type.I32: "i32", wasmer.Type.I64: "i64", wasmer.Type.F32: "f32", wasmer.Type.F64: "f64"}
_WASMER_TYPES = {name: kind for kind, name in _TYPES.items()}


def call(fn: Callable[..., Any], *args: Any) -> Any:
    """Call into wasmer, turning its Rust panics into ordinary exceptions.

    pyo3 raises panics as ``PanicException``, a BaseException that a plain
    ``except Exception`` would let through and abort the run.
    """
    try:
        return fn(*args)
    except (Exception, KeyboardInterrupt, SystemExit):
        raise
    except BaseException as exc:
        raise RuntimeError(f"wasmer panicked: {exc}") from None


def _preload_llvm_runtime() -> None:
    """Load libtinfo.so.5 globally before the LLVM compiler wheel is imported.

    The wheel links against libtinfo.so.5 with symbol versions that Debian 12's
    libtinfo6 lacks; without this preload the dynamic loader aborts the whole
    process (an assertion in dl-version.c), which no ``except`` can catch.
    """
    try:
        ctypes.CDLL("libtinfo.so.5", mode=ctypes.RTLD_GLOBAL)
    except OSError as exc:
        raise RuntimeUnavailableError(
            "the LLVM compiler needs libtinfo.so.5, which is not installed "
            "(Debian/Ubuntu: `apt-get install libtinfo5`); "
            "use --compiler cranelift or singlepass meanwhile"
        ) from exc


def load_compiler(name: str) -> Any:
    """The wasmer ``Compiler`` class for ``name``, importing its package on demand."""
    if name not in _COMPILER_PACKAGES:
        raise RuntimeUnavailableError(f"unknown compiler [{name}]; choose one of {', '.join(COMPILERS)}")
    if name == "llvm":
        _preload_llvm_runtime()
    package = _COMPILER_PACKAGES[name]
    try:
        module = importlib.import_module(package)
    except ImportError as exc:
        raise RuntimeUnavailableError(
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
        raise RuntimeUnavailableError(f"unknown target triple [{triple}]: {exc}") from None
    features = wasmer.target.CpuFeatures()
    for feature in cpu_features:
        try:
            features.add(feature)
        except (ValueError, RuntimeError) as exc:
            raise RuntimeUnavailableError(f"unknown CPU feature [{feature}]: {exc}") from None
    return wasmer.target.Target(wasm_triple, features)


def wat2wasm(text: str) -> bytes:
    return bytes(wasmer.wat2wasm(text))


def _sig(kind: Any) -> Signature:
    return (tuple(_TYPES.get(t, str(t)) for t in kind.params), tuple(_TYPES.get(t, str(t)) for t in kind.results))


def _extern(name: str, kind: Any, module: str = "") -> Extern:
    if isinstance(kind, wasmer.FunctionType):
        return Extern(name, "function", _sig(kind), module=module)
    if isinstance(kind, wasmer.MemoryType):
        return Extern(name, "memory", minimum=kind.minimum, maximum=kind.maximum, module=module)
    if isinstance(kind, wasmer.GlobalType):
        return Extern(name, "global", module=module)
    return Extern(name, "table", module=module)


class CompiledModule:
    """A compiled module and what it imports and exports."""

    runtime = NAME

    def __init__(self, raw: wasmer.Module) -> None:
        self.raw = raw
        self.exports = tuple(_extern(e.name, e.type) for e in raw.exports)
        self.imports = tuple(_extern(i.name, i.type, i.module) for i in raw.imports)

    def serialize(self) -> bytes:
        return bytes(call(self.raw.serialize))


class Instance:
    """One live instance. ``memory`` is the exported ``memory`` (or None)."""

    def __init__(self, raw: wasmer.Instance, exported: set[str]) -> None:
        self._raw = raw
        self._exports = raw.exports
        self.memory: Any = self._exports.memory if "memory" in exported else None
        #: Every export by attribute (``exports.memory``, ``exports.process()``).
        self.exports = self._exports

    def export(self, name: str) -> Callable[..., Any]:
        """The exported function ``name``; it raises RuntimeError when the guest traps."""
        return getattr(self._exports, name)

    def set_deadline(self, seconds: float | None) -> None:
        """wasmer cannot interrupt a guest: the worker's watchdog is the only clock."""

    def close(self) -> None:
        self.memory = None
        self._exports = self.exports = None
        self._raw = None


class Engine:
    """A wasmer store for one compiler and engine kind (``compiler`` None:
    headless, it only loads artifacts)."""

    def __init__(
        self, compiler: str | None, kind: str, *, target: str | None = None, cpu_features: tuple[str, ...] = ()
    ) -> None:
        engine_class = wasmer.engine.Universal if kind == "universal" else wasmer.engine.Dylib
        if compiler is None:
            self.store = wasmer.Store(engine_class())
            return
        if kind == "native":
            if compiler != "llvm":
                raise RuntimeUnavailableError(
                    f"the native engine needs the llvm compiler (wasmer's Dylib engine cannot link "
                    f"{compiler} code); use --compiler llvm, or --engine universal"
                )
            if target is None and shutil.which("gcc") is None:
                raise RuntimeUnavailableError(
                    "the native engine links a shared object with gcc, which is not installed "
                    "(Debian/Ubuntu: `apt-get install gcc`); or use --engine universal"
                )
            if target is not None:
                raise RuntimeUnavailableError(
                    "cross-compiling with the native engine needs a linker for the target, which "
                    "wasmer-python cannot be given; cross-compile with --engine universal"
                )
        compiler_class = load_compiler(compiler)
        wasm_target = make_target(target, cpu_features)
        args = (compiler_class,) if wasm_target is None else (compiler_class, wasm_target)
        self.store = wasmer.Store(engine_class(*args))

    def compile(self, wasm: bytes) -> CompiledModule:
        """Compile; raises ``RuntimeError``/``TypeError``/``ValueError`` on invalid bytes."""
        return CompiledModule(call(wasmer.Module, self.store, wasm))

    def deserialize(self, payload: bytes) -> CompiledModule:
        return CompiledModule(call(wasmer.Module.deserialize, self.store, payload))

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
        """A new instance with ``imports`` (and WASI when granted and imported).
        ``deadline`` is ignored: wasmer cannot interrupt the start function.
        The memory cap was written into the module (see
        :func:`ingesthost.wasm_binary.cap_memory`): wasmer-python has no other."""
        store = self.store
        import_object = _wasi_imports(store, module, wasi, name) if wasi is not None else None
        if import_object is None:
            import_object = wasmer.ImportObject()
        for namespace, functions in imports.items():
            import_object.register(
                namespace,
                {
                    fname: wasmer.Function(
                        store, host.fn, wasmer.FunctionType([_WASMER_TYPES[t] for t in host.sig[0]], [_WASMER_TYPES[t] for t in host.sig[1]])
                    )
                    for fname, host in functions.items()
                },
            )
        raw = call(wasmer.Instance, module.raw, import_object)
        return Instance(raw, {e.name for e in module.exports})


def _wasi_imports(store: wasmer.Store, module: CompiledModule, grant: Any, name: str) -> wasmer.ImportObject | None:
    """A fresh WASI import object for one instance, or None if the module imports no WASI."""
    from pathlib import Path

    version = wasmer_wasi.get_version(module.raw, strict=False)
    if version is None:
        return None
    builder = wasmer_wasi.StateBuilder(Path(name).stem or "guest")
    for arg in grant.args:
        builder.argument(arg)
    for key, value in grant.env:
        builder.environment(key, value)
    for guest_path, host_path in grant.preopens:
        builder.map_directory(guest_path, host_path)
    return builder.finalize().generate_import_object(store, version)
