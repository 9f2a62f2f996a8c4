"""From a path to a runnable :class:`GuestModule`: compile (through the
on-disk cache) or load a precompiled artifact.

The cache keeps artifacts in the same format ``ingesthost compile`` writes,
so every cached entry passes the same checks before a runtime deserializes it,
and its header's source SHA-256 must be the module's own (an entry copied
over another's is not trusted); a damaged or mismatched entry is reported,
removed and rebuilt, never loaded. Its key is the module's SHA-256, the
compiler, the engine, the runtime and its version and the target (triple and
CPU features): anything that changes the machine code.
"""

from __future__ import annotations

import hashlib
import logging
import os
from pathlib import Path
from typing import Any, Callable

import platformdirs

from . import artifact
from . import runtime as runtimes
from .engine import DEFAULT_ENGINE, Engine, EngineSet
from .errors import ModuleLoadError
from .guest import GuestModule, compile_module, read_module_bytes
from .wasm_binary import WASM_PAGE, WasmFormatError, cap_memory

#: Default ``max_memory`` of a guest instance.
DEFAULT_MAX_MEMORY = 256 * 1024 * 1024

logger = logging.getLogger(__name__)

CACHE_ENV = "INGESTHOST_CACHE_DIR"


def default_cache_dir() -> Path:
    """``$INGESTHOST_CACHE_DIR``, else the user cache dir (``~/.cache/ingesthost/modules`` on Linux)."""
    override = os.environ.get(CACHE_ENV)
    if override:
        return Path(override)
    return Path(platformdirs.user_cache_dir("ingesthost")) / "modules"


class CompileCache:
    """Compiled modules on disk, keyed by everything that changes the machine code.

    ``hits``, ``misses`` and ``rejected`` count what happened, so a caller
    (and the tests) can see that a second run compiled nothing.
    """

    def __init__(self, directory: str | Path | None = None) -> None:
        self.directory = Path(directory) if directory is not None else default_cache_dir()
        self.hits = 0
        self.misses = 0
        self.rejected = 0

    @staticmethod
    def key(
        source: bytes, compiler: str, engine: str, *, runtime: str, runtime_version: str, source_sha256: str | None = None
    ) -> str:
        """The entry's name; ``source_sha256`` saves hashing ``source`` again."""
        target = artifact.host_triple()
        features = ",".join(sorted(artifact.host_cpu_features()))
        digest = source_sha256 or hashlib.sha256(source).hexdigest()
        material = "\n".join([digest, compiler, engine, runtime, runtime_version, target, features])
        return hashlib.sha256(material.encode()).hexdigest()

    def path_for(self, key: str, engine: str) -> Path:
        return self.directory / f"{key}{artifact.SUFFIXES[engine]}"

    def load(self, key: str, engine: Engine, *, source_sha256: str | None = None) -> Any:
        """The cached module, deserialized into ``engine``, or None (a miss). ``source_sha256``: the SHA-256
        of the module being loaded; an entry whose header records another
        source (copied over this entry, or a key collision) is damaged."""
        path = self.path_for(key, engine.kind)
        try:
            data = path.read_bytes()
        except FileNotFoundError:
            self.misses += 1
            return None
        except OSError as exc:
            logger.warning("compile cache: cannot read %s (%s); compiling instead", path, exc)
            self.misses += 1
            return None
        try:
            header, payload = artifact.parse_artifact(data, str(path))
            artifact.check_compatible(header, str(path), engine.runtime, engine.backend.VERSION)
            if source_sha256 is not None and header.source_sha256 != source_sha256:
                raise artifact.ArtifactError(
                    str(path),
                    f"compiled from another module (source SHA-256 {header.source_sha256[:16]}..., "
                    f"the module being loaded is {source_sha256[:16]}...)",
                )
            module = engine.deserialize(payload)
        except Exception as exc:  # damaged or stale entry: never fatal, never loaded
            logger.warning("compile cache: %s; removing it and compiling again", exc)
            self.rejected += 1
            self.misses += 1
            path.unlink(missing_ok=True)
            return None
        self.hits += 1
        return module

    def store(self, key: str, engine_kind: str, data: bytes) -> None:
        path = self.path_for(key, engine_kind)
        try:
            artifact.write_atomic(path, data)
        except OSError as exc:  # a read-only or full cache must not fail the run
            logger.warning("compile cache: cannot write %s (%s)", path, exc)


def cap_module_memory(data: bytes, max_memory: int, name: str) -> bytes:
    """``data`` with its memories capped at ``max_memory`` bytes (see
    :mod:`ingesthost.wasm_binary`); refuses a module whose declared minimum
    is already above the cap."""
    pages = max(1, max_memory // WASM_PAGE)
    if data[:4] != b"\0asm":
        return data  # compile_module says what it is not
    try:
        capped, limits = cap_memory(data, pages)
    except WasmFormatError as exc:
        raise ModuleLoadError(name, f"not a valid WebAssembly module: {exc}") from None
    for limit in limits:
        if limit.minimum > pages:
            raise ModuleLoadError(
                name,
                f"declares a minimum memory of {_mib(limit.minimum * WASM_PAGE)}, above its max_memory of "
                f"{_mib(pages * WASM_PAGE)}",
            )
    return capped


def check_artifact_memory(guest: GuestModule, max_memory: int) -> None:
    """An artifact's memory cap was compiled in: refuse one allowed more than ``max_memory``."""
    pages = max(1, max_memory // WASM_PAGE)
    for export in guest.module.exports:
        if export.kind == "memory":
            maximum = export.maximum
            if maximum is None or maximum > pages:
                allowed = "no maximum" if maximum is None else _mib(maximum * WASM_PAGE)
                raise ModuleLoadError(
                    guest.name,
                    f"the artifact's memory may grow to {allowed}, above its max_memory of "
                    f"{_mib(pages * WASM_PAGE)}: recompile it with `ingesthost compile --max-memory`",
                )


def _mib(size: int) -> str:
    return f"{size / (1 << 20):g} MiB"


class ModuleLoader:
    """Loads guest modules for one pipeline: one compile per (path, compiler, memory cap).

    ``read_bytes(path)`` gives a module's bytes (gzip decoded); by default the
    file is read, a pipeline snapshot passes its own
    (:meth:`ingesthost.config.PipelineSnapshot.module_bytes`) so that a worker
    loads the bytes read when the run started, whatever the disk says now.
    """

    def __init__(
        self,
        engines: EngineSet,
        cache: CompileCache | None = None,
        *,
        read_bytes: Callable[[Path], bytes] | None = None,
    ) -> None:
        self.engines = engines
        self.cache = cache
        self._read_bytes = read_bytes or read_module_bytes
        self._loaded: dict[tuple[Path, str | None, int, bool, str, str], GuestModule] = {}

    def load(
        self,
        path: str | Path,
        compiler: str | None = None,
        max_memory: int = DEFAULT_MAX_MEMORY,
        allow_wasi: bool = False,
        guest_abi: str = "elastic",
        runtime: str | None = None,
    ) -> GuestModule:
        """The module at ``path``, compiled (or loaded) once per set of options.

        ``allow_wasi`` lets WASI imports pass the ABI check (the processor was
        granted ``wasi``); otherwise a module importing WASI is refused.
        ``guest_abi``: ``elastic``, or ``fluentbit`` for a Fluent Bit filter.
        ``runtime``: ``wasmer`` or ``wasmtime`` (None: the engine set's).
        """
        path = Path(path)
        runtime = runtimes.resolve(runtime or self.engines.runtime)
        # absolute, not resolved: the builder passes resolved paths, and a snapshot's are not on disk
        key = (
            Path(os.path.abspath(path)), compiler or self.engines.default_compiler, max_memory, allow_wasi, guest_abi,
            runtime,
        )
        module = self._loaded.get(key)
        if module is None:
            module = self._loaded[key] = self._load(path, compiler, max_memory, allow_wasi, guest_abi, runtime)
            module.max_memory = max_memory
        return module

    def _load(
        self, path: Path, compiler: str | None, max_memory: int, allow_wasi: bool, guest_abi: str, runtime: str
    ) -> GuestModule:
        name = str(path)
        data = self._read_bytes(path)
        if artifact.is_artifact(data):
            guest = load_artifact(data, name, self.engines, allow_wasi=allow_wasi, guest_abi=guest_abi, runtime=runtime)
            check_artifact_memory(guest, max_memory)
            return guest
        data = cap_module_memory(data, max_memory, name)
        engine = self.engines.get(compiler, DEFAULT_ENGINE, runtime)
        assert engine.compiler is not None
        if self.cache is None:
            return GuestModule.from_compiled(
                name, compile_module(data, engine, name), engine, origin="compiled", allow_wasi=allow_wasi,
                guest_abi=guest_abi,
            )
        digest = hashlib.sha256(data).hexdigest()
        key = CompileCache.key(
            data, engine.compiler, engine.kind, runtime=engine.runtime, runtime_version=engine.backend.VERSION,
            source_sha256=digest,
        )
        # A cached universal artifact deserializes into the compiling engine itself:
        # the module then instantiates there like a freshly compiled one.
        cached = self.cache.load(key, engine, source_sha256=digest)
        if cached is not None:
            return GuestModule.from_compiled(
                name, cached, engine, origin="cache", allow_wasi=allow_wasi, guest_abi=guest_abi
            )
        module = compile_module(data, engine, name)
        guest = GuestModule.from_compiled(
            name, module, engine, origin="compiled", allow_wasi=allow_wasi, guest_abi=guest_abi
        )
        self.cache.store(key, engine.kind, _artifact_of(module, data, engine))
        return guest


def _artifact_of(module: Any, source: bytes, engine: Engine, **target: Any) -> bytes:
    assert engine.compiler is not None
    return artifact.make_artifact(
        module, source, compiler=engine.compiler, engine=engine.kind, runtime=engine.runtime,
        runtime_version=engine.backend.VERSION, **target,
    )


def load_artifact(
    data: bytes,
    name: str,
    engines: EngineSet,
    *,
    allow_wasi: bool = False,
    guest_abi: str = "elastic",
    runtime: str | None = None,
) -> GuestModule:
    """A GuestModule from an ``ingesthost compile`` artifact, after every check."""
    runtime = runtimes.resolve(runtime or engines.runtime)
    try:
        header, payload = artifact.parse_artifact(data, name)
        artifact.check_compatible(header, name, runtime, runtimes.backend(runtime).VERSION)
    except artifact.ArtifactError as exc:
        raise ModuleLoadError(name, exc.problem) from None
    engine = engines.headless(header.engine, runtime)
    try:
        module = engine.deserialize(payload)
    except Exception as exc:
        raise ModuleLoadError(name, f"{runtime} could not load the artifact: {exc}") from None
    return GuestModule.from_compiled(
        name, module, engine, origin="artifact", artifact_header=header, allow_wasi=allow_wasi, guest_abi=guest_abi
    )


def compile_artifact(
    source: str | Path,
    output: str | Path,
    *,
    compiler: str = "llvm",
    engine: str = DEFAULT_ENGINE,
    target: str | None = None,
    cpu_features: tuple[str, ...] = (),
    max_memory: int = DEFAULT_MAX_MEMORY,
    runtime: str | None = None,
) -> artifact.ArtifactHeader:
    """Compile ``source`` once and write an artifact that later runs load without compiling.

    The module is checked against the ABI first: no artifact is written for a
    module the host would refuse. Its memory cap (``max_memory``) is compiled
    in; pipelines refuse an artifact whose cap is above their own. ``target``/``cpu_features`` cross-compile
    (universal engine only); such an artifact loads only on a matching host.
    """
    source = Path(source)
    original = read_module_bytes(source)
    if artifact.is_artifact(original):
        raise ModuleLoadError(str(source), "is already a compiled artifact; compile the .wasm it came from")
    data = cap_module_memory(original, max_memory, str(source))
    compiling = Engine(compiler, engine, target=target, cpu_features=cpu_features, runtime=runtime)
    module = compile_module(data, compiling, str(source))
    # WASI is granted per pipeline processor, at load: the artifact may import it.
    GuestModule.from_compiled(str(source), module, compiling, allow_wasi=True)
    blob = _artifact_of(
        module, original, compiling, target=target, cpu_features=tuple(cpu_features) if compiling.is_cross else None
    )
    artifact.write_atomic(Path(output), blob)
    header, _ = artifact.parse_artifact(blob, str(output))
    return header
