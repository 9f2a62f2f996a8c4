"""``ingesthost inspect``: what a module is and whether this host can run it (a pipeline's
needs are reported by :mod:`ingesthost.pipeline_requirements`)."""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Any

from . import abi, artifact, fluentbit
from . import runtime as runtimes
from .engine import DEFAULT_COMPILER, Engine
from .errors import ModuleLoadError
from .guest import compile_module, read_module_bytes


def _type_text(kind: runtimes.Extern) -> str:
    if kind.kind == "function" and kind.sig is not None:
        return "func " + abi.signature_text(list(kind.sig[0]), list(kind.sig[1]))
    if kind.kind == "memory":
        maximum = "" if kind.maximum is None else f", max {kind.maximum} pages"
        return f"memory (min {kind.minimum} pages{maximum})"
    return kind.kind


def inspect_module(path: str | Path, compiler: str = DEFAULT_COMPILER, runtime: str | None = None) -> dict[str, Any]:
    """A report: size, ABI version, exports, imports, and ``runnable`` with the reason if not.

    Reads ``.wasm``, ``.wasm.gz`` and compiled artifacts (whose header is
    reported too; an artifact is deserialized only after all its checks pass).
    """
    path = Path(path)
    runtime = runtimes.resolve(runtime)
    report: dict[str, Any] = {"module": str(path), "runtime": runtime}
    data = read_module_bytes(path)
    report["size_bytes"] = len(data)
    if artifact.is_artifact(data):
        try:
            header, payload = artifact.parse_artifact(data, str(path))
            report["artifact"] = dataclasses.asdict(header)
            artifact.check_compatible(header, str(path), runtime, runtimes.backend(runtime).VERSION)
            module = Engine.headless(header.engine, runtime).deserialize(payload)
        except (artifact.ArtifactError, RuntimeError) as exc:
            report["runnable"] = False
            report["problem"] = getattr(exc, "problem", str(exc))
            return report
    else:
        try:
            module = compile_module(data, Engine(compiler, runtime=runtime), str(path))
        except ModuleLoadError as exc:
            report["runnable"] = False
            report["problem"] = exc.problem
            return report
    report["exports"] = {e.name: _type_text(e) for e in module.exports}
    report["imports"] = {f"{i.module}.{i.name}": _type_text(i) for i in module.imports}
    try:
        shape = abi.check_module(module, str(path))
    except ModuleLoadError as exc:
        report["runnable"] = False  # as an elastic guest, which is how --module alone runs it
        report["problem"] = exc.problem
        filter_report = fluentbit.inspect_report(module, str(path))
        if filter_report is not None:  # a Fluent Bit filter: say whether and how abi: fluentbit runs it
            filter_report["runnable"] = "problem" not in filter_report
            report["fluentbit"] = filter_report
        return report
    report["abi_version"] = f"{shape.abi_major}.{shape.abi_minor}"
    report["abi_declared"] = shape.declared_version
    report["configure"] = shape.configure_export
    report["runnable"] = True
    return report


def format_report(report: dict[str, Any]) -> str:
    lines = [f"module:    {report['module']} ({report['size_bytes']} bytes)"]
    if "runtime" in report:
        lines.append(f"runtime:   {report['runtime']}")
    header = report.get("artifact")
    if header:
        lines.append(
            f"artifact:  {header['engine']} engine, compiled by {header['compiler']} for {header['target']} "
            f"with {header['runtime']} {header['runtime_version']} (format {header['format']})"
        )
        if header["cpu_features"]:
            lines.append(f"cpu:       {', '.join(header['cpu_features'])}")
        lines.append(f"source:    sha256 {header['source_sha256']}")
        lines.append(f"payload:   {header['payload_size']} bytes, sha256 {header['payload_sha256']}")
    if "abi_version" in report:
        declared = "" if report["abi_declared"] else " (no ABI marker: pre-1.0 guest, runs as 1.0)"
        lines.append(f"abi:       {report['abi_version']}{declared}")
    if report.get("configure"):
        lines.append(f"configure: exported as `{report['configure']}`")
    for title in ("exports", "imports"):
        entries = report.get(title)
        if entries is None:
            continue
        lines.append(f"{title}:" + ("" if entries else "   (none)"))
        for name, kind in entries.items():
            lines.append(f"  {name}: {kind}")
    filter_report = report.get("fluentbit")
    if filter_report:
        lines.append(f"fluentbit: filter function(s) {', '.join(filter_report['filter_functions'])}")
        if "allocator" in filter_report:
            lines.append(f"buffers:   {filter_report['allocator']}")
        if filter_report["runnable"]:
            lines.append(f"runnable:  yes, as {filter_report['run']}")
        else:
            lines.append(f"runnable:  no, even as a Fluent Bit filter: {filter_report['problem']}")
        lines.append(f"elastic:   no: {report['problem']}")
        return "\n".join(lines)
    if report["runnable"]:
        lines.append("runnable:  yes")
    else:
        lines.append(f"runnable:  no: {report['problem']}")
    return "\n".join(lines)


def inspect_target(
    target: str, compiler: str = DEFAULT_COMPILER, runtime: str | None = None
) -> tuple[dict[str, Any], str]:
    """(report, text) for ``ingesthost inspect TARGET``: a pipeline (a ``.yml``,
    ``.yaml``, ``.json`` file or an ``es://.../_ingest/pipeline/ID`` URL) or a module."""
    from .pipeline_requirements import format_pipeline_report, inspect_pipeline, is_pipeline_target

    if is_pipeline_target(target):
        report = inspect_pipeline(target, compiler=compiler)
        return report, format_pipeline_report(report)
    report = inspect_module(target, compiler=compiler, runtime=runtime)
    return report, format_report(report)
