"""IngestDocument path rules and their Elasticsearch-like error messages.

The conformance vectors (abi_spec/vectors) cover the statuses; this file
checks the wording of the errors and a few rules the vectors do not show.
"""

from __future__ import annotations

import copy

import pytest

from ingesthost import FieldPathError, IngestDocument
from ingesthost.document import MISSING


def _doc() -> IngestDocument:
    return IngestDocument(
        {"a": {"b": 1}, "s": "text", "n": 5, "t": True, "nul": None, "tags": ["x", {"k": "v"}]},
        ingest_ns=0,
    )


@pytest.mark.parametrize(
    "path,message",
    [
        ("", "path cannot be empty"),
        ("a..b", "path [a..b] has an empty segment"),
        (".a", "path [.a] has an empty segment"),
        ("a.", "path [a.] has an empty segment"),
        ("tags.x", "[x] is not an integer, cannot be used as an index as part of path [tags.x]"),
        ("tags.-1", "[-1] is not an integer, cannot be used as an index as part of path [tags.-1]"),
        ("tags.١", "[١] is not an integer, cannot be used as an index as part of path [tags.١]"),  # Arabic-Indic one
    ],
)
def test_invalid_paths_are_errors_for_every_operation(path: str, message: str) -> None:
    for operation in (lambda d: d.get(path), lambda d: d.put(path, 1), lambda d: d.remove(path)):
        doc = _doc()
        before = copy.deepcopy(doc.source)
        with pytest.raises(FieldPathError) as info:
            operation(doc)
        assert str(info.value) == message
        assert doc.source == before


@pytest.mark.parametrize(
    "path,message",
    [
        ("tags.2", "[2] is out of bounds for array with length [2] as part of path [tags.2]"),
        ("tags.9.x", "[9] is out of bounds for array with length [2] as part of path [tags.9.x]"),
        ("s.x", "cannot set [x] with parent object of type [string] as part of path [s.x]"),
        ("n.x.y", "cannot set [x] with parent object of type [number] as part of path [n.x.y]"),
        ("t.x", "cannot set [x] with parent object of type [boolean] as part of path [t.x]"),
        ("tags.0.x", "cannot set [x] with parent object of type [string] as part of path [tags.0.x]"),
    ],
)
def test_put_errors_leave_the_document_unchanged(path: str, message: str) -> None:
    doc = _doc()
    before = copy.deepcopy(doc.source)
    with pytest.raises(FieldPathError) as info:
        doc.put(path, {"new": 1})
    assert str(info.value) == message
    assert doc.source == before


def test_get_treats_missing_paths_as_absent() -> None:
    doc = _doc()
    for path in ("missing", "a.c", "a.b.c", "tags.2", "s.x", "nul.x", "tags.0.x"):
        assert doc.get(path) is MISSING
        assert doc.get(path, "default") == "default"
        assert not doc.has(path)
    assert doc.get("nul") is None and doc.has("nul")
    assert doc.get("tags.1.k") == "v"
    # a key with a literal dot cannot be addressed
    assert IngestDocument({"a.b": 1}).get("a.b") is MISSING


def test_put_creates_objects_but_never_list_elements() -> None:
    doc = _doc()
    doc.put("x.y.z", 1)
    doc.put("nul.inner", 2)  # an intermediate null becomes an object
    doc.put("tags.1.k2", 3)
    doc.put("tags.0", "replaced")
    assert doc.source["x"] == {"y": {"z": 1}}
    assert doc.source["nul"] == {"inner": 2}
    assert doc.source["tags"] == ["replaced", {"k": "v", "k2": 3}]


def test_remove() -> None:
    doc = _doc()
    assert doc.remove("tags.0") is True
    assert doc.source["tags"] == [{"k": "v"}]
    assert doc.remove("tags.5") is False
    assert doc.remove("a.b") is True and doc.source["a"] == {}
    assert doc.remove("s.x") is False
    assert doc.remove("missing") is False


def test_ingest_metadata_is_readable_and_kept_out_of_the_source() -> None:
    doc = IngestDocument({"_ingest": "a source field"}, ingest_ns=1_500_000_000_000_000_007)
    assert doc.get("_ingest.timestamp") == "2017-07-14T02:40:00.000000007Z"
    doc.put("_ingest.note", "x")
    assert doc.get("_ingest.note") == "x"
    assert doc.get("_ingest") == "a source field"  # the bare name is an ordinary field
    assert doc.source == {"_ingest": "a source field"}
