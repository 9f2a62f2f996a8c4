"""Time limits and crash isolation: guests run in a worker process.

wasmer-python has no fuel, metering or interrupt API, holds the GIL while
guest code runs, and a signal handler cannot interrupt a pure wasm loop
(``loop br 0``). The only thing that reliably stops a stuck guest is killing
the process it runs in; the only thing that contains a guest (or wasmer
itself, on a tampered artifact) that crashes its process is another process.
So :class:`IsolatedPipeline` runs the pipeline in a child process and keeps
only bytes in the parent:

* **Building.** The parent reads the pipeline once, at start, into a
  snapshot (the parsed files, nested ones included, and the module bytes;
  :class:`ingesthost.config.PipelineSnapshot`) carried by a picklable
  :class:`WorkerSpec`; every worker, the replacements included, builds the
  pipeline from that snapshot, so an edit on disk mid-run changes nothing.
  No guest code (``configure`` included) ever runs in the parent.
  The on-disk compile cache (on by default) means a replacement worker loads
  machine code instead of compiling it. Workers are forked from
  multiprocessing's *forkserver*, a clean process that has imported
  ingesthost and wasmer but never created a store or an instance (forking a
  process with live wasmer state or threads is unsafe), so a replacement
  starts in about 10 ms plus module loading.
* **Batches.** The parent sends blocks of raw NDJSON lines (bytes, cut at
  newlines without looking at lines one by one) with the number of the
  first; the child parses, runs the pipeline (:func:`ingesthost.runner.run`,
  so every rule of an in-process run holds) and answers with the output
  bytes, the failure-record bytes and the counts. Two blocks are in flight,
  so the worker never waits for the parent; a sender thread writes them,
  so the parent is always free to read answers (no deadlock on full pipes).
* **Deadlines.** :class:`~ingesthost.processors.wasm.WasmProcessor` calls the
  module-level hook ``ingesthost.processors.wasm.watchdog`` around each guest
  call. In a worker that hook is a :class:`Watchdog`, which writes "deadline,
  processor, document" into a few shared-memory integers (CLOCK_MONOTONIC
  is system-wide on Linux, so ``time.monotonic_ns()`` compares across
  processes) and clears the deadline after the call. In-process there is no
  hook and the cost is one ``is None`` test. The parent waits on the pipe
  and the process sentinel; whenever it wakes without an answer it reads
  the slot, and once a deadline has passed it SIGKILLs the worker.
* **Order.** When a worker dies (killed on a deadline, or crashed: EOF on
  the pipe, a signal in its exit code) the slot says which document was in
  progress. That document fails (``kind`` ``timeout`` or ``crash``) and is
  never retried; the lines of the batch before it (their answers died with
  the worker) and after it are sent again to a fresh worker, in that order.
  Output, failures and counts therefore come out exactly in input order,
  and a guest that hangs or crashes on every document costs one restart per
  document: the run always ends.

Timeouts and crashes end the worker, so they cannot be caught by a
processor's ``on_failure`` or ``ignore_failure``: the document goes to the
failure output.

Several workers for one pipeline (``--workers N``) are
:class:`ingesthost.pool.WorkerPool`, one :class:`IsolatedPipeline` per
worker; both share their constructors and API (:class:`_IsolatedFront`).
"""

from __future__ import annotations

import copy
import ctypes
import dataclasses
import importlib
import logging
import multiprocessing
import os
import queue
import select
import signal
import socket
import sys
import threading
import time
import traceback
from collections import deque
from multiprocessing import connection as mp_connection
from pathlib import Path
from typing import IO, Any, Callable, Iterable, Iterator, TypeVar

import orjson

from . import runner
from .document import MAX_DEPTH, IngestDocument
from .engine import DEFAULT_COMPILER, CompilerUnavailableError
from .errors import IngestHostError, InputError, ModuleLoadError, PipelineConfigError, ProcessorError
from .loader import DEFAULT_MAX_MEMORY, CompileCache, default_cache_dir
from .ndjson import DEFAULT_MAX_LINE_BYTES, Record, dumps_line, read_blocks
from .process_settings import tune_garbage_collector
from .config import PipelineSnapshot
from .pipeline import DocumentResult, Pipeline, document_json, take_snapshot
from . import guest as guest_module
from . import runtime as runtimes
from .processors import wasm as _wasm

logger = logging.getLogger(__name__)

#: A wasm processor's time limit per document when neither it nor its pipeline sets one.
DEFAULT_TIMEOUT = _wasm.DEFAULT_TIMEOUT
#: Lines per message to the worker: large enough that messaging costs little per line.
DEFAULT_BATCH_SIZE = 512
#: A batch is also closed at this many bytes, so huge lines do not make huge messages.
DEFAULT_BATCH_BYTES = 4 * 1024 * 1024
#: How long a worker may take to build the pipeline (compiling included) and say "ready".
DEFAULT_STARTUP_TIMEOUT = 120.0
#: How long each guest set-up call at load (a module's start function, its
#: ``_initialize``, its ``malloc`` for the params, its ``configure``) may run.
#: Compiling is not counted: it is bounded by ``startup_timeout`` only.
DEFAULT_LOAD_TIMEOUT = guest_module.DEFAULT_LOAD_TIMEOUT

# The shared slot: four signed 64-bit integers.
_DEADLINE = 0  # monotonic_ns() after which the running guest call is overdue; 0: no guest running
_PROCESSOR = 1  # the watch id of the processor whose guest runs (valid while the deadline is set)
_ITEM = 2  # the number (input line) of the document in progress; -1 between batches
_COUNT = 3  # documents in progress from _ITEM on: 1, or an ABI 1.1 batch's size
_SLOT_SIZE = 4
_IDLE = -1
#: Longest the parent sleeps between two looks at the slot (it wakes at once for answers).
_MAX_POLL = 0.05
#: Socket buffer size asked for on each end of the pipe.
_SOCKET_BUFFER = 4 * 1024 * 1024
#: Batches with the worker at once: it starts the next while the parent handles an answer.
_IN_FLIGHT = 2
#: Worker deaths with no document in progress tolerated in a row before giving up.
_MAX_UNATTRIBUTED = 3
#: What the fork server imports once for every worker: the default runtime's package.
_FORKSERVER_PRELOAD = {"wasmer": ["ingesthost.workers", "wasmer_compiler_cranelift"], "wasmtime": ["ingesthost.workers", "wasmtime"]}


def _parent_default_runtime() -> str | None:
    try:
        return runtimes.default_runtime()
    except IngestHostError:  # none installed: the worker's build says so
        return None


class WorkerError(IngestHostError):
    """The worker process could not start, or the run had to give up on it
    (``max_restarts`` reached, or it kept dying with no document to blame)."""


# ---------------------------------------------------------------------------
# What the worker builds
# ---------------------------------------------------------------------------


@dataclasses.dataclass(frozen=True)
class WorkerSpec:
    """Everything a worker needs to build the pipeline, picklable.

    ``kind`` is ``file`` (``path``), ``definition`` (``definition`` and
    ``base_dir``), ``module`` (``path``, ``params``, ``tag``) or ``factory``
    (``factory`` as ``"package.module:function"``, called with
    ``factory_args``; it must return a :class:`~ingesthost.pipeline.Pipeline`).
    Relative paths are relative to ``cwd``, where the worker runs (the
    forkserver's own directory is wherever it was first started).
    ``timeout`` is the default time limit of wasm processors that set none.
    ``cache_dir`` None means no compile cache.

    ``snapshot`` (set by :meth:`with_snapshot`, which the
    ``IsolatedPipeline.from_*`` constructors call in the parent) holds the
    pipeline files, parsed, and the module bytes as they were when the run
    started: every worker, replacements included, builds from it and never
    reads them from disk, so editing, breaking or deleting them mid-run
    changes nothing. Without one (a ``factory``, or a spec made by hand) the
    worker reads the disk each time it starts.
    """

    kind: str
    path: str | None = None
    definition: dict[str, Any] | None = None
    base_dir: str | None = None
    params: dict[str, Any] | None = None
    tag: str | None = None
    factory: str | None = None
    factory_args: tuple[Any, ...] = ()
    compiler: str = DEFAULT_COMPILER
    #: The wasm runtime (None: the default runtime, below).
    runtime: str | None = None
    #: The parent's default runtime when the spec was made: a worker forked by a
    #: fork server started earlier has that server's environment, not the parent's now.
    default_runtime: str | None = dataclasses.field(default_factory=_parent_default_runtime)
    cache_dir: str | None = None
    max_memory: int = DEFAULT_MAX_MEMORY
    timeout: float = DEFAULT_TIMEOUT
    cwd: str = dataclasses.field(default_factory=os.getcwd)
    sys_path: tuple[str, ...] = ()
    collect_stats: bool = False
    confine_to: str | None = None
    snapshot: PipelineSnapshot | None = dataclasses.field(default=None, compare=False, repr=False)

    def with_snapshot(self) -> "WorkerSpec":
        """This spec with a :attr:`snapshot` taken now, in this process: the
        pipeline is read and checked (its errors raised here) but nothing is
        compiled and no guest code runs. Relative paths are read from the
        current directory, which must be :attr:`cwd`. A ``factory`` spec is
        returned as it is (its pipeline is whatever the factory builds)."""
        if self.kind not in ("file", "definition", "module"):
            return self
        if os.path.abspath(self.cwd) != os.getcwd():
            raise IngestHostError(f"a snapshot must be taken in the worker's directory {self.cwd}")
        snapshot = take_snapshot(
            self.kind,
            path=self.path,
            definition=self.definition,
            base_dir=self.base_dir or self.cwd,
            params=self.params,
            tag=self.tag,
            compiler=self.compiler,
            max_memory=self.max_memory,
            confine_to=self.confine_to if self.kind != "module" else None,
        )
        return dataclasses.replace(self, snapshot=snapshot)

    def build(self) -> Pipeline:
        """Build the pipeline (in the worker), from :attr:`snapshot` when there
        is one. Raises what ``Pipeline.from_*`` raises."""
        cache: CompileCache | None = CompileCache(self.cache_dir) if self.cache_dir is not None else None
        common = {
            "compiler": self.compiler, "runtime": self.runtime, "cache": cache, "max_memory": self.max_memory,
            "snapshot": self.snapshot,
        }
        if self.kind == "file":
            assert self.path is not None
            return Pipeline.from_file(self.path, confine_to=self.confine_to, **common)
        if self.kind == "definition":
            assert self.definition is not None
            return Pipeline.from_definition(
                self.definition, base_dir=self.base_dir or self.cwd, source=self.path, confine_to=self.confine_to, **common
            )
        if self.kind == "module":
            assert self.path is not None
            return Pipeline.from_module(self.path, self.params, tag=self.tag, **common)
        if self.kind == "factory":
            assert self.factory is not None
            module_name, _, qualname = self.factory.partition(":")
            target: Any = importlib.import_module(module_name)
            for part in qualname.split("."):
                target = getattr(target, part)
            pipeline = target(*self.factory_args)
            if not isinstance(pipeline, Pipeline):
                raise IngestHostError(f"factory {self.factory} returned {type(pipeline).__name__}, not a Pipeline")
            return pipeline
        raise IngestHostError(f"unknown worker spec kind [{self.kind}]")


def _cache_dir(cache: CompileCache | None | bool) -> str | None:
    """The cache directory as a string, resolved here: the worker's environment
    is the forkserver's, which may predate a change of ``$INGESTHOST_CACHE_DIR``."""
    if cache is True:
        return str(default_cache_dir())
    if cache is False or cache is None:
        return None
    return str(cache.directory)


def _check_timeout(timeout: float) -> float:
    if isinstance(timeout, bool) or not isinstance(timeout, (int, float)) or not 0 < timeout < float("inf"):
        raise IngestHostError(f"timeout must be a positive number of seconds, found {timeout!r}")
    return float(timeout)


def format_seconds(seconds: float) -> str:
    """``1.0``, ``0.5``, ``0.25``: a timeout as users wrote it."""
    return repr(float(seconds))


# ---------------------------------------------------------------------------
# The worker side
# ---------------------------------------------------------------------------


class Watchdog:
    """The hook a worker installs as ``ingesthost.processors.wasm.watchdog``.

    :meth:`enter` writes the processor's watch id and the call's deadline
    into the shared slot (deadline last, so a parent that sees a deadline
    sees its processor too); :meth:`leave` restores what was there. The
    first time a processor is seen its id, type, tag and timeout are sent
    to the parent, before the slot names it. :meth:`enter_load` does the
    same for one set-up call of a new guest instance (start function,
    ``_initialize``, ``configure``) under ``load_timeout``; its registration
    also names the module and the export, for the parent's message.
    """

    def __init__(
        self, slot: Any, conn: Any, default_timeout: float, load_timeout: float = DEFAULT_LOAD_TIMEOUT
    ) -> None:
        # A memoryview of the shared integers: item stores are single aligned
        # 8-byte writes, and a little cheaper than through ctypes.
        self._slot = _int64_view(slot)
        self._conn = conn
        self._default_ns = int(default_timeout * 1e9)
        self._load_timeout = float(load_timeout)
        self._entries: dict[Any, tuple[int, int]] = {}
        self._now = time.monotonic_ns

    def enter(self, processor: Any, documents: int = 1) -> Any:
        """Start the clock of one guest call on ``documents`` documents (an ABI 1.1
        batch has that many times the time limit); returns what :meth:`leave` restores."""
        slot = self._slot
        saved: Any = slot[_DEADLINE]
        if saved:  # a guest call inside another one: restore the outer clock afterwards
            saved = (saved, slot[_PROCESSOR])
        entry = self._entries.get(processor)
        if entry is None:
            entry = self._register(processor)
        slot[_PROCESSOR] = entry[0]
        slot[_DEADLINE] = self._now() + entry[1] * documents
        return saved

    def enter_load(self, module: str, export: str, tag: str | None) -> Any:
        """Start the load clock of one set-up call; :meth:`leave` stops it."""
        key = ("load", module, export, tag)
        entry = self._entries.get(key)
        if entry is None:
            watch_id = len(self._entries)
            self._conn.send(("register", watch_id, "wasm", tag, self._load_timeout, module, export))
            entry = self._entries[key] = (watch_id, int(self._load_timeout * 1e9))
        slot = self._slot
        saved: Any = slot[_DEADLINE]
        if saved:
            saved = (saved, slot[_PROCESSOR])
        slot[_PROCESSOR] = entry[0]
        slot[_DEADLINE] = self._now() + entry[1]
        return saved

    def leave(self, saved: Any) -> None:
        """Stop the clock (restoring an enclosing call's, if any)."""
        slot = self._slot
        slot[_DEADLINE] = 0
        if saved:
            slot[_PROCESSOR] = saved[1]
            slot[_DEADLINE] = saved[0]

    def _register(self, processor: Any) -> tuple[int, int]:
        timeout = getattr(processor, "timeout", None)
        seconds = float(timeout) if timeout is not None else self._default_ns / 1e9
        watch_id = len(self._entries)
        self._conn.send(("register", watch_id, processor.type, processor.tag, seconds))
        entry = self._entries[processor] = (watch_id, int(seconds * 1e9))
        return entry


#: Built-in processors whose work runs under the time limit of a guest call
#: (their own code, not a guest's: an overrun is reported as the processor's).
BUILTINS_UNDER_TIME_LIMIT = frozenset({"grok"})


class _PipeLogHandler(logging.Handler):
    """Sends the worker's log records (guest logs included) to the parent,
    which hands them to its own loggers: an embedder's logging set-up applies."""

    def __init__(self, conn: Any) -> None:
        super().__init__()
        self._conn = conn

    def emit(self, record: logging.LogRecord) -> None:
        try:
            message = record.getMessage()
            if record.exc_info:
                message += "\n" + "".join(traceback.format_exception(*record.exc_info)).rstrip()
            self._conn.send(("log", record.name, record.levelno, message))
        except Exception:  # a log line must never fail a document
            pass


def _die_with_parent() -> None:
    """Make sure this worker does not outlive the process that started it,
    even stuck in a guest loop (when it cannot notice anything by itself).

    A worker's parent is the forkserver, which exits when the last holder of
    its "alive" pipe does. multiprocessing hands a copy of that pipe to every
    child, so a worker stuck forever would keep the forkserver, and so
    itself, alive after the main process died: close the copy. Then ask
    Linux to SIGKILL this process when the forkserver goes (best effort
    elsewhere), and leave at once if it already went.
    """
    try:
        from multiprocessing import forkserver

        server = forkserver._forkserver
        if server._forkserver_alive_fd is not None:
            os.close(server._forkserver_alive_fd)
            server._forkserver_alive_fd = None
    except (ImportError, AttributeError, OSError):
        pass
    parent = os.getppid()
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(1, int(signal.SIGKILL), 0, 0, 0)  # PR_SET_PDEATHSIG
    except (OSError, AttributeError):
        pass
    if os.getppid() != parent:  # the parent died before the request took effect
        os._exit(1)


def _int64_view(slot: Any) -> memoryview:
    """The shared integers as a writable memoryview of int64."""
    view = memoryview(slot)
    return view if view.format == "q" else view.cast("B").cast("q")


def worker_main(
    conn: Any, slot: Any, spec: WorkerSpec, log_level: int, load_timeout: float = DEFAULT_LOAD_TIMEOUT
) -> None:
    """The worker process: build the pipeline, say ready, answer batches until told to stop.

    The watchdog is installed before the pipeline is built, so guest code
    that runs at load (start functions, ``_initialize``, ``configure``) is
    timed against ``load_timeout`` (compiling is not guest code: untimed).
    """
    slot = _int64_view(slot)
    # Ctrl-C and a SIGTERM sent to the whole process group are the parent's to
    # handle: it abandons the batch in flight and stops this worker itself.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    _die_with_parent()
    try:  # documents travel through the pipe only: nothing may write to the real stdout
        sys.stdout.flush()
        os.dup2(2, 1)
    except (OSError, ValueError):
        pass
    root = logging.getLogger()
    root.handlers[:] = [_PipeLogHandler(conn)]
    root.setLevel(log_level)
    try:
        os.chdir(spec.cwd)  # relative paths in the spec are the parent's
    except OSError as exc:
        conn.send(("error", "WorkerError", f"cannot enter the working directory {spec.cwd}: {exc.strerror or exc}"))
        return
    for entry in reversed(spec.sys_path):
        if entry not in sys.path:
            sys.path.insert(0, entry)
    if spec.default_runtime:
        os.environ[runtimes.DEFAULT_ENV] = spec.default_runtime  # this process's own default, the parent's
    _wasm.watchdog = Watchdog(slot, conn, spec.timeout, load_timeout)
    tune_garbage_collector()
    try:
        pipeline = spec.build()
    except BaseException as exc:  # everything goes back to the parent, which decides
        _wasm.watchdog = None
        kind = type(exc).__name__
        text = str(exc) if isinstance(exc, IngestHostError) else "".join(traceback.format_exception_only(type(exc), exc)).strip()
        conn.send(("error", kind, text))
        return
    conn.send(("ready", os.getpid()))
    try:
        while True:
            try:
                message = conn.recv()
            except EOFError:
                break
            op = message[0]
            if op == "close":
                break
            if op == "run":
                reply: Any = _run_lines(pipeline, slot, *message[1:])
            elif op == "docs":
                reply = _run_docs(pipeline, slot, *message[1:])
            elif op == "stats":
                reply = pipeline.stats()
            else:
                raise IngestHostError(f"unknown request [{op}]")
            if spec.collect_stats and op != "stats":
                reply = (reply, pipeline.stats())
            conn.send(("done", reply))
    finally:
        _wasm.watchdog = None
        pipeline.close()


def _run_lines(
    pipeline: Pipeline, slot: Any, first: int, block: bytes, source: str, read_options: dict[str, Any]
) -> tuple[bytes, bytes, dict[str, int]]:
    """One block of NDJSON lines (the first is line ``first``) through
    :func:`ingesthost.runner.run_lines`, as an in-process run reads its input. The slot names the document (or
    the batch of documents) in progress."""

    def progress(line: int, count: int) -> None:
        slot[_COUNT] = count
        slot[_ITEM] = line

    try:
        return runner.run_lines(
            pipeline, block, first, source, read_options["max_line_bytes"], read_options["max_depth"], progress
        )
    finally:
        slot[_ITEM] = _IDLE
        slot[_COUNT] = 1


def _run_docs(pipeline: Pipeline, slot: Any, first: int, lines: list[bytes]) -> list[Any]:
    """One batch for the library: per document, the output JSON (bytes), None
    (dropped) or the error as a failure record's ``error`` object."""
    outcomes: list[Any] = []
    execute = pipeline.execute
    for index, raw in enumerate(lines):
        number = first + index
        slot[_ITEM] = number
        try:
            result = execute(IngestDocument(orjson.loads(raw)))
            outcomes.append(None if result is None else orjson.dumps(result.source))
        except Exception as exc:  # every failure, even a host bug, belongs to its document
            if not isinstance(exc, IngestHostError):
                logger.exception("internal error on document %d", number)
            outcomes.append(runner.failure_record(Record(number, raw), "<library>", exc)["error"])
    slot[_ITEM] = _IDLE
    return outcomes


# ---------------------------------------------------------------------------
# The parent side
# ---------------------------------------------------------------------------


class _Incident(Exception):
    """The worker died with requests outstanding. ``item`` is the number of the
    document in progress (None: none was); ``error`` is what that document
    fails with; ``replies`` are answers that made it out before the death
    (they answer the oldest outstanding requests)."""

    def __init__(self, item: int | None, error: ProcessorError, replies: list[Any], count: int = 1) -> None:
        super().__init__(error.reason)
        self.item = item
        self.error = error
        self.replies = replies
        #: Documents in progress from ``item`` on: more than 1 for an ABI 1.1 batch.
        self.count = count


def _signal_name(exitcode: int | None) -> str:
    if exitcode is None:
        return "unknown exit"
    if exitcode < 0:
        try:
            return signal.Signals(-exitcode).name
        except ValueError:
            return f"signal {-exitcode}"
    return f"exit status {exitcode}"


def _grow_buffers(fd: int) -> None:
    """Ask for socket buffers that hold a whole batch, so that neither side
    waits for the other to read half of a message (best effort: the kernel
    caps it at ``net.core.wmem_max``/``rmem_max``)."""
    try:
        sock = socket.socket(fileno=fd)
    except OSError:
        return
    try:
        for option in (socket.SO_SNDBUF, socket.SO_RCVBUF):
            try:
                sock.setsockopt(socket.SOL_SOCKET, option, _SOCKET_BUFFER)
            except OSError:
                pass
    finally:
        sock.detach()


def _context() -> Any:
    """The forkserver context, preloading ingesthost so that forks start warm."""
    context = multiprocessing.get_context("forkserver")
    try:
        from multiprocessing import forkserver

        current = list(getattr(forkserver._forkserver, "_preload_modules", []) or [])
    except Exception:
        current = []
    try:
        preload = _FORKSERVER_PRELOAD[runtimes.default_runtime()]
    except IngestHostError:  # no runtime installed: the worker says so when it builds
        preload = ["ingesthost.workers"]
    context.set_forkserver_preload(sorted(set(current) | set(preload)))
    return context


class _Worker:
    """One worker process, its pipe and its slot (parent side)."""

    def __init__(self, spec: WorkerSpec, startup_timeout: float, load_timeout: float = DEFAULT_LOAD_TIMEOUT) -> None:
        context = _context()
        self.slot = context.RawArray("q", _SLOT_SIZE)
        self.slot[_ITEM] = _IDLE
        self.slot[_COUNT] = 1
        self.processors: dict[int, tuple[str, str | None, float]] = {}
        #: Watch ids of guest set-up calls: (module name, export).
        self.load_phases: dict[int, tuple[str, str]] = {}
        self._sender: threading.Thread | None = None
        self._poller: Any = None
        self.conn, child_conn = context.Pipe(duplex=True)
        for end in (self.conn, child_conn):
            _grow_buffers(end.fileno())
        level = logging.getLogger("ingesthost").getEffectiveLevel()
        self.process = context.Process(
            target=worker_main,
            args=(child_conn, self.slot, spec, level, load_timeout),
            name="ingesthost-worker",
            daemon=True,
        )
        started = time.perf_counter()
        self.process.start()
        child_conn.close()  # the child's end lives in the child only: its death is EOF here
        try:
            self._wait_ready(startup_timeout)
        except BaseException:
            self.kill()
            self.conn.close()
            raise
        self.startup_seconds = time.perf_counter() - started

    @property
    def pid(self) -> int | None:
        return self.process.pid

    def _wait_ready(self, startup_timeout: float) -> None:
        """Wait for "ready", enforcing the load time limit of guest set-up calls
        (published in the slot like a document's deadline) and ``startup_timeout``
        on the whole start-up (compiling included)."""
        deadline = time.monotonic() + startup_timeout
        conn, sentinel = self.conn, self.process.sentinel
        eof = False
        while True:
            snapshot = self._snapshot()
            now = time.monotonic_ns()
            if snapshot is not None and now >= snapshot[0] and self.process.is_alive():
                raise self._load_overrun(snapshot)
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise WorkerError(
                    f"the worker process did not load the pipeline within {startup_timeout:g} s{self._loading()}"
                )
            wait = min(remaining, _MAX_POLL)
            if snapshot is not None:
                wait = min(wait, (snapshot[0] - now) / 1e9 + 0.001)
            if not mp_connection.wait([conn, sentinel], wait):
                continue
            recheck = now + int(wait * 1e9)  # however many messages come, look at the slot again by then
            while conn.poll(0):
                try:
                    message = conn.recv()
                except (EOFError, OSError):
                    eof = True
                    break
                if message[0] == "ready":
                    return
                if message[0] == "error":
                    raise _startup_error(message[1], message[2])
                self._handle(message)
                if time.monotonic_ns() >= recheck:
                    break
            if not self.process.is_alive() or conn.closed:
                if not eof and not conn.closed and conn.poll(0):
                    continue  # read what it sent before it went first: its error, the set-up call it was in
                self.process.join(5)
                raise WorkerError(
                    f"the worker process died while loading the pipeline ({_signal_name(self.process.exitcode)})"
                    f"{self._loading()}"
                )

    def _loading(self) -> str:
        """`` in <export> of module <name>`` when a guest set-up call is running, else ""."""
        snapshot = self._snapshot()
        if snapshot is None:
            return ""
        phase = self.load_phases.get(snapshot[1])
        return f" in {phase[1]} of module {phase[0]}" if phase else ""

    def _load_overrun(self, snapshot: tuple[int, int, int]) -> IngestHostError:
        """Kill a worker whose guest overran its deadline while the pipeline loaded."""
        self.kill()
        self._drain()  # the registration naming the call may still be in the pipe
        what, reason = self._overrun(snapshot[1])
        if snapshot[1] in self.load_phases:
            return ModuleLoadError(what, reason)
        return WorkerError(f"the worker process could not load the pipeline: {reason}")

    def _overrun(self, watch_id: int) -> tuple[str, str]:
        """(module or processor, what overran) for a deadline that passed."""
        ptype, tag, timeout = self.processors.get(watch_id, ("wasm", None, float("nan")))
        phase = self.load_phases.get(watch_id)
        if phase is None:
            who = "processor" if ptype in BUILTINS_UNDER_TIME_LIMIT else "guest"
            return ptype, f"{who} ran longer than its {format_seconds(timeout)} s timeout"
        module, export = phase
        where = f", processor tag [{tag}]" if tag else ""
        return module, f"{export} did not return within {format_seconds(timeout)} s (load_timeout{where})"

    def _handle(self, message: tuple) -> None:
        kind = message[0]
        if kind == "log":
            _, name, level, text = message
            target = logging.getLogger(name)
            if target.isEnabledFor(level):
                target.handle(target.makeRecord(name, level, "(worker)", 0, text, None, None))
        elif kind == "register":
            _, watch_id, ptype, tag, timeout, *phase = message
            self.processors[watch_id] = (ptype, tag, timeout)
            if phase:  # a guest set-up call: (module, export)
                self.load_phases[watch_id] = (phase[0], phase[1])

    def _snapshot(self) -> tuple[int, int, int] | None:
        """(deadline, processor, item) as one consistent reading, or None when no guest runs.

        The worker writes processor and item before the deadline and clears
        the deadline before writing another processor, so an unchanged
        deadline read before and after the others vouches for them.
        """
        slot = self.slot
        for _ in range(100):
            deadline = slot[_DEADLINE]
            if deadline == 0:
                return None
            processor, item = slot[_PROCESSOR], slot[_ITEM]
            if slot[_DEADLINE] == deadline:
                return deadline, processor, item
        return None

    def send(self, message: tuple) -> None:
        """Queue a request; the sender thread writes it to the pipe.

        Writing from a thread of its own means the parent is always free to
        read answers: with two requests in flight, a worker blocked writing
        a large answer and a parent blocked writing the next request would
        otherwise wait for each other forever.
        """
        if self._sender is None:
            self._outbox: queue.SimpleQueue = queue.SimpleQueue()
            self._sender = threading.Thread(target=self._send_loop, name="ingesthost-worker-sender", daemon=True)
            self._sender.start()
        self._outbox.put(message)

    def _send_loop(self) -> None:
        while True:
            message = self._outbox.get()
            if message is None:
                return
            try:
                self.conn.send(message)
            except (OSError, ValueError):  # the worker died: receive() finds out and reports
                return

    def receive(self) -> Any:
        """Wait for the answer to the oldest outstanding request, enforcing deadlines.

        Raises :class:`_Incident` when the worker is killed or dies; it is
        then gone, and the caller starts another.
        """
        conn = self.conn
        poll, pipe = self._poll_answers()
        while True:
            snapshot = self._snapshot()
            now = time.monotonic_ns()
            if snapshot is not None and now >= snapshot[0]:
                raise self._kill_for(snapshot)
            wait = _MAX_POLL if snapshot is None else min(_MAX_POLL, (snapshot[0] - now) / 1e9 + 0.001)
            if not poll(wait * 1000):  # the pipe has something, or the worker ended
                continue
            # However many messages arrive (a guest logging in a loop), look at
            # the slot again no later than ``wait`` from now.
            recheck = now + int(wait * 1e9)
            while any(fd == pipe for fd, _ in poll(0)):
                try:
                    answer = conn.recv()
                except (EOFError, OSError):
                    raise self._post_mortem() from None
                if answer[0] == "done":
                    return answer[1]
                self._handle(answer)
                if time.monotonic_ns() >= recheck:
                    break
            if not self.process.is_alive():
                raise self._post_mortem()

    def _poll_answers(self) -> tuple[Callable[[float], list], int]:
        """(``poll(milliseconds)``, the pipe's descriptor): one ``select.poll``
        kept on the pipe and the process sentinel. ``multiprocessing``'s
        ``wait`` and ``Connection.poll`` build a selector per call, a tenth
        of a millisecond each: half the parent's work per block, before."""
        if self._poller is None:
            self._poller = select.poll()
            self._poller.register(self.conn.fileno(), select.POLLIN)
            self._poller.register(self.process.sentinel, select.POLLIN)
        return self._poller.poll, self.conn.fileno()

    def _drain(self) -> list[Any]:
        """Read what a dead worker left in the pipe; the answers it sent."""
        replies = []
        while True:
            try:
                if not self.conn.poll(0):
                    break
                message = self.conn.recv()
            except (EOFError, OSError):
                break
            if message[0] == "done":
                replies.append(message[1])
            else:
                self._handle(message)
        return replies

    def _kill_for(self, snapshot: tuple[int, int, int]) -> _Incident:
        _, watch_id, item = snapshot
        self.kill()
        replies = self._drain()  # registrations sent just before the slot was written are here too
        ptype, tag, _ = self.processors.get(watch_id, ("wasm", None, float("nan")))
        reason = self._overrun(watch_id)[1]
        if watch_id in self.load_phases:  # a guest instance created while processing
            reason = f"module {self.load_phases[watch_id][0]}: {reason}"
        error = ProcessorError(reason, processor_type=ptype, tag=tag, kind="timeout")
        return _Incident(item if item >= 0 else None, error, replies, max(1, self.slot[_COUNT]))

    def _post_mortem(self) -> _Incident:
        """The worker died by itself: blame the document in progress."""
        self.process.join(5)
        if self.process.exitcode is None:
            self.kill()
        replies = self._drain()
        self._stop_sender()
        slot = self.slot
        item = slot[_ITEM]
        in_guest = slot[_DEADLINE] != 0
        reason = f"worker process crashed ({_signal_name(self.process.exitcode)})"
        if in_guest and slot[_PROCESSOR] in self.processors:
            ptype, tag, _ = self.processors[slot[_PROCESSOR]]
            error = ProcessorError(reason, processor_type=ptype, tag=tag, kind="crash")
        else:
            error = ProcessorError(reason + " outside guest code", processor_type="host", kind="crash")
        return _Incident(item if item >= 0 else None, error, replies, max(1, slot[_COUNT]))

    def _stop_sender(self) -> None:
        if self._sender is not None:
            self._outbox.put(None)
            self._sender.join(5)
            self._sender = None

    def kill(self) -> None:
        """SIGKILL and reap (a stuck guest ignores everything else)."""
        if self.process.exitcode is None:
            try:
                self.process.kill()
            except (OSError, ValueError):
                pass
        self.process.join(5)
        self._stop_sender()

    def close(self) -> None:
        """Ask the worker to stop; kill it if it does not within a second."""
        if self.process.exitcode is None:
            self.send(("close",))
            self._stop_sender()
            self.process.join(1.0)
        self.kill()
        self.conn.close()


def _startup_error(kind: str, text: str) -> IngestHostError:
    """The worker's load error as the exception an in-process load raises."""
    if kind == "PipelineConfigError":
        return PipelineConfigError(text)
    if kind == "CompilerUnavailableError":
        return CompilerUnavailableError(text)
    return WorkerError(f"the worker process could not load the pipeline: {text}")


def _error_from_record(error: dict[str, Any]) -> ProcessorError:
    """A failure record's ``error`` object back as the ProcessorError it was."""
    if error.get("type") == "processor_error":
        return ProcessorError(
            error.get("message", ""),
            processor_type=error.get("processor_type") or "wasm",
            tag=error.get("processor_tag"),
            kind=error.get("kind") or "guest_failure",
        )
    return ProcessorError(error.get("message", ""), processor_type="host", kind="host")


def merge_stats(total: Any, more: Any) -> Any:
    """Add two statistics trees of the same shape (numbers add up; other leaves
    keep the newer value). Used to keep the counters of replaced workers."""
    if total is None:
        return more
    if more is None:
        return total
    if isinstance(total, dict) and isinstance(more, dict):
        merged = dict(total)
        for key, value in more.items():
            merged[key] = merge_stats(total.get(key), value)
        return merged
    if isinstance(total, list) and isinstance(more, list) and len(total) == len(more):
        return [merge_stats(a, b) for a, b in zip(total, more)]
    if isinstance(total, (int, float)) and isinstance(more, (int, float)) and not isinstance(more, bool):
        return total + more
    return more


_F = TypeVar("_F", bound="_IsolatedFront")


class _IsolatedFront:
    """What pipelines whose guests run in worker processes share: the
    ``from_*`` constructors (a :class:`WorkerSpec` with a snapshot, then
    ``cls(spec, **options)``), the library API (:meth:`process`,
    :meth:`process_many`) and the ``process`` job (:meth:`run`,
    :meth:`run_blocks`), all over ``_stream``, which a subclass provides:
    one worker (:class:`IsolatedPipeline`) or several
    (:class:`ingesthost.pool.WorkerPool`)."""

    batch_size: int
    batch_bytes: int

    def _stream(self, op: str, work: Iterator[tuple], *extra: Any) -> Iterator[tuple]:
        raise NotImplementedError

    def close(self) -> None:
        raise NotImplementedError

    # -- construction ------------------------------------------------------

    @classmethod
    def from_file(
        cls: type[_F],
        path: str | Path,
        *,
        compiler: str = DEFAULT_COMPILER,
        runtime: str | None = None,
        cache: CompileCache | None | bool = True,
        max_memory: int = DEFAULT_MAX_MEMORY,
        timeout: float = DEFAULT_TIMEOUT,
        confine_to: str | Path | None = None,
        **options: Any,
    ) -> _F:
        """A pipeline file (module paths relative to the file), read once here
        with everything it names and built in the worker from that snapshot."""
        return cls._with_spec(
            "file", options, cache, timeout, confine_to, path=str(path), compiler=compiler, runtime=runtime,
            max_memory=max_memory,
        )

    @classmethod
    def from_definition(
        cls: type[_F],
        definition: dict[str, Any],
        *,
        base_dir: str | Path = ".",
        source: str | None = None,
        compiler: str = DEFAULT_COMPILER,
        runtime: str | None = None,
        cache: CompileCache | None | bool = True,
        max_memory: int = DEFAULT_MAX_MEMORY,
        timeout: float = DEFAULT_TIMEOUT,
        confine_to: str | Path | None = None,
        **options: Any,
    ) -> _F:
        """An already-parsed definition (it must be picklable: plain JSON data)."""
        return cls._with_spec(
            "definition",
            options,
            cache,
            timeout,
            confine_to,
            path=source,
            definition=copy.deepcopy(definition),  # the caller's dict may change mid-run: not this
            base_dir=str(base_dir),
            compiler=compiler,
            runtime=runtime,
            max_memory=max_memory,
        )

    @classmethod
    def from_module(
        cls: type[_F],
        module: str | Path,
        params: dict[str, Any] | None = None,
        *,
        tag: str | None = None,
        compiler: str = DEFAULT_COMPILER,
        runtime: str | None = None,
        cache: CompileCache | None | bool = True,
        max_memory: int = DEFAULT_MAX_MEMORY,
        timeout: float = DEFAULT_TIMEOUT,
        **options: Any,
    ) -> _F:
        """One module as the whole pipeline (the CLI's ``--module`` shortcut)."""
        return cls._with_spec(
            "module",
            options,
            cache,
            timeout,
            None,
            path=str(module),
            params=copy.deepcopy(dict(params or {})),
            tag=tag,
            compiler=compiler,
            runtime=runtime,
            max_memory=max_memory,
        )

    @classmethod
    def _with_spec(
        cls: type[_F],
        kind: str,
        options: dict[str, Any],
        cache: CompileCache | None | bool,
        timeout: float,
        confine_to: str | Path | None,
        **fields: Any,
    ) -> _F:
        """What the ``from_*`` constructors share: the spec's common fields, its
        snapshot (the pipeline files and modules, read and checked here, once:
        see :meth:`WorkerSpec.with_snapshot`), then the pipeline."""
        spec = WorkerSpec(
            kind,
            cache_dir=_cache_dir(cache),
            timeout=_check_timeout(timeout),
            confine_to=None if confine_to is None else str(confine_to),
            collect_stats=bool(options.pop("collect_stats", False)),
            **fields,
        ).with_snapshot()
        return cls(spec, **options)

    @classmethod
    def from_factory(
        cls: type[_F],
        factory: Callable[..., Pipeline] | str,
        *args: Any,
        timeout: float = DEFAULT_TIMEOUT,
        **options: Any,
    ) -> _F:
        """A pipeline your own code builds, in the worker: ``factory`` is a
        module-level function (or ``"package.module:function"``) called with
        ``args`` (picklable) that returns a :class:`Pipeline`. This is how to
        isolate pipelines with custom Python processors."""
        if callable(factory):
            name = f"{factory.__module__}:{factory.__qualname__}"
            if "<locals>" in name or factory.__module__ == "__main__":
                raise IngestHostError(
                    f"factory {name} cannot be found by the worker: use a function defined at "
                    "module level in an importable module"
                )
        else:
            name = factory
        spec = WorkerSpec(
            "factory",
            factory=name,
            factory_args=tuple(args),
            timeout=_check_timeout(timeout),
            sys_path=tuple(sys.path),
            collect_stats=bool(options.pop("collect_stats", False)),
        )
        return cls(spec, **options)

    # -- the library API ---------------------------------------------------

    def process(self, doc: dict[str, Any]) -> dict[str, Any] | None:
        """Like :meth:`Pipeline.process`: the processed copy, or None when dropped;
        raises :class:`ProcessorError` (``kind`` ``timeout``/``crash`` included)
        and :class:`InputError` for a document that is not a JSON object (or
        not JSON-serialisable, or holds a number JSON cannot carry)."""
        (result,) = self._results([doc], lambda index: "<input>")
        if result.status == "failed":
            assert result.error is not None
            raise result.error
        return result.document

    def process_many(self, docs: Iterable[dict[str, Any]]) -> Iterator[DocumentResult]:
        """Like :meth:`Pipeline.process_many`, in batches of ``batch_size``; one
        :class:`DocumentResult` per document, in order. Nothing stops the batch:
        an item that is no usable document fails with an :class:`InputError`
        naming ``docs[i]`` (it never reaches the worker) and the next one runs."""
        return self._results(docs, "docs[{}]".format)

    def _results(self, docs: Iterable[Any], label: Callable[[int], str]) -> Iterator[DocumentResult]:
        for entry in self._stream("docs", self._doc_batches(docs, label)):
            if entry[0] == "failed":
                yield DocumentResult("failed", error=entry[3])
                continue
            for outcome in entry[1]:
                if outcome is None:
                    yield DocumentResult("dropped")
                elif isinstance(outcome, bytes):
                    yield DocumentResult("ok", orjson.loads(outcome))
                else:
                    yield DocumentResult("failed", error=_error_from_record(outcome))

    def _doc_batches(
        self, docs: Iterable[dict[str, Any]], label: Callable[[int], str] = "docs[{}]".format
    ) -> Iterator[tuple]:
        """Batches of JSON texts, documents numbered from 0 across the call; an
        item that is no usable document (see :func:`ingesthost.pipeline.document_json`)
        comes out in its place as ``("failed", number, b"", InputError)``, after
        the batch of the documents before it."""
        batch: list[bytes] = []
        first = 0
        for number, doc in enumerate(docs):
            try:
                batch.append(document_json(doc, label(number)))
            except InputError as exc:
                if batch:  # the documents before a bad one get their results first
                    yield ("batch", first, batch, len(batch))
                    batch = []
                yield ("failed", number, b"", exc)
                first = number + 1
                continue
            if len(batch) >= self.batch_size:
                yield ("batch", first, batch, len(batch))
                first += len(batch)
                batch = []
        if batch:
            yield ("batch", first, batch, len(batch))

    # -- the process job ---------------------------------------------------

    def run(
        self,
        stream: IO[bytes],
        output: IO[bytes],
        failures: IO[bytes],
        *,
        source: str = "<input>",
        max_line_bytes: int = DEFAULT_MAX_LINE_BYTES,
        max_depth: int = MAX_DEPTH,
    ) -> runner.RunSummary:
        """NDJSON from ``stream`` (binary), processed documents to ``output``,
        failure records to ``failures``, in input order, with the same records
        and counts as :func:`ingesthost.runner.run` — plus documents failed by a
        timeout or a crash. Lines longer than ``max_line_bytes`` never reach
        the worker (nor memory in full)."""
        blocks = read_blocks(stream, source, self.batch_size, self.batch_bytes, max_line_bytes)
        return runner.write_results(self.run_blocks(blocks, source, max_line_bytes, max_depth), output, failures)

    def run_blocks(
        self, blocks: Iterator[tuple], source: str, max_line_bytes: int, max_depth: int
    ) -> Iterator[tuple[bytes, bytes, dict[str, int], int]]:
        """The results of blocks of NDJSON lines (:func:`ingesthost.ndjson.read_blocks`),
        in input order: ``(output bytes, failure-record bytes, counts, last
        line)`` per block, and one such tuple for each document a timeout or
        crash took down and each over-long line."""
        read_options = {"max_line_bytes": max_line_bytes, "max_depth": max_depth}
        for entry in self._stream("run", blocks, source, read_options):
            kind = entry[0]
            if kind == "reply":
                out, failed, counts = entry[1]
                yield out, failed, counts, entry[2] + entry[3] - 1
            elif kind == "failed":
                _, number, raw, error = entry
                yield b"", dumps_line(_failure_for(number, raw, source, error)), {"read": 1, "failed": 1}, number
            else:  # "oversize": a line too long to send, reported as read_records reports it
                yield runner.oversize_result(entry[1], source)

    def __enter__(self) -> _F:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()


class IsolatedPipeline(_IsolatedFront):
    """A pipeline that runs in a worker process, with a time limit per guest call.

    Build one like a :class:`~ingesthost.pipeline.Pipeline`
    (:meth:`from_file`, :meth:`from_definition`, :meth:`from_module`, or
    :meth:`from_factory` for pipelines built by your own code); the worker
    starts at once, so a pipeline error is raised here as it would be
    in-process. Then:

    * :meth:`process` / :meth:`process_many` take and return dicts like
      ``Pipeline``'s; a guest that overruns its timeout fails its document
      with a :class:`ProcessorError` of ``kind`` ``"timeout"``, one whose
      worker crashes with ``kind`` ``"crash"``; the next document runs in a
      fresh worker.
    * :meth:`run` is the ``ingesthost process`` job: NDJSON bytes in,
      output and failure records out, a :class:`~ingesthost.runner.RunSummary`.

    Every wasm processor's time limit is its own ``timeout``, else its
    pipeline's, else ``timeout`` here (default 1 s). Guest code that runs
    while the pipeline loads (each module's start function, ``_initialize``,
    ``malloc`` for the params and ``configure``) has ``load_timeout`` per
    call (default 10 s; compiling is not counted: ``startup_timeout``, default
    120 s, bounds the whole start-up); a guest that overruns it is a
    :class:`~ingesthost.errors.ModuleLoadError` naming the module and the
    export, raised here. Every ``from_*`` constructor passes ``load_timeout``
    on. ``batch_size`` lines go
    to the worker per message. ``max_restarts`` (None: no limit other than
    one per document) stops with :class:`WorkerError` after that many
    replacements. Not thread-safe: use one per thread.
    """

    def __init__(
        self,
        spec: WorkerSpec,
        *,
        batch_size: int = DEFAULT_BATCH_SIZE,
        batch_bytes: int = DEFAULT_BATCH_BYTES,
        startup_timeout: float = DEFAULT_STARTUP_TIMEOUT,
        max_restarts: int | None = None,
        load_timeout: float = DEFAULT_LOAD_TIMEOUT,
    ) -> None:
        _check_timeout(spec.timeout)
        if isinstance(load_timeout, bool) or not isinstance(load_timeout, (int, float)) or not 0 < load_timeout < float("inf"):
            raise IngestHostError(f"load_timeout must be a positive number of seconds, found {load_timeout!r}")
        #: Seconds each guest set-up call at load may run (see the class docstring).
        self.load_timeout = float(load_timeout)
        if batch_size < 1:
            raise IngestHostError(f"batch_size must be at least 1, found {batch_size}")
        self.spec = spec
        self.batch_size = batch_size
        self.batch_bytes = batch_bytes
        self.startup_timeout = startup_timeout
        self.max_restarts = max_restarts
        #: Workers replaced after a timeout or a crash.
        self.restarts = 0
        self.timeouts = 0
        self.crashes = 0
        #: Seconds the last worker took from fork to "ready".
        self.last_startup_seconds = 0.0
        self._retired_stats: Any = None
        self._worker_stats: Any = None
        self._worker: _Worker | None = None
        self._worker = self._start()

    # -- workers -----------------------------------------------------------

    def _start(self) -> _Worker:
        worker = _Worker(self.spec, self.startup_timeout, self.load_timeout)
        self.last_startup_seconds = worker.startup_seconds
        logger.debug("worker %s ready in %.3f s", worker.pid, worker.startup_seconds)
        return worker

    def _current(self) -> _Worker:
        if self._worker is None:
            self._worker = self._start()
            self._worker_stats = None
        return self._worker

    @property
    def worker_pid(self) -> int | None:
        """The process id of the current worker (None between a death and the next start)."""
        return self._worker.pid if self._worker is not None else None

    def _unwrap(self, reply: Any) -> Any:
        """A batch answer without the statistics riding along with it (kept aside)."""
        if self.spec.collect_stats:
            reply, self._worker_stats = reply
        return reply

    def _discard(self) -> None:
        """Stop the current worker without counting a restart (the next request starts another)."""
        worker, self._worker = self._worker, None
        self._retired_stats = merge_stats(self._retired_stats, self._worker_stats)
        self._worker_stats = None
        if worker is not None:
            worker.kill()
            worker.conn.close()

    def _retire(self, incident: _Incident, where: str) -> None:
        """Account for a dead worker; the next request starts another."""
        self._worker = None
        self._retired_stats = merge_stats(self._retired_stats, self._worker_stats)
        self._worker_stats = None
        self.restarts += 1
        if incident.error.kind == "timeout":
            self.timeouts += 1
        else:
            self.crashes += 1
        # Info, not warning: the document's failure record already says it, and
        # the summary counts restarts; printing it again would report it twice.
        logger.info("%s: %s; starting a new worker", where, incident.error)
        if self.max_restarts is not None and self.restarts > self.max_restarts:
            raise WorkerError(
                f"gave up after {self.max_restarts} worker restarts (the last: {where}: {incident.error})"
            )

    def _stream(self, op: str, work: Iterator[tuple], *extra: Any) -> Iterator[tuple]:
        """Run a stream of work through workers and yield every outcome in input order.

        ``work`` yields ``("batch", first, payload, count[, ready])`` (``count``
        documents numbered from ``first``; ``payload`` is a block of NDJSON
        lines for ``run``, a list of JSON texts for ``docs``; ``ready``
        False: the next batch would wait for input, so none is fetched
        until this one is answered) and
        pass-through entries of any other kind, which come back out in their
        place. Out come ``("reply", answer)`` per batch and ``("failed",
        number, raw, error)`` for a document a timeout or crash took down.

        Up to :data:`_IN_FLIGHT` batches are with the worker at once, so it
        never waits for the parent between batches. When a worker dies, the
        document in progress is failed and never sent again; the rest of
        its batch and every later batch already sent (their answers died
        with the worker) are re-sent, in order, to a new worker. Each
        incident removes one document, so the loop ends.
        """
        pending: deque[tuple] = deque()  # not yet sent, in order
        in_flight: deque[tuple] = deque()  # sent to the current worker, oldest first
        try:
            exhausted = False
            deferred: BaseException | None = None  # raised by ``work``: re-raised after what came before
            unattributed = 0
            hold = False  # a batch the input had nothing after is out: fetch no more until it is answered
            while True:
                while len(in_flight) < _IN_FLIGHT:
                    if not pending:
                        if exhausted or (hold and in_flight):
                            break
                        hold = False
                        try:
                            pending.append(next(work))
                        except StopIteration:
                            exhausted = True
                            break
                        except Exception as exc:
                            exhausted, deferred = True, exc
                            break
                    entry = pending[0]
                    if entry[0] != "batch":
                        if in_flight:
                            break  # answers for earlier documents come first
                        pending.popleft()
                        yield entry
                        continue
                    pending.popleft()
                    if entry[3]:
                        self._current().send((op, entry[1], entry[2], *extra))
                        in_flight.append(entry[:4])
                    if len(entry) > 4 and not entry[4]:
                        hold = True
                        break  # the input has nothing more yet: answer what was sent first
                if not in_flight:
                    if pending:
                        continue
                    if deferred is not None:
                        raise deferred
                    return
                worker = self._current()
                try:
                    reply = worker.receive()
                except _Incident as incident:
                    worker.conn.close()
                    number, together = incident.item, incident.count
                    if number is None:
                        where = "no document in progress"
                    elif together > 1:
                        where = f"a batch of lines {number}-{number + together - 1} (run again one by one)"
                    else:
                        where = f"line {number}" if op == "run" else f"document {number + 1}"
                    self._retire(incident, where)
                    for answer in incident.replies:  # answers that made it out before the death
                        entry = in_flight.popleft()
                        yield ("reply", self._unwrap(answer), entry[1], entry[3])
                    lost = list(in_flight)
                    in_flight.clear()
                    for index, (_, start, payload, count) in enumerate(lost):
                        if number is not None and start <= number < start + count:
                            before, raw, after = _split(payload, number - start)
                            if together > 1:
                                # A batch (ABI 1.1) was in progress: which of its documents is to
                                # blame is not known, so each runs again on its own.
                                together = min(together, start + count - number)
                                singles = [("batch", number, raw, 1)]
                                for offset in range(1, together):
                                    _, raw, after = _split(after, 0)
                                    singles.append(("batch", number + offset, raw, 1))
                                rest = start + count - number - together
                                lost[index : index + 1] = [
                                    ("batch", start, before, number - start),
                                    *singles,
                                    ("batch", number + together, after, rest),
                                ]
                            else:
                                lost[index : index + 1] = [
                                    ("batch", start, before, number - start),
                                    ("failed", number, raw, incident.error),
                                    ("batch", number + 1, after, start + count - number - 1),
                                ]
                            unattributed = 0
                            break
                    else:
                        if lost:
                            unattributed += 1
                            if unattributed > _MAX_UNATTRIBUTED:
                                raise WorkerError(
                                    f"the worker process died {unattributed} times in a row with no document "
                                    f"in progress (last: {incident.error.reason})"
                                ) from None
                    pending.extendleft(reversed(lost))
                    continue
                entry = in_flight.popleft()
                yield ("reply", self._unwrap(reply), entry[1], entry[3])
        finally:
            if in_flight and self._worker is not None:
                # Abandoned with answers outstanding (the caller stopped early, or
                # an error): they would be taken for the answers to later requests.
                self._discard()

    # -- statistics and lifecycle -----------------------------------------

    def stats(self) -> Any:
        """The pipeline's statistics (:meth:`Pipeline.stats`), added up over
        every worker so far; needs ``collect_stats=True``. Documents a
        timeout or crash took down are counted in :attr:`timeouts` and
        :attr:`crashes`, not here (their worker's counters died with it)."""
        if not self.spec.collect_stats:
            raise IngestHostError("statistics were not collected: create the pipeline with collect_stats=True")
        current = self._worker_stats
        if current is None and self._worker is not None:
            self._worker.send(("stats",))
            current = self._worker.receive()
        return merge_stats(self._retired_stats, current)

    def close(self) -> None:
        """Stop the worker. Idempotent."""
        if self._worker is not None:
            if self.spec.collect_stats and self._worker_stats is None:
                try:  # no batch answered yet (an empty input): keep its zero counters readable
                    self._worker.send(("stats",))
                    self._worker_stats = self._worker.receive()
                except Exception:
                    pass
            self._worker.close()
            self._worker = None

    def __repr__(self) -> str:
        what = self.spec.path or self.spec.factory or self.spec.kind
        return f"<IsolatedPipeline {what} worker={self.worker_pid} restarts={self.restarts}>"


def _split(payload: Any, index: int) -> tuple[Any, bytes, Any]:
    """(the documents before ``index``, document ``index``'s raw line, the ones after)."""
    if isinstance(payload, list):
        return payload[:index], payload[index], payload[index + 1 :]
    position = -1
    for _ in range(index):
        position = payload.find(b"\n", position + 1)
    start = position + 1
    end = payload.find(b"\n", start)
    end = len(payload) if end < 0 else end + 1
    return payload[:start], payload[start:end], payload[end:]


def _failure_for(number: int, raw: bytes, source: str, error: ProcessorError) -> dict[str, Any]:
    """The failure record of a document a timeout or crash took down (the
    original document when the line parses as an object, else the raw line)."""
    try:
        document = orjson.loads(raw)
    except orjson.JSONDecodeError:
        document = None
    record = Record(number, raw, document if isinstance(document, dict) else None)
    return runner.failure_record(record, source, error)


__all__ = [
    "DEFAULT_BATCH_SIZE",
    "DEFAULT_LOAD_TIMEOUT",
    "DEFAULT_TIMEOUT",
    "IsolatedPipeline",
    "Watchdog",
    "WorkerError",
    "WorkerSpec",
    "format_seconds",
    "merge_stats",
]
