"""Elasticsearch's pipeline semantics, one test per rule, expected documents by hand.

The rules come from Elasticsearch's documentation ("Handling pipeline
failures", "Conditionally run a processor", the pipeline processor) and,
for the corners, from its ingest package (CompoundProcessor,
ConditionalProcessor, ConfigurationUtils): ``ignore_failure`` is checked
before ``on_failure``; a processor's ``on_failure`` lets the pipeline go on
while the pipeline's stops it; ``_ingest.on_failure_*`` exist only inside
handlers; an error in an ``if`` is outside the processor's own handling.

Guests: ``cli_fail_on_field.wat`` (fails on a ``fail`` field with "document
asked to fail", drops on ``drop``, marks ``seen``) and
``es_failure_reader.wat`` (copies ``_ingest.on_failure_*`` and
``_ingest.timestamp`` into ``handled.*``).
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
import yaml

from helpers import wat_bytes, wat_path
from ingesthost import Pipeline, PipelineConfigError, ProcessorError
from ingesthost.processors import ConditionError

TIMESTAMP = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{9}Z$")


def write_guests(directory: Path) -> None:
    for name in ("cli_fail_on_field", "es_failure_reader"):
        target = directory / f"{name}.wasm"
        if not target.exists():
            target.write_bytes(wat_bytes(wat_path(name)))


def load(tmp_path: Path, definition: dict[str, Any], name: str = "main.yml") -> Pipeline:
    write_guests(tmp_path)
    path = tmp_path / name
    path.write_text(yaml.safe_dump(definition, sort_keys=False))
    return Pipeline.from_file(path, cache=False)


def load_error(tmp_path: Path, definition: dict[str, Any], name: str = "main.yml") -> PipelineConfigError:
    with pytest.raises(PipelineConfigError) as info:
        load(tmp_path, definition, name)
    return info.value


FAILING = {"wasm": {"tag": "guest", "module": "cli_fail_on_field.wasm"}}
READER = {"wasm": {"tag": "reader", "module": "es_failure_reader.wasm"}}


def failing(**options: Any) -> dict[str, Any]:
    """The guest that fails documents carrying a ``fail`` field, with extra options."""
    return {"wasm": {"tag": "guest", "module": "cli_fail_on_field.wasm", **options}}


def set_(field: str, value: Any, **options: Any) -> dict[str, Any]:
    return {"set": {"field": field, "value": value, **options}}


# -- processors run in order; the first failure stops the document ---------------------------


def test_processors_run_in_order(tmp_path):
    with load(tmp_path, {"processors": [set_("a", 1), set_("b", "{{{a}}}")]}) as p:
        assert p.process({}) == {"a": 1, "b": "1"}


def test_the_first_failure_stops_the_document(tmp_path):
    with load(tmp_path, {"processors": [failing(), set_("after", True)]}) as p:
        with pytest.raises(ProcessorError) as info:
            p.process({"fail": 1})
        assert (info.value.tag, info.value.reason) == ("guest", "document asked to fail")
        assert p.process({}) == {"seen": True, "after": True}  # the next document runs normally


# -- ignore_failure and on_failure ----------------------------------------------------------


def test_ignore_failure_goes_on_with_the_next_processor(tmp_path):
    with load(tmp_path, {"processors": [failing(ignore_failure=True), set_("after", True)]}) as p:
        assert p.process({"fail": 1}) == {"fail": 1, "after": True}


def test_ignore_failure_is_checked_before_on_failure(tmp_path):
    definition = {"processors": [failing(ignore_failure=True, on_failure=[set_("handled", True)]), set_("after", True)]}
    with load(tmp_path, definition) as p:
        assert p.process({"fail": 1}) == {"fail": 1, "after": True}  # the handler never ran


def test_processor_on_failure_runs_its_handlers_then_the_pipeline_goes_on(tmp_path):
    definition = {"processors": [failing(on_failure=[set_("handled", True)]), set_("after", True)]}
    with load(tmp_path, definition) as p:
        assert p.process({"fail": 1}) == {"fail": 1, "handled": True, "after": True}


def test_pipeline_on_failure_runs_its_handlers_then_the_pipeline_stops(tmp_path):
    definition = {
        "processors": [set_("before", True), failing(), set_("after", True)],
        "on_failure": [set_("handled", True)],
    }
    with load(tmp_path, definition) as p:
        # written as the handlers left it; processors after the failure did not run
        assert p.process({"fail": 1}) == {"fail": 1, "before": True, "handled": True}


def test_an_empty_processor_on_failure_is_refused_at_load(tmp_path):
    err = load_error(tmp_path, {"processors": [set_("a", 1), failing(on_failure=[])]})
    assert str(err).endswith("main.yml, processors[1], tag [guest]: [on_failure] processors list cannot be empty")


def test_an_empty_pipeline_on_failure_is_refused_at_load(tmp_path):
    # Elasticsearch's message (Pipeline.create; PipelineTests.testCreateWithPipelineEmptyOnFailure):
    # "pipeline [_id] cannot have an empty on_failure option defined"
    err = load_error(tmp_path, {"processors": [set_("a", 1)], "on_failure": []})
    assert str(err).endswith("main.yml: pipeline [main] cannot have an empty on_failure option defined")


def test_a_failing_handler_fails_the_document_with_its_own_error(tmp_path):
    definition = {"processors": [failing(on_failure=[{"fail": {"tag": "h", "message": "handler gave up"}}])]}
    with load(tmp_path, definition) as p:
        with pytest.raises(ProcessorError) as info:
            p.process({"fail": 1})
        assert (info.value.processor_type, info.value.tag, info.value.reason) == ("fail", "h", "handler gave up")


def test_a_handler_that_drops_drops_the_document(tmp_path):
    with load(tmp_path, {"processors": [failing(on_failure=[{"drop": {}}]), set_("after", True)]}) as p:
        assert p.process({"fail": 1}) is None


# -- what handlers can read ----------------------------------------------------------------------


def test_handlers_read_the_failure_through_templates(tmp_path):
    handler = set_(
        "error",
        "{{{_ingest.on_failure_processor_type}}}|{{{_ingest.on_failure_processor_tag}}}|"
        "{{{_ingest.on_failure_pipeline}}}|{{{_ingest.on_failure_message}}}",
    )
    with load(tmp_path, {"processors": [failing(on_failure=[handler])]}) as p:
        assert p.process({"fail": 1})["error"] == "wasm|guest|main|document asked to fail"


def test_guests_read_the_failure_through_get_field(tmp_path):
    with load(tmp_path, {"processors": [set_("x", 1), failing()], "on_failure": [READER]}) as p:
        handled = p.process({"fail": 1})["handled"]
    assert {k: v for k, v in handled.items() if k != "timestamp"} == {
        "message": "document asked to fail",
        "processor_type": "wasm",
        "processor_tag": "guest",
        "pipeline": "main",
    }


def test_an_untagged_processor_reads_as_a_null_tag(tmp_path):
    definition = {"processors": [{"remove": {"field": "missing"}}], "on_failure": [READER]}
    with load(tmp_path, definition) as p:
        handled = p.process({})["handled"]
    assert handled["processor_tag"] is None
    assert handled["message"] == "field [missing] not present as part of path [missing]"


def test_the_failure_fields_are_removed_after_the_handlers(tmp_path):
    definition = {"processors": [failing(on_failure=[set_("was_handled", True)]), READER]}
    with load(tmp_path, definition) as p:
        out = p.process({"fail": 1})
    # only the timestamp is left for the guest after the handlers; nothing reaches the output's _ingest
    assert out["was_handled"] is True
    assert set(out["handled"]) == {"timestamp"}
    assert "_ingest" not in out


def test_the_failure_fields_do_not_exist_outside_handlers(tmp_path):
    with load(tmp_path, {"processors": [READER]}) as p:
        assert set(p.process({})["handled"]) == {"timestamp"}


def test_ingest_timestamp_is_readable_and_fixed_for_the_document(tmp_path):
    definition = {"processors": [READER, set_("again", "{{{_ingest.timestamp}}}")]}
    with load(tmp_path, definition) as p:
        out = p.process({})
    assert TIMESTAMP.match(out["handled"]["timestamp"])
    assert out["again"] == out["handled"]["timestamp"]


def test_a_handler_failure_reaches_the_pipeline_handlers_as_the_handlers_failure(tmp_path):
    definition = {
        "processors": [failing(on_failure=[{"fail": {"tag": "inner", "message": "handler failed"}}])],
        "on_failure": [READER],
    }
    with load(tmp_path, definition) as p:
        handled = p.process({"fail": 1})["handled"]
    assert (handled["processor_type"], handled["processor_tag"], handled["message"]) == (
        "fail",
        "inner",
        "handler failed",
    )


def test_nested_on_failure_sees_the_inner_failure_and_clears_the_fields(tmp_path):
    # Elasticsearch: the inner handlers overwrite the failure fields, and when they
    # finish all four are removed, also for the outer handlers that run after them.
    inner_handler = set_("inner_saw", "{{{_ingest.on_failure_processor_tag}}}")
    definition = {
        "processors": [
            failing(
                on_failure=[
                    set_("outer_saw", "{{{_ingest.on_failure_processor_tag}}}"),
                    {"remove": {"tag": "inner_remove", "field": "missing", "on_failure": [inner_handler]}},
                    set_("outer_after", "[{{{_ingest.on_failure_processor_tag}}}]"),
                ]
            )
        ]
    }
    with load(tmp_path, definition) as p:
        out = p.process({"fail": 1})
    assert out == {"fail": 1, "outer_saw": "guest", "inner_saw": "inner_remove", "outer_after": "[]"}


# -- if ----------------------------------------------------------------------------------------------


def test_a_false_condition_skips_the_processor_and_its_handlers(tmp_path):
    definition = {"processors": [failing(**{"if": "ctx.run == true", "on_failure": [set_("handled", True)]})]}
    with load(tmp_path, definition) as p:
        assert p.process({"fail": 1}) == {"fail": 1}
        assert p.process({"run": True}) == {"run": True, "seen": True}


def test_a_condition_error_is_not_handled_by_the_processors_own_ignore_failure(tmp_path):
    definition = {"processors": [set_("a", 1, **{"if": "ctx.x.y == 1", "ignore_failure": True})]}
    with load(tmp_path, definition) as p:
        with pytest.raises(ConditionError) as info:
            p.process({})
    err = info.value
    assert (err.kind, err.processor_type, err.cause_type) == ("condition", "set", "null_pointer_exception")
    assert err.script == "ctx.x.y == 1"


def test_a_condition_error_goes_to_the_pipeline_handlers_as_type_conditional(tmp_path):
    definition = {
        "processors": [set_("a", 1, tag="t", **{"if": "ctx.x.y == 1", "on_failure": [set_("own", True)]})],
        "on_failure": [READER],
    }
    with load(tmp_path, definition) as p:
        out = p.process({})
    assert "own" not in out
    assert (out["handled"]["processor_type"], out["handled"]["processor_tag"]) == ("conditional", "t")
    assert "[ctx.x] is null" in out["handled"]["message"]


def test_a_failing_processor_with_a_condition_reads_as_conditional_to_pipeline_handlers(tmp_path):
    definition = {"processors": [failing(**{"if": "ctx.fail != null"})], "on_failure": [READER]}
    with load(tmp_path, definition) as p:
        handled = p.process({"fail": 1})["handled"]
    assert (handled["processor_type"], handled["processor_tag"]) == ("conditional", "guest")


def test_a_failing_processor_with_a_condition_reads_as_itself_to_its_own_handlers(tmp_path):
    definition = {"processors": [failing(**{"if": "ctx.fail != null", "on_failure": [READER]})]}
    with load(tmp_path, definition) as p:
        assert p.process({"fail": 1})["handled"]["processor_type"] == "wasm"


def test_conditions_read_the_document_as_processors_left_it(tmp_path):
    definition = {"processors": [set_("level", "debug"), {"drop": {"if": "ctx.level == 'debug'"}}]}
    with load(tmp_path, definition) as p:
        assert p.process({}) is None


# -- drop ------------------------------------------------------------------------------------------------


def test_a_dropped_document_leaves_the_output_and_nothing_after_runs(tmp_path):
    with load(tmp_path, {"processors": [failing(), {"fail": {"message": "not reached"}}]}) as p:
        assert p.process({"drop": 1}) is None


# -- the pipeline processor -----------------------------------------------------------------------------


def write(tmp_path: Path, name: str, definition: dict[str, Any]) -> None:
    (tmp_path / name).write_text(yaml.safe_dump(definition, sort_keys=False))


def test_pipeline_runs_another_file_then_goes_on(tmp_path):
    write(tmp_path, "inner.yml", {"processors": [set_("inner", True)]})
    definition = {"processors": [{"pipeline": {"name": "inner.yml"}}, set_("outer", "{{{inner}}}")]}
    with load(tmp_path, definition) as p:
        assert p.process({}) == {"inner": True, "outer": "true"}


def test_pipeline_name_may_omit_the_extension_and_is_relative_to_the_file(tmp_path):
    (tmp_path / "sub").mkdir()
    write(tmp_path / "sub", "common.yaml", {"processors": [set_("common", 1)]})
    with load(tmp_path, {"processors": [{"pipeline": {"name": "sub/common"}}]}) as p:
        assert p.process({}) == {"common": 1}


def test_a_failure_in_a_nested_pipeline_names_that_pipeline_to_handlers(tmp_path):
    write_guests(tmp_path)
    write(tmp_path, "inner.yml", {"processors": [FAILING]})
    definition = {"processors": [{"pipeline": {"name": "inner.yml"}}], "on_failure": [READER]}
    with load(tmp_path, definition) as p:
        handled = p.process({"fail": 1})["handled"]
    assert (handled["pipeline"], handled["processor_type"], handled["processor_tag"]) == ("inner", "wasm", "guest")


def test_a_nested_pipelines_own_on_failure_lets_the_outer_pipeline_go_on(tmp_path):
    write_guests(tmp_path)
    write(tmp_path, "inner.yml", {"processors": [FAILING], "on_failure": [set_("inner_handled", True)]})
    definition = {"processors": [{"pipeline": {"name": "inner.yml"}}, set_("outer", True)]}
    with load(tmp_path, definition) as p:
        assert p.process({"fail": 1}) == {"fail": 1, "inner_handled": True, "outer": True}


def test_a_drop_in_a_nested_pipeline_drops_the_document(tmp_path):
    write(tmp_path, "inner.yml", {"processors": [{"drop": {}}]})
    with load(tmp_path, {"processors": [{"pipeline": {"name": "inner.yml"}}, set_("x", 1)]}) as p:
        assert p.process({}) is None


def test_a_pipeline_cycle_is_refused_at_load(tmp_path):
    write(tmp_path, "a.yml", {"processors": [{"pipeline": {"name": "b.yml"}}]})
    write(tmp_path, "b.yml", {"processors": [{"pipeline": {"tag": "back", "name": "a.yml"}}]})
    err = load_error(tmp_path, {"processors": [{"pipeline": {"name": "a.yml"}}]})
    assert "Cycle detected for pipeline: a.yml (a.yml -> b.yml -> a.yml)" in str(err)
    assert "processors[0], tag [back]" in str(err)


def test_a_pipeline_naming_itself_is_a_cycle(tmp_path):
    err = load_error(tmp_path, {"processors": [{"pipeline": {"name": "main.yml"}}]})
    assert "Cycle detected for pipeline: main.yml" in str(err)


def test_the_same_pipeline_twice_in_a_row_is_not_a_cycle(tmp_path):
    write(tmp_path, "inc.yml", {"processors": [{"set": {"field": "n", "value": "x{{{n}}}"}}]})
    with load(tmp_path, {"processors": [{"pipeline": {"name": "inc.yml"}}, {"pipeline": {"name": "inc.yml"}}]}) as p:
        assert p.process({"n": ""}) == {"n": "xx"}


def test_too_deep_nesting_is_refused_at_load(tmp_path):
    for level in range(101):
        write(tmp_path, f"p{level}.yml", {"processors": [{"pipeline": {"name": f"p{level + 1}.yml"}}]})
    write(tmp_path, "p101.yml", {"processors": [set_("deep", True)]})
    err = load_error(tmp_path, {"processors": [{"pipeline": {"name": "p0.yml"}}]})
    assert "Too many nested pipelines. Cannot have more than 100 nested pipelines" in str(err)


def test_a_missing_pipeline_is_refused_at_load(tmp_path):
    err = load_error(tmp_path, {"processors": [{"pipeline": {"tag": "p", "name": "nope.yml"}}]})
    assert "processors[0], tag [p]: Pipeline processor configured for non-existent pipeline [nope.yml]" in str(err)


def test_ignore_missing_pipeline_makes_a_missing_pipeline_do_nothing(tmp_path):
    definition = {"processors": [{"pipeline": {"name": "nope.yml", "ignore_missing_pipeline": True}}, set_("x", 1)]}
    with load(tmp_path, definition) as p:
        assert p.process({}) == {"x": 1}


def test_errors_in_a_nested_file_name_both_files(tmp_path):
    write(tmp_path, "inner.yml", {"processors": [{"set": {"tag": "broken", "field": "a"}}]})
    err = load_error(tmp_path, {"processors": [set_("x", 1), {"pipeline": {"tag": "call", "name": "inner.yml"}}]})
    message = str(err)
    assert message.startswith(f"{tmp_path / 'main.yml'}, processors[1], tag [call]: in pipeline [inner.yml]: ")
    assert message.endswith(f"{tmp_path / 'inner.yml'}, processors[0], tag [broken]: [value] required property is missing")


# -- validation at load ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("processors", "expected"),
    [
        ([set_("a", 1), {"script": {}}], "processors[1]: unknown processor type [script]"),
        ([set_("a", 1, colour="red")], "processors[0]: unknown option(s) colour for processor [set]"),
        ([set_("a", 1, tag="t", ignore_failure="yes")], "processors[0], tag [t]: [ignore_failure] must be true or false"),
        ([set_("a", 1, on_failure={"set": {}})], "processors[0]: [on_failure] must be a list of processors"),
        ([failing(on_failure=[set_("h", 1), {"set": {"tag": "bad", "field": "x"}}])],
         "processors[0].on_failure[1], tag [bad]: [value] required property is missing"),
        ([{"wasm": {"tag": "w", "module": "missing.wasm"}}], "processors[0], tag [w]: module file not found"),
        ([set_("a", 1, **{"if": "ctx.a = 1"})], "processors[0]: if: column 7: unexpected '='"),
        ([set_("a", 1, **{"if": 5})], "processors[0]: if: must be a string"),
    ],
)
def test_invalid_pipelines_are_refused_with_file_position_tag_and_problem(tmp_path, processors, expected):
    err = load_error(tmp_path, {"processors": processors})
    assert f"{tmp_path / 'main.yml'}, {expected}" in str(err)


def test_an_error_in_a_pipeline_handler_names_its_position(tmp_path):
    err = load_error(tmp_path, {"processors": [set_("a", 1)], "on_failure": [{"nope": {}}]})
    assert "main.yml, on_failure[0]: unknown processor type [nope]" in str(err)


def test_nothing_runs_until_the_whole_pipeline_loads(tmp_path, capsysbinary):
    from ingesthost.cli import main

    write_guests(tmp_path)
    write(tmp_path, "bad.yml", {"processors": [FAILING, set_("a", 1), {"set": {"field": "x"}}]})
    (tmp_path / "in.ndjson").write_text('{"a": 0}\n')
    code = main(["process", str(tmp_path / "in.ndjson"), "--pipeline", str(tmp_path / "bad.yml"), "--no-cache"])
    captured = capsysbinary.readouterr()
    assert code == 2
    assert captured.out == b""
    assert b"processors[2]: [value] required property is missing" in captured.err


def test_on_failure_nested_too_deep_is_refused_at_load(tmp_path):
    node: dict[str, Any] = {"drop": {}}
    for _ in range(150):
        node = {"drop": {"on_failure": [node]}}
    with pytest.raises(PipelineConfigError) as info:
        Pipeline.from_definition({"processors": [node]}, cache=False)
    assert "[on_failure] handlers nested more than 100 levels deep" in str(info.value)


def test_a_pipeline_name_the_system_refuses_is_a_load_error(tmp_path):
    err = load_error(tmp_path, {"processors": [{"pipeline": {"name": "x" * 5000}}]})
    assert "[name] cannot be used as a file name" in str(err)
