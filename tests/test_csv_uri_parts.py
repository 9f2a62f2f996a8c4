"""The ``csv`` and ``uri_parts`` processors, checked against Elasticsearch's own tests.

Cases are translated from Elasticsearch's
``modules/ingest-common/src/test/java/org/elasticsearch/ingest/common/``
``CsvProcessorTests.java``, ``CsvProcessorFactoryTests.java``,
``UriPartsProcessorTests.java`` and ``UriPartsProcessorFactoryTests.java``,
and from the YAML REST tests ``250_csv.yml`` and
``320_uri_parts_processor.yml`` (``modules/ingest-common/src/yamlRestTest/
resources/rest-api-spec/test/ingest/``). Each keeps a comment naming the
file and the test it comes from. ``CsvProcessorTests`` runs once per quote
(``'``, ``"``, none) and separator (``,``, ``;``, ``|``, ``.``, tab), as its
``@ParametersFactory`` does; its random names and values are replaced by
fixed ones. The Java tests build processors directly (a random field name
holding the line); here they are built from pipeline definitions, the line
in ``message``.

Where ingesthost deliberately differs (JSON type names in messages, a
message instead of Java's NullPointerException for a null ``uri_parts``
field, unknown options refused before the others are read), the test
asserts ingesthost's behaviour and says so.

Cases marked "ingesthost" are not from Elasticsearch's tests. The
``uri_parts`` ones marked "java.net" hold what ``new URI(text)`` (falling
back to ``new URL(text)``) gives on OpenJDK 17, read off with a small Java
program applying Elasticsearch's ``UriPartsProcessor.apply`` rules; the same
program agreed with ingesthost's parser on 60,000 generated URIs. The csv
parser is also checked against a character-at-a-time model of
Elasticsearch's ``CsvParser`` on generated lines.
"""

from __future__ import annotations

import random
import time
from typing import Any

import pytest
from test_builtins import failure, load_error, run

from ingesthost import IngestDocument, Pipeline
from ingesthost.pipeline_requirements import known_processor_types
from ingesthost.processors.csv import CsvProcessor, csv_fields
from ingesthost.processors.uri_parts import (
    JavaNumberFormatError,
    UriSyntaxError,
    parse_java_uri,
    parse_java_url,
    uri_parts,
)

# == CsvProcessorTests =====================================================================

QUOTES = ["'", '"', ""]
SEPARATORS = [",", ";", "|", ".", "\t"]
#: CsvProcessorTests' random header -> value pairs, fixed.
ITEMS = [("alpha", "abcdef"), ("bravo", "ghijkl"), ("charlie", "mnopq"), ("delta", "rstuvwx"),
         ("echo", "yzabc"), ("foxtrot", "defghij"), ("golf", "klmnop")]
HEADERS = [name for name, _ in ITEMS]
VALUES = [value for _, value in ITEMS]
MATRIX = [(quote, separator) for separator in SEPARATORS for quote in QUOTES]
_ABSENT = object()


def process_document(headers: list[str], line: str, quote: str, separator: str, trim: bool = True,
                     empty_value: Any = _ABSENT) -> dict[str, Any]:
    """CsvProcessorTests.processDocument: the line in a field, one csv processor
    (quote ``"`` when the parameter is empty, ignore_missing false)."""
    options: dict[str, Any] = {"field": "message", "target_fields": headers, "trim": trim, "separator": separator,
                               "quote": quote or '"'}
    if empty_value is not _ABSENT:
        options["empty_value"] = empty_value
    out = run([{"csv": options}], {"message": line})
    assert out is not None
    return out


def quoted(values: list[str], quote: str, separator: str) -> str:
    return separator.join(quote + value + quote for value in values)


@pytest.mark.parametrize("quote, separator", MATRIX)
def test_exact_number_of_fields(quote: str, separator: str):
    # CsvProcessorTests.testExactNumberOfFields
    out = process_document(HEADERS, quoted(VALUES, quote, separator), quote, separator)
    assert {name: out[name] for name in HEADERS} == dict(ITEMS)


@pytest.mark.parametrize("quote, separator", MATRIX)
def test_empty_values(quote: str, separator: str):
    # CsvProcessorTests.testEmptyValues: an empty value (quoted or not) leaves its field unset
    values = VALUES[:3] + [""] + VALUES[3:5]
    headers = HEADERS[:3] + ["empty"] + HEADERS[3:5]
    out = process_document(headers, quoted(values, quote, separator), quote, separator)
    assert "empty" not in out
    assert {name: out[name] for name in headers if name != "empty"} == {n: v for n, v in zip(headers, values) if v}


@pytest.mark.parametrize("quote, separator", MATRIX)
@pytest.mark.parametrize("empty_value", ["", 0])
def test_empty_values_replace(quote: str, separator: str, empty_value: Any):
    # CsvProcessorTests.testEmptyValuesReplace: empty_value "" and then 0 fills the empty field
    values = VALUES[:3] + [""] + VALUES[3:5]
    headers = HEADERS[:3] + ["empty"] + HEADERS[3:5]
    out = process_document(headers, quoted(values, quote, separator), quote, separator, empty_value=empty_value)
    assert out["empty"] == empty_value and type(out["empty"]) is type(empty_value)
    assert {name: out[name] for name in headers if name != "empty"} == {n: v for n, v in zip(headers, values) if v}


@pytest.mark.parametrize("quote, separator", MATRIX)
def test_less_fields_than_headers(quote: str, separator: str):
    # CsvProcessorTests.testLessFieldsThanHeaders: headers past the last value are not set
    out = process_document(HEADERS, quoted(VALUES[:3], quote, separator), quote, separator)
    assert {name: out[name] for name in HEADERS[:3]} == dict(ITEMS[:3])
    assert not set(HEADERS[3:]) & set(out)


@pytest.mark.parametrize("quote, separator", MATRIX)
def test_less_headers_than_fields(quote: str, separator: str):
    # CsvProcessorTests.testLessHeadersThanFields: values past the last header are ignored
    out = process_document(HEADERS[:3], quoted(VALUES, quote, separator), quote, separator)
    assert out == {"message": quoted(VALUES, quote, separator), **dict(ITEMS[:3])}


@pytest.mark.parametrize("quote, separator", MATRIX)
def test_single_field(quote: str, separator: str):
    # CsvProcessorTests.testSingleField
    out = process_document(["alpha"], quote + "abcdef" + quote, quote, separator)
    assert out["alpha"] == "abcdef"


@pytest.mark.parametrize("quote, separator", MATRIX)
def test_escaped_quote(quote: str, separator: str):
    # CsvProcessorTests.testEscapedQuote: a doubled quote inside a quoted field is one quote
    # (with no quote parameter the values hold nothing to escape)
    values = [value + quote + quote + "xyz" + quote + quote for value in VALUES]
    out = process_document(HEADERS, quoted(values, quote, separator), quote, separator)
    assert {name: out[name] for name in HEADERS} == {
        name: value.replace(quote + quote, quote) for name, value in zip(HEADERS, values)
    }


@pytest.mark.parametrize("quote, separator", [(q, s) for q, s in MATRIX if q])
def test_quoted_strings(quote: str, separator: str):
    # CsvProcessorTests.testQuotedStrings: separators and line breaks inside quotes are text
    values = [separator + value + separator + "\n\r" + value.upper() for value in VALUES]
    out = process_document(HEADERS, quoted(values, quote, separator), quote, separator)
    assert {name: out[name] for name in HEADERS} == dict(zip(HEADERS, values))


@pytest.mark.parametrize("quote, separator", MATRIX)
def test_empty_fields(quote: str, separator: str):
    # CsvProcessorTests.testEmptyFields: three empty fields, values, an empty field, then
    # "abc" past the last header
    line = separator * 3 + quoted(VALUES[3:-1], quote, separator) + separator + separator + "abc"
    out = process_document(HEADERS, line, quote, separator)
    assert not set(HEADERS[:3]) & set(out)
    assert {name: out[name] for name in HEADERS[3:-1]} == dict(ITEMS[3:-1])
    assert HEADERS[-1] not in out


@pytest.mark.parametrize("separator", SEPARATORS)
@pytest.mark.parametrize(
    "line, message",
    [
        ('abc"abc', "Illegal character inside unquoted field at 3"),
        ('"abc"asd', "character 'a' after quoted field at 5"),
        ('"abcasd', "Unmatched quote"),
        ("abc\nabc", "Illegal character inside unquoted field at 3"),
        ("abc\rabc", "Illegal character inside unquoted field at 3"),
    ],
)
def test_wrong_strings(separator: str, line: str, message: str):
    # CsvProcessorTests.testWrongStrings (run with the quote parameter empty: quote "); the Java
    # test expects an IllegalArgumentException, the messages are CsvParser's
    error = failure([{"csv": {"field": "message", "target_fields": ["a"], "trim": True, "separator": separator}}],
                    {"message": line})
    assert error.reason == message


@pytest.mark.parametrize("quote, separator", [(q, s) for q, s in MATRIX if q])
def test_quoted_whitespaces(quote: str, separator: str):
    # CsvProcessorTests.testQuotedWhitespaces: trim strips unquoted fields, never quoted ones
    line = "  abc   " + separator + " def" + separator + "ghi  " + separator + " " + quote + "  ooo  " + quote
    out = process_document(["a", "b", "c", "d"], line, quote, separator)
    assert (out["a"], out["b"], out["c"], out["d"]) == ("abc", "def", "ghi", "  ooo  ")


@pytest.mark.parametrize("quote, separator", [(q, s) for q, s in MATRIX if q])
def test_untrimmed(quote: str, separator: str):
    # CsvProcessorTests.testUntrimmed: without trim unquoted fields keep their blanks; blanks
    # around quoted fields go; trailing blanks after the last quoted field make no field
    line = ("  abc   " + separator + " def" + separator + "ghi  " + separator + "   " + quote + "ooo" + quote + "    "
            + separator + "  " + quote + "jjj" + quote + "   ")
    out = process_document(["a", "b", "c", "d", "e", "f"], line, quote, separator, trim=False)
    assert (out["a"], out["b"], out["c"], out["d"], out["e"]) == ("  abc   ", " def", "ghi  ", "ooo", "jjj")
    assert "f" not in out


def test_ignore_missing():
    # CsvProcessorTests.testIgnoreMissing
    processor = {"field": "missing", "target_fields": ["a"]}
    assert run([{"csv": {**processor, "ignore_missing": True}}], {"x": 1}) == {"x": 1}
    assert failure([{"csv": processor}], {"x": 1}).reason == "field [missing] not present as part of path [missing]"


def test_empty_headers():
    # CsvProcessorTests.testEmptyHeaders: a processor without target fields leaves the document
    # as it is. The factory refuses an empty list (see test_factory_empty_target_fields), so the
    # processor is built and then emptied, as the Java test builds it directly.
    processor = CsvProcessor.create({"field": "message", "target_fields": ["a"]}, None, None)
    processor.targets = []
    document = IngestDocument({"message": "abc,abc"})
    assert processor.execute(document) is document
    assert document.source == {"message": "abc,abc"}


# == CsvProcessorFactoryTests and the factory's refusals ========================================


def test_factory_processor_is_created():
    # CsvProcessorFactoryTests.testProcessorIsCreated
    processor = CsvProcessor.create(
        {"field": "field", "target_fields": ["target"], "quote": "|", "separator": "/", "empty_value": "empty",
         "trim": True, "ignore_missing": True},
        "csv",
        None,
    )
    assert processor.field.path == "field"
    assert [target.path for target in processor.targets] == ["target"]
    assert (processor.quote, processor.separator, processor.empty_value) == ("|", "/", "empty")
    assert processor.trim is True and processor.ignore_missing is True
    assert processor.tag == "csv"


def test_factory_defaults():
    # CsvProcessor.Factory: quote ", separator ",", trim and ignore_missing false, no empty_value
    processor = CsvProcessor.create({"field": "f", "target_fields": ["a"]}, None, None)
    assert (processor.quote, processor.separator, processor.trim, processor.ignore_missing) == ('"', ",", False, False)
    assert run([{"csv": {"field": "f", "target_fields": ["a", "b"]}}], {"f": ",x"}) == {"f": ",x", "b": "x"}


@pytest.mark.parametrize(
    "options, message",
    [
        # CsvProcessor.Factory's checks, in the order it reads the options
        ({"target_fields": ["a"]}, "[field] required property is missing"),
        ({"field": "f"}, "[target_fields] required property is missing"),
        ({"field": "f", "target_fields": []}, "[target_fields] target fields list can't be empty"),
        ({"field": "f", "target_fields": "a"}, "[target_fields] property isn't a list, but of type [string]"),
        ({"field": "f", "target_fields": ["a"], "quote": ""}, "[quote] quote has to be single character like \" or '"),
        ({"field": "f", "target_fields": ["a"], "quote": "''"}, "[quote] quote has to be single character like \" or '"),
        ({"field": "f", "target_fields": ["a"], "separator": ""},
         "[separator] separator has to be single character like , or ;"),
        ({"field": "f", "target_fields": ["a"], "separator": ", "},
         "[separator] separator has to be single character like , or ;"),
        # a character outside the BMP is two Java chars
        ({"field": "f", "target_fields": ["a"], "separator": "\U0001f600"},
         "[separator] separator has to be single character like , or ;"),
        ({"field": "f", "target_fields": ["a"], "quote": 1}, "[quote] property isn't a string, but of type [number]"),
        ({"field": "f", "target_fields": ["a"], "trim": "yes"}, "[trim] property isn't a boolean, but of type [string]"),
        ({"field": "f", "target_fields": ["a"], "ignore_missing": 1},
         "[ignore_missing] property isn't a boolean, but of type [number]"),
        # ConfigurationUtils.readObject refuses null
        ({"field": "f", "target_fields": ["a"], "empty_value": None}, "[empty_value] required property is missing"),
        # the first refusal wins: quote is read before separator, separator before target_fields
        ({"field": "f", "target_fields": [], "quote": "", "separator": ""},
         "[quote] quote has to be single character like \" or '"),
        ({"field": "f", "target_fields": [], "separator": ""},
         "[separator] separator has to be single character like , or ;"),
    ],
)
def test_factory_refusals(options: dict[str, Any], message: str):
    # CsvProcessor.Factory (JSON type names where Elasticsearch names java.lang classes)
    assert message in load_error([{"csv": options}])


def test_factory_empty_target_fields():
    # CsvProcessor.Factory: "target fields list can't be empty"
    assert "[target_fields] target fields list can't be empty" in load_error([{"csv": {"field": "f", "target_fields": []}}])


def test_factory_refuses_non_string_target_fields():
    # ingesthost: Elasticsearch fails on a non-string target with an ArrayStoreException; refused at load here
    assert "[target_fields] property isn't a list" in load_error([{"csv": {"field": "f", "target_fields": ["a", 1]}}])


def test_factory_unknown_option():
    # ingesthost: unknown options are refused first (Elasticsearch refuses them after building)
    assert "unknown option(s) separators for processor [csv]" in load_error(
        [{"csv": {"field": "f", "target_fields": ["a"], "separators": ";"}}]
    )


def test_factory_quote_may_equal_separator():
    # ingesthost (CsvProcessor.Factory has no such check): quote and separator may be the same
    # character; the parser then reads every separator as a quote, as Elasticsearch's does
    options = {"field": "f", "target_fields": ["a", "b"], "quote": ",", "separator": ","}
    assert failure([{"csv": options}], {"f": "a,b"}).reason == "Illegal character inside unquoted field at 1"
    assert run([{"csv": options}], {"f": ",a,"}) == {"f": ",a,", "a": "a"}


def test_factory_empty_value_is_copied():
    # ingesthost: an object empty_value is copied per field (never shared between documents)
    options = {"field": "f", "target_fields": ["a", "b"], "empty_value": {"none": []}}
    with Pipeline.from_definition({"processors": [{"csv": options}]}, cache=False) as pipeline:
        out = pipeline.process({"f": ",,"})
        assert out is not None
        assert out["a"] == out["b"] == {"none": []}
        out["a"]["none"].append(1)
        assert out["b"] == {"none": []}
        again = pipeline.process({"f": ",,"})
        assert again is not None and again["a"] == {"none": []}


# == 250_csv.yml ============================================================================


def test_yaml_250_csv_defaults():
    # 250_csv.yml "Test CSV Processor defaults"
    out = run([{"csv": {"field": "value", "target_fields": ["a", "b", "c"]}}], {"value": "aa,bb,cc"})
    assert out == {"value": "aa,bb,cc", "a": "aa", "b": "bb", "c": "cc"}


def test_yaml_250_csv_quote_and_separator():
    # 250_csv.yml "Test CSV Processor quote and separator"
    processor = {"csv": {"field": "value", "target_fields": ["a", "b", "c", "d", "e"], "quote": "'", "separator": ";"}}
    out = run([processor], {"value": "'aa';'b;b';'cc';d,d;'ee''ee'"})
    assert out is not None
    assert (out["a"], out["b"], out["c"], out["d"], out["e"]) == ("aa", "b;b", "cc", "d,d", "ee'ee")


def test_yaml_250_csv_trim():
    # 250_csv.yml "Test CSV Processor trim"
    processor = {"csv": {"field": "value", "target_fields": ["a", "b", "c"], "trim": True, "quote": "'"}}
    out = run([processor], {"value": "    aa,  bb  ,    'cc'"})
    assert out is not None
    assert (out["a"], out["b"], out["c"]) == ("aa", "bb", "cc")


def test_yaml_250_csv_trim_log():
    # 250_csv.yml "Test CSV Processor trim log"
    processor = {"csv": {"field": "value", "target_fields": ["date", "level", "server", "id", "msg"], "trim": True,
                         "separator": "|"}}
    line = "2018-01-06 16:56:14.295748|INFO    |VirtualServer |1  |listening on 0.0.0.0:9987, :::9987"
    out = run([processor], {"value": line})
    assert out == {"value": line, "date": "2018-01-06 16:56:14.295748", "level": "INFO", "server": "VirtualServer",
                   "id": "1", "msg": "listening on 0.0.0.0:9987, :::9987"}


# == csv: the parser's rules (ingesthost) =====================================================


def fields(line: str, separator: str = ",", quote: str = '"', trim: bool = False, limit: int = 100) -> list[str]:
    return list(csv_fields(line, separator=separator, quote=quote, trim=trim, limit=limit))


@pytest.mark.parametrize(
    "line, trim, expected",
    [
        # trim does not reach the end of the line's last unquoted field (CsvParser sets it to the end)
        ("a  ,b  ", True, ["a", "b  "]),
        ("a  ,b  ", False, ["a  ", "b  "]),
        # blanks around a quoted field go whatever trim says
        ('  "a"  ,b', False, ["a", "b"]),
        # a separator ending the line makes no field
        ("a,", False, ["a"]),
        ("a,,", False, ["a", ""]),
        # an unquoted field's first character is not checked for line breaks
        ("\nabc,x", False, ["\nabc", "x"]),
        # Elasticsearch's index arithmetic: blanks not trimmed before a separator shift the next field
        ("x, ,y", False, ["x", "", ",y"]),
        ("x,  ,y", False, ["x", "", " ,y"]),
        ("x, ,y", True, ["x", "", "y"]),
        # doubled quotes at the start and the end of a quoted field
        ('"""a"""', False, ['"a"']),
        ('""""', False, ['"']),
        ('""', False, [""]),
        # only space and tab are blanks
        ("\u00a0a\u00a0,b", True, ["\u00a0a\u00a0", "b"]),
        # non-BMP characters are text
        ("\U0001f600,\"\U0001f600\"", False, ["\U0001f600", "\U0001f600"]),
    ],
)
def test_parser_rules(line: str, trim: bool, expected: list[str]):
    assert fields(line, trim=trim) == expected


def test_parser_tab_separator_with_trim():
    # the separator is looked for before blanks: a tab separator works with trim
    assert fields("a \tb\t\tc ", separator="\t", trim=True) == ["a", "b", "", "c "]


def test_parser_stops_at_the_last_target():
    # values past the last target are not read: a malformed tail does not fail
    assert fields('a,b,"never closed', limit=2) == ["a", "b"]
    out = run([{"csv": {"field": "f", "target_fields": ["a"]}}], {"f": 'x,"y'})
    assert out == {"f": 'x,"y', "a": "x"}


def test_parser_error_positions_count_utf16_units():
    # Java counts positions in UTF-16 code units: a non-BMP character counts two
    with pytest.raises(ValueError, match="Illegal character inside unquoted field at 3$"):
        fields('\U0001f600a"')
    with pytest.raises(ValueError, match="character 'x' after quoted field at 4$"):
        fields('"\U0001f600"x')


def test_fields_before_a_failure_stay_set():
    # CsvParser writes each field as it reads it: on_failure sees the fields before the error
    processors = [{"csv": {"field": "f", "target_fields": ["a", "b", "c"],
                           "on_failure": [{"set": {"field": "error", "value": "{{{_ingest.on_failure_message}}}"}}]}}]
    assert run(processors, {"f": 'x,y,"z'}) == {"f": 'x,y,"z', "a": "x", "b": "y", "error": "Unmatched quote"}


def test_empty_value_for_every_kind_of_empty_field():
    # empty_value fills "" quoted and nothing between separators; a trailing separator makes no field
    options = {"field": "f", "target_fields": ["a", "b", "c", "d"], "empty_value": "-"}
    assert run([{"csv": options}], {"f": ',"",x,'}) == {"f": ',"",x,', "a": "-", "b": "-", "c": "x"}


def test_csv_writes_into_nested_and_existing_fields():
    # target fields are paths; existing values are replaced
    processor = {"csv": {"field": "log.line", "target_fields": ["parsed.a", "b"]}}
    assert run([processor], {"log": {"line": "1,2"}, "b": "old"}) == {"log": {"line": "1,2"}, "parsed": {"a": "1"}, "b": "2"}
    error = failure([{"csv": {"field": "f", "target_fields": ["s.a"]}}], {"f": "1", "s": "text"})
    assert error.reason == "cannot set [a] with parent object of type [string] as part of path [s.a]"


@pytest.mark.parametrize(
    "value, message",
    [
        (5, "field [f] of type [number] cannot be cast to [string]"),
        (1.5, "field [f] of type [number] cannot be cast to [string]"),
        (True, "field [f] of type [boolean] cannot be cast to [string]"),
        (["a,b"], "field [f] of type [array] cannot be cast to [string]"),
        ({"a": "b"}, "field [f] of type [object] cannot be cast to [string]"),
        (None, "field [f] is null, cannot process it."),
    ],
)
def test_csv_value_types(value: Any, message: str):
    # CsvProcessor.execute: getFieldValue(field, String.class) (JSON type names where Elasticsearch
    # names java.lang.Integer...), and its own message for null
    assert failure([{"csv": {"field": "f", "target_fields": ["a"]}}], {"f": value}).reason == message


def test_csv_null_with_ignore_missing():
    # CsvProcessor.execute: a null field with ignore_missing leaves the document as it is
    assert run([{"csv": {"field": "f", "target_fields": ["a"], "ignore_missing": True}}], {"f": None}) == {"f": None}


def test_csv_templates_and_if():
    # ingesthost: field and target fields may be templates; if decides as for every processor
    processors = [{"csv": {"field": "{{which}}", "target_fields": ["{{prefix}}.a", "b"], "if": "ctx.kind == 'csv'"}}]
    doc = {"kind": "csv", "which": "line", "prefix": "p", "line": "1,2"}
    assert run(processors, doc) == {**doc, "p": {"a": "1"}, "b": "2"}
    assert run(processors, {**doc, "kind": "other"}) == {**doc, "kind": "other"}


def test_csv_tag_in_failures_and_ignore_failure():
    processor = {"field": "f", "target_fields": ["a"], "tag": "parse"}
    error = failure([{"csv": processor}], {"f": '"a'})
    assert (error.processor_type, error.tag, str(error)) == ("csv", "parse", "processor csv [parse]: Unmatched quote")
    assert run([{"csv": {**processor, "ignore_failure": True}}], {"f": '"a'}) == {"f": '"a'}


# -- hostile input ---------------------------------------------------------------------------


def _elapsed(action: Any) -> float:
    start = time.perf_counter()
    action()
    return time.perf_counter() - start


def test_hostile_huge_line_with_few_targets_reads_only_what_it_needs():
    line = "x," * 500_000
    processor = [{"csv": {"field": "f", "target_fields": ["a", "b", "c"]}}]
    assert _elapsed(lambda: run(processor, {"f": line})) < 1.0
    assert run(processor, {"f": line}) == {"f": line, "a": "x", "b": "x", "c": "x"}


def test_hostile_huge_quoted_field_and_many_doubled_quotes():
    big = '"' + "a" * 2_000_000 + '"'
    assert fields(big) == ["a" * 2_000_000]
    quotes = '"' + '""' * 300_000 + '"'
    assert _elapsed(lambda: fields(quotes)) < 2.0
    assert fields(quotes) == ['"' * 300_000]


def test_hostile_many_fields_and_targets():
    targets = [f"t{i}" for i in range(20_000)]
    line = ",".join(str(i) for i in range(20_000))
    out = run([{"csv": {"field": "f", "target_fields": targets, "trim": True}}], {"f": line})
    assert out is not None and out["t0"] == "0" and out["t19999"] == "19999"


def test_hostile_unmatched_quote_at_the_end_of_a_huge_line():
    line = "a," * 20_000 + '"' + "b" * 1_000_000
    targets = [f"t{i}" for i in range(20_001)]
    error = failure([{"csv": {"field": "f", "target_fields": targets}}], {"f": line})
    assert error.reason == "Unmatched quote"


# -- the parser against a character-at-a-time model ----------------------------------------------


def model_fields(line: str, separator: str, quote: str, trim: bool, limit: int) -> tuple[list[str], str | None]:
    """Elasticsearch's CsvParser read one character at a time: the fields it sets
    (in order, "" for empty ones) and its error message (None if it parses)."""

    def at(index: int) -> int:  # Java's position: UTF-16 code units
        return len(line[:index].encode("utf-16-le", "surrogatepass")) // 2

    out: list[str] = []
    state, start, builder, spaces, closed = "start", 0, "", 0, 0
    for index, char in enumerate(line):
        if len(out) == limit:
            return out, None
        if state == "start":  # between fields
            if char == quote:
                state, builder, start = "quoted", "", index + 1
            elif char == separator:
                start += 1  # one step, even when blanks before it were not skipped
                out.append("")
            elif char in " \t":
                start += trim
            else:  # the field's first character: never checked
                state, builder, spaces = "unquoted", "", 0
        elif state == "unquoted":
            if char in "\n\r" or char == quote:
                return out, f"Illegal character inside unquoted field at {at(index)}"
            if char == separator:
                out.append(line[start:index - spaces])
                state, start = "start", index + 1
            elif trim and char in " \t":
                spaces += 1
            else:
                spaces = 0
        elif state == "quoted":
            if char == quote:
                state, closed = "closed", index
        elif state == "closed":  # just after a quote that may close the field
            if char == quote:
                builder += line[start:index - 1] + quote
                state, start = "quoted", index + 1
            elif char == separator:
                out.append(builder + line[start:closed])
                state, start = "start", index + 1
            elif char in " \t":
                out.append(builder + line[start:closed])
                state = "after"
            else:
                return out, f"character '{char}' after quoted field at {at(index)}"
        else:  # after: the field is set, blanks until the separator
            if char == separator:
                state, start = "start", index + 1
            elif char not in " \t":
                return out, f"character '{char}' after quoted field at {at(index)}"
    if len(out) == limit:
        return out, None
    if state == "unquoted":
        out.append(line[start:])
    elif state == "closed":
        out.append(builder + line[start:len(line) - 1])
    elif state == "quoted":
        return out, "Unmatched quote"
    return out, None


def test_parser_agrees_with_the_model_on_generated_lines():
    # ingesthost: csv_fields (which skips ahead with str.find and regexes) against the model
    rng = random.Random(2024)
    for _ in range(6000):
        separator, quote = rng.choice([(",", '"'), (";", "'"), ("\t", '"'), (" ", '"'), (",", ","), ("|", "|")])
        alphabet = ["a", "b", " ", "\t", separator, separator, quote, quote, "\n", "\r", "é", "\U0001f600"]
        line = "".join(rng.choice(alphabet) for _ in range(rng.randint(0, 14)))
        trim, limit = rng.random() < 0.5, rng.randint(1, 6)
        expected, error = model_fields(line, separator, quote, trim, limit)
        got: list[str] = []
        try:
            got.extend(csv_fields(line, separator=separator, quote=quote, trim=trim, limit=limit))
        except ValueError as exc:
            assert (got, str(exc)) == (expected, error), (line, separator, quote, trim, limit)
        else:
            assert (got, None) == (expected, error), (line, separator, quote, trim, limit)


def test_parser_without_quotes_agrees_with_the_model():
    # ingesthost: lines without quotes or line breaks are split at once; the model decides
    rng = random.Random(7)
    for _ in range(6000):
        separator = rng.choice([",", ";", "|"])
        line = "".join(rng.choice(["a", "b", " ", "\t", separator, separator, "\u00a0"]) for _ in range(rng.randint(0, 12)))
        trim, limit = rng.random() < 0.5, rng.randint(1, 6)
        expected, error = model_fields(line, separator, '"', trim, limit)
        assert error is None
        assert fields(line, separator=separator, trim=trim, limit=limit) == expected, (line, separator, trim, limit)


# == UriPartsProcessorTests ==================================================================


def uri_parsing(uri: str, expected: dict[str, Any], keep_original: bool = False, remove_if_successful: bool = False):
    """UriPartsProcessorTests.testUriParsing: field "field", target "url"."""
    processor = {"uri_parts": {"field": "field", "keep_original": keep_original,
                               "remove_if_successful": remove_if_successful}}
    out = run([processor], {"field": uri})
    assert out is not None
    values = {**expected, "original": uri} if keep_original else expected
    assert out["url"] == values
    if not remove_if_successful:
        assert out["field"] == uri
    else:
        assert "field" not in out


@pytest.mark.parametrize(
    "uri, expected",
    [
        # simple URI
        ("http://www.google.com", {"scheme": "http", "domain": "www.google.com", "path": ""}),
        # custom port
        ("http://www.google.com:88", {"scheme": "http", "domain": "www.google.com", "path": "", "port": 88}),
        # file
        ("http://www.google.com:88/google.png",
         {"scheme": "http", "domain": "www.google.com", "extension": "png", "path": "/google.png", "port": 88}),
        # fragment
        ("https://www.google.com:88/foo#bar",
         {"scheme": "https", "domain": "www.google.com", "fragment": "bar", "path": "/foo", "port": 88}),
        # path, extension
        ("https://www.google.com:88/foo.jpg",
         {"scheme": "https", "domain": "www.google.com", "path": "/foo.jpg", "extension": "jpg", "port": 88}),
        # query
        ("https://www.google.com:88/foo?key=val",
         {"scheme": "https", "domain": "www.google.com", "path": "/foo", "query": "key=val", "port": 88}),
        # user_info
        ("https://user:pw@www.google.com:88/foo",
         {"scheme": "https", "domain": "www.google.com", "path": "/foo", "port": 88, "user_info": "user:pw",
          "username": "user", "password": "pw"}),
        # user_info without password
        ("https://user:@www.google.com:88/foo",
         {"scheme": "https", "domain": "www.google.com", "path": "/foo", "port": 88, "user_info": "user:",
          "username": "user", "password": ""}),
        # everything!
        ("https://user:pw@testing.google.com:8080/foo/bar?foo1=bar1&foo2=bar2#anchorVal",
         {"scheme": "https", "domain": "testing.google.com", "fragment": "anchorVal", "path": "/foo/bar", "port": 8080,
          "username": "user", "password": "pw", "user_info": "user:pw", "query": "foo1=bar1&foo2=bar2"}),
        # non-http schemes
        ("ftp://ftp.is.co.za/rfc/rfc1808.txt",
         {"scheme": "ftp", "path": "/rfc/rfc1808.txt", "extension": "txt", "domain": "ftp.is.co.za"}),
        ("telnet://192.0.2.16:80/", {"scheme": "telnet", "path": "/", "port": 80, "domain": "192.0.2.16"}),
        ("ldap://[2001:db8::7]/c=GB?objectClass?one",
         {"scheme": "ldap", "path": "/c=GB", "query": "objectClass?one", "domain": "[2001:db8::7]"}),
    ],
)
def test_uri_parts(uri: str, expected: dict[str, Any]):
    # UriPartsProcessorTests.testUriParts
    uri_parsing(uri, expected)


def test_uri_parts_keep_original():
    # UriPartsProcessorTests.testUriParts "keep original"
    uri_parsing("http://www.google.com:88/foo#bar",
                {"scheme": "http", "domain": "www.google.com", "fragment": "bar", "path": "/foo", "port": 88},
                keep_original=True)


def test_uri_parts_remove_if_successful():
    # UriPartsProcessorTests.testUriParts "remove if successful"
    uri_parsing("http://www.google.com:88/foo#bar",
                {"scheme": "http", "domain": "www.google.com", "fragment": "bar", "path": "/foo", "port": 88},
                remove_if_successful=True)


@pytest.mark.parametrize(
    "uri, expected",
    [
        ("http://www.google.com/path with spaces",
         {"scheme": "http", "domain": "www.google.com", "path": "/path with spaces"}),
        ("https://user:pw@testing.google.com:8080/foo with space/bar?foo1=bar1&foo2=bar2#anchorVal",
         {"scheme": "https", "domain": "testing.google.com", "fragment": "anchorVal", "path": "/foo with space/bar",
          "port": 8080, "username": "user", "password": "pw", "user_info": "user:pw", "query": "foo1=bar1&foo2=bar2"}),
    ],
)
def test_url_with_characters_not_tolerated_by_uri(uri: str, expected: dict[str, Any]):
    # UriPartsProcessorTests.testUrlWithCharactersNotToleratedByUri: java.net.URL takes over
    uri_parsing(uri, expected)


def test_dot_path_without_extension():
    # UriPartsProcessorTests.testDotPathWithoutExtension: only the last segment's dot counts
    uri_parsing("https://www.google.com/path.withdot/filenamewithoutextension",
                {"scheme": "https", "domain": "www.google.com", "path": "/path.withdot/filenamewithoutextension"})


def test_dot_path_with_extension():
    # UriPartsProcessorTests.testDotPathWithExtension
    uri_parsing("https://www.google.com/path.withdot/filenamewithextension.txt",
                {"scheme": "https", "domain": "www.google.com", "path": "/path.withdot/filenamewithextension.txt",
                 "extension": "txt"})


def test_empty_extension():
    # UriPartsProcessorTests.testEmptyExtension: a path ending with a dot has an empty extension
    uri_parsing("https://www.google.com/foo/bar.", {"scheme": "https", "domain": "www.google.com", "path": "/foo/bar.",
                                                    "extension": ""})


def test_remove_if_successful_does_not_remove_target_field():
    # UriPartsProcessorTests.testRemoveIfSuccessfulDoesNotRemoveTargetField
    processor = {"uri_parts": {"field": "field", "target_field": "field", "remove_if_successful": True,
                               "keep_original": False}}
    out = run([processor], {"field": "http://www.google.com"})
    assert out == {"field": {"scheme": "http", "domain": "www.google.com", "path": ""}}


def test_invalid_uri():
    # UriPartsProcessorTests.testInvalidUri
    uri = "not:\\/_a_valid_uri"
    processor = {"uri_parts": {"field": "field", "remove_if_successful": True, "keep_original": False}}
    assert failure([processor], {"field": uri}).reason == f"unable to parse URI [{uri}]"


def test_null_value():
    # UriPartsProcessorTests.testNullValue: Elasticsearch fails with a NullPointerException;
    # ingesthost fails with a message
    processor = {"uri_parts": {"field": "field", "remove_if_successful": True, "keep_original": False}}
    assert failure([processor], {"field": None}).reason == "field [field] is null, cannot parse a URI from it."


def test_missing_field():
    # UriPartsProcessorTests.testMissingField
    processor = {"uri_parts": {"field": "field", "remove_if_successful": True, "keep_original": False}}
    assert failure([processor], {}).reason == "field [field] not present as part of path [field]"


def test_ignore_missing_field():
    # UriPartsProcessorTests.testIgnoreMissingField (and a null field, which Elasticsearch skips too)
    processor = {"uri_parts": {"field": "field", "remove_if_successful": True, "keep_original": False,
                               "ignore_missing": True}}
    assert run([processor], {"other": "value"}) == {"other": "value"}
    assert run([processor], {"field": None}) == {"field": None}


# == UriPartsProcessorFactoryTests ============================================================


@pytest.mark.parametrize("target", [None, "parts"])
@pytest.mark.parametrize("remove_if_successful, keep_original", [(False, True), (True, False)])
def test_factory_create(target: str | None, remove_if_successful: bool, keep_original: bool):
    # UriPartsProcessorFactoryTests.testCreate (target_field "url" unless given)
    from ingesthost.processors.uri_parts import UriPartsProcessor

    options: dict[str, Any] = {"field": "abcdef", "remove_if_successful": remove_if_successful,
                               "keep_original": keep_original}
    if target is not None:
        options["target_field"] = target
    processor = UriPartsProcessor.create(options, "tag0123456", None)
    assert processor.tag == "tag0123456"
    assert processor.field.path == "abcdef"
    assert processor.target_field is not None and processor.target_field.path == (target or "url")
    assert (processor.remove_if_successful, processor.keep_original) == (remove_if_successful, keep_original)
    assert processor.ignore_missing is False


def test_factory_create_no_field_present():
    # UriPartsProcessorFactoryTests.testCreateNoFieldPresent. The Java test also passes an unknown
    # "value" option, which ingesthost refuses first; without it the message is Elasticsearch's.
    assert "[field] required property is missing" in load_error([{"uri_parts": {}}])
    assert "unknown option(s) value for processor [uri_parts]" in load_error([{"uri_parts": {"value": "value1"}}])


def test_factory_create_null_field():
    # UriPartsProcessorFactoryTests.testCreateNullField
    assert "[field] required property is missing" in load_error([{"uri_parts": {"field": None}}])


@pytest.mark.parametrize(
    "options, message",
    [
        ({"field": 1}, "[field] property isn't a string, but of type [number]"),
        ({"field": "f", "target_field": ["x"]}, "[target_field] property isn't a string, but of type [array]"),
        ({"field": "f", "keep_original": "true"}, "[keep_original] property isn't a boolean, but of type [string]"),
        ({"field": "f", "remove_if_successful": 0},
         "[remove_if_successful] property isn't a boolean, but of type [number]"),
        ({"field": "f", "ignore_missing": "no"}, "[ignore_missing] property isn't a boolean, but of type [string]"),
    ],
)
def test_factory_refusals_uri_parts(options: dict[str, Any], message: str):
    # UriPartsProcessor.Factory (readStringProperty, readBooleanProperty; JSON type names)
    assert message in load_error([{"uri_parts": options}])


# == 320_uri_parts_processor.yml ================================================================


def test_yaml_320_uri_parts_processor():
    # 320_uri_parts_processor.yml "Test URI parts Processor"
    uri = "https://user:pw@testing.google.com:8080/foo/bar.txt?foo1=bar1&foo2=bar2#anchorVal"
    out = run([{"uri_parts": {"field": "my_uri"}}], {"my_uri": uri})
    assert out == {
        "my_uri": uri,
        "url": {"original": uri, "scheme": "https", "domain": "testing.google.com", "fragment": "anchorVal",
                "path": "/foo/bar.txt", "port": 8080, "username": "user", "password": "pw", "user_info": "user:pw",
                "query": "foo1=bar1&foo2=bar2", "extension": "txt"},
    }


# == uri_parts: java.net's rules =================================================================


@pytest.mark.parametrize(
    "uri, expected",
    [
        # opaque URIs have no path (and so no extension), no domain
        ("mailto:a@b.com", {"scheme": "mailto", "domain": None}),
        ("urn:isbn:0451450523", {"scheme": "urn", "domain": None}),
        ("tel:+1-816-555-1212", {"scheme": "tel", "domain": None}),
        # relative references: scheme and domain are null; no "/" in the path, no extension
        ("foo/bar.txt", {"path": "foo/bar.txt", "extension": "txt", "scheme": None, "domain": None}),
        ("foo.txt", {"path": "foo.txt", "scheme": None, "domain": None}),
        ("", {"path": "", "scheme": None, "domain": None}),
        ("/just/a/path.HTML", {"path": "/just/a/path.HTML", "extension": "HTML", "scheme": None, "domain": None}),
        ("//host/path", {"path": "/path", "scheme": None, "domain": "host"}),
        # not a valid host name or address: a registry-based authority, no domain
        ("http://my_host/x", {"path": "/x", "scheme": "http", "domain": None}),
        ("http://bücher.de/a%20b", {"path": "/a b", "scheme": "http", "domain": None}),
        ("http://999.1.1.1/", {"path": "/", "scheme": "http", "domain": None}),
        ("http://1.2.3.4.5/", {"path": "/", "scheme": "http", "domain": None}),
        ("http://a%41/", {"path": "/", "scheme": "http", "domain": None}),
        ("http://a@b@c/", {"path": "/", "scheme": "http", "domain": None}),
        ("http://host:99999999999/", {"path": "/", "scheme": "http", "domain": None}),
        ("http:///path", {"path": "/path", "scheme": "http", "domain": None}),
        ("http://123/", {"path": "/", "scheme": "http", "domain": "123"}),
        ("http://host:/", {"path": "/", "scheme": "http", "domain": "host"}),
        ("http://[fe80::1%eth0]:80/", {"path": "/", "scheme": "http", "port": 80, "domain": "[fe80::1%eth0]"}),
        # decoding: path, query, fragment, user info; escapes read as UTF-8, Java's replacements
        ("http://x/%E2%82%AC?q=%C3%A9#%41", {"path": "/€", "fragment": "A", "scheme": "http", "domain": "x",
                                             "query": "q=é"}),
        ("http://x/%ED%A0%80", {"path": "/\ufffd", "scheme": "http", "domain": "x"}),
        ("http://x/%ED%A0A", {"path": "/\ufffdA", "scheme": "http", "domain": "x"}),
        # the extension: after the last dot of the last segment, as written
        ("http://x/a.b/c", {"path": "/a.b/c", "scheme": "http", "domain": "x"}),
        ("http://x/.bashrc", {"path": "/.bashrc", "extension": "bashrc", "scheme": "http", "domain": "x"}),
        ("http://x/a.tar.GZ", {"path": "/a.tar.GZ", "extension": "GZ", "scheme": "http", "domain": "x"}),
        # user info split at its first colon
        ("https://a:b:c@x/", {"path": "/", "password": "b:c", "scheme": "https", "user_info": "a:b:c", "domain": "x",
                              "username": "a"}),
        # java.net.URL's turn (URI refuses these): nothing decoded, the protocol lowercased, spaces around dropped
        ("http://x/a|b", {"path": "/a|b", "scheme": "http", "domain": "x"}),
        ("http://x/a%2", {"path": "/a%2", "scheme": "http", "domain": "x"}),
        ("http://a%zz/", {"path": "/", "scheme": "http", "domain": "a%zz"}),
        ("HTTP://Example.COM/A B", {"path": "/A B", "scheme": "http", "domain": "Example.COM"}),
        ("  http://x/a b  ", {"path": "/a b", "scheme": "http", "domain": "x"}),
        ("url:http://x/a b", {"path": "/a b", "scheme": "http", "domain": "x"}),
        ("http://[::1]:80/a b", {"path": "/a b", "scheme": "http", "port": 80, "domain": "[::1]"}),
        ("http://x:+80/ a", {"path": "/ a", "scheme": "http", "port": 80, "domain": "x"}),
        ("http://u s@x/", {"path": "/", "scheme": "http", "user_info": "u s", "domain": "x"}),
        ("http://x?q a", {"path": "", "scheme": "http", "domain": "x", "query": "q a"}),
        ("http:", {"path": "", "scheme": "http", "domain": ""}),
        ("http:#frag", {"path": "", "fragment": "frag", "scheme": "http", "domain": ""}),
        ("file:/etc/x y", {"path": "/etc/x y", "scheme": "file", "domain": ""}),
        ("jar:file:/x.jar!/a b.txt", {"path": "file:/x.jar!/a b.txt", "extension": "txt", "scheme": "jar",
                                      "domain": ""}),
        # the mailto handler drops the fragment
        ("mailto:john doe@x.com?subject=hi#frag", {"path": "john doe@x.com", "scheme": "mailto", "domain": "",
                                                   "query": "subject=hi"}),
    ],
)
def test_java_net_rules(uri: str, expected: dict[str, Any]):
    # java.net (OpenJDK 17) with Elasticsearch's rules
    assert uri_parts(uri) == expected


@pytest.mark.parametrize(
    "uri",
    ["not a uri", "gopher://x/a b", "http://a\tb/ x", "jar:file:/x.jar/a b", "jar:nope:/x.jar!/a b", "mailto: ",
     "http://[::1]x/a b", "http://[1::2::3]/ a", "http://x:8a/ b", "http://x:-2/ b", "1a:b c", "#a b"],
)
def test_java_net_refusals(uri: str):
    # java.net (OpenJDK 17): both URI and URL refuse these
    with pytest.raises(ValueError, match=r"^unable to parse URI \["):
        uri_parts(uri)


def test_number_format_exception_escapes_uri():
    # java.net (OpenJDK 17): an IPv4 number overflowing an int inside an IPv6 literal makes
    # new URI() throw a NumberFormatException, which Elasticsearch does not catch
    error = failure([{"uri_parts": {"field": "u"}}], {"u": "http://[::1.2.3.99999999999]/"})
    assert error.reason == 'Error at index 9 in: "99999999999"'
    with pytest.raises(JavaNumberFormatError):
        parse_java_uri("http://[::1.2.3.2147483648]/")


def test_parsers_directly():
    parts = parse_java_uri("HTTP://u%20s@Host:8/p%2Fq")
    assert (parts.scheme, parts.host, parts.port, parts.path, parts.user_info) == ("HTTP", "Host", 8, "/p/q", "u s")
    with pytest.raises(UriSyntaxError):
        parse_java_uri("a b")
    parts = parse_java_url("Ftp://h:21/a b;type=i?x#y")
    assert (parts.scheme, parts.host, parts.port, parts.path, parts.query, parts.fragment) == (
        "ftp", "h", 21, "/a b;type=i", "x", "y")
    with pytest.raises(UriSyntaxError, match="unknown protocol: gopher"):
        parse_java_url("gopher://x")
    with pytest.raises(UriSyntaxError, match="no protocol"):
        parse_java_url("x y")


def test_keys_in_elasticsearch_order():
    # Elasticsearch writes the object from a HashMap: its iteration order, reproduced
    uri = "https://user:pw@testing.google.com:8080/foo/bar.txt?foo1=bar1&foo2=bar2#anchorVal"
    out = run([{"uri_parts": {"field": "u"}}], {"u": uri})
    assert out is not None
    assert list(out["url"]) == ["path", "fragment", "extension", "password", "original", "scheme", "port", "user_info",
                                "domain", "query", "username"]


@pytest.mark.parametrize(
    "value, message",
    [
        (80, "field [u] of type [number] cannot be cast to [string]"),
        (True, "field [u] of type [boolean] cannot be cast to [string]"),
        (["http://x"], "field [u] of type [array] cannot be cast to [string]"),
        ({"a": 1}, "field [u] of type [object] cannot be cast to [string]"),
    ],
)
def test_uri_parts_value_types(value: Any, message: str):
    # UriPartsProcessor.execute: getFieldValue(field, String.class) (JSON type names)
    assert failure([{"uri_parts": {"field": "u"}}], {"u": value}).reason == message


def test_uri_parts_remove_and_nested_target():
    # remove_if_successful removes the field before the target is written
    processor = {"uri_parts": {"field": "a.u", "target_field": "a.parts", "remove_if_successful": True,
                               "keep_original": False}}
    assert run([processor], {"a": {"u": "http://x/y"}}) == {"a": {"parts": {"path": "/y", "scheme": "http",
                                                                            "domain": "x"}}}
    # a failure keeps the field
    assert failure([processor], {"a": {"u": "a b"}}).reason == "unable to parse URI [a b]"


def test_uri_parts_templates_if_and_on_failure():
    # ingesthost: field and target_field may be templates; if and on_failure as for every processor
    processors = [{"uri_parts": {"field": "{{which}}", "target_field": "{{which}}_parts", "keep_original": False,
                                 "if": "ctx.which != null",
                                 "on_failure": [{"set": {"field": "error", "value": "{{{_ingest.on_failure_message}}}"}}]}}]
    assert run(processors, {"which": "ref", "ref": "ftp://h/f.txt"}) == {
        "which": "ref", "ref": "ftp://h/f.txt",
        "ref_parts": {"path": "/f.txt", "extension": "txt", "scheme": "ftp", "domain": "h"},
    }
    assert run(processors, {"ref": "ftp://h/f.txt"}) == {"ref": "ftp://h/f.txt"}
    assert run(processors, {"which": "ref", "ref": "a b"}) == {"which": "ref", "ref": "a b",
                                                                 "error": "unable to parse URI [a b]"}


# -- hostile input ---------------------------------------------------------------------------


def test_hostile_huge_uri():
    uri = "http://example.com/" + "a/" * 500_000 + "file.txt?" + "q=1&" * 100_000
    assert _elapsed(lambda: uri_parts(uri)) < 2.0
    parts = uri_parts(uri)
    assert parts["extension"] == "txt" and parts["domain"] == "example.com"


def test_hostile_many_escapes_and_brackets():
    uri = "http://example.com/" + "%41" * 300_000
    assert _elapsed(lambda: uri_parts(uri)) < 2.0
    assert uri_parts(uri)["path"] == "/" + "A" * 300_000
    for text in ["[" * 100_000, "http://" + "[" * 100_000, "http://x/" + "%" * 100_000, "http://" + "1." * 100_000 + "/",
                 "http://[" + "1:" * 100_000 + "]/", "http://" + "a." * 100_000 + "-/ x", ":" * 100_000]:
        start = time.perf_counter()
        try:
            uri_parts(text)
        except ValueError:
            pass
        assert time.perf_counter() - start < 2.0, text[:20]


def test_hostile_control_characters_and_surrogates():
    # java.net (OpenJDK 17): URI refuses a NUL; URL drops it at the end and refuses it in a host
    assert uri_parts("http://x/\x00") == {"path": "/", "scheme": "http", "domain": "x"}
    with pytest.raises(ValueError, match="unable to parse URI"):
        uri_parts("http://x\x00/ a")
    # a lone surrogate (JSON text may hold one) is a visible character to java.net.URI
    assert uri_parts("http://x/\ud800") == {"path": "/\ud800", "scheme": "http", "domain": "x"}


# == registration ==============================================================================


def test_known_processor_types_include_both():
    # pipeline_requirements.known_processor_types (what inspect and stored pipelines check) picks them up
    assert {"csv", "uri_parts"} <= known_processor_types()
