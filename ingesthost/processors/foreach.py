"""The ``foreach`` processor: one processor run on each element of a list or
entry of an object.

Its inner processor is a whole processor definition (``if``, ``on_failure``
and all), so it is built by the pipeline builder: :func:`foreach_factory`
takes the builder, and ``foreach`` is registered by the builder itself rather
than in :data:`.common.COMMON_PROCESSORS`, whose factories take options only.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Callable

from ..condition import java_string
from ..document import IngestDocument, json_type
from ..errors import PipelineConfigError
from .base import Processor
from .builtins import _Builtin, _FieldError, _FieldName, check_options, get_field, read_bool, read_string, set_field

if TYPE_CHECKING:  # pragma: no cover
    from ..config import PipelineBuilder

__all__ = ["ForEachProcessor", "foreach_factory"]


class ForEachProcessor(_Builtin):
    """``foreach``: run one processor on each element of a list (or each entry of
    an object), the element read and written as ``_ingest._value`` (an entry's
    key as ``_ingest._key``, which the processor may change). The field is
    written back when all elements are done; a failure fails the document
    and a drop drops it, as in Elasticsearch."""

    type = "foreach"

    def __init__(
        self,
        field: str,
        processor: Processor,
        ignore_missing: bool,
        *,
        tag: str | None = None,
        description: str | None = None,
    ) -> None:
        super().__init__(tag=tag, description=description)
        self.field = _FieldName(field, "field")
        self.processor = processor
        self.ignore_missing = ignore_missing

    def execute(self, document: IngestDocument) -> IngestDocument | None:
        try:
            path, parts = self.field.resolve(document)
            value = get_field(document, parts, path, ignore_missing=self.ignore_missing)
        except _FieldError as exc:
            raise self.fail(str(exc)) from None
        if value is None:
            if self.ignore_missing:
                return document
            raise self.fail(f"field [{path}] is null, cannot loop over its elements.")
        if isinstance(value, dict):
            result = self._each_entry(document, dict(value))
        elif isinstance(value, list):
            result = self._each_element(document, list(value))
        else:
            raise self.fail(f"field [{path}] of type [{json_type(value)}] cannot be cast to a list or map")
        if result is None:
            return None
        try:
            set_field(document, parts, path, result)
        except _FieldError as exc:
            raise self.fail(str(exc)) from None
        return document

    def _each_element(self, document: IngestDocument, values: list[Any]) -> list[Any] | None:
        ingest = document.ingest
        out = []
        for value in values:
            previous = ingest.get("_value", _ABSENT)
            ingest["_value"] = value
            try:
                kept = self.processor.execute(document)
            finally:
                out.append(_swap(ingest, "_value", previous))
            if kept is None:
                return None
        return out

    def _each_entry(self, document: IngestDocument, entries: dict[str, Any]) -> dict[str, Any] | None:
        ingest = document.ingest
        out: dict[str, Any] = {}
        for key, value in entries.items():
            previous_key = ingest.get("_key", _ABSENT)
            previous_value = ingest.get("_value", _ABSENT)
            ingest["_key"], ingest["_value"] = key, value
            try:
                kept = self.processor.execute(document)
            finally:
                new_key = _swap(ingest, "_key", previous_key)
                new_value = _swap(ingest, "_value", previous_value)
            if kept is None:
                return None
            out[java_string(new_key)] = new_value
        return out

    def close(self) -> None:
        self.processor.close()


_ABSENT = object()


def _swap(ingest: dict[str, Any], key: str, previous: Any) -> Any:
    """The current value of ``_ingest.<key>``, with the previous one put back."""
    current = ingest.pop(key, None)
    if previous is not _ABSENT:
        ingest[key] = previous
    return current


def foreach_factory(builder: "PipelineBuilder") -> Callable[[dict[str, Any], str, "str | None"], Processor]:
    """The ``foreach`` factory of a pipeline builder: the inner processor is built
    by the builder (so it takes every option a processor takes, ``if`` and
    ``on_failure`` included), its errors located at ``...processor``."""

    def build(options: dict[str, Any], where: str, tag: str | None) -> Processor:
        try:
            check_options("foreach", options, {"field", "processor", "ignore_missing"})
            field = read_string(options, "field")
            ignore_missing = read_bool(options, "ignore_missing", False)
        except PipelineConfigError as exc:
            raise builder.error(exc.problem, where, tag) from None
        entry = options.get("processor")
        if entry is None:
            raise builder.error("[processor] required property is missing", where, tag)
        if not isinstance(entry, dict) or len(entry) != 1:
            raise builder.error("[processor] Must specify exactly one processor type", where, tag)
        assert field is not None
        inner = builder.build_processor(entry, f"{where}.processor")
        return ForEachProcessor(field, inner, ignore_missing, tag=tag, description=options.get("description"))

    return build
