"""The ``if`` condition language: one test per rule of the Painless subset.

Expected results follow Painless as Elasticsearch runs ingest conditions:
``ctx`` is the document source, a missing field is null, ``?.`` is null-safe,
``==`` compares numbers by value and everything else with ``equals``.
"""

from __future__ import annotations

import pytest
import yaml

from ingesthost import Pipeline, PipelineConfigError
from ingesthost.condition import Condition, ConditionRuntimeError, ConditionSyntaxError


def ev(source: str, doc: dict) -> bool:
    return Condition(source).evaluate(doc)


def runtime_error(source: str, doc: dict) -> ConditionRuntimeError:
    with pytest.raises(ConditionRuntimeError) as info:
        Condition(source).evaluate(doc)
    return info.value


def syntax_error(source: str) -> str:
    with pytest.raises(ConditionSyntaxError) as info:
        Condition(source)
    return str(info.value)


# -- field access -------------------------------------------------------------------


def test_dotted_access_reads_nested_fields():
    assert ev("ctx.log.level == 'debug'", {"log": {"level": "debug"}}) is True


def test_bracket_access_reads_fields_with_any_name():
    assert ev("ctx['@timestamp'] != null && ctx['log']['level'] == 'x'", {"@timestamp": 1, "log": {"level": "x"}})


def test_missing_field_is_null():
    assert ev("ctx.nothing == null", {}) is True


def test_field_of_null_is_a_null_pointer_error():
    err = runtime_error("ctx.a.b == 1", {})
    assert err.error_type == "null_pointer_exception"
    assert "[ctx.a] is null" in err.message and "?." in err.message


def test_null_safe_access_yields_null():
    assert ev("ctx.a?.b?.c == null", {}) is True
    assert ev("ctx.a?.b == 2", {"a": {"b": 2}}) is True


def test_null_safe_method_call_yields_null():
    assert ev("ctx.tags?.contains('x') == null", {}) is True


def test_field_of_a_string_is_an_error():
    assert runtime_error("ctx.a.b == 1", {"a": "text"}).error_type == "illegal_argument_exception"


def test_list_index_and_negative_index():
    doc = {"tags": ["a", "b", "c"]}
    assert ev("ctx.tags[0] == 'a' && ctx.tags[-1] == 'c'", doc)


def test_list_index_out_of_range_is_an_error():
    assert runtime_error("ctx.tags[3] == 'x'", {"tags": ["a"]}).error_type == "index_out_of_bounds_exception"


# -- comparison ----------------------------------------------------------------------


def test_equality_compares_numbers_by_value():
    assert ev("ctx.n == 1.0", {"n": 1}) is True


def test_equality_does_not_convert_types():
    assert ev("ctx.n == '1'", {"n": 1}) is False
    assert ev("ctx.b == 1", {"b": True}) is False


def test_null_equals_only_null():
    assert ev("ctx.a == null", {"a": None}) is True
    assert ev("ctx.a != null", {"a": 0}) is True


def test_equality_of_lists_and_objects():
    assert ev("ctx.a == ['x', 1]", {"a": ["x", 1]}) is True
    assert ev("ctx.m == ['k': 1]", {"m": {"k": 1}}) is True


@pytest.mark.parametrize(
    ("source", "expected"),
    [("ctx.n < 5", True), ("ctx.n <= 3", True), ("ctx.n > 3", False), ("ctx.n >= 3.0", True)],
)
def test_relational_operators_on_numbers(source, expected):
    assert ev(source, {"n": 3}) is expected


def test_relational_operator_on_strings_is_an_error():
    err = runtime_error("ctx.s < ctx.t", {"s": "a", "t": "b"})
    assert err.error_type == "class_cast_exception"


def test_relational_operator_on_null_is_a_null_pointer_error():
    assert runtime_error("ctx.n > 1", {}).error_type == "null_pointer_exception"


def test_relational_operator_on_a_string_literal_is_refused_at_load():
    assert "compares numbers" in syntax_error("ctx.n > 'x'")


# -- boolean logic --------------------------------------------------------------------


def test_and_short_circuits():
    # without short-circuit the right side would throw a null pointer error
    assert ev("ctx.a != null && ctx.a.b == 1", {}) is False


def test_or_short_circuits():
    assert ev("ctx.a == null || ctx.a.b == 1", {}) is True


def test_not():
    assert ev("!(ctx.level == 'debug')", {"level": "info"}) is True


def test_precedence_and_binds_tighter_than_or():
    assert ev("true || false && false", {}) is True
    assert ev("(true || false) && false", {}) is False


def test_logic_on_a_non_boolean_is_an_error():
    assert runtime_error("ctx.s && true", {"s": "x"}).error_type == "class_cast_exception"


def test_logic_on_null_is_a_null_pointer_error():
    assert runtime_error("ctx.flag || false", {}).error_type == "null_pointer_exception"


def test_a_boolean_field_is_a_condition():
    assert ev("ctx.flag", {"flag": True}) is True


def test_a_condition_that_yields_null_is_an_error():
    assert runtime_error("ctx.flag", {}).error_type == "null_pointer_exception"


def test_a_condition_that_yields_a_string_is_an_error():
    assert runtime_error("ctx.s", {"s": "x"}).error_type == "class_cast_exception"


def test_a_literal_non_boolean_condition_is_refused_at_load():
    assert "must be true or false" in syntax_error("'yes'")


# -- literals -----------------------------------------------------------------------------


def test_single_and_double_quoted_strings_are_the_same():
    assert ev("ctx.s == 'a' && ctx.s == \"a\"", {"s": "a"})


def test_string_escapes():
    assert ev(r"ctx.s == 'it\'s \\ here'", {"s": "it's \\ here"})
    assert ev(r'ctx.s == "say \"hi\""', {"s": 'say "hi"'})


def test_other_escapes_are_refused():
    assert "invalid escape" in syntax_error(r"ctx.s == 'a\nb'")


def test_number_literals():
    assert ev("ctx.a == 10 && ctx.b == 2.5 && ctx.c == -3 && ctx.d == 1e3 && ctx.e == 0x1F && ctx.f == 7L",
              {"a": 10, "b": 2.5, "c": -3, "d": 1000, "e": 31, "f": 7})


def test_boolean_and_null_literals():
    assert ev("ctx.t == true && ctx.f == false && ctx.n == null", {"t": True, "f": False})


# -- methods --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("source", "doc"),
    [
        ("ctx.s.contains('ell')", {"s": "hello"}),
        ("ctx.s.startsWith('he')", {"s": "hello"}),
        ("ctx.s.endsWith('lo')", {"s": "hello"}),
        ("ctx.s.isEmpty()", {"s": ""}),
        ("ctx.s.length() == 5", {"s": "hello"}),
        ("ctx.s.equals('hello')", {"s": "hello"}),
        ("ctx.s.equalsIgnoreCase('HeLLo')", {"s": "hello"}),
        ("ctx.s.toLowerCase() == 'hello'", {"s": "HeLLo"}),
        ("ctx.s.toUpperCase() == 'HELLO'", {"s": "hello"}),
        ("ctx.s.trim() == 'hello'", {"s": "  hello\t"}),
        ("ctx.s.substring(1, 3) == 'el'", {"s": "hello"}),
        ("ctx.s.indexOf('l') == 2", {"s": "hello"}),
    ],
)
def test_string_methods(source, doc):
    assert ev(source, doc) is True


@pytest.mark.parametrize(
    ("source", "doc"),
    [
        ("ctx.tags.contains('b')", {"tags": ["a", "b"]}),
        ("ctx.tags.size() == 2", {"tags": ["a", "b"]}),
        ("ctx.tags.isEmpty()", {"tags": []}),
        ("ctx.tags.get(1) == 'b'", {"tags": ["a", "b"]}),
        ("ctx.m.containsKey('k')", {"m": {"k": None}}),
        ("ctx.m.size() == 1 && !ctx.m.isEmpty()", {"m": {"k": 1}}),
        ("ctx.m.get('k') == 1 && ctx.m.getOrDefault('z', 2) == 2", {"m": {"k": 1}}),
        ("ctx.containsKey('top')", {"top": 1}),
    ],
)
def test_collection_methods(source, doc):
    assert ev(source, doc) is True


def test_list_contains_uses_equals():
    # an Integer element does not equal a Double argument in Java
    assert ev("ctx.tags.contains(1)", {"tags": [1]}) is True
    assert ev("ctx.tags.contains(1.0)", {"tags": [1]}) is False


def test_list_literal_contains():
    assert ev("['GET', 'HEAD'].contains(ctx.method)", {"method": "HEAD"}) is True


def test_method_on_the_wrong_type_is_an_error():
    err = runtime_error("ctx.s.size() > 0", {"s": "x"})
    assert err.error_type == "illegal_argument_exception"
    assert "size/0" in err.message


def test_method_on_null_is_a_null_pointer_error():
    assert runtime_error("ctx.s.contains('x')", {}).error_type == "null_pointer_exception"


def test_method_argument_of_the_wrong_type_is_an_error():
    assert runtime_error("ctx.s.contains(1)", {"s": "x1"}).error_type == "class_cast_exception"


def test_unknown_method_is_refused_at_load():
    assert "unknown method [matches]" in syntax_error("ctx.s.matches('x')")


# -- other expressions ---------------------------------------------------------------------


def test_instanceof():
    doc = {"s": "x", "n": 1, "l": [], "m": {}, "d": 1.5}
    assert ev("ctx.s instanceof String && ctx.n instanceof Integer && ctx.n instanceof Number", doc)
    assert ev("ctx.l instanceof List && ctx.m instanceof Map && ctx.d instanceof Double", doc)
    assert ev("ctx.missing instanceof Object", doc) is False


def test_ternary_and_elvis():
    assert ev("(ctx.a ?: 'default') == 'default'", {}) is True
    assert ev("(ctx.n > 1 ? 'big' : 'small') == 'big'", {"n": 2}) is True


def test_arithmetic_follows_java():
    assert ev("ctx.n / 2 == 3 && ctx.n % 4 == 3 && -ctx.n % 4 == -3", {"n": 7})
    assert ev("ctx.n * 2 + 1 == 15 && ctx.n - 10 == -3", {"n": 7})
    assert ev("'v' + ctx.n == 'v7'", {"n": 7})


def test_integer_division_by_zero_is_an_error():
    assert runtime_error("ctx.n / 0 == 1", {"n": 1}).error_type == "arithmetic_exception"


# -- Java int/long/float/double arithmetic ------------------------------------------------

INT_MAX, INT_MIN = 2**31 - 1, -(2**31)
LONG_MAX, LONG_MIN = 2**63 - 1, -(2**63)


@pytest.mark.parametrize(
    ("source", "doc"),
    [
        ("ctx.i + 1 == -2147483648", {"i": INT_MAX}),
        ("ctx.i - 1 == 2147483647", {"i": INT_MIN}),
        ("ctx.i * 2 == -2", {"i": INT_MAX}),
        ("ctx.i * ctx.i == 1410065408", {"i": 100_000}),  # 10**10 mod 2**32
        ("65536 * 65536 == 0", {}),
        ("-ctx.i == -2147483648", {"i": INT_MIN}),
        ("ctx.i / -1 == -2147483648 && ctx.i % -1 == 0", {"i": INT_MIN}),
    ],
)
def test_int_arithmetic_wraps_at_32_bits(source, doc):
    assert ev(source, doc) is True


@pytest.mark.parametrize(
    ("source", "doc"),
    [
        ("ctx.l + 1 == -9223372036854775808L", {"l": LONG_MAX}),
        ("ctx.l - 1 == 9223372036854775807L", {"l": LONG_MIN}),
        ("ctx.l * 2 == -2L", {"l": LONG_MAX}),
        ("9223372036854775807L + 1L == -9223372036854775808L", {}),
        ("4294967296L * 4294967296L == 0L", {}),
        # a long anywhere makes the operation long: no 32-bit wrap
        ("ctx.i + 1L == 2147483648L", {"i": INT_MAX}),
        ("ctx.i * 2L == 4294967294L", {"i": INT_MAX}),
        ("ctx.i + ctx.l == 2147483648L + 4294967296L", {"i": INT_MAX, "l": 2**32 + 1}),
        # a long stays a long even when its value would fit an int
        ("(1L + 1) * 2147483647 == 4294967294L", {}),
        ("-ctx.l == -9223372036854775808L", {"l": LONG_MIN}),
    ],
)
def test_long_arithmetic_wraps_at_64_bits(source, doc):
    assert ev(source, doc) is True


@pytest.mark.parametrize(
    "source",
    [
        "7 / 2 == 3", "-7 / 2 == -3", "7 / -2 == -3", "-7 / -2 == 3",
        "7 % 3 == 1", "-7 % 3 == -1", "7 % -3 == 1", "-7 % -3 == -1",
        "-7L / 2L == -3L", "-7L % 2 == -1L",
    ],
)
def test_integer_division_truncates_and_remainder_takes_the_dividends_sign(source):
    assert ev(source, {}) is True


@pytest.mark.parametrize("source", ["ctx.n % 0 == 1", "ctx.n / 0L == 1", "ctx.l % 0 == 1", "1L / ctx.z == 1"])
def test_integer_division_and_remainder_by_zero_are_errors(source):
    err = runtime_error(source, {"n": 1, "l": LONG_MAX, "z": 0})
    assert err.error_type == "arithmetic_exception"
    assert "/ by zero" in err.message


@pytest.mark.parametrize(
    "source",
    [
        "1.0 / 0 > 1e308",
        "-1.0 / 0 < -1e308",
        "(0.0 / 0 == 0.0 / 0) == false",
        "ctx.d % 0 != ctx.d % 0",  # NaN
        "ctx.d * 1e308 > 1e308",  # overflows to Infinity, no error
        "1e308 / 1e-308 > 1e308",
        "5.5 % 2 == 1.5 && -5.5 % 2 == -1.5",
        "0.1 + 0.2 != 0.3",
    ],
)
def test_double_arithmetic_is_ieee(source):
    assert ev(source, {"d": 1e10}) is True


def test_a_remainder_of_infinity_is_nan_not_an_error():
    assert ev("(1.0 / 0) % 2 != (1.0 / 0) % 2", {}) is True


def test_float_literals_are_32_bit():
    assert ev("0.5f == 0.5 && 0.1f != 0.1", {}) is True
    assert ev("0.1f + 0.2f == 0.3f", {}) is True  # rounded to float at each step, as Java does
    assert ev("16777216f + 1 == 16777216f", {}) is True  # an int added to a float is a float
    assert ev("'' + 0.1f == '0.1' && '' + 1.0E10f == '1.0E10'", {}) is True
    assert ev("0.5f instanceof Float && !(0.5f instanceof Double) && 0.5 instanceof Double", {}) is True
    # a long becomes a float in one rounding, not two through a double
    assert ev("ctx.l * 1f == 18014400656965632f && ctx.l * 1f != 18014398509481984f", {"l": 2**54 + 2**30 + 1})


def test_long_and_double_mix_as_java_converts_long_to_double():
    # 2**53 + 1 is not a double: Java rounds it to 2**53 before comparing or adding
    assert ev("ctx.l == 9007199254740992.0 && ctx.l < 9007199254740993.0 == false", {"l": 2**53 + 1})
    assert ev("ctx.l + 0.0 == 9007199254740992.0", {"l": 2**53 + 1})


# -- how document numbers map to Java types -------------------------------------------------


@pytest.mark.parametrize(
    ("value", "java"),
    [
        (1, "Integer"),
        (INT_MAX, "Integer"),
        (INT_MIN, "Integer"),
        (INT_MAX + 1, "Long"),
        (LONG_MIN, "Long"),
        (LONG_MAX + 1, "BigInteger"),
        (1.0, "Double"),
    ],
)
def test_document_numbers_are_integer_long_biginteger_or_double_by_value(value, java):
    for name in ("Integer", "Long", "BigInteger", "Double"):
        assert ev(f"ctx.v instanceof {name}", {"v": value}) is (name == java)
    assert ev("ctx.v instanceof Number", {"v": value}) is True


def test_integer_and_long_are_equal_by_value_but_not_by_equals():
    assert ev("1 == 1L && ctx.i == 1L && 1L == 1.0", {"i": 1}) is True
    # Integer.equals(Long) is false in Java: List.contains and equals() use it
    assert ev("[1].contains(1L) == false && [1L].contains(1L) && [ctx.big].contains(4294967296L)", {"big": 2**32})
    assert ev("ctx.i.equals(1L) == false && ctx.i.equals(1)", {"i": 1}) is True


def test_arithmetic_on_a_biginteger_uses_its_low_bits_as_painless_does():
    # 2**64 - 1 (the largest integer a document may hold) is a BigInteger in
    # Elasticsearch; Painless's dynamic + reads it with intValue() next to an
    # int and longValue() next to a long: -1 either way
    assert ev("ctx.u + 1 == 0 && ctx.u + 1L == 0L && ctx.u * 1.0 == 18446744073709551615.0", {"u": 2**64 - 1})
    # two BigIntegers compare with equals(); next to a Long, == compares longValue()
    assert ev("ctx.u == ctx.v && ctx.u == -1L && ctx.u != ctx.w", {"u": 2**64 - 1, "v": 2**64 - 1, "w": 2**64 - 2})
    assert runtime_error("-ctx.u == 0", {"u": 2**64 - 1}).error_type == "class_cast_exception"


def test_an_integer_operand_needs_an_int_where_java_takes_an_int():
    assert ev("ctx.tags.get(ctx.i) == 'b'", {"tags": ["a", "b"], "i": 1}) is True
    assert runtime_error("ctx.tags.get(1L) == 'b'", {"tags": ["a", "b"]}).error_type == "class_cast_exception"
    assert runtime_error("ctx.tags[ctx.l] == 'b'", {"tags": ["a", "b"], "l": 2**40}).error_type == "class_cast_exception"


# -- numeric literals ------------------------------------------------------------------------


@pytest.mark.parametrize(
    "source",
    [
        "2147483647 instanceof Integer",
        "-2147483648 instanceof Integer",
        "9223372036854775807L instanceof Long",
        "-9223372036854775808L instanceof Long",
        "1L instanceof Long && 1l instanceof Long",
        "0x7fffffff == 2147483647 && -0x80000000 == -2147483648",
        "0xFFFFFFFFL == 4294967295L && 0x7FFFFFFFFFFFFFFFL == 9223372036854775807L",
        "010 == 8 && 0777L == 511L && 0 == 0",  # a leading 0 is octal, as in Java
        "1d instanceof Double && 1D == 1.0 && 1f instanceof Float && 2.5F == 2.5",
        "1e3 == 1000 && 1.5E-3 == 0.0015 && 1.7976931348623157E308 > 1e308",
        "4.9E-324 > 0 && 3.4028235E38f > 3.4E38",
    ],
)
def test_numeric_literals_in_java_range(source):
    assert ev(source, {}) is True


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        ("ctx.n == 2147483648", "column 10: invalid int constant [2147483648]; write [2147483648L] for a long"),
        ("ctx.n == -2147483649", "column 10: invalid int constant [-2147483649]; write [-2147483649L] for a long"),
        ("ctx.n == 0x80000000", "column 10: invalid int constant [0x80000000]; write [0x80000000L] for a long"),
        ("ctx.n == 99999999999999999999", "column 10: invalid int constant [99999999999999999999]: out of range"),
        ("ctx.n == 9223372036854775808L", "column 10: invalid long constant [9223372036854775808L]: out of range"),
        ("ctx.n == -9223372036854775809L", "column 10: invalid long constant [-9223372036854775809L]: out of range"),
        ("ctx.n == 0x10000000000000000L", "column 10: invalid long constant [0x10000000000000000L]: out of range"),
        ("ctx.n == 1e309", "column 10: invalid double constant [1e309]: too large"),
        ("ctx.n == -1.8e308d", "column 10: invalid double constant [-1.8e308d]: too large"),
        ("ctx.n == 1e-400", "column 10: invalid double constant [1e-400]: too small"),
        ("ctx.n == 3.5e38f", "column 10: invalid float constant [3.5e38f]: too large"),
        ("ctx.n == 1e-50f", "column 10: invalid float constant [1e-50f]: too small"),
        ("ctx.n == " + "9" * 5000, "column 10: invalid int constant [99999999999999999999...99999999]: out of range"),
        ("ctx.n == 1" + "0" * 400 + ".5", "column 10: invalid double constant [10000000000000000000...000000.5]: too large"),
        ("ctx.n == 09", "column 10: invalid number [09]; a number starting with 0 is octal (digits 0-7)"),
        ("ctx.n == 1.5L", "column 10: invalid number [1.5L]"),
        ("ctx.n == 0x1.5", "column 10: invalid number [0x1.5"),
    ],
)
def test_numeric_literals_out_of_java_range_are_refused_at_load(source, expected):
    assert syntax_error(source).startswith(expected)


def test_a_negative_literal_only_folds_when_the_minus_is_directly_before_it():
    # Painless reads -2147483648 as one int constant; 2147483648 alone is out of range
    assert ev("-2147483648 == ctx.i", {"i": INT_MIN}) is True
    assert syntax_error("-(2147483648) == 1").startswith("column 3: invalid int constant [2147483648]")


def test_return_and_semicolon_are_accepted():
    assert ev("return ctx.a == 1;", {"a": 1}) is True


def test_comments_are_ignored():
    assert ev("ctx.a == 1 /* one */ // done", {"a": 1}) is True


def test_the_document_is_not_modified():
    doc = {"a": {"b": [1, 2]}}
    ev("ctx.a.b.contains(1) && ctx.a.b.size() == 2", doc)
    assert doc == {"a": {"b": [1, 2]}}


# -- what the subset refuses, with the column --------------------------------------------


def test_assignment_is_refused_with_a_hint_and_the_column():
    assert syntax_error("ctx.a.level = 'x'") == "column 13: unexpected '='; did you mean '=='?"


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        ("ctx.a == 'x", "column 10: unterminated string"),
        ("ctx.a ==", "column 9: unexpected end of condition"),
        ("log.level == 'x'", "column 1: unknown variable [log]"),
        ("ctx.a =~ /x/", "column 7: unexpected '=~'; regular expressions are not supported"),
        ("ctx.a & ctx.b", "column 7: unexpected '&'; did you mean '&&'?"),
        ("ctx.a === 1", "column 7: unexpected '==='"),
        ("ctx.a.0 == 1", "column 7: unexpected number after '.'; index a list with [0]"),
        ("if (ctx.a) { return true }", "column 1: 'if' statements are not supported"),
        ("(String) ctx.a == 'x'", "column 1: casts such as (String) are not supported"),
        ("ctx.a == 1; ctx.b == 2", "column 13: unexpected 'ctx'; a condition is one expression"),
        ("new HashMap()", "column 1: creating objects with 'new' is not supported"),
        ("ctx.a instanceof Foo", "column 18: unknown type [Foo]"),
        ("", "column 1: the condition is empty"),
    ],
)
def test_unsupported_syntax_is_refused_at_load(source, expected):
    assert syntax_error(source).startswith(expected)


def test_multi_line_conditions_report_line_and_column():
    assert syntax_error("ctx.a == 1 &&\n  ctx.b = 2").startswith("line 2, column 9: unexpected '='")


def test_a_bad_condition_fails_the_pipeline_load_with_file_position_tag_and_column(tmp_path):
    path = tmp_path / "p.yml"
    path.write_text(
        yaml.safe_dump(
            {"processors": [{"set": {"field": "a", "value": 1}}, {"drop": {"tag": "d", "if": "ctx.level = 'debug'"}}]}
        )
    )
    with pytest.raises(PipelineConfigError) as info:
        Pipeline.from_file(path, cache=False)
    assert str(info.value) == f"{path}, processors[1], tag [d]: if: column 11: unexpected '='; did you mean '=='?"


def test_a_script_object_is_accepted_as_a_condition(tmp_path):
    definition = {"processors": [{"drop": {"if": {"source": "ctx.x == 1", "lang": "painless"}}}]}
    with Pipeline.from_definition(definition, cache=False) as pipeline:
        assert pipeline.process({"x": 1}) is None
        assert pipeline.process({"x": 2}) == {"x": 2}
