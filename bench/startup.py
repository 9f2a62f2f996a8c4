"""Start-up: one input line through a five-module pipeline, next to bare Python.

    .venv/bin/python bench/startup.py [--runs 21] [--phase-runs 9] [--importtime-runs 5] [--top 15]

The pipeline (written to a temporary directory) is the README's sample:
five wasm processors from fixtures/wasm that take an ordinary access-log
document (drop_when, kv_parse, rename_field, redact, set_timestamp); the
input is the first line of fixtures/sample/access.ndjson; the compile cache
is a temporary ``--cache-dir``, warmed by a first run. Timed, each a fresh
process, median of ``--runs``, interleaved round after round:

* ``python -c pass`` (the interpreter and site, the venv's editable-install
  hook included) and ``python -c "import orjson ... readline ..."`` (the
  same plus orjson: the floor of any Python tool doing this job);
* ``ingesthost process ... --isolation none`` and the default (one worker).

Each run is followed by a 0.1 s pause (an isolated command's forkserver,
worker and resource tracker exit after it, and would slow the next run).

Every variant runs in two settings. "no .pyc": the interpreter compiles
ingesthost's sources at every start, as it does in this environment
(``PYTHONDONTWRITEBYTECODE=1`` and no ``ingesthost/__pycache__``: the
header says whether that directory exists). "warm .pyc": bytecode cached
outside the tree (``PYTHONPYCACHEPREFIX`` in the temporary directory,
warmed first), as in a normal installation. Nothing is written into the
source tree either way.

Then where the command's start-up goes, in the warm-.pyc setting unless
``--no-pyc-breakdown``:

* phases of the real command (``cli.main`` run in a fresh process with a
  few functions wrapped in timers, median of ``--phase-runs``): the
  interpreter, ``import ingesthost.cli``, loading the pipeline
  (``Pipeline.from_file`` with the warm cache) or, isolated, the snapshot
  (``WorkerSpec.with_snapshot``), the forkserver's start (a new Python that
  imports ingesthost.workers and wasmer before the first fork: the first
  ``popen_forkserver.Popen._launch``, which waits for the worker's pid), the
  worker's fork-to-ready (it builds the pipeline from the snapshot), the
  run, and the rest up to the exit;
* ``python -X importtime -m ingesthost process ...`` (``--isolation none``,
  median per module of ``--importtime-runs``): the top imports by
  cumulative time, in both settings;
* which imported packages the ``process`` path really calls: one traced
  run (``sys.setprofile`` after the imports) in-process and one isolated
  (the parent's side only), per package: import cost and whether any of its
  functions ran. Packages imported but never called are what to cut (import
  them lazily); dask, tqdm and elasticsearch are checked for eager imports.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
WASM = ROOT / "fixtures" / "wasm"
SAMPLE = ROOT / "fixtures" / "sample" / "access.ndjson"
PYTHON = sys.executable
COMMAND = Path(PYTHON).parent / "ingesthost"

PIPELINE = """\
description: five wasm processors over an access-log line (the README's sample)
processors:
  - wasm: {{tag: drop_debug, module: {wasm}/drop_when.wasm, params: {{field: log.level, equals: debug}}}}
  - wasm: {{tag: parse_kv, module: {wasm}/kv_parse.wasm, params: {{field: message, target_field: kv}}}}
  - wasm: {{tag: move_user, module: {wasm}/rename_field.wasm, params: {{from: kv.user, to: user.name}}}}
  - wasm: {{tag: redact_token, module: {wasm}/redact.wasm, params: {{fields: [kv.token]}}}}
  - wasm: {{tag: stamp, module: {wasm}/set_timestamp.wasm, params: {{field: event.ingested}}}}
"""

ORJSON_LINE = "import orjson,sys; f=sys.argv[1]; sys.stdout.buffer.write(orjson.dumps(orjson.loads(open(f,'rb').readline())))"

#: Run in a fresh interpreter: ``cli.main`` with timers around a few functions,
#: or (``trace``) with a profiler recording which modules' functions run.
CHILD = r'''
import json, sys, time
t_main = time.time()
launch, out_path, what, argv = float(sys.argv[1]), sys.argv[2], sys.argv[3], sys.argv[4:]
import ingesthost.cli as cli
t_imported = time.time()
spans = {}

def timed(owner, name, key):
    original = getattr(owner, name)
    def wrapper(*args, **kwargs):
        start = time.time()
        try:
            return original(*args, **kwargs)
        finally:
            spans.setdefault(key, []).append((start, time.time()))
    setattr(owner, name, wrapper)

called_files, called_c = set(), set()
if what == "time":
    import multiprocessing.popen_forkserver
    from ingesthost import pipeline, workers
    if "none" in argv:
        timed(pipeline.Pipeline, "from_file", "load")
    timed(workers.WorkerSpec, "with_snapshot", "snapshot")
    # the first launch starts the forkserver and waits for it to import, fork and give the pid
    timed(multiprocessing.popen_forkserver.Popen, "_launch", "connect")
    timed(workers._Worker, "__init__", "worker")
    timed(cli, "process_stream", "run")
else:
    import threading, types
    called_owners = set()
    def profile(frame, event, arg):
        if event == "call":
            if frame.f_code.co_name != "<module>":
                called_files.add(frame.f_code.co_filename)
        elif event == "c_call":
            called_c.add(getattr(arg, "__module__", None))
            owner = getattr(arg, "__self__", None)  # a C extension's class or module (pyo3 classes say "builtins")
            called_owners.add(id(owner if isinstance(owner, (type, types.ModuleType)) else type(owner)))
    threading.setprofile(profile)
    sys.setprofile(profile)
code = cli.main(argv)
sys.setprofile(None)
t_done = time.time()
files = {}
for name, module in list(sys.modules.items()):
    path = getattr(module, "__file__", None)
    if path:
        files[name] = path
        if what == "trace" and path.endswith(".so"):
            for value in [module, *vars(module).values()]:
                if (value is module or isinstance(value, type)) and id(value) in called_owners:
                    called_c.add(name)
with open(out_path, "w") as out:
    json.dump({"launch": launch, "main": t_main, "imported": t_imported, "done": t_done, "spans": spans,
               "code": code, "called_files": sorted(called_files), "called_c": sorted(m for m in called_c if m),
               "modules": files}, out)
sys.exit(code)
'''


# -- settings and commands ----------------------------------------------------


def environment(setting: str, pycache: Path) -> dict[str, str]:
    """The environment of a variant: ``no-pyc`` (compile ingesthost at every start,
    write nothing) or ``pyc`` (bytecode cached under ``pycache``, outside the tree)."""
    env = dict(os.environ)
    env.pop("PYTHONPYCACHEPREFIX", None)
    if setting == "no-pyc":
        env["PYTHONDONTWRITEBYTECODE"] = "1"
    else:
        env.pop("PYTHONDONTWRITEBYTECODE", None)
        env["PYTHONPYCACHEPREFIX"] = str(pycache)
    return env


def process_args(line: Path, pipeline: Path, output: Path, cache: Path, isolation: str) -> list[str]:
    """The ``process`` command's arguments (after ``ingesthost``)."""
    extra = ["--isolation", "none"] if isolation == "none" else []
    return ["process", str(line), "--pipeline", str(pipeline), "-o", str(output), "--cache-dir", str(cache), "-q", *extra]


def variants(line: Path, pipeline: Path, output: Path, cache: Path) -> dict[str, list[str]]:
    """The timed commands, by name."""
    command = [str(COMMAND)] if COMMAND.exists() else [PYTHON, "-m", "ingesthost"]
    return {
        "python -c pass": [PYTHON, "-c", "pass"],
        "python + orjson, read/write the line": [PYTHON, "-c", ORJSON_LINE, str(line)],
        "ingesthost process --isolation none": [*command, *process_args(line, pipeline, output, cache, "none")],
        "ingesthost process (isolated, default)": [*command, *process_args(line, pipeline, output, cache, "process")],
    }


#: Seconds to wait after each run: an isolated command's forkserver, worker and
#: resource tracker exit after it, and would take CPU from the next run.
PAUSE = 0.1


def wall(command: list[str], env: dict[str, str]) -> float:
    """Seconds from start to exit of ``command``; its exit status must be 0."""
    start = time.perf_counter()
    done = subprocess.run(command, env=env, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    elapsed = time.perf_counter() - start
    assert done.returncode == 0, f"{command} exited {done.returncode}"
    time.sleep(PAUSE)
    return elapsed


def time_variants(commands: dict[str, list[str]], envs: dict[str, dict[str, str]], runs: int, output: Path) -> dict:
    """Median wall seconds per (setting, variant), interleaved round after round."""
    timings: dict[tuple[str, str], list[float]] = {(s, n): [] for s in envs for n in commands}
    for _ in range(runs):
        for setting, env in envs.items():
            for name, command in commands.items():
                output.unlink(missing_ok=True)
                timings[(setting, name)].append(wall(command, env))
                if name.startswith("ingesthost"):
                    assert output.read_bytes().count(b"\n") == 1, "the line did not come out"
    return {key: statistics.median(values) for key, values in timings.items()}


# -- phases -------------------------------------------------------------------


def run_child(args: list[str], env: dict[str, str], work: Path, what: str) -> dict:
    """Run ``cli.main(args)`` in a fresh interpreter (see ``CHILD``); what it recorded, plus its end."""
    report = work / "child.json"
    launch = time.time()
    done = subprocess.run([PYTHON, "-c", CHILD, str(launch), str(report), what, *args], env=env, cwd=ROOT,
                          stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    end = time.time()
    assert done.returncode == 0, f"child exited {done.returncode}"
    time.sleep(PAUSE)
    data = json.loads(report.read_text())
    data["end"] = end
    return data


def phases(data: dict, isolation: str) -> dict[str, float]:
    """Milliseconds per phase of one child run, in order; they add up to its wall time."""
    spans = {key: value[0] for key, value in data["spans"].items()}
    run_start, run_end = spans["run"]
    result = {
        "interpreter + site": data["main"] - data["launch"],
        "import ingesthost.cli": data["imported"] - data["main"],
    }
    if isolation == "none":
        load_start, load_end = spans["load"]
        result["argparse, checks, open input"] = load_start - data["imported"]
        result["Pipeline.from_file (5 modules, warm cache)"] = load_end - load_start
        result["open outputs"] = run_start - load_end
    else:
        snap_start, snap_end = spans["snapshot"]
        connect_start, connect_end = spans["connect"]
        worker_start, worker_end = spans["worker"]
        result["argparse, checks, open input"] = snap_start - data["imported"]
        result["snapshot (read + check pipeline, modules)"] = snap_end - snap_start
        result["until the fork request"] = connect_start - snap_end
        result["forkserver start (new Python, imports), fork"] = connect_end - connect_start
        result["worker fork-to-ready (builds the pipeline)"] = worker_end - connect_end
        result["open outputs"] = run_start - worker_end
    result["run the line"] = run_end - run_start
    result["close, report, return"] = data["done"] - run_end
    result["interpreter exit"] = data["end"] - data["done"]
    result["total"] = data["end"] - data["launch"]
    return {key: value * 1000 for key, value in result.items()}


def time_phases(args_by_mode: dict[str, list[str]], env: dict[str, str], work: Path, runs: int) -> dict[str, dict[str, float]]:
    """Median milliseconds per phase, per isolation mode, interleaved."""
    samples: dict[str, list[dict[str, float]]] = {mode: [] for mode in args_by_mode}
    for _ in range(runs):
        for mode, args in args_by_mode.items():
            samples[mode].append(phases(run_child(args, env, work, "time"), mode))
    return {mode: {key: statistics.median(s[key] for s in runs_) for key in runs_[0]} for mode, runs_ in samples.items()}


# -- imports ------------------------------------------------------------------


IMPORT_LINE = re.compile(r"import time:\s+(\d+) \|\s+(\d+) \| (\s*)(\S+)")


def importtime(command: list[str], env: dict[str, str], runs: int) -> dict[str, tuple[float, float, int, str]]:
    """``python -X importtime COMMAND...``: per module, median (self ms, cumulative ms),
    its depth and the module that imported it ("" at the top)."""
    seen: dict[str, list[tuple[int, int]]] = {}
    depth: dict[str, int] = {}
    parent: dict[str, str] = {}
    for _ in range(runs):
        done = subprocess.run([PYTHON, "-X", "importtime", *command], env=env, cwd=ROOT,
                              stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
        assert done.returncode == 0, done.stderr[-2000:]
        pending: dict[int, list[str]] = {}  # children are printed before the module that imported them
        for match in IMPORT_LINE.finditer(done.stderr):
            own, cumulative, indent, name = match.groups()
            seen.setdefault(name, []).append((int(own), int(cumulative)))
            depth[name] = level = len(indent) // 2
            for child in pending.pop(level + 1, []):
                parent.setdefault(child, name)
            pending.setdefault(level, []).append(name)
    return {
        name: (statistics.median(v[0] for v in values) / 1000, statistics.median(v[1] for v in values) / 1000,
               depth[name], parent.get(name, ""))
        for name, values in seen.items()
    }


def group_of(module: str) -> str:
    """How imports are grouped in the usage table: ingesthost's modules one by one, other packages whole."""
    if module.startswith("ingesthost."):
        return module
    return module.split(".")[0]


def used_groups(data: dict) -> set[str]:
    """The module groups whose Python functions (or C functions) ran after the imports, in one traced run."""
    by_file = {path: name for name, path in data["modules"].items()}
    used = {group_of(by_file[path]) for path in data["called_files"] if path in by_file}
    used |= {group_of(module) for module in data["called_c"]}
    return used


# -- report -------------------------------------------------------------------


def print_variants(medians: dict, settings: list[str], names: list[str], runs: int) -> None:
    print(f"\nwall time, median of {runs} runs, interleaved (ms)")
    print(f"{'variant':42}" + "".join(f" {SETTING_LABELS[s]:>12}" for s in settings) + "   vs python+orjson (warm .pyc)")
    floor = medians[(settings[-1], "python + orjson, read/write the line")]
    for name in names:
        cells = "".join(f" {medians[(s, name)] * 1000:12.0f}" for s in settings)
        print(f"{name:42}{cells}   {medians[(settings[-1], name)] / floor:6.1f}x")


def print_phases(table: dict[str, dict[str, float]], label: str, runs: int) -> None:
    print(f"\nwhere the command's start-up goes ({label}; median of {runs} runs per phase, ms)")
    for mode, values in table.items():
        print(f"  {'--isolation none' if mode == 'none' else 'isolated (default)'}")
        for key, value in values.items():
            print(f"    {key:50} {value:7.1f}")


def print_imports(times: dict[str, dict], baseline: set[str], top: int, usage: dict[str, set[str]], modules: set[str]) -> None:
    """The top imports by cumulative time, then per package: cost, who imports it, whether the run calls it."""
    settings = list(times)
    main = times[settings[-1]]
    print(f"\n-X importtime of `ingesthost process ... --isolation none`: top {top} by cumulative ms "
          f"(median per module of the runs; nesting shown by indent; * also imported by `python -c pass`)")
    print(f"{'module':52}" + "".join(f" {'cum ' + SETTING_LABELS[s]:>16} {'self':>6}" for s in settings))
    ranked = sorted(main, key=lambda name: -main[name][1])[:top]
    for name in ranked:
        cells = ""
        for s in settings:
            own, cumulative, _, _ = times[s].get(name, (0.0, 0.0, 0, ""))
            cells += f" {cumulative:16.1f} {own:6.1f}"
        mark = "*" if name in baseline else ""
        print(f"{'  ' * main[name][2] + name + mark:52}{cells}")
    ours = {s: sum(v[0] for name, v in times[s].items() if name not in baseline) for s in settings}
    print("imports beyond `python -c pass` (sum of self times): "
          + ", ".join(f"{SETTING_LABELS[s]} {ours[s]:.0f} ms" for s in settings))

    groups: dict[str, list] = {}
    for name, (own, cumulative, _, parent) in main.items():
        if name in baseline:
            continue
        entry = groups.setdefault(group_of(name), [0.0, 0.0, ""])
        entry[0] += own
        if cumulative > entry[1]:
            entry[1], entry[2] = cumulative, parent
    print(f"\nimported beyond `python -c pass`, per package, and whether the `process` path calls it after the imports "
          f"(a traced run each; {SETTING_LABELS[settings[-1]]} ms; packages of 1 ms or more, and those asked about)")
    print(f"{'package / module':30} {'self sum':>8} {'top cum':>8}  {'first imported by':28} "
          f"{'in-process':>10} {'isolated parent':>15}")
    for group, (own, cumulative, parent) in sorted(groups.items(), key=lambda item: -item[1][0]):
        if own < 1.0 and group not in WATCHED:
            continue
        flags = ["yes" if group in usage[mode] else "NO" for mode in ("none", "process")]
        print(f"{group:30} {own:8.1f} {cumulative:8.1f}  {parent or '(top)':28} {flags[0]:>10} {flags[1]:>15}")
    for group in sorted(WATCHED):
        if group not in groups:
            loaded = "imported during the run" if any(group_of(m) == group for m in modules) else "not imported"
            print(f"{group:30} {'-':>8} {'-':>8}  ({loaded})")


SETTING_LABELS = {"no-pyc": "no .pyc", "pyc": "warm .pyc"}
#: Packages the brief asks about, and other candidates for lazy imports.
WATCHED = {"dask", "tqdm", "elasticsearch", "yaml", "ingesthost.dask", "ingesthost.elasticsearch", "ingesthost.simulate",
           "ingesthost.stats", "ingesthost.condition", "ingesthost.pool", "ingesthost.inspection", "multiprocessing",
           "wasmer", "wasmer_compiler_cranelift", "platformdirs", "fsspec", "distributed"}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=21, help="runs per variant and setting (medians)")
    parser.add_argument("--phase-runs", type=int, default=9)
    parser.add_argument("--importtime-runs", type=int, default=5)
    parser.add_argument("--top", type=int, default=15, help="imports listed by cumulative time")
    parser.add_argument("--no-pyc-breakdown", action="store_true", help="phases in the no-.pyc setting instead")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="ingesthost-startup-") as directory:
        work = Path(directory)
        pipeline, line, output, cache = work / "five.yml", work / "line.ndjson", work / "out.ndjson", work / "cache"
        pipeline.write_text(PIPELINE.format(wasm=WASM))
        with open(SAMPLE, "rb") as sample:
            line.write_bytes(sample.readline())
        line_bytes = line.stat().st_size
        envs = {setting: environment(setting, work / "pycache") for setting in ("no-pyc", "pyc")}
        commands = variants(line, pipeline, output, cache)
        for env in envs.values():  # compile the modules into the cache; write the .pyc files
            for command in commands.values():
                wall(command, env)
        medians = time_variants(commands, envs, args.runs, output)

        breakdown = "no-pyc" if args.no_pyc_breakdown else "pyc"
        by_mode = {mode: process_args(line, pipeline, output, cache, mode) for mode in ("none", "process")}
        phase_table = time_phases(by_mode, envs[breakdown], work, args.phase_runs)
        command = ["-m", "ingesthost", *by_mode["none"]]
        times = {setting: importtime(command, env, args.importtime_runs) for setting, env in envs.items()}
        baseline = set(importtime(["-c", "pass"], envs["pyc"], 1))
        traced = {mode: run_child(by_mode[mode], envs["pyc"], work, "trace") for mode in by_mode}
        usage = {mode: used_groups(data) for mode, data in traced.items()}
        modules = set(traced["none"]["modules"]) | set(traced["process"]["modules"])

    pycache_in_tree = (ROOT / "ingesthost" / "__pycache__").exists()
    print(f"one line ({line_bytes} bytes) through 5 wasm processors, warm compile cache; "
          f"{os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.2f}; "
          f"this environment: PYTHONDONTWRITEBYTECODE={os.environ.get('PYTHONDONTWRITEBYTECODE', '(unset)')}, "
          f"ingesthost/__pycache__ {'exists' if pycache_in_tree else 'absent'}")
    print_variants(medians, list(envs), list(commands), args.runs)
    print_phases(phase_table, SETTING_LABELS[breakdown], args.phase_runs)
    print_imports(times, baseline, args.top, usage, modules)


if __name__ == "__main__":
    main()
