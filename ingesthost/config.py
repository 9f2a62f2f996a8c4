"""Pipeline definitions: reading JSON/YAML files and turning them into processors.

The shape is Elasticsearch's::

    {"description": "...", "processors": [{"wasm": {"module": "x.wasm", "params": {...}, "tag": "t"}}]}

Everything is validated before anything runs: unknown processor types or
options, wrong types, missing module files, modules the ABI refuses. Errors
name the file, the processor's position and tag, and the problem.
"""

from __future__ import annotations

import dataclasses
import json
import os
import stat
from pathlib import Path
from typing import Any, Callable, Mapping, NamedTuple

import orjson

from .document import json_type_phrase
from .engine import COMPILERS
from .runtime import RUNTIMES
from .errors import IngestHostError, PipelineConfigError
from .guest import encode_params, read_module_bytes
from .loader import DEFAULT_MAX_MEMORY, ModuleLoader
from .wasi import WasiGrant
from .wasm_binary import parse_size
from .processors import Processor, WasmProcessor
from .processors.builtins import BUILTIN_PROCESSORS, MAX_NESTED_PIPELINES, PipelineProcessor, check_options
from .processors.builtins import COMMON_OPTIONS as COMMON_PROCESSOR_KEYS  # noqa: F401  (options every processor takes)
from .processors.compound import OnFailureProcessor
from .processors.common import COMMON_PROCESSORS
from .processors.foreach import foreach_factory
from .processors.conditional import ConditionalProcessor
from .processors.fluentbit import OPTIONS as FLUENTBIT_OPTIONS, FluentBitProcessor
from .condition import Condition, ConditionSyntaxError
from .pipeline_requirements import check_processor_types

PIPELINE_KEYS = {
    "description", "processors", "on_failure", "compiler", "runtime", "max_memory", "timeout", "version", "_meta",
}
#: Names tried, in order, for a ``pipeline`` processor's ``name`` (relative to the pipeline file).
PIPELINE_FILE_SUFFIXES = ("", ".yml", ".yaml", ".json")
#: How deep ``on_failure`` handlers may nest (deeper is refused; it also catches YAML self-references).
MAX_ON_FAILURE_DEPTH = 100
#: Largest pipeline file (bytes), nested ones included: a larger one is refused
#: before parsing, and no more than this plus one byte is ever read.
MAX_PIPELINE_FILE_BYTES = 16 * 1024 * 1024


def _load_yaml(text: str, source: str) -> Any:
    """YAML, imported on first use: runs of ``--module`` or JSON pipelines,
    and worker processes (given parsed definitions), never pay its import."""
    import yaml

    try:
        return yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" at line {mark.line + 1} column {mark.column + 1}" if mark else ""
        problem = getattr(exc, "problem", None) or str(exc)
        raise PipelineConfigError(f"invalid YAML{where}: {problem}", source=source) from None


def read_definition(path: str | Path) -> dict[str, Any]:
    """Parse a pipeline file (``.json``, ``.yml``/``.yaml``; other names are tried as YAML,
    which also reads JSON). It must be a regular file or a pipe of at most
    :data:`MAX_PIPELINE_FILE_BYTES`; anything else (``/dev/zero``, a directory,
    a larger file) is refused before parsing, naming the file."""
    path = Path(path)
    data = _read_pipeline_bytes(path)
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise PipelineConfigError(f"not UTF-8 text ({exc.reason} at byte {exc.start})", source=str(path)) from None
    try:
        if path.suffix.lower() == ".json":
            definition = json.loads(text)
        else:
            definition = _load_yaml(text, str(path))
    except RecursionError:
        raise PipelineConfigError("nested too deeply to be a pipeline", source=str(path)) from None
    except json.JSONDecodeError as exc:
        raise PipelineConfigError(
            f"invalid JSON at line {exc.lineno} column {exc.colno}: {exc.msg}", source=str(path)
        ) from None
    if not isinstance(definition, dict):
        raise PipelineConfigError(
            f"a pipeline must be an object with a `processors` list, found {json_type_phrase(definition)}",
            source=str(path),
        )
    return definition


def _read_pipeline_bytes(path: Path) -> bytes:
    """The bytes of a pipeline file: a regular file or a pipe, at most
    :data:`MAX_PIPELINE_FILE_BYTES` (reading at most one byte more), so that
    ``-p /dev/zero`` or a huge file is a clear error instead of a full memory."""
    source = str(path)
    limit = MAX_PIPELINE_FILE_BYTES
    too_large = f"larger than the {limit // (1024 * 1024)} MiB limit of pipeline files"
    try:
        info = os.stat(path)
        kind = _not_a_file(info.st_mode)
        if kind is not None:  # refused before opening: opening a device can have effects
            raise PipelineConfigError(f"not a pipeline file: {kind}", source=source)
        if stat.S_ISREG(info.st_mode) and info.st_size > limit:
            raise PipelineConfigError(f"{too_large} ({info.st_size:,} bytes)", source=source)
        with open(path, "rb") as stream:
            kind = _not_a_file(os.fstat(stream.fileno()).st_mode)  # replaced since the stat
            if kind is not None:
                raise PipelineConfigError(f"not a pipeline file: {kind}", source=source)
            data = stream.read(limit + 1)
    except FileNotFoundError:
        raise PipelineConfigError("pipeline file not found", source=source) from None
    except (OSError, ValueError) as exc:  # ValueError: a NUL byte in the name
        raise PipelineConfigError(
            f"cannot read pipeline file: {getattr(exc, 'strerror', None) or exc}", source=source
        ) from None
    if len(data) > limit:
        raise PipelineConfigError(f"{too_large} (more than {limit:,} bytes)", source=source)
    return data


def _not_a_file(mode: int) -> str | None:
    """Why a path cannot be a pipeline file (None: a regular file or a pipe, readable)."""
    if stat.S_ISREG(mode) or stat.S_ISFIFO(mode):
        return None
    if stat.S_ISDIR(mode):
        return "it is a directory"
    return f"it is {_file_kind(mode)}, not a regular file"


def _file_kind(mode: int) -> str:
    """What a file is, for messages: ``a directory``, ``a character device``..."""
    for test, name in (
        (stat.S_ISREG, "a regular file"),
        (stat.S_ISDIR, "a directory"),
        (stat.S_ISCHR, "a character device"),
        (stat.S_ISBLK, "a block device"),
        (stat.S_ISFIFO, "a pipe"),
        (stat.S_ISSOCK, "a socket"),
    ):
        if test(mode):
            return name
    return "a special file"


class StoredPipeline(NamedTuple):
    """A pipeline stored in a cluster, as fetched when the run started."""

    #: What names it in messages: its URL, without userinfo.
    source: str
    #: Its definition; None when the cluster has no pipeline with that id (a 404).
    definition: dict[str, Any] | None


class PipelineSnapshot:
    """Everything building a pipeline reads from disk, read once.

    Every file access of :class:`PipelineBuilder` (and of ``Pipeline.from_*``)
    goes through one of these: the parsed pipeline files (nested ones
    included), which names of nested pipelines exist, resolved paths (for
    ``confine_to``, module and WASI directory paths) and the bytes of every
    module (after gzip decoding: wasm or a compiled artifact). Three modes:

    * live (``PipelineSnapshot()``): answers from disk, remembers nothing;
    * taking (``PipelineSnapshot(taking=True)``): answers from disk and
      remembers every answer; the builder then checks everything but creates
      no wasm processor (no compiling, no guest code: safe in a parent
      process), see ``ingesthost.pipeline.take_snapshot``;
    * frozen (:meth:`frozen`, or any snapshot after pickling): answers only
      from what was remembered, never from disk. A worker process builds
      from one, so a pipeline or module edited, broken or deleted while a
      job runs changes nothing in it, replacement workers included.

    WASI preopen directories are remembered as resolved paths only: their
    contents are the guest's to read at run time.

    A pipeline stored in a cluster (:mod:`ingesthost.stored_pipeline`) has
    no files: its snapshot is given :attr:`stored_pipelines`, every stored
    pipeline it reaches, fetched when the run started, and the builder finds
    what a ``pipeline`` processor names there instead of on disk. They are
    part of the snapshot in every mode (kept by :meth:`frozen` and by
    pickling), so a worker builds them without asking the cluster.
    """

    def __init__(
        self, *, taking: bool = False, stored_pipelines: Mapping[str, "StoredPipeline"] | None = None
    ) -> None:
        self._answers: dict[tuple[str, str], Any] | None = {} if taking else None
        self._frozen = False
        self._stored = None if stored_pipelines is None else dict(stored_pipelines)

    @property
    def stored_pipelines(self) -> Mapping[str, "StoredPipeline"] | None:
        """The stored pipelines a ``pipeline`` processor may name, by id (None:
        names are pipeline files)."""
        return self._stored

    @property
    def taking(self) -> bool:
        """Whether this snapshot is being taken (and processors are only planned)."""
        return self._answers is not None and not self._frozen

    def frozen(self) -> "PipelineSnapshot":
        """A snapshot that answers only from what this one remembered."""
        if self._answers is None:
            raise ValueError("a live PipelineSnapshot remembers nothing: create it with taking=True")
        snapshot = PipelineSnapshot(stored_pipelines=self._stored)
        snapshot._answers, snapshot._frozen = self._answers, True
        return snapshot

    def __getstate__(self) -> dict[str, Any]:
        return {"answers": self._answers, "stored": self._stored}

    def __setstate__(self, state: dict[str, Any]) -> None:
        self._answers = state["answers"]
        self._stored = state.get("stored")
        self._frozen = self._answers is not None  # once sent elsewhere, never read the disk again

    @property
    def entries(self) -> int:
        """How many answers the snapshot holds."""
        return len(self._answers or ())

    @property
    def module_bytes_total(self) -> int:
        """How many bytes of module the snapshot holds."""
        return sum(len(v) for (op, _), v in (self._answers or {}).items() if op == "module_bytes")

    def _ask(self, op: str, path: Path, compute: Callable[[], Any]) -> Any:
        answers = self._answers
        if answers is None:
            return compute()
        key = (op, str(path))
        if self._frozen:
            try:
                return answers[key]
            except KeyError:
                raise PipelineConfigError(
                    "not part of the pipeline snapshot taken when the run started", source=str(path)
                ) from None
        if key not in answers:
            answers[key] = compute()
        return answers[key]

    # -- what the builder asks ---------------------------------------------

    def definition(self, path: Path) -> dict[str, Any]:
        """The parsed pipeline file (see :func:`read_definition`)."""
        return self._ask("definition", path, lambda: read_definition(path))

    def resolve(self, path: Path) -> Path:
        """``path.resolve()``: symlinks followed, made absolute."""
        return self._ask("resolve", path, path.resolve)

    def root_file(self, path: Path) -> Path | None:
        """The resolved path of the pipeline's own file (for cycle checks), None
        when ``path`` is no file (a module's name, a pipeline from a dict)."""

        def find() -> Path | None:
            try:
                return path.resolve() if path.is_file() else None
            except (OSError, ValueError, RuntimeError):
                return None

        return self._ask("root_file", path, find)

    def pipeline_file(self, base_dir: Path, name: str) -> Path | None:
        """The file a ``pipeline`` processor's ``name`` means: ``name`` itself,
        else with ``.yml``, ``.yaml`` or ``.json``; a directory never counts
        (``common`` next to ``common.yml``) but a device does, so that reading
        it says what it is. None: none exists."""

        def find() -> Path | None:
            for suffix in PIPELINE_FILE_SUFFIXES:
                candidate = base_dir / (name + suffix)
                if candidate.exists() and not candidate.is_dir():
                    return candidate
            return None

        return self._ask("pipeline_file", base_dir / name, find)

    def module_file(self, path: Path) -> tuple[Path, str | None]:
        """(resolved path, None) for a usable module file, else (resolved path,
        what is wrong with it: missing, a directory, not a regular file, empty)."""
        return self._ask("module_file", path, lambda: _check_module_file(path))

    def module_bytes(self, path: Path) -> bytes:
        """The module's bytes, gzip decoded (raises :class:`ModuleLoadError`)."""
        return self._ask("module_bytes", path, lambda: read_module_bytes(path))

    def directory(self, path: Path) -> tuple[Path, bool]:
        """(resolved path, whether it is a directory), for WASI preopens."""

        def look() -> tuple[Path, bool]:
            resolved = path.resolve()
            return resolved, resolved.is_dir()

        return self._ask("directory", path, look)


def _check_module_file(path: Path) -> tuple[Path, str | None]:
    resolved = path.resolve()
    try:
        info = os.stat(resolved)
    except FileNotFoundError:
        return resolved, f"module file not found: {resolved}"
    except OSError as exc:
        return resolved, f"cannot read module {resolved}: {exc.strerror or exc}"
    if stat.S_ISDIR(info.st_mode):
        return resolved, f"module {resolved} is a directory, not a wasm module"
    if not stat.S_ISREG(info.st_mode):
        return resolved, f"module {resolved} is not a regular file but {_file_kind(info.st_mode)}"
    if info.st_size == 0:
        return resolved, f"module {resolved} is empty: not a wasm module"
    return resolved, None


class _PlannedWasm(Processor):
    """Stands for a wasm processor while a snapshot is taken: every option was
    checked and the module read, but nothing compiled or instantiated."""

    type = "wasm"

    def execute(self, document: Any) -> Any:
        raise RuntimeError("a planned wasm processor does not run: build the pipeline from its snapshot")


class PipelineBuilder:
    """Builds processors from a definition, with a location for every error."""

    def __init__(
        self,
        *,
        source: str | None,
        base_dir: Path,
        loader: ModuleLoader,
        max_memory: int = DEFAULT_MAX_MEMORY,
        pipeline_id: str | None = None,
        confine_to: str | Path | None = None,
        snapshot: PipelineSnapshot | None = None,
        _nesting: "_Nesting | None" = None,
    ) -> None:
        self.source = source
        self.base_dir = base_dir
        self.loader = loader
        #: Default memory cap of wasm processors (bytes); the pipeline file may lower or raise it.
        self.max_memory = max_memory
        #: Default time limit (seconds) of wasm processors; None: the run's (see ingesthost.workers).
        self.timeout: float | None = None
        #: The id handlers read as ``_ingest.on_failure_pipeline`` (the file's stem).
        self.pipeline_id = pipeline_id
        #: Pipeline-level ``on_failure`` handlers, filled by :meth:`build`.
        self.on_failure: list[Processor] = []
        self._nesting = _nesting or _Nesting.root(source, confine_to, snapshot, pipeline_id)
        #: Where every file this build reads comes from (disk, or a snapshot).
        self.files = self._nesting.files
        self._handler_depth = 0
        self._factories: dict[str, Callable[[dict[str, Any], str, str | None], Processor]] = {
            "wasm": self._build_wasm,
            "pipeline": self._build_pipeline,
        }
        for kind, create in {**BUILTIN_PROCESSORS, **COMMON_PROCESSORS}.items():
            self._factories[kind] = self._builtin_factory(create)
        self._factories["foreach"] = foreach_factory(self)

    def error(self, problem: str, where: str | None = None, tag: str | None = None) -> PipelineConfigError:
        return PipelineConfigError(problem, source=self.source, where=where, tag=tag)

    def check_inside(self, path: Path, what: str, where: str | None, tag: str | None) -> None:
        """With ``confine_to`` set, refuse a file the pipeline names outside that
        directory (symlinks followed): a pipeline file cannot reach elsewhere."""
        root = self._nesting.confine
        if root is None:
            return
        resolved = self.files.resolve(path)
        if not resolved.is_relative_to(root):
            raise self.error(f"{what} {resolved} is outside {root}, where this run confines pipelines", where, tag)

    def build(self, definition: dict[str, Any]) -> tuple[list[Processor], str | None]:
        """(processors, description); the pipeline-level handlers go to :attr:`on_failure`.
        Closes what it built if a later step fails."""
        if not isinstance(definition, dict):
            raise self.error(
                f"a pipeline must be an object with a `processors` list, found {json_type_phrase(definition)}"
            )
        unknown = set(definition) - PIPELINE_KEYS
        if unknown:
            raise self.error(
                f"unknown pipeline option(s) {', '.join(sorted(map(str, unknown)))}; "
                f"known: {', '.join(sorted(PIPELINE_KEYS))}"
            )
        description = definition.get("description")
        if description is not None and not isinstance(description, str):
            raise self.error(f"`description` must be a string, found {json_type_phrase(description)}")
        compiler = definition.get("compiler")
        if compiler is not None:
            self._check_compiler(compiler, "compiler")
            self.loader.engines.default_compiler = compiler
        if definition.get("runtime") is not None:
            self.loader.engines.runtime = self._check_runtime(definition["runtime"])
        if "max_memory" in definition:
            self.max_memory = self._check_size(definition["max_memory"], "max_memory")
        if "timeout" in definition:
            self.timeout = self._check_timeout(definition["timeout"])
        if "processors" not in definition:
            raise self.error("missing `processors` (a list of processors)")
        processors = definition["processors"]
        if not isinstance(processors, list):
            raise self.error(f"`processors` must be a list, found {json_type_phrase(processors)}")
        check_processor_types(definition, self._factories, self.error)  # every unknown type at once, with places
        built: list[Processor] = []
        try:
            for index, entry in enumerate(processors):
                built.append(self.build_processor(entry, f"processors[{index}]"))
            if definition.get("on_failure") is not None:
                self.on_failure = self._build_handlers(definition["on_failure"], None, None)
        except BaseException:
            for processor in built:
                processor.close()
            raise
        return built, description

    def build_processor(self, entry: Any, where: str) -> Processor:
        if not isinstance(entry, dict) or len(entry) != 1:
            raise self.error(
                "a processor must be an object with exactly one key, its type (e.g. {\"wasm\": {...}})", where
            )
        (kind, options), = entry.items()
        factory = self._factories.get(kind)
        if factory is None:
            raise self.error(
                f"unknown processor type [{kind}]; known types: {', '.join(sorted(self._factories))}", where
            )
        if not isinstance(options, dict):
            raise self.error(f"options of processor [{kind}] must be an object, found {json_type_phrase(options)}", where)
        tag = options.get("tag")
        if tag is not None and not isinstance(tag, str):
            raise self.error(f"`tag` must be a string, found {json_type_phrase(tag)}", where)
        description = options.get("description")
        if description is not None and not isinstance(description, str):
            raise self.error(f"`description` must be a string, found {json_type_phrase(description)}", where, tag)
        condition = self._read_condition(options, where, tag)
        ignore_failure = options.get("ignore_failure", False)
        if not isinstance(ignore_failure, bool):
            raise self.error(f"[ignore_failure] must be true or false, found {json_type_phrase(ignore_failure)}", where, tag)
        processor = factory(options, where, tag)
        try:
            handlers = []
            if options.get("on_failure") is not None:
                handlers = self._build_handlers(options["on_failure"], where, tag)
        except BaseException:
            processor.close()
            raise
        # Elasticsearch's order: the failure handling wraps the processor, the condition wraps both.
        if handlers or ignore_failure:
            processor = OnFailureProcessor(
                processor, handlers, ignore_failure=ignore_failure, pipeline_id=self.pipeline_id
            )
        if condition is not None:
            processor = ConditionalProcessor(processor, condition, tag=tag, description=description)
        return processor

    def _check_options(self, kind: str, options: dict[str, Any], allowed: set[str], where: str, tag: str | None) -> None:
        try:
            check_options(kind, options, allowed)
        except PipelineConfigError as exc:
            raise self.error(exc.problem, where, tag) from None

    def _check_runtime(self, runtime: Any, where: str | None = None, tag: str | None = None) -> str:
        if not isinstance(runtime, str) or runtime not in RUNTIMES:
            raise self.error(f"`runtime` must be one of {', '.join(RUNTIMES)}, found {runtime!r}", where, tag)
        return runtime

    def _check_compiler(self, compiler: Any, what: str, where: str | None = None, tag: str | None = None) -> str:
        if not isinstance(compiler, str) or compiler not in COMPILERS:
            raise self.error(f"`{what}` must be one of {', '.join(COMPILERS)}, found {compiler!r}", where, tag)
        return compiler

    def _check_size(self, value: Any, what: str, where: str | None = None, tag: str | None = None) -> int:
        try:
            return parse_size(value, f"`{what}`")
        except ValueError as exc:
            raise self.error(str(exc), where, tag) from None

    def _check_timeout(self, value: Any, where: str | None = None, tag: str | None = None) -> float:
        """A time limit: a positive number of seconds (enforced by worker processes)."""
        try:
            seconds = float(value) if isinstance(value, (int, float)) and not isinstance(value, bool) else None
        except OverflowError:  # an integer too large for a float
            seconds = None
        if seconds is None or not 0 < seconds < float("inf"):
            shown = repr(value) if len(repr(value)) <= 40 else repr(value)[:40] + "..."
            raise self.error(f"`timeout` must be a positive number of seconds, found {shown}", where, tag)
        return seconds

    def _build_wasm(self, options: dict[str, Any], where: str, tag: str | None) -> Processor:
        guest_abi = options.get("abi", "elastic")
        if guest_abi not in ("elastic", "fluentbit"):
            raise self.error(f"`abi` must be elastic or fluentbit, found {guest_abi!r}", where, tag)
        fluentbit_options = _fluentbit_options(options) if guest_abi == "fluentbit" else None
        self._check_options(
            "wasm",
            options,
            {"module", "params", "compiler", "runtime", "max_memory", "wasi", "timeout", "abi"}
            | (FLUENTBIT_OPTIONS if fluentbit_options else set()),
            where,
            tag,
        )
        if isinstance(fluentbit_options, str):
            raise self.error(fluentbit_options, where, tag)
        timeout = self._check_timeout(options["timeout"], where, tag) if "timeout" in options else self.timeout
        module_path = options.get("module")
        if not isinstance(module_path, str) or not module_path:
            raise self.error("processor [wasm] needs `module`, the path of a .wasm file", where, tag)
        params = options.get("params", {})
        if not isinstance(params, dict):
            raise self.error(f"`params` must be an object, found {json_type_phrase(params)}", where, tag)
        try:
            encode_params(params)
        except (TypeError, orjson.JSONEncodeError) as exc:
            raise self.error(f"`params` must be plain JSON (string keys, JSON values): {exc}", where, tag) from None
        compiler = options.get("compiler")
        if compiler is not None:
            self._check_compiler(compiler, "compiler", where, tag)
        runtime = self._check_runtime(options["runtime"], where, tag) if options.get("runtime") is not None else None
        try:
            path, problem = self.files.module_file(self.base_dir / module_path)
        except (OSError, ValueError, RuntimeError) as exc:  # NUL bytes, names too long, loops
            raise self.error(f"invalid module path {module_path[:200]!r}: {exc}", where, tag) from None
        if problem is not None:
            raise self.error(problem, where, tag)
        self.check_inside(path, "module", where, tag)
        max_memory = self.max_memory
        if "max_memory" in options:
            max_memory = self._check_size(options["max_memory"], "max_memory", where, tag)
        try:
            grant = (
                WasiGrant.parse(options["wasi"], self.base_dir, directory=self.files.directory)
                if "wasi" in options
                else None
            )
        except IngestHostError as exc:  # unlocated: this file, position and tag go in front
            raise self.error(str(exc), where, tag) from exc
        for _, directory in grant.preopens if grant else ():
            # already located: raised as it is (wrapping it repeated the prefix)
            self.check_inside(Path(directory), "WASI preopen directory", where, tag)
        try:
            if self.files.taking:  # a snapshot: read the module, compile and run nothing
                self.files.module_bytes(path)
                return _PlannedWasm(tag=tag, description=options.get("description"))
            module = self.loader.load(
                path, compiler, max_memory, allow_wasi=grant is not None, guest_abi=guest_abi, runtime=runtime
            )
            if fluentbit_options is not None:
                return FluentBitProcessor(
                    module, **fluentbit_options, tag=tag, description=options.get("description"), wasi=grant, timeout=timeout
                )
            return WasmProcessor(
                module, params, tag=tag, description=options.get("description"), wasi=grant, timeout=timeout
            )
        except PipelineConfigError:
            raise
        except IngestHostError as exc:
            hint = _fluentbit_hint(self, exc, path, compiler) if guest_abi == "elastic" else None
            raise self.error(hint or str(exc), where, tag) from exc


    # -- Elasticsearch pipeline semantics: built-ins, if, on_failure, nested pipelines --

    def _builtin_factory(
        self, create: Callable[[dict[str, Any], str | None, str | None], Processor]
    ) -> Callable[[dict[str, Any], str, str | None], Processor]:
        """Adapt a built-in's ``create``: its unlocated errors get this file, position and tag."""

        def factory(options: dict[str, Any], where: str, tag: str | None) -> Processor:
            try:
                return create(options, tag, options.get("description"))
            except PipelineConfigError as exc:
                if exc.source is None and exc.where is None:
                    raise self.error(exc.problem, where, tag) from None
                raise

        return factory

    def _read_condition(self, options: dict[str, Any], where: str, tag: str | None) -> Condition | None:
        """``if``: a string, or a script object ``{"source": ..., "lang": "painless"}``."""
        script = options.get("if")
        if script is None:
            return None
        if isinstance(script, dict):
            extra = set(script) - {"source", "lang"}
            if extra:
                raise self.error(f"if: unsupported script option(s) {', '.join(sorted(map(str, extra)))}", where, tag)
            if script.get("lang", "painless") != "painless":
                raise self.error(f"if: only painless conditions are supported, found lang [{script['lang']}]", where, tag)
            script = script.get("source")
        if not isinstance(script, str):
            raise self.error(f"if: must be a string (a condition), found {json_type_phrase(script)}", where, tag)
        try:
            return Condition(script)
        except ConditionSyntaxError as exc:
            raise self.error(f"if: {exc}", where, tag) from None

    def _build_handlers(self, value: Any, where: str | None, tag: str | None) -> list[Processor]:
        """An ``on_failure`` list (processor-level when ``where`` is set, else pipeline-level)."""
        if not isinstance(value, list):
            raise self.error(f"[on_failure] must be a list of processors, found {json_type_phrase(value)}", where, tag)
        if not value:
            if where is None:  # Elasticsearch's own words for a pipeline-level list (Pipeline.create)
                raise self.error(
                    f"pipeline [{self.pipeline_id or '_pipeline'}] cannot have an empty on_failure option defined"
                )
            raise self.error("[on_failure] processors list cannot be empty", where, tag)
        if self._handler_depth >= MAX_ON_FAILURE_DEPTH:
            raise self.error(f"[on_failure] handlers nested more than {MAX_ON_FAILURE_DEPTH} levels deep", where, tag)
        prefix = f"{where}.on_failure" if where else "on_failure"
        handlers: list[Processor] = []
        self._handler_depth += 1
        try:
            for index, entry in enumerate(value):
                handlers.append(self.build_processor(entry, f"{prefix}[{index}]"))
        except BaseException:
            for handler in handlers:
                handler.close()
            raise
        finally:
            self._handler_depth -= 1
        return handlers

    def _build_pipeline(self, options: dict[str, Any], where: str, tag: str | None) -> Processor:
        """``pipeline``: another pipeline, loaded now (cycles and depth are checked
        here): a file, or for a stored pipeline another stored one (see
        :attr:`PipelineSnapshot.stored_pipelines`)."""
        self._check_options("pipeline", options, {"name", "ignore_missing_pipeline"}, where, tag)
        stored = self.files.stored_pipelines
        name = options.get("name")
        if not isinstance(name, str) or not name:
            what = "the id of the stored pipeline to run" if stored is not None else "the pipeline file to run"
            raise self.error(f"[name] required property is missing ({what})", where, tag)
        if "{{" in name:
            what = "a pipeline id" if stored is not None else "a file name"
            raise self.error(f"[name] must be {what}; templates are not supported here", where, tag)
        ignore_missing = options.get("ignore_missing_pipeline", False)
        if not isinstance(ignore_missing, bool):
            raise self.error(
                f"[ignore_missing_pipeline] must be true or false, found {json_type_phrase(ignore_missing)}", where, tag
            )
        description = options.get("description")
        if stored is not None:
            target = self._stored_target(stored, name, where, tag)
        else:
            target = self._file_target(name, where, tag)
        if isinstance(target, str):  # what says it is missing
            if ignore_missing:
                return PipelineProcessor(name, None, ignore_missing_pipeline=True, tag=tag, description=description)
            raise self.error(f"Pipeline processor configured for non-existent pipeline [{name}] ({target})", where, tag)
        nesting = self._nesting
        if target.key in nesting.stack:
            cycle = (*nesting.stack[nesting.stack.index(target.key):], target.key)
            chain = " -> ".join(key.name if isinstance(key, Path) else key for key in cycle)
            raise self.error(f"Cycle detected for pipeline: {name} ({chain})", where, tag)
        if len(nesting.stack) >= MAX_NESTED_PIPELINES:
            raise self.error(
                f"Too many nested pipelines. Cannot have more than {MAX_NESTED_PIPELINES} nested pipelines", where, tag
            )
        pipeline = nesting.loaded.get(target.key)
        if pipeline is None:
            pipeline = nesting.loaded[target.key] = self._load_nested(target, name, where, tag)
        return PipelineProcessor(name, pipeline, ignore_missing_pipeline=ignore_missing, tag=tag, description=description)

    def _file_target(self, name: str, where: str, tag: str | None) -> "_NestedTarget | str":
        """The pipeline file ``name`` means, or what says there is none."""
        from .pipeline import pipeline_id_for  # imported here: that module imports this one

        try:
            path = self.files.pipeline_file(self.base_dir, name)
        except (OSError, ValueError) as exc:  # a NUL in the name, a name too long for the system...
            raise self.error(f"[name] cannot be used as a file name: {exc}", where, tag) from None
        if path is None:
            return f"no file {self.base_dir / name}, nor with .yml, .yaml or .json"
        try:
            resolved = self.files.resolve(path)
        except (OSError, RuntimeError) as exc:  # a symlink loop
            raise self.error(f"[name] cannot be used as a file name: {exc}", where, tag) from None
        self.check_inside(resolved, "pipeline file", where, tag)
        files = self.files
        return _NestedTarget(resolved, str(path), path.parent, pipeline_id_for(str(path)), lambda: files.definition(path))

    def _stored_target(
        self, stored: Mapping[str, StoredPipeline], name: str, where: str, tag: str | None
    ) -> "_NestedTarget | str":
        """The stored pipeline with id ``name``, or what says the cluster has none.
        Its id is ``name`` as it is (``_ingest.on_failure_pipeline`` in its handlers)."""
        entry = stored.get(name)
        if entry is None:  # the run fetched every name its pipelines hold: only a hand-made snapshot lacks one
            raise self.error(f"stored pipeline [{name}] was not fetched when the run started", where, tag)
        if entry.definition is None:
            return f"GET _ingest/pipeline/{name} answered 404"
        definition = entry.definition
        return _NestedTarget(name, entry.source, self.base_dir, name, lambda: definition)

    def _load_nested(self, target: "_NestedTarget", name: str, where: str, tag: str | None) -> Any:
        from .pipeline import Pipeline  # imported here: that module imports this one

        engines = self.loader.engines
        saved_compiler = engines.default_compiler  # a nested file's `compiler` and `runtime` are its own
        saved_runtime = engines.runtime
        builder = PipelineBuilder(
            source=target.source,
            base_dir=target.base_dir,
            loader=self.loader,
            max_memory=self.max_memory,
            pipeline_id=target.pipeline_id,
            _nesting=_Nesting(
                (*self._nesting.stack, target.key), self._nesting.loaded, self._nesting.confine, self.files
            ),
        )
        try:
            processors, description = builder.build(target.definition())
        except PipelineConfigError as exc:
            raise self.error(f"in pipeline [{name}]: {exc}", where, tag) from exc
        finally:
            engines.default_compiler = saved_compiler
            engines.runtime = saved_runtime
        return Pipeline(
            processors,
            description=description,
            source=target.source,
            on_failure=builder.on_failure,
            id=builder.pipeline_id,
        )


@dataclasses.dataclass(frozen=True)
class _NestedTarget:
    """What a ``pipeline`` processor names, found: a file or a stored pipeline."""

    #: Identifies it in the chain of pipelines being built and among those built:
    #: the resolved file, or the stored pipeline's id.
    key: Path | str
    #: Names it in messages (the file's path, the stored pipeline's URL).
    source: str
    #: Where its relative paths start.
    base_dir: Path
    pipeline_id: str
    #: Its definition (read when it is first built).
    definition: Callable[[], Any]


def _fluentbit_hint(builder: "PipelineBuilder", exc: Exception, path: Path, compiler: str | None) -> str | None:
    """For a module refused as an elastic guest that is a Fluent Bit filter: how to run it."""
    from . import fluentbit
    from .guest import compile_module

    if "missing required export `process`" not in str(exc):
        return None
    try:
        engine = builder.loader.engines.get(compiler)
        module = compile_module(builder.files.module_bytes(path), engine, str(path))
        hint = fluentbit.refusal_hint(module, str(path))
    except Exception:  # only a hint: the original error stands
        return None
    return None if hint is None else f"cannot load wasm module {path}: {hint}"


def _fluentbit_options(options: dict[str, Any]) -> dict[str, Any] | str:
    """The options of a ``wasm`` processor with ``abi: fluentbit`` (or what is wrong with them)."""
    if options.get("params"):
        return "`params` do not apply to a Fluent Bit filter (abi: fluentbit): it has no configure"
    name = options.get("function_name")
    if not isinstance(name, str) or not name:
        return "abi: fluentbit needs `function_name`, the filter function the module exports"
    event_format = options.get("event_format", "json")
    if event_format not in ("json", "msgpack"):
        return f"`event_format` must be json or msgpack, found {event_format!r}"
    found = {"function_name": name, "event_format": event_format}
    for key in ("tag_field", "time_field"):
        value = options.get(key)
        if value is not None and (not isinstance(value, str) or not value):
            return f"`{key}` must be a field name (a string), found {json_type_phrase(value)}"
        found[key] = value
    return found


class _Nesting:
    """What the builders of one load share: the chain of pipelines being built
    (for cycle and depth checks) and the nested pipelines already built (a
    pipeline named twice is loaded once, and its statistics are one). Files
    are known by their resolved path, stored pipelines by their id."""

    def __init__(
        self,
        stack: tuple[Path | str, ...],
        loaded: dict[Path | str, Any],
        confine: Path | None = None,
        files: PipelineSnapshot | None = None,
    ) -> None:
        self.stack = stack
        self.loaded = loaded
        #: Files a pipeline names must lie inside this directory (None: anywhere).
        self.confine = confine
        #: Where the files come from: disk, or a snapshot (taken, or being taken).
        self.files = files if files is not None else PipelineSnapshot()

    @classmethod
    def root(
        cls,
        source: str | None,
        confine_to: str | Path | None = None,
        files: PipelineSnapshot | None = None,
        pipeline_id: str | None = None,
    ) -> "_Nesting":
        files = files if files is not None else PipelineSnapshot()
        stack: tuple[Path | str, ...] = ()
        if files.stored_pipelines is not None:  # a stored pipeline: known by its id, it has no file
            stack = (pipeline_id,) if pipeline_id else ()
        elif source:
            found = files.root_file(Path(source))
            if found is not None:
                stack = (found,)
        confine = files.resolve(Path(confine_to)) if confine_to is not None else None
        return cls(stack, {}, confine, files)
