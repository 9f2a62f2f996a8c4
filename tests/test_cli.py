"""`ingesthost process` and `ingesthost inspect`, end to end."""

from __future__ import annotations

import base64
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from ingesthost.cli import default_failures_path, main
from ingesthost.runtime import wat2wasm

ROOT = Path(__file__).resolve().parent.parent
WASM = ROOT / "fixtures" / "wasm"
THIRDPARTY = ROOT.parent / "shared" / "thirdparty"
MODIFY_FIELDS = THIRDPARTY / "elastic-ingest-wasm-go" / "modify_fields.wasm.gz"
SAMPLE = ROOT / "fixtures" / "sample" / "access.ndjson"
SAMPLE_PIPELINE = ROOT / "fixtures" / "pipelines" / "access.yml"


def read_ndjson(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


@pytest.fixture(scope="module")
def fail_guest(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("guests") / "fail_on_field.wasm"
    path.write_bytes(wat2wasm((ROOT / "tests" / "wat" / "cli_fail_on_field.wat").read_text()))
    return path


def run_cli(*args: str, stdin: bytes | None = None) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "ingesthost", *args],
        input=stdin,
        capture_output=True,
        cwd=ROOT,
        timeout=120,
    )


def test_elastic_poc_module_runs_unchanged(tmp_path: Path) -> None:
    """Elastic's original SDK built this module; it must yield exactly its six fields."""
    source = tmp_path / "in.ndjson"
    source.write_text("{}\n")
    out = tmp_path / "out.ndjson"
    assert main(["process", str(source), "--module", str(MODIFY_FIELDS), "-o", str(out), "-q"]) == 0
    (doc,) = read_ndjson(out)
    assert doc == {
        "string": "hello",
        "integer": 1,
        "float": 1.2,
        "bool": True,
        "object": {"hello": "world!"},
        "null": None,
    }
    assert "null" in doc


def test_sample_pipeline(tmp_path: Path) -> None:
    out = tmp_path / "access.ndjson"
    assert main(["process", str(SAMPLE), "--pipeline", str(SAMPLE_PIPELINE), "-o", str(out), "-q"]) == 0
    inputs = read_ndjson(SAMPLE)
    outputs = read_ndjson(out)
    kept = [d for d in inputs if d["log"]["level"] != "debug"]
    assert len(outputs) == len(kept) > 0
    assert not default_failures_path(str(out)).exists() or default_failures_path(str(out)).read_text() == ""
    for original, doc in zip(kept, outputs):
        # input order is kept, and every processor ran
        assert doc["@timestamp"] == original["@timestamp"]
        assert doc["message"] == original["message"]
        user = original["message"].split()[0].split("=")[1]
        assert doc["user"]["name"] == user
        assert "user" not in doc["kv"]
        assert doc["kv"]["token"] == "[REDACTED]"
        assert doc["kv"]["status"] == original["message"].split("status=")[1].split()[0]
        assert doc["event"]["ingested"].endswith("Z")


def test_bad_lines_go_to_failures_with_line_numbers(tmp_path: Path, fail_guest: Path) -> None:
    source = tmp_path / "in.ndjson"
    source.write_bytes(
        b'{"n":1}\n'  # 1 ok
        b"  \n"  # 2 blank: skipped and counted, not a failure
        b'{"n":3,\r\n'  # 3 invalid JSON (CRLF ending)
        b"[1,2]\n"  # 4 not an object
        b'{"n":"\xff"}\n'  # 5 invalid UTF-8
        b'{"n":6,"fail":true}\r\n'  # 6 processor failure
        b'{"n":7,"trap":1}\n'  # 7 trap
        b'{"n":8,"drop":1}\n'  # 8 dropped
        b'{"n":9}'  # 9 ok, no final newline
    )
    out = tmp_path / "out.ndjson"
    assert main(["process", str(source), "--module", str(fail_guest), "-o", str(out), "-q"]) == 1
    assert read_ndjson(out) == [{"n": 1, "seen": True}, {"n": 9, "seen": True}]
    failures = read_ndjson(tmp_path / "out.failures.ndjson")
    assert [f["line"] for f in failures] == [3, 4, 5, 6, 7]
    assert all(f["source"] == str(source) for f in failures)
    by_line = {f["line"]: f for f in failures}
    assert by_line[3]["error"]["type"] == "input_error"
    assert "invalid JSON" in by_line[3]["error"]["message"]
    assert by_line[3]["raw"] == '{"n":3,'
    assert "must be a JSON object" in by_line[4]["error"]["message"]
    assert by_line[4]["raw"] == "[1,2]"
    assert "UTF-8" in by_line[5]["error"]["message"]
    assert base64.b64decode(by_line[5]["raw_base64"]) == b'{"n":"\xff"}'
    assert by_line[6]["error"] == {
        "type": "processor_error",
        "kind": "guest_failure",
        "message": "document asked to fail",
        "processor_type": "wasm",
        "processor_tag": None,
    }
    assert by_line[6]["document"] == {"n": 6, "fail": True}
    assert by_line[7]["error"]["kind"] == "guest_trap"
    assert "unreachable" in by_line[7]["error"]["message"]
    assert by_line[7]["document"] == {"n": 7, "trap": 1}


def test_failure_record_has_original_document_and_tag(tmp_path: Path, fail_guest: Path) -> None:
    pipeline = tmp_path / "p.json"
    pipeline.write_text(
        json.dumps(
            {
                "processors": [
                    {"wasm": {"module": str(MODIFY_FIELDS), "tag": "poc"}},
                    {"wasm": {"module": fail_guest.name, "tag": "checker"}},
                ]
            }
        )
    )
    (tmp_path / fail_guest.name).write_bytes(fail_guest.read_bytes())
    source = tmp_path / "in.ndjson"
    source.write_text('{"fail": 1, "keep": "me"}\n')
    out = tmp_path / "out.ndjson"
    failures = tmp_path / "f.ndjson"
    rc = main(["process", str(source), "-p", str(pipeline), "-o", str(out), "--failures", str(failures), "-q"])
    assert rc == 1
    assert out.read_text() == ""
    (record,) = read_ndjson(failures)
    # the first processor had already added six fields; the failure keeps the input as it was
    assert record["document"] == {"fail": 1, "keep": "me"}
    assert record["error"]["processor_tag"] == "checker"
    assert record["line"] == 1


def test_stdin_to_stdout_failures_in_a_file_of_their_own(fail_guest: Path, tmp_path: Path) -> None:
    """With documents on stdout, failure records go to a new file named in the
    summary (never to stderr among log lines), and a later run never
    overwrites an earlier run's failure file."""
    names = []
    for _ in range(2):
        result = subprocess.run(
            [sys.executable, "-m", "ingesthost", "process", "-", "--module", str(fail_guest)],
            input=b'{"a":1}\n{"fail":1}\n{"b":2}\n', capture_output=True, cwd=tmp_path, timeout=120,
        )
        assert result.returncode == 1
        assert [json.loads(l) for l in result.stdout.splitlines()] == [{"a": 1, "seen": True}, {"b": 2, "seen": True}]
        err_lines = result.stderr.decode().splitlines()
        assert not any(line.startswith("{") for line in err_lines), "no failure record on stderr"
        summary = err_lines[-1]
        assert "read 3, written 2, dropped 0, failed 1" in summary
        assert "docs/s" in summary
        names.append(summary.split("failures in ")[1].split(";")[0])
    assert names == [str(tmp_path / "stdin.failures.ndjson"), str(tmp_path / "stdin-2.failures.ndjson")]
    for name in names:
        (failure,) = read_ndjson(Path(name))
        assert failure["line"] == 2 and failure["source"] == "<stdin>"
    # No failure, no file.
    result = subprocess.run(
        [sys.executable, "-m", "ingesthost", "process", "-", "--module", str(fail_guest)],
        input=b'{"a":1}\n', capture_output=True, cwd=tmp_path, timeout=120,
    )
    assert result.returncode == 0
    assert sorted(p.name for p in tmp_path.iterdir()) == ["stdin-2.failures.ndjson", "stdin.failures.ndjson"]


def test_param_values_are_json_or_strings(tmp_path: Path) -> None:
    source = tmp_path / "in.ndjson"
    source.write_text('{"a": {"b": 1}, "c": 2}\n')
    out = tmp_path / "out.ndjson"
    rc = main(
        [
            "process", str(source), "-m", str(WASM / "rename_field.wasm"),
            "--param", "from=a.b", "--param", "to=x.y", "--param", "remove_source=false",
            "-o", str(out), "-q",
        ]
    )
    assert rc == 0
    assert read_ndjson(out) == [{"a": {"b": 1}, "c": 2, "x": {"y": 1}}]


@pytest.mark.parametrize(
    "definition,expected",
    [
        ({"processors": [{"wasm": {"module": "nope.wasm", "tag": "t1"}}]}, "processors[0], tag [t1]: module file not found"),
        ({"processors": [{"script": {}}]}, "processors[0]: unknown processor type [script]"),
        ({"processors": [{"wasm": {"module": "x.wasm", "colour": 1}}]}, "unknown option(s) colour for processor [wasm]"),
        ({"processors": {"wasm": {}}}, "`processors` must be a list"),
        ({"procesors": []}, "unknown pipeline option(s) procesors"),
    ],
)
def test_pipeline_errors_name_file_processor_and_problem(tmp_path: Path, definition: dict, expected: str) -> None:
    pipeline = tmp_path / "bad.json"
    pipeline.write_text(json.dumps(definition))
    source = tmp_path / "in.ndjson"
    source.write_text("{}\n")
    out = tmp_path / "out.ndjson"
    result = run_cli("process", str(source), "-p", str(pipeline), "-o", str(out))
    assert result.returncode == 2
    message = result.stderr.decode()
    assert message.startswith("ingesthost: error: ")
    assert str(pipeline) in message
    assert expected in message
    assert not out.exists(), "nothing is written when the pipeline does not load"


def test_invalid_module_in_pipeline_is_refused_at_load(tmp_path: Path) -> None:
    (tmp_path / "bad.wasm").write_bytes(b"\0asm\x01\0\0\0garbage")
    pipeline = tmp_path / "p.yml"
    pipeline.write_text("processors:\n  - wasm: {module: bad.wasm, tag: broken}\n")
    (tmp_path / "in.ndjson").write_text("{}\n")
    result = run_cli("process", str(tmp_path / "in.ndjson"), "-p", str(pipeline))
    assert result.returncode == 2
    message = result.stderr.decode()
    assert "tag [broken]" in message and "bad.wasm" in message and "not a valid WebAssembly module" in message


def test_missing_input_file_is_a_clear_error(tmp_path: Path) -> None:
    result = run_cli("process", str(tmp_path / "absent.ndjson"), "-m", str(MODIFY_FIELDS))
    assert result.returncode == 2
    assert "absent.ndjson" in result.stderr.decode()
    assert "No such file" in result.stderr.decode()


def test_inspect_reports_abi_exports_and_imports() -> None:
    result = run_cli("inspect", str(WASM / "kv_parse.wasm"))
    assert result.returncode == 0
    text = result.stdout.decode()
    assert "abi:       1.1" in text
    assert "process: func () -> (i32)" in text
    assert "configure: func (i32, i32) -> (i32)" in text
    assert "elastic.elastic_get_field" in text
    assert "runnable:  yes" in text


def test_inspect_json_on_poc_and_unrunnable_modules() -> None:
    result = run_cli("inspect", "--json", str(MODIFY_FIELDS))
    report = json.loads(result.stdout)
    assert report["abi_version"] == "1.0" and report["abi_declared"] is False
    assert report["runnable"] is True
    fluent = run_cli("inspect", "--json", str(THIRDPARTY / "fluent-bit" / "drop_record.wasm"))
    assert fluent.returncode == 1
    report = json.loads(fluent.stdout)
    assert report["runnable"] is False
    assert "missing required export `process`" in report["problem"]
    assert "wasi_snapshot_preview1.fd_write" in report["problem"]


def test_help_explains_commands() -> None:
    result = run_cli("process", "--help")
    assert result.returncode == 0
    text = result.stdout.decode()
    for words in ("--pipeline", "--module", "--failures", "--param", "Exit status"):
        assert words in text
