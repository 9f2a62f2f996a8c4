"""A realistic pipeline end to end: nginx access logs to ECS
(fixtures/integrations/nginx/, modelled on Elastic's nginx integration, its
Painless scripts replaced by a C guest), over 200 sample lines, through the
command line and through the library.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from ingesthost import Pipeline

ROOT = Path(__file__).resolve().parent.parent
NGINX = ROOT / "fixtures" / "integrations" / "nginx"
PIPELINE = NGINX / "access.yml"
SAMPLE = NGINX / "access.ndjson"
#: The sample's malformed lines that cannot be written: (line, what the failure record says).
FAILED = {
    20: ("processor_error", "parse_access_line"),  # an error-log line
    45: ("processor_error", "parse_access_line"),  # cut short
    77: ("input_error", None),  # not JSON
    78: ("input_error", None),  # a JSON array
    199: ("processor_error", "parse_access_line"),  # no message
}
INGESTED = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d+Z$")


def without_ingest_time(doc: dict[str, Any]) -> dict[str, Any]:
    """The document without event.ingested (the time it ran), after checking its shape."""
    doc = json.loads(json.dumps(doc))
    assert INGESTED.match(doc["event"].pop("ingested")), doc
    return doc


def expected_event(outcome: str, **extra: Any) -> dict[str, Any]:
    return {"kind": "event", "category": ["web"], "type": ["access"], "outcome": outcome, **extra}


#: Exact documents for a few sample lines (event.ingested left out).
EXPECTED = {
    1: {  # a public client, a response time, an extension
        "event": expected_event("failure"), "ecs": {"version": "8.11.0"},
        "source": {"address": "198.51.100.3", "ip": "198.51.100.3"},
        "nginx": {"access": {"response_time": 1624}},
        "http": {"response": {"status_code": 401, "body": {"bytes": 76438}},
                 "request": {"referrer": "https://duckduckgo.com/", "method": "GET"}, "version": "1.1"},
        "user_agent": {"original": "Go-http-client/1.1"},
        "url": {"original": "/downloads/report-2024.pdf", "path": "/downloads/report-2024.pdf", "extension": "pdf"},
        "@timestamp": "2024-03-10T07:00:06.000Z", "related": {"ip": ["198.51.100.3"]},
    },
    6: {  # a virtual host with a port, an IPv6 client
        "event": expected_event("success"), "ecs": {"version": "8.11.0"},
        "destination": {"domain": "api.example.com", "port": 8443},
        "source": {"address": "2001:db8::1", "ip": "2001:db8::1"},
        "nginx": {"access": {"response_time": 2003}},
        "http": {"response": {"status_code": 200, "body": {"bytes": 67358}},
                 "request": {"referrer": "https://www.example.com/", "method": "PATCH"}, "version": "1.0"},
        "user_agent": {"original": "Mozilla/5.0 (iPhone; CPU iPhone OS 17_3 like Mac OS X) AppleWebKit/605.1.15 "
                                   "(KHTML, like Gecko) Mobile/15E148"},
        "url": {"original": "/api/v1/users/me", "path": "/api/v1/users/me", "domain": "api.example.com"},
        "@timestamp": "2024-03-10T07:01:02.000Z", "related": {"ip": ["2001:db8::1"]},
    },
    17: {  # X-Forwarded-For: the first public address wins (the first Painless script, in wasm)
        "event": expected_event("success"), "ecs": {"version": "8.11.0"},
        "nginx": {"access": {"remote_ip_list": ["192.168.1.20", "198.51.100.3", "10.12.7.1"], "response_time": 1715}},
        "http": {"response": {"status_code": 200, "body": {"bytes": 151411}},
                 "request": {"referrer": "https://shop.example.com/products", "method": "GET"}, "version": "1.0"},
        "user_agent": {"original": "kube-probe/1.29"},
        "url": {"original": "/", "path": "/"},
        "source": {"address": "198.51.100.3", "ip": "198.51.100.3"},
        "@timestamp": "2024-03-10T07:05:12.000Z", "related": {"ip": ["198.51.100.3"]},
    },
    120: {  # 31 February: the date step's on_failure records it, the document goes on
        "event": expected_event("success"), "ecs": {"version": "8.11.0"},
        "source": {"address": "192.0.2.10", "ip": "192.0.2.10"},
        "nginx": {"access": {"response_time": 2}},
        "http": {"response": {"status_code": 200, "body": {"bytes": 68}}, "request": {"method": "GET"}, "version": "1.1"},
        "user_agent": {"original": "kube-probe/1.29"},
        "url": {"original": "/robots.txt", "path": "/robots.txt", "extension": "txt"},
        "error": {"message": ["unable to parse date [31/Feb/2024:08:21:12 +0000]"]},
        "related": {"ip": ["192.0.2.10"]},
    },
    150: {  # a TLS hello on the plain-text port: no method, no URL
        "event": expected_event("failure"), "ecs": {"version": "8.11.0"},
        "source": {"address": "198.51.100.23", "ip": "198.51.100.23"},
        "nginx": {"access": {"response_time": 1}},
        "http": {"response": {"status_code": 400, "body": {"bytes": 157}}},
        "@timestamp": "2024-03-10T08:21:14.000Z", "related": {"ip": ["198.51.100.23"]},
    },
    170: {  # nulls removed from objects (kept in lists), the original line kept on request
        "tags": ["preserve_original_event"],
        "event": expected_event(
            "success", dataset="nginx.access",
            original='192.0.2.55 - bob [10/Mar/2024:08:21:15 +0000] "GET /search?q=null HTTP/2.0" 200 1024 "-" "curl/8.5.0" 0.290'),
        "user": {"roles": [None, "admin"], "name": "bob"}, "ecs": {"version": "8.11.0"},
        "source": {"address": "192.0.2.55", "ip": "192.0.2.55"},
        "nginx": {"access": {"response_time": 290}},
        "http": {"response": {"status_code": 200, "body": {"bytes": 1024}}, "request": {"method": "GET"}, "version": "2.0"},
        "user_agent": {"original": "curl/8.5.0"},
        "url": {"original": "/search?q=null", "path": "/search", "query": "q=null"},
        "@timestamp": "2024-03-10T08:21:15.000Z", "related": {"ip": ["192.0.2.55"], "user": ["bob"]},
    },
}


def sample_lines() -> list[str]:
    return SAMPLE.read_text().splitlines()


@pytest.fixture(scope="module")
def cli_run(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """One run of the real command over the sample, from another directory."""
    work = tmp_path_factory.mktemp("nginx")
    run = subprocess.run(
        [sys.executable, "-m", "ingesthost", "process", str(SAMPLE), "-p", str(PIPELINE), "-o", "out.ndjson"],
        capture_output=True, text=True, cwd=work, timeout=300,
    )
    return {
        "run": run,
        "out": [json.loads(line) for line in (work / "out.ndjson").read_text().splitlines()],
        "failures": [json.loads(line) for line in (work / "out.failures.ndjson").read_text().splitlines()],
    }


def written_by_line(out: list[dict[str, Any]]) -> dict[int, dict[str, Any]]:
    """Output documents by input line (the output keeps input order; failed lines leave a gap)."""
    kept = [n for n in range(1, len(sample_lines()) + 1) if n not in FAILED]
    assert len(out) == len(kept)
    return dict(zip(kept, out))


def test_sample_is_200_lines_with_the_documented_malformed_ones() -> None:
    lines = sample_lines()
    assert len(lines) == 200
    assert lines[76].startswith("203.0.113.9 - - [") and lines[77] == '["GET", "/", 200]'


def test_cli_accounts_for_every_line(cli_run: dict[str, Any]) -> None:
    run = cli_run["run"]
    assert run.returncode == 1, run.stderr  # some documents failed, each in the failure file
    assert "read 200, written 195, dropped 0, failed 5 (2 invalid input lines)" in run.stderr
    failures = cli_run["failures"]
    assert {f["line"]: (f["error"]["type"], f["error"].get("processor_tag")) for f in failures} == FAILED
    assert len(cli_run["out"]) + len(failures) == 200
    for record in failures:
        assert record["source"] == str(SAMPLE)
        original = sample_lines()[record["line"] - 1]
        if record["error"]["type"] == "input_error":
            assert record["raw"] == original
        else:
            assert record["document"] == json.loads(original)
            assert record["error"]["processor_type"] == "grok"
    by_line = {f["line"]: f for f in failures}
    assert by_line[20]["error"]["message"].startswith("Provided Grok expressions do not match field value: [2024/03/10")
    assert by_line[199]["error"]["message"] == "field [original] not present as part of path [event.original]"


def test_cli_documents_have_exact_fields(cli_run: dict[str, Any]) -> None:
    written = written_by_line(cli_run["out"])
    for line, expected in EXPECTED.items():
        assert without_ingest_time(written[line]) == expected, f"line {line}"
    for line, doc in written.items():  # what every parsed document has
        doc = without_ingest_time(doc)
        assert doc["ecs"] == {"version": "8.11.0"} and doc["event"]["kind"] == "event", line
        assert "event" in doc and "message" not in doc, line
        assert "_tmp" not in doc and "info" not in doc.get("nginx", {}).get("access", {}), line
        if "original" in doc["event"]:
            assert "preserve_original_event" in doc.get("tags", []), line
        status = doc["http"]["response"]["status_code"]
        assert doc["event"]["outcome"] == ("success" if status < 400 else "failure"), line
        assert doc["related"]["ip"] == [doc["source"]["ip"]] + ([doc["destination"]["ip"]] if "ip" in doc.get("destination", {}) else []), line
        if "response_time" in doc.get("nginx", {}).get("access", {}):
            assert isinstance(doc["nginx"]["access"]["response_time"], int), line


def test_library_gives_the_command_line_output(cli_run: dict[str, Any]) -> None:
    lines = sample_lines()
    documents = {n: json.loads(text) for n, text in enumerate(lines, 1) if n not in (77, 78)}
    with Pipeline.from_file(PIPELINE) as pipeline:
        results = list(pipeline.process_many(documents.values()))
    by_line = dict(zip(documents, results))
    written = written_by_line(cli_run["out"])
    for line, result in by_line.items():
        if line in FAILED:
            assert result.error is not None and result.error.tag == "parse_access_line", line
        else:
            assert result.error is None, (line, result.error)
            assert without_ingest_time(result.document) == without_ingest_time(written[line]), line


def test_the_wasm_steps_replace_the_painless_scripts() -> None:
    """Corners of the three replaced scripts, through the whole pipeline."""
    def line(client: str, tail: str = "") -> dict[str, Any]:
        return {"message": f'{client} - - [10/Mar/2024:08:00:00 +0000] "GET / HTTP/1.1" 200 5 "-" "-"{tail}'}

    with Pipeline.from_file(PIPELINE) as pipeline:
        all_private = pipeline.process(line("10.0.0.5, 172.31.255.1, 127.0.0.1"))
        assert all_private["source"] == {"address": "10.0.0.5", "ip": "10.0.0.5"}  # none public: the first
        edge = pipeline.process(line("172.15.0.1, 172.32.0.1", " 1.005"))
        assert edge["source"]["address"] == "172.15.0.1"  # just outside 172.16/12: public
        assert edge["nginx"]["access"]["response_time"] == 1004  # (long) (1.005 * 1000) on doubles, as Painless
        nulls = pipeline.process({**line("192.0.2.1"), "url": {"fragment": None}, "event": None, "tags": ["preserve_original_event"]})
        assert "fragment" not in nulls["url"] and nulls["event"]["original"].startswith("192.0.2.1 -")


def test_the_guest_rebuilds_byte_for_byte(tmp_path: Path) -> None:
    tools = ("/usr/bin/clang", "/usr/bin/wasm-ld")
    missing = [tool for tool in tools if not os.path.exists(tool)]
    if missing:
        message = f"clang + lld needed to rebuild the nginx guest: {', '.join(missing)} missing"
        if os.environ.get("INGESTHOST_REQUIRE_TOOLCHAINS") == "1":
            pytest.fail(message)
        pytest.skip(message)
    copy = tmp_path / "another checkout"
    for part in ("guest_sdk_c", "fixtures/integrations/nginx"):
        shutil.copytree(ROOT / part, copy / part)
    run = subprocess.run(["bash", str(copy / "fixtures/integrations/nginx/build.sh"), "--check"],
                         capture_output=True, text=True, timeout=120, env=dict(os.environ, CFLAGS="-O0 -g"))
    assert run.returncode == 0, run.stdout + run.stderr
    assert "same as committed" in run.stdout
