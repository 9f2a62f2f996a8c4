"""Time limits and crash isolation: guests run in a worker process.

wasmer-python has no fuel, metering or interrupt API, holds the GIL while
guest code runs, and a signal handler cannot interrupt a pure wasm loop
(``loop br 0``). The only thing that reliably stops a stuck guest is killing
the process it runs in; the only thing that contains a guest (or wasmer
itself, on a tampered artifact) that crashes its process is another process.
So :class:`IsolatedPipeline` runs the pipeline in a child process and keeps
only bytes in the parent:

* **Building.** The child builds the pipeline itself from a picklable
  :class:`WorkerSpec` (a pipeline file, a definition, a module, or a factory
  function) — no guest code (``configure`` included) ever runs in the parent.
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
"""

from __future__ import annotations

import ctypes
import dataclasses
import importlib
import io
import logging
import multiprocessing
import os
import queue
import signal
import socket
import sys
import threading
import time
import traceback
from collections import deque
from multiprocessing import connection as mp_connection
from pathlib import Path
from typing import IO, Any, Callable, Iterable, Iterator

import orjson

from . import runner
from .document import MAX_DEPTH, IngestDocument
from .engine import DEFAULT_COMPILER, CompilerUnavailableError
from .errors import IngestHostError, InputError, PipelineConfigError, ProcessorError
from .loader import DEFAULT_MAX_MEMORY, CompileCache, default_cache_dir
from .ndjson import DEFAULT_MAX_LINE_BYTES, Record, dumps_line, read_records
from .pipeline import DocumentResult, Pipeline
from .processors import wasm as _wasm

logger = logging.getLogger(__name__)

#: A wasm processor's time limit per document when neither it nor its pipeline sets one.
DEFAULT_TIMEOUT = 1.0
#: Lines per message to the worker: large enough that messaging costs little per line.
DEFAULT_BATCH_SIZE = 512
#: A batch is also closed at this many bytes, so huge lines do not make huge messages.
DEFAULT_BATCH_BYTES = 4 * 1024 * 1024
#: How long a worker may take to build the pipeline (compiling included) and say "ready".
DEFAULT_STARTUP_TIMEOUT = 120.0

# The shared slot: four signed 64-bit integers.
_DEADLINE = 0  # monotonic_ns() after which the running guest call is overdue; 0: no guest running
_PROCESSOR = 1  # the watch id of the processor whose guest runs (valid while the deadline is set)
_ITEM = 2  # the number (input line) of the document in progress; -1 between batches
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
_FORKSERVER_PRELOAD = ["ingesthost.workers", "wasmer_compiler_cranelift"]


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
    cache_dir: str | None = None
    max_memory: int = DEFAULT_MAX_MEMORY
    timeout: float = DEFAULT_TIMEOUT
    cwd: str = dataclasses.field(default_factory=os.getcwd)
    sys_path: tuple[str, ...] = ()
    collect_stats: bool = False
    confine_to: str | None = None

    def build(self) -> Pipeline:
        """Build the pipeline (in the worker). Raises what ``Pipeline.from_*`` raises."""
        cache: CompileCache | None = CompileCache(self.cache_dir) if self.cache_dir is not None else None
        common = {"compiler": self.compiler, "cache": cache, "max_memory": self.max_memory}
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
    to the parent, before the slot names it.
    """

    def __init__(self, slot: Any, conn: Any, default_timeout: float) -> None:
        # A memoryview of the shared integers: item stores are single aligned
        # 8-byte writes, and a little cheaper than through ctypes.
        self._slot = _int64_view(slot)
        self._conn = conn
        self._default_ns = int(default_timeout * 1e9)
        self._entries: dict[Any, tuple[int, int]] = {}
        self._now = time.monotonic_ns

    def enter(self, processor: Any) -> Any:
        """Start the clock of one guest call; returns what :meth:`leave` restores."""
        slot = self._slot
        saved: Any = slot[_DEADLINE]
        if saved:  # a guest call inside another one: restore the outer clock afterwards
            saved = (saved, slot[_PROCESSOR])
        entry = self._entries.get(processor)
        if entry is None:
            entry = self._register(processor)
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


def worker_main(conn: Any, slot: Any, spec: WorkerSpec, log_level: int) -> None:
    """The worker process: build the pipeline, say ready, answer batches until told to stop."""
    slot = _int64_view(slot)
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the parent's to handle
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
    try:
        pipeline = spec.build()
    except BaseException as exc:  # everything goes back to the parent, which decides
        kind = type(exc).__name__
        text = str(exc) if isinstance(exc, IngestHostError) else "".join(traceback.format_exception_only(type(exc), exc)).strip()
        conn.send(("error", kind, text))
        return
    _wasm.watchdog = Watchdog(slot, conn, spec.timeout)
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


def _numbered(records: Iterable[Record], offset: int, slot: Any) -> Iterator[Record]:
    """Renumber records to their input line and publish the one in progress."""
    for record in records:
        record.line += offset
        if record.error is not None:
            record.error.line = record.line
        slot[_ITEM] = record.line
        yield record


def _run_lines(
    pipeline: Pipeline, slot: Any, first: int, block: bytes, source: str, read_options: dict[str, Any]
) -> tuple[bytes, bytes, dict[str, int]]:
    """One block of NDJSON lines (the first is line ``first``) through
    :func:`ingesthost.runner.run`, reading it with :func:`read_records` as an
    in-process run reads its input."""
    records = _numbered(read_records(io.BytesIO(block), source, **read_options), first - 1, slot)
    output, failures = io.BytesIO(), io.BytesIO()
    try:
        summary = runner.run(pipeline, records, output, failures, source=source)
    finally:
        slot[_ITEM] = _IDLE
    counts = {
        name: value
        for name, value in dataclasses.asdict(summary).items()
        if isinstance(value, int) and not isinstance(value, bool)
    }
    return output.getvalue(), failures.getvalue(), counts


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

    def __init__(self, item: int | None, error: ProcessorError, replies: list[Any]) -> None:
        super().__init__(error.reason)
        self.item = item
        self.error = error
        self.replies = replies


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
    context.set_forkserver_preload(sorted(set(current) | set(_FORKSERVER_PRELOAD)))
    return context


class _Worker:
    """One worker process, its pipe and its slot (parent side)."""

    def __init__(self, spec: WorkerSpec, startup_timeout: float) -> None:
        context = _context()
        self.slot = context.RawArray("q", _SLOT_SIZE)
        self.slot[_ITEM] = _IDLE
        self.processors: dict[int, tuple[str, str | None, float]] = {}
        self._sender: threading.Thread | None = None
        self.conn, child_conn = context.Pipe(duplex=True)
        for end in (self.conn, child_conn):
            _grow_buffers(end.fileno())
        level = logging.getLogger("ingesthost").getEffectiveLevel()
        self.process = context.Process(
            target=worker_main, args=(child_conn, self.slot, spec, level), name="ingesthost-worker", daemon=True
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
        deadline = time.monotonic() + startup_timeout
        while True:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise WorkerError(f"the worker process did not load the pipeline within {startup_timeout:g} s")
            if not mp_connection.wait([self.conn, self.process.sentinel], min(remaining, 1.0)):
                continue
            while self.conn.poll(0):
                try:
                    message = self.conn.recv()
                except (EOFError, OSError):
                    break
                if message[0] == "ready":
                    return
                if message[0] == "error":
                    raise _startup_error(message[1], message[2])
                self._handle(message)
            if not self.process.is_alive() or self.conn.closed:
                self.process.join(5)
                raise WorkerError(
                    f"the worker process died while loading the pipeline ({_signal_name(self.process.exitcode)})"
                )

    def _handle(self, message: tuple) -> None:
        kind = message[0]
        if kind == "log":
            _, name, level, text = message
            target = logging.getLogger(name)
            if target.isEnabledFor(level):
                target.handle(target.makeRecord(name, level, "(worker)", 0, text, None, None))
        elif kind == "register":
            _, watch_id, ptype, tag, timeout = message
            self.processors[watch_id] = (ptype, tag, timeout)

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
        conn, sentinel = self.conn, self.process.sentinel
        while True:
            snapshot = self._snapshot()
            now = time.monotonic_ns()
            if snapshot is not None and now >= snapshot[0]:
                raise self._kill_for(snapshot)
            wait = _MAX_POLL if snapshot is None else min(_MAX_POLL, (snapshot[0] - now) / 1e9 + 0.001)
            if not mp_connection.wait([conn, sentinel], wait):
                continue
            while conn.poll(0):
                try:
                    answer = conn.recv()
                except (EOFError, OSError):
                    raise self._post_mortem() from None
                if answer[0] == "done":
                    return answer[1]
                self._handle(answer)
            if not self.process.is_alive():
                raise self._post_mortem()

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
        ptype, tag, timeout = self.processors.get(watch_id, ("wasm", None, float("nan")))
        error = ProcessorError(
            f"guest ran longer than its {format_seconds(timeout)} s timeout",
            processor_type=ptype,
            tag=tag,
            kind="timeout",
        )
        return _Incident(item if item >= 0 else None, error, replies)

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
        return _Incident(item if item >= 0 else None, error, replies)

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


class IsolatedPipeline:
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
    pipeline's, else ``timeout`` here (default 1 s). ``batch_size`` lines go
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
    ) -> None:
        _check_timeout(spec.timeout)
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

    # -- construction ------------------------------------------------------

    @classmethod
    def from_file(
        cls,
        path: str | Path,
        *,
        compiler: str = DEFAULT_COMPILER,
        cache: CompileCache | None | bool = True,
        max_memory: int = DEFAULT_MAX_MEMORY,
        timeout: float = DEFAULT_TIMEOUT,
        confine_to: str | Path | None = None,
        **options: Any,
    ) -> "IsolatedPipeline":
        """A pipeline file, loaded in the worker (module paths relative to the file)."""
        return cls._with_spec(
            "file", options, cache, timeout, confine_to, path=str(path), compiler=compiler, max_memory=max_memory
        )

    @classmethod
    def from_definition(
        cls,
        definition: dict[str, Any],
        *,
        base_dir: str | Path = ".",
        source: str | None = None,
        compiler: str = DEFAULT_COMPILER,
        cache: CompileCache | None | bool = True,
        max_memory: int = DEFAULT_MAX_MEMORY,
        timeout: float = DEFAULT_TIMEOUT,
        confine_to: str | Path | None = None,
        **options: Any,
    ) -> "IsolatedPipeline":
        """An already-parsed definition (it must be picklable: plain JSON data)."""
        return cls._with_spec(
            "definition",
            options,
            cache,
            timeout,
            confine_to,
            path=source,
            definition=definition,
            base_dir=str(base_dir),
            compiler=compiler,
            max_memory=max_memory,
        )

    @classmethod
    def from_module(
        cls,
        module: str | Path,
        params: dict[str, Any] | None = None,
        *,
        tag: str | None = None,
        compiler: str = DEFAULT_COMPILER,
        cache: CompileCache | None | bool = True,
        max_memory: int = DEFAULT_MAX_MEMORY,
        timeout: float = DEFAULT_TIMEOUT,
        **options: Any,
    ) -> "IsolatedPipeline":
        """One module as the whole pipeline (the CLI's ``--module`` shortcut)."""
        return cls._with_spec(
            "module",
            options,
            cache,
            timeout,
            None,
            path=str(module),
            params=dict(params or {}),
            tag=tag,
            compiler=compiler,
            max_memory=max_memory,
        )

    @classmethod
    def _with_spec(
        cls,
        kind: str,
        options: dict[str, Any],
        cache: CompileCache | None | bool,
        timeout: float,
        confine_to: str | Path | None,
        **fields: Any,
    ) -> "IsolatedPipeline":
        """What the ``from_*`` constructors share: the spec's common fields, then the pipeline."""
        spec = WorkerSpec(
            kind,
            cache_dir=_cache_dir(cache),
            timeout=_check_timeout(timeout),
            confine_to=None if confine_to is None else str(confine_to),
            collect_stats=bool(options.pop("collect_stats", False)),
            **fields,
        )
        return cls(spec, **options)

    @classmethod
    def from_factory(
        cls,
        factory: Callable[..., Pipeline] | str,
        *args: Any,
        timeout: float = DEFAULT_TIMEOUT,
        **options: Any,
    ) -> "IsolatedPipeline":
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

    # -- workers -----------------------------------------------------------

    def _start(self) -> _Worker:
        worker = _Worker(self.spec, self.startup_timeout)
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
        logger.warning("%s: %s; starting a new worker", where, incident.error)
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
            while True:
                while len(in_flight) < _IN_FLIGHT:
                    if not pending:
                        if exhausted:
                            break
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
                    number = incident.item
                    if number is None:
                        where = "no document in progress"
                    else:
                        where = f"line {number}" if op == "run" else f"document {number + 1}"
                    self._retire(incident, where)
                    for answer in incident.replies:  # answers that made it out before the death
                        in_flight.popleft()
                        yield ("reply", self._unwrap(answer))
                    lost = list(in_flight)
                    in_flight.clear()
                    for index, (_, start, payload, count) in enumerate(lost):
                        if number is not None and start <= number < start + count:
                            before, raw, after = _split(payload, number - start)
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
                in_flight.popleft()
                yield ("reply", self._unwrap(reply))
        finally:
            if in_flight and self._worker is not None:
                # Abandoned with answers outstanding (the caller stopped early, or
                # an error): they would be taken for the answers to later requests.
                self._discard()

    # -- the library API ---------------------------------------------------

    def process(self, doc: dict[str, Any]) -> dict[str, Any] | None:
        """Like :meth:`Pipeline.process`: the processed copy, or None when dropped;
        raises :class:`ProcessorError` (``kind`` ``timeout``/``crash`` included)
        and :class:`InputError` for a document that is not a JSON object."""
        (result,) = self.process_many([doc])
        if result.status == "failed":
            assert result.error is not None
            raise result.error
        return result.document

    def process_many(self, docs: Iterable[dict[str, Any]]) -> Iterator[DocumentResult]:
        """Like :meth:`Pipeline.process_many`, in batches of ``batch_size``; one
        :class:`DocumentResult` per document, in order. An :class:`InputError`
        for a document that is not a JSON object is raised in its turn, after
        the results of the documents before it."""
        for entry in self._stream("docs", self._doc_batches(docs)):
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

    def _doc_batches(self, docs: Iterable[dict[str, Any]]) -> Iterator[tuple]:
        """Batches of JSON texts, documents numbered from 0 across the call."""
        batch: list[bytes] = []
        first = 0
        for doc in docs:
            try:
                if not isinstance(doc, dict):
                    raise InputError(f"a document must be a JSON object (dict), got {type(doc).__name__}")
                try:
                    batch.append(orjson.dumps(doc))
                except TypeError as exc:  # orjson.JSONEncodeError included
                    raise InputError(f"document is not JSON-serialisable: {exc}") from None
            except InputError:
                if batch:  # the documents before a bad one still get their results
                    yield ("batch", first, batch, len(batch))
                raise
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
        summary = runner.RunSummary()
        started = time.perf_counter()
        read_options = {"max_line_bytes": max_line_bytes, "max_depth": max_depth}
        work = _blocks(stream, source, self.batch_size, self.batch_bytes, max_line_bytes)
        for entry in self._stream("run", work, source, read_options):
            kind = entry[0]
            if kind == "reply":
                out, failed, counts = entry[1]
                output.write(out)
                failures.write(failed)
                output.flush()  # a batch at a time: a slow stream's results come out as they are ready
                failures.flush()
                for name, value in counts.items():
                    if hasattr(summary, name):
                        setattr(summary, name, getattr(summary, name) + value)
            elif kind == "failed":
                _, number, raw, error = entry
                failures.write(dumps_line(_failure_for(number, raw, source, error)))
                summary.read += 1
                summary.failed += 1
            else:  # "oversize": a line too long to send, reported as read_records reports it
                record = entry[1]
                failures.write(dumps_line(runner.failure_record(record, source, record.error)))
                summary.read += 1
                summary.failed += 1
                summary.invalid_input += 1
        summary.elapsed_seconds = time.perf_counter() - started
        return summary

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
            self._worker.close()
            self._worker = None

    def __enter__(self) -> "IsolatedPipeline":
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def __repr__(self) -> str:
        what = self.spec.path or self.spec.factory or self.spec.kind
        return f"<IsolatedPipeline {what} worker={self.worker_pid} restarts={self.restarts}>"


def _blocks(
    stream: IO[bytes], source: str, batch_size: int, batch_bytes: int, max_line_bytes: int
) -> Iterator[tuple]:
    """Cut the input into blocks of whole lines: ``("batch", number of the
    first line, block, lines in it, ready)``, and ``("oversize", record)``
    for a line too long to send. ``ready`` is False when asking for the next
    block would wait for the input (a pipe with nothing more yet).

    The parent never looks at lines one by one: it reads what the stream has
    (``read1``: a pipe's available bytes, a file's next chunk), cuts after
    the last newline or the ``batch_size``-th, and sends the block on. A
    short read sends what is complete at once, so a slow stream is not held
    back until a batch fills. A line still without its newline after
    ``max_line_bytes`` is reported here exactly as
    :func:`ingesthost.ndjson.read_records` reports it (the rest is skipped,
    never held); shorter over-long lines inside a block are the worker's
    ``read_records``' to report.
    """
    from .ndjson import _oversize

    read = getattr(stream, "read1", None) or stream.read
    buffer = bytearray()
    tail = 0  # offset just after the buffer's last newline: whole lines are buffer[:tail]
    hint = batch_size * 256  # bytes per batch, re-estimated from the lines seen
    first = 1
    eof = short = False
    while True:
        if not eof:
            want = max(batch_bytes - len(buffer), 65536)
            chunk = read(want)
            if chunk:
                newline = chunk.rfind(b"\n")
                if newline >= 0:
                    tail = len(buffer) + newline + 1
                buffer += chunk
                short = len(chunk) < want
            else:
                eof = True
        tail_too_long = len(buffer) - tail > max_line_bytes + 2
        while tail:
            end, count = _cut(buffer, batch_size, hint)
            if not (count >= batch_size or end >= batch_bytes or short or eof or tail_too_long):
                break  # wait for more lines: fuller blocks cost less per line
            hint = max(batch_size * (end // count), 1)
            block = bytes(buffer[:end])
            del buffer[:end]
            tail -= end
            # ready: reading on will not wait (more whole lines here, or the last read was full)
            yield ("batch", first, block, count, bool(tail) or not short or eof)
            first += count
        if eof:
            if buffer:  # a last line without its newline
                if len(buffer.rstrip(b"\r\n")) > max_line_bytes:
                    yield ("oversize", _oversize(io.BytesIO(), bytes(buffer), first, source, max_line_bytes))
                else:
                    yield ("batch", first, bytes(buffer), 1, True)
            return
        if tail_too_long:  # buffer holds only the start of an over-long line
            record = _oversize(stream, bytes(buffer), first, source, max_line_bytes)
            buffer.clear()
            yield ("oversize", record)
            first += 1


def _cut(buffer: bytearray, limit: int, hint: int) -> tuple[int, int]:
    """(offset just after the last whole line to send, how many lines): at most
    ``limit`` lines, found with C-speed searches from ``hint``, a guess of
    the bytes ``limit`` lines take (the parent must not touch lines one by one)."""
    end = buffer.rfind(b"\n", 0, hint) + 1
    if end == 0:  # the first line is longer than the guess
        end = buffer.find(b"\n", hint) + 1
        return (end, 1) if end else (0, 0)
    count = buffer.count(b"\n", 0, end)
    if count <= limit:
        return end, count
    find = buffer.find  # the guess was too generous: walk exactly ``limit`` lines
    position = -1
    for _ in range(limit):
        position = find(b"\n", position + 1)
    return position + 1, limit


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
    "DEFAULT_TIMEOUT",
    "IsolatedPipeline",
    "Watchdog",
    "WorkerError",
    "WorkerSpec",
    "format_seconds",
    "merge_stats",
]
