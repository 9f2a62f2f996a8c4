"""Guest modules and their instances: loading, instantiating, calling ``process``.

A :class:`GuestModule` is compiled and checked against the ABI once. A
:class:`GuestInstance` is one live instance, created once and reused for
every document (wasmer reserves ~6 GB of address space per instance: one
per document would exhaust the process). A trap leaves an instance in an
unknown state, so the caller discards it and asks the module for a new one.
"""

from __future__ import annotations

import logging
import zlib
from pathlib import Path
from typing import Any, Callable, TypeVar

import orjson

from . import abi
from .document import IngestDocument
from .engine import Engine
from .errors import IngestHostError, ModuleLoadError
from .runtime import GuestInterrupted
from .wasi import WasiGrant

#: How long each guest set-up call of a new instance (start function,
#: ``_initialize``, ``malloc`` for the params, ``configure``) may run: in a
#: worker the watchdog enforces it, in-process a runtime that can interrupt
#: a guest (wasmtime) does.
DEFAULT_LOAD_TIMEOUT = 10.0
#: Decompressed size limit for ``.wasm.gz`` modules (a guard against gzip bombs).
MAX_MODULE_BYTES = 512 * 1024 * 1024
_WASM_MAGIC = b"\0asm"
_GZIP_MAGIC = b"\x1f\x8b"
T = TypeVar("T")


class GuestTrap(IngestHostError):
    """The guest trapped (unreachable, out-of-bounds access, stack overflow...)."""


def read_module_bytes(path: Path) -> bytes:
    """The wasm bytes of ``path``; gzip-compressed modules are accepted as they are."""
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise ModuleLoadError(str(path), f"cannot read file: {exc.strerror or exc}") from exc
    if data[:2] == _GZIP_MAGIC:
        inflater = zlib.decompressobj(wbits=31)  # 31: gzip container
        try:
            data = inflater.decompress(data, MAX_MODULE_BYTES + 1)
        except zlib.error as exc:
            raise ModuleLoadError(str(path), f"corrupt gzip data: {exc}") from exc
        if len(data) > MAX_MODULE_BYTES:
            raise ModuleLoadError(str(path), f"decompresses to more than {MAX_MODULE_BYTES} bytes")
    return data


class GuestTimeout(GuestTrap):
    """The guest ran past its time limit and was interrupted in-process
    (runtimes that can: wasmtime); the instance must be discarded."""


def load_deadline(engine: Engine, watch: Any) -> float | None:
    """Seconds each set-up call of a new instance may run in-process: the
    load time limit where no worker watchdog times it and the runtime can
    interrupt a guest; else None (the watchdog, or nothing, stops it)."""
    return DEFAULT_LOAD_TIMEOUT if watch is None and engine.interrupts else None


def overran_load(export: str, seconds: float, tag: str | None, engine: Engine) -> str:
    """The message of a set-up call interrupted in-process at its load time limit."""
    where = f", processor tag [{tag}]" if tag else ""
    return f"{export} did not return within {seconds:g} s (load_timeout{where}; interrupted in-process by {engine.runtime})"


def as_trap(exc: RuntimeError, text: str) -> GuestTrap:
    """A runtime's exception from a guest call: a timeout when it interrupted
    the guest at its deadline, else a trap described by ``text``."""
    return GuestTimeout(str(exc)) if isinstance(exc, GuestInterrupted) else GuestTrap(text)


def compile_module(data: bytes, engine: Engine, name: str) -> Any:
    """Compile wasm bytes; every failure is a :class:`ModuleLoadError` naming ``name``."""
    if data[:4] != _WASM_MAGIC:
        raise ModuleLoadError(name, "not a WebAssembly module (missing the \\0asm header)")
    try:
        return engine.compile(data)
    except (RuntimeError, TypeError, ValueError) as exc:
        raise ModuleLoadError(name, f"not a valid WebAssembly module: {_first_line(exc)}") from exc


class GuestModule:
    """A compiled wasm module that passed the ABI checks.

    ``origin`` says where the machine code came from: ``compiled`` now,
    loaded from the compile ``cache``, or a precompiled ``artifact``.
    """

    def __init__(
        self,
        name: str,
        module: Any,
        shape: abi.GuestShape,
        engine: Engine,
        *,
        origin: str = "compiled",
        artifact_header: Any = None,
    ) -> None:
        self.name = name
        self.module = module
        self.shape = shape
        self.engine = engine
        self.origin = origin
        self.artifact_header = artifact_header
        #: The memory cap in bytes this module was loaded with (None: uncapped); for messages.
        self.max_memory: int | None = None

    @classmethod
    def from_compiled(
        cls,
        name: str,
        module: Any,
        engine: Engine,
        *,
        origin: str = "compiled",
        artifact_header: Any = None,
        allow_wasi: bool = False,
        guest_abi: str = "elastic",
    ) -> "GuestModule":
        """Check a compiled module against the ABI (raises ModuleLoadError);
        WASI imports pass only with ``allow_wasi``. ``guest_abi="fluentbit"``
        checks a Fluent Bit filter instead (:mod:`ingesthost.fluentbit`)."""
        if guest_abi == "fluentbit":
            from . import fluentbit

            return cls(name, module, fluentbit.check_module(module, name), engine, origin=origin, artifact_header=artifact_header)  # type: ignore[arg-type]
        shape = abi.check_module(module, name, allow_wasi=allow_wasi)
        return cls(name, module, shape, engine, origin=origin, artifact_header=artifact_header)

    @classmethod
    def from_bytes(cls, data: bytes, engine: Engine, name: str = "<module>") -> "GuestModule":
        """Compile and check; every problem becomes one :class:`ModuleLoadError`."""
        return cls.from_compiled(name, compile_module(data, engine, name), engine)

    @classmethod
    def from_file(cls, path: str | Path, engine: Engine) -> "GuestModule":
        """Compile a ``.wasm``/``.wasm.gz`` file (no cache; see :class:`ingesthost.loader.ModuleLoader`)."""
        path = Path(path)
        return cls.from_bytes(read_module_bytes(path), engine, name=str(path))

    def instantiate(
        self,
        params: bytes = b"{}",
        logger: logging.Logger | None = None,
        wasi: WasiGrant | None = None,
        *,
        watch: Any = None,
        tag: str | None = None,
    ) -> "GuestInstance":
        """A new instance, set up (start function, ``_initialize``, ``configure``).

        ``watch`` (a worker's :class:`~ingesthost.workers.Watchdog`, or None)
        times each of those set-up calls against the load time limit;
        ``tag`` is the processor's, for its messages.
        """
        return GuestInstance(
            self,
            params,
            logger or logging.getLogger(f"ingesthost.guest.{Path(self.name).stem}"),
            wasi,
            watch=watch,
            tag=tag,
        )


#: What the instantiation phase is called in load time-limit messages: the
#: guest code that runs while a runtime instantiates a module is its start function.
START_FUNCTION = "start function"


class GuestInstance:
    """One live instance of a guest with its host calls bound.

    Construction runs the module's start function (inside the runtime's
    instantiation), ``_initialize`` (if exported) and ``configure`` (if
    exported) with ``params``; any failure there raises ModuleLoadError.
    With a ``watch`` (in a worker), each of these three runs under the load
    time limit, and the worker is killed if one does not return in time.
    Their log lines share one log budget (see ``abi.MAX_LOG_LINES_PER_DOCUMENT``).
    """

    def __init__(
        self,
        module: GuestModule,
        params: bytes,
        logger: logging.Logger,
        wasi: WasiGrant | None = None,
        *,
        watch: Any = None,
        tag: str | None = None,
    ) -> None:
        self.module = module
        self.host = abi.HostCalls(logger)
        self._watch = watch
        self._tag = tag
        engine = module.engine.impl
        self._instance = None
        self._setting_up = START_FUNCTION
        #: In-process on a runtime that can interrupt a guest: the set-up calls' deadline.
        self._load_deadline = load_deadline(module.engine, watch)
        try:
            try:
                instance = self._setup_call(
                    START_FUNCTION,
                    lambda: engine.instantiate(
                        module.module, self.host.host_imports(), wasi=wasi, name=module.name,
                        max_memory=module.max_memory, deadline=self._load_deadline,
                    ),
                )
            except RuntimeError as exc:
                if isinstance(exc, GuestInterrupted):
                    raise ModuleLoadError(module.name, self._overran(START_FUNCTION)) from None
                raise ModuleLoadError(
                    module.name, f"instantiation failed: {_first_line(exc)}{self._failed_call_hint()}"
                ) from exc
            self.host.bind(instance.memory, instance.export("malloc"))
            self._instance = instance
            self._process = instance.export("process")
            #: ABI 1.1's ``process_batch``, or None (then only ``process`` is used).
            self._process_batch = instance.export(abi.BATCH_EXPORT) if module.shape.batch else None
            shape = module.shape
            try:
                if shape.has_initialize:
                    self._setup_call(abi.INITIALIZE_EXPORT, instance.export(abi.INITIALIZE_EXPORT))
                if shape.configure_export:
                    self._configure(shape.configure_export, instance.export(shape.configure_export), params)
            except RuntimeError as exc:
                self.close()
                if isinstance(exc, GuestInterrupted):
                    raise ModuleLoadError(module.name, self._overran(self._setting_up)) from None
                raise ModuleLoadError(
                    module.name, f"trapped during set-up: {_first_line(exc)}{self._failed_call_hint()}"
                ) from exc
            except ModuleLoadError:
                self.close()
                raise
        finally:
            self._watch = None  # the load time limit is for set-up only
            if self._load_deadline is not None and self._instance is not None:
                self._instance.set_deadline(None)
            self.host.end_log_budget("the set-up (start function, _initialize, configure)")
            self.host.last_failed_call = None

    def _overran(self, export: str) -> str:
        assert self._load_deadline is not None
        return overran_load(export, self._load_deadline, self._tag, self.module.engine)

    def _setup_call(self, export: str, fn: Callable[..., T], *args: Any) -> T:
        """Call one set-up function, under the load time limit when watched
        (or, in-process, when the runtime can interrupt it)."""
        self._setting_up = export
        watch = self._watch
        if watch is None:
            if self._load_deadline is not None and self._instance is not None:
                self._instance.set_deadline(self._load_deadline)
            return fn(*args)
        token = watch.enter_load(self.module.name, export, self._tag)
        try:
            return fn(*args)
        finally:
            watch.leave(token)

    def _configure(self, name: str, configure: Callable[[int, int], int], params: bytes) -> None:
        self.host.last_error = None
        ptr = self._setup_call("malloc", self.host.guest_alloc, params)
        if ptr is None:
            raise ModuleLoadError(self.module.name, f"{name}: the guest's malloc failed for the params")
        code = self._setup_call(name, configure, ptr, len(params))
        self.host.release_held_errors({self.host.last_error} if code != 0 and self.host.last_error else frozenset())
        if code != 0:
            detail = self.host.last_error or abi.describe_process_code(code, name)
            raise ModuleLoadError(self.module.name, f"{name} rejected the params: {detail}")

    def process(self, document: IngestDocument) -> tuple[int, str | None]:
        """Run ``process`` on ``document``: (return code, last error log line).

        Raises :class:`GuestTrap` if the guest trapped; the instance must
        then be discarded.
        """
        host = self.host
        host.document = document
        host.last_error = None
        host.last_failed_call = None
        code = -1
        try:
            code = self._process()
        except RuntimeError as exc:
            raise self._trap(exc) from None
        finally:
            host.document = None
            if host.held_errors:
                failed = code not in (abi.PROCESS_KEEP, abi.PROCESS_DROP, -1) and host.last_error
                host.release_held_errors({host.last_error} if failed else frozenset())
            if host.log_lines:  # a budget was used: report what it dropped, reset it
                host.end_log_budget()
        return code, host.last_error

    def process_batch(
        self, payload: bytes, count: int
    ) -> list[tuple[int, bytes | memoryview | None, bytes | memoryview | None]]:
        """Run ``process_batch`` (ABI 1.1) on ``count`` documents encoded in
        ``payload`` (:func:`ingesthost.abi.encode_batch`): per document
        (status, the document's JSON or the failure message, new ``_ingest``
        metadata JSON or None). The JSON is read in place from guest memory,
        not copied: parse it before calling the guest again.

        Raises :class:`GuestTrap` if the guest trapped (discard the instance)
        and :class:`ingesthost.abi.BatchError` if it answered something
        unusable; either way no document was changed.
        """
        host = self.host
        host.last_error = None
        host.last_failed_call = None
        ptr = host.guest_alloc(payload)
        if ptr is None:
            raise abi.BatchError(f"the guest's malloc failed for a batch of {len(payload):,} bytes")
        host.batching = True
        host.log_documents = count
        messages: set[str] = set()
        try:
            try:
                out = self._process_batch(ptr, len(payload))
            except RuntimeError as exc:
                raise self._trap(exc) from None
            results = abi.decode_batch_results(host.view(), out, count)
            messages.update(data.decode() for status, data, _ in results if status not in _ANSWERS)  # type: ignore[union-attr]
            return results
        finally:
            host.batching = False
            host.release_held_errors(messages)
            host.log_documents = 1
            if host.log_lines:
                host.end_log_budget("this batch")

    def set_time_limit(self, seconds: float | None) -> None:
        """Interrupt the next guest calls ``seconds`` after each starts (None:
        no limit); only runtimes that can interrupt a guest (wasmtime) do."""
        if self._instance is not None:
            self._instance.set_deadline(seconds)

    def _trap(self, exc: RuntimeError) -> GuestTrap:
        return as_trap(exc, _first_line(exc) + self._memory_hint() + self._failed_call_hint())

    def _failed_call_hint(self) -> str:
        """What the guest was last told "no" by the host: a guest that panics
        when a host call fails (as the proof of concept's SDK does) traps with
        only ``unreachable`` to say so."""
        entry = self.host.last_failed_call
        if entry is None:
            return ""
        return f" (the last host call that did not return Ok: {abi.describe_failed_call(entry)})"

    def _memory_hint(self) -> str:
        """Why a trap probably happened when the guest used all the memory it may have."""
        limit = self.module.max_memory
        memory = self.host.memory
        if limit is None or memory is None:
            return ""
        if (memory.size + 1) * 65536 > limit:
            return f" (the guest had reached its max_memory of {limit / (1 << 20):g} MiB)"
        return ""

    def close(self) -> None:
        """Drop every reference into the runtime so the instance can be freed now."""
        self.host.unbind()
        self._process = None
        self._process_batch = None
        instance, self._instance = self._instance, None
        if instance is not None:
            instance.close()


_ANSWERS = frozenset((abi.PROCESS_KEEP, abi.PROCESS_DROP, abi.BATCH_UNCHANGED))


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip()
    if text.startswith("RuntimeError: "):
        text = text[len("RuntimeError: ") :]
    return text.splitlines()[0] if text else type(exc).__name__


def encode_params(params: dict | None) -> bytes:
    """The JSON object handed to ``configure``."""
    return orjson.dumps(params or {})
