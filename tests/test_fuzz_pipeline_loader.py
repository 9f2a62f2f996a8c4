"""Fuzzing the pipeline loader with arbitrary definitions and files.

Long mode (20x the examples; see tests/fuzz_profiles.py)::

    INGESTHOST_FUZZ=long /tmp/venv/bin/python -m pytest -q tests/test_fuzz_pipeline_loader.py

Properties:

* a definition built only from what the builder accepts loads, and every
  document it processes comes out as a JSON object, None (dropped) or a
  ProcessorError;
* any JSON-like structure (valid definitions mutated, YAML-ish junk with
  non-string keys, dates, NaN, deep nesting) either loads or raises
  ``PipelineConfigError``, never another exception;
* any text or bytes in a ``.json``/``.yml``/``.yaml``/other file either
  loads or raises ``PipelineConfigError`` whose message names the file.

The strategies are tables (:data:`PROCESSOR_OPTIONS`, :data:`COMMON_OPTIONS`,
:data:`PIPELINE_OPTIONS`): a new processor type or option is one entry.
Types the builder knows but the table does not (added since) still get
generated, with generic options.
"""

from __future__ import annotations

import atexit
import itertools
import json
import os
import shutil
import tempfile
from pathlib import Path
from typing import Any

import orjson
import pytest
import yaml
from hypothesis import event, given, strategies as st

from fuzz_profiles import fuzz_settings
from ingesthost import Pipeline, config
from ingesthost import runtime as runtimes
from ingesthost.engine import EngineSet
from ingesthost.errors import PipelineConfigError, ProcessorError
from ingesthost.loader import ModuleLoader

#: The compilers of the runtime the suite runs on (LLVM and Singlepass are wasmer's).
COMPILERS = runtimes.backend().COMPILERS

ROOT = Path(__file__).resolve().parent.parent
WASM = ROOT / "fixtures" / "wasm"
MODULES = [WASM / "bench_edit.wasm", WASM / "kv_parse.wasm", WASM / "set_timestamp.wasm"]

#: Where nested pipelines (``pipeline`` processors) and fuzzed files live.
BASE = Path(tempfile.mkdtemp(prefix="ingesthost-fuzz-loader-"))
(BASE / "sub.yml").write_text("processors:\n  - set: {field: from_sub, value: 1}\n", encoding="utf-8")
(BASE / "sub_json.json").write_text('{"processors": [{"drop": {"if": "ctx.drop_me == true"}}]}', encoding="utf-8")
(BASE / "broken.yml").write_text("processors: [\n", encoding="utf-8")
(BASE / "loop.yml").write_text("processors:\n  - pipeline: {name: loop}\n", encoding="utf-8")
_file_numbers = itertools.count()
atexit.register(shutil.rmtree, BASE, ignore_errors=True)


def builder_processor_types() -> set[str]:
    """The processor types the pipeline builder accepts right now."""
    builder = config.PipelineBuilder(source=None, base_dir=BASE, loader=ModuleLoader(EngineSet("cranelift"), None))
    return set(builder._factories)


TIMEOUTS = "timeout" in config.PIPELINE_KEYS  # being added: generate it only once the builder knows it

# --------------------------------------------------------------------------
# Valid pieces
# --------------------------------------------------------------------------

field_paths = st.sampled_from(["a", "a.b", "message", "tags.0", "_ingest.x", "x.y.z", "kv"])
templates = st.sampled_from(["{{a}}", "{{{a}}}", "x-{{a.b}}", "{{_ingest.timestamp}}", "{{&message}}"])
#: Text that is not a template (``set`` values and their keys are templates).
plain_text = st.text(max_size=10).filter(lambda s: "{{" not in s)
json_scalars = st.one_of(
    st.booleans(), st.integers(-(2**63), 2**64 - 1), st.floats(allow_nan=False, allow_infinity=False), plain_text
)
json_values = st.recursive(
    json_scalars, lambda inner: st.lists(inner, max_size=3) | st.dictionaries(plain_text, inner, max_size=3), max_leaves=6
)
conditions = st.sampled_from(
    ["ctx.a == 1", "ctx.a?.b != null", "ctx.x == 'y' && ctx.n > 3", "true", "!false", "ctx.tags?.contains('x')",
     "ctx.drop == true", "ctx.a instanceof String", "ctx.n != null && ctx.n > 2 ? true : false"]
)
module_paths = st.one_of(
    st.sampled_from([str(m) for m in MODULES]),
    st.sampled_from([os.path.relpath(m, BASE) for m in MODULES]),
)

#: type -> option -> (required, strategy of a valid value)
PROCESSOR_OPTIONS: dict[str, dict[str, tuple[bool, st.SearchStrategy]]] = {
    "wasm": {
        "module": (True, module_paths),
        # kv_parse and set_timestamp check their params at load: only these are valid for all MODULES.
        "params": (False, st.fixed_dictionaries({}, optional={"field": field_paths})),
        "compiler": (False, st.sampled_from(COMPILERS)),
        "max_memory": (False, st.sampled_from(["64MiB", 2**27, "1 GiB", "32mb"])),
        "wasi": (False, st.just({})),
        **({"timeout": (False, st.sampled_from([0.5, 1, 30]))} if TIMEOUTS else {}),
    },
    "set": {
        "field": (True, field_paths),
        "value": (True, st.one_of(json_values, templates)),
        "override": (False, st.booleans()),
        "ignore_empty_value": (False, st.booleans()),
        "media_type": (False, st.sampled_from(["application/json", "text/plain", "application/x-www-form-urlencoded"])),
    },
    "remove": {
        "field": (True, st.one_of(field_paths, st.lists(field_paths, min_size=1, max_size=3))),
        "ignore_missing": (False, st.booleans()),
    },
    "rename": {
        "field": (True, field_paths),
        "target_field": (True, field_paths),
        "ignore_missing": (False, st.booleans()),
        "override": (False, st.booleans()),
    },
    "drop": {},
    "fail": {"message": (True, st.one_of(plain_text, templates))},
    "pipeline": {
        "name": (True, st.sampled_from(["sub", "sub_json", "sub.yml"])),
        "ignore_missing_pipeline": (False, st.booleans()),
    },
    # Elasticsearch's common processors (registered in ingesthost/processors/common.py)
    **{
        kind: {"field": (True, field_paths), "target_field": (False, field_paths), "ignore_missing": (False, st.booleans())}
        for kind in ("lowercase", "uppercase", "trim", "html_strip", "urldecode", "bytes")
    },
    "gsub": {
        "field": (True, field_paths),
        "pattern": (True, st.sampled_from(["(?<n>-)", "(?<n>\\d+)", "(?<n>a)x*"])),  # a group for every replacement
        "replacement": (True, st.sampled_from([".", "$1", "${n}", "\\$"])),
    },
    "split": {
        "field": (True, field_paths),
        "separator": (True, st.sampled_from([",", "\\s+", "|", ""])),
        "preserve_trailing": (False, st.booleans()),
        "ignore_missing": (False, st.booleans()),
    },
    "join": {"field": (True, field_paths), "separator": (True, plain_text), "target_field": (False, field_paths)},
    "sort": {"field": (True, field_paths), "order": (False, st.sampled_from(["asc", "desc"]))},
    "convert": {
        "field": (True, field_paths),
        "type": (True, st.sampled_from(["integer", "long", "float", "double", "boolean", "string", "ip", "auto"])),
        "ignore_missing": (False, st.booleans()),
    },
    "append": {
        "field": (True, field_paths),
        "value": (True, st.one_of(json_values, templates)),
        "allow_duplicates": (False, st.booleans()),
    },
    "json": {
        "field": (True, field_paths),
        "add_to_root": (False, st.just(False)),
        "allow_duplicate_keys": (False, st.booleans()),
        "strict_json_parsing": (False, st.booleans()),
    },
    "dot_expander": {"field": (True, st.sampled_from(["*", "a.b", "x.y.z"])), "override": (False, st.booleans())},
    "fingerprint": {
        "fields": (True, st.lists(field_paths, min_size=1, max_size=3)),
        "method": (False, st.sampled_from(["MD5", "SHA-1", "SHA-256", "SHA-512", "MurmurHash3"])),
        "salt": (False, plain_text),
        "ignore_missing": (False, st.booleans()),
    },
    "community_id": {
        "source_ip": (False, field_paths),
        "destination_ip": (False, field_paths),
        "source_port": (False, field_paths),
        "destination_port": (False, field_paths),
        "transport": (False, field_paths),
        "target_field": (False, field_paths),
        "seed": (False, st.integers(min_value=0, max_value=65535)),
        "ignore_missing": (False, st.booleans()),
    },
    "kv": {
        "field": (True, field_paths),
        "field_split": (True, st.sampled_from([" ", "&", ",\\s*"])),
        "value_split": (True, st.sampled_from(["=", ":"])),
        "target_field": (False, field_paths),
        "prefix": (False, plain_text),
        "trim_value": (False, st.sampled_from(["<>", " "])),
        "strip_brackets": (False, st.booleans()),
        "ignore_missing": (False, st.booleans()),
    },
    "dissect": {
        "field": (True, field_paths),
        "pattern": (True, st.sampled_from(["%{a} %{b}", "%{a->} %{+a}", "%{*k}=%{&k}", "[%{?x}] %{msg}"])),
        "append_separator": (False, plain_text),
        "ignore_missing": (False, st.booleans()),
    },
    "date": {
        "field": (True, field_paths),
        "formats": (True, st.lists(st.sampled_from(["ISO8601", "UNIX", "UNIX_MS", "TAI64N", "dd/MM/yyyy", "yyyy-MM-dd HH:mm:ss Z", "dd/MMM/yyyy:HH:mm:ss Z", "epoch_millis", "invalid"]), min_size=1, max_size=3)),
        "target_field": (False, field_paths),
        "timezone": (False, st.sampled_from(["UTC", "Europe/Amsterdam", "+01:00", "{{tz}}", "not/a_zone"])),
        "locale": (False, st.sampled_from(["en", "ROOT", "it", "{{lang}}"])),
        "output_format": (False, st.sampled_from(["yyyy-MM-dd'T'HH:mm:ss.SSSXXX", "dd/MM/yyyy", "yyyy-MM-dd"])),
    },
    "grok": {
        "field": (True, field_paths),
        "patterns": (True, st.lists(st.sampled_from(["%{WORD:w}", "%{NUMBER:n:int} %{GREEDYDATA:rest}", "%{IP:ip}", "%{COMBINEDAPACHELOG}", "(?<x>a+)%{WORD:m}"]), min_size=1, max_size=3)),
        "pattern_definitions": (False, st.just({"MINE": "[a-z]+", "WORD": "\\w+"})),
        "trace_match": (False, st.booleans()),
        "ecs_compatibility": (False, st.just("disabled")),
        "ignore_missing": (False, st.booleans()),
    },
    "csv": {
        "field": (True, field_paths),
        "target_fields": (True, st.lists(field_paths, min_size=1, max_size=3)),
        "separator": (False, st.sampled_from([",", ";", "|", "\t", " "])),
        "quote": (False, st.sampled_from(['"', "'", "|"])),
        "trim": (False, st.booleans()),
        "empty_value": (False, json_values),
        "ignore_missing": (False, st.booleans()),
    },
    "uri_parts": {
        "field": (True, field_paths),
        "target_field": (False, field_paths),
        "keep_original": (False, st.booleans()),
        "remove_if_successful": (False, st.booleans()),
        "ignore_missing": (False, st.booleans()),
    },
    "foreach": {
        "field": (True, field_paths),
        "processor": (True, st.sampled_from([{"uppercase": {"field": "_ingest._value"}}, {"set": {"field": "_ingest._value", "value": 1}}])),
        "ignore_missing": (False, st.booleans()),
    },
}
#: Options every processor accepts (``on_failure`` is generated separately: it nests).
COMMON_OPTIONS: dict[str, st.SearchStrategy] = {
    "tag": st.text(max_size=6),
    "description": st.text(max_size=6),
    "if": conditions,
    "ignore_failure": st.booleans(),
}
#: Pipeline-level options other than ``processors`` and ``on_failure``.
PIPELINE_OPTIONS: dict[str, st.SearchStrategy] = {
    "description": st.text(max_size=10),
    "compiler": st.sampled_from(COMPILERS),
    "max_memory": st.sampled_from(["64MiB", 2**27, "256 MiB"]),
    "version": st.integers(0, 10),
    "_meta": st.dictionaries(st.text(max_size=4), json_values, max_size=2),
    **({"timeout": st.sampled_from([0.5, 2, 10])} if TIMEOUTS else {}),
}


@st.composite
def valid_processor(draw: st.DrawFn, depth: int = 0) -> dict[str, Any]:
    kind = draw(st.sampled_from(sorted(PROCESSOR_OPTIONS)))
    options: dict[str, Any] = {}
    for name, (required, strategy) in PROCESSOR_OPTIONS[kind].items():
        if required or draw(st.booleans()):
            options[name] = draw(strategy)
    if kind == "pipeline" and draw(st.integers(0, 4)) == 0:
        options = {"name": "no_such_pipeline", "ignore_missing_pipeline": True}
    for name, strategy in COMMON_OPTIONS.items():
        if draw(st.integers(0, 3)) == 0:
            options[name] = draw(strategy)
    if depth < 2 and draw(st.integers(0, 5)) == 0:
        options["on_failure"] = draw(st.lists(valid_processor(depth + 1), min_size=1, max_size=2))
    return {kind: options}


@st.composite
def valid_definitions(draw: st.DrawFn) -> dict[str, Any]:
    definition: dict[str, Any] = {"processors": draw(st.lists(valid_processor(), max_size=4))}
    for name, strategy in PIPELINE_OPTIONS.items():
        if draw(st.integers(0, 3)) == 0:
            definition[name] = draw(strategy)
    if draw(st.integers(0, 4)) == 0:
        definition["on_failure"] = draw(st.lists(valid_processor(1), min_size=1, max_size=2))
    return definition


# --------------------------------------------------------------------------
# Junk, and mutations of valid definitions
# --------------------------------------------------------------------------

WORDS = sorted(
    config.PIPELINE_KEYS
    | config.COMMON_PROCESSOR_KEYS
    | set(PROCESSOR_OPTIONS)
    | {option for options in PROCESSOR_OPTIONS.values() for option in options}
    | {"processors", "source", "lang", "env", "preopens", "args"}
)
#: What YAML produces besides JSON's types: non-string keys, dates, NaN, inf.
yaml_scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.floats(),
    st.text(max_size=8),
    st.sampled_from(["", "0", "-1", "1e400", "inf", "nan", "-5MiB", "0.5k", "256MiB", "{{", "{{#x}}", "{{a}", "a..b",
                     ".", "\x00", "a\x00b", "x" * 5000, "/" * 300, "../../etc/passwd", "ctx.", "(" * 300, "'"]),
    st.sampled_from(WORDS),
    st.dates(),
    st.binary(max_size=4),  # !!binary
    st.sets(st.integers(0, 3), max_size=2),  # !!set
)
keys = st.one_of(st.sampled_from(WORDS), st.text(max_size=6), st.integers(), st.none(), st.booleans(), st.floats())
junk = st.recursive(
    yaml_scalars, lambda inner: st.lists(inner, max_size=4) | st.dictionaries(keys, inner, max_size=4), max_leaves=10
)


@st.composite
def mutated(draw: st.DrawFn, value: Any) -> Any:
    """``value`` with random edits: values replaced by junk, keys dropped,
    renamed or added, list items dropped or inserted."""
    if draw(st.integers(0, 11)) == 0:
        return draw(junk)
    if isinstance(value, dict):
        out: dict[Any, Any] = {}
        for key, child in value.items():
            choice = draw(st.integers(0, 11))
            if choice == 0:
                continue
            if choice == 1:
                key = draw(keys)
            out[key] = draw(mutated(child))
        if draw(st.integers(0, 5)) == 0:
            out[draw(keys)] = draw(junk)
        return out
    if isinstance(value, list):
        items = [draw(mutated(child)) for child in value if draw(st.integers(0, 9))]
        if draw(st.integers(0, 4)) == 0:
            items.insert(draw(st.integers(0, len(items))), draw(st.one_of(junk, valid_processor())))
        return items
    return value


def _deep(depth: int, kind: int) -> Any:
    """A processor nested ``depth`` levels: on_failure chains, or junk nesting."""
    node: Any = {"drop": {}}
    for _ in range(depth):
        if kind == 0:
            node = {"fail": {"message": "x", "on_failure": [node]}}
        elif kind == 1:
            node = [node]
        else:
            node = {"on_failure": node}
    return node


def _self_referencing(definition: dict[str, Any], where: int) -> dict[str, Any]:
    """What YAML anchors and aliases make: a structure that contains itself."""
    processors = definition.setdefault("processors", [])
    if where == 0:
        definition["_meta"] = definition
    elif where == 1:
        processors.append({"drop": {"on_failure": processors}})
    elif where == 2:
        value: list[Any] = []
        value.append(value)
        processors.append({"set": {"field": "a", "value": value}})
    else:
        params: dict[str, Any] = {}
        params["a"] = params
        processors.append({"wasm": {"module": str(MODULES[0]), "params": params}})
    return definition


#: Every type the builder knows, with junk options (covers types added after the table).
junk_processors = st.builds(
    lambda kind, options: {kind: options},
    st.sampled_from(sorted(builder_processor_types())),
    st.one_of(st.dictionaries(keys, junk, max_size=4), junk),
)

definitions = st.one_of(
    valid_definitions().flatmap(mutated),
    valid_definitions().flatmap(mutated),
    st.builds(lambda procs: {"processors": procs}, st.lists(st.one_of(junk, junk_processors, valid_processor().flatmap(mutated)), max_size=3)),
    junk,
    st.dictionaries(keys, junk, max_size=4),
    st.builds(lambda depth, kind: {"processors": [_deep(depth, kind)]}, st.integers(50, 1200), st.integers(0, 2)),
    st.builds(_self_referencing, valid_definitions(), st.integers(0, 3)),
)


# --------------------------------------------------------------------------
# Tests
# --------------------------------------------------------------------------

documents = st.dictionaries(
    st.sampled_from(["a", "message", "tags", "x", "n", "drop", "kv"]),
    st.one_of(json_values, st.just({"b": 1}), st.just(["x", "y"])),
    max_size=4,
)


def _process_all(pipeline: Pipeline, docs: list[dict[str, Any]]) -> None:
    for doc in docs:
        try:
            result = pipeline.process(doc)
        except ProcessorError as exc:
            event("document failed")
            assert str(exc)
            continue
        if result is None:
            event("document dropped")
            continue
        event("document processed")
        assert type(result) is dict
        orjson.dumps(result)  # a processed document is still JSON


@fuzz_settings(150)
@given(definition=valid_definitions(), docs=st.lists(documents, max_size=3))
def test_valid_definitions_load_and_process(definition: dict[str, Any], docs: list[dict[str, Any]]) -> None:
    pipeline = Pipeline.from_definition(definition, base_dir=BASE)
    try:
        _process_all(pipeline, docs)
    finally:
        pipeline.close()


def _load(definition: Any, source: str | None) -> Pipeline | None:
    """Load; only PipelineConfigError may come out (returns None then)."""
    try:
        pipeline = Pipeline.from_definition(definition, base_dir=BASE, source=source)
    except PipelineConfigError as exc:
        event("refused")
        assert str(exc)
        if source:
            assert source in str(exc), f"the message does not name {source}: {exc}"
        return None
    event("loaded")
    return pipeline


@fuzz_settings(300)
@given(definition=definitions, source=st.sampled_from([None, "fuzz-pipeline.yml"]), docs=st.lists(documents, max_size=2))
def test_any_definition_loads_or_raises_pipeline_config_error(
    definition: Any, source: str | None, docs: list[dict[str, Any]]
) -> None:
    pipeline = _load(definition, source)
    if pipeline is not None:
        try:
            _process_all(pipeline, docs)
        finally:
            pipeline.close()


YAML_SNIPPETS = [
    "processors: []", "processors:\n  - drop: {}", "processors: [{set: {field: a, value: 1}}]",
    "description: x", "max_memory: 1e400", "max_memory: .inf", "processors: [{wasm: {module: " + str(MODULES[0]) + "}}]",
    "processors:\n  - pipeline: {name: sub}", "processors:\n  - pipeline: {name: loop}",
    "processors:\n  - pipeline: {name: broken}", "processors: &p\n  - drop: {on_failure: *p}",
    "processors:\n  - set: {field: a, value: &v [*v]}", "processors:\n  - set: {field: a, value: !!binary aGVsbG8=}",
    "processors:\n  - set: {field: a, value: 2001-01-01}", "? [a, b]\n: 1", "!!python/object:os.system {}",
    "a: &a [*a]", "processors: !!set {a}", "\t", "%YAML 1.1\n---\nprocessors: []", "--- 1\n--- 2",
    "processors:\n  - wasm: {module: x.wasm, params: {1: 2}}", "processors:\n  - 1: {}", "null", "[]", "'",
]


@st.composite
def file_contents(draw: st.DrawFn) -> tuple[str, bytes]:
    """(suffix, bytes) of a pipeline file."""
    suffix = draw(st.sampled_from([".json", ".yml", ".yaml", ".txt", ""]))
    kind = draw(st.integers(0, 15))
    if kind <= 5:
        definition = draw(definitions)
        try:
            text = json.dumps(definition) if suffix == ".json" else yaml.safe_dump(definition)
        except (TypeError, ValueError, RecursionError, yaml.YAMLError):
            text = "processors: [] # " + type(definition).__name__
        if draw(st.booleans()):  # and maybe damage it
            cut = draw(st.integers(0, len(text)))
            text = text[:cut] + draw(st.text(max_size=3)) + text[cut:]
        return suffix, text.encode("utf-8", "surrogatepass")
    if kind <= 8:
        return suffix, "\n".join(draw(st.lists(st.sampled_from(YAML_SNIPPETS), min_size=1, max_size=3))).encode()
    if kind == 9:  # deep nesting (rare: PyYAML takes ~1 s to give up on 1000 levels of `[`)
        n = draw(st.integers(100, 50_000))
        return suffix, draw(st.sampled_from([b"[" * n, b"{a: " * n, b'{"a":' * n, b"- " * n]))
    if kind == 10:
        # an indented block sequence: each level is one line longer (600 levels: 180 KB)
        return suffix, "".join(" " * i + "- \n" for i in range(draw(st.integers(10, 600)))).encode()
    if kind <= 12:
        return suffix, draw(st.binary(max_size=40))
    return suffix, draw(st.text(max_size=60)).encode("utf-8", "surrogatepass")


@fuzz_settings(300)
@given(content=file_contents(), docs=st.lists(documents, max_size=2))
def test_any_file_loads_or_raises_an_error_naming_it(content: tuple[str, bytes], docs: list[dict[str, Any]]) -> None:
    suffix, data = content
    path = BASE / f"fuzz_{next(_file_numbers)}{suffix}"
    path.write_bytes(data)
    try:
        try:
            pipeline = Pipeline.from_file(path)
        except PipelineConfigError as exc:
            event("refused")
            assert str(path) in str(exc), f"the message does not name {path}: {exc}"
            return
        event("loaded")
        try:
            _process_all(pipeline, docs)
        finally:
            pipeline.close()
    finally:
        path.unlink()


def test_strategies_cover_every_processor_type_the_builder_knows() -> None:
    """A reminder to extend :data:`PROCESSOR_OPTIONS` when a type is added:
    types it lacks are fuzzed only with junk options."""
    known = builder_processor_types()
    assert known >= set(PROCESSOR_OPTIONS), f"the table names types the builder refuses: {set(PROCESSOR_OPTIONS) - known}"
    missing = known - set(PROCESSOR_OPTIONS)
    assert not missing, f"add valid options for processor type(s) {sorted(missing)} to PROCESSOR_OPTIONS"


# --------------------------------------------------------------------------
# Found by fuzzing: minimal cases, kept as plain tests
# --------------------------------------------------------------------------


def _nested_on_failure(depth: int) -> dict[str, Any]:
    node: dict[str, Any] = {"drop": {}}
    for _ in range(depth):
        node = {"drop": {"on_failure": [node]}}
    return node


HOSTILE_DEFINITIONS = {
    # Pipeline.from_definition takes what a YAML/JSON parser returns: anything.
    "definition-is-a-list": [{"processors": []}],
    "definition-is-null": None,
    "definition-is-a-string": "",
    # YAML mapping keys need not be strings (`1: x`, `null: x`).
    "wasm-option-with-an-int-key": {"processors": [{"wasm": {"module": str(MODULES[0]), 1: 2}}]},
    "pipeline-option-with-a-null-key": {"processors": [{"pipeline": {None: "sub"}}]},
    "set-value-with-an-int-key": {"processors": [{"set": {"field": "a", "value": {1: 2}}}]},
    "wasm-params-with-an-int-key": {"processors": [{"wasm": {"module": str(MODULES[0]), "params": {1: 2}}}]},
    "wasm-params-with-bytes": {"processors": [{"wasm": {"module": str(MODULES[0]), "params": {"a": b"x"}}}]},
    # Sizes that are not finite.
    "max-memory-1e400": {"max_memory": "1e400", "processors": []},
    "max-memory-inf": {"max_memory": "inf", "processors": []},
    "wasm-max-memory-inf": {"processors": [{"wasm": {"module": str(MODULES[0]), "max_memory": "inf"}}]},
    # Paths the operating system refuses.
    "module-path-with-a-nul": {"processors": [{"wasm": {"module": "a\x00b.wasm"}}]},
    "module-path-too-long": {"processors": [{"wasm": {"module": "x" * 5000}}]},
    "pipeline-name-too-long": {"processors": [{"pipeline": {"name": "x" * 5000}}]},
    "wasi-preopen-with-a-nul": {"processors": [{"wasm": {"module": str(MODULES[0]), "wasi": {"preopens": {"/d": "a\x00"}}}}]},
    # Nesting beyond Python's recursion limit.
    "on-failure-nested-1000-deep": {"processors": [_nested_on_failure(1000)]},
}


@pytest.mark.parametrize("definition", list(HOSTILE_DEFINITIONS.values()), ids=list(HOSTILE_DEFINITIONS))
def test_hostile_definition_raises_pipeline_config_error(definition: Any) -> None:
    """Each of these raised another exception (TypeError, AttributeError,
    OverflowError, ValueError, OSError, RecursionError) when found."""
    with pytest.raises(PipelineConfigError):
        Pipeline.from_definition(definition, base_dir=BASE).close()


HOSTILE_FILES = {
    "deep-json-array.json": b"[" * 100_000,
    "deep-flow-yaml.yml": b"[" * 5000,
    "deep-block-yaml.yml": "".join(" " * i + "- \n" for i in range(3000)).encode(),
    "self-referencing-set-value.yml": b"processors:\n  - set: {field: a, value: &v [*v]}\n",
    "self-referencing-on-failure.yml": b"processors: &p\n  - drop: {on_failure: *p}\n",
    "self-referencing-params.yml": b"processors:\n  - wasm: {module: " + str(MODULES[0]).encode() + b", params: &v {a: *v}}\n",
    "max-memory-1e400.yml": b"max_memory: 1e400\nprocessors: []\n",
}


@pytest.mark.parametrize("name", list(HOSTILE_FILES))
def test_hostile_file_raises_pipeline_config_error_naming_it(name: str) -> None:
    path = BASE / name
    path.write_bytes(HOSTILE_FILES[name])
    try:
        with pytest.raises(PipelineConfigError, match=name.replace(".", r"\.")):
            Pipeline.from_file(path).close()
    finally:
        path.unlink()


def test_set_value_that_is_not_json_is_refused_or_written_as_json() -> None:
    """YAML tags make values JSON lacks (``!!binary`` bytes, ``!!set``): a ``set``
    processor loaded with one put it into documents, which then cannot be
    written (``Pipeline.process`` returned ``{'a': b'hello'}``)."""
    path = BASE / "binary-value.yml"
    path.write_bytes(b"processors:\n  - set: {field: a, value: !!binary aGVsbG8=}\n")
    try:
        try:
            pipeline = Pipeline.from_file(path)
        except PipelineConfigError:
            return  # refused at load: fine
        try:
            orjson.dumps(pipeline.process({}))
        finally:
            pipeline.close()
    finally:
        path.unlink()
