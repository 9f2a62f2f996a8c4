"""The shape most of Elasticsearch's common processors share, and the helpers
the modules holding them use.

Most of them follow Elasticsearch's ``AbstractStringProcessor`` and friends:
read ``field``, fail on a missing field unless ``ignore_missing``, fail on
``null`` with the processor's own sentence, transform, write
``target_field`` (default: ``field``). That shape is :class:`FieldProcessor`;
each processor is a small subclass that names its options and its
transformation. String processors (:class:`StringProcessor`) apply to each
element of a list, as in Elasticsearch.

The processors live in modules named for what they hold (``strings``,
``convert``, ``grok``, ``dates``...), their registry in :mod:`.common`. Those
modules import this one and it imports none of them, so there is no cycle;
the helpers are public because they are shared.

Messages are Elasticsearch's, with JSON type names (``[number]``) where
Elasticsearch names Java classes (``[java.lang.Integer]``), as the other
built-ins do. Field options may be templates (``{{field}}``).
"""

from __future__ import annotations

from typing import Any, ClassVar, Pattern

from ..condition import java_string
from ..document import IngestDocument, json_type, parse_path
from ..errors import FieldPathError, PipelineConfigError
from .builtins import _Builtin, _FieldError, _FieldName, check_options, get_field, read_bool, read_string, set_field
from .javaisms import compile_java_regex

__all__ = ["FieldProcessor", "StringProcessor", "cast_error", "field_error", "field_path", "read_regex", "read_strings"]


# -- failures and option readers ----------------------------------------------------------


def field_error(message: str) -> _FieldError:
    """A field failure: the processor that hits it fails with this message (see
    :meth:`FieldProcessor.execute`)."""
    return _FieldError(message)


def cast_error(path: str, value: Any, wanted: str) -> _FieldError:
    """Elasticsearch's ``getFieldValue(path, Class)`` refusal, with JSON type names."""
    return field_error(f"field [{path}] of type [{json_type(value)}] cannot be cast to [{wanted}]")


def read_strings(options: dict[str, Any], name: str, *, required: bool) -> list[str] | None:
    """A list of strings (Elasticsearch's ``readList``/``readOptionalList``)."""
    value = options.get(name)
    if value is None:
        if required:
            raise PipelineConfigError(f"[{name}] required property is missing")
        return None
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise PipelineConfigError(f"[{name}] property isn't a list, but of type [{json_type(value)}]")
    return value


def read_regex(options: dict[str, Any], name: str) -> "Pattern[str]":
    """A required option holding a Java regex, compiled (``gsub``, ``split``, ``kv``)."""
    text = read_string(options, name)
    assert text is not None
    try:
        return compile_java_regex(text)
    except ValueError as exc:
        raise PipelineConfigError(f"[{name}] Invalid regex pattern. {exc}") from None


def field_path(name: str) -> list[str]:
    """A field name computed from the document (a dissect or kv key) as a path."""
    try:
        return parse_path(name)
    except FieldPathError as exc:
        raise field_error(str(exc)) from None


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
                raise field_error(self.null_error(path))
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
                    raise field_error(
                        f"value [{java_string(item)}] of type [{json_type(item)}] in list field [{path}] "
                        f"cannot be cast to [string]"
                    )
                out.append(self.process(item))
            return out
        if not isinstance(value, str):
            raise cast_error(path, value, "string")
        return self.process(value)

    def process(self, value: str) -> Any:
        raise NotImplementedError
