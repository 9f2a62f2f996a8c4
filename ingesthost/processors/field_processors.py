"""Elasticsearch's common processors: the ones most real pipelines use besides
``set``/``remove``/``rename``.

Most of them share one shape, Elasticsearch's ``AbstractStringProcessor``
and friends: read ``field``, fail on a missing field unless
``ignore_missing``, fail on ``null`` with the processor's own sentence,
transform, write ``target_field`` (default: ``field``). That shape is
:class:`FieldProcessor`; each processor below is a small subclass that
names its options and its transformation. String processors
(:class:`StringProcessor`) apply to each element of a list, as in
Elasticsearch.

Messages are Elasticsearch's, with JSON type names (``[number]``) where
Elasticsearch names Java classes (``[java.lang.Integer]``), as the other
built-ins do. Field options may be templates (``{{field}}``).
"""

from __future__ import annotations

import base64
import hashlib
import importlib
import ipaddress
import json
import math
import struct
from typing import TYPE_CHECKING, Any, Callable, ClassVar, Pattern, Sequence

from ..condition import java_equals, java_string
from ..document import IngestDocument, json_type, parse_path
from ..errors import FieldPathError, PipelineConfigError
from .base import Processor
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
    read_string,
    read_value_options,
    set_field,
)
from .dissect import DissectError, DissectPattern
from .javaisms import (
    compile_java_regex,
    html_strip,
    java_replacement,
    java_split,
    java_trim,
    murmur3_x64_128,
    parse_byte_size,
    parse_java_double,
    parse_java_float,
    parse_java_int,
    url_decode,
    utf16_key,
)

if TYPE_CHECKING:  # pragma: no cover
    from ..config import PipelineBuilder

__all__ = ["COMMON_PROCESSORS", "FieldProcessor", "ForEachProcessor", "StringProcessor", "foreach_factory"]

Factory = Callable[[dict[str, Any], "str | None", "str | None"], Processor]


def _error(message: str) -> _FieldError:
    return _FieldError(message)


def _cast_error(path: str, value: Any, wanted: str) -> _FieldError:
    """Elasticsearch's ``getFieldValue(path, Class)`` refusal, with JSON type names."""
    return _error(f"field [{path}] of type [{json_type(value)}] cannot be cast to [{wanted}]")


def _read_strings(options: dict[str, Any], name: str, *, required: bool) -> list[str] | None:
    """A list of strings (Elasticsearch's ``readList``/``readOptionalList``)."""
    value = options.get(name)
    if value is None:
        if required:
            raise PipelineConfigError(f"[{name}] required property is missing")
        return None
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise PipelineConfigError(f"[{name}] property isn't a list, but of type [{json_type(value)}]")
    return value


def _regex(options: dict[str, Any], name: str) -> "Pattern[str]":
    text = read_string(options, name)
    assert text is not None
    try:
        return compile_java_regex(text)
    except ValueError as exc:
        raise PipelineConfigError(f"[{name}] Invalid regex pattern. {exc}") from None


# -- the shared shape ---------------------------------------------------------------------


class FieldProcessor(_Builtin):
    """Read ``field``, handle missing and null as Elasticsearch does, hand the value on.

    Subclasses set :attr:`type`, :attr:`options` (their own option names),
    :attr:`null_message`, and implement :meth:`configure` (read their
    options) and :meth:`transform` (the new value), or :meth:`write` when
    the result is not one value for ``target_field``.
    """

    #: Options besides field/target_field/ignore_missing and the common ones.
    options: ClassVar[frozenset[str]] = frozenset()
    #: Whether Elasticsearch's processor has ``target_field`` / ``ignore_missing``.
    takes_target: ClassVar[bool] = True
    takes_ignore_missing: ClassVar[bool] = True
    #: The failure for a null value (``{field}`` is the path).
    null_message: ClassVar[str] = "field [{field}] is null, cannot process it."

    def null_error(self, path: str) -> str:
        """Why a null value fails this processor."""
        return self.null_message.format(field=path)

    def __init__(
        self,
        field: str,
        *,
        target_field: str | None = None,
        ignore_missing: bool = False,
        tag: str | None = None,
        description: str | None = None,
    ) -> None:
        super().__init__(tag=tag, description=description)
        self.field = _FieldName(field, "field")
        self.target_field = _FieldName(target_field, "target_field") if target_field is not None else None
        self.ignore_missing = ignore_missing

    @classmethod
    def create(cls, options: dict[str, Any], tag: str | None, description: str | None) -> "FieldProcessor":
        allowed = {"field"} | set(cls.options)
        allowed |= {"target_field"} if cls.takes_target else set()
        allowed |= {"ignore_missing"} if cls.takes_ignore_missing else set()
        check_options(cls.type, options, allowed)
        field = read_string(options, "field")
        assert field is not None
        processor = cls(
            field,
            target_field=read_string(options, "target_field", required=False) if cls.takes_target else None,
            ignore_missing=read_bool(options, "ignore_missing", False) if cls.takes_ignore_missing else False,
            tag=tag,
            description=description,
        )
        processor.configure(options)
        return processor

    def configure(self, options: dict[str, Any]) -> None:
        """Read the processor's own options (raise PipelineConfigError)."""

    def execute(self, document: IngestDocument) -> IngestDocument | None:
        try:
            path, parts = self.field.resolve(document)
            value = get_field(document, parts, path, ignore_missing=self.ignore_missing)
            if value is None:
                if self.ignore_missing:
                    return document
                raise _error(self.null_error(path))
            self.write(document, value, path, parts)
        except _FieldError as exc:
            raise self.fail(str(exc)) from None
        except ValueError as exc:  # a conversion or parse refused the value
            raise self.fail(str(exc)) from None
        return document

    def write(self, document: IngestDocument, value: Any, path: str, parts: list[str]) -> None:
        """Put the transformed value at ``target_field`` (default: the field itself)."""
        if self.target_field is not None:
            path, parts = self.target_field.resolve(document)
        set_field(document, parts, path, self.transform(value, path))

    def transform(self, value: Any, path: str) -> Any:
        raise NotImplementedError


class StringProcessor(FieldProcessor):
    """Elasticsearch's ``AbstractStringProcessor``: a string, or each string of a list."""

    def transform(self, value: Any, path: str) -> Any:
        if isinstance(value, list):
            out = []
            for item in value:
                if not isinstance(item, str):
                    raise _error(
                        f"value [{java_string(item)}] of type [{json_type(item)}] in list field [{path}] "
                        f"cannot be cast to [string]"
                    )
                out.append(self.process(item))
            return out
        if not isinstance(value, str):
            raise _cast_error(path, value, "string")
        return self.process(value)

    def process(self, value: str) -> Any:
        raise NotImplementedError


# -- string processors -------------------------------------------------------------------------


class LowercaseProcessor(StringProcessor):
    """``lowercase`` (Java's ``toLowerCase(Locale.ROOT)``)."""

    type = "lowercase"

    def process(self, value: str) -> str:
        return value.lower()


class UppercaseProcessor(StringProcessor):
    """``uppercase`` (Java's ``toUpperCase(Locale.ROOT)``)."""

    type = "uppercase"

    def process(self, value: str) -> str:
        return value.upper()


class TrimProcessor(StringProcessor):
    """``trim``: Java's ``String.trim``, which strips only characters up to U+0020."""

    type = "trim"

    def process(self, value: str) -> str:
        return java_trim(value)


class HtmlStripProcessor(StringProcessor):
    """``html_strip``: tags out (block-level ones as a line break), entities decoded."""

    type = "html_strip"

    def process(self, value: str) -> str:
        return html_strip(value)


class UrlDecodeProcessor(StringProcessor):
    """``urldecode``: ``java.net.URLDecoder`` with UTF-8 (``+`` is a space)."""

    type = "urldecode"

    def process(self, value: str) -> str:
        return url_decode(value)


class BytesProcessor(StringProcessor):
    """``bytes``: ``1kb`` -> 1024, with Elasticsearch's ``ByteSizeValue`` rules."""

    type = "bytes"

    def process(self, value: str) -> int:
        return parse_byte_size(value)


class GsubProcessor(StringProcessor):
    """``gsub``: ``pattern`` (a Java regex) replaced by ``replacement`` (``$1`` groups)."""

    type = "gsub"
    options = frozenset({"pattern", "replacement"})

    def configure(self, options: dict[str, Any]) -> None:
        self.pattern = _regex(options, "pattern")
        replacement = read_string(options, "replacement")
        assert replacement is not None
        try:
            self.replacement = java_replacement(replacement, self.pattern)
        except ValueError as exc:
            raise PipelineConfigError(f"[replacement] {exc}") from None

    def process(self, value: str) -> str:
        return self.pattern.sub(self.replacement, value)


# -- other one-field processors -------------------------------------------------------------


class SplitProcessor(FieldProcessor):
    """``split``: a string cut on ``separator`` (a Java regex) into a list;
    trailing empty parts dropped unless ``preserve_trailing``."""

    type = "split"
    options = frozenset({"separator", "preserve_trailing"})
    null_message = "field [{field}] is null, cannot split."

    def configure(self, options: dict[str, Any]) -> None:
        self.separator = _regex(options, "separator")
        self.limit = -1 if read_bool(options, "preserve_trailing", False) else 0

    def transform(self, value: Any, path: str) -> Any:
        if not isinstance(value, str):
            raise _cast_error(path, value, "string")
        return java_split(self.separator, value, self.limit)


class JoinProcessor(FieldProcessor):
    """``join``: the elements of a list as strings, with ``separator`` between them."""

    type = "join"
    options = frozenset({"separator"})
    takes_ignore_missing = False
    null_message = "field [{field}] is null, cannot join."

    def configure(self, options: dict[str, Any]) -> None:
        self.separator = read_string(options, "separator")

    def transform(self, value: Any, path: str) -> Any:
        if not isinstance(value, list):
            raise _cast_error(path, value, "array")
        if any(item is None for item in value):
            raise _error(f"field [{path}] holds a null element, cannot join.")
        assert self.separator is not None
        return self.separator.join(java_string(item) for item in value)


class SortProcessor(FieldProcessor):
    """``sort``: a list's elements in ``order`` (``asc`` default, or ``desc``).
    Strings sort as Java's ``compareTo`` (UTF-16 order); numbers together;
    other mixes are refused, as Java's ``ClassCastException`` refuses them."""

    type = "sort"
    options = frozenset({"order"})
    takes_ignore_missing = False
    null_message = "field [{field}] is null, cannot sort."

    def configure(self, options: dict[str, Any]) -> None:
        order = read_string(options, "order", required=False) or "asc"
        if order not in ("asc", "desc"):
            raise PipelineConfigError(f"[order] Sort direction [{order}] not recognized. Valid values are: [asc, desc]")
        self.descending = order == "desc"

    def transform(self, value: Any, path: str) -> Any:
        if not isinstance(value, list):
            raise _cast_error(path, value, "array")
        kinds = {_sort_kind(item) for item in value}
        if len(kinds) > 1 or None in kinds:
            names = ", ".join(sorted(json_type(item) for item in {id(i): i for i in value}.values()))
            raise _error(f"field [{path}] cannot be sorted: its elements cannot be compared ({names})")
        key = utf16_key if kinds == {"string"} else None
        return sorted(value, key=key, reverse=self.descending)


def _sort_kind(value: Any) -> str | None:
    """Which elements Java can compare with each other (None: none, lists and maps)."""
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, (int, float)):
        return "number"
    if isinstance(value, str):
        return "string"
    return None


class ConvertProcessor(FieldProcessor):
    """``convert``: to ``integer``, ``long``, ``float``, ``double``, ``boolean``,
    ``string``, ``ip`` or ``auto``, with Java's parsing rules (each element of a list)."""

    type = "convert"
    options = frozenset({"type"})
    TYPES: ClassVar[tuple[str, ...]] = ("integer", "long", "double", "float", "boolean", "ip", "string", "auto")

    def configure(self, options: dict[str, Any]) -> None:
        kind = read_string(options, "type")
        assert kind is not None
        if kind.lower() not in self.TYPES:
            raise PipelineConfigError(f"[type] type [{kind}] not supported, cannot convert field.")
        self.kind = kind.lower()

    def null_error(self, path: str) -> str:
        return f"Field [{path}] is null, cannot be converted to type [{self.kind}]"

    def transform(self, value: Any, path: str) -> Any:
        if isinstance(value, list):
            return [self.convert(item) for item in value]
        return self.convert(value)

    def convert(self, value: Any) -> Any:
        if value is None:
            raise _error(f"cannot convert a null element to [{self.kind}]")
        return getattr(self, "_to_" + self.kind)(value)

    @staticmethod
    def _checked(number: float, text: str, kind: str) -> float:
        if math.isnan(number) or math.isinf(number):
            raise _error(f"unable to convert [{text}] to {kind}: documents cannot hold NaN or infinities")
        return number

    def _to_integer(self, value: Any) -> Any:
        try:
            return parse_java_int(java_string(value), 32)
        except ValueError:
            raise _error(f"unable to convert [{java_string(value)}] to integer") from None

    def _to_long(self, value: Any) -> Any:
        try:
            return parse_java_int(java_string(value), 64)
        except ValueError:
            raise _error(f"unable to convert [{java_string(value)}] to long") from None

    def _to_double(self, value: Any) -> Any:
        text = java_string(value)
        try:
            number = parse_java_double(text)
        except ValueError:
            raise _error(f"unable to convert [{text}] to double") from None
        return self._checked(number, text, "double")

    def _to_float(self, value: Any) -> Any:
        text = java_string(value)
        try:
            number = parse_java_float(text)
        except ValueError:
            raise _error(f"unable to convert [{text}] to float") from None
        return self._checked(number, text, "float")

    def _to_boolean(self, value: Any) -> Any:
        text = java_string(value)
        if text.lower() == "true":
            return True
        if text.lower() == "false":
            return False
        raise _error(f"[{text}] is not a boolean value, cannot convert to boolean")

    def _to_ip(self, value: Any) -> Any:
        if not isinstance(value, str):
            raise _error(f"[{java_string(value)}] of type [{json_type(value)}] cannot be cast to [string]")
        try:
            ipaddress.ip_address(value)
        except ValueError:
            raise _error(f"'{value}' is not an IP string literal.") from None
        return value

    def _to_string(self, value: Any) -> Any:
        return java_string(value)

    def _to_auto(self, value: Any) -> Any:
        if not isinstance(value, str):
            return value
        for convert in (self._to_boolean, self._to_integer, self._to_long, self._to_float, self._to_double):
            try:
                return convert(value)
            except _FieldError:
                continue
        return value


class DissectProcessor(FieldProcessor):
    """``dissect``: split a string by a dissect ``pattern`` into fields."""

    type = "dissect"
    options = frozenset({"pattern", "append_separator"})
    takes_target = False

    def configure(self, options: dict[str, Any]) -> None:
        pattern = read_string(options, "pattern")
        separator = read_string(options, "append_separator", required=False) or ""
        assert pattern is not None
        try:
            self.pattern = DissectPattern(pattern, separator)
        except DissectError as exc:
            raise PipelineConfigError(f"[pattern] {exc}") from None

    def write(self, document: IngestDocument, value: Any, path: str, parts: list[str]) -> None:
        if not isinstance(value, str):
            raise _cast_error(path, value, "string")
        for name, result in self.pattern.parse(value).items():
            set_field(document, _path(name), name, result)


def _path(name: str) -> list[str]:
    """A field name computed from the document (a dissect or kv key) as a path."""
    try:
        return parse_path(name)
    except FieldPathError as exc:
        raise _error(str(exc)) from None


# -- json ----------------------------------------------------------------------------------------


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
                    raise _error("cannot add non-map fields to root of document")
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
            raise _error(f"cannot parse [{text}] as JSON: {getattr(exc, 'msg', exc)}") from None
        except _DuplicateKey as exc:
            raise _error(f"Duplicate field '{exc}'") from None
        if self.strict and text[end:].strip(" \t\r\n"):
            raise _error(f"The input {text} is not valid JSON and the strict_json_parsing parameter is true")
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


# -- append ------------------------------------------------------------------------------------


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
                if self.ignore_empty_values and not has_field(document, source_parts, source):
                    value = None  # a missing source is an empty value: nothing to append
                else:
                    value = deep_copy(get_field(document, source_parts, source))
            else:
                assert self.value is not None
                value = self.value.resolve(document)
            append_values(document, parts, path, value, self.allow_duplicates, self.ignore_empty_values)
        except _FieldError as exc:
            raise self.fail(str(exc)) from None
        return document


# -- dot_expander ------------------------------------------------------------------------------


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
                    raise _cast_error(prefix, holder, "object")
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
        parts = _path(path)
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
                raise _error(f"cannot expand [{path}], because [{partial}] is not an object field, but a value field")
        set_field(document, parts, path, holder.pop(key))


# -- fingerprint ---------------------------------------------------------------------------------

_DELIMITER, _TRUE, _FALSE = b"\x00", b"\x01", b"\x02"
_DIGESTS: dict[str, Callable[[bytes], bytes]] = {
    "MD5": lambda data: hashlib.md5(data).digest(),
    "SHA-1": lambda data: hashlib.sha1(data).digest(),
    "SHA-256": lambda data: hashlib.sha256(data).digest(),
    "SHA-512": lambda data: hashlib.sha512(data).digest(),
    "MurmurHash3": murmur3_x64_128,
}


def _fingerprint_bytes(value: Any) -> bytes:
    """Elasticsearch's ``FingerprintProcessor.toBytes`` for JSON values: UTF-8
    strings, little-endian Integer (4 bytes) / Long (8) / Double (8), 1 or 2
    for booleans, nothing for null."""
    if isinstance(value, str):
        return value.encode("utf-8", "surrogatepass")
    if isinstance(value, bool):
        return _TRUE if value else _FALSE
    if isinstance(value, int):
        if -(2**31) <= value < 2**31:
            return struct.pack("<i", value)
        return struct.pack("<q", value)
    if isinstance(value, float):
        return struct.pack("<d", value)
    if value is None:
        return b""
    raise _error(f"cannot convert object of type [{json_type(value)}] to bytes")


class FingerprintProcessor(_Builtin):
    """``fingerprint``: a hash (base64) of ``fields`` and everything inside them,
    byte for byte what Elasticsearch hashes: ``salt``, then for each field in
    sorted order (objects by sorted key, lists in order) a 0 byte and the
    value's bytes (a key's bytes before its value)."""

    type = "fingerprint"

    def __init__(
        self,
        fields: Sequence[str],
        target_field: str,
        salt: bytes,
        method: str,
        ignore_missing: bool,
        *,
        tag: str | None = None,
        description: str | None = None,
    ) -> None:
        super().__init__(tag=tag, description=description)
        self.fields = [_FieldName(f, "fields") for f in sorted(fields, key=utf16_key)]
        self.target_field = _FieldName(target_field, "target_field")
        self.salt = salt
        self.digest = _DIGESTS[method]
        self.ignore_missing = ignore_missing

    @classmethod
    def create(cls, options: dict[str, Any], tag: str | None, description: str | None) -> "FingerprintProcessor":
        check_options(cls.type, options, {"fields", "target_field", "salt", "method", "ignore_missing"})
        fields = _read_strings(options, "fields", required=True)
        assert fields is not None
        if not fields:
            raise PipelineConfigError("[fields] must specify at least one field")
        salt = read_string(options, "salt", required=False) or ""
        method = read_string(options, "method", required=False) or "SHA-1"
        if method not in _DIGESTS:
            raise PipelineConfigError(
                f"[method] [{method}] must be one of the supported hash methods [{','.join(_DIGESTS)}]"
            )
        return cls(
            fields,
            read_string(options, "target_field", required=False) or "fingerprint",
            salt.encode("utf-8") if salt.strip() else b"",
            method,
            read_bool(options, "ignore_missing", False),
            tag=tag,
            description=description,
        )

    def execute(self, document: IngestDocument) -> IngestDocument | None:
        try:
            values = []
            for field in self.fields:
                path, parts = field.resolve(document)
                value = get_field(document, parts, path, ignore_missing=True)
                if value is None:
                    if self.ignore_missing:
                        continue
                    raise _error(f"missing field [{path}] when calculating fingerprint")
                values.append(value)
            if values:
                chunks = [self.salt]
                stack: list[Any] = list(reversed(values))
                while stack:
                    value = stack.pop()
                    if isinstance(value, list):
                        stack.extend(reversed(value))
                    elif isinstance(value, dict):
                        for key in sorted(value, key=utf16_key, reverse=True):
                            stack.append(value[key])
                            stack.append(_MapKey(key))
                    elif isinstance(value, _MapKey):
                        chunks += (_DELIMITER, value.encode("utf-8", "surrogatepass"))
                    else:
                        chunks += (_DELIMITER, _fingerprint_bytes(value))
                digest = self.digest(b"".join(chunks))
                target, target_parts = self.target_field.resolve(document)
                set_field(document, target_parts, target, base64.b64encode(digest).decode("ascii"))
        except _FieldError as exc:
            raise self.fail(str(exc)) from None
        return document


class _MapKey(str):
    """A map key on the fingerprint's stack (hashed as its bytes, then its value follows)."""

    __slots__ = ()


# -- kv -----------------------------------------------------------------------------------------


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
        field_split = _regex(options, "field_split")
        value_split = _regex(options, "value_split")
        self.field_split = field_split
        self.value_split = value_split
        include = _read_strings(options, "include_keys", required=False)
        exclude = _read_strings(options, "exclude_keys", required=False)
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
        if not path or not has_field(document, _path(path), path, fail_out_of_range=True):
            if self.ignore_missing:
                return
            raise _error(f"field [{path}] doesn't exist")
        value = get_field(document, _path(path), path)
        if value is None:
            if self.ignore_missing:
                return
            raise _error(f"field [{path}] is null, cannot extract key-value pairs.")
        if not isinstance(value, str):
            raise _cast_error(path, value, "string")
        for part in java_split(self.field_split, value):
            pair = java_split(self.value_split, part, 2)
            if len(pair) != 2:
                raise _error(f"field [{path}] does not contain value_split [{self.value_split_text}]")
            key = self.trim_key.sub("", pair[0]) if self.trim_key is not None else pair[0]
            if (self.include is not None and key not in self.include) or key in self.exclude:
                continue
            text = self._BRACKETS.sub("", pair[1]) if self.strip_brackets else pair[1]
            if self.trim_value is not None:
                text = self.trim_value.sub("", text)
            name = prefix + key
            parts = _path(name)
            if has_field(document, parts, name):
                append_values(document, parts, name, text, True)
            else:
                set_field(document, parts, name, text)


# -- foreach ------------------------------------------------------------------------------------


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


def _deferred(module: str, name: str) -> Factory:
    """The factory of a processor living in its own module (``dates``, ``grok``),
    imported when a pipeline first uses it: those modules build on this one."""

    def create(options: dict[str, Any], tag: "str | None", description: "str | None") -> Processor:
        cls = getattr(importlib.import_module(f"{__package__}.{module}"), name)
        return cls.create(options, tag, description)

    return create


#: type -> factory(options, tag, description), registered next to the built-ins.
COMMON_PROCESSORS: dict[str, Factory] = {
    cls.type: cls.create
    for cls in (
        AppendProcessor,
        BytesProcessor,
        ConvertProcessor,
        DissectProcessor,
        DotExpanderProcessor,
        FingerprintProcessor,
        GsubProcessor,
        HtmlStripProcessor,
        JoinProcessor,
        JsonProcessor,
        KeyValueProcessor,
        LowercaseProcessor,
        SortProcessor,
        SplitProcessor,
        TrimProcessor,
        UppercaseProcessor,
        UrlDecodeProcessor,
    )
}
COMMON_PROCESSORS["date"] = _deferred("dates", "DateProcessor")
COMMON_PROCESSORS["grok"] = _deferred("grok", "GrokProcessor")
COMMON_PROCESSORS["community_id"] = _deferred("community_id", "CommunityIdProcessor")
COMMON_PROCESSORS["csv"] = _deferred("csv", "CsvProcessor")
COMMON_PROCESSORS["uri_parts"] = _deferred("uri_parts", "UriPartsProcessor")
