"""Elasticsearch's ingest YAML REST tests on pipeline semantics, replayed.

Source: ``modules/ingest-common/src/yamlRestTest/resources/rest-api-spec/test/ingest/``
in ``elastic/elasticsearch`` (read at these commits: ``10_basic.yml`` f06e520,
``50_on_failure.yml`` 122855a, ``60_fail.yml`` 14463726, ``90_simulate.yml``
cee9d55, ``130_escape_dot.yml`` 0b4acd4, ``210_conditional_processor.yml``
03a216b, ``210_pipeline_processor.yml`` 196bde0, ``220_drop_processor.yml``
0c4795a, ``230_change_target_index.yml`` 059b47d, ``270_set_processor.yml``
14463726, ``280_rename.yml`` 23c58f0, ``370_append_ignore_empty_values.yml``
bba8c4e).

Each named test of those files is, exactly once, either

* replayed here by a test carrying ``@replays(file, name)`` (and a comment
  naming both): the pipeline, the input documents and the expected documents
  or errors are written here as ingesthost's own data. An ``index`` then
  ``get`` round trip becomes running the pipeline on the document and
  comparing the resulting document; stored pipelines become pipeline files in
  ``tmp_path`` (a ``pipeline`` processor names files); ``ingest.simulate``
  becomes ``Pipeline.simulate`` or ``ingesthost simulate``. Where ingesthost
  deliberately differs and README.md says so, the test asserts ingesthost's
  behaviour and its comment says "documented difference";
* in :data:`NOT_RUN`, with the reason (cluster state, a feature ingesthost
  lacks, or "differs: ..." for a difference that is not documented);
* in :data:`REPLAYED_ELSEWHERE`, naming the test of another module that
  replays it.

:func:`test_every_named_test_is_accounted_for_once` checks that against
:data:`INVENTORY`, the list of named tests of every file read, and
:data:`TALLY` (the per-file numbers, at the end of this module) against
what the tests register.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml

from ingesthost import Pipeline, PipelineConfigError, SimulateDocument
from ingesthost.cli import main
from test_builtins import failure, run

TIMESTAMP = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{9}Z$")

#: Every named test of every file read, per file, in file order.
INVENTORY: dict[str, list[str]] = {
    "10_basic.yml": ["Ingest common installed"],
    "50_on_failure.yml": [
        "Test Pipeline With On Failure Block",
        "Test Pipeline With Nested Processor On Failures",
        "Test pipeline with empty on_failure in a processor",
        "Test pipeline with empty on_failure in pipeline",
        "Test pipeline with ignore_failure in a processor",
    ],
    "60_fail.yml": ["Test Fail Processor", "Test fail with on_failure"],
    "90_simulate.yml": [
        "Test simulate with stored ingest pipeline",
        "Test simulate with provided pipeline definition",
        "Test simulate with provided invalid pipeline definition",
        "Test simulate without id",
        "Test simulate with provided pipeline definition with on_failure block",
        "Test simulate with no provided pipeline or pipeline_id",
        "Test simulate with invalid processor config",
        "Test simulate with verbose flag",
        "Test simulate with exception thrown",
        "Test verbose simulate with exception thrown",
        "Test verbose simulate with error in pipeline",
        "Test verbose simulate with on_failure",
        "Test verbose simulate with ignore_failure and thrown exception",
        "Test verbose simulate with ignore_failure and no exception thrown",
        "Test verbose simulate with Pipeline Processor with Circular Pipelines",
        "Test verbose simulate with Pipeline Processor with Multiple Pipelines",
        "Test verbose simulate with true conditional and on failure",
        "Test simulate with pipeline with conditional and skipped and dropped",
        "Test simulate with provided pipeline that does not exist",
    ],
    "130_escape_dot.yml": ["Test escape_dot processor", "Test escape_dot processor with override and wildcard"],
    "210_conditional_processor.yml": [
        "Test conditional processor fulfilled condition",
        "Test conditional processor unfulfilled condition",
        "Test conditional processor with dotted field",
    ],
    "210_pipeline_processor.yml": [
        "Test Pipeline Processor with Simple Inner Pipeline",
        "Test Pipeline Processor with Circular Pipelines",
        "Test Pipeline Processor with templating",
        "Test _ingest.pipeline metadata",
        "Test ignore_missing_pipeline parameter",
    ],
    "220_drop_processor.yml": ["Test Drop Processor", "Test Drop Processor On Failure"],
    "230_change_target_index.yml": [
        "Test Change Target Index with Explicit Pipeline",
        "Test Change Target Index with Default Pipeline",
    ],
    "270_set_processor.yml": [
        "Test set processor with template value",
        "Test set processor with index change and require_alias",
        "Test set processor with copy_from",
    ],
    "280_rename.yml": [
        "Test Rename Processor with template snippets and ignore_missing",
        "Test Rename Processor with template snippets",
        "Test Rename Processor with template snippets and override",
    ],
    "370_append_ignore_empty_values.yml": [
        "A missing copy_from value is ignored",
        "A null copy_from value is ignored",
        "An empty string copy_from value is ignored",
        "An empty array copy_from value is ignored",
        "A non-null value is copied",
        "Empty strings and nulls are ignored in an array",
    ],
}

#: (file, test name) -> why it is not replayed: cluster state, a missing feature, or "differs: ...".
NOT_RUN: dict[tuple[str, str], str] = {
    ("210_conditional_processor.yml", "Test conditional processor with dotted field"): (
        "needs Painless's field('conditional.field').get('') API to read a key holding a literal dot: "
        "ingesthost's conditions refuse field(...) at load, and its paths cannot address dotted keys "
        "(README: Conditions; Differences from Elasticsearch)"
    ),
    ("230_change_target_index.yml", "Test Change Target Index with Explicit Pipeline"): (
        "cluster state: the expected document is shaped by the final_pipeline that an index template gives "
        "the new index, and the test checks which indices exist (cat.indices)"
    ),
    ("230_change_target_index.yml", "Test Change Target Index with Default Pipeline"): (
        "cluster state: the pipeline runs as the index's default_pipeline (an index template setting), then "
        "the new index's final_pipeline; the test checks which indices exist (cat.indices)"
    ),
    ("270_set_processor.yml", "Test set processor with index change and require_alias"): (
        "cluster state: require_alias, index aliases and which indices exist"
    ),
    ("280_rename.yml", "Test Rename Processor with template snippets"): (
        "differs: the test expects `field: '{{message}}'` on {message: 'test'} to move `message` to "
        "event.original; ingesthost renders the template to the field's value and fails with "
        "`field [test] doesn't exist`, which is also what Elasticsearch's RenameProcessor source reads "
        "(document.renderTemplate(field), then hasField); unresolved, reported"
    ),
    ("280_rename.yml", "Test Rename Processor with template snippets and override"): (
        "differs: as the test above, with override: the rendered field is `overridden original message`, "
        "which ingesthost reports as `field [overridden original message] doesn't exist`; unresolved, reported"
    ),
}

#: (file, test name) -> the test that replays it in another module.
REPLAYED_ELSEWHERE: dict[tuple[str, str], str] = {
    ("90_simulate.yml", "Test verbose simulate with true conditional and on failure"): (
        "test_simulate.py::test_verbose_conditional_processors_with_nested_on_failure"
    ),
    ("130_escape_dot.yml", "Test escape_dot processor"): (
        "test_common_processors.py::test_yaml_130_escape_dot_test_escape_dot_processor"
    ),
    ("130_escape_dot.yml", "Test escape_dot processor with override and wildcard"): (
        "test_common_processors.py::test_yaml_130_escape_dot_with_override_and_wildcard"
    ),
}

#: (file, test name) -> the test function here that replays it (filled by @replays).
REPLAYED: dict[tuple[str, str], str] = {}
#: The replayed tests whose test asserts a documented difference (filled by @replays).
DOCUMENTED_DIFFERENCE: set[tuple[str, str]] = set()


def replays(file: str, name: str, *, documented_difference: bool = False) -> Callable[[Callable], Callable]:
    """Register the decorated test as the replay of ``file``'s test ``name``."""

    def register(test: Callable) -> Callable:
        key = (file, name)
        assert key not in REPLAYED, f"{key} is replayed twice"
        REPLAYED[key] = test.__name__
        if documented_difference:
            DOCUMENTED_DIFFERENCE.add(key)
        return test

    return register


def write(directory: Path, name: str, definition: dict[str, Any]) -> Path:
    """A stored pipeline, as a pipeline file (its id is the file name without extension)."""
    path = directory / name
    path.write_text(yaml.safe_dump(definition, sort_keys=False))
    return path


def load_file_error(path: Path) -> PipelineConfigError:
    with pytest.raises(PipelineConfigError) as info:
        Pipeline.from_file(path, cache=False)
    return info.value


def definition_error(definition: dict[str, Any]) -> PipelineConfigError:
    with pytest.raises(PipelineConfigError) as info:
        Pipeline.from_definition(definition, cache=False)
    return info.value


def simulate(definition: dict[str, Any], docs: list[Any], *, verbose: bool = False) -> dict[str, Any]:
    with Pipeline.from_definition(definition, cache=False) as pipeline:
        return pipeline.simulate(docs, verbose=verbose)


def doc(source: dict[str, Any], id: str = "id") -> SimulateDocument:
    """A ``docs`` entry of a ``_simulate`` body, ``_index`` ``index``."""
    return SimulateDocument(source, index="index", id=id)


# == 10_basic.yml =============================================================================

#: The processor types 10_basic.yml expects ingest-common to register.
INGEST_COMMON_TYPES = [
    "append", "bytes", "community_id", "convert", "csv", "date", "date_index_name", "dissect",
    "dot_expander", "fail", "fingerprint", "foreach", "grok", "gsub", "html_strip", "join", "json", "kv",
    "lowercase", "network_direction", "remove", "rename", "script", "set", "sort", "split", "trim",
    "uppercase", "uri_parts", "urldecode",
]  # fmt: skip


def _load_problem(kind: str) -> str | None:
    try:
        Pipeline.from_definition({"processors": [{kind: {}}]}, cache=False).close()
    except PipelineConfigError as exc:
        return str(exc)
    return None


@replays("10_basic.yml", "Ingest common installed", documented_difference=True)
def test_10_basic_ingest_common_installed():
    # 10_basic.yml "Ingest common installed": its processor part (nodes.info lists every
    # ingest-common type). Documented difference (README, "Not yet built in"):
    # date_index_name, network_direction and script are unknown types to ingesthost;
    # every other type is known (an empty config fails on its options, if at all).
    problems = {kind: _load_problem(kind) for kind in INGEST_COMMON_TYPES}
    unknown = sorted(k for k, p in problems.items() if p is not None and f"unknown processor type [{k}]" in p)
    assert unknown == ["date_index_name", "network_direction", "script"]


# == 50_on_failure.yml =============================================================================


@replays("50_on_failure.yml", "Test Pipeline With On Failure Block")
def test_50_pipeline_with_on_failure_block(tmp_path):
    # 50_on_failure.yml "Test Pipeline With On Failure Block": `date` fails (no `date` field),
    # the pipeline's handler runs and the pipeline stops (field1 is not upper-cased).
    path = write(
        tmp_path,
        "my_pipeline.yml",
        {
            "description": "_description",
            "processors": [
                {"set": {"field": "_executed", "value": True}},
                {"date": {"field": "date", "target_field": "date", "formats": ["yyyy"]}},
                {"uppercase": {"field": "field1"}},
            ],
            "on_failure": [{"set": {"field": "_failed", "value": True}}],
        },
    )
    with Pipeline.from_file(path, cache=False) as pipeline:
        assert pipeline.process({"field1": "value1"}) == {"field1": "value1", "_executed": True, "_failed": True}


@replays("50_on_failure.yml", "Test Pipeline With Nested Processor On Failures")
def test_50_pipeline_with_nested_processor_on_failures():
    # 50_on_failure.yml "Test Pipeline With Nested Processor On Failures"
    processors = [
        {
            "rename": {
                "field": "foofield",
                "target_field": "field1",
                "on_failure": [
                    {"set": {"field": "foofield", "value": "exists"}},
                    {
                        "rename": {
                            "field": "foofield2",
                            "target_field": "field1",
                            "on_failure": [{"set": {"field": "foofield2", "value": "ran"}}],
                        }
                    },
                ],
            }
        }
    ]
    assert run(processors, {"field1": "value1"}) == {"field1": "value1", "foofield": "exists", "foofield2": "ran"}


@replays("50_on_failure.yml", "Test pipeline with empty on_failure in a processor")
def test_50_pipeline_with_empty_on_failure_in_a_processor():
    # 50_on_failure.yml "Test pipeline with empty on_failure in a processor": refused, with
    # Elasticsearch's reason and the processor's tag (ingesthost names the place,
    # processors[0], where Elasticsearch gives processor_type and property_name).
    err = definition_error(
        {
            "description": "_description",
            "processors": [{"fail": {"tag": "emptyfail", "message": "_message", "on_failure": []}}],
            "on_failure": [{"set": {"field": "on_failure_executed", "value": True}}],
        }
    )
    assert (err.problem, err.tag, err.where) == ("[on_failure] processors list cannot be empty", "emptyfail", "processors[0]")


@replays("50_on_failure.yml", "Test pipeline with empty on_failure in pipeline")
def test_50_pipeline_with_empty_on_failure_in_pipeline(tmp_path):
    # 50_on_failure.yml "Test pipeline with empty on_failure in pipeline"
    path = write(
        tmp_path,
        "my_pipeline.yml",
        {"description": "_description", "processors": [{"set": {"field": "foo", "value": "_message"}}], "on_failure": []},
    )
    err = load_file_error(path)
    assert err.problem == "pipeline [my_pipeline] cannot have an empty on_failure option defined"


@replays("50_on_failure.yml", "Test pipeline with ignore_failure in a processor")
def test_50_pipeline_with_ignore_failure_in_a_processor():
    # 50_on_failure.yml "Test pipeline with ignore_failure in a processor"
    processors = [
        {"fail": {"message": "_message", "ignore_failure": True}},
        {"set": {"field": "field", "value": "value"}},
    ]
    assert run(processors, {}) == {"field": "value"}


# == 60_fail.yml ==================================================================================


@replays("60_fail.yml", "Test Fail Processor")
def test_60_fail_processor():
    # 60_fail.yml "Test Fail Processor": the index request fails.
    err = failure([{"fail": {"message": "error_message"}}], {})
    assert (err.processor_type, err.kind, err.reason) == ("fail", "fail", "error_message")


@replays("60_fail.yml", "Test fail with on_failure")
def test_60_fail_with_on_failure():
    # 60_fail.yml "Test fail with on_failure"
    processors = [
        {"fail": {"message": "error", "on_failure": [{"set": {"field": "error_message", "value": "fail_processor_ran"}}]}}
    ]
    assert run(processors, {}) == {"error_message": "fail_processor_ran"}


# == 210_conditional_processor.yml ======================================================================


def _bytes_if(condition: str) -> list[dict[str, Any]]:
    return [{"bytes": {"if": condition, "field": "bytes_source_field", "target_field": "bytes_target_field"}}]


@replays("210_conditional_processor.yml", "Test conditional processor fulfilled condition")
def test_210_conditional_processor_fulfilled_condition():
    # 210_conditional_processor.yml "Test conditional processor fulfilled condition"
    out = run(_bytes_if("ctx.conditional_field == 'bar'"), {"bytes_source_field": "1kb", "conditional_field": "bar"})
    assert out == {"bytes_source_field": "1kb", "conditional_field": "bar", "bytes_target_field": 1024}


@replays("210_conditional_processor.yml", "Test conditional processor unfulfilled condition")
def test_210_conditional_processor_unfulfilled_condition():
    # 210_conditional_processor.yml "Test conditional processor unfulfilled condition"
    out = run(_bytes_if("ctx.conditional_field == 'foo'"), {"bytes_source_field": "1kb", "conditional_field": "bar"})
    assert out == {"bytes_source_field": "1kb", "conditional_field": "bar"}


# == 210_pipeline_processor.yml ======================================================================


@replays("210_pipeline_processor.yml", "Test Pipeline Processor with Simple Inner Pipeline")
def test_210_pipeline_processor_with_simple_inner_pipeline(tmp_path):
    # 210_pipeline_processor.yml "Test Pipeline Processor with Simple Inner Pipeline"
    write(
        tmp_path,
        "inner.yml",
        {
            "description": "inner pipeline",
            "processors": [{"set": {"field": "foo", "value": "bar"}}, {"set": {"field": "baz", "value": "blub"}}],
        },
    )
    outer = write(tmp_path, "outer.yml", {"description": "outer pipeline", "processors": [{"pipeline": {"name": "inner"}}]})
    with Pipeline.from_file(outer, cache=False) as pipeline:
        assert pipeline.process({}) == {"foo": "bar", "baz": "blub"}


@replays("210_pipeline_processor.yml", "Test Pipeline Processor with Circular Pipelines", documented_difference=True)
def test_210_pipeline_processor_with_circular_pipelines(tmp_path):
    # 210_pipeline_processor.yml "Test Pipeline Processor with Circular Pipelines": Elasticsearch
    # fails the document with "Cycle detected for pipeline: outer". Documented difference (README,
    # pipeline processors name files): the cycle is refused when the pipeline loads.
    outer = write(tmp_path, "outer.yml", {"description": "outer pipeline", "processors": [{"pipeline": {"name": "inner"}}]})
    write(tmp_path, "inner.yml", {"description": "inner pipeline", "processors": [{"pipeline": {"name": "outer"}}]})
    err = load_file_error(outer)
    assert "Cycle detected for pipeline: outer" in str(err)


@replays("210_pipeline_processor.yml", "Test Pipeline Processor with templating", documented_difference=True)
def test_210_pipeline_processor_with_templating(tmp_path):
    # 210_pipeline_processor.yml "Test Pipeline Processor with templating": Elasticsearch picks the
    # pipeline by "{{org}}-department" per document. Documented difference (README: `name` cannot
    # be a template): the pipeline is refused at load, whichever department files exist.
    write(tmp_path, "engineering-department.yml", {"processors": [{"set": {"field": "manager", "value": "john"}}]})
    write(tmp_path, "sales-department.yml", {"processors": [{"set": {"field": "manager", "value": "jan"}}]})
    outer = write(tmp_path, "outer.yml", {"processors": [{"pipeline": {"name": "{{org}}-department"}}]})
    err = load_file_error(outer)
    assert (err.where, err.problem) == ("processors[0]", "[name] must be a file name; templates are not supported here")


@replays("210_pipeline_processor.yml", "Test _ingest.pipeline metadata", documented_difference=True)
def test_210_pipeline_processor_ingest_pipeline_metadata(tmp_path):
    # 210_pipeline_processor.yml "Test _ingest.pipeline metadata": Elasticsearch appends
    # ["pipeline1", "another_pipeline", "another_pipeline2"]. Documented difference (README:
    # `_ingest.pipeline` is not readable by processors): each template renders empty, so the
    # three appends (one per pipeline, in order) add three empty strings.
    def appending(then: str | None) -> dict[str, Any]:
        processors: list[dict[str, Any]] = [{"append": {"field": "pipelines", "value": "{{_ingest.pipeline}}"}}]
        if then is not None:
            processors.append({"pipeline": {"name": then}})
        return {"processors": processors}

    first = write(tmp_path, "pipeline1.yml", appending("another_pipeline"))
    write(tmp_path, "another_pipeline.yml", appending("another_pipeline2"))
    write(tmp_path, "another_pipeline2.yml", appending(None))
    with Pipeline.from_file(first, cache=False) as pipeline:
        assert pipeline.process({}) == {"pipelines": ["", "", ""]}


@replays("210_pipeline_processor.yml", "Test ignore_missing_pipeline parameter", documented_difference=True)
def test_210_pipeline_processor_ignore_missing_pipeline_parameter(tmp_path):
    # 210_pipeline_processor.yml "Test ignore_missing_pipeline parameter". With
    # ignore_missing_pipeline false, Elasticsearch fails the document (index and simulate alike)
    # with "Pipeline processor configured for non-existent pipeline [non_existing_pipeline]";
    # documented difference (README: a missing file is an error before any document runs):
    # ingesthost refuses the pipeline with that reason at load.
    strict = write(
        tmp_path, "my-pipeline.yml", {"processors": [{"pipeline": {"name": "non_existing_pipeline", "ignore_missing_pipeline": False}}]}
    )
    err = load_file_error(strict)
    assert err.problem.startswith("Pipeline processor configured for non-existent pipeline [non_existing_pipeline]")
    # With ignore_missing_pipeline true the document is indexed unchanged, and simulate shows
    # it with the metadata it was given.
    lenient = write(
        tmp_path, "my-pipeline.yml", {"processors": [{"pipeline": {"name": "non_existing_pipeline", "ignore_missing_pipeline": True}}]}
    )
    with Pipeline.from_file(lenient, cache=False) as pipeline:
        assert pipeline.process({}) == {}
        (entry,) = pipeline.simulate([doc({"foo": "bar"})])["docs"]
    assert (entry["doc"]["_index"], entry["doc"]["_id"], entry["doc"]["_source"]) == ("index", "id", {"foo": "bar"})


# == 220_drop_processor.yml ======================================================================


@replays("220_drop_processor.yml", "Test Drop Processor")
def test_220_drop_processor():
    # 220_drop_processor.yml "Test Drop Processor": document 1 is not indexed, document 2 is.
    with Pipeline.from_definition(
        {"description": "pipeline with drop", "processors": [{"drop": {"if": "ctx.foo == 'bar'"}}]}, cache=False
    ) as pipeline:
        assert pipeline.process({"foo": "bar"}) is None
        assert pipeline.process({"foo": "blub"}) == {"foo": "blub"}


@replays("220_drop_processor.yml", "Test Drop Processor On Failure")
def test_220_drop_processor_on_failure():
    # 220_drop_processor.yml "Test Drop Processor On Failure": a handler that drops drops the document.
    assert run([{"fail": {"message": "failed", "on_failure": [{"drop": {}}]}}], {"foo": "bar"}) is None


# == 270_set_processor.yml ======================================================================


@replays("270_set_processor.yml", "Test set processor with template value")
def test_270_set_processor_with_template_value():
    # 270_set_processor.yml "Test set processor with template value": `{{bar}}` renders empty
    # (bar missing, then bar ""), so foo keeps its value.
    processors = [{"set": {"field": "foo", "value": "{{bar}}", "ignore_empty_value": True}}]
    assert run(processors, {"foo": "hello"}) == {"foo": "hello"}
    assert run(processors, {"foo": "hello", "bar": ""}) == {"foo": "hello", "bar": ""}


@replays("270_set_processor.yml", "Test set processor with copy_from")
def test_270_set_processor_with_copy_from():
    # 270_set_processor.yml "Test set processor with copy_from"
    processors = [
        {"set": {"field": "copied_foo_object", "copy_from": "foo_object"}},
        {"set": {"field": "copied_foo_array", "copy_from": "foo_array"}},
        {"set": {"field": "copied_foo_string", "copy_from": "foo_string"}},
        {"set": {"field": "copied_foo_number", "copy_from": "foo_number"}},
        {"set": {"field": "copied_foo_boolean", "copy_from": "foo_boolean"}},
        {"set": {"field": "foo_nochange", "copy_from": "foo_none", "ignore_empty_value": True}},
    ]
    source = {
        "foo_object": {"hello": "world"},
        "foo_array": [1, 2, 3],
        "foo_string": "bla bla",
        "foo_number": 3,
        "foo_boolean": True,
        "foo_nochange": "no change",
    }
    assert run(processors, source) == {
        **source,
        "copied_foo_object": {"hello": "world"},
        "copied_foo_array": [1, 2, 3],
        "copied_foo_string": "bla bla",
        "copied_foo_number": 3,
        "copied_foo_boolean": True,
    }


# == 280_rename.yml ==================================================================================


@replays("280_rename.yml", "Test Rename Processor with template snippets and ignore_missing")
def test_280_rename_with_template_snippets_and_ignore_missing():
    # 280_rename.yml "Test Rename Processor with template snippets and ignore_missing":
    # `{{foo}}` renders empty (no foo): with ignore_missing nothing happens.
    processors = [{"rename": {"field": "{{foo}}", "target_field": "bar", "ignore_missing": True}}]
    assert run(processors, {"message": "test"}) == {"message": "test"}


# == 370_append_ignore_empty_values.yml ===================================================================

#: The pipeline of 370_append_ignore_empty_values.yml's setup.
APPEND_IGNORING_EMPTY = [
    {"append": {"field": "dest", "copy_from": "src", "ignore_empty_values": True}},
    {"remove": {"field": "src", "ignore_missing": True}},
]


@replays("370_append_ignore_empty_values.yml", "A missing copy_from value is ignored")
def test_370_a_missing_copy_from_value_is_ignored():
    # 370_append_ignore_empty_values.yml "A missing copy_from value is ignored"
    assert run(APPEND_IGNORING_EMPTY, {"dest": [1]}) == {"dest": [1]}


@replays("370_append_ignore_empty_values.yml", "A null copy_from value is ignored")
def test_370_a_null_copy_from_value_is_ignored():
    # 370_append_ignore_empty_values.yml "A null copy_from value is ignored"
    assert run(APPEND_IGNORING_EMPTY, {"src": None, "dest": [1]}) == {"dest": [1]}


@replays("370_append_ignore_empty_values.yml", "An empty string copy_from value is ignored")
def test_370_an_empty_string_copy_from_value_is_ignored():
    # 370_append_ignore_empty_values.yml "An empty string copy_from value is ignored"
    assert run(APPEND_IGNORING_EMPTY, {"src": "", "dest": [1]}) == {"dest": [1]}


@replays("370_append_ignore_empty_values.yml", "An empty array copy_from value is ignored")
def test_370_an_empty_array_copy_from_value_is_ignored():
    # 370_append_ignore_empty_values.yml "An empty array copy_from value is ignored"
    assert run(APPEND_IGNORING_EMPTY, {"src": [], "dest": [1]}) == {"dest": [1]}


@replays("370_append_ignore_empty_values.yml", "A non-null value is copied")
def test_370_a_non_null_value_is_copied():
    # 370_append_ignore_empty_values.yml "A non-null value is copied"
    assert run(APPEND_IGNORING_EMPTY, {"src": 2, "dest": [1]}) == {"dest": [1, 2]}


@replays("370_append_ignore_empty_values.yml", "Empty strings and nulls are ignored in an array")
def test_370_empty_strings_and_nulls_are_ignored_in_an_array():
    # 370_append_ignore_empty_values.yml "Empty strings and nulls are ignored in an array"
    assert run(APPEND_IGNORING_EMPTY, {"src": ["", 2, None, 3], "dest": [1]}) == {"dest": [1, 2, 3]}


# == 90_simulate.yml ==================================================================================

SET_FIELD2 = {"description": "_description", "processors": [{"set": {"field": "field2", "value": "_value"}}]}


def _only_timestamp(ingest: dict[str, Any]) -> None:
    """``length: {..._ingest: 1}`` and ``is_true: ..._ingest.timestamp``."""
    assert list(ingest) == ["timestamp"] and TIMESTAMP.match(ingest["timestamp"])


def _timestamp_and_pipeline(ingest: dict[str, Any], pipeline: str) -> None:
    """``length: {..._ingest: 2}``, ``is_true`` on its timestamp and pipeline."""
    assert set(ingest) == {"timestamp", "pipeline"}
    assert TIMESTAMP.match(ingest["timestamp"]) and ingest["pipeline"] == pipeline


@replays("90_simulate.yml", "Test simulate with stored ingest pipeline")
def test_90_simulate_with_stored_ingest_pipeline(tmp_path, capsysbinary):
    # 90_simulate.yml "Test simulate with stored ingest pipeline": the stored pipeline is a
    # file, the request body a file given to `ingesthost simulate`.
    pipeline = write(tmp_path, "my_pipeline.yml", SET_FIELD2)
    body = {"docs": [{"_index": "index", "_id": "id", "_source": {"foo": "bar"}}]}
    (tmp_path / "request.json").write_text(json.dumps(body))
    code = main(["simulate", "--no-cache", "--pipeline", str(pipeline), str(tmp_path / "request.json")])
    out = json.loads(capsysbinary.readouterr().out)
    assert code == 0
    (entry,) = out["docs"]
    assert entry["doc"]["_source"] == {"foo": "bar", "field2": "_value"}
    _only_timestamp(entry["doc"]["_ingest"])


@replays("90_simulate.yml", "Test simulate with provided pipeline definition")
def test_90_simulate_with_provided_pipeline_definition():
    # 90_simulate.yml "Test simulate with provided pipeline definition": the pipeline given with
    # the request is Pipeline.from_definition.
    docs = simulate(SET_FIELD2, [doc({"foo": "bar"})])["docs"]
    assert len(docs) == 1 and docs[0]["doc"]["_source"] == {"foo": "bar", "field2": "_value"}


@replays("90_simulate.yml", "Test simulate with provided invalid pipeline definition")
def test_90_simulate_with_provided_invalid_pipeline_definition():
    # 90_simulate.yml "Test simulate with provided invalid pipeline definition": refused, with
    # Elasticsearch's reason and the tag (ingesthost names the place, processors[0], where
    # Elasticsearch gives processor_type and property_name).
    err = definition_error({"description": "_description", "processors": [{"set": {"tag": "fails", "value": "_value"}}]})
    assert (err.problem, err.tag, err.where) == ("[field] required property is missing", "fails", "processors[0]")


@replays("90_simulate.yml", "Test simulate without id")
def test_90_simulate_without_id():
    # 90_simulate.yml "Test simulate without id": a document given by its _source alone.
    docs = simulate(SET_FIELD2, [{"foo": "bar"}])["docs"]
    assert len(docs) == 1 and docs[0]["doc"]["_source"] == {"foo": "bar", "field2": "_value"}


@replays("90_simulate.yml", "Test simulate with provided pipeline definition with on_failure block")
def test_90_simulate_with_on_failure_block():
    # 90_simulate.yml "Test simulate with provided pipeline definition with on_failure block"
    definition = {
        "description": "_description",
        "processors": [
            {
                "rename": {
                    "field": "does_not_exist",
                    "target_field": "field2",
                    "on_failure": [{"set": {"field": "field2", "value": "_value"}}],
                }
            }
        ],
    }
    (entry,) = simulate(definition, [doc({"foo": "bar"})])["docs"]
    assert entry["doc"]["_source"] == {"foo": "bar", "field2": "_value"}
    _only_timestamp(entry["doc"]["_ingest"])


@replays("90_simulate.yml", "Test simulate with no provided pipeline or pipeline_id")
def test_90_simulate_with_no_provided_pipeline(tmp_path, capsys):
    # 90_simulate.yml "Test simulate with no provided pipeline or pipeline_id": Elasticsearch's
    # bad request "[pipeline] required property is missing" is `ingesthost simulate` without
    # --pipeline: refused (exit status 2), naming the missing option.
    (tmp_path / "request.json").write_text(json.dumps({"docs": [{"_index": "index", "_id": "id", "_source": {"foo": "bar"}}]}))
    with pytest.raises(SystemExit) as info:
        main(["simulate", str(tmp_path / "request.json")])
    captured = capsys.readouterr()
    assert info.value.code == 2
    assert "the following arguments are required: --pipeline" in captured.err
    assert captured.out == ""


@replays("90_simulate.yml", "Test simulate with invalid processor config")
def test_90_simulate_with_invalid_processor_config():
    # 90_simulate.yml "Test simulate with invalid processor config": no tag in the error.
    err = definition_error({"description": "_description", "processors": [{"set": {"field": "field2"}}]})
    assert (err.problem, err.tag, err.where) == ("[value] required property is missing", None, "processors[0]")


@replays("90_simulate.yml", "Test simulate with verbose flag")
def test_90_simulate_with_verbose_flag():
    # 90_simulate.yml "Test simulate with verbose flag": one result per processor, each with the
    # document as that processor left it; the last one's `set` on `_index` changes the metadata,
    # not the source.
    definition = {
        "description": "_description",
        "processors": [
            {"set": {"tag": "processor[set]-0", "field": "field2.value", "value": "_value"}},
            {"set": {"field": "field3", "value": "third_val"}},
            {"uppercase": {"field": "field2.value"}},
            {"lowercase": {"field": "foo.bar.0.item"}},
            {"set": {"field": "_index", "value": "index-2"}},
        ],
    }
    given = SimulateDocument({"foo": {"bar": [{"item": "HELLO"}]}}, index="index-1", id="id")
    (entry,) = simulate(definition, [given], verbose=True)["docs"]
    results = entry["processor_results"]
    assert len(results) == 5
    assert results[0]["tag"] == "processor[set]-0"
    assert (results[0]["doc"]["_index"], results[0]["doc"]["_id"]) == ("index-1", "id")
    assert results[0]["doc"]["_source"] == {"foo": {"bar": [{"item": "HELLO"}]}, "field2": {"value": "_value"}}
    assert results[1]["doc"]["_source"] == {
        "foo": {"bar": [{"item": "HELLO"}]}, "field2": {"value": "_value"}, "field3": "third_val"
    }
    assert results[2]["doc"]["_source"]["field2"] == {"value": "_VALUE"}
    assert results[3]["doc"]["_source"] == {
        "foo": {"bar": [{"item": "hello"}]}, "field2": {"value": "_VALUE"}, "field3": "third_val"
    }
    assert len(results[4]["doc"]["_source"]) == 3 and "_index" not in results[4]["doc"]["_source"]
    assert (results[4]["doc"]["_index"], results[4]["doc"]["_id"]) == ("index-2", "id")
    for result in results:
        ingest = result["doc"]["_ingest"]
        assert set(ingest) == {"timestamp", "pipeline"} and ingest["timestamp"] and ingest["pipeline"]


def test_simulate_refuses_metadata_inside_a_source():
    # ingesthost (Elasticsearch: "Field [_index] is a metadata field and cannot be added inside a
    # document"): a source holding `_id` is refused rather than silently losing the field
    from ingesthost import InputError

    with pytest.raises(InputError, match=r"field \[_id\] is a metadata field"):
        simulate({"processors": []}, [SimulateDocument({"_id": "x", "a": 1})])


@replays("90_simulate.yml", "Test simulate with exception thrown")
def test_90_simulate_with_exception_thrown():
    # 90_simulate.yml "Test simulate with exception thrown": the first document fails, the second is processed.
    definition = {"description": "_description", "processors": [{"uppercase": {"field": "foo"}}]}
    first, second = simulate(definition, [doc({"not_foo": "bar"}), doc({"foo": "bar"}, id="id2")])["docs"]
    assert first["error"]["type"] == "illegal_argument_exception"
    assert second["doc"]["_source"] == {"foo": "BAR"}
    _only_timestamp(second["doc"]["_ingest"])


@replays("90_simulate.yml", "Test verbose simulate with exception thrown")
def test_90_verbose_simulate_with_exception_thrown():
    # 90_simulate.yml "Test verbose simulate with exception thrown"
    definition = {
        "description": "_description",
        "processors": [{"convert": {"field": "foo", "type": "integer"}}, {"uppercase": {"field": "bar"}}],
    }
    docs = [doc({"foo": "bar", "bar": "hello"}), doc({"foo": "5", "bar": "hello"}, id="id2")]
    first, second = (entry["processor_results"] for entry in simulate(definition, docs, verbose=True)["docs"])
    assert len(first) == 1 and first[0]["error"]["type"] == "illegal_argument_exception"
    assert len(second) == 2
    assert second[0]["doc"]["_index"] == "index"
    assert second[0]["doc"]["_source"] == {"foo": 5, "bar": "hello"}
    _timestamp_and_pipeline(second[0]["doc"]["_ingest"], "_pipeline")
    assert second[1]["doc"]["_source"] == {"foo": 5, "bar": "HELLO"}
    _timestamp_and_pipeline(second[1]["doc"]["_ingest"], "_pipeline")


@replays("90_simulate.yml", "Test verbose simulate with error in pipeline")
def test_90_verbose_simulate_with_error_in_pipeline(tmp_path):
    # 90_simulate.yml "Test verbose simulate with error in pipeline": the stored my_pipeline
    # is a file next to the simulated one.
    write(
        tmp_path,
        "my_pipeline.yml",
        {"description": "_description", "processors": [{"rename": {"field": "does_not_exist", "target_field": "_value"}}]},
    )
    main_path = write(tmp_path, "main.yml", {"description": "_description", "processors": [{"pipeline": {"name": "my_pipeline"}}]})
    with Pipeline.from_file(main_path, cache=False) as pipeline:
        (entry,) = pipeline.simulate([doc({"foo": "bar", "bar": "hello"})], verbose=True)["docs"]
    calling, failing = entry["processor_results"]
    assert (calling["processor_type"], calling["status"]) == ("pipeline", "success")
    assert (failing["processor_type"], failing["status"]) == ("rename", "error")
    reason = "field [does_not_exist] doesn't exist"
    assert failing["error"]["root_cause"][0] == {"type": "illegal_argument_exception", "reason": reason}
    assert (failing["error"]["type"], failing["error"]["reason"]) == ("illegal_argument_exception", reason)


def _rename_with_nested_handlers(**options: Any) -> dict[str, Any]:
    """The pipeline of 90_simulate.yml's on_failure/ignore_failure tests."""
    return {
        "description": "_description",
        "processors": [
            {"set": {"tag": "setstatus-1", "field": "status", "value": 200}},
            {
                "rename": {
                    "tag": "rename-1",
                    "field": "foofield",
                    "target_field": "field1",
                    **options,
                    "on_failure": [
                        {"set": {"tag": "set on_failure rename", "field": "foofield", "value": "exists"}},
                        {
                            "rename": {
                                "field": "foofield2",
                                "target_field": "field1",
                                "on_failure": [{"set": {"field": "foofield2", "value": "ran"}}],
                            }
                        },
                    ],
                }
            },
        ],
    }


@replays("90_simulate.yml", "Test verbose simulate with on_failure")
def test_90_verbose_simulate_with_on_failure():
    # 90_simulate.yml "Test verbose simulate with on_failure"
    (entry,) = simulate(_rename_with_nested_handlers(), [doc({"field1": "123.42 400 <foo>"})], verbose=True)["docs"]
    results = entry["processor_results"]
    assert len(results) == 5
    assert results[0]["tag"] == "setstatus-1"
    assert results[0]["doc"]["_source"] == {"field1": "123.42 400 <foo>", "status": 200}
    assert results[1]["tag"] == "rename-1"
    assert (results[1]["error"]["type"], results[1]["error"]["reason"]) == (
        "illegal_argument_exception",
        "field [foofield] doesn't exist",
    )
    assert results[2]["tag"] == "set on_failure rename"
    assert "tag" not in results[3] and "tag" not in results[4]
    assert results[4]["doc"]["_source"] == {
        "field1": "123.42 400 <foo>",
        "status": 200,
        "foofield": "exists",
        "foofield2": "ran",
    }


@replays("90_simulate.yml", "Test verbose simulate with ignore_failure and thrown exception")
def test_90_verbose_simulate_with_ignore_failure_and_thrown_exception():
    # 90_simulate.yml "Test verbose simulate with ignore_failure and thrown exception": the
    # handlers never run (ignore_failure is checked first).
    definition = _rename_with_nested_handlers(ignore_failure=True)
    (entry,) = simulate(definition, [doc({"field1": "123.42 400 <foo>"})], verbose=True)["docs"]
    first, second = entry["processor_results"]
    assert (first["tag"], first["status"], first["processor_type"]) == ("setstatus-1", "success", "set")
    assert first["doc"]["_source"] == {"field1": "123.42 400 <foo>", "status": 200}
    assert (second["tag"], second["status"], second["processor_type"]) == ("rename-1", "error_ignored", "rename")
    assert (second["ignored_error"]["error"]["type"], second["ignored_error"]["error"]["reason"]) == (
        "illegal_argument_exception",
        "field [foofield] doesn't exist",
    )
    assert second["doc"]["_source"] == {"field1": "123.42 400 <foo>", "status": 200}


@replays("90_simulate.yml", "Test verbose simulate with ignore_failure and no exception thrown")
def test_90_verbose_simulate_with_ignore_failure_and_no_exception_thrown():
    # 90_simulate.yml "Test verbose simulate with ignore_failure and no exception thrown"
    definition = {
        "description": "_description",
        "processors": [
            {"set": {"tag": "setstatus-1", "field": "status", "value": 200}},
            {"rename": {"tag": "rename-1", "field": "status", "target_field": "new_status", "ignore_failure": True}},
        ],
    }
    (entry,) = simulate(definition, [doc({"field1": "123.42 400 <foo>"})], verbose=True)["docs"]
    first, second = entry["processor_results"]
    assert len(first) == 4 and len(second) == 4
    assert (first["tag"], first["status"], first["processor_type"]) == ("setstatus-1", "success", "set")
    assert first["doc"]["_source"] == {"field1": "123.42 400 <foo>", "status": 200}
    assert (second["tag"], second["status"], second["processor_type"]) == ("rename-1", "success", "rename")
    assert second["doc"]["_source"]["new_status"] == 200


@replays(
    "90_simulate.yml", "Test verbose simulate with Pipeline Processor with Circular Pipelines", documented_difference=True
)
def test_90_verbose_simulate_with_circular_pipelines(tmp_path):
    # 90_simulate.yml "Test verbose simulate with Pipeline Processor with Circular Pipelines":
    # Elasticsearch answers one error entry, "Cycle detected for pipeline: outer". Documented
    # difference (README, pipeline processors name files): refused when the pipeline loads.
    write(tmp_path, "outer.yml", {"description": "outer pipeline", "processors": [{"pipeline": {"name": "inner"}}]})
    write(tmp_path, "inner.yml", {"description": "inner pipeline", "processors": [{"pipeline": {"name": "outer"}}]})
    simulated = write(tmp_path, "simulated.yml", {"processors": [{"pipeline": {"name": "outer"}}]})
    err = load_file_error(simulated)
    assert "Cycle detected for pipeline: outer" in str(err)


@replays("90_simulate.yml", "Test verbose simulate with Pipeline Processor with Multiple Pipelines")
def test_90_verbose_simulate_with_multiple_pipelines(tmp_path):
    # 90_simulate.yml "Test verbose simulate with Pipeline Processor with Multiple Pipelines"
    write(
        tmp_path,
        "pipeline1.yml",
        {"processors": [{"set": {"field": "pipeline1", "value": True}}, {"pipeline": {"name": "pipeline2"}}]},
    )
    write(tmp_path, "pipeline2.yml", {"processors": [{"set": {"field": "pipeline2", "value": True}}]})
    simulated = write(
        tmp_path,
        "simulated.yml",
        {
            "processors": [
                {"set": {"field": "pipeline0", "value": True, "description": "first_set"}},
                {"pipeline": {"name": "pipeline1"}},
            ]
        },
    )
    with Pipeline.from_file(simulated, cache=False) as pipeline:
        (entry,) = pipeline.simulate([doc({"field1": "123.42 400 <foo>"})], verbose=True)["docs"]
    results = entry["processor_results"]
    assert [(r["processor_type"], r["status"]) for r in results] == [
        ("set", "success"),
        ("pipeline", "success"),
        ("set", "success"),
        ("pipeline", "success"),
        ("set", "success"),
    ]
    assert results[0]["description"] == "first_set"
    sources = [r.get("doc", {}).get("_source") for r in results]
    base = {"field1": "123.42 400 <foo>", "pipeline0": True}
    assert sources == [
        base,
        None,  # `doc: null`: a pipeline processor's entry has no document
        {**base, "pipeline1": True},
        None,
        {**base, "pipeline1": True, "pipeline2": True},
    ]


@replays("90_simulate.yml", "Test simulate with pipeline with conditional and skipped and dropped")
def test_90_simulate_with_conditional_skipped_and_dropped():
    # 90_simulate.yml "Test simulate with pipeline with conditional and skipped and dropped"
    definition = {
        "description": "_description",
        "processors": [
            {"set": {"description": "processor_description", "tag": "processor_tag", "field": "field2", "value": "_value"}},
            {"drop": {"if": "false"}},
            {"drop": {"if": "true"}},
        ],
    }
    (entry,) = simulate(definition, [doc({"foo": "bar"})], verbose=True)["docs"]
    setting, skipped, dropped = entry["processor_results"]
    assert setting["doc"]["_source"]["field2"] == "_value"
    assert (setting["description"], setting["tag"], setting["status"], setting["processor_type"]) == (
        "processor_description",
        "processor_tag",
        "success",
        "set",
    )
    assert (skipped["status"], skipped["processor_type"], skipped["if"]) == (
        "skipped",
        "drop",
        {"condition": "false", "result": False},
    )
    assert (dropped["status"], dropped["processor_type"], dropped["if"]) == (
        "dropped",
        "drop",
        {"condition": "true", "result": True},
    )


@replays("90_simulate.yml", "Test simulate with provided pipeline that does not exist", documented_difference=True)
def test_90_simulate_with_provided_pipeline_that_does_not_exist():
    # 90_simulate.yml "Test simulate with provided pipeline that does not exist": Elasticsearch
    # answers an error entry with this reason. Documented difference (README: a missing file is
    # an error before any document runs): refused at load with the same reason.
    err = definition_error(
        {"description": "_description", "processors": [{"pipeline": {"name": "____pipeline_doesnot_exist___"}}]}
    )
    assert err.problem.startswith("Pipeline processor configured for non-existent pipeline [____pipeline_doesnot_exist___]")


# == the accounting ========================================================================================


def test_not_run_reasons_are_given_for_files_read():
    assert NOT_RUN, "the table is data: it lists what is not replayed"
    for (file, name), reason in NOT_RUN.items():
        assert isinstance(reason, str) and reason.strip(), (file, name)
        assert file in INVENTORY, f"{file} is not one of the files read"
        assert name in INVENTORY[file], f"{file} has no test named {name!r}"


def test_tests_replayed_elsewhere_exist():
    import test_common_processors
    import test_simulate

    modules = {"test_common_processors.py": test_common_processors, "test_simulate.py": test_simulate}
    for (file, name), where in REPLAYED_ELSEWHERE.items():
        assert name in INVENTORY[file], (file, name)
        module, function = where.split("::")
        assert callable(getattr(modules[module], function, None)), where


def test_every_named_test_is_accounted_for_once():
    inventory = {(file, name) for file, names in INVENTORY.items() for name in names}
    assert sum(len(names) for names in INVENTORY.values()) == len(inventory)  # no name listed twice
    tables = [set(REPLAYED), set(NOT_RUN), set(REPLAYED_ELSEWHERE)]
    assert not (tables[0] & tables[1]) and not (tables[0] & tables[2]) and not (tables[1] & tables[2])
    assert set.union(*tables) == inventory
    assert all(callable(globals().get(test)) for test in REPLAYED.values())


def _tally() -> dict[str, tuple[int, int, int]]:
    return {
        file: tuple(  # type: ignore[misc]
            sum((file, name) in table for name in names) for table in (REPLAYED, NOT_RUN, REPLAYED_ELSEWHERE)
        )
        for file, names in INVENTORY.items()
    }


def test_tally_is_what_the_tests_register():
    assert _tally() == TALLY
    assert sum(run_here for run_here, _, _ in TALLY.values()) == TOTAL_RUN_HERE
    assert len(DOCUMENTED_DIFFERENCE) == RUN_AS_DOCUMENTED_DIFFERENCE


#: Per file: (replayed here, not run, replayed in another module). Replayed here: 44
#: named tests, all passing; 7 of them assert a documented difference (DOCUMENTED_DIFFERENCE:
#: 10_basic's missing processor types (date_index_name, network_direction, script); 210_pipeline_processor's cycle, templated name,
#: _ingest.pipeline and missing pipeline; 90_simulate's cycle and missing pipeline). Not run: 6
#: (4 need cluster state or Painless's field API, 2 differ). Replayed elsewhere: 3.
TALLY: dict[str, tuple[int, int, int]] = {
    "10_basic.yml": (1, 0, 0),
    "50_on_failure.yml": (5, 0, 0),
    "60_fail.yml": (2, 0, 0),
    "90_simulate.yml": (18, 0, 1),
    "130_escape_dot.yml": (0, 0, 2),
    "210_conditional_processor.yml": (2, 1, 0),
    "210_pipeline_processor.yml": (5, 0, 0),
    "220_drop_processor.yml": (2, 0, 0),
    "230_change_target_index.yml": (0, 2, 0),
    "270_set_processor.yml": (2, 1, 0),
    "280_rename.yml": (1, 2, 0),
    "370_append_ignore_empty_values.yml": (6, 0, 0),
}
TOTAL_RUN_HERE = 44
RUN_AS_DOCUMENTED_DIFFERENCE = 7
