"""The document a pipeline works on, and the dotted-path rules of the ABI.

Field paths follow Elasticsearch's classic ingest rules: a path is split on
``.``; each segment walks into an object by key, or into a list by a
non-negative decimal index. ``put`` creates missing intermediate objects but
never list elements. These rules are the contract of ``elastic_get_field``,
``elastic_put_field`` and ``elastic_remove_field``; see ``abi_spec/ABI.md``.

Paths that start with ``_ingest.`` address the ingest metadata (for example
``_ingest.timestamp``), which is readable by processors but not part of the
document's source, as in Elasticsearch.
"""

from __future__ import annotations

import datetime
import time
from typing import Any, Sequence

from .errors import FieldPathError

#: Returned by :meth:`IngestDocument.get` when the field is absent.
MISSING: Any = object()

INGEST_KEY = "_ingest"

#: Elasticsearch metadata a document may carry as top-level fields, as its
#: ingest shows them (``ctx._index``): set from an index source or a
#: ``_bulk`` action, taken back out as the action's metadata when written.
METADATA_FIELDS = ("_index", "_id", "_routing")

#: Deepest accepted nesting: orjson cannot write documents nested deeper than 254 levels.
MAX_DEPTH = 254


def with_metadata(source: dict[str, Any], index: str | None, doc_id: str | None, routing: str | None) -> dict[str, Any]:
    """A document as a pipeline sees it: the metadata fields first (``_routing``
    only when set), then the source. A metadata name inside the source is
    left out: Elasticsearch refuses those in a source."""
    document: dict[str, Any] = {"_index": index, "_id": doc_id}
    if routing is not None:
        document["_routing"] = routing
    for key, value in source.items():
        if key not in document:
            document[key] = value
    return document


def pop_metadata(document: dict[str, Any]) -> dict[str, Any]:
    """Take the metadata fields out of a processed document (what a sink
    writes as the bulk action's metadata)."""
    return {key: document.pop(key) for key in METADATA_FIELDS if key in document}


def nesting_depth(value: Any) -> int:
    """Levels of objects/arrays in ``value`` (a scalar is 0), without recursion."""
    deepest = 0
    stack = [(value, 1)]
    while stack:
        node, depth = stack.pop()
        if isinstance(node, dict):
            children = node.values()
        elif isinstance(node, list):
            children = node
        else:
            continue
        if depth > deepest:
            deepest = depth
        stack.extend((child, depth + 1) for child in children if isinstance(child, (dict, list)))
    return deepest


def parse_path(path: str) -> list[str]:
    """Split a dotted path into segments; raises FieldPathError for an empty
    path or an empty segment. Callers that see the same paths again (the
    ABI host calls) cache the result."""
    parts = path.split(".")
    if "" in parts:
        if not path:
            raise FieldPathError("path cannot be empty")
        raise FieldPathError(f"path [{path}] has an empty segment")
    return parts


def _index(segment: str, path: str) -> int:
    """A list index for ``segment``; raises if it is not a decimal integer.

    Range is checked by the caller because get/remove treat an out-of-range
    index as "absent" while put treats it as an error.
    """
    if not segment.isdigit() or not segment.isascii():
        raise FieldPathError(
            f"[{segment}] is not an integer, cannot be used as an index as part of path [{path}]"
        )
    return int(segment)


def format_timestamp(ns: int) -> str:
    """ISO-8601 UTC with nanoseconds, the shape of Elasticsearch's ``_ingest.timestamp``."""
    seconds, frac = divmod(ns, 1_000_000_000)
    base = datetime.datetime.fromtimestamp(seconds, tz=datetime.timezone.utc)
    return base.strftime("%Y-%m-%dT%H:%M:%S") + f".{frac:09d}Z"


class IngestDocument:
    """A JSON object being processed, plus its ingest metadata.

    ``source`` is the document itself (a dict that processors edit in place).
    ``ingest`` holds ``_ingest`` metadata; ``timestamp`` is filled on first
    read from ``ingest_ns``, the time the document entered the pipeline.
    """

    __slots__ = ("source", "_ingest", "ingest_ns")

    def __init__(self, source: dict[str, Any], ingest_ns: int | None = None) -> None:
        self.source = source
        self._ingest: dict[str, Any] | None = None
        self.ingest_ns = time.time_ns() if ingest_ns is None else ingest_ns

    @property
    def ingest(self) -> dict[str, Any]:
        """The ``_ingest`` metadata map (created on first use)."""
        if self._ingest is None:
            self._ingest = {"timestamp": format_timestamp(self.ingest_ns)}
        return self._ingest

    @property
    def ingest_or_none(self) -> dict[str, Any] | None:
        """The ``_ingest`` metadata if anything made it exist, else None (it
        would be only the timestamp): lets a batch send nothing for it."""
        return self._ingest

    def replace_ingest(self, ingest: dict[str, Any]) -> None:
        """Take ``_ingest`` metadata a guest edited as a whole (ABI 1.1 batches)."""
        self._ingest = ingest

    # -- path resolution -------------------------------------------------

    def root(self, parts: Sequence[str]) -> tuple[Any, Sequence[str]]:
        """Where a split path starts: ``_ingest.*`` in the metadata, the rest in the source."""
        if parts[0] == INGEST_KEY and len(parts) > 1:
            return self.ingest, parts[1:]
        return self.source, parts

    def get(self, path: str, default: Any = MISSING) -> Any:
        """The value at ``path``, or ``default`` when it is absent.

        Absent means: a missing key, an out-of-range list index, or a path
        that continues through a scalar. A non-integer segment on a list is
        an error (the path cannot address a list that way).
        """
        return self.get_path(parse_path(path), path, default)

    def get_path(self, parts: Sequence[str], path: str, default: Any = MISSING) -> Any:
        """:meth:`get` with the path already split (``path`` is for messages)."""
        if len(parts) == 1:  # the common case: a top-level key of the document
            return self.source.get(parts[0], default)
        node, parts = self.root(parts)
        node = _walk(node, parts, path)
        return default if node is MISSING else node

    def has(self, path: str) -> bool:
        return self.get(path) is not MISSING

    def put(self, path: str, value: Any) -> None:
        """Set ``path`` to ``value``, creating missing intermediate objects.

        Validates the whole path before changing anything, so a failed put
        leaves the document exactly as it was.
        """
        self.put_path(parse_path(path), path, value)

    def put_path(self, parts: Sequence[str], path: str, value: Any) -> None:
        """:meth:`put` with the path already split."""
        if len(parts) == 1:  # the common case: a top-level key of the document
            self.source[parts[0]] = value
            return
        node, parts = self.root(parts)
        # Walk as far as the document goes; remember where objects must be created.
        for depth, segment in enumerate(parts[:-1]):
            if isinstance(node, dict):
                child = node.get(segment, MISSING)
                if child is MISSING or child is None:
                    # Everything from here down is new: build it, then attach once.
                    built: Any = value
                    for seg in reversed(parts[depth + 1 :]):
                        built = {seg: built}
                    node[segment] = built
                    return
                node = child
            elif isinstance(node, list):
                i = _index(segment, path)
                if i >= len(node):
                    raise FieldPathError(
                        f"[{segment}] is out of bounds for array with length [{len(node)}] as part of path [{path}]"
                    )
                node = node[i]
            else:
                raise FieldPathError(
                    f"cannot set [{segment}] with parent object of type [{json_type(node)}] as part of path [{path}]"
                )
        last = parts[-1]
        if isinstance(node, dict):
            node[last] = value
        elif isinstance(node, list):
            i = _index(last, path)
            if i >= len(node):
                raise FieldPathError(
                    f"[{last}] is out of bounds for array with length [{len(node)}] as part of path [{path}]"
                )
            node[i] = value
        else:
            raise FieldPathError(
                f"cannot set [{last}] with parent object of type [{json_type(node)}] as part of path [{path}]"
            )

    def remove(self, path: str) -> bool:
        """Remove ``path``; False when it was absent (nothing changed)."""
        return self.remove_path(parse_path(path), path)

    def remove_path(self, parts: Sequence[str], path: str) -> bool:
        """:meth:`remove` with the path already split."""
        node, parts = self.root(parts)
        node = _walk(node, parts[:-1], path)
        last = parts[-1]
        if isinstance(node, dict):
            if last not in node:
                return False
            del node[last]
            return True
        if isinstance(node, list):
            i = _index(last, path)
            if i >= len(node):
                return False
            del node[i]
            return True
        return False

    def __repr__(self) -> str:
        return f"IngestDocument({self.source!r})"


def _walk(node: Any, parts: Sequence[str], path: str) -> Any:
    """Follow ``parts`` down from ``node``: the value reached, or MISSING where
    the path leaves the document (missing key, index past the end, a scalar)."""
    for segment in parts:
        if isinstance(node, dict):
            node = node.get(segment, MISSING)
            if node is MISSING:
                return MISSING
        elif isinstance(node, list):
            i = _index(segment, path)
            if i >= len(node):
                return MISSING
            node = node[i]
        else:
            return MISSING
    return node


def json_type(value: Any) -> str:
    """The JSON type of a value, for error messages: null, boolean, number,
    string, array or object."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, (int, float)):
        return "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, list):
        return "array"
    if isinstance(value, dict):
        return "object"
    return type(value).__name__


def json_type_phrase(value: Any) -> str:
    """:func:`json_type` with its article, for "found ..." messages: ``an array``, ``null``."""
    name = json_type(value)
    if name == "null":
        return name
    return ("an " if name[0] in "aeiou" else "a ") + name
