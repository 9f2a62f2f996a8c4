"""The ``kv`` processor: ``a=1 b=2`` split into fields.

Splits are Java regexes cut as ``String.split`` cuts; a key that is already
in the document gets the value appended (:func:`.append.append_values`),
as in Elasticsearch, so a repeated key becomes a list.
"""

from __future__ import annotations

from typing import Any, ClassVar, Pattern

from ..document import IngestDocument
from ..errors import PipelineConfigError
from .append import append_values
from .builtins import _Builtin, _FieldError, _FieldName, check_options, get_field, has_field, read_bool, read_string, set_field
from .field_base import cast_error, field_error, field_path, read_regex, read_strings
from .javaisms import compile_java_regex, java_split

__all__ = ["KeyValueProcessor"]


class KeyValueProcessor(_Builtin):
    """``kv``: ``a=1 b=2`` into fields ``a`` and ``b`` (under ``target_field``,
    names after ``prefix``). ``field_split`` and ``value_split`` are Java
    regexes; a repeated key becomes a list."""

    type = "kv"
    OPTIONS: ClassVar[frozenset[str]] = frozenset(
        {"field", "target_field", "field_split", "value_split", "include_keys", "exclude_keys", "ignore_missing",
         "trim_key", "trim_value", "strip_brackets", "prefix"}
    )
    _BRACKETS = compile_java_regex("(^[\\(\\[<\"'])|([\\]\\)>\"']$)")

    def __init__(self, options: dict[str, Any], *, tag: str | None = None, description: str | None = None) -> None:
        super().__init__(tag=tag, description=description)
        field = read_string(options, "field")
        assert field is not None
        self.field = _FieldName(field, "field")
        target = read_string(options, "target_field", required=False)
        self.target_field = _FieldName(target, "target_field") if target is not None else None
        self.value_split_text = read_string(options, "value_split")
        field_split = read_regex(options, "field_split")
        value_split = read_regex(options, "value_split")
        self.field_split = field_split
        self.value_split = value_split
        include = read_strings(options, "include_keys", required=False)
        exclude = read_strings(options, "exclude_keys", required=False)
        self.include = frozenset(include) if include is not None else None
        self.exclude = frozenset(exclude) if exclude is not None else frozenset()
        self.trim_key = self._trimmer(options, "trim_key")
        self.trim_value = self._trimmer(options, "trim_value")
        self.strip_brackets = read_bool(options, "strip_brackets", False)
        self.prefix = read_string(options, "prefix", required=False) or ""
        self.ignore_missing = read_bool(options, "ignore_missing", False)

    @staticmethod
    def _trimmer(options: dict[str, Any], name: str) -> "Pattern[str] | None":
        chars = read_string(options, name, required=False)
        if chars is None:
            return None
        try:
            return compile_java_regex(f"(^([{chars}]+))|([{chars}]+$)")
        except ValueError as exc:
            raise PipelineConfigError(f"[{name}] Invalid regex pattern. {exc}") from None

    @classmethod
    def create(cls, options: dict[str, Any], tag: str | None, description: str | None) -> "KeyValueProcessor":
        check_options(cls.type, options, set(cls.OPTIONS))
        return cls(options, tag=tag, description=description)

    def execute(self, document: IngestDocument) -> IngestDocument | None:
        try:
            self._execute(document)
        except _FieldError as exc:
            raise self.fail(str(exc)) from None
        return document

    def _execute(self, document: IngestDocument) -> None:
        target = self.target_field.resolve(document)[0] if self.target_field is not None else ""
        prefix = f"{target}.{self.prefix}" if target else self.prefix
        path = self.field.template.render(document)
        if not path or not has_field(document, field_path(path), path, fail_out_of_range=True):
            if self.ignore_missing:
                return
            raise field_error(f"field [{path}] doesn't exist")
        value = get_field(document, field_path(path), path)
        if value is None:
            if self.ignore_missing:
                return
            raise field_error(f"field [{path}] is null, cannot extract key-value pairs.")
        if not isinstance(value, str):
            raise cast_error(path, value, "string")
        for part in java_split(self.field_split, value):
            pair = java_split(self.value_split, part, 2)
            if len(pair) != 2:
                raise field_error(f"field [{path}] does not contain value_split [{self.value_split_text}]")
            key = self.trim_key.sub("", pair[0]) if self.trim_key is not None else pair[0]
            if (self.include is not None and key not in self.include) or key in self.exclude:
                continue
            text = self._BRACKETS.sub("", pair[1]) if self.strip_brackets else pair[1]
            if self.trim_value is not None:
                text = self.trim_value.sub("", text)
            name = prefix + key
            parts = field_path(name)
            if has_field(document, parts, name):
                append_values(document, parts, name, text, True)
            else:
                set_field(document, parts, name, text)
