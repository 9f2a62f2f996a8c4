"""The built-in processors pipelines need around wasm ones: ``set``, ``remove``,
``rename``, ``drop``, ``fail`` and ``pipeline``.

They are few on purpose (the ``wasm`` processor is the extension point) and
follow Elasticsearch's processors of the same names: the same options, the
same defaults, the same error messages (``field [x] not present as part of
path [x]``, ``field [y] already exists``...). Field names, ``set`` values and
``fail`` messages may be Mustache templates of the simple kind,
``{{field}}`` (JSON-escaped, as Elasticsearch escapes by default) and
``{{{field}}}`` (raw); sections and partials are refused at load.

Each class has a ``create(options, tag, description)`` factory that checks
the options and raises :class:`~ingesthost.errors.PipelineConfigError`
(without a location; the pipeline builder adds file, position and tag).
"""

from __future__ import annotations

import json
import re
import urllib.parse
from typing import TYPE_CHECKING, Any, Callable, Sequence

from ..condition import java_string
from ..document import INGEST_KEY, METADATA_FIELDS, IngestDocument, json_type, parse_path
from ..errors import FieldPathError, PipelineConfigError, ProcessorError
from .base import Processor

if TYPE_CHECKING:  # pragma: no cover
    from ..pipeline import Pipeline

__all__ = [
    "BUILTIN_PROCESSORS",
    "COMMON_OPTIONS",
    "DropProcessor",
    "FailProcessor",
    "PipelineProcessor",
    "RemoveProcessor",
    "RenameProcessor",
    "SetProcessor",
    "Template",
]

#: Options every processor accepts; the pipeline builder handles them.
COMMON_OPTIONS = frozenset({"tag", "description", "if", "ignore_failure", "on_failure"})

_MISSING = object()


# -- options ------------------------------------------------------------------


def check_options(kind: str, options: dict[str, Any], allowed: set[str]) -> None:
    """Refuse options the processor does not know (Elasticsearch refuses them too)."""
    unknown = set(options) - allowed - COMMON_OPTIONS
    if unknown:
        raise PipelineConfigError(
            f"unknown option(s) {', '.join(sorted(map(str, unknown)))} for processor [{kind}]; "
            f"known: {', '.join(sorted(allowed | COMMON_OPTIONS))}"
        )


def read_string(options: dict[str, Any], name: str, *, required: bool = True) -> str | None:
    value = options.get(name)
    if value is None:
        if required:
            raise PipelineConfigError(f"[{name}] required property is missing")
        return None
    if not isinstance(value, str):
        raise PipelineConfigError(f"[{name}] property isn't a string, but of type [{json_type(value)}]")
    return value


#: How deep a ``set`` value may nest (deeper is refused at load, which also catches YAML self-references).
MAX_VALUE_DEPTH = 100


def check_json(value: Any, name: str) -> None:
    """Refuse what JSON cannot hold (YAML gives bytes, dates, sets, non-string keys,
    NaN, self-references): a document must stay writable as JSON."""
    active: set[int] = set()

    def walk(node: Any, depth: int) -> None:
        if depth > MAX_VALUE_DEPTH:
            raise PipelineConfigError(f"[{name}] is nested more than {MAX_VALUE_DEPTH} levels deep")
        if node is None or isinstance(node, (bool, str)):
            return
        if isinstance(node, int):
            return
        if isinstance(node, float):
            if node != node or node in (float("inf"), float("-inf")):
                raise PipelineConfigError(f"[{name}] holds {node!r}, which JSON cannot represent")
            return
        if isinstance(node, (list, dict)):
            if id(node) in active:
                raise PipelineConfigError(f"[{name}] contains itself")
            active.add(id(node))
            if isinstance(node, dict):
                for key, child in node.items():
                    if not isinstance(key, str):
                        raise PipelineConfigError(f"[{name}] has a key that is not a string: {key!r}")
                    walk(child, depth + 1)
            else:
                for child in node:
                    walk(child, depth + 1)
            active.discard(id(node))
            return
        raise PipelineConfigError(f"[{name}] holds a {type(node).__name__}, which is not a JSON value")

    walk(value, 0)


def read_bool(options: dict[str, Any], name: str, default: bool) -> bool:
    value = options.get(name, default)
    if not isinstance(value, bool):
        raise PipelineConfigError(f"[{name}] property isn't a boolean, but of type [{json_type(value)}]")
    return value


# -- templates ------------------------------------------------------------------

_TAG_RE = re.compile(r"\{\{(\{?)(.*?)\}\}(\}?)", re.S)


def _json_escape(text: str) -> str:
    return json.dumps(text, ensure_ascii=False)[1:-1]


_ESCAPERS: dict[str, Callable[[str], str]] = {
    "application/json": _json_escape,
    "text/plain": lambda text: text,
    "application/x-www-form-urlencoded": lambda text: urllib.parse.quote_plus(text, safe="*"),
}


class Template:
    """A string that may hold ``{{field}}``/``{{{field}}}`` references to the document.

    Parsed once. ``{{field}}`` is escaped for ``media_type`` (JSON by
    default, as in Elasticsearch), ``{{{field}}}`` and ``{{&field}}`` never
    are. A missing field renders as the empty string; numbers, booleans,
    lists and objects render as Java's ``toString`` would.
    """

    __slots__ = ("text", "_parts", "_escape")

    def __init__(self, text: str, media_type: str = "application/json") -> None:
        self.text = text
        self._escape = _ESCAPERS[media_type]
        self._parts: list[str | tuple[tuple[str, ...], bool]] = []
        if "{{" not in text:
            self._parts.append(text)
            return
        pos = 0
        for match in _TAG_RE.finditer(text):
            if match.start() > pos:
                self._parts.append(text[pos : match.start()])
            triple_open, name, triple_close = match.groups()
            raw = bool(triple_open)
            if raw and not triple_close:
                raise PipelineConfigError(f"template [{text}]: unclosed '{{{{{{' at {match.start()}")
            name = name.strip()
            if name.startswith("&"):
                raw, name = True, name[1:].strip()
            if not name or name[0] in "#^/!>=":
                raise PipelineConfigError(
                    f"template [{text}]: only {{{{field}}}} and {{{{{{field}}}}}} are supported, "
                    f"found {{{{{match.group(2)}}}}}"
                )
            if name == ".":
                raise PipelineConfigError(f"template [{text}]: {{{{.}}}} needs a section, which is not supported")
            self._parts.append((tuple(name.split(".")), raw))
            pos = match.end()
            if triple_close and not triple_open:
                pos -= 1  # "{{a}}}": the last brace is text
        if "{{" in text[pos:]:
            raise PipelineConfigError(f"template [{text}]: unclosed '{{{{'")
        if pos < len(text):
            self._parts.append(text[pos:])

    @property
    def is_constant(self) -> bool:
        return len(self._parts) <= 1 and all(isinstance(p, str) for p in self._parts)

    def render(self, document: IngestDocument) -> str:
        out: list[str] = []
        for part in self._parts:
            if isinstance(part, str):
                out.append(part)
                continue
            segments, raw = part
            value = _lookup(document, segments)
            text = "" if value is None else java_string(value)
            out.append(text if raw else self._escape(text))
        return "".join(out)

    def __repr__(self) -> str:
        return f"Template({self.text!r})"


def _lookup(document: IngestDocument, segments: Sequence[str]) -> Any:
    """Mustache's dotted-name lookup: lenient, missing anything means None."""
    if segments[0] == INGEST_KEY and len(segments) > 1:
        node: Any = document.ingest
        segments = segments[1:]
    else:
        node = document.source
    for segment in segments:
        if isinstance(node, dict):
            node = node.get(segment)
        elif isinstance(node, list) and segment.isdigit() and int(segment) < len(node):
            node = node[int(segment)]
        else:
            return None
    return node


class _FieldName:
    """A field option: a constant path (split once) or a template rendered per document."""

    __slots__ = ("template", "path", "parts")

    def __init__(self, text: str, option: str) -> None:
        self.template = Template(text)
        if self.template.is_constant:
            self.path = text
            try:
                self.parts: list[str] | None = parse_path(text)
            except FieldPathError as exc:
                raise PipelineConfigError(f"[{option}] {exc}") from None
        else:
            self.path = text
            self.parts = None

    def resolve(self, document: IngestDocument) -> tuple[str, list[str]]:
        if self.parts is not None:
            return self.path, self.parts
        path = self.template.render(document)
        try:
            return path, parse_path(path)
        except FieldPathError as exc:
            raise _field_error(str(exc)) from None

    def renders_empty(self, document: IngestDocument) -> bool:
        """Whether a template renders to the empty path here (its fields are
        missing): Elasticsearch's ``hasField("")`` is false, so a processor
        that first asks whether its field exists, with ``ignore_missing``,
        leaves the document as it is."""
        return self.parts is None and self.template.render(document) == ""


# -- Elasticsearch's field access rules (IngestDocument) -------------------------------


class _FieldError(Exception):
    """A field problem, turned into a ProcessorError by the processor that hit it."""


def _field_error(message: str) -> _FieldError:
    return _FieldError(message)


def _root(document: IngestDocument, parts: Sequence[str]) -> tuple[Any, Sequence[str]]:
    """Where a path starts: the source, or ``_ingest`` metadata (the document's own rule)."""
    return document.root(parts)


def _checked_index(segment: str, length: int, path: str) -> int:
    """A list index in range, or Elasticsearch's error for it."""
    index = _list_index(segment)
    if index is None:
        raise _field_error(f"[{segment}] is not an integer, cannot be used as an index as part of path [{path}]")
    if not 0 <= index < length:
        raise _field_error(_out_of_bounds(index, length, path))
    return index


def _list_index(segment: str) -> int | None:
    if segment.isascii() and (segment.isdigit() or (segment[:1] == "-" and segment[1:].isdigit())):
        return int(segment)
    return None


def has_field(document: IngestDocument, parts: Sequence[str], path: str, fail_out_of_range: bool = False) -> bool:
    """Elasticsearch's ``hasField``: False for anything that does not resolve; with
    ``fail_out_of_range``, a list index past the end is an error instead."""
    node, parts = _root(document, parts)
    for segment in parts[:-1]:
        if isinstance(node, dict):
            node = node.get(segment)
        elif isinstance(node, list):
            index = _list_index(segment)
            if index is None:
                return False
            if not 0 <= index < len(node):
                if fail_out_of_range:
                    raise _field_error(_out_of_bounds(index, len(node), path))
                return False
            node = node[index]
        else:
            return False
    leaf = parts[-1]
    if isinstance(node, dict):
        return leaf in node
    if isinstance(node, list):
        index = _list_index(leaf)
        if index is None:
            return False
        if 0 <= index < len(node):
            return True
        if fail_out_of_range:
            raise _field_error(_out_of_bounds(index, len(node), path))
    return False


def _out_of_bounds(index: int, length: int, path: str) -> str:
    return f"[{index}] is out of bounds for array with length [{length}] as part of path [{path}]"


def _resolve(segment: str, path: str, node: Any) -> Any:
    if node is None:
        raise _field_error(f"cannot resolve [{segment}] from null as part of path [{path}]")
    if isinstance(node, dict):
        value = node.get(segment, _MISSING)
        if value is _MISSING:
            raise _field_error(f"field [{segment}] not present as part of path [{path}]")
        return value
    if isinstance(node, list):
        return node[_checked_index(segment, len(node), path)]
    raise _field_error(f"cannot resolve [{segment}] from object of type [{json_type(node)}] as part of path [{path}]")


def get_field(document: IngestDocument, parts: Sequence[str], path: str, ignore_missing: bool = False) -> Any:
    """Elasticsearch's ``getFieldValue``: the value, or an error saying which segment is missing."""
    node, rest = _root(document, parts)
    for segment in rest:
        try:
            node = _resolve(segment, path, node)
        except _FieldError:
            if ignore_missing and not has_field(document, parts, path):
                return None
            raise
    return node


def remove_field(document: IngestDocument, parts: Sequence[str], path: str) -> None:
    """Elasticsearch's ``removeField``: removes, or says why it cannot."""
    node, rest = _root(document, parts)
    for segment in rest[:-1]:
        node = _resolve(segment, path, node)
    leaf = rest[-1]
    if isinstance(node, dict):
        if leaf not in node:
            raise _field_error(f"field [{leaf}] not present as part of path [{path}]")
        del node[leaf]
        return
    if isinstance(node, list):
        del node[_checked_index(leaf, len(node), path)]
        return
    if node is None:
        raise _field_error(f"cannot remove [{leaf}] from null as part of path [{path}]")
    raise _field_error(f"cannot remove [{leaf}] from object of type [{json_type(node)}] as part of path [{path}]")


def set_field(document: IngestDocument, parts: Sequence[str], path: str, value: Any) -> None:
    """The ABI's put (creates missing objects, never list elements); errors read as Elasticsearch's."""
    try:
        document.put_path(parts, path, value)
    except FieldPathError as exc:
        raise _field_error(str(exc)) from None


def deep_copy(value: Any) -> Any:
    """A copy of a JSON value, so that two documents never share a list or an object."""
    if isinstance(value, dict):
        return {k: deep_copy(v) for k, v in value.items()}
    if isinstance(value, list):
        return [deep_copy(v) for v in value]
    return value


# -- the processors ----------------------------------------------------------------


class _Builtin(Processor):
    """Shared by the built-ins: turn field problems into ProcessorError."""

    def fail(self, message: str) -> ProcessorError:
        return ProcessorError(message, processor_type=self.type, tag=self.tag, kind="field")


class _ValueSource:
    """A ``set`` value: constants are copied per document, strings with ``{{`` rendered."""

    def __init__(self, value: Any, media_type: str) -> None:
        self.templated = False
        self._resolve = self._compile(value, media_type)

    def _compile(self, value: Any, media_type: str) -> Callable[[IngestDocument], Any]:
        if isinstance(value, str) and "{{" in value:
            template = Template(value, media_type)
            self.templated = True
            return template.render
        if isinstance(value, dict):
            items = [(Template(k, media_type), self._compile(v, media_type)) for k, v in value.items()]
            return lambda doc: {k.render(doc): f(doc) for k, f in items}
        if isinstance(value, list):
            funcs = [self._compile(v, media_type) for v in value]
            return lambda doc: [f(doc) for f in funcs]
        return lambda doc: value

    def resolve(self, document: IngestDocument) -> Any:
        return self._resolve(document)


def read_value_options(options: dict[str, Any]) -> tuple[str, str | None, str]:
    """``field``, ``copy_from`` and ``media_type`` of a processor that writes
    ``value`` or a copy of another field (``set``, ``append``), with
    Elasticsearch's rules: exactly one of ``value`` and ``copy_from``."""
    field = read_string(options, "field")
    copy_from = read_string(options, "copy_from", required=False)
    has_value = options.get("value") is not None
    if copy_from is not None and has_value:
        raise PipelineConfigError("[copy_from] cannot set both `copy_from` and `value` in the same processor")
    if copy_from is None and not has_value:
        raise PipelineConfigError("[value] required property is missing")
    if has_value:
        check_json(options["value"], "value")
    media_type = read_string(options, "media_type", required=False) or "application/json"
    if media_type not in _ESCAPERS:
        raise PipelineConfigError(f"[media_type] must be one of {', '.join(_ESCAPERS)}, found [{media_type}]")
    assert field is not None
    return field, copy_from, media_type


class SetProcessor(_Builtin):
    """``set``: put ``value`` (or a copy of ``copy_from``) at ``field``.

    ``override: false`` only sets a field that is absent or null.
    ``ignore_empty_value`` skips a templated value that renders empty, or a
    ``copy_from`` field that is missing, null or empty (as in Elasticsearch,
    a literal ``""`` value is still set).
    """

    type = "set"

    def __init__(
        self,
        field: str,
        value: Any = None,
        *,
        copy_from: str | None = None,
        override: bool = True,
        ignore_empty_value: bool = False,
        media_type: str = "application/json",
        tag: str | None = None,
        description: str | None = None,
    ) -> None:
        super().__init__(tag=tag, description=description)
        self.field = _FieldName(field, "field")
        self.copy_from = _FieldName(copy_from, "copy_from") if copy_from is not None else None
        self.value = _ValueSource(value, media_type) if copy_from is None else None
        self.override = override
        self.ignore_empty_value = ignore_empty_value

    @classmethod
    def create(cls, options: dict[str, Any], tag: str | None, description: str | None) -> "SetProcessor":
        check_options(cls.type, options, {"field", "value", "copy_from", "override", "ignore_empty_value", "media_type"})
        field, copy_from, media_type = read_value_options(options)
        return cls(
            field,
            options.get("value"),
            copy_from=copy_from,
            override=read_bool(options, "override", True),
            ignore_empty_value=read_bool(options, "ignore_empty_value", False),
            media_type=media_type,
            tag=tag,
            description=description,
        )

    def execute(self, document: IngestDocument) -> IngestDocument | None:
        try:
            path, parts = self.field.resolve(document)
            if not self.override and has_field(document, parts, path):
                if get_field(document, parts, path) is not None:
                    return document
            if self.copy_from is not None:
                src_path, src_parts = self.copy_from.resolve(document)
                value = deep_copy(get_field(document, src_parts, src_path, ignore_missing=self.ignore_empty_value))
                if self.ignore_empty_value and (value is None or value == ""):
                    return document
            else:
                assert self.value is not None
                value = self.value.resolve(document)
                if self.ignore_empty_value and self.value.templated and (value is None or value == ""):
                    return document
            set_field(document, parts, path, value)
        except _FieldError as exc:
            raise self.fail(str(exc)) from None
        return document


class RemoveProcessor(_Builtin):
    """``remove``: remove one field or a list of fields, in order; or, with
    ``keep``, every source field except those (and their parents and children).

    A missing field is an error unless ``ignore_missing``; fields removed
    before the error stay removed (as in Elasticsearch). ``keep`` never
    removes the metadata fields (``_index``, ``_id``, ``_routing``).
    """

    type = "remove"

    def __init__(
        self,
        fields: Sequence[str],
        *,
        ignore_missing: bool = False,
        keep: Sequence[str] = (),
        tag: str | None = None,
        description: str | None = None,
    ) -> None:
        super().__init__(tag=tag, description=description)
        self.fields = [_FieldName(f, "field") for f in fields]
        self.keep = [_FieldName(f, "keep") for f in keep]
        self.ignore_missing = ignore_missing

    @classmethod
    def create(cls, options: dict[str, Any], tag: str | None, description: str | None) -> "RemoveProcessor":
        check_options(cls.type, options, {"field", "keep", "ignore_missing"})
        lists = {}
        for name in ("field", "keep"):
            value = options.get(name)
            names = [] if value is None else [value] if isinstance(value, str) else value
            if not isinstance(names, list) or not all(isinstance(f, str) for f in names):
                raise PipelineConfigError(f"[{name}] property isn't a string or a list of strings")
            lists[name] = names
        if not lists["field"] and not lists["keep"]:
            raise PipelineConfigError("[keep] or [field] must be specified")
        if lists["field"] and lists["keep"]:
            raise PipelineConfigError("[keep] and [field] cannot both be used in the same processor")
        return cls(
            lists["field"], keep=lists["keep"], ignore_missing=read_bool(options, "ignore_missing", False), tag=tag,
            description=description,
        )

    def execute(self, document: IngestDocument) -> IngestDocument | None:
        if self.keep:
            return self._keep_only(document)
        try:
            for field in self.fields:
                path, parts = field.resolve(document)
                if self.ignore_missing and not has_field(document, parts, path):
                    continue
                remove_field(document, parts, path)
        except _FieldError as exc:
            raise self.fail(str(exc)) from None
        return document

    def _keep_only(self, document: IngestDocument) -> IngestDocument:
        """Remove every source field that is not kept, nor a parent or a child of
        a kept one, walking objects (not lists) from the top, parents first."""
        try:
            kept = [field.resolve(document)[0] for field in self.keep]
        except _FieldError as exc:
            raise self.fail(str(exc)) from None

        def wanted(path: str) -> bool:
            return any(path == k or k.startswith(path + ".") or path.startswith(k + ".") for k in kept)

        paths: list[tuple[str, ...]] = []
        pending = [((key,), value) for key, value in document.source.items() if key not in METADATA_FIELDS]
        while pending:
            parts, value = pending.pop(0)
            paths.append(parts)
            if isinstance(value, dict):
                pending[0:0] = [((*parts, key), child) for key, child in value.items()]
        for parts in paths:
            path = ".".join(parts)
            if not wanted(path) and has_field(document, parts, path):
                remove_field(document, parts, path)
        return document


class RenameProcessor(_Builtin):
    """``rename``: move ``field`` to ``target_field``.

    Fails when the field is missing (unless ``ignore_missing``) or when the
    target exists (unless ``override``); a failed move puts the value back.
    """

    type = "rename"

    def __init__(
        self,
        field: str,
        target_field: str,
        *,
        ignore_missing: bool = False,
        override: bool = False,
        tag: str | None = None,
        description: str | None = None,
    ) -> None:
        super().__init__(tag=tag, description=description)
        self.field = _FieldName(field, "field")
        self.target_field = _FieldName(target_field, "target_field")
        self.ignore_missing = ignore_missing
        self.override = override

    @classmethod
    def create(cls, options: dict[str, Any], tag: str | None, description: str | None) -> "RenameProcessor":
        check_options(cls.type, options, {"field", "target_field", "ignore_missing", "override"})
        field = read_string(options, "field")
        target = read_string(options, "target_field")
        assert field is not None and target is not None
        return cls(
            field,
            target,
            ignore_missing=read_bool(options, "ignore_missing", False),
            override=read_bool(options, "override", False),
            tag=tag,
            description=description,
        )

    def execute(self, document: IngestDocument) -> IngestDocument | None:
        try:
            if self.field.renders_empty(document):  # missing with ignore_missing, else Elasticsearch's error
                if self.ignore_missing:
                    return document
                raise _field_error("field path cannot be null nor empty")
            path, parts = self.field.resolve(document)
            if not has_field(document, parts, path, fail_out_of_range=True):
                if self.ignore_missing:
                    return document
                raise _field_error(f"field [{path}] doesn't exist")
            target, target_parts = self.target_field.resolve(document)
            if not self.override and has_field(document, target_parts, target, fail_out_of_range=True):
                raise _field_error(f"field [{target}] already exists")
            value = get_field(document, parts, path)
            remove_field(document, parts, path)
            try:
                set_field(document, target_parts, target, value)
            except _FieldError:
                set_field(document, parts, path, value)
                raise
        except _FieldError as exc:
            raise self.fail(str(exc)) from None
        return document


class DropProcessor(Processor):
    """``drop``: the document leaves the pipeline and the output; nothing after it runs."""

    type = "drop"

    @classmethod
    def create(cls, options: dict[str, Any], tag: str | None, description: str | None) -> "DropProcessor":
        check_options(cls.type, options, set())
        return cls(tag=tag, description=description)

    def execute(self, document: IngestDocument) -> IngestDocument | None:
        return None


class FailProcessor(Processor):
    """``fail``: fail the document with ``message`` (a template)."""

    type = "fail"

    def __init__(self, message: str, *, tag: str | None = None, description: str | None = None) -> None:
        super().__init__(tag=tag, description=description)
        self.message = Template(message)

    @classmethod
    def create(cls, options: dict[str, Any], tag: str | None, description: str | None) -> "FailProcessor":
        check_options(cls.type, options, {"message"})
        message = read_string(options, "message")
        assert message is not None
        return cls(message, tag=tag, description=description)

    def execute(self, document: IngestDocument) -> IngestDocument | None:
        raise ProcessorError(self.message.render(document), processor_type=self.type, tag=self.tag, kind="fail")


class PipelineProcessor(Processor):
    """``pipeline``: run another pipeline file on the document, then go on.

    ``name`` is the file, relative to the pipeline that names it; it is
    loaded with the pipeline (cycles and nesting beyond
    :data:`MAX_NESTED_PIPELINES` are refused then). With
    ``ignore_missing_pipeline`` a missing file makes this processor do nothing.
    """

    type = "pipeline"

    def __init__(
        self,
        name: str,
        pipeline: "Pipeline | None",
        *,
        ignore_missing_pipeline: bool = False,
        tag: str | None = None,
        description: str | None = None,
    ) -> None:
        super().__init__(tag=tag, description=description)
        self.name = name
        self.pipeline = pipeline
        self.ignore_missing_pipeline = ignore_missing_pipeline

    def execute(self, document: IngestDocument) -> IngestDocument | None:
        if self.pipeline is None:
            return document  # ignore_missing_pipeline and the file is missing
        return self.pipeline.execute(document)

    def close(self) -> None:
        if self.pipeline is not None:
            self.pipeline.close()


#: Nesting limit of ``pipeline`` processors (Elasticsearch's default).
MAX_NESTED_PIPELINES = 100

#: type -> factory(options, tag, description) for the built-ins that need no context.
BUILTIN_PROCESSORS: dict[str, Callable[[dict[str, Any], str | None, str | None], Processor]] = {
    "set": SetProcessor.create,
    "remove": RemoveProcessor.create,
    "rename": RenameProcessor.create,
    "drop": DropProcessor.create,
    "fail": FailProcessor.create,
}
