"""The C guest SDK (guest_sdk_c/): its modules rebuilt from source byte for
byte, its kv_parse example giving exactly the Rust kv_parse's output (no-libc
and WASI variants, through ``ingesthost process``), the header's JSON helpers
through a test guest, its two allocators, and the ABI conformance vectors
through a C driver guest.

The tests build with clang + lld (+ wasi-libc); scripts/setup.sh --dev
installs them. Where they are missing the tests skip, unless
INGESTHOST_REQUIRE_TOOLCHAINS=1 (set by scripts/test.sh, so in CI), where
they fail instead.
"""

from __future__ import annotations

import json
import logging
import os
import random
import re
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from ingesthost import Pipeline
from ingesthost.engine import Engine
from ingesthost.errors import PipelineConfigError
from ingesthost.guest import GuestModule

from test_conformance import CASES, _Collect, check_vector

ROOT = Path(__file__).resolve().parent.parent
SDK = ROOT / "guest_sdk_c"
FIXTURES = ROOT / "fixtures" / "wasm"
C_FIXTURES = FIXTURES / "c"
TOOLS = ("/usr/bin/clang", "/usr/bin/wasm-ld", "/usr/lib/wasm32-wasi/crt1-reactor.o", "/usr/lib/wasm32-wasi/libc.a")
VARIANTS = ("", "_wasi")  # no libc, WASI reactor


def _toolchain_problem() -> str | None:
    for tool in TOOLS:
        if not os.path.exists(tool):
            return f"{tool} is missing"
    if not list(Path("/usr/lib").glob("llvm-*/lib/clang/*/lib/wasi/libclang_rt.builtins-wasm32.a")):
        return "libclang_rt.builtins-wasm32.a is missing (libclang-rt-14-dev-wasm32)"
    return None


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Every C module (examples and test guests, both variants) built from a
    copy of guest_sdk_c in another directory."""
    problem = _toolchain_problem()
    if problem:
        message = f"clang + lld + wasi-libc needed: {problem}; run scripts/setup.sh --dev"
        if os.environ.get("INGESTHOST_REQUIRE_TOOLCHAINS") == "1":
            pytest.fail(message)
        pytest.skip(message)
    tmp = tmp_path_factory.mktemp("c_sdk")
    copy = tmp / "some other checkout" / "guest_sdk_c"
    shutil.copytree(SDK, copy)
    out = tmp / "out"
    env = dict(os.environ, CFLAGS="-O0 -g", LDFLAGS="-Wl,--export-all")  # ignored by build.sh
    result = subprocess.run(
        ["bash", str(copy / "build.sh"), "--with-tests", "--out", str(out)],
        env=env, capture_output=True, text=True, timeout=300,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    return out


def test_examples_rebuild_byte_for_byte_elsewhere(built: Path) -> None:
    committed = sorted(p.name for p in C_FIXTURES.glob("*.wasm"))
    assert committed == ["kv_parse.wasm", "kv_parse_wasi.wasm"]
    for name in committed:
        assert (built / name).read_bytes() == (C_FIXTURES / name).read_bytes(), f"{name} differs"


def test_build_check_mode(built: Path) -> None:
    """build.sh --check in the checkout itself (`built` only for the toolchain check)."""
    result = subprocess.run(["bash", str(SDK / "build.sh"), "--check"], capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.count("same as fixtures/wasm/c/") == 2


# ------------------------------------------------------- kv_parse, C vs Rust


def _edge_cases() -> list[dict[str, Any]]:
    """Documents that exercise every rule of kv_parse: quotes, escapes,
    duplicates, skipped tokens, whitespace kinds, Unicode, control bytes,
    missing and non-string fields."""
    docs: list[dict[str, Any]] = [
        {"message": 'user=alice status=200 msg="disk full"'},
        {"message": 'a=1 a=2 b=3 a=4'},
        {"message": 'noequals =empty k= .x=1 x.y=2 z=ok'},
        {"message": r'q="a\"b" r="c\\d" s="e\nf" t="unterminated'},
        {"message": 'a="x"y=1 b=""  c="" '},
        {"message": "tab\tsep=1\x0bvt=2\x0cff=3\rcr=4\nnl=5"},
        {"message": "é=ü 😀=\"smile 😀\" k=\u0000\u0001\u001f"},
        {"message": "a=b=c ==x ='q' k='single quoted'"},
        {"message": ""},
        {"message": "   "},
        {"message": "\\=\\ \"=\" key=\"\\\\\" end=\\\""},
        {"message": 5},
        {"message": None},
        {"message": ["a=1"]},
        {"message": {"a": "b=1"}},
        {"other": "x=1"},
        {"message": "kv=1", "kv": {"old": True}},
        {"log": {"line": "nested=yes path=/a/b"}, "message": "m=1"},
    ]
    rng = random.Random(1234)
    alphabet = ["a", "b", "k", "=", "=", " ", " ", "\t", "\n", "\x0b", "\x0c", "\r", '"', '"', "\\", ".", "é", "😀", "\x00", "\x7f", "1"]
    for _ in range(300):
        docs.append({"message": "".join(rng.choice(alphabet) for _ in range(rng.randint(0, 40)))})
    return docs


PARAM_SETS: list[dict[str, Any]] = [
    {},
    {"target_field": ""},
    {"field": "log.line", "target_field": "parsed.kv", "ignore_missing": True},
    {"ignore_missing": True, "target_field": None},
    {"target_field": "message"},
]


def _run_cli(module: Path, inputs: list[Path], params: dict[str, Any], out: Path) -> tuple[bytes, bytes]:
    args = [sys.executable, "-m", "ingesthost", "process", "--module", str(module), "--quiet",
            "--output", str(out / "out.ndjson"), "--failures", str(out / "failures.ndjson")]
    for key, value in params.items():
        args += ["--param", f"{key}={json.dumps(value)}"]
    result = subprocess.run(args + [str(p) for p in inputs], capture_output=True, text=True, timeout=300)
    assert result.returncode in (0, 1), result.stderr
    return (out / "out.ndjson").read_bytes(), (out / "failures.ndjson").read_bytes()


@pytest.mark.parametrize("params", PARAM_SETS, ids=[json.dumps(p) for p in PARAM_SETS])
def test_kv_parse_same_output_as_rust(built: Path, tmp_path: Path, params: dict[str, Any]) -> None:
    """The Rust kv_parse and both C builds, through `ingesthost process`,
    write the same output and failure files, byte for byte."""
    edge = tmp_path / "edge.ndjson"
    edge.write_text("".join(json.dumps(d, ensure_ascii=False) + "\n" for d in _edge_cases()), encoding="utf-8")
    inputs = sorted((ROOT / "fixtures" / "sample").glob("*.ndjson")) + [edge]
    results = {}
    for label, module in [("rust", FIXTURES / "kv_parse.wasm")] + [
        (f"c{v or '_nolibc'}", built / f"kv_parse{v}.wasm") for v in VARIANTS
    ]:
        out = tmp_path / label
        out.mkdir()
        results[label] = _run_cli(module, inputs, params, out)
    rust_out, rust_failures = results["rust"]
    assert rust_out.count(b"\n") > 300
    if not params.get("ignore_missing"):
        assert rust_failures.count(b"\n") >= 5
    for label, (out, failures) in results.items():
        assert out == rust_out, f"{label}: output differs from Rust's"
        assert failures == rust_failures, f"{label}: failures differ from Rust's"


@pytest.mark.parametrize(
    "params,message",
    [
        ({"field": 5}, "param [field] must be a string, not number"),
        ({"feild": "message"}, "unknown param [feild]; this processor accepts [field], [target_field], [ignore_missing]"),
        ({"ignore_missing": "yes"}, "param [ignore_missing] must be a boolean, not string"),
        ({"target_field": ["a"]}, "param [target_field] must be a string, not array"),
        ({"ignore_missing": {}}, "param [ignore_missing] must be a boolean, not object"),
    ],
)
@pytest.mark.parametrize("variant", VARIANTS)
def test_kv_parse_params_refused_as_rust_refuses_them(built: Path, variant: str, params: dict[str, Any], message: str) -> None:
    for module in (FIXTURES / "kv_parse.wasm", built / f"kv_parse{variant}.wasm"):
        with pytest.raises(PipelineConfigError) as info:
            Pipeline.from_module(module, params)
        assert f"configure rejected the params: {message}" in str(info.value), module


# ------------------------------------------------------------ JSON helpers

STRINGS = [
    "", "plain", 'quote " backslash \\ slash /', "\n\r\t\b\f", "\x00\x01\x1f\x7f", "é ü ß €", "😀 \U0010ffff",
    "\u2028\u2029", "a\\u0041", "mixed \x00 é \"q\" \\", "x" * 5000,
]


@pytest.mark.parametrize("variant", ["", "_wasi", "_free_list", "_free_list_wasi"])
def test_json_string_helpers(built: Path, variant: str) -> None:
    """Unescape (of the host's JSON) then escape gives Python's own JSON
    text for the string (the same rules as the Rust SDK's escape)."""
    rng = random.Random(7)
    pool = [chr(c) for c in range(0, 0x80)] + ["é", "€", "😀", "\U0010ffff", "\ufeff"]
    strings = STRINGS + ["".join(rng.choice(pool) for _ in range(rng.randint(0, 30))) for _ in range(200)]
    with Pipeline.from_module(built / f"json_helpers{variant}.wasm") as pipeline:
        for s in strings:
            out = pipeline.process({"s": s})
            assert out["escaped"] == json.dumps(s, ensure_ascii=False), repr(s)
            assert out["roundtrip"] == s
            assert out["u64_max"] == str(2**64 - 1)


@pytest.mark.parametrize(
    "text,expected",
    [
        ('"abc"', "abc"),
        ('  "a\\"b\\\\c\\/d\\b\\f\\n\\r\\t"  ', 'a"b\\c/d\b\f\n\r\t'),
        ('"\\u0041\\u00e9\\u20ac\\ud83d\\ude00\\uD83D\\uDE00"', "Aé€😀😀"),
        ('"\\u0000"', "\x00"),
        ('"é 😀"', "é 😀"),
        ('""', ""),
        ('"\\ud800"', ("error", "lone surrogate")),
        ('"\\udc00x"', ("error", "lone surrogate")),
        ('"\\ud800\\u0041"', ("error", "lone surrogate")),
        ('"\\ud800x"', ("error", "lone surrogate")),
        ('"\\x"', ("error", "invalid escape")),
        ('"\\u12"', ("error", "invalid escape")),
        ('"\\u12g4"', ("error", "invalid escape")),
        ('"a\nb"', ("error", "control character in string")),
        ('"a"b"', ("error", "not a JSON string")),
        ("abc", ("error", "not a JSON string")),
        ('"abc', ("error", "not a JSON string")),
        ('"', ("error", "not a JSON string")),
        ("", ("error", "not a JSON string")),
    ],
)
def test_json_unescape(built: Path, text: str, expected: Any) -> None:
    with Pipeline.from_module(built / "json_helpers.wasm") as pipeline:
        out = pipeline.process({"unescape": text})
    if isinstance(expected, tuple):
        assert out.get("unescape_error") == expected[1] and "unescaped" not in out, out
    else:
        assert out.get("unescaped") == expected and "unescape_error" not in out, out


@pytest.mark.parametrize(
    "value,text",
    [
        (0, "0"), (7, "7"), (-1, "-1"), (2**63 - 1, "9223372036854775807"), (-(2**63), "-9223372036854775808"),
        (1234567890123, "1234567890123"), (2**63, None), (2**64 - 1, None),
        (1.5, None), (1e3, None), ("12", None), (True, None), (None, None),
    ],
)
def test_json_integers(built: Path, value: Any, text: str | None) -> None:
    with Pipeline.from_module(built / "json_helpers.wasm") as pipeline:
        out = pipeline.process({"n": value})
    if text is None:
        assert out.get("n_error") is True and "n_text" not in out, out
    else:
        assert out["n_text"] == text and out["n_back"] == value and type(out["n_back"]) is int, out


@pytest.mark.parametrize(
    "raw,valid,type_,members",
    [
        ('{"a": 1, "b": [1, {"c": null}], "d\\"e": "x"}', True, "object", ["a", "b", 'd"e']),
        ("[1, 2.5e-3, -0, true, false, null, \"s\", [], {}]", True, "array", 9),
        ("[]", True, "array", 0),
        ("{}", True, "object", []),
        ('  "s"  ', True, "string", None),
        ("-12.5E+3", True, "number", None),
        ("true", True, "boolean", None),
        ("null", True, "null", None),
        ('{"a": 1,}', False, "object", None),
        ("[1 2]", False, "array", None),
        ("01", False, "number", None),
        ("1.", False, "number", None),
        ('{"a" 1}', False, "object", None),
        ("[1] x", False, "array", 1),
        ("nul", False, "null", None),
        ("[" * 600 + "]" * 600, False, "array", None),
    ],
)
def test_json_scanning(built: Path, raw: str, valid: bool, type_: str, members: Any) -> None:
    with Pipeline.from_module(built / "json_helpers.wasm") as pipeline:
        out = pipeline.process({"raw": raw})
    assert out["raw_valid"] is valid and out["raw_type"] == type_, out
    if members is not None:
        assert out["raw_members"] == members, out


@pytest.mark.parametrize("variant", ["", "_free_list"])
def test_allocators_do_not_grow_across_documents(built: Path, variant: str) -> None:
    """The bump allocator resets at every document and the free list reuses
    freed blocks: the heap's top stays put once warm."""
    with Pipeline.from_module(built / f"json_helpers{variant}.wasm") as pipeline:
        tops = [pipeline.process({"heap": 200_000, "s": "x" * 1000})["heap_top"] for _ in range(50)]
    assert len(set(tops[2:])) == 1, tops


# ------------------------------------------------------ conformance vectors


@pytest.fixture(scope="module", params=VARIANTS, ids=["nolibc", "wasi"])
def c_conformance(request: pytest.FixtureRequest, built: Path, engine: Engine) -> GuestModule:
    return GuestModule.from_file(built / f"conformance{request.param}.wasm", engine)


@pytest.mark.parametrize("name,case", CASES, ids=[name for name, _ in CASES])
def test_vector_through_c_sdk(c_conformance: GuestModule, name: str, case: dict[str, Any]) -> None:
    """The ABI conformance vectors, each call made from C through the
    header's imports (raw bytes for the *_hex cases)."""
    check_vector(c_conformance, case, "c_conformance")


def test_c_conformance_extra_ops(built: Path) -> None:
    calls = [{"op": "abi_version"}, {"op": "now"}, {"op": "log", "level": 9, "message": "x"}]
    with Pipeline.from_module(built / "conformance.wasm", {"calls": calls}, tag="c_extra") as pipeline:
        collect = _Collect()
        logger = logging.getLogger("ingesthost.guest.c_extra")
        logger.addHandler(collect)
        logger.setLevel(logging.DEBUG)
        try:
            assert pipeline.process({}) == {}
        finally:
            logger.removeHandler(collect)
    results = [json.loads(line) for line in collect.lines if line.startswith("{")]
    assert results[0]["status"] == 0 and results[0]["value"] >> 16 == 1  # the host's (major << 16) | minor
    assert results[1]["status"] == 0 and results[1]["value"] > 1_700_000_000 * 10**9
    assert results[2] == {"i": 2, "status": 2, "value": None}


# ------------------------------------------------------------ the README


def test_readme_c_section_builds_and_runs(built: Path, tmp_path: Path) -> None:
    """The README's C processor, saved as `lowercase.c` and built with the
    README's two commands, does what the Rust tutorial's processor does."""
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    section = readme.split("## Writing processors in C\n", 1)[1].split("\n## ", 1)[0]
    (code,) = re.findall(r"^```c\n(.*?)^```$", section, flags=re.S | re.M)
    (commands,) = re.findall(r"^```bash\n(.*?)^```$", section, flags=re.S | re.M)
    (tmp_path / "lowercase.c").write_text(code, encoding="utf-8")
    (tmp_path / "guest_sdk_c").symlink_to(SDK)
    result = subprocess.run(["bash", "-euo", "pipefail", "-c", commands], cwd=tmp_path, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0 and not result.stderr, result.stderr
    for name in ("lowercase.wasm", "lowercase_wasi.wasm"):
        with Pipeline.from_module(tmp_path / name, {"field": "user.name"}) as pipeline:
            assert pipeline.process({"user": {"name": "ALICE"}}) == {"user": {"name": "alice"}}
            assert pipeline.process({"user": {"name": "HealthCheck"}}) is None
            assert pipeline.process({"other": 1}) == {"other": 1}
        with pytest.raises(PipelineConfigError) as info:
            Pipeline.from_module(tmp_path / name, {"feild": "x"})
        assert "configure rejected the params: unknown param [feild]; this processor accepts [field]" in str(info.value)
