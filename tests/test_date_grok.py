"""The ``date`` and ``grok`` processors, checked against Elasticsearch's own tests.

Cases are translated from Elasticsearch's ingest YAML REST tests
(``modules/ingest-common/src/yamlRestTest/resources/rest-api-spec/test/ingest/30_date_processor.yml``
and ``120_grok.yml``), the processor unit tests
(``modules/ingest-common/src/test/java/org/elasticsearch/ingest/common/DateProcessorTests.java``,
``DateFormatTests.java``, ``GrokProcessorTests.java``) and the grok
library's tests (``libs/grok/src/test/java/org/elasticsearch/grok/GrokTests.java``).
Each keeps a comment naming its source; inputs and expected values are
written here as ingesthost's data, random values of the unit tests
replaced by fixed ones. Cases marked "ingesthost" are not from
Elasticsearch's tests.
"""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Any

import pytest

from ingesthost.processors.grok import GrokExpression, combine_patterns
from ingesthost.processors.grok_bank import builtin_patterns

LEGACY_PATTERNS = builtin_patterns("disabled")
from test_builtins import failure, load_error, run


def date(value: Any, formats: list[str], **options: Any) -> Any:
    processor = {"date": {"field": "date_as_string", "target_field": "date_as_date", "formats": formats, **options}}
    out = run([processor], {"date_as_string": value})
    assert out is not None
    return out["date_as_date"]


def date_failure(value: Any, formats: list[str], **options: Any) -> str:
    processor = {"date": {"field": "date_as_string", "target_field": "date_as_date", "formats": formats, **options}}
    return str(failure([processor], {"date_as_string": value}))


# == date: 30_date_processor.yml ===============================================================


def test_yaml_30_date_test_date_processor():
    # 30_date_processor.yml "Test date processor"
    out = run(
        [{"date": {"field": "date_source_field", "target_field": "date_target_field", "formats": ["dd/MM/yyyy"],
                   "timezone": "Europe/Amsterdam"}}],
        {"date_source_field": "12/06/2010"},
    )
    assert out == {"date_source_field": "12/06/2010", "date_target_field": "2010-06-12T00:00:00.000+02:00"}


@pytest.mark.parametrize(
    "source, expected",
    [
        ("2010-06-01T00:00:00.000", "2010-06-01T00:00:00.000+01:00"),  # no zone in the text: the pipeline's
        ("2010-06-01T00:00:00.000Z", "2010-06-01T01:00:00.000+01:00"),  # a zone: moved to the pipeline's
    ],
)
def test_yaml_30_date_timezone_calculations(source: str, expected: str):
    # 30_date_processor.yml "Test date processor timezone calculations"
    assert date(source, ["ISO8601"], timezone="+01:00") == expected


@pytest.mark.parametrize(
    "fmt, source, expected",
    [
        ("yyyy-MM-dd'T'HH:mm:ss.SSSZZ", "2018-02-05T13:44:56.657+0100", "2018-02-05T12:44:56.657Z"),
        ("yyyy-MM-dd HH:mm:ss Z", "2017-04-04 13:43:09 +0200", "2017-04-04T11:43:09.000Z"),
        ("dd/MMM/yyyy:H:m:s Z", "10/Aug/2018:09:45:56 +0200", "2018-08-10T07:45:56.000Z"),
        ("UNIX", "1", "1970-01-01T00:00:01.000Z"),
        ("UNIX_MS", "1", "1970-01-01T00:00:00.001Z"),
        ("TAI64N", "4000000050d506482dbdf024", "2012-12-22T01:00:46.767Z"),
        ("ISO8601", "2018-02-05T13:44:56.657+0100", "2018-02-05T12:44:56.657Z"),
        ("epoch_second", "1688548995.987654321", "2023-07-05T09:23:15.987Z"),
    ],
)
def test_yaml_30_date_with_no_timezone_configured(fmt: str, source: str, expected: str):
    # 30_date_processor.yml "Test date processor with no timezone configured" (one processor per source field)
    assert date(source, [fmt]) == expected


def test_yaml_30_date_week_based_date_parsing():
    # 30_date_processor.yml "Test week based date parsing": ISO weeks, week 33 of 2020 starts on Monday 10 August
    assert date("2020-33", ["YYYY-ww"]) == "2020-08-10T00:00:00.000Z"


def test_yaml_30_date_the_whole_pipeline_in_one():
    # 30_date_processor.yml "Test date processor with no timezone configured": the eight processors in one pipeline
    formats = ["yyyy-MM-dd'T'HH:mm:ss.SSSZZ", "yyyy-MM-dd HH:mm:ss Z", "dd/MMM/yyyy:H:m:s Z", "UNIX", "UNIX_MS",
               "TAI64N", "ISO8601", "epoch_second"]
    sources = ["2018-02-05T13:44:56.657+0100", "2017-04-04 13:43:09 +0200", "10/Aug/2018:09:45:56 +0200", "1", "1",
               "4000000050d506482dbdf024", "2018-02-05T13:44:56.657+0100", "1688548995.987654321"]
    processors = [
        {"date": {"field": f"date_source_{i}", "target_field": f"date_target_{i}", "formats": [fmt]}}
        for i, fmt in enumerate(formats, 1)
    ]
    out = run(processors, {f"date_source_{i}": s for i, s in enumerate(sources, 1)})
    assert out is not None
    assert [out[f"date_target_{i}"] for i in range(1, 9)] == [
        "2018-02-05T12:44:56.657Z", "2017-04-04T11:43:09.000Z", "2018-08-10T07:45:56.000Z", "1970-01-01T00:00:01.000Z",
        "1970-01-01T00:00:00.001Z", "2012-12-22T01:00:46.767Z", "2018-02-05T12:44:56.657Z", "2023-07-05T09:23:15.987Z",
    ]


# == date: DateProcessorTests.java ===============================================================


def test_date_java_pattern():
    # DateProcessorTests.testJavaPattern
    assert date("2010 12 06 11:05:15", ["yyyy dd MM HH:mm:ss"], timezone="Europe/Amsterdam", locale="en") == (
        "2010-06-12T11:05:15.000+02:00"
    )


def test_date_java_pattern_multiple_formats():
    # DateProcessorTests.testJavaPatternMultipleFormats
    formats = ["yyyy dd MM", "dd/MM/yyyy", "dd-MM-yyyy"]
    for source in ("2010 12 06", "12/06/2010", "12-06-2010"):
        assert date(source, formats, timezone="Europe/Amsterdam", locale="en") == "2010-06-12T00:00:00.000+02:00"
    assert "unable to parse date [2010]" in date_failure("2010", formats, timezone="Europe/Amsterdam", locale="en")


def test_date_short_circuit_after_first_matching_pattern():
    # DateProcessorTests.testShortCircuitAdditionalPatternsAfterFirstMatchingPattern: an invalid pattern first is skipped
    formats = ["invalid", "uuuu-dd-MM", "uuuu-MM-dd"]
    assert date("2010-03-04", formats, timezone="Europe/Amsterdam", locale="en") == "2010-04-03T00:00:00.000+02:00"


def test_date_java_pattern_no_timezone():
    # DateProcessorTests.testJavaPatternNoTimezone
    assert date("2010 12 06 00:00:00 -02:00", ["yyyy dd MM HH:mm:ss XXX"]) == "2010-06-12T02:00:00.000Z"


def test_date_invalid_java_pattern_fails_the_document_not_the_load():
    # DateProcessorTests.testInvalidJavaPattern: the message is "unable to parse date [2010]"
    assert date_failure("2010", ["invalid pattern"], timezone="UTC").endswith("unable to parse date [2010]")


def test_date_java_pattern_locale():
    # DateProcessorTests.testJavaPatternLocale (Italian month names)
    assert date("2010 12 giugno", ["yyyy dd MMMM"], timezone="Europe/Amsterdam", locale="it") == (
        "2010-06-12T00:00:00.000+02:00"
    )


def test_date_java_pattern_english_locale():
    # DateProcessorTests.testJavaPatternEnglishLocale
    assert date("2010 12 June", ["yyyy dd MMMM"], timezone="Europe/Amsterdam", locale="en") == (
        "2010-06-12T00:00:00.000+02:00"
    )


@pytest.mark.parametrize("fmt", ["dd/MM", "8dd/MM"])
def test_date_java_pattern_default_year(fmt: str):
    # DateProcessorTests.testJavaPatternDefaultYear (both of its random formats)
    year = datetime.now(timezone.utc).year
    assert date("12/06", [fmt], timezone="Europe/Amsterdam", locale="en") == f"{year}-06-12T00:00:00.000+02:00"


@pytest.mark.parametrize("source", ["4000000050d506482dbdf024", "@4000000050d506482dbdf024"])
def test_date_tai64n(source: str):
    # DateProcessorTests.testTAI64N (with and without its random "@")
    assert date(source, ["TAI64N"], timezone="+02:00") == "2012-12-22T03:00:46.767+02:00"


@pytest.mark.parametrize("source", ["1000500", 1000500])
def test_date_unix_ms(source: Any):
    # DateProcessorTests.testUnixMs: a string and a number
    assert date(source, ["UNIX_MS"], timezone="UTC") == "1970-01-01T00:16:40.500Z"


def test_date_unix():
    # DateProcessorTests.testUnix
    assert date("1000.5", ["UNIX"], timezone="UTC") == "1970-01-01T00:16:40.500Z"


@pytest.mark.parametrize("source", ["1683701716065", 1683701716065])
def test_date_epoch_millis(source: Any):
    # DateProcessorTests.testEpochMillis
    assert date(source, ["epoch_millis"], timezone="UTC") == "2023-05-10T06:55:16.065Z"


def test_date_invalid_timezone():
    # DateProcessorTests.testInvalidTimezone
    assert date_failure("2010", ["yyyy"], timezone="invalid_timezone").endswith("unable to parse date [2010]")


def test_date_invalid_locale():
    # DateProcessorTests.testInvalidLocale
    assert date_failure("2010", ["yyyy"], timezone="UTC", locale="invalid_locale").endswith("unable to parse date [2010]")


@pytest.mark.parametrize("nanos", [1, 123, 999999])
def test_date_output_format_with_nanoseconds(nanos: int):
    # DateProcessorTests.testOutputFormat (its random nanoseconds fixed): Instant.EPOCH.plusNanos(n).toString()
    fraction = f"{nanos:09d}".rstrip("0")
    fraction = fraction.ljust(((len(fraction) + 2) // 3) * 3, "0")
    source = f"1970-01-01T00:00:00.{fraction}Z"
    assert date(source, ["iso8601"], output_format="HH:mm:ss.SSSSSSSSS") == f"00:00:00.{nanos:09d}"


# == date: DateFormatTests.java ===================================================================


def test_date_format_parse_java():
    # DateFormatTests.testParseJava: "MMM dd HH:mm:ss Z" at GMT-8, no year (the current one)
    year = datetime.now(timezone.utc).year
    out = date("Nov 24 01:29:01 -0800", ["MMM dd HH:mm:ss Z"], timezone="-08:00", locale="en")
    assert out == f"{year}-11-24T01:29:01.000-08:00"


@pytest.mark.parametrize("fmt", ["yyyy-MM-dd'T'HH:mm:ss.SSSZZ", "uuuu-MM-dd'T'HH:mm:ss.SSSZZ"])
def test_date_format_year_and_year_of_era_with_time_zone(fmt: str):
    # DateFormatTests.testParseYearOfEraJavaWithTimeZone and testParseYearJavaWithTimeZone
    assert date("2018-02-05T13:44:56.657+0100", [fmt], timezone="UTC", locale="ROOT") == "2018-02-05T12:44:56.657Z"


def test_date_format_parse_unix_with_ms_precision():
    # DateFormatTests.testParseUnixWithMsPrecision
    assert date("1495718015", ["UNIX"]) == "2017-05-25T13:13:35.000Z"


def test_date_format_parse_iso8601():
    # DateFormatTests.testParseISO8601: 978336000000 ms = 2001-01-01T08:00Z
    assert date("2001-01-01T00:00:00-0800", ["ISO8601"], timezone="UTC") == "2001-01-01T08:00:00.000Z"


def test_date_format_parse_when_zone_not_present_in_text():
    # DateFormatTests.testParseWhenZoneNotPresentInText: 978303600000 ms, at +01:00
    assert date("2001-01-01T00:00:00", ["ISO8601"], timezone="+0100") == "2001-01-01T00:00:00.000+01:00"


def test_date_format_parse_iso8601_failure():
    # DateFormatTests.testParseISO8601Failure
    assert "unable to parse date [2001-01-0:00-0800]" in date_failure("2001-01-0:00-0800", ["ISO8601"])


@pytest.mark.parametrize("fmt, text", [("unix_ms", "1000500"), ("unix", "1000.5"), ("tai64n", "4000000050d506482dbdf024")])
def test_date_format_special_names_are_upper_case_only(fmt: str, text: str):
    # DateFormatTests.testFromString: lower-case names are Java patterns (invalid ones here: "i", "t" are no letters)
    assert date(text, [fmt.upper()]) is not None
    assert date_failure(text, [fmt]).endswith(f"unable to parse date [{text}]")


# == date: options (DateProcessor.java's factory; ingesthost) =====================================


def test_date_default_target_field_is_timestamp():
    # DateProcessor.java: DEFAULT_TARGET_FIELD "@timestamp", DEFAULT_OUTPUT_FORMAT "yyyy-MM-dd'T'HH:mm:ss.SSSXXX"
    out = run([{"date": {"field": "d", "formats": ["yyyy-MM-dd"]}}], {"d": "2020-02-29"})
    assert out == {"d": "2020-02-29", "@timestamp": "2020-02-29T00:00:00.000Z"}


def test_date_invalid_output_format_is_refused_at_load():
    # DateProcessor.java factory: "invalid output format [..]"
    message = load_error([{"date": {"field": "d", "formats": ["ISO8601"], "output_format": "invalid pattern"}}])
    assert "invalid output format [invalid pattern]" in message


def test_date_formats_are_required():
    # DateProcessor.java factory: readList(.., "formats")
    assert "[formats] required property is missing" in load_error([{"date": {"field": "d"}}])


def test_date_missing_and_null_fields():
    # DateProcessor.java: getFieldValue(field, Object.class) fails on a missing field; null parses as nothing
    assert "field [d] not present as part of path [d]" in str(failure([{"date": {"field": "d", "formats": ["UNIX"]}}], {}))
    assert "unable to parse date [null]" in str(failure([{"date": {"field": "d", "formats": ["UNIX"]}}], {"d": None}))


def test_date_templated_timezone_and_locale():
    # ingesthost: timezone and locale are templates, as in Elasticsearch
    processor = {"date": {"field": "d", "formats": ["dd MMMM yyyy"], "timezone": "{{tz}}", "locale": "{{lang}}"}}
    out = run([processor], {"d": "12 giugno 2010", "tz": "Europe/Rome", "lang": "it"})
    assert out is not None and out["@timestamp"] == "2010-06-12T00:00:00.000+02:00"


def test_date_invalid_calendar_dates_fail():
    # ingesthost: java.time's resolution refuses 31 February and hour 25
    assert "unable to parse date [31/02/2020]" in date_failure("31/02/2020", ["dd/MM/yyyy"])
    assert "unable to parse date [2020-01-01 25:00]" in date_failure("2020-01-01 25:00", ["yyyy-MM-dd HH:mm"])


def test_date_twelve_hour_clock_and_optional_section():
    # ingesthost: "hh a" and an optional "[.SSS]" section
    assert date("2020-01-01 01:30 PM", ["yyyy-MM-dd hh:mm a"]) == "2020-01-01T13:30:00.000Z"
    assert date("2020-01-01 12:00:00", ["yyyy-MM-dd HH:mm:ss[.SSS]"]) == "2020-01-01T12:00:00.000Z"
    assert date("2020-01-01 12:00:00.250", ["yyyy-MM-dd HH:mm:ss[.SSS]"]) == "2020-01-01T12:00:00.250Z"


def test_date_daylight_saving_gap_moves_forward():
    # ingesthost: LocalDateTime.atZone moves a time in a gap forward by the gap (02:30 -> 03:30 CEST)
    assert date("2021-03-28 02:30", ["yyyy-MM-dd HH:mm"], timezone="Europe/Amsterdam") == "2021-03-28T03:30:00.000+02:00"


# == grok: 120_grok.yml ===========================================================================


def test_yaml_120_grok_pipeline():
    # 120_grok.yml "Test Grok Pipeline"
    processors = [{"grok": {"field": "field1", "patterns": ["%{NUMBER:val:float} %{NUMBER:status:int} <%{WORD:msg}>"]}}]
    out = run(processors, {"field1": "123.42 400 <foo>"})
    assert out == {"field1": "123.42 400 <foo>", "val": 123.42, "status": 400, "msg": "foo"}


def test_yaml_120_grok_custom_pattern():
    # 120_grok.yml "Test Grok Pipeline With Custom Pattern"
    processors = [{"grok": {"field": "field1", "patterns": ["<%{MY_PATTERN:msg}>"], "pattern_definitions": {"MY_PATTERN": "foo"}}}]
    assert run(processors, {"field1": "<foo>"}) == {"field1": "<foo>", "msg": "foo"}


def test_yaml_120_grok_custom_pattern_sharing_a_builtin_name():
    # 120_grok.yml "Test Grok Pipeline With Custom Pattern Sharing Same Name As Another"
    processors = [{"grok": {"field": "field1", "patterns": ["<%{NUMBER:msg}>"], "pattern_definitions": {"NUMBER": "foo"}}}]
    assert run(processors, {"field1": "<foo>"}) == {"field1": "<foo>", "msg": "foo"}


def test_yaml_120_grok_simulate_with_trace_match():
    # 120_grok.yml "Test simulate with grok debugging enabled": _ingest._grok_match_index is "1"
    processors = [
        {"grok": {"field": "field", "patterns": ["%{ONE:one}", "%{TWO:two}"], "pattern_definitions": {"ONE": "1", "TWO": "2"},
                  "trace_match": True}},
        {"set": {"field": "index", "value": "{{_ingest._grok_match_index}}"}},
    ]
    assert run(processors, {"field": "abc2xyz"}) == {"field": "abc2xyz", "two": "2", "index": "1"}


def test_yaml_120_grok_invalid_pattern():
    # 120_grok.yml "Test simulate with invalid GROK pattern"
    message = load_error([{"grok": {"field": "field", "patterns": ["%{INVALID_PATTERN:field}"]}}])
    assert (
        "[patterns] Invalid regex pattern found in: [%{INVALID_PATTERN:field}]. "
        "Unable to find pattern [INVALID_PATTERN] in Grok's pattern dictionary"
    ) in message


# == grok: GrokProcessorTests.java ================================================================


def grok(value: Any, patterns: list[str], bank: dict[str, str] | None = None, **options: Any) -> Any:
    processor: dict[str, Any] = {"field": "f", "patterns": patterns, **options}
    if bank is not None:
        processor["pattern_definitions"] = bank
    return run([{"grok": processor}], {"f": value} if value is not _ABSENT else {})


def grok_failure(value: Any, patterns: list[str], bank: dict[str, str] | None = None, **options: Any) -> str:
    processor: dict[str, Any] = {"field": "f", "patterns": patterns, **options}
    if bank is not None:
        processor["pattern_definitions"] = bank
    return str(failure([{"grok": processor}], {"f": value} if value is not _ABSENT else {}))


_ABSENT = object()
ONE_TWO_THREE = {"ONE": "1", "TWO": "2", "THREE": "3"}


def test_grok_match():
    # GrokProcessorTests.testMatch
    assert grok("1", ["%{ONE:one}"], {"ONE": "1"}) == {"f": "1", "one": "1"}


def test_grok_ignore_case():
    # GrokProcessorTests.testIgnoreCase: (?i) inside a group applies to the rest of that group
    assert grok("A", ["(?<a>(?i)A)"]) == {"f": "A", "a": "A"}
    assert grok("a", ["(?<a>(?i)A)"]) == {"f": "a", "a": "a"}


def test_grok_no_match():
    # GrokProcessorTests.testNoMatch
    assert "Provided Grok expressions do not match field value: [23]" in grok_failure("23", ["%{ONE:one}"], {"ONE": "1"})


def test_grok_no_matching_pattern_name():
    # GrokProcessorTests.testNoMatchingPatternName
    message = load_error([{"grok": {"field": "f", "patterns": ["%{NOTONE:not_one}"], "pattern_definitions": {"ONE": "1"}}}])
    assert "Unable to find pattern [NOTONE] in Grok's pattern dictionary" in message


def test_grok_match_without_captures():
    # GrokProcessorTests.testMatchWithoutCaptures: the document is unchanged
    assert grok("value", ["value"]) == {"f": "value"}


def test_grok_null_field():
    # GrokProcessorTests.testNullField
    assert "field [f] is null, cannot process it." in grok_failure(None, ["%{ONE:one}"], {"ONE": "1"})


def test_grok_null_field_with_ignore_missing():
    # GrokProcessorTests.testNullFieldWithIgnoreMissing
    assert grok(None, ["%{ONE:one}"], {"ONE": "1"}, ignore_missing=True) == {"f": None}


@pytest.mark.parametrize("ignore_missing", [False, True])
def test_grok_not_string_field(ignore_missing: bool):
    # GrokProcessorTests.testNotStringField and testNotStringFieldWithIgnoreMissing (JSON type names, see README)
    message = grok_failure(1, ["%{ONE:one}"], {"ONE": "1"}, ignore_missing=ignore_missing)
    assert "field [f] of type [number] cannot be cast to [string]" in message


def test_grok_missing_field():
    # GrokProcessorTests.testMissingField
    processor = {"grok": {"field": "foo.bar", "patterns": ["%{ONE:one}"], "pattern_definitions": {"ONE": "1"}}}
    assert "field [foo] not present as part of path [foo.bar]" in str(failure([processor], {}))


def test_grok_missing_field_with_ignore_missing():
    # GrokProcessorTests.testMissingFieldWithIgnoreMissing
    processor = {"grok": {"field": "foo.bar", "patterns": ["%{ONE:one}"], "pattern_definitions": {"ONE": "1"},
                          "ignore_missing": True}}
    assert run([processor], {"x": 1}) == {"x": 1}


def test_grok_multiple_patterns_with_match_return():
    # GrokProcessorTests.testMultiplePatternsWithMatchReturn
    assert grok("2", ["%{ONE:one}", "%{TWO:two}", "%{THREE:three}"], ONE_TWO_THREE) == {"f": "2", "two": "2"}


def test_grok_set_metadata():
    # GrokProcessorTests.testSetMetadata: trace_match writes _ingest._grok_match_index
    processors = [
        {"grok": {"field": "f", "patterns": ["%{ONE:one}", "%{TWO:two}", "%{THREE:three}"],
                  "pattern_definitions": ONE_TWO_THREE, "trace_match": True}},
        {"set": {"field": "index", "value": "{{_ingest._grok_match_index}}"}},
    ]
    assert run(processors, {"f": "abc23"}) == {"f": "abc23", "two": "2", "index": "1"}


def test_grok_trace_with_one_pattern():
    # GrokProcessorTests.testTraceWithOnePattern
    processors = [
        {"grok": {"field": "f", "patterns": ["%{ONE:one}"], "pattern_definitions": {"ONE": "1"}, "trace_match": True}},
        {"set": {"field": "index", "value": "{{_ingest._grok_match_index}}"}},
    ]
    assert run(processors, {"f": "first1"}) == {"f": "first1", "one": "1", "index": "0"}


def test_grok_combined_patterns():
    # GrokProcessorTests.testCombinedPatterns
    assert combine_patterns([""], False) == ""
    assert combine_patterns([""], True) == ""
    assert combine_patterns(["foo"], False) == "foo"
    assert combine_patterns(["foo"], True) == "foo"
    assert combine_patterns(["foo", "bar"], False) == "(?:foo)|(?:bar)"
    assert combine_patterns(["foo", "bar"], True) == "(?<_ingest._grok_match_index.0>foo)|(?<_ingest._grok_match_index.1>bar)"


@pytest.mark.parametrize("trace_match", [False, True])
def test_grok_combine_same_pattern_name_across_patterns(trace_match: bool):
    # GrokProcessorTests.testCombineSamePatternNameAcrossPatterns
    out = grok("1-3", ["%{ONE:first}-%{TWO:second}", "%{ONE:first}-%{THREE:second}"], ONE_TWO_THREE, trace_match=trace_match)
    assert out is not None and (out["first"], out["second"]) == ("1", "3")


def test_grok_captures_all_same_name_groups_as_list():
    # GrokProcessorTests.testShouldCaptureAllSameNameGroupsAsList
    assert grok("12", ["%{ONETWO:first}%{ONETWO:first}"], {"ONETWO": "1|2"}) == {"f": "12", "first": ["1", "2"]}


def test_grok_unmatched_names_not_included_in_document():
    # GrokProcessorTests.testUnmatchedNamesNotIncludedInDocument
    assert grok("3", ["%{ONETWO:first}|%{THREE:second}"], {"ONETWO": "1|2", "THREE": "3"}) == {"f": "3", "second": "3"}


# == grok: GrokProcessor.java's factory =============================================================


def test_grok_empty_patterns_and_bad_ecs_mode_are_refused():
    # GrokProcessor.java factory: "List of patterns must not be empty", "unsupported mode"
    assert "[patterns] List of patterns must not be empty" in load_error([{"grok": {"field": "f", "patterns": []}}])
    assert "[ecs_compatibility] unsupported mode 'v2'" in load_error(
        [{"grok": {"field": "f", "patterns": ["x"], "ecs_compatibility": "v2"}}]
    )


def test_grok_circular_definitions_are_refused():
    # Grok.java forbidCircularReferences ("circular reference in pattern [..]")
    message = load_error([{"grok": {"field": "f", "patterns": ["%{A}"], "pattern_definitions": {"A": "x%{A}"}}}])
    assert "circular reference in pattern [A][x%{A}]" in message
    message = load_error([{"grok": {"field": "f", "patterns": ["%{A}"], "pattern_definitions": {"A": "%{B}", "B": "%{A}"}}}])
    assert "circular reference in pattern" in message


# == grok: GrokTests.java (the library) ===============================================================


def captures(pattern: str, text: str, bank: dict[str, str] | None = None) -> Any:
    return GrokExpression(pattern, LEGACY_PATTERNS if bank is None else bank).captures(text)


def test_grok_lib_match_without_captures():
    # GrokTests.testMatchWithoutCaptures
    assert captures("value", "value") == {}
    assert captures("value", "prefix_value") == {}
    assert captures("value", "no_match") is None


def test_grok_lib_no_matching_pattern_in_dictionary():
    # GrokTests.testNoMatchingPatternInDictionary
    with pytest.raises(ValueError, match=r"Unable to find pattern \[NOTFOUND\] in Grok's pattern dictionary"):
        GrokExpression("%{NOTFOUND}", {})


def test_grok_lib_date_pattern():
    # GrokTests.testDatePattern
    assert captures("(?<timestamp>%{DATE_EU} %{TIME})", "fancy 12-12-12 12:12:12") == {"timestamp": "12-12-12 12:12:12"}


def test_grok_lib_nil_coerced_values():
    # GrokTests.testNilCoercedValues (28.4f is stored as the double that prints as it, 28.4)
    assert captures("test (N/A|%{BASE10NUM:duration:float}ms)", "test 28.4ms") == {"duration": 28.4}
    assert captures("test (N/A|%{BASE10NUM:duration:float}ms)", "test N/A") == {}


def test_grok_lib_nil_with_no_coercion():
    # GrokTests.testNilWithNoCoercion
    assert captures("test (N/A|%{BASE10NUM:duration}ms)", "test 28.4ms") == {"duration": "28.4"}
    assert captures("test (N/A|%{BASE10NUM:duration}ms)", "test N/A") == {}


def test_grok_lib_unicode_syslog():
    # GrokTests.testUnicodeSyslog
    pattern = (
        "<%{POSINT:syslog_pri}>%{SPACE}%{SYSLOGTIMESTAMP:syslog_timestamp} %{SYSLOGHOST:syslog_hostname} "
        "%{PROG:syslog_program}(:?)(?:\\[%{GREEDYDATA:syslog_pid}\\])?(:?) %{GREEDYDATA:syslog_message}"
    )
    text = (
        "<22>Jan  4 07:50:46 mailmaster postfix/policy-spf[9454]: : SPF permerror (Junk encountered in record "
        "'v=spf1 mx a:mail.domain.no ip4:192.168.0.4 \ufffdall'): Envelope-from: email@domain.no"
    )
    matches = captures(pattern, text)
    assert matches["syslog_pri"] == "22"
    assert matches["syslog_program"] == "postfix/policy-spf"
    assert "tags" not in matches


def test_grok_lib_named_fields_with_whole_text_match():
    # GrokTests.testNamedFieldsWithWholeTextMatch
    assert captures("%{DATE_EU:stimestamp}", "11/01/01") == {"stimestamp": "11/01/01"}


def test_grok_lib_oniguruma_named_captures():
    # GrokTests.testWithOniguramaNamedCaptures
    assert captures("(?<foo>\\w+)", "hello world") == {"foo": "hello"}


@pytest.mark.parametrize(
    "text",
    ["2001-01-01T00:00:00", "1974-03-02T04:09:09", "2010-05-03T08:18:18+00:00", "2004-07-04T12:27:27-00:00",
     "2001-09-05T16:36:36+0000", "2001-11-06T20:45:45-0000", "2001-12-07T23:54:54Z", "2001-01-01T00:00:00.123456",
     "1974-03-02T04:09:09.123456", "2010-05-03T08:18:18.123456+00:00", "2004-07-04T12:27:27.123456-00:00",
     "2001-09-05T16:36:36.123456+0000", "2001-11-06T20:45:45.123456-0000", "2001-12-07T23:54:54.123456Z",
     "2001-12-07T23:54:60.123456Z"],
)
def test_grok_lib_iso8601(text: str):
    # GrokTests.testISO8601
    assert captures("^%{TIMESTAMP_ISO8601}$", text) == {}


@pytest.mark.parametrize(
    "text",
    ["2001-13-01T00:00:00", "2001-00-01T00:00:00", "2001-01-00T00:00:00", "2001-01-32T00:00:00", "2001-01-aT00:00:00",
     "2001-01-1aT00:00:00", "2001-01-01Ta0:00:00", "2001-01-01T25:00:00", "2001-01-01T01:60:00", "2001-01-01T00:aa:00",
     "2001-01-01T00:00:aa", "2001-01-01T00:00:-1", "2001-01-01T00:00:61", "2001-01-01T00:00:00A",
     "2001-01-01T00:00:00+", "2001-01-01T00:00:00+25", "2001-01-01T00:00:00+2500", "2001-01-01T00:00:00+25:00",
     "2001-01-01T00:00:00-25", "2001-01-01T00:00:00-2500", "2001-01-01T00:00:00-00:61", "2001-01-01T0:00:00"],
)
def test_grok_lib_not_iso8601(text: str):
    # GrokTests.testNotISO8601 (legacy patterns: the single-digit hour case included)
    assert captures("^%{TIMESTAMP_ISO8601}$", text) is None


def test_grok_lib_boolean_captures():
    # GrokTests.testBooleanCaptures
    assert captures("%{WORD:name}=%{WORD:status:boolean}", "active=true") == {"name": "active", "status": True}


_NUMBERS = {
    "BASE10NUM": "(?<![0-9.+-])(?>[+-]?(?:(?:[0-9]+(?:\\.[0-9]+)?)|(?:\\.[0-9]+)))",
    "NUMBER": "(?:%{BASE10NUM})",
}


def test_grok_lib_numeric_captures():
    # GrokTests.testNumericCaptures
    out = captures("%{NUMBER:bytes:float} %{NUMBER:id:long} %{NUMBER:rating:double}", "12009.34 20000000000 4820.092", _NUMBERS)
    assert out == {"bytes": 12009.34, "id": 20000000000, "rating": 4820.092}


def test_grok_lib_numeric_captures_coercion():
    # GrokTests.testNumericCapturesCoercion
    out = captures("%{NUMBER:bytes:float} %{NUMBER:status} %{NUMBER}", "12009.34 200 9032", _NUMBERS)
    assert out == {"bytes": 12009.34, "status": "200"}


def test_grok_lib_garbage_type_name_becomes_string():
    # GrokTests.testGarbageTypeNameBecomesString
    assert captures("%{NUMBER:f:not_a_valid_type}", "12009.34", _NUMBERS) == {"f": "12009.34"}


def test_grok_lib_apache_log():
    # GrokTests.testApacheLog (legacy names)
    agent = ("Mozilla/5.0 (Windows NT 6.1; WOW64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/30.0.1599.12785 "
             "YaBrowser/13.12.1599.12785 Safari/537.36")
    line = ('31.184.238.164 - - [24/Jul/2014:05:35:37 +0530] "GET /logs/access.log HTTP/1.0" 200 69849 '
            f'"http://8rursodiol.enjin.com" "{agent}" "www.dlwindianrailways.com"')
    assert captures("%{COMBINEDAPACHELOG}", line) == {
        "clientip": "31.184.238.164", "ident": "-", "auth": "-", "timestamp": "24/Jul/2014:05:35:37 +0530",
        "verb": "GET", "request": "/logs/access.log", "httpversion": "1.0", "response": "200", "bytes": "69849",
        "referrer": '"http://8rursodiol.enjin.com"', "agent": f'"{agent}"',
    }


# == grok: the pattern bank and the Oniguruma translation (ingesthost) ==================================


@pytest.mark.parametrize("name", sorted(LEGACY_PATTERNS))
def test_grok_every_bank_pattern_compiles(name: str):
    # ingesthost: each name of the bank expands and compiles
    assert GrokExpression("%{" + name + ":x}", LEGACY_PATTERNS).fields[0][1] == "x"


@pytest.mark.parametrize(
    "text, ok",
    [("::1", True), ("fe80::1%eth0", True), ("2001:db8::ff00:42:8329", True), ("::ffff:192.168.1.1", True),
     ("1:2:3:4:5:6:7:8", True), ("1:2:3:4:5:6:7:8:9", False), ("1::2::3", False), ("12345::", False)],
)
def test_grok_ipv6(text: str, ok: bool):
    # ingesthost: the IPV6 definition written here accepts RFC 4291's forms only
    assert (captures("^%{IPV6}$", text) is not None) is ok


def test_grok_atomic_groups_do_not_backtrack():
    # ingesthost: (?>a+)a never matches, as in Oniguruma
    assert captures("^(?>a+)a", "aaa", {}) is None
    assert captures("^(?:a+)a", "aaa", {}) == {}


def test_grok_unsupported_syntax_is_refused_at_load():
    # ingesthost: possessive quantifiers and \p{..} are refused, not misread
    assert "possessive" in load_error([{"grok": {"field": "f", "patterns": ["a++"]}}])
    assert "not supported" in load_error([{"grok": {"field": "f", "patterns": ["\\p{L}"]}}])


def test_grok_dotted_names_and_int_conversion_failure():
    # ingesthost: a dotted name is a path; a capture that is no int fails as Integer.parseInt does
    assert grok("a 1", ["%{WORD:x.y} %{INT:n:int}"]) == {"f": "a 1", "x": {"y": "a"}, "n": 1}
    assert 'For input string: "abc"' in grok_failure("abc", ["%{WORD:n:int}"])


def test_a_grok_pattern_that_backtracks_without_end_fails_its_document_under_the_time_limit(tmp_path):
    """In a worker (the CLI's default), a grok match runs under the time limit
    of a guest call: the document whose text makes the pattern backtrack for
    ever fails, the worker is replaced and the other documents go through."""
    import json
    import subprocess
    import sys

    (tmp_path / "p.yml").write_text('processors:\n  - grok: {field: m, patterns: ["^(a+)+$"], tag: slow}\n')
    (tmp_path / "in.ndjson").write_text("".join(json.dumps({"m": m}) + "\n" for m in ["aaaa", "a" * 40 + "!", "aa"]))
    done = subprocess.run(
        [sys.executable, "-m", "ingesthost", "process", "in.ndjson", "-p", "p.yml", "-o", "out.ndjson", "--timeout", "1"],
        cwd=tmp_path, capture_output=True, timeout=120,
    )
    assert done.returncode == 1, done.stderr
    assert [json.loads(line)["m"] for line in (tmp_path / "out.ndjson").read_text().splitlines()] == ["aaaa", "aa"]
    (failure,) = [json.loads(line) for line in (tmp_path / "out.failures.ndjson").read_text().splitlines()]
    assert failure["line"] == 2
    assert failure["error"]["processor_type"] == "grok" and failure["error"]["processor_tag"] == "slow"
    assert failure["error"]["message"] == "processor ran longer than its 1.0 s timeout"
