"""Grok's built-in pattern banks, kept as data files beside this module.

Elasticsearch ships two banks and picks one with the processor's
``ecs_compatibility`` option: ``disabled`` (the default; the Logstash names
of old, ``clientip``, ``verb``...) reads :file:`legacy/`, ``v1`` (Elastic
Common Schema names as dotted paths, ``source.address``...) reads :file:`ecs-v1/`; both
read :file:`common/` first, the names that capture nothing and so mean the
same in both (``IP``, ``NUMBER``, ``TIMESTAMP_ISO8601``...). Each directory
holds one file per log family, named as Elasticsearch names its files
(``grok-patterns``, ``httpd``, ``linux-syslog``...), so a user who knows
where Elasticsearch defines a pattern finds ours in the same place.

The files are ingesthost's own: each definition is written to match what
the pattern of that name matches in Elasticsearch and to capture the same
field names and types. The names, what each matches and the fields it
captures are those of Elasticsearch's banks, which come from Logstash's
``logstash-patterns-core`` (Apache License 2.0); a definition may read
like theirs, since a regular expression for the same language often does.
Where Elasticsearch's copy is broken (a bracket lost when field names were
rewritten) or backtracks without end on Python's engine, ours matches what
the working Logstash original matches; the README lists those names. The format is grok's pattern-file format, so a bank reads as
Logstash and Elasticsearch users expect: one ``NAME definition`` per line,
leading white space ignored, ``#`` starting a comment line.

A bank is read once per process and shared read-only; a name defined twice
in one bank (in two files, or in :file:`common/` and a mode's directory) is
an error in the data, refused rather than resolved by file order.
"""

from __future__ import annotations

import functools
import re
from importlib import resources
from types import MappingProxyType
from typing import Mapping

__all__ = ["ECS_COMPATIBILITY_MODES", "BankError", "builtin_patterns", "parse_pattern_file"]

#: The ``ecs_compatibility`` values, as Elasticsearch spells them (its default first).
ECS_COMPATIBILITY_MODES = ("disabled", "v1")
_DIRECTORIES = {"disabled": "legacy", "v1": "ecs-v1"}
_LINE = re.compile(r"(\S+)\s+(.+)")


class BankError(ValueError):
    """A pattern file of a built-in bank is malformed (a packaging or data bug)."""


def parse_pattern_file(text: str, source: str) -> dict[str, str]:
    """``NAME definition`` lines -> {NAME: definition}; a repeated name is refused."""
    patterns: dict[str, str] = {}
    for number, line in enumerate(text.splitlines(), 1):
        stripped = line.lstrip()
        if not stripped or stripped.startswith("#"):
            continue
        match = _LINE.fullmatch(stripped.rstrip("\r\n"))
        if match is None:
            raise BankError(f"{source}:{number}: a pattern line is NAME, white space, then the definition")
        name, definition = match.groups()
        if name in patterns:
            raise BankError(f"{source}:{number}: pattern [{name}] is defined twice")
        patterns[name] = definition
    return patterns


@functools.lru_cache(maxsize=None)
def builtin_patterns(mode: str = "disabled") -> Mapping[str, str]:
    """The bank for an ``ecs_compatibility`` mode: every file of its directory, merged (read-only)."""
    try:
        directory = _DIRECTORIES[mode]
    except KeyError:
        raise ValueError(f"unsupported ECS compatibility mode [{mode}]") from None
    bank: dict[str, str] = {}
    for folder in ("common", directory):
        root = resources.files(__name__).joinpath(folder)
        for entry in sorted(root.iterdir(), key=lambda e: e.name):
            if entry.name.startswith((".", "_")) or not entry.is_file():
                continue
            source = f"{folder}/{entry.name}"
            for name, definition in parse_pattern_file(entry.read_text(encoding="utf-8"), source).items():
                if name in bank:
                    raise BankError(f"{source}: pattern [{name}] is already defined by another file of the bank")
                bank[name] = definition
    return MappingProxyType(bank)
