"""Elasticsearch's common processors, checked against Elasticsearch's own tests.

Most cases are translated from Elasticsearch's ingest YAML REST tests
(``modules/ingest-common/src/yamlRestTest/resources/rest-api-spec/test/ingest/*.yml``),
its processor unit tests
(``modules/ingest-common/src/test/java/org/elasticsearch/ingest/common/*Tests.java``)
and the dissect specification (``libs/dissect/src/test/resources/specification/tests.json``).
Each keeps a comment naming the file and the test it comes from; the input
documents, pipelines and expected documents or errors are written here as
ingesthost's own data. Random values of the unit tests are replaced by fixed
ones. Where ingesthost deliberately differs (JSON type names in messages
instead of Java class names, for instance), the test asserts ingesthost's
behaviour and says so; the README lists every difference.

Cases marked "ingesthost" are not from Elasticsearch's tests.
"""

from __future__ import annotations

import base64
import hashlib
from typing import Any

import pytest

from ingesthost import IngestDocument, Pipeline, PipelineConfigError
from test_builtins import failure, load_error, run


# == YAML REST tests =========================================================================


def test_yaml_40_mutate_test_mutate_processors():
    # 40_mutate.yml "Test mutate processors": set, append, rename, remove, lowercase, uppercase,
    # trim, split, join, convert, gsub, html_strip in one pipeline.
    processors = [
        {"set": {"field": "new_field", "value": "new_value"}},
        {"append": {"field": "new_field", "value": ["item2", "item3", "item4"]}},
        {"rename": {"field": "field_to_rename", "target_field": "renamed_field"}},
        {"remove": {"field": "field_to_remove"}},
        {"lowercase": {"field": "field_to_lowercase"}},
        {"uppercase": {"field": "field_to_uppercase"}},
        {"trim": {"field": "field_to_trim"}},
        {"split": {"field": "field_to_split", "separator": "-"}},
        {"join": {"field": "field_to_join", "separator": "-"}},
        {"convert": {"field": "field_to_convert", "type": "integer"}},
        {"gsub": {"field": "field_to_gsub", "pattern": "-", "replacement": "."}},
        {"html_strip": {"field": "field_to_html_strip"}},
    ]
    doc = {
        "field_to_rename": "value",
        "field_to_remove": "old_value",
        "field_to_lowercase": "LOWERCASE",
        "field_to_uppercase": "uppercase",
        "field_to_trim": "   trimmed   ",
        "field_to_split": "127-0-0-1",
        "field_to_join": ["127", "0", "0", "1"],
        "field_to_convert": ["127", "0", "0", "1"],
        "field_to_gsub": "127-0-0-1",
        "field_to_html_strip": "<p>this <title>is</title> a <b>test</b>",
    }
    out = run(processors, doc)
    assert out == {
        "new_field": ["new_value", "item2", "item3", "item4"],
        "renamed_field": "value",
        "field_to_lowercase": "lowercase",
        "field_to_uppercase": "UPPERCASE",
        "field_to_trim": "trimmed",
        "field_to_split": ["127", "0", "0", "1"],
        "field_to_join": "127-0-0-1",
        "field_to_convert": [127, 0, 0, 1],
        "field_to_gsub": "127.0.0.1",
        "field_to_html_strip": "\nthis \nis\n a test",
    }


def test_yaml_80_foreach_test_foreach_processor():
    # 80_foreach.yml "Test foreach Processor": uppercase on _ingest._value, 3 and then 26 elements.
    processors = [{"foreach": {"field": "values", "processor": {"uppercase": {"field": "_ingest._value"}}}}]
    assert run(processors, {"values": ["foo", "bar", "baz"]}) == {"values": ["FOO", "BAR", "BAZ"]}
    letters = [chr(c) for c in range(ord("a"), ord("z") + 1)]
    assert run(processors, {"values": letters}) == {"values": [c.upper() for c in letters]}


def test_yaml_110_sort_test_sort_processor():
    # 110_sort.yml "Test sort Processor"
    assert run([{"sort": {"field": "values"}}], {"values": ["foo", "bar", "baz"]}) == {"values": ["bar", "baz", "foo"]}


def test_yaml_130_escape_dot_test_escape_dot_processor():
    # 130_escape_dot.yml "Test escape_dot processor"
    assert run([{"dot_expander": {"field": "foo.bar"}}], {"foo.bar": "baz"}) == {"foo": {"bar": "baz"}}


def test_yaml_130_escape_dot_with_override_and_wildcard():
    # 130_escape_dot.yml "Test escape_dot processor with override and wildcard"
    doc = {"foo.bar": "baz", "foo": {"bar": "override_me", "qux": "quux"}}
    out = run([{"dot_expander": {"field": "*", "override": True}}], doc)
    assert out == {"foo": {"bar": "baz", "qux": "quux"}}


def test_yaml_140_json_test_json_processor():
    # 140_json.yml "Test JSON Processor": object, array, null, string, number and boolean fields.
    processors = [{"json": {"field": f}} for f in ("foo_object", "foo_array", "foo_null", "foo_string", "foo_number", "foo_boolean")]
    doc = {
        "foo_object": '{"hello": "world"}',
        "foo_array": "[1, 2, 3]",
        "foo_null": None,
        "foo_string": '"bla bla"',
        "foo_number": 3,
        "foo_boolean": "true",
    }
    out = run(processors, doc)
    assert out == {
        "foo_object": {"hello": "world"},
        "foo_array": [1, 2, 3],
        "foo_null": None,
        "foo_string": "bla bla",
        "foo_number": 3,
        "foo_boolean": True,
    }


def test_yaml_140_json_duplicate_keys():
    # 140_json.yml "Test JSON Processor duplicate keys": add_to_root with allow_duplicate_keys, the last wins.
    processors = [{"json": {"field": "json", "add_to_root": True, "allow_duplicate_keys": True}}]
    out = run(processors, {"json": '{"dupe": 1, "dupe": 2}'})
    assert out == {"json": '{"dupe": 1, "dupe": 2}', "dupe": 2}


def test_yaml_140_json_recursive_merge_strategy():
    # 140_json.yml "Test JSON Processor recursive merge strategy"
    processors = [{"json": {"field": "json", "add_to_root": True, "add_to_root_conflict_strategy": "merge"}}]
    out = run(processors, {"json": '{"foo": {"bar": "baz"} }', "foo": {"bar": "override_me", "qux": "quux"}})
    assert out["foo"] == {"bar": "baz", "qux": "quux"}


def test_yaml_140_json_lenient_parsing():
    # 140_json.yml "Test JSON Processor lenient parsing": strict_json_parsing false reads the first value.
    assert run([{"json": {"field": "message", "strict_json_parsing": False}}], {"message": "123 foo"}) == {"message": 123}


def test_yaml_150_kv_test_kv_processor():
    # 150_kv.yml "Test KV Processor"
    processors = [{"kv": {"field": "foo", "field_split": " ", "value_split": "="}}]
    out = run(processors, {"foo": "goodbye=everybody hello=world"})
    assert out == {"foo": "goodbye=everybody hello=world", "goodbye": "everybody", "hello": "world"}


def test_yaml_150_kv_with_template_snippets():
    # 150_kv.yml "Test KV Processor with template snippets": templated field and target_field,
    # and ignore_missing with a template naming a missing field.
    processors = [
        {"kv": {"field": "{{origin}}", "target_field": "{{target}}", "field_split": " ", "value_split": "="}},
        {"kv": {"field": "{{origin}}", "field_split": " ", "value_split": "="}},
        {"kv": {"field": "{{origin1}}", "field_split": " ", "value_split": "=", "ignore_missing": True}},
    ]
    out = run(processors, {"origin": "field1", "field1": "goodbye=everybody hello=world", "target": "bar"})
    assert out["bar"] == {"goodbye": "everybody", "hello": "world"}
    assert out["goodbye"] == "everybody" and out["hello"] == "world"


def test_yaml_160_urldecode():
    # 160_urldecode.yml "Test KV Processor" (sic: the test decodes a URL)
    assert run([{"urldecode": {"field": "my_url"}}], {"my_url": "https%3a%2f%2felastic.co%2f"}) == {"my_url": "https://elastic.co/"}


def test_yaml_180_bytes_processor():
    # 180_bytes_processor.yml "Test bytes processor"
    processors = [{"bytes": {"field": "bytes_source_field", "target_field": "bytes_target_field"}}]
    assert run(processors, {"bytes_source_field": "1kb"}) == {"bytes_source_field": "1kb", "bytes_target_field": 1024}


def test_yaml_200_dissect_match():
    # 200_dissect_processor.yml "Test dissect processor match"
    out = run([{"dissect": {"field": "message", "pattern": "%{a} %{b} %{c}"}}], {"message": "foo bar baz"})
    assert out == {"message": "foo bar baz", "a": "foo", "b": "bar", "c": "baz"}


def test_yaml_200_dissect_mismatch():
    # 200_dissect_processor.yml "Test dissect processor mismatch"
    err = failure([{"dissect": {"field": "message", "pattern": "%{a},%{b},%{c}"}}], {"message": "foo bar baz"})
    assert err.reason == "Unable to find match for dissect pattern: %{a},%{b},%{c} against source: foo bar baz"


def test_yaml_200_dissect_fail_to_create():
    # 200_dissect_processor.yml "Test fail to create dissect processor": /Unable to parse pattern/
    assert "Unable to parse pattern" in load_error([{"dissect": {"field": "message", "pattern": "bad pattern"}}])


def _append_pipeline_360() -> list[dict[str, Any]]:
    """360_append_allow_duplicates.yml's pipeline, its last step (``remove`` with ``keep``) included."""
    return [
        {"append": {"if": "ctx?.templating != true", "field": "dest", "copy_from": "src", "allow_duplicates": False}},
        {"append": {"if": "ctx?.templating == true", "field": "dest", "value": ["{{three}}"] * 3, "allow_duplicates": False}},
        {"foreach": {"field": "dest", "processor": {"convert": {"field": "_ingest._value", "type": "long"}}}},
        {"remove": {"description": "we only care about the dest, so remove everything else", "keep": ["dest"]}},
    ]


@pytest.mark.parametrize(
    "name, doc",
    [
        ("allow_duplicates (false) removes duplicates with a present array and copy_from", {"src": [3, 3, 3], "dest": [3]}),
        ("allow_duplicates (false) removes duplicates with an empty array and copy_from", {"src": [3, 3, 3], "dest": []}),
        ("allow_duplicates (false) removes duplicates with a present array and templating", {"templating": True, "three": 3, "dest": ["3"]}),
        ("allow_duplicates (false) removes duplicates with an empty array and templating", {"templating": True, "three": 3, "dest": []}),
    ],
)
def test_yaml_360_append_allow_duplicates(name: str, doc: dict[str, Any]):
    # 360_append_allow_duplicates.yml, each named test: dest ends as [3] (and, by the last
    # step, nothing else is left)
    assert run(_append_pipeline_360(), doc) == {"dest": [3]}, name


def _append_pipeline_380() -> list[dict[str, Any]]:
    """380_append_edge_cases.yml's pipeline. Its last step, a ``script`` that
    sets ``foo_is_null`` to ``ctx.foo == null``, is replaced by the tests
    asserting on ``foo`` itself (absent where the script would say null)."""
    return [
        {"append": {"if": "ctx?.templating != true", "field": "foo", "copy_from": "bar", "allow_duplicates": False, "ignore_empty_values": True}},
        {"append": {"if": "ctx?.templating == true", "field": "foo", "value": "{{bar}}", "allow_duplicates": True, "ignore_empty_values": True}},
        {"remove": {"field": "bar", "ignore_missing": True}},
    ]


@pytest.mark.parametrize(
    "name, doc, expected",
    [
        # "scalar values will become a list if necessary"
        ("copy_from, new value", {"foo": "2", "bar": "3", "templating": False}, ["2", "3"]),
        ("templating, duplicates allowed", {"foo": "2", "bar": "2", "templating": True}, ["2", "2"]),
        ("templating, new value", {"foo": "2", "bar": "3", "templating": True}, ["2", "3"]),
        # "if a value doesn't change because of ignoring duplicates or empty values, it doesn't become a list"
        ("copy_from, a duplicate", {"foo": "2", "bar": "2", "templating": False}, "2"),
        ("copy_from, an empty string", {"foo": "2", "bar": "", "templating": False}, "2"),
        ("templating, an empty string", {"foo": "2", "bar": "", "templating": True}, "2"),
        # "an absent value isn't added in the absence of change" (the script's foo_is_null: true)
        ("copy_from, empty, no foo", {"bar": "", "templating": False}, None),
        ("templating, empty, no foo", {"bar": "", "templating": True}, None),
        ("copy_from, no bar, no foo", {"templating": False}, None),
        ("templating, no bar, no foo", {"templating": True}, None),
    ],
)
def test_yaml_380_append_edge_cases(name: str, doc: dict[str, Any], expected: Any):
    # 380_append_edge_cases.yml, its three named tests (each step one case)
    out = run(_append_pipeline_380(), doc)
    assert "bar" not in out
    if expected is None:
        assert "foo" not in out, name
    else:
        assert out["foo"] == expected, name


@pytest.mark.parametrize(
    "options, doc, expected",
    [
        # ingesthost: nulls and empty strings inside a list are left out, the rest is appended
        ({"value": ["a", "", None, "b"]}, {}, {"f": ["a", "b"]}),
        ({"value": ["", None]}, {}, {}),
        ({"value": ["", None]}, {"f": "x"}, {"f": "x"}),
        ({"copy_from": "src"}, {"src": [None, "y", ""], "f": ["x"]}, {"src": [None, "y", ""], "f": ["x", "y"]}),
        # empty objects, lists, zero and false are values, not empty ones
        ({"value": [0, False, {}, []]}, {}, {"f": [0, False, {}, []]}),
        # without the option, empties are appended as before
        ({"value": ["", None], "ignore_empty_values": False}, {}, {"f": ["", None]}),
    ],
)
def test_append_ignore_empty_values(options: dict[str, Any], doc: dict[str, Any], expected: dict[str, Any]) -> None:
    processor = {"field": "f", "ignore_empty_values": True, **options}
    assert run([{"append": processor}], doc) == expected


def test_append_copy_from_missing_still_fails_without_ignore_empty_values() -> None:
    # AppendProcessor: a missing copy_from is an error unless empty values are ignored
    message = str(failure([{"append": {"field": "f", "copy_from": "nope"}}], {}))
    assert "field [nope] not present as part of path [nope]" in message


@pytest.mark.parametrize(
    "keep, doc, expected",
    [
        # ingesthost, from RemoveProcessor.shouldKeep: a kept path keeps its parents and children
        (["a.b"], {"a": {"b": 1, "c": 2}, "d": 3}, {"a": {"b": 1}}),
        (["a"], {"a": {"b": 1, "c": {"e": 2}}, "d": 3}, {"a": {"b": 1, "c": {"e": 2}}}),
        (["a.c.e", "d"], {"a": {"b": 1, "c": {"e": 2, "f": 3}}, "d": [{"x": 1}], "g": None}, {"a": {"c": {"e": 2}}, "d": [{"x": 1}]}),
        ("absent", {"a": 1, "b": {"c": 2}}, {}),
        (["{{which}}"], {"which": "which", "other": 1}, {"which": "which"}),
        (["ab"], {"a": 1, "ab": 2, "abc": 3}, {"ab": 2}),  # prefixes are whole names only
    ],
)
def test_remove_keep(keep: Any, doc: dict[str, Any], expected: dict[str, Any]) -> None:
    assert run([{"remove": {"keep": keep}}], doc) == expected


def test_remove_keep_leaves_metadata_and_refuses_bad_options() -> None:
    # ingesthost: metadata fields are never removed by keep (IngestDocument.Metadata.isMetadata)
    with Pipeline.from_definition({"processors": [{"remove": {"keep": "n"}}]}, cache=False) as pipeline:
        document = pipeline.execute(IngestDocument({"_index": "i", "_id": "1", "_routing": "r", "n": 1, "x": 2}))
    assert document is not None and document.source == {"_index": "i", "_id": "1", "_routing": "r", "n": 1}
    # RemoveProcessor.Factory's messages
    assert "[keep] or [field] must be specified" in load_error([{"remove": {"tag": "r"}}])
    assert "[keep] and [field] cannot both be used in the same processor" in load_error(
        [{"remove": {"field": "a", "keep": "b"}}]
    )
    assert "[keep] property isn't a string or a list of strings" in load_error([{"remove": {"keep": 3}}])


# == dissect: libs/dissect/src/test/resources/specification/tests.json ===================================

DISSECT_SPEC = [
    # (name, pattern, input, expected or None for a failure, append_separator)
    (
        "When all the defined fields are captured by we have remaining data",
        'level=%{level} ts=%{timestamp} caller=%{caller} msg="%{message}"',
        'level=info ts=2018-06-27T17:19:13.036579993Z caller=main.go:222 msg="Starting OK" version="(version=2.3.1, branch=HEAD)"}',
        {"caller": "main.go:222", "level": "info", "message": "Starting OK", "timestamp": "2018-06-27T17:19:13.036579993Z"},
        "",
    ),
    (
        "Complex stack trace (message shortened to two lines)",
        "%{day}-%{month}-%{year} %{hour} %{severity} [%{thread_id}] %{origin} %{message}",
        (
            "18-Apr-2018 06:53:20.411 INFO [http-nio-8080-exec-1] org.apache.coyote.http11.Http11Processor.service "
            "Error parsing HTTP request header\n Note: further occurrences"
        ),
        {
            "day": "18", "month": "Apr", "year": "2018", "hour": "06:53:20.411", "severity": "INFO",
            "thread_id": "http-nio-8080-exec-1", "origin": "org.apache.coyote.http11.Http11Processor.service",
            "message": "Error parsing HTTP request header\n Note: further occurrences",
        },
        "",
    ),
    ("success when delimiter found at the beginning and end of the string", "/var/log/%{key}.log", "/var/log/foobar.log", {"key": "foobar"}, ""),
    ("fails when delimiter is not found at the beginning of the string", "/var/log/%{key}.log", "foobar", None, ""),
    ("fails when delimiter is not found after the key", "/var/log/%{key}.log", "/var/log/foobar", None, ""),
    ("simple dissect", "%{key}", "foobar", {"key": "foobar"}, ""),
    ("dissect two replacement", "%{key1} %{key2}", "foo bar", {"key1": "foo", "key2": "bar"}, ""),
    ("fail on partial match", "%{key1} %{key2} %{key3}", "foo bar", None, ""),
    ("one level dissect not end of string", "/var/%{key}/log", "/var/foobar/log", {"key": "foobar"}, ""),
    ("one level dissect", "/var/%{key}", "/var/foobar/log", {"key": "foobar/log"}, ""),
    ("multiple keys dissect end of string", "/var/%{key}/log/%{key1}", "/var/foobar/log/apache", {"key": "foobar", "key1": "apache"}, ""),
    ("multiple keys not end of string", "/var/%{key}/log/%{key1}.log", "/var/foobar/log/apache.log", {"key": "foobar", "key1": "apache"}, ""),
    ("append with order", "%{+key/3} %{+key/1} %{+key/2}", "1 2 3", {"key": "231"}, ""),
    ("append with order and separator", "%{+key/3} %{+key/1} %{+key/2}", "1 2 3", {"key": "2::3::1"}, "::"),
    ("append with order and right padding", "%{+key/3} %{+key/1->} %{+key/2}", "1 2              3", {"key": "231"}, ""),
    ("simple append", "%{key}-%{+key}-%{+key}", "1-2-3", {"key": "123"}, ""),
    ("simple append with separator", "%{key}-%{+key}-%{+key}", "1-2-3", {"key": "1,2,3"}, ","),
    ("reference field", "%{*key} %{&key}", "hello world", {"hello": "world"}, ""),
    ("reference field alt order", "%{&key} %{*key}", "hello world", {"world": "hello"}, ""),
    ("nameless skip field", "%{} %{key}", "hello world", {"key": "world"}, ""),
    ("named skip field", "%{?skipme} %{key}", "hello world", {"key": "world"}, ""),
    ("reference without pairing", "%{key} %{&key}", "hello world", None, ""),
    (
        "missing fields (consecutive delimiters)",
        "%{name},%{addr1},%{addr2},%{addr3},%{city},%{zip}",
        "Jane Doe,4321 Fifth Avenue,,,New York,87432",
        {"addr1": "4321 Fifth Avenue", "addr2": "", "addr3": "", "city": "New York", "name": "Jane Doe", "zip": "87432"},
        "",
    ),
    (
        "missing fields with right padding (consecutive delimiters)",
        "%{name},%{addr1->},%{city},%{zip}",
        "Jane Doe,4321 Fifth Avenue,,,New York,87432",
        {"addr1": "4321 Fifth Avenue", "city": "New York", "name": "Jane Doe", "zip": "87432"},
        "",
    ),
    ("ignore right padding", "%{id} %{function->} %{server}", "00000043 ViewReceive     machine-321",
     {"function": "ViewReceive", "id": "00000043", "server": "machine-321"}, ""),
    ("padding on the last key need a delimiter", "%{id} %{function} %{server->} ", "00000043 ViewReceive machine-321    ",
     {"function": "ViewReceive", "id": "00000043", "server": "machine-321"}, ""),
    ("ignore left padding", "%{id->} %{function} %{server}", "00000043    ViewReceive machine-321",
     {"function": "ViewReceive", "id": "00000043", "server": "machine-321"}, ""),
    ("when the delimiters contains `{` and `}`", "{%{a}}{%{b}} %{rest}", "{c}{d} anything", {"a": "c", "b": "d", "rest": "anything"}, ""),
    ("no keys defined", "anything", "anything", None, ""),
    ("invalid key", "%{some?thing}", "anything", None, ""),
    ("matches non-ascii", "%{a}\u0fcf%{b} %{c}", "\u27f3\u0f12\u0fcf\u0f12\u27f2 \u5b50", {"a": "\u27f3\u0f12", "b": "\u0f12\u27f2", "c": "\u5b50"}, ""),
]


@pytest.mark.parametrize("name, pattern, text, expected, separator", DISSECT_SPEC, ids=[c[0] for c in DISSECT_SPEC])
def test_dissect_specification(name: str, pattern: str, text: str, expected: dict[str, str] | None, separator: str):
    # libs/dissect/src/test/resources/specification/tests.json, the case named `name`
    processor = {"dissect": {"field": "message", "pattern": pattern, "append_separator": separator}}
    if expected is not None:
        out = run([processor], {"message": text})
        assert out == {"message": text, **expected}
        return
    try:
        Pipeline.from_definition({"processors": [processor]}, cache=False).close()
    except PipelineConfigError as exc:  # a bad pattern is refused when the pipeline loads
        assert "Unable to parse" in str(exc)
        return
    err = failure([processor], {"message": text})
    assert err.reason.startswith("Unable to find match for dissect pattern")


# == unit tests: the string processors (AbstractStringProcessorTestCase and subclasses) ===================

STRING_CASES = [
    # (processor, options, input, expected): fixed inputs (ingesthost's) for the tests every
    # AbstractStringProcessorTestCase subclass runs (Lowercase..., Bytes..., GsubProcessorTests)
    ("lowercase", {}, "FoO BaR", "foo bar"),
    ("uppercase", {}, "FoO bAr", "FOO BAR"),
    ("trim", {}, " \t foo bar \n ", "foo bar"),
    ("html_strip", {}, "<p><b>test</b>", "\ntest"),
    ("html_strip", {}, "<p><b>test</b></p>", "\ntest\n"),
    ("urldecode", {}, "foo%20bar%2Bbaz+qux", "foo bar+baz qux"),
    ("bytes", {}, "1kb", 1024),
    ("bytes", {}, "1.1kb", 1127),  # BytesProcessorTests.testFractional (rounded up)
    ("gsub", {"pattern": "\\.", "replacement": "-"}, "127.0.0.1", "127-0-0-1"),
]


@pytest.mark.parametrize("kind, options, value, expected", STRING_CASES)
def test_string_processor_on_a_string(kind: str, options: dict[str, Any], value: str, expected: Any):
    # AbstractStringProcessorTestCase.testProcessor
    assert run([{kind: {"field": "f", **options}}], {"f": value}) == {"f": expected}


@pytest.mark.parametrize("kind, options, value, expected", STRING_CASES)
def test_string_processor_on_a_list(kind: str, options: dict[str, Any], value: str, expected: Any):
    # AbstractStringProcessorTestCase.testProcessor (list branch): each element processed
    assert run([{kind: {"field": "f", **options}}], {"f": [value, value]}) == {"f": [expected, expected]}


@pytest.mark.parametrize("kind, options, value, expected", STRING_CASES)
def test_string_processor_target_field(kind: str, options: dict[str, Any], value: str, expected: Any):
    # AbstractStringProcessorTestCase.testTargetField
    out = run([{kind: {"field": "f", "target_field": "t.x", **options}}], {"f": value})
    assert out == {"f": value, "t": {"x": expected}}


@pytest.mark.parametrize("kind, options", [(c[0], c[1]) for c in STRING_CASES])
def test_string_processor_field_not_found(kind: str, options: dict[str, Any]):
    # AbstractStringProcessorTestCase.testFieldNotFound
    err = failure([{kind: {"field": "a.b", **options}}], {"a": {}})
    assert err.reason == "field [b] not present as part of path [a.b]"


@pytest.mark.parametrize("kind, options", [(c[0], c[1]) for c in STRING_CASES])
def test_string_processor_field_not_found_with_ignore_missing(kind: str, options: dict[str, Any]):
    # AbstractStringProcessorTestCase.testFieldNotFoundWithIgnoreMissing
    assert run([{kind: {"field": "a.b", "ignore_missing": True, **options}}], {"a": {}}) == {"a": {}}


@pytest.mark.parametrize("kind, options", [(c[0], c[1]) for c in STRING_CASES])
def test_string_processor_null_value(kind: str, options: dict[str, Any]):
    # AbstractStringProcessorTestCase.testNullValue and testNullValueWithIgnoreMissing
    assert failure([{kind: {"field": "f", **options}}], {"f": None}).reason == "field [f] is null, cannot process it."
    assert run([{kind: {"field": "f", "ignore_missing": True, **options}}], {"f": None}) == {"f": None}


@pytest.mark.parametrize("kind, options, value", [(c[0], c[1], c[2]) for c in STRING_CASES])
def test_string_processor_non_string_value(kind: str, options: dict[str, Any], value: str):
    # AbstractStringProcessorTestCase.testNonStringValue. Elasticsearch: "field [f] of type
    # [java.lang.Integer] cannot be cast to [java.lang.String]"; ingesthost names JSON types.
    assert failure([{kind: {"field": "f", **options}}], {"f": 42}).reason == "field [f] of type [number] cannot be cast to [string]"
    # testNonStringValueWithIgnoreMissing: ignore_missing does not cover a wrong type
    err = failure([{kind: {"field": "f", "ignore_missing": True, **options}}], {"f": 42})
    assert err.reason == "field [f] of type [number] cannot be cast to [string]"
    err = failure([{kind: {"field": "f", **options}}], {"f": [value, 42]})
    assert err.reason == "value [42] of type [number] in list field [f] cannot be cast to [string]"


def test_trim_is_java_trim_not_unicode_strip():
    # ingesthost: String.trim strips only characters up to U+0020, so a no-break space stays
    assert run([{"trim": {"field": "f"}}], {"f": "\u00a0x\u00a0 "}) == {"f": "\u00a0x\u00a0"}


def test_bytes_errors():
    # BytesProcessorTests.testTooLarge, testNotBytes, testMissingUnits (the setting is named "Ingest Field")
    assert failure([{"bytes": {"field": "f"}}], {"f": "8912pb"}).reason == (
        "failed to parse setting [Ingest Field] with value [8912pb] as a size in bytes: "
        "Values greater than 9223372036854775807 bytes are not supported: 8912pb"
    )
    assert failure([{"bytes": {"field": "f"}}], {"f": "junk"}).reason == "failed to parse setting [Ingest Field] with value [junk]"
    assert "unit is missing or unrecognized" in failure([{"bytes": {"field": "f"}}], {"f": "1"}).reason


def test_bytes_decimals_and_exact_values():
    # ingesthost, after ByteSizeValue.parseBytesSizeValue: at most two decimals, no negative fractions,
    # "0", "1b" and "-1" as they are, "5b" in bytes
    assert "with more than two decimals in value [1.125kb]" in failure([{"bytes": {"field": "f"}}], {"f": "1.125kb"}).reason
    assert failure([{"bytes": {"field": "f"}}], {"f": "-1.5kb"}).reason == "failed to parse setting [Ingest Field] with value [-1.5kb]"
    assert run([{"bytes": {"field": "f"}}], {"f": ["0", "-1", "5b", " 2 MB "]}) == {"f": [0, -1, 5, 2 * 1024 * 1024]}


def test_gsub_java_replacement_groups():
    # ingesthost, after GsubProcessor: pattern and replacement are Java's (groups as $1)
    out = run([{"gsub": {"field": "f", "pattern": "(\\d+)-(\\d+)", "replacement": "$2:$1"}}], {"f": "12-34 5-6"})
    assert out == {"f": "34:12 6:5"}


def test_gsub_named_groups_are_translated():
    # ingesthost: Java's (?<name>...) and ${name} work on Python's re
    out = run([{"gsub": {"field": "f", "pattern": "(?<d>\\d)", "replacement": "<${d}>"}}], {"f": "a1b2"})
    assert out == {"f": "a<1>b<2>"}


def test_gsub_invalid_regex_is_refused_at_load():
    # ingesthost, after GsubProcessor's factory: "[pattern] Invalid regex pattern. ..."
    assert "[pattern] Invalid regex pattern." in load_error([{"gsub": {"field": "f", "pattern": "[", "replacement": ""}}])


def test_gsub_unsupported_java_syntax_is_refused_not_misread():
    # ingesthost: a possessive quantifier Python's re cannot read is refused at load
    assert "possessive" in load_error([{"gsub": {"field": "f", "pattern": "a*+", "replacement": ""}}])


def test_urldecode_malformed_escape_fails():
    # ingesthost: java.net.URLDecoder refuses a bad escape, so urldecode fails
    assert "URLDecoder: Illegal hex characters" in failure([{"urldecode": {"field": "f"}}], {"f": "%zz"}).reason
    assert "Incomplete trailing escape" in failure([{"urldecode": {"field": "f"}}], {"f": "ab%2"}).reason


# == split / join / sort =================================================================================


def test_split_regex_separator():
    # SplitProcessorTests.testSplit: separator "\\." on 127.0.0.1
    assert run([{"split": {"field": "f", "separator": "\\."}}], {"f": "127.0.0.1"}) == {"f": ["127", "0", "0", "1"]}


def test_split_field_not_found_and_null():
    # SplitProcessorTests.testSplitFieldNotFound, testSplitNullValue
    assert failure([{"split": {"field": "f", "separator": "\\."}}], {}).reason == "field [f] not present as part of path [f]"
    assert failure([{"split": {"field": "f", "separator": "\\."}}], {"f": None}).reason == "field [f] is null, cannot split."


def test_split_ignore_missing():
    # SplitProcessorTests.testSplitNullValueWithIgnoreMissing, testSplitNonExistentWithIgnoreMissing
    assert run([{"split": {"field": "f", "separator": "\\.", "ignore_missing": True}}], {"f": None}) == {"f": None}
    assert run([{"split": {"field": "f", "separator": "\\.", "ignore_missing": True}}], {}) == {}


def test_split_non_string_value():
    # SplitProcessorTests.testSplitNonStringValue (JSON type names: see the README)
    err = failure([{"split": {"field": "f", "separator": "\\."}}], {"f": 7})
    assert err.reason == "field [f] of type [number] cannot be cast to [string]"


def test_split_appendable():
    # SplitProcessorTests.testSplitAppendable: the result is a list an append adds to
    processors = [{"split": {"field": "flags", "separator": "\\|"}}, {"append": {"field": "flags", "value": "additional_flag"}}]
    out = run(processors, {"flags": "new|hot|super|fun|interesting"})
    assert out == {"flags": ["new", "hot", "super", "fun", "interesting", "additional_flag"]}


def test_split_with_target_field():
    # SplitProcessorTests.testSplitWithTargetField
    out = run([{"split": {"field": "f", "separator": "\\.", "target_field": "g"}}], {"f": "127.0.0.1"})
    assert out == {"f": "127.0.0.1", "g": ["127", "0", "0", "1"]}


@pytest.mark.parametrize("preserve, expected", [(True, ["foo", "bar", "baz", "", ""]), (False, ["foo", "bar", "baz"])])
def test_split_preserve_trailing(preserve: bool, expected: list[str]):
    # SplitProcessorTests.testSplitWithPreserveTrailing / testSplitWithoutPreserveTrailing
    out = run([{"split": {"field": "f", "separator": "\\|", "preserve_trailing": preserve}}], {"f": "foo|bar|baz||"})
    assert out == {"f": expected}


def test_join_strings_and_other_values():
    # JoinProcessorTests.testJoinStrings, testJoinIntegers (values joined with toString; the double
    # and boolean are ingesthost's additions)
    assert run([{"join": {"field": "f", "separator": "-"}}], {"f": ["a", "b"]}) == {"f": "a-b"}
    assert run([{"join": {"field": "f", "separator": "-"}}], {"f": [1, 2.5, True]}) == {"f": "1-2.5-true"}


def test_join_errors():
    # JoinProcessorTests.testJoinNonListField, testJoinNonExistingField, testJoinNullValue
    assert failure([{"join": {"field": "f", "separator": "-"}}], {"f": "x"}).reason == (
        "field [f] of type [string] cannot be cast to [array]"
    )
    assert failure([{"join": {"field": "f", "separator": "-"}}], {}).reason == "field [f] not present as part of path [f]"
    assert failure([{"join": {"field": "f", "separator": "-"}}], {"f": None}).reason == "field [f] is null, cannot join."


def test_join_with_target_field():
    # JoinProcessorTests.testJoinWithTargetField
    assert run([{"join": {"field": "f", "separator": "-", "target_field": "t"}}], {"f": ["a", "b"]}) == {"f": ["a", "b"], "t": "a-b"}


@pytest.mark.parametrize(
    "values, order, expected",
    [
        (["b", "a", "c"], "asc", ["a", "b", "c"]),  # SortProcessorTests.testSortStrings
        (["b", "a", "c"], "desc", ["c", "b", "a"]),
        ([3, 1, 2], "asc", [1, 2, 3]),  # SortProcessorTests.testSortIntegers
        ([50, 3, 100, 1, 22, 4, 10, 2, 21, 5, 20], "asc", [1, 2, 3, 4, 5, 10, 20, 21, 22, 50, 100]),  # testSortIntegersNonRandom
        ([2.5, 1.5], "asc", [1.5, 2.5]),  # SortProcessorTests.testSortDoubles
        ([True, False], "asc", [False, True]),  # SortProcessorTests.testSortBooleans
        (["b", "10", "a", "9"], "asc", ["10", "9", "a", "b"]),  # SortProcessorTests.testSortMixedStrings
    ],
)
def test_sort(values: list[Any], order: str, expected: list[Any]):
    assert run([{"sort": {"field": "f", "order": order}}], {"f": values}) == {"f": expected}


def test_sort_errors():
    # SortProcessorTests.testSortNonListField, testSortNonExistingField, testSortNullValue; the order
    # refusal is ingesthost's, after SortProcessor's factory message
    assert failure([{"sort": {"field": "f"}}], {"f": "x"}).reason == "field [f] of type [string] cannot be cast to [array]"
    assert failure([{"sort": {"field": "f"}}], {}).reason == "field [f] not present as part of path [f]"
    assert failure([{"sort": {"field": "f"}}], {"f": None}).reason == "field [f] is null, cannot sort."
    assert "[order] Sort direction [up] not recognized. Valid values are: [asc, desc]" in load_error(
        [{"sort": {"field": "f", "order": "up"}}]
    )


def test_sort_strings_in_java_order():
    # ingesthost: Java compares UTF-16 code units, so U+FF61 sorts after U+1F600 (a surrogate pair)
    assert run([{"sort": {"field": "f"}}], {"f": ["\uff61", "\U0001f600"]}) == {"f": ["\U0001f600", "\uff61"]}


def test_sort_with_target_field():
    # SortProcessorTests.testSortWithTargetFieldLeavesOriginalUntouched, testDescendingSortWithTargetField
    assert run([{"sort": {"field": "f", "target_field": "t"}}], {"f": [1, 5, 4]}) == {"f": [1, 5, 4], "t": [1, 4, 5]}
    out = run([{"sort": {"field": "f", "target_field": "t", "order": "desc"}}], {"f": ["a", "c", "b"]})
    assert out == {"f": ["a", "c", "b"], "t": ["c", "b", "a"]}


# == convert ==============================================================================================


@pytest.mark.parametrize(
    "kind, value, expected",
    [
        ("integer", "-2147483648", -2147483648),  # ConvertProcessorTests.testConvertInt
        ("integer", "-0x7fffffff", -2147483647),  # testConvertIntHex
        ("integer", "010", 10),  # testConvertIntLeadingZero
        ("integer", ["1", "-2"], [1, -2]),  # testConvertIntList
        ("long", "9223372036854775807", 9223372036854775807),  # testConvertLong
        ("long", "0x7fffffffffffffff", 9223372036854775807),  # testConvertLongHex
        ("long", "010", 10),  # testConvertLongLeadingZero
        ("double", "0.6684711", 0.6684711),  # testConvertDouble
        ("double", ["1.5", "2.0"], [1.5, 2.0]),  # testConvertDoubleList
        ("float", "0.35", 0.35),  # testConvertFloat
        ("float", ["0.35", "1.1"], [0.35, 1.1]),  # testConvertFloatList
        ("boolean", "TRUE", True),  # testConvertBoolean
        ("boolean", ["false", "True"], [False, True]),  # testConvertBooleanList
        ("ip", "192.168.1.1", "192.168.1.1"),  # testConvertIpV4
        ("ip", "2001:db8:3333:4444:5555:6666:7777:8888", "2001:db8:3333:4444:5555:6666:7777:8888"),  # testConvertIpV6
        ("string", 12, "12"),  # testConvertString
        ("string", True, "true"),
        ("string", [1, False, 2.5], ["1", "false", "2.5"]),  # testConvertStringList
        ("auto", 17, 17),  # testAutoConvertNotString
        ("auto", "notAnIntFloatOrBool", "notAnIntFloatOrBool"),  # testAutoConvertStringNotMatched
        ("auto", "true", True),  # testAutoConvertMatchBoolean
        ("auto", "-42", -42),  # testAutoConvertMatchInteger
        ("auto", "4294967296", 4294967296),  # testAutoConvertMatchLong
        ("auto", "0.1", 0.1),  # testAutoConvertMatchFloat (a float: prints as 0.1)
        ("auto", "0.33333333333333337", 0.33333334),  # testAutoConvertDoubleNotMatched: a float, not the double
    ],
)
def test_convert(kind: str, value: Any, expected: Any):
    assert run([{"convert": {"field": "f", "type": kind}}], {"f": value}) == {"f": expected}


@pytest.mark.parametrize(
    "kind, value, reason",
    [
        ("integer", "0xnotanumber", "unable to convert [0xnotanumber] to integer"),  # testConvertIntHexError
        ("integer", "string-abc", "unable to convert [string-abc] to integer"),  # testConvertIntError
        ("integer", "2147483648", "unable to convert [2147483648] to integer"),
        ("long", "0xnotanumber", "unable to convert [0xnotanumber] to long"),  # testConvertLongHexError
        ("long", "string-abc", "unable to convert [string-abc] to long"),  # testConvertLongError
        ("double", "string-abc", "unable to convert [string-abc] to double"),  # testConvertDoubleError
        ("float", "string-abc", "unable to convert [string-abc] to float"),  # testConvertFloatError
        ("boolean", "yes", "[yes] is not a boolean value, cannot convert to boolean"),  # testConvertBooleanError
        ("boolean", "1", "[1] is not a boolean value, cannot convert to boolean"),
        ("ip", "192.168.1.256", "'192.168.1.256' is not an IP string literal."),  # testConvertIpV4
        ("ip", "2001:db8:3333:4444:5555:6666:7777:88888", "'2001:db8:3333:4444:5555:6666:7777:88888' is not an IP string literal."),
    ],
)
def test_convert_errors(kind: str, value: Any, reason: str):
    assert failure([{"convert": {"field": "f", "type": kind}}], {"f": value}).reason == reason


def test_convert_java_number_syntax():
    # ingesthost: Integer.parseInt refuses what Python's int() accepts; Double.parseDouble takes suffixes
    assert failure([{"convert": {"field": "f", "type": "integer"}}], {"f": " 1"}).reason == "unable to convert [ 1] to integer"
    assert failure([{"convert": {"field": "f", "type": "integer"}}], {"f": "1_000"}).reason == "unable to convert [1_000] to integer"
    assert run([{"convert": {"field": "f", "type": "double"}}], {"f": " 1.5d "}) == {"f": 1.5}
    assert failure([{"convert": {"field": "f", "type": "integer"}}], {"f": 1.0}).reason == "unable to convert [1.0] to integer"


def test_convert_missing_and_null_fields():
    # ConvertProcessorTests.testConvertNonExistingField, testConvertNullField,
    # testConvertNonExistingFieldWithIgnoreMissing, testConvertNullFieldWithIgnoreMissing
    assert "not present as part of path [f]" in failure([{"convert": {"field": "f", "type": "long"}}], {}).reason
    err = failure([{"convert": {"field": "f", "type": "long"}}], {"f": None})
    assert err.reason == "Field [f] is null, cannot be converted to type [long]"
    assert run([{"convert": {"field": "f", "type": "long", "ignore_missing": True}}], {}) == {}
    assert run([{"convert": {"field": "f", "type": "long", "ignore_missing": True}}], {"f": None}) == {"f": None}


def test_convert_target_field_and_bad_type():
    # ConvertProcessorTests.testTargetField; the type refusal is ConvertProcessor.Type.fromString's message
    assert run([{"convert": {"field": "f", "type": "integer", "target_field": "t"}}], {"f": "5"}) == {"f": "5", "t": 5}
    assert "[type] type [x] not supported, cannot convert field." in load_error([{"convert": {"field": "f", "type": "x"}}])


def test_convert_refuses_nan_which_documents_cannot_hold():
    # ingesthost: Float.parseFloat("NaN") is NaN in Elasticsearch; ingesthost documents hold no NaN
    assert "documents cannot hold NaN" in failure([{"convert": {"field": "f", "type": "float"}}], {"f": "NaN"}).reason


# == json ====================================================================================================


def test_json_target_field_and_nested_objects():
    # ingesthost, after JsonProcessorTests: target_field and nested values
    out = run([{"json": {"field": "f", "target_field": "t"}}], {"f": '{"a": {"b": [1, "x", null]}}'})
    assert out == {"f": '{"a": {"b": [1, "x", null]}}', "t": {"a": {"b": [1, "x", None]}}}


def test_json_invalid_json_fails():
    # ingesthost, after JsonProcessorTests: a parse error (the message is Python's parser's, not Jackson's)
    err = failure([{"json": {"field": "f"}}], {"f": "blah"})
    assert err.reason.startswith("cannot parse [blah] as JSON")


def test_json_strict_parsing_refuses_trailing_content():
    # ingesthost, after JsonProcessor.apply: strict_json_parsing true (the default), its message
    err = failure([{"json": {"field": "f"}}], {"f": "123 \"foo\""})
    assert err.reason == 'The input 123 "foo" is not valid JSON and the strict_json_parsing parameter is true'


def test_json_duplicate_keys_fail_by_default():
    # ingesthost, after JsonProcessor: without allow_duplicate_keys Jackson refuses the document
    assert failure([{"json": {"field": "f"}}], {"f": '{"a": 1, "a": 2}'}).reason == "Duplicate field 'a'"


def test_json_add_to_root_replaces_and_refuses_non_objects():
    # ingesthost, after JsonProcessor.apply: add_to_root replaces; "cannot add non-map fields to root of document"
    out = run([{"json": {"field": "f", "add_to_root": True}}], {"f": '{"a": 1, "b": {"c": 2}}', "b": {"d": 3}})
    assert out == {"f": '{"a": 1, "b": {"c": 2}}', "a": 1, "b": {"c": 2}}
    err = failure([{"json": {"field": "f", "add_to_root": True}}], {"f": "[1]"})
    assert err.reason == "cannot add non-map fields to root of document"


def test_json_factory_errors():
    # ingesthost, after JsonProcessor.Factory's three refusals
    assert "Cannot set a target field while also setting `add_to_root` to true" in load_error(
        [{"json": {"field": "f", "target_field": "t", "add_to_root": True}}]
    )
    assert "conflict strategy [x] not supported, cannot convert field." in load_error(
        [{"json": {"field": "f", "add_to_root": True, "add_to_root_conflict_strategy": "x"}}]
    )
    assert "Cannot set `add_to_root_conflict_strategy` if `add_to_root` is false" in load_error(
        [{"json": {"field": "f", "add_to_root_conflict_strategy": "merge"}}]
    )


# == dot_expander ============================================================================================


@pytest.mark.parametrize(
    "doc, field, expected",
    [
        ({"foo.bar": "baz1"}, "foo.bar", {"foo": {"bar": "baz1"}}),
        ({"foo.bar.baz": "value"}, "foo.bar.baz", {"foo": {"bar": {"baz": "value"}}}),
        ({"foo.bar": "baz1", "foo": {"bar": "baz2"}}, "foo.bar", {"foo": {"bar": ["baz2", "baz1"]}}),
        ({"foo.bar": "2", "foo": {"bar": 1}}, "foo.bar", {"foo": {"bar": [1, "2"]}}),
    ],
)
def test_dot_expander_escape_fields(doc: dict[str, Any], field: str, expected: dict[str, Any]):
    # DotExpanderProcessorTests.testEscapeFields
    assert run([{"dot_expander": {"field": field}}], doc) == expected


def test_dot_expander_value_field_on_the_way():
    # DotExpanderProcessorTests.testEscapeFields_valueField
    err = failure([{"dot_expander": {"field": "foo.bar"}}], {"foo.bar": "baz1", "foo": "baz2"})
    assert err.reason == "cannot expand [foo.bar], because [foo] is not an object field, but a value field"
    processors = [{"rename": {"field": "foo", "target_field": "foo.bar"}}, {"dot_expander": {"field": "foo.bar"}}]
    assert run(processors, {"foo.bar": "baz1", "foo": "baz2"}) == {"foo": {"bar": ["baz2", "baz1"]}}
    out = run([{"dot_expander": {"field": "foo.bar.baz"}}], {"foo.bar.baz": "baz1", "foo": {"bar": {}}})
    assert out == {"foo": {"bar": {"baz": "baz1"}}}
    err = failure([{"dot_expander": {"field": "foo.bar.baz"}}], {"foo.bar.baz": "baz1", "foo": {"bar": "baz2"}})
    assert err.reason == "cannot expand [foo.bar.baz], because [foo.bar] is not an object field, but a value field"


def test_dot_expander_path():
    # DotExpanderProcessorTests.testEscapeFields_path
    out = run([{"dot_expander": {"field": "bar.baz", "path": "foo"}}], {"foo": {"bar.baz": "value"}})
    assert out == {"foo": {"bar": {"baz": "value"}}}
    out = run([{"dot_expander": {"field": "foo.bar.baz", "path": "field"}}], {"field": {"foo.bar.baz": "value"}})
    assert out == {"field": {"foo": {"bar": {"baz": "value"}}}}


def test_dot_expander_does_nothing_if_the_field_is_absent():
    # DotExpanderProcessorTests.testEscapeFields_doNothingIfFieldNotInSourceDoc
    assert run([{"dot_expander": {"field": "abc.def"}}], {"foo.bar": "baz1"}) == {"foo.bar": "baz1"}
    assert run([{"dot_expander": {"field": "foo.bar"}}], {"foo": {"bar": "baz1"}}) == {"foo": {"bar": "baz1"}}


def test_dot_expander_override():
    # DotExpanderProcessorTests.testOverride
    out = run([{"dot_expander": {"field": "foo.bar", "override": True}}], {"foo": {"bar": "baz1", "qux": "quux"}, "foo.bar": "baz2"})
    assert out == {"foo": {"bar": "baz2", "qux": "quux"}}


def test_dot_expander_wildcard():
    # DotExpanderProcessorTests.testWildcard
    out = run([{"dot_expander": {"field": "*"}}], {"foo.bar": "baz", "qux.quux": "corge"})
    assert out == {"foo": {"bar": "baz"}, "qux": {"quux": "corge"}}
    assert run([{"dot_expander": {"field": "*", "path": "foo"}}], {"foo": {"bar.baz": "qux"}}) == {"foo": {"bar": {"baz": "qux"}}}
    assert run([{"dot_expander": {"field": "*"}}], {"foo": {"bar.baz": "qux"}}) == {"foo": {"bar.baz": "qux"}}


@pytest.mark.parametrize(
    "field, message",
    [
        ("a", "field does not contain a dot and is not a wildcard"),
        (".a", "Field can't start or end with a dot"),
        ("a.", "Field can't start or end with a dot"),
        ("a..b", "No space between dots"),
    ],
)
def test_dot_expander_factory_errors(field: str, message: str):
    # ingesthost, after DotExpanderProcessor.Factory's refusals
    assert message in load_error([{"dot_expander": {"field": field}}])


# == append ===================================================================================================


def test_append_to_scalar_and_missing_fields():
    # ingesthost, after AppendProcessor / IngestDocument.appendFieldValue: list, missing field, scalar
    assert run([{"append": {"field": "f", "value": [2, 3]}}], {"f": [1]}) == {"f": [1, 2, 3]}
    assert run([{"append": {"field": "a.f", "value": "x"}}], {}) == {"a": {"f": ["x"]}}
    assert run([{"append": {"field": "f", "value": "y"}}], {"f": "x"}) == {"f": ["x", "y"]}


def test_append_templates_in_values_and_field():
    # ingesthost: templated values and field, as AppendProcessor renders them
    out = run([{"append": {"field": "{{{k}}}", "value": ["{{{a}}}-1", 2]}}], {"k": "f", "a": "v", "f": []})
    assert out == {"k": "f", "a": "v", "f": ["v-1", 2]}


def test_append_without_duplicates():
    # ingesthost, after IngestDocument.appendValues without duplicates (a scalar nothing is added to stays a scalar)
    assert run([{"append": {"field": "f", "value": "x", "allow_duplicates": False}}], {"f": "x"}) == {"f": "x"}
    assert run([{"append": {"field": "f", "value": "y", "allow_duplicates": False}}], {"f": "x"}) == {"f": ["x", "y"]}
    out = run([{"append": {"field": "f", "value": ["a", "c", "c"], "allow_duplicates": False}}], {"f": ["a", "b"]})
    assert out == {"f": ["a", "b", "c"]}


def test_append_duplicates_use_java_equals():
    # ingesthost: as Java's List.contains, 1 and 1.0 (Integer, Double) are different values
    out = run([{"append": {"field": "f", "value": [1.0, True], "allow_duplicates": False}}], {"f": [1]})
    assert out == {"f": [1, 1.0, True]}


@pytest.mark.parametrize(
    "name, doc, dest",
    [
        ("Simple value into an absent value", {"src": 1}, [1]),
        ("Simple value into a present simple value", {"src": 2, "dest": 1}, [1, 2]),
        ("Simple value into a present array", {"src": 3, "dest": [1, 2]}, [1, 2, 3]),
        ("Array into an absent value", {"src": [1, 2]}, [1, 2]),
        ("Array into a present array", {"src": [2], "dest": [1]}, [1, 2]),
    ],
)
def test_yaml_350_append_copy_from(name: str, doc: dict[str, Any], dest: list[Any]):
    # 350_append_copy_from.yml, each named test: append {field: dest, copy_from: src}; src is kept
    out = run([{"append": {"field": "dest", "copy_from": "src"}}], dict(doc))
    assert out == {"src": doc["src"], "dest": dest}, name


def test_yaml_350_append_copy_from_and_value_refused():
    # 350_append_copy_from.yml "It is not permitted to have both copy_from and value"
    err = load_error([{"append": {"tag": "some_tag", "field": "dest", "copy_from": "src", "value": "uh_oh"}}])
    assert "tag [some_tag]" in err
    assert err.endswith("[copy_from] cannot set both `copy_from` and `value` in the same processor")


def test_append_copy_from_is_a_copy():
    # ingesthost: the appended value is a copy, not shared with its source
    with Pipeline.from_definition({"processors": [{"append": {"field": "d", "copy_from": "s"}}]}, cache=False) as p:
        out = p.process({"s": {"k": [1]}})
        out["d"][0]["k"].append(2)
        assert out["s"] == {"k": [1]}


def test_append_needs_value_or_copy_from():
    # ingesthost, after AppendProcessor.Factory: value or copy_from is required
    assert "[value] required property is missing" in load_error([{"append": {"field": "f"}}])


# == fingerprint ==============================================================================================


def test_fingerprint_basic():
    # FingerprintProcessorTests.testBasic: fields sorted, SHA-1 of 0x00 "barValue" 0x00 "fooValue"
    out = run([{"fingerprint": {"fields": ["foo", "bar"]}}], {"foo": "fooValue", "bar": "barValue"})
    assert out["fingerprint"] == "IgxzmZVknx4+Og/eUpvIlqH9PdI="


def test_fingerprint_ignore_missing():
    # FingerprintProcessorTests.testIgnoreMissing
    fp = {"fingerprint": {"fields": ["foo", "bar", "baz"], "ignore_missing": True}}
    assert run([fp], {"foo": "foo"})["fingerprint"] == "WoyqQDn9vALAGmScjA9Z2yg7sos="
    assert run([fp], {"foo": "foo", "bar": "foo"})["fingerprint"] == "vjq2RyU5UA8vzeM5gIbfrOGir7w="
    assert run([fp], {"foo": "foo", "bar": "foo", "baz": "foo"})["fingerprint"] == "2Ozd89kaee2AnbrjU8zB6QGn9Wo="
    err = failure([{"fingerprint": {"fields": ["foo", "bar", "baz"]}}], {"foo": "foo", "bar": "foo"})
    assert err.reason == "missing field [baz] when calculating fingerprint"


def test_fingerprint_salt():
    # FingerprintProcessorTests.testSalt
    assert run([{"fingerprint": {"fields": ["foo"], "salt": "salt"}}], {"foo": "foo"})["fingerprint"] == "rWTTCYvRPQAzKXydmKwyC+//dmM="


@pytest.mark.parametrize(
    "method, expected",
    [
        ("MD5", "b+3QyaPYdnUF1lb5IKE+1g=="),
        ("SHA-1", "SX/93t223OurJvgMUOCtSl9hcpg="),
        ("SHA-256", "zDQYTy34tBlmNedlDdn++N7NN+wBY15mCoPDINmUxXc="),
        ("SHA-512", "xNIpYyJzRmg5R0T44ZORC2tgh8N4tVtTFzD5AdBqxmdOuRUjibQQ64lgefkbuZFl8Hv9ze9U6PAmrlgJPcRPGA=="),
        ("MurmurHash3", "yjfaOoy2UQ3EHZRAzFK9sw=="),
    ],
)
def test_fingerprint_method(method: str, expected: str):
    # FingerprintProcessorTests.testMethod
    assert run([{"fingerprint": {"fields": ["foo", "bar"], "method": method}}], {"foo": "foo", "bar": "bar"})["fingerprint"] == expected


def _expected_sha1(*chunks: bytes) -> str:
    return base64.b64encode(hashlib.sha1(b"".join(b"\x00" + c for c in chunks)).digest()).decode()


def test_fingerprint_object_traversal_with_lists_and_maps():
    # FingerprintProcessorTests.testObjectTraversalWithLists, testObjectTraversalWithMaps: lists in order,
    # maps by sorted key, each key's bytes before its value's
    out = run([{"fingerprint": {"fields": ["foo", "bar"]}}], {"foo": ["zoo", "yak", ["rat", "tiger"], "xor"], "bar": "barValue"})
    assert out["fingerprint"] == _expected_sha1(b"barValue", b"zoo", b"yak", b"rat", b"tiger", b"xor")
    doc = {"foo": {"foo-sub2": "foo2", "foo-sub1": "foo3"}, "bar": {"bar-sub1": "bar3", "bar-sub2": "bar2"}}
    out = run([{"fingerprint": {"fields": ["foo", "bar"]}}], doc)
    expected = _expected_sha1(b"bar-sub1", b"bar3", b"bar-sub2", b"bar2", b"foo-sub1", b"foo3", b"foo-sub2", b"foo2")
    assert out["fingerprint"] == expected


def test_fingerprint_data_types():
    # FingerprintProcessorTests.testDataTypes: Integer as 4 bytes LE, Long 8, Double 8, booleans 1/2, null nothing
    doc = {"types": {"0string": "foo", "2integer": 42, "3long": 2**40, "5double": 3.15, "6boolean": True, "9null": None}}
    out = run([{"fingerprint": {"fields": ["types"]}}], doc)
    expected = _expected_sha1(
        b"0string", b"foo", b"2integer", (42).to_bytes(4, "little"), b"3long", (2**40).to_bytes(8, "little"),
        b"5double", bytes.fromhex("3333333333330940"), b"6boolean", b"\x01", b"9null", b"",
    )
    assert out["fingerprint"] == expected


def test_fingerprint_factory_errors():
    # ingesthost, after FingerprintProcessor.Factory's messages (unsupported method, empty fields)
    assert "[method] [sha1] must be one of the supported hash methods [MD5,SHA-1,SHA-256,SHA-512,MurmurHash3]" in load_error(
        [{"fingerprint": {"fields": ["a"], "method": "sha1"}}]
    )
    assert "[fields] must specify at least one field" in load_error([{"fingerprint": {"fields": []}}])


# == kv =======================================================================================================

KV_INPUT = "first=hello&second=world&second=universe"


def kv(**options: Any) -> list[dict[str, Any]]:
    return [{"kv": {"field": "f", "field_split": "&", "value_split": "=", **options}}]


def test_kv_basic_and_root_target():
    # KeyValueProcessorTests.test, testRootTarget
    assert run(kv(target_field="target"), {"f": KV_INPUT})["target"] == {"first": "hello", "second": ["world", "universe"]}
    out = run(kv(), {"f": KV_INPUT})
    assert out["first"] == "hello" and out["second"] == ["world", "universe"]


def test_kv_key_same_as_source_field():
    # KeyValueProcessorTests.testKeySameAsSourceField
    assert run([{"kv": {"field": "first", "field_split": "&", "value_split": "="}}], {"first": "first=hello"}) == {
        "first": ["first=hello", "hello"]
    }


def test_kv_include_and_exclude_keys():
    # KeyValueProcessorTests.testIncludeKeys, testExcludeKeys, testIncludeAndExcludeKeys
    assert run(kv(target_field="t", include_keys=["first"]), {"f": KV_INPUT})["t"] == {"first": "hello"}
    assert run(kv(target_field="t", exclude_keys=["second"]), {"f": KV_INPUT})["t"] == {"first": "hello"}
    out = run(kv(target_field="t", include_keys=["first", "second"], exclude_keys=["first", "second"]), {"f": KV_INPUT + "&third=bar"})
    assert "t" not in out


def test_kv_missing_field_and_ignore_missing():
    # KeyValueProcessorTests.testMissingField, testNullValueWithIgnoreMissing, testNonExistentWithIgnoreMissing
    assert failure([{"kv": {"field": "unknown", "field_split": "&", "value_split": "="}}], {}).reason == "field [unknown] doesn't exist"
    assert run([{"kv": {"field": "f", "field_split": "", "value_split": "", "ignore_missing": True}}], {"f": None}) == {"f": None}
    assert run([{"kv": {"field": "unknown", "field_split": "", "value_split": "", "ignore_missing": True}}], {}) == {}


def test_kv_field_split_mismatch_and_value_split_failure():
    # KeyValueProcessorTests.testFailFieldSplitMatch, testFailValueSplitMatch
    out = run(kv(target_field="t"), {"f": "first=hello|second=world|second=universe"})
    assert out["t"] == {"first": "hello|second=world|second=universe"}
    assert failure(kv(target_field="t"), {"f": "bar"}).reason == "field [f] does not contain value_split [=]"


def test_kv_trim_key_and_value():
    # KeyValueProcessorTests.testTrimKeyAndValue
    out = run(kv(target_field="t", trim_key=" ", trim_value=" "), {"f": "first= hello &second=world& second =universe"})
    assert out["t"] == {"first": "hello", "second": ["world", "universe"]}


def test_kv_trim_multi_char_sequence():
    # KeyValueProcessorTests.testTrimMultiCharSequence
    text = (
        "to=<foo@example.com>, orig_to=<bar@example.com>, %+relay=mail.example.com[private/dovecot-lmtp],"
        " delay=2.2, delays=1.9/0.01/0.01/0.21, dsn=2.0.0, status=sent "
    )
    out = run([{"kv": {"field": "f", "field_split": " ", "value_split": "=", "target_field": "t", "trim_key": "%+", "trim_value": "<>,"}}], {"f": text})
    assert out["t"] == {
        "to": "foo@example.com",
        "orig_to": "bar@example.com",
        "relay": "mail.example.com[private/dovecot-lmtp]",
        "delay": "2.2",
        "delays": "1.9/0.01/0.01/0.21",
        "dsn": "2.0.0",
        "status": "sent",
    }


def test_kv_strip_brackets():
    # KeyValueProcessorTests.testStripBrackets
    text = "first=<hello>&second=\"world\"&second=(universe)&third=<foo>&fourth=[bar]&fifth='last'"
    out = run(kv(target_field="t", strip_brackets=True), {"f": text})
    assert out["t"] == {"first": "hello", "second": ["world", "universe"], "third": "foo", "fourth": "bar", "fifth": "last"}


def test_kv_prefix():
    # KeyValueProcessorTests.testAddPrefix
    assert run(kv(target_field="t", prefix="arg_"), {"f": KV_INPUT})["t"] == {"arg_first": "hello", "arg_second": ["world", "universe"]}


# == dissect processor =========================================================================================


def test_dissect_processor_field_and_errors():
    # DissectProcessorTests.testMatch, testMatchOverwrite, testAdvancedMatch, testMiss,
    # testNullValueWithIgnoreMissing, testNullValueWithOutIgnoreMissing, testNonStringValueWithIgnoreMissing
    out = run([{"dissect": {"field": "message", "pattern": "%{a},%{b},%{c}"}}], {"message": "foo,bar,baz", "a": "willgetstompped"})
    assert out == {"message": "foo,bar,baz", "a": "foo", "b": "bar", "c": "baz"}
    pattern = "%{a->} %{*b->},%{&b} %{}:%{?skipme} %{+smile/2} \U0001f407 %{+smile/1}"
    message = "foo       bar,,,,,,,baz nope:notagain \U0001f60a \U0001f407 \U0001f643"
    out = run([{"dissect": {"field": "message", "pattern": pattern, "append_separator": "::::"}}], {"message": message})
    assert out == {"message": message, "a": "foo", "bar": "baz", "smile": "\U0001f643::::\U0001f60a"}
    err = failure([{"dissect": {"field": "message", "pattern": "%{a},%{b},%{c}"}}], {"message": "foo:bar,baz"})
    assert "Unable to find match for dissect pattern" in err.reason
    assert run([{"dissect": {"field": "m", "pattern": "%{a},%{b},%{c}", "ignore_missing": True}}], {"m": None}) == {"m": None}
    assert failure([{"dissect": {"field": "m", "pattern": "%{a}"}}], {"m": None}).reason == "field [m] is null, cannot process it."
    err = failure([{"dissect": {"field": "m", "pattern": "%{a},%{b},%{c}", "ignore_missing": True}}], {"m": 1})
    assert err.reason == "field [m] of type [number] cannot be cast to [string]"


def test_dissect_dotted_keys_create_objects():
    # ingesthost: keys are field paths, as Elasticsearch's setFieldValue reads them
    out = run([{"dissect": {"field": "message", "pattern": "%{a.b.c},%{a.b.d}"}}], {"message": "foo,bar"})
    assert out == {"message": "foo,bar", "a": {"b": {"c": "foo", "d": "bar"}}}


# == foreach ==================================================================================================


def test_foreach_executes_on_each_element():
    # ingesthost, after ForEachProcessor: uppercase on each value
    processors = [{"foreach": {"field": "values", "processor": {"uppercase": {"field": "_ingest._value"}}}}]
    assert run(processors, {"values": ["foo", "bar", "baz"]}) == {"values": ["FOO", "BAR", "BAZ"]}


def test_foreach_failure_fails_the_document():
    # ingesthost, after ForEachProcessor: a failing element fails the document
    processors = [{"foreach": {"field": "values", "processor": {"fail": {"message": "failure"}}}}]
    assert failure(processors, {"values": ["a", "b"]}).reason == "failure"


def test_foreach_inner_on_failure_lets_it_go_on():
    # ingesthost: on_failure on the inner processor handles one element and the loop goes on
    processors = [
        {"foreach": {"field": "values", "processor": {"uppercase": {"field": "_ingest._value",
                                                                     "on_failure": [{"set": {"field": "_ingest._value", "value": "bad"}}]}}}}
    ]
    assert run(processors, {"values": ["a", 1, "c"]}) == {"values": ["A", "bad", "C"]}


def test_foreach_metadata_and_rest_of_document():
    # ingesthost, after ForEachProcessor: the rest of the document is readable from the inner processor
    processors = [{"foreach": {"field": "values", "processor": {"set": {"field": "_ingest._value.new_field", "value": "{{{other}}}"}}}}]
    out = run(processors, {"values": [{"a": 1}, {"a": 2}], "other": "value"})
    assert out == {"values": [{"a": 1, "new_field": "value"}, {"a": 2, "new_field": "value"}], "other": "value"}


def test_foreach_over_a_map_with_key():
    # ingesthost, after ForEachProcessor.innerExecuteMap: _ingest._key and _ingest._value, both writable
    processors = [
        {"foreach": {"field": "m", "processor": {"uppercase": {"field": "_ingest._key"}}}},
        {"foreach": {"field": "m", "processor": {"set": {"field": "_ingest._value", "value": "{{{_ingest._key}}}!"}}}},
    ]
    assert run(processors, {"m": {"a": 1, "b": 2}}) == {"m": {"A": "A!", "B": "B!"}}


def test_foreach_nested():
    # ingesthost: a foreach inside a foreach
    inner = {"foreach": {"field": "_ingest._value.values", "processor": {"uppercase": {"field": "_ingest._value"}}}}
    out = run([{"foreach": {"field": "values", "processor": inner}}], {"values": [{"values": ["a", "b"]}, {"values": ["c"]}]})
    assert out == {"values": [{"values": ["A", "B"]}, {"values": ["C"]}]}


def test_foreach_missing_null_and_wrong_type():
    # ingesthost, after ForEachProcessor.execute: ignore_missing, missing, null and non-iterable fields
    inner = {"uppercase": {"field": "_ingest._value"}}
    assert run([{"foreach": {"field": "v", "processor": inner, "ignore_missing": True}}], {}) == {}
    assert failure([{"foreach": {"field": "v", "processor": inner}}], {}).reason == "field [v] not present as part of path [v]"
    assert failure([{"foreach": {"field": "v", "processor": inner}}], {"v": None}).reason == "field [v] is null, cannot loop over its elements."
    assert failure([{"foreach": {"field": "v", "processor": inner}}], {"v": 3}).reason == "field [v] of type [number] cannot be cast to a list or map"


def test_foreach_drop_drops_the_document():
    # ingesthost, after ForEachProcessor: a drop inside foreach drops the document
    assert run([{"foreach": {"field": "v", "processor": {"drop": {}}}}], {"v": [1]}) is None


def test_foreach_factory_errors():
    # ingesthost, after ForEachProcessor.Factory: one processor, required, of a known type
    assert "Must specify exactly one processor type" in load_error(
        [{"foreach": {"field": "f", "processor": {"set": {"field": "a", "value": 1}, "uppercase": {"field": "b"}}}}]
    )
    assert "[processor] required property is missing" in load_error([{"foreach": {"field": "f"}}])
    assert "processors[0].processor: unknown processor type [nope]" in load_error([{"foreach": {"field": "f", "processor": {"nope": {}}}}])


# == the common options, as for the existing built-ins ===========================================================


def test_common_options_if_ignore_failure_on_failure_and_tag():
    # ingesthost: every new processor takes tag/if/ignore_failure/on_failure like set/remove/rename
    processors = [
        {"lowercase": {"field": "a", "if": "ctx.go == true"}},
        {"convert": {"field": "b", "type": "integer", "ignore_failure": True}},
        {"split": {"field": "c", "separator": ",", "tag": "splitter",
                   "on_failure": [{"set": {"field": "error", "value": "{{{_ingest.on_failure_processor_type}}}/{{{_ingest.on_failure_processor_tag}}}: {{{_ingest.on_failure_message}}}"}}]}},
    ]
    out = run(processors, {"go": False, "a": "X", "b": "nope", "c": 5})
    assert out == {"go": False, "a": "X", "b": "nope", "c": 5,
                   "error": "split/splitter: field [c] of type [number] cannot be cast to [string]"}


def test_unknown_option_is_refused_with_its_place():
    # ingesthost: options are checked at load, as for the existing built-ins
    assert "processors[0]: unknown option(s) separatr for processor [split]" in load_error([{"split": {"field": "f", "separatr": ","}}])
