"""Pipeline definitions: reading JSON/YAML files and turning them into processors.

The shape is Elasticsearch's::

    {"description": "...", "processors": [{"wasm": {"module": "x.wasm", "params": {...}, "tag": "t"}}]}

Everything is validated before anything runs: unknown processor types or
options, wrong types, missing module files, modules the ABI refuses. Errors
name the file, the processor's position and tag, and the problem.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Callable

import yaml

from .engine import COMPILERS
from .errors import IngestHostError, PipelineConfigError
from .loader import DEFAULT_MAX_MEMORY, ModuleLoader
from .wasm_binary import parse_size
from .processors import Processor, WasmProcessor

PIPELINE_KEYS = {"description", "processors", "compiler", "max_memory", "version", "_meta"}
COMMON_PROCESSOR_KEYS = {"tag", "description"}


def read_definition(path: str | Path) -> dict[str, Any]:
    """Parse a pipeline file (``.json``, ``.yml``/``.yaml``; other names are tried as YAML,
    which also reads JSON)."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise PipelineConfigError("pipeline file not found", source=str(path)) from None
    except UnicodeDecodeError as exc:
        raise PipelineConfigError(f"not UTF-8 text ({exc.reason} at byte {exc.start})", source=str(path)) from None
    except OSError as exc:
        raise PipelineConfigError(f"cannot read pipeline file: {exc.strerror}", source=str(path)) from None
    try:
        if path.suffix.lower() == ".json":
            definition = json.loads(text)
        else:
            definition = yaml.safe_load(text)
    except json.JSONDecodeError as exc:
        raise PipelineConfigError(
            f"invalid JSON at line {exc.lineno} column {exc.colno}: {exc.msg}", source=str(path)
        ) from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" at line {mark.line + 1} column {mark.column + 1}" if mark else ""
        problem = getattr(exc, "problem", None) or str(exc)
        raise PipelineConfigError(f"invalid YAML{where}: {problem}", source=str(path)) from None
    if not isinstance(definition, dict):
        raise PipelineConfigError(
            f"a pipeline must be an object with a `processors` list, found {_json_type(definition)}",
            source=str(path),
        )
    return definition


class PipelineBuilder:
    """Builds processors from a definition, with a location for every error."""

    def __init__(
        self,
        *,
        source: str | None,
        base_dir: Path,
        loader: ModuleLoader,
        max_memory: int = DEFAULT_MAX_MEMORY,
    ) -> None:
        self.source = source
        self.base_dir = base_dir
        self.loader = loader
        #: Default memory cap of wasm processors (bytes); the pipeline file may lower or raise it.
        self.max_memory = max_memory
        self._factories: dict[str, Callable[[dict[str, Any], str, str | None], Processor]] = {
            "wasm": self._build_wasm,
        }

    def error(self, problem: str, where: str | None = None, tag: str | None = None) -> PipelineConfigError:
        return PipelineConfigError(problem, source=self.source, where=where, tag=tag)

    def build(self, definition: dict[str, Any]) -> tuple[list[Processor], str | None]:
        """(processors, description). Closes what it built if a later step fails."""
        unknown = set(definition) - PIPELINE_KEYS
        if unknown:
            raise self.error(
                f"unknown pipeline option(s) {', '.join(sorted(map(str, unknown)))}; "
                f"known: {', '.join(sorted(PIPELINE_KEYS))}"
            )
        description = definition.get("description")
        if description is not None and not isinstance(description, str):
            raise self.error(f"`description` must be a string, found {_json_type(description)}")
        compiler = definition.get("compiler")
        if compiler is not None:
            self._check_compiler(compiler, "compiler")
            self.loader.engines.default_compiler = compiler
        if "max_memory" in definition:
            self.max_memory = self._check_size(definition["max_memory"], "max_memory")
        if "processors" not in definition:
            raise self.error("missing `processors` (a list of processors)")
        processors = definition["processors"]
        if not isinstance(processors, list):
            raise self.error(f"`processors` must be a list, found {_json_type(processors)}")
        built: list[Processor] = []
        try:
            for index, entry in enumerate(processors):
                built.append(self.build_processor(entry, f"processors[{index}]"))
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
            raise self.error(f"options of processor [{kind}] must be an object, found {_json_type(options)}", where)
        tag = options.get("tag")
        if tag is not None and not isinstance(tag, str):
            raise self.error(f"`tag` must be a string, found {_json_type(tag)}", where)
        description = options.get("description")
        if description is not None and not isinstance(description, str):
            raise self.error(f"`description` must be a string, found {_json_type(description)}", where, tag)
        return factory(options, where, tag)

    def _check_options(self, kind: str, options: dict[str, Any], allowed: set[str], where: str, tag: str | None) -> None:
        unknown = set(options) - allowed - COMMON_PROCESSOR_KEYS
        if unknown:
            raise self.error(
                f"unknown option(s) {', '.join(sorted(unknown))} for processor [{kind}]; "
                f"known: {', '.join(sorted(allowed | COMMON_PROCESSOR_KEYS))}",
                where,
                tag,
            )

    def _check_compiler(self, compiler: Any, what: str, where: str | None = None, tag: str | None = None) -> str:
        if not isinstance(compiler, str) or compiler not in COMPILERS:
            raise self.error(f"`{what}` must be one of {', '.join(COMPILERS)}, found {compiler!r}", where, tag)
        return compiler

    def _check_size(self, value: Any, what: str, where: str | None = None, tag: str | None = None) -> int:
        try:
            return parse_size(value, f"`{what}`")
        except ValueError as exc:
            raise self.error(str(exc), where, tag) from None

    def _build_wasm(self, options: dict[str, Any], where: str, tag: str | None) -> Processor:
        self._check_options("wasm", options, {"module", "params", "compiler", "max_memory"}, where, tag)
        module_path = options.get("module")
        if not isinstance(module_path, str) or not module_path:
            raise self.error("processor [wasm] needs `module`, the path of a .wasm file", where, tag)
        params = options.get("params", {})
        if not isinstance(params, dict):
            raise self.error(f"`params` must be an object, found {_json_type(params)}", where, tag)
        compiler = options.get("compiler")
        if compiler is not None:
            self._check_compiler(compiler, "compiler", where, tag)
        path = (self.base_dir / module_path).resolve()
        if not path.is_file():
            raise self.error(f"module file not found: {path}", where, tag)
        try:
            max_memory = self.max_memory
            if "max_memory" in options:
                max_memory = self._check_size(options["max_memory"], "max_memory", where, tag)
            module = self.loader.load(path, compiler, max_memory)
            return WasmProcessor(module, params, tag=tag, description=options.get("description"))
        except IngestHostError as exc:
            raise self.error(str(exc), where, tag) from exc


def _json_type(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, (int, float)):
        return "a number"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, dict):
        return "an object"
    return type(value).__name__
