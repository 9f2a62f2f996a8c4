"""The string processors: ``lowercase``, ``uppercase``, ``trim``, ``html_strip``,
``urldecode``, ``bytes`` and ``gsub``.

Each is a :class:`~.field_base.StringProcessor` (Elasticsearch's
``AbstractStringProcessor``): it takes a string, or each string of a list,
and names only its own transformation; Java's rules for each (``trim``'s
idea of white space, ``URLDecoder``, ``ByteSizeValue``, regex replacement
syntax) are in :mod:`.javaisms`.
"""

from __future__ import annotations

from typing import Any

from ..errors import PipelineConfigError
from .builtins import read_string
from .field_base import StringProcessor, read_regex
from .javaisms import html_strip, java_replacement, java_trim, parse_byte_size, url_decode

__all__ = [
    "BytesProcessor",
    "GsubProcessor",
    "HtmlStripProcessor",
    "LowercaseProcessor",
    "TrimProcessor",
    "UppercaseProcessor",
    "UrlDecodeProcessor",
]


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
        self.pattern = read_regex(options, "pattern")
        replacement = read_string(options, "replacement")
        assert replacement is not None
        try:
            self.replacement = java_replacement(replacement, self.pattern)
        except ValueError as exc:
            raise PipelineConfigError(f"[replacement] {exc}") from None

    def process(self, value: str) -> str:
        return self.pattern.sub(self.replacement, value)
