"""The exceptions ingesthost raises.

One small hierarchy so that callers can catch everything with
:class:`IngestHostError`, or exactly the situation they can act on:

* :class:`ModuleLoadError`: a wasm module was refused before any document ran.
* :class:`PipelineConfigError`: a pipeline definition is wrong; nothing ran.
* :class:`ProcessorError`: one document failed inside one processor. The
  pipeline is still usable; the next document runs normally.
* :class:`InputError`: one input record could not be read as a document.
* :class:`FieldPathError`: a dotted field path cannot be applied to a document.
"""

from __future__ import annotations


def _rebuild(cls: type, args: tuple, state: dict) -> "IngestHostError":
    error = cls.__new__(cls)
    Exception.__init__(error, *args)
    error.__dict__.update(state)
    return error


class IngestHostError(Exception):
    """Base class of every error ingesthost raises on purpose.

    Picklable with all their attributes (subclasses take keyword arguments,
    which Exception's own pickling loses): errors cross process boundaries,
    from worker processes and from Dask workers.
    """

    def __reduce__(self) -> tuple:
        return (_rebuild, (type(self), self.args, dict(self.__dict__)))


class ModuleLoadError(IngestHostError):
    """A wasm module cannot be used: invalid, missing exports, unknown imports..."""

    def __init__(self, module: str, problem: str) -> None:
        super().__init__(f"cannot load wasm module {module}: {problem}")
        self.module = module
        self.problem = problem


class PipelineConfigError(IngestHostError):
    """A pipeline definition is invalid.

    Carries where: the file, the processor's position (``processors[2]``
    or ``processors[1].on_failure[0]``) and its tag when it has one.
    """

    def __init__(
        self,
        problem: str,
        *,
        source: str | None = None,
        where: str | None = None,
        tag: str | None = None,
    ) -> None:
        parts = []
        if source:
            parts.append(source)
        if where:
            parts.append(where)
        if tag:
            parts.append(f"tag [{tag}]")
        prefix = ", ".join(parts)
        super().__init__(f"{prefix}: {problem}" if prefix else problem)
        self.problem = problem
        self.source = source
        self.where = where
        self.tag = tag


class ProcessorError(IngestHostError):
    """A document failed in a processor.

    ``processor_type`` is e.g. ``"wasm"``; ``tag`` is the processor's tag (or
    None); ``reason`` is the message without the processor prefix, the way
    Elasticsearch reports ``reason`` in a failed ``_simulate`` entry.
    ``kind`` is a short machine-readable cause: ``guest_failure`` (the guest
    returned a failure code), ``guest_trap`` (the guest trapped),
    ``timeout`` (the guest ran past its time limit and its worker was
    killed), ``crash`` (the worker process died), ``field`` (a built-in
    processor hit a field problem), ``fail`` (a ``fail`` processor),
    ``condition`` (an ``if`` could not be evaluated) or ``host``.
    """

    def __init__(
        self,
        reason: str,
        *,
        processor_type: str,
        tag: str | None = None,
        kind: str = "guest_failure",
    ) -> None:
        label = f"{processor_type}" + (f" [{tag}]" if tag else "")
        super().__init__(f"processor {label}: {reason}")
        self.reason = reason
        self.processor_type = processor_type
        self.tag = tag
        self.kind = kind


class InputError(IngestHostError):
    """An input record is not a usable document (bad JSON, not an object...)."""

    def __init__(self, problem: str, *, source: str = "<input>", line: int | None = None) -> None:
        where = f"{source}:{line}" if line is not None else source
        super().__init__(f"{where}: {problem}")
        self.problem = problem
        self.source = source
        self.line = line


class FieldPathError(IngestHostError):
    """A dotted path that cannot be applied: empty segment, bad list index,
    a write through a scalar. Messages follow Elasticsearch's wording."""
