"""The Rust SDK: its own unit tests, byte-for-byte reproducible example
modules, and the README's tutorial processor built and run for real.

These need Debian's Rust toolchain with the wasm32 std (scripts/setup.sh
--dev installs it). Where it is missing they skip, unless
INGESTHOST_REQUIRE_TOOLCHAINS=1 (set by scripts/test.sh, so in CI), where
they fail instead.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from ingesthost import Pipeline

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


@pytest.fixture(scope="module", autouse=True)
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
    copy = dest / "guest_sdk_rust"
    shutil.copytree(SDK, copy, ignore=shutil.ignore_patterns("target"))
    return copy


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
    committed = sorted(p.name for p in FIXTURES.glob("*.wasm"))
    assert built == committed and len(built) == 7
    for name in built:
        assert (out / name).read_bytes() == (FIXTURES / name).read_bytes(), f"{name} differs"


def _tutorial_source() -> str:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    blocks = re.findall(r"```rust\n(.*?)```", readme, flags=re.S)
    assert len(blocks) == 1, "the README has one Rust tutorial block"
    return "\n".join(line[3:] if line.startswith("   ") else line for line in blocks[0].splitlines()) + "\n"


def test_readme_tutorial_builds_and_runs(tmp_path: Path) -> None:
    crate = tmp_path / "my_proc"
    (crate / "src").mkdir(parents=True)
    (crate / "src" / "lib.rs").write_text(_tutorial_source())
    (crate / "Cargo.toml").write_text(
        "[package]\nname = \"my_proc\"\nversion = \"0.1.0\"\nedition = \"2021\"\n\n"
        f"[dependencies]\nelastic_ingest = {{ path = \"{SDK}\" }}\n\n"
        "[lib]\ncrate-type = [\"cdylib\"]\n\n"
        "[profile.release]\nopt-level = \"s\"\nlto = true\npanic = \"abort\"\nstrip = true\n"
    )
    env = _debian_env()
    env["CARGO_TARGET_DIR"] = str(tmp_path / "target")
    env["CARGO_HOME"] = str(tmp_path / "cargo-home")
    result = subprocess.run(
        ["/usr/bin/cargo", "build", "--release", "--offline", "--target", "wasm32-unknown-unknown"],
        cwd=crate, env=env, capture_output=True, text=True, timeout=600,
    )
    assert result.returncode == 0, result.stderr
    module = tmp_path / "target" / "wasm32-unknown-unknown" / "release" / "my_proc.wasm"
    with Pipeline.from_module(module, {"field": "user.name"}) as pipeline:
        assert pipeline.process({"user": {"name": "ALICE"}}) == {"user": {"name": "alice"}}
        assert pipeline.process({"user": {"name": "healthcheck"}}) is None
        assert pipeline.process({"other": 1}) == {"other": 1}
