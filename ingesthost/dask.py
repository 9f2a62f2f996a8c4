"""Scale-out with Dask: one pipeline mapped over partitions of NDJSON inputs.

Why Dask: a cluster scheduler already knows how to place work, retry it,
replace dead workers and reach data wherever fsspec can (local disks, NFS,
S3, GCS, HTTP...). This module only says what a unit of work is and how its
results are written, so that a run on many machines gives exactly what
``ingesthost process`` gives on one.

How a run goes (:func:`process_files`):

1. **In the caller's process**, nothing runs guest code: the pipeline is read
   and checked once into a :class:`~ingesthost.config.PipelineSnapshot`
   (pipeline files parsed, module bytes read; :func:`ingesthost.pipeline.take_snapshot`),
   wrapped in a :class:`PipelineRecipe` with a content hash. Inputs (paths,
   globs, fsspec URLs) are expanded and cut into :class:`Partition`\\ s: a plain
   file into byte ranges of about ``partition_size`` at line boundaries, a
   compressed file (``.gz``, ``.bz2``, ``.xz``...) into one partition, read
   as a stream.
2. **Line numbers.** Failure records carry the line number in the input, so
   a range that starts mid-file must know how many lines come before it. A
   first, cheap pass on the cluster counts the newlines of every range of a
   cut file (:func:`count_newlines`: bytes only, no JSON), and the caller
   adds them up. Each range then owns exactly the lines that *start* inside
   it, and knows the number of its first one and how many it must read.
3. **The pipeline ships as bytes.** The recipe is handed to the workers as
   data (one copy per worker, fetched once); a :class:`PipelinePool`, a Dask
   worker plugin registered for the run, builds the pipeline from it once
   per worker process (per concurrently running task, when a worker has
   several threads) and reuses it for every partition that worker runs.
   wasmer-python objects belong to the thread that created them (using or
   even freeing one in another thread panics), so each built pipeline lives
   in a thread of its own that builds, runs and closes it. The pipeline is
   built on one worker before any output is touched, so a pipeline a worker
   cannot load (a guest's ``configure`` refusing its params) stops the run
   with the earlier outputs as they were, as the command line does.
4. **Each partition writes two files**, ``part-NNNNN.ndjson`` (processed
   documents, in input order) and ``part-NNNNN.failures.ndjson`` (failure
   records exactly as ``ingesthost process`` writes them; empty when nothing
   failed: always written, so that a retried partition can never leave a
   stale failure file next to a newer output). Both are written under a
   hidden temporary name and renamed into place when complete, so a
   partition that is retried (an exception, a lost worker) or runs twice
   leaves exactly one complete pair, never a duplicate or a partial file.
5. **The caller reduces** the per-partition counts (and, when asked, the
   per-processor statistics) into one :class:`DaskRunResult`, checks that
   every input line is accounted for (written + dropped + failed + blank),
   writes ``_manifest.json`` last (its presence marks a complete run), and
   unregisters the plugin, which closes the pipelines on the workers.

Concatenating the part files in partition order gives the output of
``ingesthost process`` run over each input in turn (the same documents in
the same order, the same failure records, the same drops); only what a
guest makes up at run time (a timestamp) may differ.

What a Dask worker does not have: the per-document time limit of
``--isolation process``. Guests run in the Dask worker process itself (its
worker processes are daemonic and may not start their own), so a guest
stuck in a loop holds its partition, and a guest that crashes the process
takes the worker down; Dask's nanny then starts a new one and the scheduler
re-runs the partition (a few times: ``distributed.scheduler.allowed-failures``),
which the atomic renames make safe.

Needs the ``dask`` extra: ``pip install 'ingesthost[dask]'``.
"""

from __future__ import annotations

import contextlib
import copy
import dataclasses
import glob as globlib
import hashlib
import io
import math
import os
import pickle
import queue
import threading
import time
import traceback
import uuid
from collections import Counter
from typing import IO, Any, Callable, Iterator, Sequence, Union

import orjson

try:
    import dask.bag as db
    import distributed
    import fsspec
    import fsspec.compression
    import fsspec.utils
    from distributed import WorkerPlugin
    from fsspec.implementations.local import LocalFileSystem
except ImportError as exc:  # pragma: no cover - depends on the installation
    raise ImportError(
        f"ingesthost.dask needs Dask: pip install 'ingesthost[dask]' (dask[bag] and distributed): {exc}"
    ) from exc

from .config import PipelineSnapshot
from .document import MAX_DEPTH
from .engine import DEFAULT_COMPILER
from .errors import IngestHostError
from .loader import DEFAULT_MAX_MEMORY, CompileCache
from .ndjson import DEFAULT_MAX_LINE_BYTES, read_records
from .pipeline import Pipeline, take_snapshot
from .runner import RunSummary, run
from .workers import merge_stats

__all__ = [
    "DEFAULT_PARTITION_SIZE",
    "DaskRunError",
    "DaskRunResult",
    "DaskRunStopped",
    "Partition",
    "PartitionResult",
    "PipelinePool",
    "PipelineRecipe",
    "count_newlines",
    "plan_partitions",
    "process_files",
    "process_partition",
]

#: Default size of the byte ranges plain files are cut into. Large enough
#: that building the pipeline, opening files and scheduling are noise next
#: to the work (64 MiB is ~300,000 documents of 200 bytes: seconds of
#: guest time), small enough to spread a big file over a cluster.
DEFAULT_PARTITION_SIZE = 64 * 1024 * 1024
#: The run's closing record in the output directory, written last.
MANIFEST_NAME = "_manifest.json"
#: How much of an input the newline count reads at a time.
_COUNT_CHUNK = 4 * 1024 * 1024
#: Buffer of partition outputs and of remote inputs.
_IO_BUFFER = 1024 * 1024

PathLike = Union[str, "os.PathLike[str]"]


class DaskRunError(IngestHostError):
    """A Dask run could not start (no input matched, an output directory
    holding an earlier run, a scheduler out of reach, a run that overran its
    ``timeout`` before writing) or, as :class:`DaskRunStopped`, could not
    finish. Failed *documents* are no error: they are in the failure files."""


class DaskRunStopped(DaskRunError):
    """The run stopped after it started writing (a partition that kept
    failing, an input changed under it, the timeout): the partitions in
    ``completed`` are complete in the output directory, the others are
    absent, and no manifest was written. The cause is ``__cause__``. (The
    command line's exit status 3, where :class:`DaskRunError` is 2.)"""

    def __init__(self, message: str, completed: "Sequence[PartitionResult]" = ()) -> None:
        super().__init__(message)
        self.completed = list(completed)

    def __reduce__(self) -> Any:
        return (type(self), (str(self), self.completed))


# ---------------------------------------------------------------------------
# The pipeline, as bytes
# ---------------------------------------------------------------------------


@dataclasses.dataclass(frozen=True)
class PipelineRecipe:
    """What a worker needs to build the pipeline, and nothing it would have
    to read from its own disk: the build arguments and the frozen
    :class:`~ingesthost.config.PipelineSnapshot` (parsed pipeline files and
    module bytes), so workers on other machines need neither the pipeline
    files nor the modules, and editing them mid-run changes nothing.

    ``key`` is a SHA-256 of all of it, taken once in the caller's process:
    the name under which workers cache the built pipeline, so two recipes
    with the same content share one build and a changed module never reuses
    a stale one. ``cache`` is the compile cache *on the worker*: True for
    its default directory (``$INGESTHOST_CACHE_DIR`` there, else the user
    cache), a directory, or False for none.
    """

    kind: str
    path: str | None
    definition: dict[str, Any] | None
    base_dir: str
    params: dict[str, Any] | None
    tag: str | None
    compiler: str
    max_memory: int
    confine_to: str | None
    cache: bool | str
    snapshot: PipelineSnapshot = dataclasses.field(repr=False)
    key: str = ""
    #: The wasm runtime the workers build with (None: each worker's default).
    runtime: str | None = None

    @classmethod
    def take(
        cls,
        *,
        pipeline: PathLike | None = None,
        definition: dict[str, Any] | None = None,
        base_dir: PathLike = ".",
        module: PathLike | None = None,
        params: dict[str, Any] | None = None,
        tag: str | None = None,
        compiler: str = DEFAULT_COMPILER,
        max_memory: int = DEFAULT_MAX_MEMORY,
        confine_to: PathLike | None = None,
        cache: bool | PathLike = True,
        runtime: str | None = None,
    ) -> "PipelineRecipe":
        """Read and check the pipeline here, once (exactly one of ``pipeline``
        (a file), ``definition`` (a dict, module paths relative to
        ``base_dir``) or ``module`` (one ``.wasm`` with ``params``/``tag``)).
        Every check that needs no compiled module runs now and raises what
        ``Pipeline.from_*`` raises; no guest code runs in this process."""
        given = [name for name, value in (("pipeline", pipeline), ("definition", definition), ("module", module)) if value is not None]
        if len(given) != 1:
            raise DaskRunError(f"give exactly one of pipeline=, definition= or module= (got {', '.join(given) or 'none'})")
        if params and module is None:
            raise DaskRunError("params= applies to module= only; put params in the pipeline")
        if cache is False or cache is None:
            cache_setting: bool | str = False
        elif cache is True:
            cache_setting = True
        else:
            cache_setting = os.fspath(cache)
        confine = None if confine_to is None else os.fspath(confine_to)
        common: dict[str, Any] = {"compiler": compiler, "max_memory": max_memory}
        if pipeline is not None:
            kind, path = "file", os.fspath(pipeline)
            snapshot = take_snapshot(kind, path=path, confine_to=confine, **common)
        elif definition is not None:
            kind, path = "definition", None
            definition = copy.deepcopy(definition)  # the caller may change theirs; the run keeps this one
            snapshot = take_snapshot(kind, definition=definition, base_dir=os.fspath(base_dir), confine_to=confine, **common)
        else:
            assert module is not None
            kind, path = "module", os.fspath(module)
            params = copy.deepcopy(params) or {}
            snapshot = take_snapshot(kind, path=path, params=params, tag=tag, **common)
            confine = None  # from_module takes no confine_to
        recipe = cls(
            kind=kind,
            path=path,
            definition=definition,
            base_dir=os.fspath(base_dir),
            params=params if kind == "module" else None,
            tag=tag,
            compiler=compiler,
            max_memory=max_memory,
            confine_to=confine,
            cache=cache_setting,
            snapshot=snapshot,
            runtime=runtime,
        )
        return dataclasses.replace(recipe, key=recipe.content_hash())

    def content_hash(self) -> str:
        """SHA-256 of the build arguments and of the snapshot's contents."""
        fields = {f.name: getattr(self, f.name) for f in dataclasses.fields(self) if f.name not in ("snapshot", "key")}
        digest = hashlib.sha256()
        digest.update(orjson.dumps(fields, option=orjson.OPT_SORT_KEYS | orjson.OPT_NON_STR_KEYS, default=str))
        digest.update(pickle.dumps(self.snapshot.__getstate__(), protocol=pickle.HIGHEST_PROTOCOL))
        return digest.hexdigest()

    def build(self) -> Pipeline:
        """The pipeline, built from the snapshot only (never from disk).
        Runs guest code (``configure``): call it where guests may run."""
        cache: CompileCache | None
        if self.cache is True:
            cache = CompileCache()
        elif self.cache:
            cache = CompileCache(self.cache)
        else:
            cache = None
        common: dict[str, Any] = {
            "compiler": self.compiler, "runtime": self.runtime, "cache": cache, "max_memory": self.max_memory,
            "snapshot": self.snapshot,
        }
        if self.kind == "file":
            assert self.path is not None
            return Pipeline.from_file(self.path, confine_to=self.confine_to, **common)
        if self.kind == "definition":
            assert self.definition is not None
            return Pipeline.from_definition(self.definition, base_dir=self.base_dir, confine_to=self.confine_to, **common)
        assert self.kind == "module" and self.path is not None
        return Pipeline.from_module(self.path, self.params, tag=self.tag, **common)


# ---------------------------------------------------------------------------
# One pipeline per thread, built once: the worker-side pool
# ---------------------------------------------------------------------------


class _PipelineThread:
    """A thread that owns one built pipeline: it builds it, runs every call
    on it and closes it. wasmer-python objects panic when used, or freed,
    in a thread other than their creator's, and Dask gives no say over which
    executor thread runs a task (nor over the thread that tears a plugin
    down), so the pipeline never leaves this thread; tasks hand it work."""

    def __init__(self, recipe: PipelineRecipe) -> None:
        self.key = recipe.key
        self._calls: queue.SimpleQueue[Any] = queue.SimpleQueue()
        ready: queue.SimpleQueue[BaseException | None] = queue.SimpleQueue()
        self._thread = threading.Thread(
            target=self._serve, args=(recipe, ready), name=f"ingesthost-pipeline-{recipe.key[:12]}", daemon=True
        )
        self._thread.start()
        problem = ready.get()
        if problem is not None:
            raise problem

    def _serve(self, recipe: PipelineRecipe, ready: "queue.SimpleQueue[BaseException | None]") -> None:
        try:
            pipeline = recipe.build()
        except BaseException as exc:
            ready.put(_portable(exc))
            return
        ready.put(None)
        try:
            while True:
                item = self._calls.get()
                if item is None:
                    return
                func, reply = item
                try:
                    reply.put((True, func(pipeline)))
                except BaseException as exc:
                    reply.put((False, _portable(exc)))
        finally:
            pipeline.close()
            del pipeline  # freed here, in its own thread

    def call(self, func: Callable[[Pipeline], Any]) -> Any:
        """``func(pipeline)``, run in the pipeline's thread; its exception is raised here."""
        reply: queue.SimpleQueue[tuple[bool, Any]] = queue.SimpleQueue()
        self._calls.put((func, reply))
        ok, value = reply.get()
        if not ok:
            raise value
        return value

    def stop(self, timeout: float = 5.0) -> None:
        """Close the pipeline (in its thread) and end the thread. A thread
        still inside a guest after ``timeout`` is left behind: it is a
        daemon, so it does not keep the process alive."""
        self._calls.put(None)
        self._thread.join(timeout)


def _portable(exc: BaseException) -> BaseException:
    """``exc`` made safe to hand to another thread, and to Dask: the locals
    of its traceback's frames (which may hold wasmer objects) are dropped
    here, in the thread that owns them; an error that would not survive
    pickling on its way to the caller (``ModuleLoadError`` takes two
    arguments but pickles one) becomes a :class:`DaskRunError` with the same
    message, still an ``IngestHostError``."""
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        if current.__traceback__ is not None:
            traceback.clear_frames(current.__traceback__)
        current = current.__cause__ or current.__context__
    if isinstance(exc, Exception):
        try:
            pickle.loads(pickle.dumps(exc))
        except Exception:
            return DaskRunError(str(exc)).with_traceback(exc.__traceback__)
    return exc


class PipelinePool(WorkerPlugin):
    """The built pipelines of one run on one Dask worker process.

    Registered by :func:`process_files` as a worker plugin under a name of
    its own (one per run), so it exists on every worker of the cluster,
    later ones included, and nowhere else. Pipelines are keyed by the
    recipe's content hash; a task takes an idle one (or builds one, when all
    are busy: a worker with several threads builds one per concurrent task)
    and gives it back when done. With one thread per worker, each worker
    process builds the pipeline exactly once per run. When the run ends the
    plugin is unregistered, and :meth:`teardown` closes every pipeline (as
    it does when the worker shuts down), so a long-lived cluster keeps no
    pipeline between runs.
    """

    def __init__(self) -> None:
        self._setup_state()

    def _setup_state(self) -> None:
        self._lock = threading.Lock()
        self._idle: dict[str, list[_PipelineThread]] = {}
        self._all: list[_PipelineThread] = []
        self._closed = False
        #: Pipelines built by this pool, per recipe key.
        self.builds: Counter[str] = Counter()

    def __getstate__(self) -> dict[str, Any]:
        return {"empty": True}  # sent to workers empty: pipelines never travel (not falsy: see pickle's rule)

    def __setstate__(self, state: dict[str, Any]) -> None:
        self._setup_state()

    def acquire(self, recipe: PipelineRecipe) -> tuple[_PipelineThread, bool]:
        """An idle pipeline for ``recipe`` (built now when none is idle), and
        whether it was built for this call."""
        with self._lock:
            if self._closed:
                raise DaskRunError("the run's pipeline pool on this worker is closed (the run ended)")
            idle = self._idle.get(recipe.key)
            if idle:
                return idle.pop(), False
        host = _PipelineThread(recipe)  # outside the lock: other threads may build too
        with self._lock:
            self.builds[recipe.key] += 1
            self._all.append(host)
            if self._closed:
                host.stop()
                raise DaskRunError("the run's pipeline pool on this worker is closed (the run ended)")
        return host, True

    def release(self, host: _PipelineThread, *, healthy: bool = True) -> None:
        """Give ``host`` back; an unhealthy one (its task was interrupted:
        KeyboardInterrupt, SystemExit) is closed instead of reused."""
        with self._lock:
            if healthy and not self._closed:
                self._idle.setdefault(host.key, []).append(host)
                return
            if host in self._all:
                self._all.remove(host)
        host.stop()

    @contextlib.contextmanager
    def pipeline(self, recipe: PipelineRecipe) -> Iterator[tuple[_PipelineThread, bool]]:
        """:meth:`acquire` then :meth:`release`, as a context."""
        host, built = self.acquire(recipe)
        healthy = True
        try:
            yield host, built
        except Exception:
            # An error out of a partition (its input or output failed) leaves
            # the pipeline between documents: run() finishes every document
            # it starts. It stays in use.
            raise
        except BaseException:
            healthy = False
            raise
        finally:
            self.release(host, healthy=healthy)

    def teardown(self, worker: Any = None) -> None:
        """Close every pipeline (Dask calls this when the plugin is
        unregistered at the end of the run, or when the worker closes)."""
        with self._lock:
            self._closed = True
            hosts, self._all, self._idle = self._all, [], {}
        for host in hosts:
            host.stop()


def _pool_builds(name: str, dask_worker: Any = None) -> int:
    """How many pipelines the run's pool built on this worker (run by
    ``Client.run`` on every worker)."""
    pool = dask_worker.plugins.get(name) if dask_worker is not None else None
    return sum(pool.builds.values()) if isinstance(pool, PipelinePool) else 0


def _warm_pool(recipe: PipelineRecipe, pool_name: str) -> tuple[str, bool]:
    """Build the pipeline in one worker's pool (kept for its partitions):
    raises there, hence in the caller, when a worker cannot load it."""
    pool, worker = _current_pool(pool_name)
    if pool is None:
        raise DaskRunError(f"worker {worker} has no pipeline pool {pool_name}")
    with pool.pipeline(recipe) as (_, built):
        return worker, built


def _current_pool(pool_name: str | None) -> tuple[PipelinePool | None, str]:
    """(the run's pool on this Dask worker, this worker's address); (None,
    ``local``) outside a worker."""
    try:
        worker = distributed.get_worker()
    except ValueError:
        return None, "local"
    pool = worker.plugins.get(pool_name) if pool_name else None
    return (pool if isinstance(pool, PipelinePool) else None), str(worker.address)


# ---------------------------------------------------------------------------
# Partitions
# ---------------------------------------------------------------------------


@dataclasses.dataclass(frozen=True)
class Partition:
    """One unit of work: the lines of one input that start in ``[start,
    end)`` (``end`` None: to the end of the input; always so for compressed
    inputs, read as a stream from the start).

    ``source`` is the input's name in failure records (the path or URL as
    given, or as the glob found it); ``url`` is what a worker opens (an
    absolute local path, or the full URL). ``first_line`` is the number of
    the partition's first line in the input; ``lines`` how many lines it
    holds, when known before reading (cut files: from the newline count).
    ``size`` is the input's size when the run was planned: a worker refuses
    an input whose size changed, rather than number lines wrongly.
    """

    index: int
    source: str
    url: str
    start: int = 0
    end: int | None = None
    size: int = 0
    compression: str | None = None
    first_line: int = 1
    lines: int | None = None
    local: bool = True

    @property
    def name(self) -> str:
        """Where the partition came from, for messages: ``in.ndjson bytes 0-1048576``."""
        if self.end is None:
            return self.source
        return f"{self.source} bytes {self.start}-{self.end}"


def _is_glob(text: str) -> bool:
    return any(char in text for char in "*?[")


def _expand_inputs(inputs: Sequence[PathLike], storage_options: dict[str, Any]) -> list[tuple[str, str, int, bool]]:
    """(source name, url to open, size, local) of every input file, in the
    order given; a glob's matches in sorted order."""
    found: list[tuple[str, str, int, bool]] = []
    for item in inputs:
        text = os.fspath(item)
        if text == "-":
            raise DaskRunError("standard input cannot be spread over a cluster: give files or URLs")
        fs, path = fsspec.core.url_to_fs(text, **storage_options)
        local = isinstance(fs, LocalFileSystem)
        if local:
            prefix = "file://" if text.startswith("file://") else ""
            given = text.removeprefix(prefix)
            pattern = _is_glob(given) and not os.path.exists(given)  # a name with brackets may be a file's
            # Python's glob, not fsspec's: matches keep the pattern's form
            # (relative stays relative), as ``ingesthost process`` names them.
            names = sorted(globlib.glob(given, recursive=True)) if pattern else [given]
            if pattern and not names:
                raise DaskRunError(f"no input file matches {text}")
            for name in names:
                if os.path.isdir(name):
                    if pattern:
                        continue  # a glob's directories are not inputs
                    raise DaskRunError(f"input {name} is a directory, not an NDJSON file")
                try:
                    size = os.stat(name).st_size
                except OSError as exc:
                    raise DaskRunError(f"cannot read input {name}: {exc.strerror or exc}") from None
                found.append((prefix + name if pattern else text, os.path.abspath(name), size, True))
            continue
        pattern = _is_glob(path) and not fs.exists(path)  # e.g. an HTTP URL with a query string
        paths = sorted(fs.glob(path)) if pattern else [path]
        if not paths:
            raise DaskRunError(f"no input file matches {text}")
        for remote in paths:
            try:
                info = fs.info(remote)
            except FileNotFoundError:
                raise DaskRunError(f"input {text} not found") from None
            if info.get("type") == "directory":
                if pattern:
                    continue
                raise DaskRunError(f"input {text} is a directory, not an NDJSON file")
            url = fs.unstrip_protocol(remote)
            found.append((url if pattern else text, url, int(info.get("size") or 0), False))
    if not found:
        raise DaskRunError("no input files")
    return found


def plan_partitions(
    inputs: PathLike | Sequence[PathLike],
    *,
    partition_size: int | None = DEFAULT_PARTITION_SIZE,
    storage_options: dict[str, Any] | None = None,
) -> list[Partition]:
    """Expand ``inputs`` (paths, globs, fsspec URLs) and cut them into
    partitions, numbered in input order. A plain file larger than
    ``partition_size`` bytes is cut into that many equal byte ranges
    (rounded up; lines are assigned to ranges when read, so a range may hold
    none); a compressed file (what fsspec infers from the name: ``.gz``,
    ``.bz2``, ``.xz``...) is one partition, since a compressed stream cannot
    be entered mid-way; ``partition_size`` None or 0 keeps every file whole.
    The first line numbers of cut ranges are not known yet (see
    :func:`number_partitions`)."""
    if isinstance(inputs, (str, os.PathLike)):
        inputs = [inputs]
    if partition_size is not None and partition_size < 0:
        raise DaskRunError(f"partition_size must be 0 or more bytes, found {partition_size}")
    partitions: list[Partition] = []
    for source, url, size, local in _expand_inputs(list(inputs), storage_options or {}):
        compression = fsspec.utils.infer_compression(url)
        pieces = 1
        if compression is None and partition_size and size > partition_size:
            pieces = math.ceil(size / partition_size)
        common = {"source": source, "url": url, "size": size, "compression": compression, "local": local}
        if pieces == 1:
            partitions.append(Partition(index=len(partitions), **common))
            continue
        for piece in range(pieces):
            start, end = size * piece // pieces, size * (piece + 1) // pieces
            partitions.append(Partition(index=len(partitions), start=start, end=end, first_line=0, **common))
    return partitions


def number_partitions(partitions: Sequence[Partition], newlines: dict[int, int]) -> list[Partition]:
    """Give the ranges of cut files their first line number and line count,
    from :func:`count_newlines` of each (``newlines`` by partition index).

    A range owns the lines that start in it. Counting the newlines of
    ``[start - 1, end - 1)`` counts exactly the line starts of ``[start,
    end)`` after the first byte of the file (a line starts after each
    newline, except one ending the file); the file's first range also owns
    the line at offset 0. So ranges' counts add up to the lines before the
    next range, with no byte read twice."""
    numbered: list[Partition] = []
    running = 0  # lines of the file's earlier ranges (a file's ranges are listed together, from offset 0)
    for part in partitions:
        if part.end is None:
            numbered.append(part)
            continue
        if part.start == 0:
            running = 0
        lines = newlines[part.index] + (1 if part.start == 0 and part.size > 0 else 0)
        numbered.append(dataclasses.replace(part, first_line=1 + running, lines=lines))
        running += lines
    return numbered


def _fs_for(part: Partition, storage_options: dict[str, Any]) -> tuple[Any, str]:
    return fsspec.core.url_to_fs(part.url, **storage_options)


@contextlib.contextmanager
def _open_raw(part: Partition, storage_options: dict[str, Any]) -> Iterator[IO[bytes]]:
    """The input as a seekable, buffered binary stream (not decompressed),
    checked to have the size it had when the run was planned."""
    if part.local:
        stream: IO[bytes] = open(part.url, "rb", buffering=_IO_BUFFER)
        try:
            size = os.fstat(stream.fileno()).st_size
        except BaseException:
            stream.close()
            raise
    else:
        fs, path = _fs_for(part, storage_options)
        size = int(fs.info(path).get("size") or 0)
        stream = io.BufferedReader(fs.open(path, "rb"), buffer_size=_IO_BUFFER)  # fsspec's readline takes no limit
    try:
        if size != part.size:
            raise DaskRunError(
                f"input {part.source} changed while the run read it: {part.size:,} bytes when planned, {size:,} now"
            )
        yield stream
    finally:
        stream.close()


def count_newlines(part: Partition, storage_options: dict[str, Any] | None = None) -> int:
    """The newlines in bytes ``[start - 1, end - 1)`` of a cut file's range
    (see :func:`number_partitions`): a plain byte count, cheap next to
    processing, run on the workers so that the data is read where it is."""
    assert part.end is not None, "only the ranges of cut files are counted"
    begin, stop = max(part.start - 1, 0), max(part.end - 1, 0)
    total = 0
    with _open_raw(part, storage_options or {}) as stream:
        stream.seek(begin)
        left = stop - begin
        while left > 0:
            chunk = stream.read(min(left, _COUNT_CHUNK))
            if not chunk:
                break
            total += chunk.count(b"\n")
            left -= len(chunk)
    return total


class _RangeLines:
    """The lines of one partition, for :func:`~ingesthost.ndjson.read_records`
    (which only calls ``readline(limit)``): lines that start before ``end``,
    each read to its end even past ``end`` (an over-long line's rest too),
    then end of input. Counts the lines it hands out."""

    def __init__(self, stream: IO[bytes], position: int, end: int | None) -> None:
        self._readline = stream.readline
        self._position = position
        self._end = end
        self._at_line_start = True
        #: Lines started so far.
        self.lines = 0

    def readline(self, limit: int = -1) -> bytes:
        if self._at_line_start and self._end is not None and self._position >= self._end:
            return b""
        data = self._readline(limit)
        if data:
            if self._at_line_start:
                self.lines += 1
            self._position += len(data)
            self._at_line_start = data.endswith(b"\n")
        return data


@contextlib.contextmanager
def _open_lines(part: Partition, storage_options: dict[str, Any]) -> Iterator[_RangeLines]:
    """The partition's lines: a compressed input decompressed as a stream,
    a range positioned at the first line that starts inside it."""
    with _open_raw(part, storage_options) as raw:
        if part.compression is not None:
            with fsspec.compression.compr[part.compression](raw, mode="rb") as stream:
                yield _RangeLines(stream, 0, None)
            return
        position = 0
        if part.start > 0:
            # The line holding byte start - 1 belongs to the range before:
            # skip to its end (in pieces, whatever its length).
            raw.seek(part.start - 1)
            position = part.start - 1
            while True:
                piece = raw.readline(_IO_BUFFER)
                position += len(piece)
                if not piece or piece.endswith(b"\n"):
                    break
        yield _RangeLines(raw, position, part.end)


# ---------------------------------------------------------------------------
# Outputs: written aside, renamed into place
# ---------------------------------------------------------------------------


def part_names(index: int, width: int = 5) -> tuple[str, str]:
    """The output and failure file names of partition ``index``."""
    stem = f"part-{index:0{width}d}"
    return f"{stem}.ndjson", f"{stem}.failures.ndjson"


def _is_part_name(name: str) -> bool:
    if name == MANIFEST_NAME:
        return True
    if name.startswith((".part-", "._manifest")) and name.endswith(".tmp"):
        return True
    if not name.startswith("part-"):
        return False
    stem = name[len("part-"):]
    for suffix in (".failures.ndjson", ".ndjson"):
        if stem.endswith(suffix):
            return stem[: -len(suffix)].isdigit()
    return False


class _OutputDir:
    """The run's output directory, local or any fsspec URL. Files are
    written under a hidden, unique temporary name in the same directory and
    renamed into place once complete (``os.replace`` locally, atomic;
    ``fs.mv`` elsewhere: on an object store a copy, which makes the object
    appear whole)."""

    def __init__(self, url: str, storage_options: dict[str, Any]) -> None:
        self.url = url
        self.fs, self.root = fsspec.core.url_to_fs(url, **storage_options)
        self.local = isinstance(self.fs, LocalFileSystem)

    def path(self, name: str) -> str:
        return os.path.join(self.root, name) if self.local else f"{self.root.rstrip('/')}/{name}"

    def display(self, name: str) -> str:
        """The file's name as the caller reads it back (a local path, or a URL)."""
        return self.path(name) if self.local else self.fs.unstrip_protocol(self.path(name))

    def temp_name(self, name: str) -> str:
        return f".{name}.{uuid.uuid4().hex}.tmp"

    def open_write(self, name: str) -> IO[bytes]:
        if self.local:
            return open(self.path(name), "xb", buffering=_IO_BUFFER)
        return self.fs.open(self.path(name), "wb")

    def finish(self, stream: IO[bytes]) -> None:
        """Flush ``stream`` to stable storage and close it."""
        try:
            stream.flush()
            if self.local:
                os.fsync(stream.fileno())
        finally:
            stream.close()

    def rename(self, temp: str, name: str) -> None:
        if self.local:
            os.replace(self.path(temp), self.path(name))
        else:
            self.fs.mv(self.path(temp), self.path(name))

    def remove(self, name: str) -> None:
        with contextlib.suppress(FileNotFoundError):
            if self.local:
                os.unlink(self.path(name))
            else:
                self.fs.rm(self.path(name))

    def names(self) -> list[str]:
        """The names of the files in the directory (none when it does not exist)."""
        if self.local:
            try:
                return sorted(os.listdir(self.root))
            except FileNotFoundError:
                return []
        try:
            return sorted(os.path.basename(p.rstrip("/")) for p in self.fs.ls(self.root, detail=False))
        except FileNotFoundError:
            return []

    def makedirs(self) -> None:
        if self.local:
            os.makedirs(self.root, exist_ok=True)
        else:
            self.fs.makedirs(self.root, exist_ok=True)

    def write_atomic(self, name: str, data: bytes) -> None:
        temp = self.temp_name(name)
        stream = self.open_write(temp)
        try:
            stream.write(data)
        finally:
            self.finish(stream)
        self.rename(temp, name)


@contextlib.contextmanager
def _partition_files(out_dir: _OutputDir, names: tuple[str, str]) -> Iterator[tuple[IO[bytes], IO[bytes]]]:
    """Temporary output and failure files; renamed to ``names`` when the
    block ends normally (failures first, so a visible output always has its
    failure file), removed when it raises."""
    temps = (out_dir.temp_name(names[0]), out_dir.temp_name(names[1]))
    opened: list[IO[bytes]] = []
    try:
        opened.append(out_dir.open_write(temps[0]))
        opened.append(out_dir.open_write(temps[1]))
        yield opened[0], opened[1]
        while opened:
            out_dir.finish(opened.pop(0))
        out_dir.rename(temps[1], names[1])
        out_dir.rename(temps[0], names[0])
    except BaseException:
        for stream in opened:
            with contextlib.suppress(Exception):
                stream.close()
        for temp in temps:
            with contextlib.suppress(Exception):
                out_dir.remove(temp)
        raise


# ---------------------------------------------------------------------------
# One partition
# ---------------------------------------------------------------------------


@dataclasses.dataclass(frozen=True)
class PartitionResult:
    """What one partition did. ``counts`` are :meth:`RunSummary.counts`
    (read, written, dropped, failed, invalid_input, blank); ``lines`` =
    read + blank. ``worker`` is the Dask worker's address (``local`` outside
    one), ``pid`` its process; ``built`` says the pipeline was built for
    this partition rather than reused. ``stats`` are the pipeline's
    per-processor statistics for this partition only, when asked."""

    index: int
    source: str
    start: int
    end: int | None
    first_line: int
    lines: int
    counts: dict[str, int]
    output: str
    failures: str
    worker: str
    pid: int
    built: bool
    seconds: float
    stats: dict[str, Any] | None = None


def process_partition(
    partition: Partition,
    recipe: PipelineRecipe,
    output_dir: str,
    *,
    width: int = 5,
    pool_name: str | None = None,
    max_line_bytes: int = DEFAULT_MAX_LINE_BYTES,
    max_depth: int = MAX_DEPTH,
    stats: bool = False,
    storage_options: dict[str, Any] | None = None,
) -> PartitionResult:
    """Run the pipeline over one partition and write its two files.

    The task every Dask worker runs, and safe to run again: the files are
    written aside and renamed into place, so a retry, or a duplicate run of
    the same partition, leaves one complete pair. On a Dask worker the
    pipeline comes from the run's :class:`PipelinePool` (``pool_name``),
    built once and reused; elsewhere (a direct call) it is built for this
    call and closed after it.
    """
    if partition.end is not None and partition.lines is None:
        raise DaskRunError(f"{partition.name}: a range of a cut file needs its first line number (number_partitions)")
    options = storage_options or {}
    pool, worker = _current_pool(pool_name)
    out_dir = _OutputDir(output_dir, options)
    names = part_names(partition.index, width)

    def work(pipeline: Pipeline) -> tuple[RunSummary, int, dict[str, Any] | None]:
        if stats:
            pipeline.reset_stats()
        with _open_lines(partition, options) as lines, _partition_files(out_dir, names) as (out, failed):
            records = read_records(
                lines, partition.source, max_line_bytes=max_line_bytes, max_depth=max_depth, first_line=partition.first_line
            )
            summary = run(pipeline, records, out, failed, source=partition.source)
            _check_lines(partition, summary, lines.lines)
        return summary, lines.lines, (pipeline.stats() if stats else None)

    started = time.perf_counter()
    if pool is not None:
        with pool.pipeline(recipe) as (host, built):
            summary, lines, collected = host.call(work)
    else:
        built = True
        with contextlib.closing(recipe.build()) as pipeline:
            summary, lines, collected = work(pipeline)
    return PartitionResult(
        index=partition.index,
        source=partition.source,
        start=partition.start,
        end=partition.end,
        first_line=partition.first_line,
        lines=lines,
        counts=summary.counts(),
        output=out_dir.display(names[0]),
        failures=out_dir.display(names[1]),
        worker=worker,
        pid=os.getpid(),
        built=built,
        seconds=time.perf_counter() - started,
        stats=collected,
    )


def _check_lines(partition: Partition, summary: RunSummary, lines: int) -> None:
    """Every line read ends somewhere, and a cut range read the lines its
    count promised (else the input changed under the run): raised before
    the files are renamed into place."""
    if summary.read + summary.blank != lines:
        raise DaskRunError(
            f"{partition.name}: {lines} lines read but {summary.read} documents and {summary.blank} blank lines "
            "accounted for"
        )
    if partition.lines is not None and partition.lines != lines:
        raise DaskRunError(
            f"input {partition.source} changed while the run read it: {partition.name} held {partition.lines} "
            f"lines when counted, {lines} when processed"
        )


# ---------------------------------------------------------------------------
# The run
# ---------------------------------------------------------------------------


@dataclasses.dataclass(frozen=True)
class DaskRunResult:
    """One Dask run, reduced. ``summary`` holds the summed counts
    (``accounted_through`` is unused: there are many inputs) and the wall
    time; ``lines`` = written + dropped + failed + blank, every input line.
    ``partitions`` in partition order: concatenating their ``output`` files
    in this order gives the documents in input order. ``stats`` are the
    per-processor statistics summed over partitions (when asked).
    ``pipeline_builds`` is how many pipelines each worker built for the run.
    """

    output_dir: str
    partitions: tuple[PartitionResult, ...]
    summary: RunSummary
    lines: int
    manifest: str
    pipeline_builds: dict[str, int]
    stats: dict[str, Any] | None = None

    @property
    def output_files(self) -> list[str]:
        """Every partition's output file, in partition order."""
        return [part.output for part in self.partitions]

    @property
    def failure_files(self) -> list[str]:
        """The failure files that hold records (the others are empty), in partition order."""
        return [part.failures for part in self.partitions if part.counts["failed"]]


def process_files(
    inputs: PathLike | Sequence[PathLike],
    *,
    output_dir: PathLike,
    pipeline: PathLike | None = None,
    definition: dict[str, Any] | None = None,
    base_dir: PathLike = ".",
    module: PathLike | None = None,
    params: dict[str, Any] | None = None,
    tag: str | None = None,
    client: "distributed.Client | str | None" = None,
    compiler: str = DEFAULT_COMPILER,
    cache: bool | PathLike = True,
    max_memory: int = DEFAULT_MAX_MEMORY,
    confine_to: PathLike | None = None,
    partition_size: int | None = DEFAULT_PARTITION_SIZE,
    runtime: str | None = None,
    max_line_bytes: int = DEFAULT_MAX_LINE_BYTES,
    max_depth: int = MAX_DEPTH,
    stats: bool = False,
    overwrite: bool = False,
    retries: int = 2,
    timeout: float | None = None,
    storage_options: dict[str, Any] | None = None,
    on_partition: Callable[[PartitionResult], None] | None = None,
) -> DaskRunResult:
    """Run a pipeline over NDJSON inputs on a Dask cluster; one output and
    one failure file per partition in ``output_dir`` (see the module docs).

    ``inputs``: paths, globs (``logs/*.ndjson``, ``**`` too) or fsspec URLs
    (``s3://bucket/logs/*.ndjson.gz``), in order; ``storage_options`` go to
    fsspec for inputs and output alike. Workers open the inputs and write
    ``output_dir`` themselves, so on a cluster of several machines both
    must be shared storage (NFS, an object store), not one machine's disk.

    The pipeline: exactly one of ``pipeline`` (a file), ``definition`` (a
    dict; module paths relative to ``base_dir``) or ``module`` (one wasm
    module with ``params``/``tag``), with ``compiler``, ``runtime``,
    ``max_memory`` and ``confine_to`` as for ``Pipeline.from_*`` (``runtime``
    None: each worker's default). It is read and checked here;
    workers build it from those bytes, using their own compile cache
    (``cache``: True, a directory on the workers, or False).

    ``client``: a ``distributed.Client``, a scheduler address
    (``"tcp://scheduler:8786"``: connected for the call, then closed), or
    None: the current default client, else a local cluster of one
    single-threaded worker process per core, started and stopped for the call.

    ``partition_size``: plain files are cut into byte ranges of about this
    size (None or 0: whole files); ``max_line_bytes`` and ``max_depth`` as
    for ``ingesthost process``. ``stats``: sum the per-processor statistics.
    ``overwrite``: an ``output_dir`` holding an earlier run's files is
    refused unless this is set, and then those files (``part-*``,
    ``_manifest.json``) are removed first, so no stale partition of a longer
    earlier run remains. ``retries``: how many times Dask re-runs a
    partition that raised. ``timeout``: seconds the whole run may take
    (None: no limit). ``on_partition`` is called in this thread with each
    :class:`PartitionResult` as it completes (progress).

    Raises, before anything in ``output_dir`` is touched, what the pipeline
    load raises (``PipelineConfigError``, ``ModuleLoadError``, also when
    only the workers can tell) or :class:`DaskRunError`; once writing has
    begun, :class:`DaskRunStopped` (its cause: a partition's error after
    Dask's retries, or the timeout), with the completed partitions, which
    stay in ``output_dir`` (no manifest is written). Ctrl-C cancels the
    run's tasks and is raised as it is.
    """
    started = time.perf_counter()
    deadline = None if timeout is None else time.monotonic() + timeout
    options = dict(storage_options or {})
    if not 1 <= max_depth <= MAX_DEPTH:
        raise DaskRunError(f"max_depth must be between 1 and {MAX_DEPTH}, found {max_depth}")
    if max_line_bytes < 1:
        raise DaskRunError(f"max_line_bytes must be at least 1 byte, found {max_line_bytes}")
    if retries < 0:
        raise DaskRunError(f"retries must be 0 or more, found {retries}")
    recipe = PipelineRecipe.take(
        pipeline=pipeline,
        definition=definition,
        base_dir=base_dir,
        module=module,
        params=params,
        tag=tag,
        compiler=compiler,
        max_memory=max_memory,
        confine_to=confine_to,
        cache=cache,
        runtime=runtime,
    )
    planned = plan_partitions(inputs, partition_size=partition_size, storage_options=options)
    out_dir = _OutputDir(_absolute(os.fspath(output_dir)), options)
    earlier = _check_output_dir(out_dir, planned, overwrite)
    width = max(5, len(str(len(planned) - 1)))
    pool_name = f"ingesthost-pipelines-{uuid.uuid4().hex}"

    with _connected(client, deadline) as dask_client:
        dask_client.register_plugin(PipelinePool(), name=pool_name)
        try:
            # The recipe goes to every worker once, as data; tasks name it.
            recipe_data = dask_client.scatter(recipe, broadcast=True, hash=False)
            # Nothing is touched before a worker has built the pipeline: a
            # pipeline the workers cannot load refuses the run here.
            warm = dask_client.submit(_warm_pool, recipe_data, pool_name, key=f"ingesthost-warm-{pool_name}", pure=False)
            _wait(warm, deadline)
            partitions = _numbered(dask_client, planned, options, retries, deadline)
            for name in earlier:
                out_dir.remove(name)
            out_dir.makedirs()
            bag = db.from_sequence(partitions, partition_size=1).map(
                process_partition,
                recipe_data,
                out_dir.url,
                width=width,
                pool_name=pool_name,
                max_line_bytes=max_line_bytes,
                max_depth=max_depth,
                stats=stats,
                storage_options=options,
            )
            results: list[PartitionResult] = []
            try:
                _run_bag(dask_client, bag, retries, deadline, on_partition, results)
            except Exception as exc:
                done = sorted(results, key=lambda part: part.index)
                raise DaskRunStopped(
                    f"the run stopped part-way ({len(done)} of {len(partitions)} partitions complete in "
                    f"{out_dir.url}, no manifest written): {exc}",
                    done,
                ) from exc
            builds = {
                worker: count for worker, count in dask_client.run(_pool_builds, pool_name).items() if count
            }
        finally:
            with contextlib.suppress(Exception):
                dask_client.unregister_worker_plugin(pool_name)

    results.sort(key=lambda part: part.index)
    summary = RunSummary()
    merged: dict[str, Any] | None = None
    for part in results:
        summary.add(part.counts)
        if stats:
            merged = merge_stats(merged, part.stats)
    lines = sum(part.lines for part in results)
    accounted = summary.written + summary.dropped + summary.failed + summary.blank
    if accounted != lines or len(results) != len(partitions):
        raise DaskRunError(f"{lines} input lines but {accounted} accounted for: a partition is missing or miscounted")
    if merged is not None:
        _millis_from_nanos(merged)
    for name in out_dir.names():  # temporary files of attempts that died
        if name.startswith((".part-", "._manifest")) and name.endswith(".tmp"):
            out_dir.remove(name)
    summary.elapsed_seconds = time.perf_counter() - started
    manifest = _write_manifest(out_dir, partitions, results, summary, lines)
    return DaskRunResult(
        output_dir=out_dir.url,
        partitions=tuple(results),
        summary=summary,
        lines=lines,
        manifest=manifest,
        pipeline_builds=builds,
        stats=merged,
    )


def _absolute(url: str) -> str:
    """A local output directory as an absolute path (workers may run
    elsewhere than the caller's directory); URLs as they are."""
    if "://" in url and not url.startswith("file://"):
        return url
    return os.path.abspath(url.removeprefix("file://"))


def _check_output_dir(out_dir: _OutputDir, partitions: Sequence[Partition], overwrite: bool) -> list[str]:
    """The earlier run's files in ``out_dir`` (to remove once the run starts);
    refuses them without ``overwrite``, and refuses an input among them."""
    if out_dir.local and os.path.exists(out_dir.root) and not os.path.isdir(out_dir.root):
        raise DaskRunError(f"output directory {out_dir.url} is not a directory")
    earlier = [name for name in out_dir.names() if _is_part_name(name)]
    if earlier and not overwrite:
        shown = ", ".join(earlier[:3]) + (", ..." if len(earlier) > 3 else "")
        raise DaskRunError(
            f"output directory {out_dir.url} holds an earlier run's files ({shown}): "
            "remove them, choose another directory or pass overwrite=True"
        )
    ours = {out_dir.display(name) for name in earlier}
    ours |= {os.path.realpath(path) for path in ours if out_dir.local}
    for part in partitions:
        if part.url in ours or (part.local and os.path.realpath(part.url) in ours):
            raise DaskRunError(f"input {part.source} is an output of the run in {out_dir.url}")
    return earlier


@contextlib.contextmanager
def _connected(client: Any, deadline: float | None) -> Iterator[Any]:
    """The client to use, and the cleanup of what was started for the call."""
    if client is not None and not isinstance(client, str):
        yield client
        return
    if isinstance(client, str):
        options = {} if deadline is None else {"timeout": _remaining(deadline)}
        try:
            connected = distributed.Client(client, **options)
        except (OSError, TimeoutError, distributed.TimeoutError) as exc:
            raise DaskRunError(f"cannot reach the Dask scheduler at {client}: {exc}") from None
        with connected:
            yield connected
        return
    try:
        yield distributed.default_client()
        return
    except ValueError:
        pass
    # One single-threaded process per core: wasmer holds the GIL while a guest runs.
    with distributed.LocalCluster(processes=True, threads_per_worker=1, dashboard_address=None) as cluster:
        with distributed.Client(cluster) as local:
            yield local


def _remaining(deadline: float | None) -> float | None:
    if deadline is None:
        return None
    left = deadline - time.monotonic()
    if left <= 0:
        raise DaskRunError("the run did not finish within its timeout")
    return left


def _wait(future: Any, deadline: float | None) -> Any:
    try:
        return future.result(timeout=_remaining(deadline))
    except (TimeoutError, distributed.TimeoutError):
        future.cancel()
        raise DaskRunError("the run did not finish within its timeout") from None


def _numbered(client: Any, planned: list[Partition], options: dict[str, Any], retries: int, deadline: float | None) -> list[Partition]:
    """The partitions with the first line numbers of cut ranges, from a
    newline count on the cluster (skipped when no file was cut)."""
    cut = [part for part in planned if part.end is not None]
    if not cut:
        return planned
    counting = db.from_sequence(cut, partition_size=1).map(count_newlines, storage_options=options)
    newlines = {cut[index].index: value[0] for index, value in _completed(client, counting, retries, deadline)}
    return number_partitions(planned, newlines)


def _run_bag(
    client: Any,
    bag: Any,
    retries: int,
    deadline: float | None,
    on_partition: Callable[[PartitionResult], None] | None,
    results: list[PartitionResult],
) -> None:
    """Compute the bag of partitions into ``results``, reporting each as it
    completes (``results`` holds the completed ones if this raises)."""
    for _, value in _completed(client, bag, retries, deadline):
        for result in value:
            results.append(result)
            if on_partition is not None:
                on_partition(result)


def _completed(client: Any, bag: Any, retries: int, deadline: float | None) -> Iterator[tuple[int, Any]]:
    """(bag partition number, its computed list) as each completes, on
    ``client`` (not whatever client is the default), within the deadline;
    on any error (a partition's, after Dask's retries; the timeout; Ctrl-C)
    the rest is cancelled."""
    futures = client.compute(bag.to_delayed(), retries=retries)
    number = {future.key: index for index, future in enumerate(futures)}
    try:
        pending = distributed.as_completed(futures, with_results=True, raise_errors=True, timeout=_remaining(deadline))
        for future, value in pending:
            yield number[future.key], value
    except (TimeoutError, distributed.TimeoutError):
        client.cancel(futures)
        raise DaskRunError("the run did not finish within its timeout") from None
    except BaseException:
        client.cancel(futures)
        raise


def _millis_from_nanos(tree: Any) -> None:
    """Summed ``time_in_millis`` lose a fraction per partition: recompute
    them from the summed nanoseconds."""
    if isinstance(tree, dict):
        if isinstance(tree.get("time_in_nanos"), int) and "time_in_millis" in tree:
            tree["time_in_millis"] = tree["time_in_nanos"] // 1_000_000
        for value in tree.values():
            _millis_from_nanos(value)
    elif isinstance(tree, list):
        for value in tree:
            _millis_from_nanos(value)


def _write_manifest(
    out_dir: _OutputDir, partitions: Sequence[Partition], results: Sequence[PartitionResult], summary: RunSummary, lines: int
) -> str:
    """``_manifest.json``: which input lines each part file holds, and the
    totals. Written last, atomically: its presence says the run completed."""
    entries = []
    for part, result in zip(partitions, results, strict=True):
        entries.append(
            {
                "index": part.index,
                "source": part.source,
                "start": part.start,
                "end": part.end,
                "first_line": part.first_line,
                "lines": result.lines,
                "output": os.path.basename(result.output),
                "failures": os.path.basename(result.failures),
                **result.counts,
            }
        )
    document = {"summary": {**summary.counts(), "lines": lines}, "partitions": entries}
    out_dir.write_atomic(MANIFEST_NAME, orjson.dumps(document, option=orjson.OPT_INDENT_2 | orjson.OPT_APPEND_NEWLINE))
    return out_dir.display(MANIFEST_NAME)
