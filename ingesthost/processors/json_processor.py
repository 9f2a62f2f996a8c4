"""The ``json`` processor: a field's JSON text parsed into the document.

Named ``json_processor`` rather than ``json`` so that it is never mistaken
for the standard library module it uses. Elasticsearch's rules kept here:
duplicate keys refused unless allowed, NaN and infinities refused (a
document must stay writable as JSON), lenient parsing reading only the
first value, and ``recursiveMerge`` for ``add_to_root_conflict_strategy: merge``.
"""

from __future__ import annotations

import json
from typing import Any

from ..condition import java_string
from ..document import IngestDocument
from ..errors import PipelineConfigError
from .builtins import _Builtin, _FieldError, _FieldName, check_options, get_field, read_bool, read_string, set_field
from .field_base import field_error

__all__ = ["JsonProcessor"]


class JsonProcessor(_Builtin):
    """``json``: parse a field's JSON text, into ``target_field`` or (``add_to_root``)
    into the document's top level, replacing or (``merge``) merging what is there.
    Duplicate keys are an error unless ``allow_duplicate_keys`` (the last wins);
    with ``strict_json_parsing: false`` only the first value is read (``123 foo`` is 123).
    As in Elasticsearch, ``add_to_root`` reads ``field`` as a top-level key."""

    type = "json"

    def __init__(
        self,
        field: str,
        target_field: str | None,
        *,
        add_to_root: bool,
        merge: bool,
        allow_duplicate_keys: bool,
        strict: bool,
        tag: str | None = None,
        description: str | None = None,
    ) -> None:
        super().__init__(tag=tag, description=description)
        self.field = _FieldName(field, "field")
        self.target_field = _FieldName(target_field or field, "target_field")
        self.add_to_root = add_to_root
        self.merge = merge
        self.allow_duplicate_keys = allow_duplicate_keys
        self.strict = strict

    @classmethod
    def create(cls, options: dict[str, Any], tag: str | None, description: str | None) -> "JsonProcessor":
        check_options(
            cls.type,
            options,
            {"field", "target_field", "add_to_root", "add_to_root_conflict_strategy", "allow_duplicate_keys", "strict_json_parsing"},
        )
        field = read_string(options, "field")
        target = read_string(options, "target_field", required=False)
        add_to_root = read_bool(options, "add_to_root", False)
        strategy = read_string(options, "add_to_root_conflict_strategy", required=False)
        if strategy is not None and strategy.lower() not in ("replace", "merge"):
            raise PipelineConfigError(
                f"[add_to_root_conflict_strategy] conflict strategy [{strategy}] not supported, cannot convert field."
            )
        if add_to_root and target is not None:
            raise PipelineConfigError("[target_field] Cannot set a target field while also setting `add_to_root` to true")
        if not add_to_root and strategy is not None:
            raise PipelineConfigError(
                "[add_to_root_conflict_strategy] Cannot set `add_to_root_conflict_strategy` if `add_to_root` is false"
            )
        assert field is not None
        return cls(
            field,
            target,
            add_to_root=add_to_root,
            merge=(strategy or "replace").lower() == "merge",
            allow_duplicate_keys=read_bool(options, "allow_duplicate_keys", False),
            strict=read_bool(options, "strict_json_parsing", True),
            tag=tag,
            description=description,
        )

    def execute(self, document: IngestDocument) -> IngestDocument | None:
        try:
            path, parts = self.field.resolve(document)
            if self.add_to_root:
                value = self.parse(document.source.get(path))
                if not isinstance(value, dict):
                    raise field_error("cannot add non-map fields to root of document")
                if self.merge:
                    _merge(document.source, value)
                else:
                    document.source.update(value)
            else:
                value = self.parse(get_field(document, parts, path))
                target, target_parts = self.target_field.resolve(document)
                set_field(document, target_parts, target, value)
        except _FieldError as exc:
            raise self.fail(str(exc)) from None
        return document

    def parse(self, raw: Any) -> Any:
        text = "null" if raw is None else java_string(raw)
        hook = None if self.allow_duplicate_keys else _no_duplicates
        decoder = json.JSONDecoder(object_pairs_hook=hook, parse_constant=_no_constant)
        start = len(text) - len(text.lstrip(" \t\r\n"))
        try:
            value, end = decoder.raw_decode(text, start)
        except (json.JSONDecodeError, RecursionError) as exc:
            raise field_error(f"cannot parse [{text}] as JSON: {getattr(exc, 'msg', exc)}") from None
        except _DuplicateKey as exc:
            raise field_error(f"Duplicate field '{exc}'") from None
        if self.strict and text[end:].strip(" \t\r\n"):
            raise field_error(f"The input {text} is not valid JSON and the strict_json_parsing parameter is true")
        return value


class _DuplicateKey(ValueError):
    pass


def _no_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in pairs:
        if key in out:
            raise _DuplicateKey(key)
        out[key] = value
    return out


def _no_constant(name: str) -> Any:
    raise json.JSONDecodeError(f"{name} is not a JSON value", name, 0)


def _merge(target: dict[str, Any], source: dict[str, Any]) -> None:
    """Elasticsearch's ``recursiveMerge``: objects merge key by key, anything else replaces."""
    for key, value in source.items():
        existing = target.get(key)
        if isinstance(existing, dict) and isinstance(value, dict):
            _merge(existing, value)
        else:
            target[key] = value
