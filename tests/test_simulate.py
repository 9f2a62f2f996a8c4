"""``simulate``: Elasticsearch's ``_simulate`` response, field by field.

The shapes are Elasticsearch's (SimulateDocumentBaseResult,
SimulateProcessorResult, WriteableIngestDocument and its REST tests
``90_simulate.yml``): documents given without metadata show ``_index``
``"_index"``, ``_id`` ``"_id"`` and ``_version`` ``"-3"``; ``_ingest`` holds
the timestamp; a dropped document is ``null``; a failed one is
``{"error": {"root_cause": [...], "type", "reason"}}``; verbose results carry
``processor_type``, ``status``, ``tag``, ``if``, ``error``/``ignored_error``
and ``doc`` (whose ``_ingest`` also names the running ``pipeline``).
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest
import yaml

from ingesthost import Pipeline
from ingesthost.cli import main
from ingesthost.simulate import SimulateDocument

ROOT = Path(__file__).resolve().parent.parent
SAMPLE_PIPELINE = ROOT / "fixtures" / "pipelines" / "simulate_sample.yml"
SAMPLE_INPUT = ROOT / "fixtures" / "sample" / "simulate_sample.ndjson"
TIMESTAMP = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{9}Z$")


def sample_docs() -> list[dict[str, Any]]:
    return [json.loads(line) for line in SAMPLE_INPUT.read_text().splitlines()]


@pytest.fixture(scope="module")
def sample() -> Pipeline:
    pipeline = Pipeline.from_file(SAMPLE_PIPELINE, cache=False)
    yield pipeline
    pipeline.close()


# Written by hand from the sample pipeline and input.
EXPECTED_SOURCES = [
    {
        "message": "user=alice method=GET status=200 token=abc123",
        "kv": {"method": "GET", "status": "200"},
        "user": {"name": "alice"},
    },
    {
        "message": "user=bob method=POST status=503 token=def456",
        "kv": {"method": "POST", "status": "503"},
        "user": {"name": "bob"},
        "event": {"outcome": "failure"},
    },
    None,  # the health check is dropped
    {
        "message": "user=carol method=GET status=404",
        "kv": {"method": "GET", "status": "404"},
        "user": {"name": "carol"},
        "notes": "no token (remove: field [token] not present as part of path [kv.token])",
    },
]


def check_doc(entry: Any, source: dict[str, Any], *, index: str = "_index", id_: str = "_id", version: str = "-3") -> None:
    """One successful ``docs[]`` entry, every field of Elasticsearch's shape."""
    assert list(entry) == ["doc"]
    doc = entry["doc"]
    assert list(doc) == ["_index", "_id", "_version", "_source", "_ingest"]
    assert (doc["_index"], doc["_id"], doc["_version"]) == (index, id_, version)
    assert doc["_source"] == source
    assert list(doc["_ingest"]) == ["timestamp"]
    assert TIMESTAMP.match(doc["_ingest"]["timestamp"])


def check_error(entry: Any, type_: str, reason: str) -> None:
    assert list(entry) == ["error"]
    error = entry["error"]
    assert list(error) == ["root_cause", "type", "reason"]
    assert error["root_cause"] == [{"type": type_, "reason": reason}]
    assert (error["type"], error["reason"]) == (type_, reason)


def test_sample_response_has_elasticsearchs_shape_field_by_field(sample):
    response = sample.simulate(sample_docs())
    assert list(response) == ["docs"]
    docs = response["docs"]
    assert len(docs) == 5
    for entry, source in zip(docs[:4], EXPECTED_SOURCES):
        if source is None:
            assert entry is None
        else:
            check_doc(entry, source)
    check_error(docs[4], "fail_processor_exception", "no method in [user=dave status=200 token=x]")


def test_sample_verbose_lists_every_processor_result(sample):
    docs = sample.simulate(sample_docs(), verbose=True)["docs"]
    assert all(list(entry) == ["processor_results"] for entry in docs)
    summary = [[(r["processor_type"], r.get("tag"), r["status"]) for r in entry["processor_results"]] for entry in docs]
    common = [("drop", "drop_health", "skipped"), ("wasm", "parse_kv", "success"), ("rename", "move_user", "success")]
    assert summary[0] == common + [
        ("set", "mark_server_error", "skipped"),
        ("remove", "drop_token", "success"),
        ("fail", "require_method", "skipped"),
    ]
    assert summary[1] == common + [
        ("set", "mark_server_error", "success"),
        ("remove", "drop_token", "success"),
        ("fail", "require_method", "skipped"),
    ]
    assert summary[2] == [("drop", "drop_health", "dropped")]
    assert summary[3] == common + [
        ("set", "mark_server_error", "skipped"),
        ("remove", "drop_token", "error"),
        ("set", "note_no_token", "success"),
        ("fail", "require_method", "skipped"),
    ]
    assert summary[4] == common + [
        ("set", "mark_server_error", "skipped"),
        ("remove", "drop_token", "success"),
        ("fail", "require_method", "error"),
    ]


def test_verbose_success_entry_fields(sample):
    first = sample.simulate(sample_docs()[:1], verbose=True)["docs"][0]["processor_results"][1]
    assert list(first) == ["processor_type", "status", "tag", "doc"]
    doc = first["doc"]
    assert list(doc) == ["_index", "_id", "_version", "_source", "_ingest"]
    assert doc["_source"] == {
        "message": "user=alice method=GET status=200 token=abc123",
        "kv": {"user": "alice", "method": "GET", "status": "200", "token": "abc123"},
    }
    assert doc["_ingest"]["pipeline"] == "simulate_sample"
    assert set(doc["_ingest"]) == {"timestamp", "pipeline"}


def test_verbose_skipped_and_dropped_entries_carry_the_condition_and_no_doc(sample):
    results = sample.simulate(sample_docs()[2:3], verbose=True)["docs"][0]["processor_results"]
    assert results == [
        {
            "processor_type": "drop",
            "status": "dropped",
            "description": "health checks are noise",
            "tag": "drop_health",
            "if": {"condition": "ctx.url?.path == '/health'", "result": True},
        }
    ]
    skipped = sample.simulate(sample_docs()[:1], verbose=True)["docs"][0]["processor_results"][0]
    assert skipped["status"] == "skipped"
    assert skipped["if"] == {"condition": "ctx.url?.path == '/health'", "result": False}
    assert "doc" not in skipped


def test_verbose_error_and_handler_entries(sample):
    results = sample.simulate(sample_docs()[3:4], verbose=True)["docs"][0]["processor_results"]
    error, handler = results[4], results[5]
    reason = "field [token] not present as part of path [kv.token]"
    assert error == {
        "processor_type": "remove",
        "status": "error",
        "tag": "drop_token",
        "error": {
            "root_cause": [{"type": "illegal_argument_exception", "reason": reason}],
            "type": "illegal_argument_exception",
            "reason": reason,
        },
    }
    ingest = handler["doc"]["_ingest"]
    assert {k: v for k, v in ingest.items() if k != "timestamp"} == {
        "on_failure_message": reason,
        "on_failure_processor_type": "remove",
        "on_failure_processor_tag": "drop_token",
        "on_failure_pipeline": "simulate_sample",
        "pipeline": "simulate_sample",
    }


def test_verbose_ignored_failure_is_error_ignored_with_the_document(tmp_path):
    definition = {"processors": [{"remove": {"tag": "r", "field": "missing", "ignore_failure": True}}]}
    with Pipeline.from_definition(definition, cache=False) as p:
        (result,) = p.simulate([{"a": 1}], verbose=True)["docs"][0]["processor_results"]
    assert list(result) == ["processor_type", "status", "tag", "ignored_error", "doc"]
    assert result["status"] == "error_ignored"
    assert result["ignored_error"]["error"]["reason"] == "field [missing] not present as part of path [missing]"
    assert result["doc"]["_source"] == {"a": 1}


def test_verbose_pipeline_processor_is_a_success_entry_then_the_nested_steps(tmp_path):
    (tmp_path / "inner.yml").write_text(yaml.safe_dump({"processors": [{"set": {"field": "b", "value": 2}}]}))
    (tmp_path / "outer.yml").write_text(
        yaml.safe_dump({"processors": [{"pipeline": {"tag": "call", "name": "inner.yml"}}, {"set": {"field": "c", "value": 3}}]})
    )
    with Pipeline.from_file(tmp_path / "outer.yml", cache=False) as p:
        results = p.simulate([{}], verbose=True)["docs"][0]["processor_results"]
    assert results[0] == {"processor_type": "pipeline", "status": "success", "tag": "call"}
    assert (results[1]["processor_type"], results[1]["doc"]["_ingest"]["pipeline"]) == ("set", "inner")
    assert (results[2]["doc"]["_source"], results[2]["doc"]["_ingest"]["pipeline"]) == ({"b": 2, "c": 3}, "outer")


def test_condition_errors_are_script_exceptions(tmp_path):
    definition = {"processors": [{"set": {"field": "a", "value": 1, "if": "ctx.x.y == 1"}}]}
    with Pipeline.from_definition(definition, cache=False) as p:
        error = p.simulate([{}])["docs"][0]["error"]
        verbose = p.simulate([{}], verbose=True)["docs"][0]["processor_results"]
    assert error["root_cause"] == [
        {"type": "script_exception", "reason": "runtime error", "script": "ctx.x.y == 1", "lang": "painless"}
    ]
    assert (error["type"], error["reason"], error["caused_by"]["type"]) == (
        "script_exception",
        "runtime error",
        "null_pointer_exception",
    )
    assert verbose[0]["status"] == "error" and verbose[0]["if"] == {"condition": "ctx.x.y == 1"}
    assert verbose[0]["error"]["caused_by"]["type"] == "null_pointer_exception"


def test_metadata_given_with_a_document_is_shown(sample):
    response = sample.simulate(
        [SimulateDocument({"message": "method=GET"}, index="logs", id="1", version=7, routing="r")]
    )
    doc = response["docs"][0]["doc"]
    assert (doc["_index"], doc["_id"], doc["_version"], doc["_routing"]) == ("logs", "1", "7", "r")


def test_simulate_does_not_modify_the_callers_documents(sample):
    docs = sample_docs()
    before = json.dumps(docs)
    sample.simulate(docs)
    sample.simulate(docs, verbose=True)
    assert json.dumps(docs) == before


# -- the command ------------------------------------------------------------------------------------


def run_cli(args: list[str], capsysbinary) -> tuple[int, Any, bytes]:
    code = main(args)
    captured = capsysbinary.readouterr()
    out = json.loads(captured.out) if captured.out else None
    return code, out, captured.err


def test_cli_simulate_prints_the_response(capsysbinary):
    code, out, _ = run_cli(["simulate", "--no-cache", "--pipeline", str(SAMPLE_PIPELINE), str(SAMPLE_INPUT)], capsysbinary)
    assert code == 0
    for entry, source in zip(out["docs"][:4], EXPECTED_SOURCES):
        if source is None:
            assert entry is None
        else:
            check_doc(entry, source)
    check_error(out["docs"][4], "fail_processor_exception", "no method in [user=dave status=200 token=x]")


def test_cli_simulate_verbose(capsysbinary):
    args = ["simulate", "--no-cache", "--verbose", "--pipeline", str(SAMPLE_PIPELINE), str(SAMPLE_INPUT)]
    code, out, _ = run_cli(args, capsysbinary)
    assert code == 0
    assert [len(entry["processor_results"]) for entry in out["docs"]] == [6, 6, 1, 7, 6]


def test_cli_simulate_reads_an_elasticsearch_request_body(tmp_path, capsysbinary):
    body = {"docs": [{"_index": "logs", "_id": "7", "_source": {"message": "user=x method=PUT status=201"}}]}
    (tmp_path / "request.json").write_text(json.dumps(body, indent=2))
    code, out, _ = run_cli(
        ["simulate", "--no-cache", "--pipeline", str(SAMPLE_PIPELINE), str(tmp_path / "request.json")], capsysbinary
    )
    assert code == 0
    check_doc(
        out["docs"][0],
        {"message": "user=x method=PUT status=201", "kv": {"method": "PUT", "status": "201"}, "user": {"name": "x"},
         "notes": "no token (remove: field [token] not present as part of path [kv.token])"},
        index="logs",
        id_="7",
    )


def test_cli_simulate_refuses_a_bad_input_line(tmp_path, capsysbinary):
    (tmp_path / "in.ndjson").write_text('{"a": 1}\nnot json\n')
    code, out, err = run_cli(
        ["simulate", "--no-cache", "--pipeline", str(SAMPLE_PIPELINE), str(tmp_path / "in.ndjson")], capsysbinary
    )
    assert (code, out) == (2, None)
    assert b"in.ndjson:2: invalid JSON" in err


def test_cli_simulate_refuses_a_bad_pipeline(tmp_path, capsysbinary):
    (tmp_path / "p.yml").write_text("processors:\n  - set: {field: a}\n")
    (tmp_path / "in.ndjson").write_text('{"a": 1}\n')
    code, out, err = run_cli(["simulate", "--pipeline", str(tmp_path / "p.yml"), str(tmp_path / "in.ndjson")], capsysbinary)
    assert (code, out) == (2, None)
    assert b"processors[0]: [value] required property is missing" in err


def test_verbose_conditional_processors_with_nested_on_failure():
    # Elasticsearch's REST test "Test verbose simulate with true conditional and on failure"
    definition = {
        "processors": [
            {
                "rename": {
                    "tag": "gunna_fail",
                    "if": "true",
                    "field": "foo1",
                    "target_field": "fieldA",
                    "on_failure": [
                        {"set": {"field": "failed1", "value": "failed1", "tag": "failed1"}},
                        {
                            "rename": {
                                "tag": "gunna_fail_again",
                                "if": "true",
                                "field": "foo2",
                                "target_field": "fieldA",
                                "on_failure": [{"set": {"field": "failed2", "value": "failed2", "tag": "failed2"}}],
                            }
                        },
                    ],
                }
            }
        ]
    }
    with Pipeline.from_definition(definition, cache=False) as p:
        results = p.simulate([SimulateDocument({"foo": "bar"}, index="index", id="id")], verbose=True)["docs"][0][
            "processor_results"
        ]
    assert len(results) == 4
    assert (results[0]["tag"], results[0]["error"]["reason"]) == ("gunna_fail", "field [foo1] doesn't exist")
    assert results[0]["if"] == {"condition": "true", "result": True}
    assert (results[1]["tag"], results[1]["doc"]["_source"]["failed1"]) == ("failed1", "failed1")
    assert results[1]["doc"]["_ingest"]["on_failure_processor_tag"] == "gunna_fail"
    assert (results[2]["tag"], results[2]["error"]["reason"]) == ("gunna_fail_again", "field [foo2] doesn't exist")
    assert results[3]["tag"] == "failed2"
    assert (results[3]["doc"]["_source"]["failed1"], results[3]["doc"]["_source"]["failed2"]) == ("failed1", "failed2")
    assert results[3]["doc"]["_ingest"]["on_failure_processor_tag"] == "gunna_fail_again"


def test_plain_documents_carry_their_metadata_and_set_on_index_changes_it() -> None:
    # ingesthost: a plain document (an NDJSON line) is what the pipeline sees, as in `process`;
    # its `_index`/`_id` show as the result's metadata, and `set` on `_index` changes it there
    definition = {"processors": [{"set": {"field": "_index", "value": "{{{_index}}}-2"}}, {"set": {"field": "seen", "value": "{{{_id}}}"}}]}
    with Pipeline.from_definition(definition, cache=False) as pipeline:
        (entry,) = pipeline.simulate([{"_index": "logs", "_id": "7", "a": 1}])["docs"]
    assert entry["doc"]["_index"] == "logs-2" and entry["doc"]["_id"] == "7"
    assert entry["doc"]["_source"] == {"a": 1, "seen": "7"}


def test_cli_simulate_names_the_file_and_entry_of_a_bad_request_body(tmp_path, capsysbinary) -> None:
    body = tmp_path / "request.json"
    body.write_text(json.dumps({"docs": [{"_source": {"a": 1}}, {"_id": "1", "_source": {"_id": "2"}}]}))
    code, _, err = run_cli(["simulate", "--no-cache", "--pipeline", str(SAMPLE_PIPELINE), str(body)], capsysbinary)
    assert code == 2
    assert f"{body}: docs[1]: field [_id] is a metadata field".encode() in err
