"""WASI: denied by default, granted per processor (issue 5, "no ambient authority")."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from ingesthost import Pipeline, PipelineConfigError
from ingesthost.runtime import wat2wasm

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture
def guest(tmp_path: Path) -> Path:
    path = tmp_path / "wasi_guest.wasm"
    path.write_bytes(wat2wasm((ROOT / "tests" / "wat" / "wasi_env_print.wat").read_text()))
    return path


def write_pipeline(tmp_path: Path, wasi: str | None) -> Path:
    path = tmp_path / "p.yml"
    grant = f", wasi: {wasi}" if wasi is not None else ""
    path.write_text(f"processors:\n  - wasm: {{module: wasi_guest.wasm, tag: printer{grant}}}\n")
    return path


def test_wasi_imports_are_refused_without_a_grant(tmp_path: Path, guest: Path) -> None:
    with pytest.raises(PipelineConfigError) as info:
        Pipeline.from_file(write_pipeline(tmp_path, None), cache=False)
    message = str(info.value)
    assert "tag [printer]" in message
    assert "imports WASI functions the processor was not granted" in message
    assert "wasi_snapshot_preview1.fd_write" in message and "wasi_snapshot_preview1.environ_sizes_get" in message


def test_granted_env_is_all_the_guest_sees(tmp_path: Path, guest: Path, capfd: pytest.CaptureFixture[str]) -> None:
    with Pipeline.from_file(write_pipeline(tmp_path, "{env: {A: '1', B: '2', C: '3'}}"), cache=False) as p:
        assert p.process({}) == {"env_count": 3}
    with Pipeline.from_file(write_pipeline(tmp_path, "{}"), cache=False) as p:
        assert p.process({}) == {"env_count": 0}, "the host's environment is not inherited"
    assert "hello from the guest" in capfd.readouterr().out


@pytest.mark.parametrize(
    "grant,message",
    [
        ("{files: [x]}", "unknown `wasi` option(s) files"),
        ("{env: [A]}", "`wasi.env` must map names to string values"),
        ("{preopens: {/data: ./nope}}", "is not a directory"),
        ("[1]", "`wasi` must be an object"),
    ],
)
def test_bad_grants_are_refused(tmp_path: Path, guest: Path, grant: str, message: str) -> None:
    with pytest.raises(PipelineConfigError, match="tag \\[printer\\]") as info:
        Pipeline.from_file(write_pipeline(tmp_path, grant), cache=False)
    assert message in str(info.value)


def test_preopen_directories_resolve_relative_to_the_pipeline(tmp_path: Path, guest: Path) -> None:
    (tmp_path / "lookups").mkdir()
    with Pipeline.from_file(write_pipeline(tmp_path, "{preopens: {/data: lookups}}"), cache=False) as p:
        assert p.processors[0].wasi.preopens == (("/data", str(tmp_path / "lookups")),)
        assert p.process({}) == {"env_count": 0}


def test_guest_prints_cannot_corrupt_the_ndjson_on_stdout(tmp_path: Path, guest: Path) -> None:
    pipeline = write_pipeline(tmp_path, "{}")
    result = subprocess.run(
        [sys.executable, "-m", "ingesthost", "process", "-", "-p", str(pipeline), "--no-cache"],
        input=b'{"a":1}\n{"a":2}\n',
        capture_output=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    assert [json.loads(line) for line in result.stdout.splitlines()] == [
        {"a": 1, "env_count": 0},
        {"a": 2, "env_count": 0},
    ]
    assert result.stderr.count(b"hello from the guest") == 2
