"""The ``dot_expander`` processor: keys with dots (``"a.b": 1``) made into objects
(``a: {b: 1}``), so that later processors can reach them by path.

A field that exists already is appended to (:func:`.append.append_values`)
or replaced (``override``), as in Elasticsearch.
"""

from __future__ import annotations

from typing import Any

from ..document import IngestDocument
from ..errors import PipelineConfigError
from .append import append_values
from .builtins import _Builtin, _FieldError, _FieldName, check_options, get_field, has_field, read_bool, read_string, set_field
from .field_base import cast_error, field_error, field_path

__all__ = ["DotExpanderProcessor"]


class DotExpanderProcessor(_Builtin):
    """``dot_expander``: a key with dots (``"a.b": 1``) becomes objects (``a: {b: 1}``).

    ``field`` is the key (``*``: every key with a dot), ``path`` the object
    holding it (default: the top level). If the expanded field exists, the
    value is appended to it, or replaces it with ``override``.
    """

    type = "dot_expander"

    def __init__(
        self, field: str, path: str | None, override: bool, *, tag: str | None = None, description: str | None = None
    ) -> None:
        super().__init__(tag=tag, description=description)
        self.field = field
        self.path = _FieldName(path, "path") if path is not None else None
        self.override = override

    @classmethod
    def create(cls, options: dict[str, Any], tag: str | None, description: str | None) -> "DotExpanderProcessor":
        check_options(cls.type, options, {"field", "path", "override"})
        field = read_string(options, "field")
        assert field is not None
        if "." not in field and field != "*":
            raise PipelineConfigError("[field] field does not contain a dot and is not a wildcard")
        if field.startswith(".") or field.endswith("."):
            raise PipelineConfigError("[field] Field can't start or end with a dot")
        if ".." in field:
            raise PipelineConfigError("[field] No space between dots")
        return cls(
            field,
            read_string(options, "path", required=False),
            read_bool(options, "override", False),
            tag=tag,
            description=description,
        )

    def execute(self, document: IngestDocument) -> IngestDocument | None:
        try:
            if self.path is not None:
                prefix, parts = self.path.resolve(document)
                holder = get_field(document, parts, prefix)
                if not isinstance(holder, dict):
                    raise cast_error(prefix, holder, "object")
            else:
                prefix, holder = None, document.source
            keys = [k for k in holder if k.find(".") > 0] if self.field == "*" else [self.field]
            for key in keys:
                self._expand(document, holder, key, f"{prefix}.{key}" if prefix else key)
        except _FieldError as exc:
            raise self.fail(str(exc)) from None
        return document

    def _expand(self, document: IngestDocument, holder: dict[str, Any], key: str, path: str) -> None:
        if key not in holder:
            return
        parts = field_path(path)
        if has_field(document, parts, path):
            value = holder.pop(key)
            if self.override:
                set_field(document, parts, path, value)
            else:
                append_values(document, parts, path, value, True)
            return
        # a value on the way cannot become an object: say so instead of a put error
        for end in range(1, len(parts)):
            partial = ".".join(parts[:end])
            if not has_field(document, parts[:end], partial):
                break
            if not isinstance(get_field(document, parts[:end], partial), dict):
                raise field_error(
                    f"cannot expand [{path}], because [{partial}] is not an object field, but a value field"
                )
        set_field(document, parts, path, holder.pop(key))
