"""What a pipeline definition needs, read without building it.

Two users:

* :class:`~ingesthost.config.PipelineBuilder` asks
  :func:`check_processor_types` before it builds anything, so that a
  pipeline brought from Elasticsearch with several processors ingesthost
  lacks (``script``, ``user_agent``, ``geoip``...) is refused with *all* of
  them and their places at once. Building stops at the first error; fixing
  a migrated pipeline one refusal per run would be tedious.
* ``ingesthost inspect PIPELINE`` (:func:`inspect_pipeline`): the processor
  types used with their counts, the wasm modules with their ABI and WASI
  needs, and what is unsupported, for a file or a stored pipeline
  (``es://HOST:PORT/_ingest/pipeline/ID``).

The walk here follows the places the builder uses (``processors[2]``,
``processors[2].on_failure[0]``, ``processors[3].processor`` for a
``foreach``, ``on_failure[0]`` for the pipeline's handlers), and skips
anything malformed: the builder reports those with its own messages.
"""

from __future__ import annotations

import collections
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Collection, Iterator

from .errors import IngestHostError, PipelineConfigError

#: Deepest nesting of handlers and ``foreach`` bodies walked (the builder refuses deeper at 100).
MAX_WALK_DEPTH = 100
#: Suffixes that make an ``inspect`` argument a pipeline file rather than a module.
PIPELINE_SUFFIXES = (".yml", ".yaml", ".json")
#: Imports that make a module a WASI module (it then needs a ``wasi`` grant).
WASI_IMPORT_MODULES = ("wasi_snapshot_preview1", "wasi_unstable")

#: What to say about well-known Elasticsearch processors ingesthost does not have.
_HINTS = {
    "script": "Painless scripts do not run in ingesthost: replace the step with a wasm processor",
    "user_agent": "no user-agent database here: parse it in a wasm processor or drop the step",
    "geoip": "no GeoIP database here: enrich in a wasm processor or drop the step",
    "ip_location": "no GeoIP database here: enrich in a wasm processor or drop the step",
    "enrich": "needs cluster state (enrich indices)",
    "inference": "needs a model deployed in the cluster",
    "set_security_user": "needs the cluster's security context",
}


@dataclass(frozen=True)
class ProcessorPlace:
    """One processor of a definition: its type, options, place and tag."""

    kind: str
    options: Any
    where: str
    tag: str | None


@dataclass(frozen=True)
class Unsupported:
    """A processor that cannot run here, with why."""

    kind: str
    where: str
    tag: str | None
    reason: str

    def describe(self) -> str:
        """``processors[3], tag [t]: reason``: the place first, as load errors put it."""
        tag = f", tag [{self.tag}]" if self.tag else ""
        return f"{self.where}{tag}: {self.reason}"

    def as_dict(self) -> dict[str, Any]:
        return {"type": self.kind, "where": self.where, "tag": self.tag, "reason": self.reason}


def walk_processors(definition: Any) -> Iterator[ProcessorPlace]:
    """Every processor of ``definition`` in build order (handlers and ``foreach``
    bodies included; nested pipeline files are not followed)."""
    if not isinstance(definition, dict):
        return
    yield from _walk_list(definition.get("processors"), "processors", 0)
    yield from _walk_list(definition.get("on_failure"), "on_failure", 0)


def _walk_list(entries: Any, prefix: str, depth: int) -> Iterator[ProcessorPlace]:
    if not isinstance(entries, list) or depth > MAX_WALK_DEPTH:
        return
    for index, entry in enumerate(entries):
        yield from _walk_entry(entry, f"{prefix}[{index}]", depth)


def _walk_entry(entry: Any, where: str, depth: int) -> Iterator[ProcessorPlace]:
    if not isinstance(entry, dict) or len(entry) != 1 or depth > MAX_WALK_DEPTH:
        return
    ((kind, options),) = entry.items()
    tag = options.get("tag") if isinstance(options, dict) else None
    yield ProcessorPlace(str(kind), options, where, tag if isinstance(tag, str) else None)
    if isinstance(options, dict):
        if kind == "foreach":
            yield from _walk_entry(options.get("processor"), f"{where}.processor", depth + 1)
        yield from _walk_list(options.get("on_failure"), f"{where}.on_failure", depth + 1)


def unknown_type_reason(kind: str) -> str:
    """``unknown processor type [x]``, with a hint for the Elasticsearch processors people meet most."""
    hint = _HINTS.get(kind)
    return f"unknown processor type [{kind}]" + (f" ({hint})" if hint else "")


def find_unsupported(
    definition: Any,
    known: Collection[str],
    extra: Callable[[ProcessorPlace], str | None] | None = None,
) -> list[Unsupported]:
    """Every processor whose type is not in ``known``, plus those ``extra``
    refuses (it returns a reason, or None), in build order."""
    found = []
    for place in walk_processors(definition):
        reason = unsupported_reason(place, known, extra)
        if reason is not None:
            found.append(Unsupported(place.kind, place.where, place.tag, reason))
    return found


def unsupported_reason(
    place: ProcessorPlace, known: Collection[str], extra: Callable[[ProcessorPlace], str | None] | None = None
) -> str | None:
    """Why this one processor cannot run here (its handlers are not looked at), or None."""
    if place.kind not in known:
        return unknown_type_reason(place.kind)
    return extra(place) if extra is not None else None


def unsupported_message(found: list[Unsupported], known: Collection[str] | None = None) -> str:
    """One message listing every unsupported processor, one per line."""
    noun = "processor" if len(found) == 1 else "processors"
    lines = [f"{len(found)} {noun} ingesthost cannot run:"]
    lines += [f"  {item.describe()}" for item in found]
    if known is not None and any(item.reason.startswith("unknown processor type") for item in found):
        lines.append(f"known types: {', '.join(sorted(known))}")
    return "\n".join(lines)


def check_processor_types(
    definition: Any, known: Collection[str], error: Callable[..., PipelineConfigError]
) -> None:
    """Raise ``error(problem, where, tag)`` naming every processor of an unknown
    type. One is reported at its place as the builder always did
    (``processors[0]: unknown processor type [script]; known types: ...``);
    several are listed together, one per line."""
    found = find_unsupported(definition, known)
    if not found:
        return
    if len(found) == 1:
        item = found[0]
        raise error(f"{item.reason}; known types: {', '.join(sorted(known))}", item.where, item.tag)
    raise error(unsupported_message(found, known))


def known_processor_types() -> set[str]:
    """The processor types a pipeline may use (those the builder has factories for)."""
    from .processors.builtins import BUILTIN_PROCESSORS
    from .processors.common import COMMON_PROCESSORS

    return {"wasm", "pipeline", "foreach", *BUILTIN_PROCESSORS, *COMMON_PROCESSORS}


# -- ingesthost inspect PIPELINE ---------------------------------------------


def is_pipeline_target(target: str) -> bool:
    """Whether ``ingesthost inspect`` was given a pipeline (a stored one, or a
    ``.yml``/``.yaml``/``.json`` file) rather than a module."""
    from .stored_pipeline import is_stored_pipeline_url

    return is_stored_pipeline_url(target) or target.lower().endswith(PIPELINE_SUFFIXES)


def inspect_pipeline(target: str, *, compiler: str | None = None, environ: Any = None) -> dict[str, Any]:
    """A report of what the pipeline ``target`` needs (see the module docstring).

    ``runnable`` is False when a processor is unsupported, a module cannot
    run as its processor asks, or the pipeline does not load (``problem``
    says why; the load check compiles nothing and runs no guest code).
    Errors reading the pipeline itself (a missing file, an unreachable
    cluster) are raised: there is nothing to report on.

    Nested pipelines (files, or for a stored pipeline the stored pipelines
    it reaches, fetched as a run fetches them) are walked too: their
    processors count in ``types``, their modules and unsupported
    processors are listed with the nested pipeline in their place;
    ``nested_pipelines`` names those found, ``nested_needs`` says per
    nested pipeline which processor types it uses and how many modules and
    unsupported processors it has, ``missing_pipelines`` names those not
    found (whether that is a problem, ``ignore_missing_pipeline``, the load
    check says).
    """
    from . import config, stored_pipeline
    from .engine import DEFAULT_COMPILER
    from .pipeline import take_snapshot

    compiler = compiler or DEFAULT_COMPILER
    stored = stored_pipeline.is_stored_pipeline_url(target)
    fetched = None
    if stored:
        fetched = stored_pipeline.load_stored_pipelines(target, environ=environ, check=False)
        definition, source = fetched.definition, fetched.source
        base_dir: Path | None = None
        extra: Callable[[ProcessorPlace], str | None] | None = stored_pipeline.stored_only_problem
    else:
        definition, source, base_dir, extra = config.read_definition(target), target, Path(target).parent, None
    known = known_processor_types()
    report: dict[str, Any] = {"pipeline": source, "stored": stored}
    kinds: collections.Counter[str] = collections.Counter()
    modules: list[dict[str, Any]] = []
    unsupported: list[Unsupported] = []
    nested: list[str] = []
    needs: dict[str, dict[str, Any]] = {}
    missing: list[str] = []
    # (prefix of places, definition, its directory, its name in `nested`: None for the top one)
    pending: list[tuple[str, Any, Path | None, str | None]] = [("", definition, base_dir, None)]
    seen: set[Any] = set()
    while pending:
        prefix, current, directory, owner = pending.pop(0)
        own = None if owner is None else needs.setdefault(owner, {"types": collections.Counter(), "modules": 0, "unsupported": 0})
        for place in walk_processors(current):
            kinds[place.kind] += 1
            if own is not None:
                own["types"][place.kind] += 1
            where = prefix + place.where
            reason = unsupported_reason(place, known, extra)
            if reason is not None:
                unsupported.append(Unsupported(place.kind, where, place.tag, reason))
                if own is not None:
                    own["unsupported"] += 1
                continue
            options = place.options if isinstance(place.options, dict) else {}
            name = options.get("name")
            if place.kind == "wasm" and isinstance(options.get("module"), str):
                modules.append(_module_needs(options, where, place.tag, directory, compiler))
                if own is not None:
                    own["modules"] += 1
            elif place.kind != "pipeline" or not isinstance(name, str) or not name or "{{" in name:
                continue
            elif fetched is not None:
                entry = fetched.pipelines.get(name)
                if entry is None or name in seen:  # not fetched: a template, reported above
                    continue
                seen.add(name)
                if entry.definition is None:
                    missing.append(entry.source)
                else:
                    nested.append(entry.source)
                    pending.append((stored_pipeline.nested_place(name, ""), entry.definition, None, entry.source))
            elif directory is not None:
                path = _nested_file(directory, name)
                if path is None:
                    if str(directory / name) not in missing:
                        missing.append(str(directory / name))
                elif path.resolve() not in seen:
                    seen.add(path.resolve())
                    nested.append(str(path))
                    try:
                        pending.append((f"{path.name}: ", config.read_definition(path), path.parent, str(path)))
                    except PipelineConfigError:
                        pass  # the load check below reports it
    report["processors"] = sum(kinds.values())
    report["types"] = dict(sorted(kinds.items()))
    report["modules"] = modules
    report["nested_pipelines"] = nested
    report["nested_needs"] = {
        name: {**entry, "types": dict(sorted(entry["types"].items()))} for name, entry in needs.items()
    }
    report["missing_pipelines"] = missing
    report["unsupported"] = [item.as_dict() for item in unsupported]
    problem = None
    if unsupported:
        problem = unsupported_message(unsupported)
    else:
        try:
            if fetched is not None:
                stored_pipeline.take_stored_snapshot(fetched, compiler=compiler)
            else:
                take_snapshot("file", path=target, compiler=compiler)
        except IngestHostError as exc:
            problem = str(exc)
    if problem is None:
        bad = [m for m in modules if m.get("problem")]
        if bad:
            problem = f"{bad[0]['where']}: {bad[0]['problem']}"
    report["runnable"] = problem is None
    if problem is not None:
        report["problem"] = problem
    return report


def _nested_file(directory: Path, name: str) -> Path | None:
    from .config import PIPELINE_FILE_SUFFIXES

    for suffix in PIPELINE_FILE_SUFFIXES:
        candidate = directory / (name + suffix)
        if candidate.is_file():
            return candidate
    return None


def _module_needs(
    options: dict[str, Any], where: str, tag: str | None, directory: Path | None, compiler: str
) -> dict[str, Any]:
    """One ``wasm`` processor's module: ABI version, WASI imports, and whether
    the processor grants what the module needs."""
    from .inspection import inspect_module

    name = options["module"]
    path = Path(name) if directory is None else Path(os.path.normpath(directory / name))
    guest_abi = options.get("abi", "elastic")
    entry: dict[str, Any] = {"where": where, "tag": tag, "module": str(path), "abi": guest_abi}
    entry["wasi_granted"] = "wasi" in options
    try:
        report = inspect_module(path, compiler=compiler)
    except (IngestHostError, OSError) as exc:
        entry["problem"] = str(exc)
        return entry
    wasi = sorted(n for n in report.get("imports", {}) if n.split(".", 1)[0] in WASI_IMPORT_MODULES)
    entry["wasi_imports"] = wasi
    if guest_abi == "fluentbit":
        filter_report = report.get("fluentbit") or {}
        if not filter_report.get("runnable"):
            entry["problem"] = filter_report.get("problem") or report.get("problem") or "not a Fluent Bit filter"
        return entry
    if entry["wasi_granted"] and not report["runnable"] and str(report.get("problem")).startswith(_UNGRANTED):
        report = {**report, "runnable": True, "abi_version": _declared_abi(report)}  # inspect checks without a grant
    if "abi_version" in report:
        entry["abi_version"] = report["abi_version"]
    if not report["runnable"]:
        entry["problem"] = report.get("problem")
    elif wasi and not entry["wasi_granted"]:
        entry["problem"] = (
            f"the module imports WASI ({len(wasi)} functions) but the processor grants none: add `wasi: {{}}`"
        )
    return entry


#: How :func:`ingesthost.abi.check_module` begins when WASI imports are its only problem.
_UNGRANTED = "imports WASI functions the processor was not granted"


def _declared_abi(report: dict[str, Any]) -> str:
    """The ABI version a module's marker export declares (1.0 without one)."""
    from .abi import MARKER_PREFIX

    for name in report.get("exports", {}):
        if name.startswith(MARKER_PREFIX):
            return name[len(MARKER_PREFIX):].replace("_", ".")
    return "1.0"


def _needs_text(needs: dict[str, Any] | None) -> str:
    """``2 processors (pipeline x1, set x1), 1 module``: a nested pipeline's line."""
    if needs is None:
        return "not read"
    count = sum(needs["types"].values())
    types = ", ".join(f"{kind} x{n}" for kind, n in needs["types"].items())
    text = f"{count} processor{'' if count == 1 else 's'} ({types or 'none'})"
    for key, noun in (("modules", "module"), ("unsupported", "unsupported")):
        if needs[key]:
            text += f", {needs[key]} {noun}{'s' if needs[key] > 1 and key == 'modules' else ''}"
    return text


def format_pipeline_report(report: dict[str, Any]) -> str:
    """The report as ``ingesthost inspect`` prints it."""
    lines = [f"pipeline:  {report['pipeline']}{' (stored in the cluster)' if report['stored'] else ''}"]
    types = ", ".join(f"{kind} x{count}" for kind, count in report["types"].items())
    lines.append(f"processors: {report['processors']} ({types or 'none'})")
    for path in report["nested_pipelines"]:
        lines.append(f"nested:    {path}: {_needs_text(report.get('nested_needs', {}).get(path))}")
    for path in report.get("missing_pipelines", ()):
        lines.append(f"missing:   {path}: not found")
    for module in report["modules"]:
        tag = f", tag [{module['tag']}]" if module["tag"] else ""
        needs = [f"abi {module['abi']}" + (f" {module['abi_version']}" if "abi_version" in module else "")]
        if module.get("wasi_imports"):
            granted = "granted" if module["wasi_granted"] else "NOT granted"
            needs.append(f"WASI ({len(module['wasi_imports'])} imports, {granted})")
        elif "wasi_imports" in module:
            needs.append("no WASI")
        state = f"problem: {module['problem']}" if module.get("problem") else "runnable"
        lines.append(f"module:    {module['where']}{tag}: {module['module']}: {', '.join(needs)}; {state}")
    for item in report["unsupported"]:
        tag = f", tag [{item['tag']}]" if item["tag"] else ""
        lines.append(f"unsupported: {item['where']}{tag}: {item['reason']}")
    if report["runnable"]:
        lines.append("runnable:  yes")
    elif report["unsupported"]:
        count = len(report["unsupported"])
        lines.append(f"runnable:  no: {count} unsupported processor{'s' if count > 1 else ''} (above)")
    else:
        lines.append(f"runnable:  no: {report['problem']}")
    return "\n".join(lines)
