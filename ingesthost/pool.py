"""Where a pipeline runs, as one option: :func:`open_pipeline`, and
:class:`WorkerPool`, several worker processes working for one pipeline.

``open_pipeline(source, isolation=..., workers=...)`` returns one of three
objects with the same interface (``process``, ``process_many``, ``run``,
``run_blocks``, ``stats``, ``close``, ``restarts``/``timeouts``/``crashes``,
``with``):

* ``isolation="none"``: a :class:`~ingesthost.pipeline.Pipeline`, guests in
  this process (no time limits; a crash ends the process);
* ``isolation="process"`` (the default), one worker: an
  :class:`~ingesthost.workers.IsolatedPipeline`;
* ``isolation="process"``, ``workers=N`` > 1: a :class:`WorkerPool`.

How the pool works. It holds N :class:`~ingesthost.workers.IsolatedPipeline`
members, each with its own worker process, time limits, crash handling and
replacements. The first member starts alone, so that its worker compiles
the modules into the compile cache; the others start after it and load the
machine code from there. A run (``_stream``, under ``run_blocks``, ``run``
and ``process_many``) is three parts:

* **The calling thread** reads the input (so Ctrl-C and SIGTERM interrupt it
  there, as in a single-worker run), numbers each block and puts it on a
  shared queue, with at most ``blocks_per_worker`` x N blocks given out and
  not yet handed back (memory stays bounded), and hands the results back
  in input order from a reorder buffer. A block the input reader marks
  "not ready" (a slow pipe) is answered before anything more is read, so
  a stream's results flow as its lines arrive.
* **One thread per member** drives the member's own ``_stream`` (the
  single-worker loop: two batches in flight, a worker that dies is
  replaced, the document in progress fails and the rest of its batch is
  sent again) over the blocks it takes from the queue, and tags each
  outcome with its block's number. When the queue is empty it does not
  wait with batches in flight: it passes a marker through ``_stream``,
  which comes back out only once every answer is in, and then waits.
* **Stopping.** When the caller stops early (Ctrl-C, a full disk, a worker
  given up, a ``process_many`` loop left), blocks not yet taken are
  dropped, the workers with batches in flight are killed (as a single
  worker is: their answers would be taken for later requests), the threads
  are joined, and the killed workers are replaced at the next use, without
  counting restarts.

Restarts, timeouts and crashes add up over the members; ``max_restarts``
applies to the sum. Statistics are merged (:func:`~ingesthost.workers.merge_stats`).
"""

from __future__ import annotations

import logging
import queue
import threading
import time
from collections import deque
from pathlib import Path
from typing import Any, Callable, Iterator, Sequence

from .engine import DEFAULT_COMPILER
from .errors import IngestHostError
from .loader import DEFAULT_MAX_MEMORY, CompileCache
from .pipeline import Pipeline
from .workers import (
    DEFAULT_BATCH_BYTES,
    DEFAULT_BATCH_SIZE,
    DEFAULT_LOAD_TIMEOUT,
    DEFAULT_STARTUP_TIMEOUT,
    DEFAULT_TIMEOUT,
    IsolatedPipeline,
    WorkerError,
    WorkerSpec,
    _Incident,
    _IsolatedFront,
    merge_stats,
)

logger = logging.getLogger(__name__)

#: Blocks given out per worker and not yet handed back in order: two in
#: flight with the worker, and room for the reorder buffer to hold finished
#: blocks while the queue still has some (with 3, a worker found the queue
#: empty after a third of its blocks and sat idle ~10% of the time).
DEFAULT_BLOCKS_PER_WORKER = 4
#: How long the calling thread waits for a result before looking again.
_WAKE = 0.25
#: How long stopping waits for the member threads (they end within a poll
#: interval of their worker being killed; a daemon thread never blocks exit).
_JOIN_SECONDS = 10.0
#: What a member's feed passes through its ``_stream`` when the queue is empty.
_IDLE = ("idle",)
#: File names taken as a module by :func:`open_pipeline` (a compiled artifact
#: of another name: ``module=``).
MODULE_SUFFIXES = (".wasm", ".wasm.gz", ".ihu", ".ihn")


class _Abandoned(Exception):
    """A member's worker died because the pool is stopping a run: no restart."""


class _Member(IsolatedPipeline):
    """One worker of a :class:`WorkerPool`: its restarts count against the
    pool's ``max_restarts``, and a worker the pool killed to stop a run is
    not replaced (nor counted)."""

    _pool: "WorkerPool"

    def _retire(self, incident: _Incident, where: str) -> None:
        if self._pool._abandoning.is_set():
            self._worker = None
            self._retired_stats = merge_stats(self._retired_stats, self._worker_stats)
            self._worker_stats = None
            raise _Abandoned()
        super()._retire(incident, where)  # max_restarts None here: never gives up by itself
        self._pool._count_restart(incident, where)


class WorkerPool(_IsolatedFront):
    """A pipeline run by ``workers`` worker processes in parallel, with the
    interface of :class:`~ingesthost.workers.IsolatedPipeline` (the same
    ``from_file``, ``from_definition``, ``from_module`` and ``from_factory``
    constructors, plus ``workers``; or :func:`open_pipeline`).

    Results come out exactly as one worker gives them: the same output
    bytes, failure records and counts, in input order. Each worker has its
    time limits and crash isolation; a worker that times out or crashes is
    replaced and only the document in progress fails. ``max_restarts``
    counts the replacements of all workers together (with several workers,
    the one that passes it is whichever happens next in time, not
    necessarily the next in input order). ``blocks_per_worker`` x
    ``workers`` blocks of ``batch_size`` lines at most are given out at once.
    Not thread-safe: use one per thread.
    """

    def __init__(
        self,
        spec: WorkerSpec,
        *,
        workers: int = 2,
        batch_size: int = DEFAULT_BATCH_SIZE,
        batch_bytes: int = DEFAULT_BATCH_BYTES,
        startup_timeout: float = DEFAULT_STARTUP_TIMEOUT,
        max_restarts: int | None = None,
        load_timeout: float = DEFAULT_LOAD_TIMEOUT,
        blocks_per_worker: int = DEFAULT_BLOCKS_PER_WORKER,
    ) -> None:
        if isinstance(workers, bool) or not isinstance(workers, int) or workers < 1:
            raise IngestHostError(f"workers must be a whole number of at least 1, found {workers!r}")
        if isinstance(blocks_per_worker, bool) or not isinstance(blocks_per_worker, int) or blocks_per_worker < 1:
            raise IngestHostError(f"blocks_per_worker must be at least 1, found {blocks_per_worker!r}")
        if max_restarts is not None and max_restarts < 0:
            raise IngestHostError(f"max_restarts must be 0 or more, found {max_restarts}")
        self.spec = spec
        self.batch_size = batch_size
        self.batch_bytes = batch_bytes
        self.max_restarts = max_restarts
        self.blocks_per_worker = blocks_per_worker
        self._lock = threading.Lock()
        self._abandoning = threading.Event()
        self._members: list[_Member] = []
        options = {
            "batch_size": batch_size,
            "batch_bytes": batch_bytes,
            "startup_timeout": startup_timeout,
            "load_timeout": load_timeout,
        }
        try:
            # One after the other: the first worker compiles the modules and
            # fills the compile cache; the others load the machine code from it.
            for _ in range(workers):
                member = _Member(spec, **options)
                member._pool = self
                self._members.append(member)
        except BaseException:
            self.close()
            raise
        self.load_timeout = self._members[0].load_timeout

    # -- what the members did ------------------------------------------------

    @property
    def workers(self) -> int:
        """How many worker processes run the pipeline."""
        return len(self._members)

    @property
    def worker_pids(self) -> list[int | None]:
        """The process ids of the current workers (None: between a death and the next start)."""
        return [member.worker_pid for member in self._members]

    @property
    def restarts(self) -> int:
        """Workers replaced after a timeout or a crash, all members together."""
        return sum(member.restarts for member in self._members)

    @property
    def timeouts(self) -> int:
        return sum(member.timeouts for member in self._members)

    @property
    def crashes(self) -> int:
        return sum(member.crashes for member in self._members)

    @property
    def last_startup_seconds(self) -> float:
        """The longest time a current worker took from fork to "ready"."""
        return max((member.last_startup_seconds for member in self._members), default=0.0)

    def _count_restart(self, incident: _Incident, where: str) -> None:
        """Give up once the members' restarts together pass ``max_restarts``."""
        with self._lock:
            if self.max_restarts is not None and self.restarts > self.max_restarts:
                raise WorkerError(
                    f"gave up after {self.max_restarts} worker restarts (the last: {where}: {incident.error})"
                )

    # -- the run -------------------------------------------------------------

    def _stream(self, op: str, work: Iterator[tuple], *extra: Any) -> Iterator[tuple]:
        """:meth:`IsolatedPipeline._stream <ingesthost.workers.IsolatedPipeline._stream>`
        over all the members: the same entries in, the same outcomes out, in
        input order (see the module docstring)."""
        inbox: queue.SimpleQueue = queue.SimpleQueue()  # (number, block), None: no more
        results: queue.SimpleQueue = queue.SimpleQueue()  # (kind, number, payload, block done)
        taken: list[deque[tuple[int, int]]] = [deque() for _ in self._members]
        self._abandoning.clear()
        threads = [
            threading.Thread(
                target=self._drive,
                args=(member, taken[index], op, extra, inbox, results),
                name=f"ingesthost-pool-{index}",
                daemon=True,
            )
            for index, member in enumerate(self._members)
        ]
        for thread in threads:
            thread.start()
        finished = False
        try:
            yield from self._in_order(work, inbox, results, threads)
            finished = True
        finally:
            self._wind_down(inbox, threads, taken, abandon=not finished)

    def _in_order(
        self, work: Iterator[tuple], inbox: queue.SimpleQueue, results: queue.SimpleQueue, threads: list[threading.Thread]
    ) -> Iterator[tuple]:
        """The calling thread: hand out blocks, hand back outcomes in block order."""
        limit = self.blocks_per_worker * len(self._members)
        given = handed = 0  # blocks numbered so far; the first not yet handed back
        outcomes: dict[int, deque[tuple]] = {}
        done: set[int] = set()
        errors: dict[int, BaseException] = {}
        exhausted = hold = False
        running = len(threads)
        while True:
            while not (exhausted or hold) and given - handed < limit:
                try:
                    entry = next(work)
                except StopIteration:
                    exhausted = True
                    break
                except Exception as exc:  # the input failed: raised after everything before it
                    exhausted = True
                    errors[given] = exc
                    given += 1
                    break
                number, given = given, given + 1
                if entry[0] != "batch":  # a pass-through entry: comes back out in its place
                    outcomes[number] = deque([entry])
                    done.add(number)
                elif entry[3]:
                    inbox.put((number, entry))
                    if len(entry) > 4 and not entry[4]:
                        hold = True  # reading on would wait for the input: answer what was given first
                else:
                    done.add(number)
            while handed < given:
                ready = outcomes.get(handed)
                while ready:
                    yield ready.popleft()
                if handed in errors:
                    raise errors.pop(handed)
                if handed not in done:
                    break
                done.discard(handed)
                outcomes.pop(handed, None)
                handed += 1
            if handed == given:
                hold = False
                if exhausted:
                    return
                continue
            if running == 0:
                raise WorkerError("internal error: every worker thread of the pool ended with blocks unanswered")
            try:
                kind, number, payload, finished = results.get(timeout=_WAKE)
            except queue.Empty:
                continue
            if kind == "out":
                outcomes.setdefault(number, deque()).append(payload)
                if finished:
                    done.add(number)
            elif kind == "error":
                if number is None:
                    raise payload
                errors[number] = payload
            else:  # "exit": the thread's last message
                running -= 1

    def _drive(
        self,
        member: _Member,
        taken: deque[tuple[int, int]],
        op: str,
        extra: tuple,
        inbox: queue.SimpleQueue,
        results: queue.SimpleQueue,
    ) -> None:
        """A member's thread: its ``_stream`` over the blocks it takes from the
        queue; each outcome goes back with the number of its block, and
        whether it is the block's last (its last document is the block's)."""

        def feed() -> Iterator[tuple]:
            while True:
                try:
                    item = inbox.get_nowait()
                except queue.Empty:
                    # Nothing to take: let every batch in flight be answered
                    # (the marker comes out of _stream only then), then wait.
                    yield _IDLE
                    item = inbox.get()
                if item is None:
                    return
                number, entry = item
                taken.append((number, entry[1] + entry[3] - 1))
                yield entry[:4]  # no "ready" flag: the pool's reader decides when to wait

        try:
            for outcome in member._stream(op, feed(), *extra):
                if outcome[0] == "idle":
                    continue
                last = outcome[2] + outcome[3] - 1 if outcome[0] == "reply" else outcome[1]
                number, block_last = taken[0]
                finished = last >= block_last
                if finished:
                    taken.popleft()
                results.put(("out", number, outcome, finished))
        except _Abandoned:
            pass
        except BaseException as exc:  # handed back in its place: after the blocks before it
            results.put(("error", taken[0][0] if taken else None, exc, True))
        finally:
            results.put(("exit", None, None, False))

    def _wind_down(
        self,
        inbox: queue.SimpleQueue,
        threads: list[threading.Thread],
        taken: list[deque[tuple[int, int]]],
        abandon: bool,
    ) -> None:
        """End a run's threads. When the run is abandoned, blocks not yet taken
        are dropped and the workers with batches in flight are killed (their
        answers must not be taken for the next run's); they are replaced, and
        not counted as restarts, at the next use."""
        if abandon:
            self._abandoning.set()
            while True:
                try:
                    inbox.get_nowait()
                except queue.Empty:
                    break
        for _ in threads:
            inbox.put(None)
        deadline = time.monotonic() + _JOIN_SECONDS
        killed: list[tuple[int, Any]] = []
        while True:
            alive = [index for index, thread in enumerate(threads) if thread.is_alive()]
            if not alive or time.monotonic() > deadline:
                break
            if abandon:
                for index in alive:
                    worker = self._members[index]._worker
                    # No look at its exit code here: its thread may be reading it.
                    if taken[index] and worker is not None and (index, worker) not in killed:
                        killed.append((index, worker))
                        try:
                            worker.process.kill()
                        except (OSError, ValueError, AttributeError):
                            pass
            threads[alive[0]].join(0.05)
        for thread in threads:
            if thread.is_alive():
                logger.warning("worker thread %s did not stop; leaving it", thread.name)
        for index, worker in killed:
            member = self._members[index]
            # Still its worker (its thread ended before it saw the death): replaced
            # at the next use, not counted as a restart.
            if member._worker is worker and not threads[index].is_alive():
                member._discard()
        self._abandoning.clear()

    # -- statistics and lifecycle ------------------------------------------

    def stats(self) -> Any:
        """The pipeline's statistics added up over every worker (see
        :meth:`IsolatedPipeline.stats <ingesthost.workers.IsolatedPipeline.stats>`);
        needs ``collect_stats=True``."""
        if not self.spec.collect_stats:
            raise IngestHostError("statistics were not collected: create the pipeline with collect_stats=True")
        total: Any = None
        for member in self._members:
            total = merge_stats(total, member.stats())
        return total

    def close(self) -> None:
        """Stop every worker (counters and statistics stay readable; a later
        call starts workers again, as with ``IsolatedPipeline``). Idempotent."""
        for member in self._members:
            member.close()

    def __repr__(self) -> str:
        what = self.spec.path or self.spec.factory or self.spec.kind
        return f"<WorkerPool {what} workers={self.worker_pids} restarts={self.restarts}>"


def open_pipeline(
    source: str | Path | dict[str, Any] | None = None,
    *,
    module: str | Path | None = None,
    params: dict[str, Any] | None = None,
    tag: str | None = None,
    factory: Callable[..., Pipeline] | str | None = None,
    factory_args: Sequence[Any] = (),
    base_dir: str | Path | None = None,
    isolation: str = "process",
    workers: int = 1,
    timeout: float | None = None,
    load_timeout: float | None = None,
    batch_size: int = DEFAULT_BATCH_SIZE,
    max_restarts: int | None = None,
    collect_stats: bool = False,
    compiler: str = DEFAULT_COMPILER,
    cache: CompileCache | None | bool = True,
    max_memory: int = DEFAULT_MAX_MEMORY,
    confine_to: str | Path | None = None,
    runtime: str | None = None,
    source_name: str | None = None,
) -> Pipeline | IsolatedPipeline | WorkerPool:
    """Load a pipeline and run it where ``isolation`` and ``workers`` say.

    What to run, one of: ``source``, a pipeline file (JSON or YAML; module
    paths relative to it) or an already-parsed definition (a dict; module
    paths relative to ``base_dir``, default the current directory), or a
    module path (``.wasm``, ``.wasm.gz``, ``.ihu``, ``.ihn``) run as the
    whole pipeline; ``module=`` a module (or artifact of any name) with
    ``params`` and ``tag``; ``factory=`` a module-level function (or
    ``"package.module:function"``) called with ``factory_args`` that builds a
    :class:`~ingesthost.pipeline.Pipeline` (custom Python processors; it sets
    its own compiler, cache and memory cap).

    Where it runs: ``isolation="process"`` (default) runs the guests in
    ``workers`` worker processes with time limits (``timeout`` per guest call,
    default 1 s; ``load_timeout`` per set-up call, default 10 s) and crash
    isolation: an :class:`~ingesthost.workers.IsolatedPipeline` for one
    worker, a :class:`WorkerPool` for more; ``batch_size`` lines per message,
    ``max_restarts`` replacements at most, ``collect_stats`` for
    :meth:`stats`. ``isolation="none"`` runs them in this process: a
    :class:`~ingesthost.pipeline.Pipeline` (statistics always counted; time
    limits, several workers and restarts do not apply there and are refused).

    ``compiler``, ``runtime``, ``cache``, ``max_memory`` and ``confine_to``
    are those of ``Pipeline.from_file``; ``source_name`` names a definition
    (a dict) in messages and gives its pipeline id. Every kind has ``process``, ``process_many``,
    ``run``, ``run_blocks``, ``stats``, ``close``, ``restarts``, ``timeouts``
    and ``crashes``, and is a context manager.
    """
    given = [name for name, value in (("source", source), ("module", module), ("factory", factory)) if value is not None]
    if len(given) != 1:
        raise IngestHostError(f"give one of source, module or factory, found {', '.join(given) or 'none'}")
    if isinstance(source, (str, Path)) and str(source).endswith(MODULE_SUFFIXES):
        source, module = None, source
    if isolation not in ("process", "none"):
        raise IngestHostError(f"isolation must be 'process' or 'none', found {isolation!r}")
    if isinstance(workers, bool) or not isinstance(workers, int) or workers < 1:
        raise IngestHostError(f"workers must be a whole number of at least 1, found {workers!r}")
    if module is None and (params is not None or tag is not None):
        raise IngestHostError("params and tag apply to a module; put them in the pipeline")
    if module is not None and confine_to is not None:
        raise IngestHostError("confine_to applies to pipeline files and definitions, not to a module given directly")
    if (base_dir is not None or source_name is not None) and not isinstance(source, dict):
        raise IngestHostError("base_dir and source_name apply to a definition (a dict)")
    load = {"compiler": compiler, "runtime": runtime, "cache": cache, "max_memory": max_memory}

    if isolation == "none":
        for name, value in (("timeout", timeout), ("load_timeout", load_timeout), ("max_restarts", max_restarts)):
            if value is not None:
                raise IngestHostError(f"{name} needs isolation='process': guests in this process cannot be stopped")
        if workers != 1:
            raise IngestHostError("several workers need isolation='process'")
        if factory is not None:
            name = factory if isinstance(factory, str) else f"{factory.__module__}:{factory.__qualname__}"
            if callable(factory):
                pipeline = factory(*factory_args)
                if not isinstance(pipeline, Pipeline):
                    raise IngestHostError(f"factory {name} returned {type(pipeline).__name__}, not a Pipeline")
                return pipeline
            return WorkerSpec("factory", factory=name, factory_args=tuple(factory_args)).build()
        if module is not None:
            return Pipeline.from_module(module, params, tag=tag, **load)
        if isinstance(source, dict):
            return Pipeline.from_definition(
                source, base_dir=base_dir or ".", source=source_name, confine_to=confine_to, **load
            )
        assert source is not None
        return Pipeline.from_file(source, confine_to=confine_to, **load)

    kind: type[IsolatedPipeline] | type[WorkerPool] = IsolatedPipeline if workers == 1 else WorkerPool
    options: dict[str, Any] = {
        "timeout": DEFAULT_TIMEOUT if timeout is None else timeout,
        "load_timeout": DEFAULT_LOAD_TIMEOUT if load_timeout is None else load_timeout,
        "batch_size": batch_size,
        "max_restarts": max_restarts,
        "collect_stats": collect_stats,
    }
    if workers != 1:
        options["workers"] = workers
    if factory is not None:
        return kind.from_factory(factory, *factory_args, **options)
    if module is not None:
        return kind.from_module(module, params, tag=tag, **load, **options)
    if isinstance(source, dict):
        return kind.from_definition(
            source, base_dir=base_dir or ".", source=source_name, confine_to=confine_to, **load, **options
        )
    assert source is not None
    return kind.from_file(source, confine_to=confine_to, **load, **options)


__all__ = ["DEFAULT_BLOCKS_PER_WORKER", "MODULE_SUFFIXES", "WorkerPool", "open_pipeline"]
