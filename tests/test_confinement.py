"""Pipeline files that point outside where they should (issue 5): with
``confine_to``, every module, nested pipeline and WASI directory a pipeline
names must lie inside one directory, symlinks followed."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from ingesthost import Pipeline, PipelineConfigError

ROOT = Path(__file__).resolve().parent.parent
BENCH_EDIT = ROOT / "fixtures" / "wasm" / "bench_edit.wasm"


@pytest.fixture
def tree(tmp_path: Path) -> Path:
    """tmp/inside/{p.yml, m.wasm, data/}, tmp/outside/{m.wasm, other.yml}"""
    inside, outside = tmp_path / "inside", tmp_path / "outside"
    (inside / "data").mkdir(parents=True)
    outside.mkdir()
    shutil.copy(BENCH_EDIT, inside / "m.wasm")
    shutil.copy(BENCH_EDIT, outside / "m.wasm")
    (outside / "other.yml").write_text("processors: []\n")
    return tmp_path


def load(tree: Path, text: str) -> Pipeline:
    path = tree / "inside" / "p.yml"
    path.write_text(text)
    return Pipeline.from_file(path, cache=False, confine_to=tree / "inside")


def test_paths_inside_load(tree: Path) -> None:
    with load(tree, "processors:\n  - wasm: {module: m.wasm, wasi: {preopens: {/d: data}}}\n") as p:
        assert p.process({"user": {"name": "a"}})["summary"] == "a:-"


@pytest.mark.parametrize(
    "text,what",
    [
        ("processors:\n  - wasm: {module: ../outside/m.wasm, tag: up}\n", "module"),
        ("processors:\n  - wasm: {module: OUTSIDE/m.wasm, tag: abs}\n", "module"),
        ("processors:\n  - pipeline: {name: ../outside/other, tag: nested}\n", "pipeline file"),
        ("processors:\n  - wasm: {module: m.wasm, tag: pre, wasi: {preopens: {/etc: /etc}}}\n", "WASI preopen directory"),
        ("processors:\n  - wasm: {module: link.wasm, tag: link}\n", "module"),
    ],
)
def test_paths_outside_are_refused(tree: Path, text: str, what: str) -> None:
    (tree / "inside" / "link.wasm").symlink_to(tree / "outside" / "m.wasm")
    text = text.replace("OUTSIDE", str(tree / "outside"))
    with pytest.raises(PipelineConfigError) as info:
        load(tree, text)
    message = str(info.value)
    assert f"{what} " in message and "is outside" in message and str(tree / "inside") in message
    assert "p.yml" in message and "tag [" in message


def test_without_confinement_outside_paths_load(tree: Path) -> None:
    path = tree / "inside" / "p.yml"
    path.write_text("processors:\n  - wasm: {module: ../outside/m.wasm}\n")
    with Pipeline.from_file(path, cache=False) as p:
        assert p.process({})["summary"] == "-:-"


@pytest.mark.parametrize("isolation", ["process", "none"])
def test_cli_confine_to(tree: Path, isolation: str) -> None:
    from ingesthost.cli import main

    pipeline = tree / "inside" / "p.yml"
    pipeline.write_text("processors:\n  - wasm: {module: ../outside/m.wasm, tag: up}\n")
    source = tree / "in.ndjson"
    source.write_text("{}\n")
    out = tree / "out.ndjson"
    common = ["process", str(source), "-p", str(pipeline), "-o", str(out), "-q", "--isolation", isolation]
    assert main(common + ["--confine-to", str(tree / "inside")]) == 2
    assert not out.exists()
    assert main(common) == 0
    assert out.read_text() == '{"summary":"-:-"}\n'
