"""Built-in processors: set, remove, rename, drop, fail (pipeline is in test_es_semantics).

Expected documents and messages are Elasticsearch's, from its processor
documentation and source: ``field [x] not present as part of path [x]``,
``field [x] doesn't exist``, ``field [y] already exists``...
"""

from __future__ import annotations

from typing import Any

import pytest

from ingesthost import Pipeline, PipelineConfigError, ProcessorError


def run(processors: list[dict[str, Any]], doc: dict[str, Any]) -> dict[str, Any] | None:
    with Pipeline.from_definition({"processors": processors}, cache=False) as pipeline:
        return pipeline.process(doc)


def failure(processors: list[dict[str, Any]], doc: dict[str, Any]) -> ProcessorError:
    with pytest.raises(ProcessorError) as info:
        run(processors, doc)
    return info.value


def load_error(processors: list[dict[str, Any]]) -> str:
    with pytest.raises(PipelineConfigError) as info:
        Pipeline.from_definition({"processors": processors}, cache=False)
    return str(info.value)


# -- set ------------------------------------------------------------------------------


def test_set_puts_a_value_creating_objects_on_the_way():
    assert run([{"set": {"field": "a.b.c", "value": 1}}], {"x": 0}) == {"x": 0, "a": {"b": {"c": 1}}}


def test_set_replaces_by_default():
    assert run([{"set": {"field": "a", "value": "new"}}], {"a": "old"}) == {"a": "new"}


def test_set_without_override_keeps_an_existing_value():
    assert run([{"set": {"field": "a", "value": "new", "override": False}}], {"a": "old"}) == {"a": "old"}


def test_set_without_override_replaces_null():
    assert run([{"set": {"field": "a", "value": "new", "override": False}}], {"a": None}) == {"a": "new"}


def test_set_value_may_be_any_json():
    value = {"k": [1, {"z": None}], "t": True}
    assert run([{"set": {"field": "v", "value": value}}], {}) == {"v": value}


def test_set_values_are_not_shared_between_documents():
    with Pipeline.from_definition({"processors": [{"set": {"field": "v", "value": {"list": []}}}]}, cache=False) as p:
        first = p.process({})
        first["v"]["list"].append(1)
        assert p.process({}) == {"v": {"list": []}}


def test_set_template_escapes_json_in_double_braces():
    out = run([{"set": {"field": "v", "value": 'said {{msg}}'}}], {"msg": 'a "quote" \\ here'})
    assert out["v"] == 'said a \\"quote\\" \\\\ here'


def test_set_template_is_raw_in_triple_braces():
    out = run([{"set": {"field": "v", "value": "said {{{msg}}}"}}], {"msg": 'a "quote"'})
    assert out["v"] == 'said a "quote"'


def test_set_template_renders_nested_fields_numbers_and_missing_fields():
    out = run([{"set": {"field": "v", "value": "{{{a.b}}}/{{{n}}}/{{{f}}}/[{{{missing}}}]"}}], {"a": {"b": "x"}, "n": 3, "f": 1.5})
    assert out["v"] == "x/3/1.5/[]"


def test_set_field_name_may_be_a_template():
    assert run([{"set": {"field": "by_{{{kind}}}", "value": 1}}], {"kind": "dog"}) == {"kind": "dog", "by_dog": 1}


def test_set_ignore_empty_value_skips_a_template_rendering_empty():
    out = run([{"set": {"field": "v", "value": "{{{missing}}}", "ignore_empty_value": True}}], {})
    assert out == {}


def test_set_ignore_empty_value_still_sets_a_literal_empty_string():
    # as in Elasticsearch: only templated values are checked
    assert run([{"set": {"field": "v", "value": "", "ignore_empty_value": True}}], {}) == {"v": ""}


def test_set_copy_from_copies_deeply():
    with Pipeline.from_definition({"processors": [{"set": {"field": "b", "copy_from": "a"}}]}, cache=False) as p:
        out = p.process({"a": {"list": [1]}})
        out["b"]["list"].append(2)
        assert out["a"] == {"list": [1]}


def test_set_copy_from_a_missing_field_fails():
    err = failure([{"set": {"field": "b", "copy_from": "a.x"}}], {"a": {}})
    assert err.reason == "field [x] not present as part of path [a.x]"
    assert err.processor_type == "set"


def test_set_copy_from_a_missing_field_with_ignore_empty_value_does_nothing():
    assert run([{"set": {"field": "b", "copy_from": "a", "ignore_empty_value": True}}], {"x": 1}) == {"x": 1}


def test_set_through_a_scalar_fails():
    err = failure([{"set": {"field": "a.b", "value": 1}}], {"a": "text"})
    assert err.reason == "cannot set [b] with parent object of type [string] as part of path [a.b]"


def test_set_into_ingest_metadata_stays_out_of_the_document():
    out = run([{"set": {"field": "_ingest.tmp", "value": 1}}, {"set": {"field": "v", "value": "{{{_ingest.tmp}}}"}}], {})
    assert out == {"v": "1"}


def test_set_needs_a_value():
    assert load_error([{"set": {"field": "a"}}]).endswith("processors[0]: [value] required property is missing")


def test_set_refuses_value_and_copy_from_together():
    assert "cannot set both `copy_from` and `value`" in load_error([{"set": {"field": "a", "value": 1, "copy_from": "b"}}])


def test_set_needs_a_field():
    assert load_error([{"set": {"value": 1}}]).endswith("[field] required property is missing")


def test_template_sections_are_refused_at_load():
    assert "only {{field}} and {{{field}}} are supported" in load_error(
        [{"set": {"field": "a", "value": "{{#list}}x{{/list}}"}}]
    )


# -- remove --------------------------------------------------------------------------------


def test_remove_one_field():
    assert run([{"remove": {"field": "a.b"}}], {"a": {"b": 1, "c": 2}}) == {"a": {"c": 2}}


def test_remove_a_list_of_fields():
    assert run([{"remove": {"field": ["a", "b"]}}], {"a": 1, "b": 2, "c": 3}) == {"c": 3}


def test_remove_a_list_element_by_index():
    assert run([{"remove": {"field": "tags.1"}}], {"tags": ["x", "y", "z"]}) == {"tags": ["x", "z"]}


def test_remove_a_missing_field_fails():
    assert failure([{"remove": {"field": "a"}}], {}).reason == "field [a] not present as part of path [a]"


def test_remove_a_field_under_a_missing_parent_fails():
    assert failure([{"remove": {"field": "a.b"}}], {}).reason == "field [a] not present as part of path [a.b]"


def test_remove_past_the_end_of_a_list_fails():
    err = failure([{"remove": {"field": "tags.5"}}], {"tags": [1, 2]})
    assert err.reason == "[5] is out of bounds for array with length [2] as part of path [tags.5]"


def test_remove_with_ignore_missing_skips_missing_fields():
    assert run([{"remove": {"field": ["a", "b"], "ignore_missing": True}}], {"b": 1}) == {}


def test_remove_keeps_what_it_removed_before_failing():
    # Elasticsearch removes the fields in order and does not roll back
    with Pipeline.from_definition(
        {"processors": [{"remove": {"field": ["a", "missing"], "ignore_failure": True}}]}, cache=False
    ) as p:
        assert p.process({"a": 1, "b": 2}) == {"b": 2}


# -- rename --------------------------------------------------------------------------------


def test_rename_moves_a_field():
    assert run([{"rename": {"field": "a.b", "target_field": "c.d"}}], {"a": {"b": 1}}) == {"a": {}, "c": {"d": 1}}


def test_rename_a_missing_field_fails():
    assert failure([{"rename": {"field": "a", "target_field": "b"}}], {}).reason == "field [a] doesn't exist"


def test_rename_with_ignore_missing_does_nothing_for_a_missing_field():
    assert run([{"rename": {"field": "a", "target_field": "b", "ignore_missing": True}}], {"x": 1}) == {"x": 1}


def test_rename_onto_an_existing_field_fails():
    err = failure([{"rename": {"field": "a", "target_field": "b"}}], {"a": 1, "b": 2})
    assert err.reason == "field [b] already exists"


def test_rename_with_override_replaces_the_target():
    assert run([{"rename": {"field": "a", "target_field": "b", "override": True}}], {"a": 1, "b": 2}) == {"b": 1}


def test_rename_puts_the_value_back_when_the_target_cannot_be_set():
    definition = {"processors": [{"rename": {"field": "a", "target_field": "s.x", "ignore_failure": True}}]}
    with Pipeline.from_definition(definition, cache=False) as p:
        assert p.process({"a": 1, "s": "text"}) == {"a": 1, "s": "text"}


def test_rename_of_a_null_field_moves_the_null():
    assert run([{"rename": {"field": "a", "target_field": "b"}}], {"a": None}) == {"b": None}


# -- drop and fail ----------------------------------------------------------------------------


def test_drop_drops_and_stops():
    definition = [{"drop": {}}, {"fail": {"message": "never reached"}}]
    assert run(definition, {"a": 1}) is None


def test_fail_fails_with_its_message():
    err = failure([{"fail": {"tag": "f", "message": "bad {{{code}}}"}}], {"code": 7})
    assert (err.reason, err.processor_type, err.tag, err.kind) == ("bad 7", "fail", "f", "fail")


def test_fail_needs_a_message():
    assert load_error([{"fail": {}}]).endswith("[message] required property is missing")


# -- options -----------------------------------------------------------------------------------


def test_unknown_options_are_refused():
    message = load_error([{"rename": {"field": "a", "target_field": "b", "colour": "red"}}])
    assert "unknown option(s) colour for processor [rename]" in message


def test_wrong_option_types_are_refused():
    assert "[ignore_missing] property isn't a boolean, but of type [string]" in load_error(
        [{"remove": {"field": "a", "ignore_missing": "yes"}}]
    )


@pytest.mark.parametrize(
    ("value", "problem"),
    [
        ({1: "x"}, "[value] has a key that is not a string: 1"),
        (b"bytes", "[value] holds a bytes, which is not a JSON value"),
        (float("inf"), "[value] holds inf, which JSON cannot represent"),
        ([[[[]]]] , None),
    ],
)
def test_set_value_must_be_json(value, problem):
    if problem is None:
        assert run([{"set": {"field": "v", "value": value}}], {}) == {"v": value}
    else:
        assert load_error([{"set": {"field": "v", "value": value}}]).endswith(problem)


def test_set_value_that_contains_itself_is_refused():
    value: list = []
    value.append(value)  # what a YAML alias (`&v [*v]`) builds
    assert load_error([{"set": {"field": "v", "value": value}}]).endswith("[value] contains itself")


def test_rename_of_a_templated_field_that_renders_empty_is_a_missing_field():
    # Elasticsearch's rename YAML REST tests: a field "{{field_foo}}" whose value is
    # missing renders empty; with ignore_missing the document is left as it is
    # (hasField("") is false), without it the run fails with
    # /field path cannot be null nor empty/ ("Test rename processor with
    # non-existing field and without ignore_missing").
    processor = {"rename": {"field": "{{foo}}", "target_field": "bar", "ignore_missing": True}}
    assert run([processor], {"x": 1}) == {"x": 1}
    strict = {"rename": {"field": "{{foo}}", "target_field": "bar"}}
    assert failure([strict], {"x": 1}).reason == "field path cannot be null nor empty"
    assert run([strict], {"foo": "x", "x": 1}) == {"foo": "x", "bar": 1}
