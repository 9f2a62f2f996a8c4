"""The ``append`` processor and :func:`append_values`, Elasticsearch's
``appendFieldValue``.

:func:`append_values` is here, public, because ``append`` is not its only
user: ``kv`` (a repeated key) and ``dot_expander`` (an expanded field that
exists already) append the same way, as they do in Elasticsearch.
"""

from __future__ import annotations

from typing import Any, Sequence

from ..condition import java_equals
from ..document import IngestDocument
from .builtins import (
    _Builtin,
    _FieldError,
    _FieldName,
    _ValueSource,
    check_options,
    deep_copy,
    get_field,
    has_field,
    read_bool,
    read_value_options,
    set_field,
)

__all__ = ["AppendProcessor", "append_values"]


def append_values(
    document: IngestDocument,
    parts: Sequence[str],
    path: str,
    value: Any,
    allow_duplicates: bool,
    ignore_empty_values: bool = False,
) -> None:
    """Elasticsearch's ``appendFieldValue``: a missing field becomes a list, a
    scalar becomes a list holding it, a list value adds each element; without
    ``allow_duplicates`` only elements not yet there (Java ``equals``) are added,
    and a field nothing was added to is left as it was (a scalar stays a scalar).
    With ``ignore_empty_values``, nulls and empty strings are not appended,
    and a missing field nothing remains for is not created."""
    values = value if isinstance(value, list) else [value]
    if ignore_empty_values:
        values = [item for item in values if item is not None and item != ""]
        if not values and not has_field(document, parts, path):
            return
    if not has_field(document, parts, path):
        fresh: list[Any] = []
        for item in values:
            if allow_duplicates or not any(java_equals(item, old) for old in fresh):
                fresh.append(item)
        set_field(document, parts, path, fresh)
        return
    current = get_field(document, parts, path)
    target = current if isinstance(current, list) else [current]
    added = False
    for item in values:
        if allow_duplicates or not any(java_equals(item, old) for old in target):
            target.append(item)
            added = True
    if target is not current and added:
        set_field(document, parts, path, target)


class AppendProcessor(_Builtin):
    """``append``: add ``value`` (templates rendered; a list adds each element)
    or a copy of ``copy_from`` to ``field``, making it a list."""

    type = "append"

    def __init__(
        self,
        field: str,
        value: Any = None,
        *,
        copy_from: str | None = None,
        allow_duplicates: bool = True,
        ignore_empty_values: bool = False,
        media_type: str = "application/json",
        tag: str | None = None,
        description: str | None = None,
    ) -> None:
        super().__init__(tag=tag, description=description)
        self.field = _FieldName(field, "field")
        self.copy_from = _FieldName(copy_from, "copy_from") if copy_from is not None else None
        self.value = _ValueSource(value, media_type) if copy_from is None else None
        self.allow_duplicates = allow_duplicates
        self.ignore_empty_values = ignore_empty_values

    @classmethod
    def create(cls, options: dict[str, Any], tag: str | None, description: str | None) -> "AppendProcessor":
        check_options(
            cls.type, options, {"field", "value", "copy_from", "allow_duplicates", "ignore_empty_values", "media_type"}
        )
        field, copy_from, media_type = read_value_options(options)
        return cls(
            field,
            options.get("value"),
            copy_from=copy_from,
            allow_duplicates=read_bool(options, "allow_duplicates", True),
            ignore_empty_values=read_bool(options, "ignore_empty_values", False),
            media_type=media_type,
            tag=tag,
            description=description,
        )

    def execute(self, document: IngestDocument) -> IngestDocument | None:
        try:
            path, parts = self.field.resolve(document)
            if self.copy_from is not None:
                source, source_parts = self.copy_from.resolve(document)
                # with ignore_empty_values a missing source reads as null: an empty value, not appended
                value = deep_copy(get_field(document, source_parts, source, ignore_missing=self.ignore_empty_values))
            else:
                assert self.value is not None
                value = self.value.resolve(document)
            append_values(document, parts, path, value, self.allow_duplicates, self.ignore_empty_values)
        except _FieldError as exc:
            raise self.fail(str(exc)) from None
        return document
