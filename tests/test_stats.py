"""Statistics, shaped like Elasticsearch's ingest node stats.

Per pipeline and per processor (named ``type[:tag]``, ``pipeline:<name>[:tag]``
for pipeline processors, as Elasticsearch names them): ``count``,
``time_in_millis``, ``current``, ``failed``, plus ``dropped`` and, for
processors, ``skipped``. A processor's ``count`` counts the documents it ran
on (an ``if`` that was false is ``skipped``, not counted), as Elasticsearch
counts a conditional processor.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import yaml

from ingesthost import IngestDocument, Pipeline, ProcessorError
from ingesthost.cli import main
from ingesthost.processors import Processor


def processors_of(stats: dict[str, Any], pipeline_id: str) -> dict[str, dict[str, Any]]:
    return {name: info for entry in stats["pipelines"][pipeline_id]["processors"] for name, info in entry.items()}


def run_all(pipeline: Pipeline, docs: list[dict[str, Any]]) -> None:
    for doc in docs:
        try:
            pipeline.process(doc)
        except ProcessorError:
            pass


DEFINITION = {
    "processors": [
        {"set": {"tag": "mark", "field": "seen", "value": True}},
        {"drop": {"tag": "debug", "if": "ctx.level == 'debug'"}},
        {"remove": {"tag": "tok", "field": "token", "ignore_failure": True}},
        {"fail": {"tag": "stop", "if": "ctx.bad == true", "message": "bad"}},
    ]
}
DOCS = [
    {"level": "info", "token": 1},
    {"level": "debug"},
    {"level": "info"},  # remove fails, ignored
    {"level": "info", "token": 2, "bad": True},  # fails at the end
]


def test_counts_per_processor_and_pipeline():
    with Pipeline.from_definition(DEFINITION, source="stats.yml", cache=False) as p:
        run_all(p, DOCS)
        stats = p.stats()
    pipeline = stats["pipelines"]["stats"]
    assert {k: pipeline[k] for k in ("count", "current", "failed", "dropped")} == {
        "count": 4,
        "current": 0,
        "failed": 1,
        "dropped": 1,
    }
    counts = {
        name: {k: info["stats"][k] for k in ("count", "failed", "dropped", "skipped", "current")}
        for name, info in processors_of(stats, "stats").items()
    }
    assert counts == {
        "set:mark": {"count": 4, "failed": 0, "dropped": 0, "skipped": 0, "current": 0},
        "drop:debug": {"count": 1, "failed": 0, "dropped": 1, "skipped": 3, "current": 0},
        "remove:tok": {"count": 3, "failed": 1, "dropped": 0, "skipped": 0, "current": 0},
        "fail:stop": {"count": 1, "failed": 1, "dropped": 0, "skipped": 2, "current": 0},
    }


def test_entries_have_elasticsearchs_fields_type_and_position():
    with Pipeline.from_definition(DEFINITION, source="stats.yml", cache=False) as p:
        run_all(p, DOCS)
        stats = p.stats()
    pipeline = stats["pipelines"]["stats"]
    assert list(pipeline) == ["count", "time_in_millis", "current", "failed", "dropped", "time_in_nanos", "processors"]
    first = pipeline["processors"][0]
    assert list(first) == ["set:mark"]
    info = first["set:mark"]
    assert (info["type"], info["tag"], info["position"]) == ("set", "mark", "processors[0]")
    assert list(info["stats"]) == [
        "count", "time_in_millis", "current", "failed", "dropped", "skipped", "time_in_nanos",
    ]
    assert isinstance(info["stats"]["time_in_millis"], int)
    assert info["stats"]["time_in_nanos"] > 0
    assert pipeline["time_in_nanos"] >= sum(
        entry[name]["stats"]["time_in_nanos"] for entry in pipeline["processors"] for name in entry
    )


def test_a_failure_recovered_by_on_failure_counts_once_for_the_processor_and_not_for_the_pipeline():
    definition = {
        "processors": [
            {"remove": {"tag": "r", "field": "x", "on_failure": [{"fail": {"message": "handler fails too"}}]}},
        ],
        "on_failure": [{"set": {"field": "handled", "value": True}}],
    }
    with Pipeline.from_definition(definition, source="p.yml", cache=False) as p:
        assert p.process({}) == {"handled": True}
        stats = p.stats()
    assert processors_of(stats, "p")["remove:r"]["stats"]["failed"] == 1
    assert stats["pipelines"]["p"]["failed"] == 0


def test_a_condition_error_counts_as_a_failure_of_its_processor():
    definition = {"processors": [{"set": {"tag": "s", "field": "a", "value": 1, "if": "ctx.x.y == 1"}}]}
    with Pipeline.from_definition(definition, source="p.yml", cache=False) as p:
        run_all(p, [{}])
        stats = p.stats()
    assert processors_of(stats, "p")["set:s"]["stats"]["failed"] == 1
    assert stats["pipelines"]["p"]["failed"] == 1


def test_nested_pipelines_have_their_own_entry(tmp_path: Path):
    (tmp_path / "inner.yml").write_text(yaml.safe_dump({"processors": [{"set": {"field": "b", "value": 1}}]}))
    (tmp_path / "outer.yml").write_text(
        yaml.safe_dump({"processors": [{"pipeline": {"tag": "call", "name": "inner.yml", "if": "ctx.go == true"}}]})
    )
    with Pipeline.from_file(tmp_path / "outer.yml", cache=False) as p:
        run_all(p, [{"go": True}, {"go": False}])
        stats = p.stats()
    assert list(stats["pipelines"]) == ["outer", "inner"]
    call = processors_of(stats, "outer")["pipeline:inner.yml:call"]["stats"]
    assert (call["count"], call["skipped"]) == (1, 1)
    assert stats["pipelines"]["inner"]["count"] == 1
    assert processors_of(stats, "inner")["set"]["stats"]["count"] == 1


def test_current_is_one_while_a_document_runs_and_zero_after():
    seen: list[tuple[int, int]] = []

    class Peek(Processor):
        type = "peek"

        def execute(self, document: IngestDocument) -> IngestDocument:
            stats = pipeline.stats()["pipelines"]["_pipeline"]
            seen.append((stats["current"], stats["processors"][1]["peek"]["stats"]["current"]))
            return document

    class Noop(Processor):
        type = "noop"

        def execute(self, document: IngestDocument) -> IngestDocument:
            return document

    pipeline = Pipeline([Noop(), Peek()])
    pipeline.process({})
    assert seen == [(1, 1)]
    after = pipeline.stats()["pipelines"]["_pipeline"]
    assert after["current"] == 0
    assert [entry[name]["stats"]["current"] for entry in after["processors"] for name in entry] == [0, 0]


def test_reset_stats_zeroes_everything():
    with Pipeline.from_definition(DEFINITION, source="stats.yml", cache=False) as p:
        run_all(p, DOCS)
        p.reset_stats()
        stats = p.stats()
    assert stats["pipelines"]["stats"]["count"] == 0
    assert all(info["stats"]["count"] == 0 and info["stats"]["time_in_nanos"] == 0 for info in processors_of(stats, "stats").values())


def test_cli_prints_a_table_and_writes_json(tmp_path, capsysbinary):
    (tmp_path / "p.yml").write_text(yaml.safe_dump(DEFINITION))
    (tmp_path / "in.ndjson").write_text("".join(json.dumps(doc) + "\n" for doc in DOCS))
    code = main(
        [
            "process", str(tmp_path / "in.ndjson"), "--pipeline", str(tmp_path / "p.yml"), "--no-cache",
            "-o", str(tmp_path / "out.ndjson"), "-q", "--stats", "--stats-json", str(tmp_path / "stats.json"),
        ]
    )
    err = capsysbinary.readouterr().err.decode()
    assert code == 1  # one document failed
    lines = err.splitlines()
    assert lines[0] == "ingesthost stats:"
    assert lines[1].split() == ["where", "processor", "count", "failed", "dropped", "skipped", "time", "ms", "us/doc"]
    assert lines[2].split()[:6] == ["pipeline", "p", "4", "1", "1", "-"]
    assert lines[4].split()[:6] == ["processors[1]", "drop:debug", "1", "0", "1", "3"]
    written = json.loads((tmp_path / "stats.json").read_text())
    assert written["pipelines"]["p"]["count"] == 4
    assert processors_of(written, "p")["remove:tok"]["stats"]["failed"] == 1
