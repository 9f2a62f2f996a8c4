"""The processors between strings and lists: ``split`` (a string into a list),
``join`` (a list into a string) and ``sort`` (a list in order).

Unlike the string processors (:mod:`.strings`), they take one value, not
each element of a list. Orders and cuts are Java's: ``split`` is
``String.split`` (a Java regex, trailing empty parts dropped), ``sort``
compares strings as ``compareTo`` does (UTF-16 order).
"""

from __future__ import annotations

from typing import Any

from ..condition import java_string
from ..document import json_type
from ..errors import PipelineConfigError
from .builtins import read_bool, read_string
from .field_base import FieldProcessor, cast_error, field_error, read_regex
from .javaisms import java_split, utf16_key

__all__ = ["JoinProcessor", "SortProcessor", "SplitProcessor"]


class SplitProcessor(FieldProcessor):
    """``split``: a string cut on ``separator`` (a Java regex) into a list;
    trailing empty parts dropped unless ``preserve_trailing``."""

    type = "split"
    options = frozenset({"separator", "preserve_trailing"})
    null_message = "field [{field}] is null, cannot split."

    def configure(self, options: dict[str, Any]) -> None:
        self.separator = read_regex(options, "separator")
        self.limit = -1 if read_bool(options, "preserve_trailing", False) else 0

    def transform(self, value: Any, path: str) -> Any:
        if not isinstance(value, str):
            raise cast_error(path, value, "string")
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
            raise cast_error(path, value, "array")
        if any(item is None for item in value):
            raise field_error(f"field [{path}] holds a null element, cannot join.")
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
            raise cast_error(path, value, "array")
        kinds = {_sort_kind(item) for item in value}
        if len(kinds) > 1 or None in kinds:
            names = ", ".join(sorted(json_type(item) for item in {id(i): i for i in value}.values()))
            raise field_error(f"field [{path}] cannot be sorted: its elements cannot be compared ({names})")
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
