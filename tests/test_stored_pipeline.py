"""Stored pipelines (``--pipeline es://HOST:PORT/_ingest/pipeline/ID``) and
``ingesthost inspect PIPELINE``.

Against a real noida-db server (tests/es_server.py), which stores pipelines
with ``PUT _ingest/pipeline/ID`` and answers ``GET`` as Elasticsearch does
(``{ID: body}``, 404 with ``{}`` for a missing id; it refuses processor types
Elasticsearch lacks, but stores ``script`` and ``reroute``, which
ingesthost lacks, and ``pipeline`` processors naming pipelines it does not
hold, or templates). What it cannot do (authentication, a pipeline holding a
``wasm`` processor, which no real cluster accepts either) is served as
recorded Elasticsearch responses to the real client (tests/es_fixtures.py).
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
from pathlib import Path
from typing import Any

import elasticsearch
import pytest

from es_fixtures import RecordedES, RecordingProxy, Reply, running_noida, security_401

from ingesthost.elasticsearch import EsAuthError, EsURLError
from ingesthost.errors import PipelineConfigError
from ingesthost.pipeline_requirements import inspect_pipeline
from ingesthost.pipeline import Pipeline
from ingesthost.stored_pipeline import (
    StoredPipelineNotFound,
    load_stored_definition,
    load_stored_pipelines,
    open_stored_pipeline,
    parse_stored_pipeline_url,
)

ROOT = Path(__file__).resolve().parent.parent
KV_PARSE = ROOT / "fixtures" / "wasm" / "kv_parse.wasm"
SECRET = "s3cr3t-pipeline-pw"

#: Built-ins only (a real cluster accepts nothing else), with templates,
#: conditions, a processor-level and a pipeline-level on_failure that reads
#: the pipeline's id, grok, date and convert.
WEB = {
    "description": "web access, stored",
    "version": 7,
    "_meta": {"owner": "tests"},
    "processors": [
        {"grok": {"tag": "parse", "field": "message",
                  "patterns": ["%{WORD:http.method} %{NOTSPACE:url.path} %{NUMBER:http.status:int} %{NUMBER:took}"]}},
        {"convert": {"field": "took", "type": "double", "tag": "took"}},
        {"lowercase": {"field": "http.method", "target_field": "http.method_lc"}},
        {"set": {"field": "event.outcome", "value": "failure", "if": "ctx.http.status >= 400"}},
        {"rename": {"field": "user", "target_field": "user.name", "ignore_missing": True,
                    "on_failure": [{"set": {"field": "note", "value": "{{_ingest.on_failure_message}}"}}]}},
        {"fail": {"tag": "no_teapots", "message": "teapot {{url.path}}", "if": "ctx.http.status == 418"}},
    ],
}
#: The pipeline's own handlers, added in the test that needs them (they would catch every failure).
HANDLERS = [{"set": {"field": "error.pipeline", "value": "{{_ingest.on_failure_pipeline}}"}},
            {"set": {"field": "error.message", "value": "{{_ingest.on_failure_message}}"}}]

DOCS = [
    {"message": "GET /index.html 200 0.25"},
    {"message": "POST /api/orders 503 1.5", "user": "alice"},
    {"message": "DELETE /x 418 0.001"},
    {"message": "not an access line"},
    {"message": "PUT /a 201 2", "user": {"name": "already"}},
]


def clean_env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("ELASTIC_", "ELASTICSEARCH_"))}
    env.update(extra)
    return env


def ingesthost(*args: str, cwd: Path, stdin: str = "", env: dict[str, str] | None = None) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "ingesthost", *args],
        input=stdin, capture_output=True, text=True, cwd=cwd, env=env or clean_env(), timeout=120,
    )


def ndjson(docs: list[dict]) -> str:
    return "".join(json.dumps(d) + "\n" for d in docs)


@pytest.fixture(scope="module")
def noida():
    yield from running_noida()


@pytest.fixture(scope="module")
def es(noida) -> elasticsearch.Elasticsearch:
    client = elasticsearch.Elasticsearch(noida.url)
    client.ingest.put_pipeline(id="web", **{("meta" if k == "_meta" else k): v for k, v in WEB.items()})
    client.ingest.put_pipeline(
        id="Legacy-Migrated",
        description="what a real cluster holds: steps ingesthost lacks, in several places",
        processors=[
            {"set": {"field": "a", "value": 1}},
            {"script": {"tag": "compute", "source": "ctx.b = ctx.a * 2"}},
            {"rename": {"field": "a", "target_field": "c",
                        "on_failure": [{"reroute": {"tag": "fallback", "namespace": "unparsed"}}]}},
            {"pipeline": {"name": "web"}},
            {"reroute": {"tag": "route", "dataset": "nginx"}},
        ],
        on_failure=[{"script": {"source": "ctx.failed = true"}}],
    )
    yield client
    client.close()


def url(noida, pipeline_id: str) -> str:
    return f"es://127.0.0.1:{noida.port}/_ingest/pipeline/{pipeline_id}"


# -- it runs as is, exactly as the same JSON saved as a file -----------------


def test_stored_pipeline_gives_the_output_of_the_same_pipeline_file(es, noida, tmp_path: Path) -> None:
    stored = es.ingest.get_pipeline(id="web").body["web"]
    (tmp_path / "web.json").write_text(json.dumps(stored))  # what a user would save by hand
    results = {}
    for name, pipeline in (("stored", url(noida, "web")), ("file", "web.json")):
        run = ingesthost("process", "-", "-p", pipeline, "-o", f"{name}.ndjson", cwd=tmp_path, stdin=ndjson(DOCS))
        assert run.returncode == 1, run.stderr  # the teapot and the line grok cannot parse fail
        assert "read 5, written 3, dropped 0, failed 2" in run.stderr
        results[name] = ((tmp_path / f"{name}.ndjson").read_text(), (tmp_path / f"{name}.failures.ndjson").read_text())
    assert results["stored"] == results["file"]
    out = [json.loads(line) for line in results["stored"][0].splitlines()]
    assert out[0] == {"message": "GET /index.html 200 0.25", "http": {"method": "GET", "status": 200, "method_lc": "get"},
                      "url": {"path": "/index.html"}, "took": 0.25}
    assert out[1]["user"] == {"name": "alice"} and out[1]["event"] == {"outcome": "failure"}
    assert out[2]["note"] == "field [user.name] already exists" and out[2]["took"] == 2.0
    failures = [json.loads(line) for line in results["stored"][1].splitlines()]
    assert [f["line"] for f in failures] == [3, 4]
    assert failures[0]["error"]["processor_tag"] == "no_teapots"
    assert failures[0]["error"]["message"].endswith("teapot /x")


def test_pipeline_level_handlers_see_the_stored_id(es, noida, tmp_path: Path) -> None:
    """``_ingest.on_failure_pipeline`` is the stored id, as for a file named ``web.json``."""
    handled = dict(WEB, on_failure=HANDLERS)  # grok fails on a non-access line: the pipeline's handlers run
    es.ingest.put_pipeline(id="web-handled", **{("meta" if k == "_meta" else k): v for k, v in handled.items()})
    with open_stored_pipeline(url(noida, "web-handled"), isolation="none") as pipeline:
        result = pipeline.process({"message": "nonsense"})
    assert result["error"] == {"pipeline": "web-handled",
                               "message": "Provided Grok expressions do not match field value: [nonsense]"}


def test_library_and_worker_isolation_give_the_same_results(es, noida) -> None:
    expected = None
    for isolation in ("none", "process"):
        with open_stored_pipeline(url(noida, "web"), isolation=isolation) as pipeline:
            got = [(r.document, type(r.error).__name__ if r.error else None) for r in pipeline.process_many(DOCS)]
        if expected is None:
            expected = got
        assert got == expected
    assert expected[0][0]["http"]["method_lc"] == "get"


def test_the_stored_body_is_read_once_and_kept(es, noida) -> None:
    definition, source = load_stored_definition(url(noida, "web"))
    assert source == url(noida, "web")
    assert definition == WEB  # description, processors, on_failure, version and _meta; nothing else


# -- errors --------------------------------------------------------------------


def test_missing_pipeline_is_a_404_error(es, noida, tmp_path: Path) -> None:
    run = ingesthost("process", "-", "-p", url(noida, "no-such"), "-o", "out.ndjson", cwd=tmp_path, stdin="{}\n")
    assert run.returncode == 2
    assert f"pipeline [no-such] not found at http://127.0.0.1:{noida.port}" in run.stderr
    assert not (tmp_path / "out.ndjson").exists()
    with pytest.raises(StoredPipelineNotFound):
        load_stored_definition(url(noida, "no-such"))


def test_every_unsupported_processor_is_listed_with_its_place(es, noida, tmp_path: Path) -> None:
    run = ingesthost("process", "-", "-p", url(noida, "Legacy-Migrated"), "-o", "out.ndjson", cwd=tmp_path, stdin="{}\n")
    assert run.returncode == 2
    err = run.stderr
    assert f"{url(noida, 'Legacy-Migrated')}: 4 processors ingesthost cannot run:" in err
    lines = [line.strip() for line in err.splitlines()]
    assert any(line.startswith("processors[1], tag [compute]: unknown processor type [script] (Painless") for line in lines)
    assert "processors[2].on_failure[0], tag [fallback]: unknown processor type [reroute]" in lines
    assert not any(line.startswith("processors[3]") for line in lines)  # [pipeline] web: fetched, and runnable
    assert "processors[4], tag [route]: unknown processor type [reroute]" in lines
    assert any(line.startswith("on_failure[0]: unknown processor type [script]") for line in lines)
    assert not (tmp_path / "out.ndjson").exists()


def test_a_pipeline_file_lists_every_unknown_type_too(tmp_path: Path) -> None:
    (tmp_path / "p.yml").write_text(
        "processors:\n"
        "  - user_agent: {field: ua, tag: ua}\n"
        "  - set: {field: a, value: 1}\n"
        "  - foreach: {field: list, processor: {geoip: {field: _ingest._value}}}\n"
    )
    run = ingesthost("process", "-", "-p", "p.yml", cwd=tmp_path, stdin="{}\n")
    assert run.returncode == 2
    assert "p.yml: 2 processors ingesthost cannot run:" in run.stderr
    assert "  processors[0], tag [ua]: unknown processor type [user_agent]" in run.stderr
    assert "  processors[2].processor: unknown processor type [geoip]" in run.stderr
    assert "known types: append," in run.stderr


def test_wrong_credentials_are_refused_without_showing_them(tmp_path: Path) -> None:
    def answer(request):
        return security_401("elastic", request.path.split("?")[0])

    with RecordedES(answer) as server:
        port = server.url.rsplit(":", 1)[1]
        env = clean_env(ELASTICSEARCH_USERNAME="elastic", ELASTICSEARCH_PASSWORD=SECRET)
        run = ingesthost("process", "-", "-p", f"es://127.0.0.1:{port}/_ingest/pipeline/web", cwd=tmp_path,
                         stdin="{}\n", env=env)
    assert run.returncode == 2
    assert "reading pipeline [web] from http://127.0.0.1:" in run.stderr
    assert "(auth: basic) failed (status 401, security_exception): unable to authenticate user [elastic]" in run.stderr
    assert SECRET not in run.stderr and SECRET not in run.stdout
    assert server.paths() == ["GET /_ingest/pipeline/web"]
    assert server.requests[0].headers["authorization"].startswith("Basic ")
    with RecordedES(answer) as server:
        with pytest.raises(EsAuthError) as caught:
            load_stored_definition(f"{server.url}/_ingest/pipeline/web", environ={"ELASTIC_API_KEY": SECRET})
    assert SECRET not in str(caught.value) and "(auth: api_key)" in str(caught.value)


def test_unreachable_cluster(tmp_path: Path) -> None:
    with socket.socket() as sock:  # a port nobody listens on
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    run = ingesthost("process", "-", "-p", f"es://elastic:{SECRET}@127.0.0.1:{port}/_ingest/pipeline/web",
                     cwd=tmp_path, stdin="{}\n")
    assert run.returncode == 2
    assert f"reading pipeline [web] from http://127.0.0.1:{port} (auth: basic) failed (no response, ConnectionError)" in run.stderr
    assert SECRET not in run.stderr


def stored_reply(pipeline_id: str, body: dict[str, Any]):
    """A cluster holding one pipeline (as a recorded 8.x answer: ``{ID: body}``)."""

    def answer(request):
        if request.method == "GET" and request.path.split("?")[0] == f"/_ingest/pipeline/{pipeline_id}":
            return Reply(200, {pipeline_id: body})
        return Reply(404, {})

    return answer


def test_module_paths_must_be_absolute_in_a_stored_pipeline(tmp_path: Path) -> None:
    body = {"processors": [
        {"wasm": {"tag": "kv", "module": "kv_parse.wasm"}},
        {"wasm": {"module": str(KV_PARSE), "wasi": {"preopens": {"/data": "data"}}}},
    ]}
    with RecordedES(stored_reply("relative", body)) as server:
        with pytest.raises(PipelineConfigError) as caught:
            load_stored_definition(f"{server.url}/_ingest/pipeline/relative")
    message = str(caught.value)
    assert "processors[0], tag [kv]: module [kv_parse.wasm] is a relative path, and a stored pipeline has no directory" in message
    assert "processors[1]: WASI preopen directory [data] is a relative path" in message


def test_a_stored_wasm_processor_with_an_absolute_module_runs(tmp_path: Path) -> None:
    body = {"processors": [{"wasm": {"tag": "kv", "module": str(KV_PARSE), "params": {"field": "message"}}}]}
    with RecordedES(stored_reply("kv", body)) as server:
        run = ingesthost("process", "-", "-p", f"{server.url}/_ingest/pipeline/kv", cwd=tmp_path,
                         stdin='{"message": "a=1 b=two"}\n')
    assert run.returncode == 0, run.stderr
    assert json.loads(run.stdout) == {"message": "a=1 b=two", "kv": {"a": "1", "b": "two"}}


def test_stored_pipelines_refuse_checkpoints_and_dask(noida, tmp_path: Path) -> None:
    run = ingesthost("process", "in.ndjson", "-p", url(noida, "web"), "-o", "o.ndjson", "--checkpoint", "c.json", cwd=tmp_path)
    assert run.returncode == 2 and "--checkpoint needs a pipeline file" in run.stderr


# -- URLs ----------------------------------------------------------------------


def test_url_forms() -> None:
    ref = parse_stored_pipeline_url("ess://user:pw@es.example.com/proxy/_ingest/pipeline/Logs-Nginx.Access-1.2", environ={})
    assert ref.settings.base_url == "https://es.example.com:443/proxy"
    assert ref.settings.index is None and ref.settings.username == "user"
    assert ref.pipeline_id == "Logs-Nginx.Access-1.2"
    assert ref.url == "ess://es.example.com/proxy/_ingest/pipeline/Logs-Nginx.Access-1.2"
    assert "pw" not in repr(ref)
    assert parse_stored_pipeline_url("http://h:9201/_ingest/pipeline/a%2Fb/", environ={}).pipeline_id == "a/b"
    for bad, part in (("es://h:9200/web", "path"), ("es://h:9200/_ingest/pipeline/", "path"),
                      ("es://h:9200/_ingest/pipeline/web-*", "pipeline id"), ("es://h:9200/_ingest/pipeline/a,b", "pipeline id"),
                      ("es://h:9200/_ingest/pipeline/web?pretty", "query"), ("es://u:hunter2@h:0/_ingest/pipeline/x", "port")):
        with pytest.raises(EsURLError) as caught:
            parse_stored_pipeline_url(bad, environ={})
        assert caught.value.part == part, (bad, caught.value)
        assert "hunter2" not in str(caught.value)


# -- inspect ---------------------------------------------------------------------


def test_inspect_a_stored_pipeline(es, noida, tmp_path: Path) -> None:
    run = ingesthost("inspect", url(noida, "Legacy-Migrated"), cwd=tmp_path)
    assert run.returncode == 1
    lines = run.stdout.splitlines()
    assert lines[0] == f"pipeline:  {url(noida, 'Legacy-Migrated')} (stored in the cluster)"
    # its nested pipeline [web] is fetched and counted: grok, convert, lowercase, set, rename (its handler: set), fail
    assert lines[1] == ("processors: 14 (convert x1, fail x1, grok x1, lowercase x1, pipeline x1, rename x2, "
                        "reroute x2, script x2, set x3)")
    assert lines[2] == f"nested:    {url(noida, 'web')}: 7 processors (convert x1, fail x1, grok x1, lowercase x1, rename x1, set x2)"
    assert "unsupported: processors[2].on_failure[0], tag [fallback]: unknown processor type [reroute]" in lines
    assert lines[-1] == "runnable:  no: 4 unsupported processors (above)"
    run = ingesthost("inspect", url(noida, "web"), "--json", cwd=tmp_path)
    assert run.returncode == 0, run.stderr
    report = json.loads(run.stdout)
    assert report["types"] == {"convert": 1, "fail": 1, "grok": 1, "lowercase": 1, "rename": 1, "set": 2}
    assert report["unsupported"] == [] and report["runnable"] is True and report["stored"] is True


def test_inspect_a_pipeline_file_lists_modules_and_wasi_needs(tmp_path: Path) -> None:
    go = ROOT / "fixtures" / "wasm" / "kv_parse_go.wasm"
    (tmp_path / "common.yml").write_text("processors:\n  - lowercase: {field: m, ignore_missing: true}\n")
    (tmp_path / "p.yml").write_text(
        "processors:\n"
        f"  - wasm: {{tag: kv, module: {KV_PARSE}}}\n"
        f"  - wasm: {{tag: go, module: {go}, wasi: {{}}}}\n"
        f"  - wasm: {{tag: go_ungranted, module: {go}}}\n"
        "  - pipeline: {name: common}\n"
        "  - script: {source: 'ctx.x = 1', tag: s}\n"
    )
    report = inspect_pipeline(str(tmp_path / "p.yml"))
    assert report["types"] == {"lowercase": 1, "pipeline": 1, "script": 1, "wasm": 3}
    assert report["nested_pipelines"] == [str(tmp_path / "common.yml")]
    kv, go_ok, go_bad = report["modules"]
    assert (kv["abi_version"], kv["wasi_imports"], kv.get("problem")) == ("1.1", [], None)
    assert go_ok["wasi_granted"] and len(go_ok["wasi_imports"]) == 10 and "problem" not in go_ok
    assert not go_bad["wasi_granted"] and go_bad["problem"].startswith("imports WASI functions the processor was not granted")
    assert report["unsupported"] == [{"type": "script", "where": "processors[4]", "tag": "s",
                                      "reason": "unknown processor type [script] (Painless scripts do not run in "
                                                "ingesthost: replace the step with a wasm processor)"}]
    assert report["runnable"] is False
    run = ingesthost("inspect", "p.yml", cwd=tmp_path)
    assert run.returncode == 1
    assert "module:    processors[1], tag [go]: " in run.stdout and "WASI (10 imports, granted); runnable" in run.stdout
    assert "WASI (10 imports, NOT granted); problem: imports WASI functions" in run.stdout
    assert "common.yml: processors[0]" not in run.stdout  # nested files are counted, their processors are fine
    assert "nested:    common.yml" in run.stdout


# -- nested stored pipelines ------------------------------------------------------

#: chain-a -> chain-b -> chain-c, built-ins only. chain-b's own handlers catch
#: what fails in chain-c (a nested pipeline's failure reaches the pipeline
#: processor that ran it); chain-c's lowercase has a processor-level handler.
CHAIN = {
    "chain-a": {
        "description": "top of the chain",
        "processors": [
            {"set": {"field": "trail", "value": "a"}},
            {"pipeline": {"name": "chain-b", "tag": "to_b"}},
            {"set": {"field": "after_b", "value": True}},
        ],
    },
    "chain-b": {
        "processors": [
            {"set": {"field": "trail", "value": "{{trail}}>b"}},
            {"pipeline": {"name": "chain-c", "if": "ctx.skip_c != true"}},
        ],
        "on_failure": [
            {"set": {"field": "caught.pipeline", "value": "{{_ingest.on_failure_pipeline}}"}},
            {"set": {"field": "caught.tag", "value": "{{_ingest.on_failure_processor_tag}}"}},
        ],
    },
    "chain-c": {
        "processors": [
            {"set": {"field": "trail", "value": "{{trail}}>c"}},
            {"fail": {"tag": "c_refuses", "message": "c refuses {{name}}", "if": "ctx.fail_in_c == true"}},
            {"lowercase": {"field": "name", "tag": "lower",
                           "on_failure": [{"set": {"field": "c_handler", "value": "{{_ingest.on_failure_pipeline}}"}}]}},
        ],
    },
}
CHAIN_DOCS = [{"name": "ALICE"}, {"name": "BOB", "fail_in_c": True}, {"id": 3}, {"name": "CAROL", "skip_c": True}]
CHAIN_OUT = [
    {"name": "alice", "trail": "a>b>c", "after_b": True},
    # c fails; chain-b's handlers see chain-c's id and the failed processor's tag, and chain-b stops there
    {"name": "BOB", "fail_in_c": True, "trail": "a>b>c", "caught": {"pipeline": "chain-c", "tag": "c_refuses"},
     "after_b": True},
    # no name: lowercase fails, its own handler (in chain-c) sees chain-c, and chain-c goes on
    {"id": 3, "trail": "a>b>c", "c_handler": "chain-c", "after_b": True},
    {"name": "CAROL", "skip_c": True, "trail": "a>b", "after_b": True},
]


def put(es: elasticsearch.Elasticsearch, pipelines: dict[str, dict[str, Any]]) -> None:
    for pipeline_id, body in pipelines.items():
        es.ingest.put_pipeline(id=pipeline_id, **body)


@pytest.fixture(scope="module")
def chain(es) -> dict[str, dict[str, Any]]:
    put(es, CHAIN)
    return CHAIN


def test_a_chain_of_stored_pipelines_runs_alike_in_process_in_a_worker_and_in_two(chain, noida, tmp_path: Path) -> None:
    for pipeline_id, body in chain.items():  # the same pipelines saved as files, for comparison
        (tmp_path / f"{pipeline_id}.json").write_text(json.dumps(body))
    outputs = {}
    for name, pipeline, extra in (
        ("none", url(noida, "chain-a"), ["--isolation", "none"]),
        ("process", url(noida, "chain-a"), ["--isolation", "process"]),
        ("workers", url(noida, "chain-a"), ["--workers", "2", "--batch-size", "1"]),
        ("files", "chain-a.json", []),
    ):
        run = ingesthost("process", "-", "-p", pipeline, "-o", f"{name}.ndjson", *extra, cwd=tmp_path,
                         stdin=ndjson(CHAIN_DOCS))
        assert run.returncode == 0, (name, run.stderr)
        assert "read 4, written 4, dropped 0, failed 0" in run.stderr, name
        outputs[name] = [json.loads(line) for line in (tmp_path / f"{name}.ndjson").read_text().splitlines()]
    assert outputs["none"] == CHAIN_OUT
    assert outputs["process"] == outputs["workers"] == outputs["files"] == CHAIN_OUT


def test_nested_stored_pipelines_are_pipelines_of_their_own(chain, noida) -> None:
    stored = load_stored_pipelines(url(noida, "chain-a"))
    assert list(stored.pipelines) == ["chain-a", "chain-b", "chain-c"]
    assert stored.nested["chain-c"].source == url(noida, "chain-c")
    assert stored.nested["chain-c"].definition == CHAIN["chain-c"]
    with open_stored_pipeline(url(noida, "chain-a"), isolation="none") as pipeline:
        assert isinstance(pipeline, Pipeline)
        assert [pipeline.process(doc) for doc in CHAIN_DOCS] == CHAIN_OUT
        stats = pipeline.stats()["pipelines"]
    assert list(stats) == ["chain-a", "chain-b", "chain-c"]  # each nested one under its stored id
    assert (stats["chain-a"]["count"], stats["chain-b"]["count"], stats["chain-c"]["count"]) == (4, 4, 3)


def test_workers_are_given_the_nested_pipelines_and_never_ask_the_cluster(chain, noida, tmp_path: Path) -> None:
    with RecordingProxy(noida.url) as proxy:  # the only way to the cluster, recording every request
        address = f"{proxy.url.replace('http://', 'es://')}/_ingest/pipeline/chain-a"
        run = ingesthost("process", "-", "-p", address, "--workers", "2", "--batch-size", "1",
                         cwd=tmp_path, stdin=ndjson(CHAIN_DOCS))
        assert run.returncode == 0, run.stderr
        assert [json.loads(line) for line in run.stdout.splitlines()] == CHAIN_OUT
        # each pipeline fetched once, by the command itself: none by either worker
        assert proxy.paths() == [f"GET /_ingest/pipeline/{pipeline_id}" for pipeline_id in ("chain-a", "chain-b", "chain-c")]
        del proxy.requests[:]
        pool = open_stored_pipeline(address, workers=2)
    with pool:
        assert len(proxy.requests) == 3
        # the proxy is gone: nothing answers at that address any more
        with pytest.raises(OSError):
            socket.create_connection(("127.0.0.1", int(proxy.url.rsplit(":", 1)[1])), timeout=2).close()
        first = set(pool.worker_pids)
        pool.close()  # stops the workers: the next call starts new ones, from the snapshot alone
        results = list(pool.process_many(CHAIN_DOCS))
        assert [r.document for r in results] == CHAIN_OUT
        assert not first & set(pool.worker_pids)


def test_a_cycle_of_stored_pipelines_is_refused(es, noida, tmp_path: Path) -> None:
    put(es, {"cycle-a": {"processors": [{"set": {"field": "a", "value": 1}}, {"pipeline": {"name": "cycle-b", "tag": "to_b"}}]},
             "cycle-b": {"processors": [{"pipeline": {"name": "cycle-a", "tag": "back"}}]}})
    with RecordingProxy(noida.url) as proxy:
        run = ingesthost("process", "-", "-p", f"{proxy.url}/_ingest/pipeline/cycle-a", "-o", "out.ndjson",
                         cwd=tmp_path, stdin="{}\n")
        assert proxy.paths() == ["GET /_ingest/pipeline/cycle-a", "GET /_ingest/pipeline/cycle-b"]  # each once
    assert run.returncode == 2
    top, nested = f"{proxy.url}/_ingest/pipeline/cycle-a", f"{proxy.url}/_ingest/pipeline/cycle-b"
    assert run.stderr.strip() == (
        f"ingesthost: error: {top}, processors[1], tag [to_b]: in pipeline [cycle-b]: {nested}, processors[0], "
        "tag [back]: Cycle detected for pipeline: cycle-a (cycle-a -> cycle-b -> cycle-a)"
    )
    assert not (tmp_path / "out.ndjson").exists()


def test_a_missing_nested_pipeline_is_refused_unless_ignored(es, noida, tmp_path: Path) -> None:
    put(es, {
        "miss-strict": {"processors": [{"set": {"field": "a", "value": 1}},
                                       {"pipeline": {"name": "miss-mid", "tag": "mid"}}]},
        "miss-mid": {"processors": [{"pipeline": {"name": "nowhere", "tag": "gone"}}]},
        "miss-lenient": {"processors": [{"set": {"field": "a", "value": 1}},
                                        {"pipeline": {"name": "nowhere", "ignore_missing_pipeline": True}},
                                        {"set": {"field": "b", "value": 2}}]},
    })
    run = ingesthost("process", "-", "-p", url(noida, "miss-strict"), "-o", "out.ndjson", cwd=tmp_path, stdin="{}\n")
    assert run.returncode == 2
    assert run.stderr.strip() == (
        f"ingesthost: error: {url(noida, 'miss-strict')}, processors[1], tag [mid]: in pipeline [miss-mid]: "
        f"{url(noida, 'miss-mid')}, processors[0], tag [gone]: "
        "Pipeline processor configured for non-existent pipeline [nowhere] (GET _ingest/pipeline/nowhere answered 404)"
    )
    assert not (tmp_path / "out.ndjson").exists()
    for extra in ([], ["--isolation", "none"]):
        run = ingesthost("process", "-", "-p", url(noida, "miss-lenient"), *extra, cwd=tmp_path, stdin='{"x": 0}\n')
        assert run.returncode == 0, run.stderr
        assert json.loads(run.stdout) == {"x": 0, "a": 1, "b": 2}


def test_a_templated_pipeline_name_is_refused_with_its_place(es, noida, tmp_path: Path) -> None:
    put(es, {"routed": {"processors": [
        {"set": {"field": "a", "value": 1}},
        {"pipeline": {"name": "logs-{{dataset}}", "tag": "route"}},
        {"script": {"tag": "compute", "source": "ctx.b = 2"}},
    ]}})
    with RecordingProxy(noida.url) as proxy:
        run = ingesthost("process", "-", "-p", f"{proxy.url}/_ingest/pipeline/routed", cwd=tmp_path, stdin="{}\n")
        assert proxy.paths() == ["GET /_ingest/pipeline/routed"]  # a template is not fetched
    assert run.returncode == 2
    lines = [line.strip() for line in run.stderr.splitlines()]
    assert lines[0].endswith("/_ingest/pipeline/routed: 2 processors ingesthost cannot run:")
    assert lines[1] == ("processors[1], tag [route]: [pipeline] name [logs-{{dataset}}] is a template: nested stored "
                        "pipelines are fetched when the run starts, so the name must be a pipeline id")
    assert lines[2].startswith("processors[2], tag [compute]: unknown processor type [script]")


def test_unsupported_processors_of_nested_pipelines_are_listed_with_their_pipeline(es, noida, tmp_path: Path) -> None:
    """Nested pipelines reached from a handler, a foreach body and the pipeline's
    own handlers are fetched and checked too; every problem is listed at once."""
    put(es, {
        "reach-top": {
            "processors": [
                {"rename": {"field": "a", "target_field": "b", "on_failure": [{"pipeline": {"name": "reach-handler"}}]}},
                {"foreach": {"field": "items", "processor": {"pipeline": {"name": "reach-each"}}}},
            ],
            "on_failure": [{"pipeline": {"name": "reach-last"}}],
        },
        "reach-handler": {"processors": [{"script": {"tag": "s1", "source": "ctx.x = 1"}}]},
        "reach-each": {"processors": [{"set": {"field": "seen", "value": True}},
                                      {"reroute": {"tag": "route", "dataset": "items"}}]},
        "reach-last": {"processors": [{"pipeline": {"name": "{{next}}", "tag": "tmpl"}}]},
    })
    for command in ("process", "simulate"):
        (tmp_path / "in.ndjson").write_text("{}\n")
        run = ingesthost(command, "in.ndjson", "-p", url(noida, "reach-top"), cwd=tmp_path)
        assert run.returncode == 2, command
        lines = [line.strip() for line in run.stderr.splitlines()]
        assert lines[0] == f"ingesthost: error: {url(noida, 'reach-top')}: 3 processors ingesthost cannot run:"
        assert lines[1].startswith("pipeline [reach-handler], processors[0], tag [s1]: unknown processor type [script]")
        assert lines[2] == "pipeline [reach-each], processors[1], tag [route]: unknown processor type [reroute]"
        assert lines[3].startswith("pipeline [reach-last], processors[0], tag [tmpl]: [pipeline] name [{{next}}] is a template")
        assert run.stdout == ""


def test_nesting_deeper_than_elasticsearch_allows_is_refused(tmp_path: Path) -> None:
    def answer(request):  # p0 -> p1 -> ... -> p150, each stored
        pipeline_id = request.path.split("?")[0].rsplit("/", 1)[1]
        number = int(pipeline_id[1:])
        return Reply(200, {pipeline_id: {"processors": [{"pipeline": {"name": f"p{number + 1}"}}] if number < 150 else []}})

    with RecordedES(answer) as server:
        with pytest.raises(PipelineConfigError) as caught:
            open_stored_pipeline(f"{server.url}/_ingest/pipeline/p0", isolation="none")
    assert len(server.requests) == 151
    assert str(caught.value).endswith("Too many nested pipelines. Cannot have more than 100 nested pipelines")
    assert "in pipeline [p99]: " in str(caught.value)


def test_simulate_a_stored_pipeline(chain, noida, tmp_path: Path) -> None:
    (tmp_path / "in.ndjson").write_text(ndjson(CHAIN_DOCS))
    run = ingesthost("simulate", "in.ndjson", "-p", url(noida, "chain-a"), cwd=tmp_path)
    assert run.returncode == 0, run.stderr
    docs = json.loads(run.stdout)["docs"]
    assert [d["doc"]["_source"] for d in docs] == CHAIN_OUT
    assert docs[0]["doc"]["_index"] == "_index"

    body = {"docs": [{"_index": "logs", "_id": "7", "_source": CHAIN_DOCS[1]}]}
    (tmp_path / "req.json").write_text(json.dumps(body))
    run = ingesthost("simulate", "req.json", "-p", url(noida, "chain-a"), "--verbose", cwd=tmp_path)
    assert run.returncode == 0, run.stderr
    (result,) = json.loads(run.stdout)["docs"]
    steps = [(r["processor_type"], r["status"], r.get("tag"), r.get("doc", {}).get("_ingest", {}).get("pipeline"))
             for r in result["processor_results"]]
    assert steps == [
        ("set", "success", None, "chain-a"),
        ("pipeline", "success", "to_b", None),
        ("set", "success", None, "chain-b"),
        ("pipeline", "success", None, None),
        ("set", "success", None, "chain-c"),
        ("fail", "error", "c_refuses", None),  # caught by chain-b's own handlers, which run in chain-b
        ("set", "success", None, "chain-b"),
        ("set", "success", None, "chain-b"),
        ("set", "success", None, "chain-a"),
    ]
    fail = result["processor_results"][5]
    assert fail["error"]["reason"] == "c refuses BOB" and fail["if"] == {"condition": "ctx.fail_in_c == true", "result": True}
    last = result["processor_results"][-1]["doc"]
    assert (last["_index"], last["_id"]) == ("logs", "7")
    assert last["_source"] == CHAIN_OUT[1]


def test_simulate_refuses_a_stored_pipeline_as_process_does(es, noida, tmp_path: Path) -> None:
    (tmp_path / "in.ndjson").write_text("{}\n")
    run = ingesthost("simulate", "in.ndjson", "-p", url(noida, "no-such"), cwd=tmp_path)
    assert run.returncode == 2
    assert f"pipeline [no-such] not found at http://127.0.0.1:{noida.port}" in run.stderr
    run = ingesthost("simulate", "in.ndjson", "-p", url(noida, "Legacy-Migrated"), cwd=tmp_path)
    assert run.returncode == 2
    assert f"{url(noida, 'Legacy-Migrated')}: 4 processors ingesthost cannot run:" in run.stderr
    with socket.socket() as sock:  # a port nobody listens on
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    run = ingesthost("simulate", "in.ndjson", "-p", f"es://elastic:{SECRET}@127.0.0.1:{port}/_ingest/pipeline/web",
                     cwd=tmp_path)
    assert run.returncode == 2
    assert f"reading pipeline [web] from http://127.0.0.1:{port} (auth: basic) failed (no response" in run.stderr
    assert SECRET not in run.stderr and run.stdout == ""


def test_inspect_lists_the_nested_stored_pipelines_and_their_needs(chain, es, noida, tmp_path: Path) -> None:
    put(es, {"inspect-top": {"processors": [{"pipeline": {"name": "chain-a"}},
                                            {"pipeline": {"name": "absent", "ignore_missing_pipeline": True}}]}})
    run = ingesthost("inspect", url(noida, "inspect-top"), cwd=tmp_path)
    assert run.returncode == 0, run.stdout + run.stderr
    lines = run.stdout.splitlines()
    assert lines[1] == "processors: 13 (fail x1, lowercase x1, pipeline x4, set x7)"
    assert lines[2:6] == [
        f"nested:    {url(noida, 'chain-a')}: 3 processors (pipeline x1, set x2)",
        f"nested:    {url(noida, 'chain-b')}: 4 processors (pipeline x1, set x3)",
        f"nested:    {url(noida, 'chain-c')}: 4 processors (fail x1, lowercase x1, set x2)",
        f"missing:   {url(noida, 'absent')}: not found",
    ]
    assert lines[-1] == "runnable:  yes"
    run = ingesthost("inspect", url(noida, "miss-strict"), "--json", cwd=tmp_path)
    assert run.returncode == 1
    report = json.loads(run.stdout)
    assert report["nested_pipelines"] == [url(noida, "miss-mid")]
    assert report["nested_needs"] == {url(noida, "miss-mid"): {"types": {"pipeline": 1}, "modules": 0, "unsupported": 0}}
    assert report["missing_pipelines"] == [url(noida, "nowhere")]
    assert report["runnable"] is False
    assert report["problem"].endswith("Pipeline processor configured for non-existent pipeline [nowhere] "
                                      "(GET _ingest/pipeline/nowhere answered 404)")
