"""The Rust SDK: its own unit tests, byte-for-byte reproducible example
modules that check their params at load, and the README's tutorial run for
real, its commands and files taken from the README text.

The tests that build need Debian's Rust toolchain with the wasm32 std
(scripts/setup.sh --dev installs it). Where it is missing they skip, unless
INGESTHOST_REQUIRE_TOOLCHAINS=1 (set by scripts/test.sh, so in CI), where
they fail instead.
"""

from __future__ import annotations

import os
import re
import shlex
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from ingesthost import Pipeline
from ingesthost.errors import PipelineConfigError

ROOT = Path(__file__).resolve().parent.parent
SDK = ROOT / "guest_sdk_rust"
FIXTURES = ROOT / "fixtures" / "wasm"
WASM_STD = Path("/usr/lib/rustlib/wasm32-unknown-unknown")


def _toolchain_problem() -> str | None:
    for tool in ("/usr/bin/cargo", "/usr/bin/rustc", "/usr/bin/rust-lld"):
        if not os.access(tool, os.X_OK):
            return f"{tool} is missing"
    if not WASM_STD.is_dir():
        return f"{WASM_STD} is missing (libstd-rust-dev-wasm32)"
    return None


@pytest.fixture(scope="module")
def toolchain() -> None:
    problem = _toolchain_problem()
    if problem:
        message = f"Debian Rust toolchain needed: {problem}; run scripts/setup.sh --dev"
        if os.environ.get("INGESTHOST_REQUIRE_TOOLCHAINS") == "1":
            pytest.fail(message)
        pytest.skip(message)


def _debian_env() -> dict[str, str]:
    env = dict(os.environ)
    env["PATH"] = "/usr/bin:" + env.get("PATH", "")
    env["RUSTC"] = "/usr/bin/rustc"
    env.pop("RUSTFLAGS", None)
    return env


def _copy_sdk(dest: Path) -> Path:
    """A copy of the SDK with the conformance vectors next to it, where its
    unit tests read them (``../abi_spec/vectors``)."""
    copy = dest / "guest_sdk_rust"
    shutil.copytree(SDK, copy, ignore=shutil.ignore_patterns("target"))
    shutil.copytree(ROOT / "abi_spec" / "vectors", dest / "abi_spec" / "vectors")
    return copy


@pytest.mark.usefixtures("toolchain")
def test_sdk_unit_tests(tmp_path: Path) -> None:
    copy = _copy_sdk(tmp_path)
    env = _debian_env()
    env["CARGO_TARGET_DIR"] = str(tmp_path / "target")
    env["CARGO_HOME"] = str(tmp_path / "cargo-home")
    result = subprocess.run(
        ["/usr/bin/cargo", "test", "--offline", "--locked", "--lib"],
        cwd=copy, env=env, capture_output=True, text=True, timeout=600,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    passed = sum(int(n) for n in re.findall(r"test result: ok\. (\d+) passed", result.stdout))
    assert passed >= 10, result.stdout


@pytest.mark.usefixtures("toolchain")
def test_examples_rebuild_byte_for_byte_elsewhere(tmp_path: Path) -> None:
    """A fresh build in another directory reproduces every committed module."""
    copy = _copy_sdk(tmp_path / "some other checkout")
    out = tmp_path / "out"
    result = subprocess.run(
        ["bash", str(copy / "build.sh"), "--out", str(out)],
        env=_debian_env(), capture_output=True, text=True, timeout=900,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    built = sorted(p.name for p in out.glob("*.wasm"))
    # fixtures/wasm/ also holds modules of the other SDKs (kv_parse_go.wasm...)
    committed = sorted(f"{p.stem}.wasm" for p in (SDK / "examples").glob("*.rs"))
    assert built == committed and len(built) == 7
    assert all((FIXTURES / name).is_file() for name in committed)
    for name in built:
        assert (out / name).read_bytes() == (FIXTURES / name).read_bytes(), f"{name} differs"


# ---------------------------------------------------------------- example params


@pytest.mark.parametrize(
    "name,params,message",
    [
        ("kv_parse", {"field": 5}, "param [field] must be a string, not number"),
        ("kv_parse", {"feild": "message"}, "unknown param [feild]; this processor accepts [field], [target_field], [ignore_missing]"),
        ("kv_parse", {"ignore_missing": "yes"}, "param [ignore_missing] must be a boolean, not string"),
        ("set_timestamp", {"field": ["a"]}, "param [field] must be a string, not array"),
        ("set_timestamp", {"fields": "a"}, "unknown param [fields]; this processor accepts [field]"),
        ("rename_field", {"from": "a"}, "params [from] and [to] are required"),
        ("rename_field", {"from": "a", "to": "b", "remove_source": "no"}, "param [remove_source] must be a boolean, not string"),
        ("rename_field", {"from": "a", "to": "b", "override": True}, "unknown param [override]"),
        ("drop_when", {"field": "log.level"}, "param [equals] is required"),
        ("drop_when", {"field": 1, "equals": "debug"}, "param [field] must be a string, not number"),
        ("redact", {"fields": ["a", 1]}, "param [fields] must be an array of strings"),
        ("redact", {"replacement": 0}, "param [replacement] must be a string, not number"),
        ("redact", {"field": "a"}, "unknown param [field]; this processor accepts [fields], [replacement]"),
        ("conformance", {"calls": {}}, "param [calls] must be an array"),
        ("conformance", {"calls": [{"op": "get_field", "key": "a"}, {"op": "jump"}]}, "param [calls]: call 1: unknown op [jump]"),
    ],
)
def test_example_params_are_checked_once_at_load(name: str, params: dict[str, Any], message: str) -> None:
    """A bad param refuses the pipeline at load, naming the param, instead of
    failing every document."""
    with pytest.raises(PipelineConfigError) as info:
        Pipeline.from_module(FIXTURES / f"{name}.wasm", params)
    assert f"configure rejected the params: {message}" in str(info.value)


@pytest.mark.parametrize(
    "name,params,doc,expected",
    [
        ("kv_parse", {}, {"message": "a=1"}, {"message": "a=1", "kv": {"a": "1"}}),
        ("kv_parse", {"field": "m", "target_field": "", "ignore_missing": True}, {"x": 1}, {"x": 1}),
        ("set_timestamp", {"field": None}, {}, lambda doc: isinstance(doc["event"]["ingested"], str)),
        ("rename_field", {"from": "a", "to": "b", "remove_source": False}, {"a": 1}, {"a": 1, "b": 1}),
        ("rename_field", {"from": "a", "to": "a"}, {"a": 1}, {"a": 1}),
        ("drop_when", {"equals": "debug"}, {"log": {"level": "debug"}}, None),
        ("drop_when", {"field": "n", "equals": 1.0}, {"n": 2}, {"n": 2}),
        ("redact", {"fields": "a", "replacement": "x"}, {"a": 1, "b": 2}, {"a": "x", "b": 2}),
        ("redact", {}, {"a": 1}, {"a": 1}),
        ("conformance", {}, {"a": 1}, {"a": 1}),
    ],
)
def test_example_params_accepted(name: str, params: dict[str, Any], doc: dict[str, Any], expected: Any) -> None:
    with Pipeline.from_module(FIXTURES / f"{name}.wasm", params) as pipeline:
        result = pipeline.process(doc)
    assert expected(result) if callable(expected) else result == expected, result


# ---------------------------------------------------------------- the README tutorial

TUTORIAL_HEADING = "## Five-minute tutorial: a processor in Rust"
_FENCE = re.compile(r"^( *)```(\w*)(.*)$")
_MARK = "@@tutorial-block "
_EOF = "__TUTORIAL_FILE_EOF__"


@dataclass
class _Block:
    lang: str
    title: str | None  # the file a non-shell block is saved as: ```toml title="Cargo.toml"
    body: str
    prose: str  # the README text between the previous block and this one


def _tutorial_blocks() -> list[_Block]:
    """The fenced blocks of the README's tutorial section, in order, dedented
    to their fence."""
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert readme.count(TUTORIAL_HEADING) == 1
    section = readme.split(TUTORIAL_HEADING, 1)[1].split("\n## ", 1)[0]
    blocks: list[_Block] = []
    prose: list[str] = []
    lines = iter(section.splitlines())
    for line in lines:
        fence = _FENCE.match(line)
        if not fence:
            prose.append(line)
            continue
        indent, lang, info = fence.groups()
        body = []
        for inner in lines:
            if inner == indent + "```":
                break
            assert inner.startswith(indent) or not inner.strip(), f"a line of a {lang} block is not indented as its fence: {inner!r}"
            body.append(inner[len(indent):])
        else:
            raise AssertionError(f"unclosed {lang} block in the tutorial")
        title = re.search(r'title="([^"]+)"', info)
        blocks.append(_Block(lang, title.group(1) if title else None, "\n".join(body) + "\n", "\n".join(prose)))
        prose = []
    return blocks


def _tutorial_script(blocks: list[_Block]) -> str:
    """One bash script doing what a reader does in one shell: run each shell
    block as it stands, save each file block (under its title, relative to
    the shell's current directory). A marker line separates the blocks'
    output."""
    parts = ["set -euo pipefail", "exec 2>&1"]
    for n, block in enumerate(blocks):
        parts.append(f"echo '{_MARK}{n}'")
        if block.lang == "bash":
            parts.append(block.body)
        else:
            assert block.title, f"tutorial block {n} ({block.lang}) is neither bash nor a file with a title"
            assert f"`{block.title}`" in block.prose, f"the text before block {n} does not name its file `{block.title}`"
            assert _EOF not in block.body
            parts.append(f"cat > {shlex.quote(block.title)} <<'{_EOF}'\n{block.body}{_EOF}")
    return "\n".join(parts) + "\n"


def _expected_output(block: _Block) -> list[re.Pattern[str]]:
    """The `# ` lines of a shell block: what its commands print, `...` for any text."""
    return [
        re.compile(".*".join(re.escape(part) for part in line[2:].split("...")))
        for line in block.body.splitlines()
        if line.startswith("# ")
    ]


@pytest.mark.usefixtures("toolchain")
def test_readme_tutorial_runs_as_written(tmp_path: Path) -> None:
    """The tutorial's commands and files, taken literally from README.md, run
    from a directory laid out as the repository's root; every output line the
    README shows is printed, in order. A stand-in for a newer default cargo
    comes first on PATH, so every cargo command must pick Debian's itself."""
    blocks = _tutorial_blocks()
    assert [b.title for b in blocks if b.title] == ["Cargo.toml", "src/lib.rs", "pipeline.yml"]
    root = tmp_path / "checkout"
    root.mkdir()
    _copy_sdk(root)
    (root / ".venv").symlink_to(ROOT / ".venv")
    (root / "fixtures").symlink_to(ROOT / "fixtures")
    newer = tmp_path / "newer-toolchain"
    newer.mkdir()
    for tool in ("cargo", "rustc"):
        (newer / tool).write_text(f"#!/bin/sh\necho 'a newer {tool}, not Debian: put /usr/bin first on PATH' >&2\nexit 1\n")
        (newer / tool).chmod(0o755)
    env = {k: v for k, v in os.environ.items() if not k.startswith(("CARGO", "RUST"))}
    env["PATH"] = f"{newer}:{env.get('PATH', '/usr/bin:/bin')}"
    env["CARGO_HOME"] = str(tmp_path / "cargo-home")  # no user config, no registry
    script = _tutorial_script(blocks)
    result = subprocess.run(["bash", "-c", script], cwd=root, env=env, capture_output=True, text=True, timeout=900)
    output = result.stdout
    assert result.returncode == 0, f"the tutorial failed:\n{script}\n---\n{output[-6000:]}"
    pieces = re.split(rf"^{re.escape(_MARK)}(\d+)\n", output, flags=re.M)[1:]
    by_block = {int(n): text.splitlines() for n, text in zip(pieces[::2], pieces[1::2])}
    assert sorted(by_block) == list(range(len(blocks)))
    checked = 0
    for n, block in enumerate(blocks):
        printed = iter(by_block[n])
        for pattern in _expected_output(block):
            assert any(pattern.fullmatch(line) for line in printed), (
                f"tutorial block {n} does not print {pattern.pattern!r} (in order); it printed:\n" + "\n".join(by_block[n])
            )
            checked += 1
    assert checked >= 5

    # What the tutorial claims, checked directly on the module it built.
    module = root / "my_proc" / "target" / "wasm32-unknown-unknown" / "release" / "my_proc.wasm"
    with Pipeline.from_module(module, {"field": "user.name"}) as pipeline:
        assert pipeline.process({"user": {"name": "ALICE"}}) == {"user": {"name": "alice"}}
        assert pipeline.process({"user": {"name": "healthcheck"}}) is None
        assert pipeline.process({"other": 1}) == {"other": 1}
    for params, message in [
        ({"field": 5}, "param [field] must be a string, not number"),
        ({"field": "user.name", "feild": "x"}, "unknown param [feild]; this processor accepts [field]"),
    ]:
        with pytest.raises(PipelineConfigError) as info:
            Pipeline.from_module(module, params)
        assert f"configure rejected the params: {message}" in str(info.value)
