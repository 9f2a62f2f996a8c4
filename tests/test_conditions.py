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
