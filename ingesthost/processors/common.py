"""Elasticsearch's common processors, by type: :data:`COMMON_PROCESSORS`, the
factories the pipeline builder registers next to the built-ins'.

Only the registry is here; each processor lives in a module named for what
it holds, the shape and helpers they share in :mod:`.field_base`:

- :mod:`.strings`: ``lowercase``, ``uppercase``, ``trim``, ``html_strip``, ``urldecode``, ``bytes``, ``gsub``;
- :mod:`.lists`: ``split``, ``join``, ``sort``;
- :mod:`.convert`, :mod:`.json_processor`, :mod:`.append`, :mod:`.dot_expander`,
  :mod:`.fingerprint`, :mod:`.kv`: one processor each;
- :mod:`.dissect`, :mod:`.grok`, :mod:`.dates`, :mod:`.csv`, :mod:`.uri_parts`,
  :mod:`.community_id`: a processor with the parser, matcher or hash it runs.

``foreach`` is not here: its factory needs the pipeline builder (see :mod:`.foreach`).
"""

from __future__ import annotations

import importlib
from typing import Any, Callable

from .append import AppendProcessor
from .base import Processor
from .convert import ConvertProcessor
from .dissect import DissectProcessor
from .dot_expander import DotExpanderProcessor
from .fingerprint import FingerprintProcessor
from .json_processor import JsonProcessor
from .kv import KeyValueProcessor
from .lists import JoinProcessor, SortProcessor, SplitProcessor
from .strings import (
    BytesProcessor,
    GsubProcessor,
    HtmlStripProcessor,
    LowercaseProcessor,
    TrimProcessor,
    UppercaseProcessor,
    UrlDecodeProcessor,
)

__all__ = ["COMMON_PROCESSORS"]

Factory = Callable[[dict[str, Any], "str | None", "str | None"], Processor]


def _deferred(module: str, name: str) -> Factory:
    """The factory of a processor whose module is imported when a pipeline first
    uses it, so that runs without it do not pay for the import (``uri_parts``,
    ``dates`` and ``grok`` take the longest)."""

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
