"""The ``ingesthost`` command: a thin layer over the library.

Exit status: 0 when every document was written or dropped on purpose, 1 when
at least one document failed (it is in the failure output), 2 when the run
could not start (bad arguments, pipeline or module refused, unreadable input,
an output that is an input), 3 when it stopped part-way (a write error such
as a full disk, a worker given up), 128 + the signal's number when a signal
stopped it (130 Ctrl-C, 143 SIGTERM, 141 the reader of the output went
away). After a stop the summary says up to which input line everything is
accounted for.
"""

from __future__ import annotations

import argparse
import contextlib
import dataclasses
import io
import logging
import os
import signal
import sys
import time
from pathlib import Path
from typing import IO, Any, Iterator, Sequence

import orjson

from . import __version__
from .artifact import KNOWN_CPU_FEATURES
from .engine import COMPILERS, DEFAULT_COMPILER, DEFAULT_ENGINE, ENGINE_KINDS
from . import cli_elasticsearch
from . import runtime as runtimes
from .errors import IngestHostError, InputError
from .inspection import inspect_target
from . import stored_pipeline
from .loader import CACHE_ENV, DEFAULT_MAX_MEMORY, CompileCache, compile_artifact, default_cache_dir
from .document import MAX_DEPTH
from .job import Interrupted, JobOutcome, process_stream
from .ndjson import DEFAULT_MAX_LINE_BYTES, read_records
from .outputs import OutputFile, RunOutputs, check_distinct, unused_name
from .pipeline import Pipeline
from .inputs import InputFile, expand_inputs
from .progress import Progress
from .process_settings import tune_garbage_collector
from .runner import RunSummary
from .runner import run_blocks as runner_run_blocks
from .workers import DEFAULT_BATCH_BYTES, DEFAULT_BATCH_SIZE
from .wasm_binary import parse_size
from . import wasi_input

EXIT_OK = 0
EXIT_FAILURES = 1
EXIT_ERROR = 2
#: The run started and stopped part-way (a write error, a worker given up): see the summary.
EXIT_STOPPED = 3
#: The reader of the output went away (``| head``): 128 + SIGPIPE, as a Unix tool killed by it.
EXIT_BROKEN_PIPE = 141

log = logging.getLogger("ingesthost.cli")


def _parse_param(text: str) -> tuple[str, Any]:
    key, sep, value = text.partition("=")
    if not sep or not key:
        raise argparse.ArgumentTypeError(f"expected KEY=VALUE, got {text!r}")
    try:
        return key, orjson.loads(value)
    except orjson.JSONDecodeError:
        return key, value


def _size(text: str) -> int:
    try:
        return parse_size(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="ingesthost",
        description="Run WebAssembly ingest processors over JSON documents.",
    )
    parser.add_argument("--version", action="version", version=f"ingesthost {__version__}")
    parser.add_argument(
        "--log-level",
        default="warning",
        choices=["debug", "info", "warning", "error"],
        help="level of log lines (guest logs included) written to stderr (default: warning)",
    )
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    process = commands.add_parser(
        "process",
        help="run a pipeline over NDJSON files or an Elasticsearch index",
        formatter_class=argparse.RawDescriptionHelpFormatter,
        description=(
            "Run a pipeline over NDJSON documents (one JSON object per line) and write the\n"
            "processed documents as NDJSON, in input order.\n\n"
            "Documents a processor fails, and input lines that are not JSON objects, go to the\n"
            "failure output: one JSON record each with the error, the processor type and tag,\n"
            "the input line number and the original line. Blank lines are skipped and counted.\n"
            "A summary goes to stderr, and a progress line while it runs on a terminal.\n\n"
            "No output may be the input or the other output (compared by the real file); each\n"
            "output is locked while the run writes it and emptied only once the run starts.\n\n"
            "Exit status: 0 every document was written or dropped on purpose; 1 some documents\n"
            "failed (see the failure output); 2 the run could not start (bad arguments, pipeline\n"
            "or module refused, unreadable input, an output that is an input); 3 it stopped\n"
            "part-way (a write error such as a full disk, a worker given up); 130/143 Ctrl-C or\n"
            "SIGTERM; 141 the reader of the output went away. After a stop, the outputs hold\n"
            "whole records only and the summary says up to which input line everything is\n"
            "accounted for."
        ),
        epilog=(
            "examples:\n"
            "  ingesthost process logs.ndjson --pipeline pipeline.yml -o out.ndjson\n"
            "  cat logs.ndjson | ingesthost process - -m kv_parse.wasm --param field=message\n"
        ),
    )
    process.add_argument(
        "inputs",
        nargs="+",
        metavar="INPUT",
        help="NDJSON files (gzip-compressed ones too, read as they stream; a quoted glob pattern such as "
        "'logs/*.ndjson.gz' stands for the files it matches, in name order), - for standard input, or "
        "es://HOST:PORT/INDEX, or wasi:PROGRAM.wasm (a WASI program whose stdout lines are the documents)",
    )
    source = process.add_mutually_exclusive_group(required=True)
    source.add_argument(
        "--pipeline", "-p", metavar="FILE", help="pipeline file (JSON or YAML), or es://HOST:PORT/_ingest/pipeline/ID"
    )
    source.add_argument("--module", "-m", metavar="M.wasm", help="run a single wasm module as the whole pipeline")
    process.add_argument(
        "--param",
        action="append",
        default=[],
        type=_parse_param,
        metavar="KEY=VALUE",
        help="a param for --module (repeatable); VALUE is read as JSON when it parses, else as a string",
    )
    process.add_argument(
        "--fluentbit-function",
        metavar="NAME",
        help="run --module as a Fluent Bit filter (abi: fluentbit): the filter function it exports",
    )
    process.add_argument(
        "--event-format",
        choices=("json", "msgpack"),
        help="with --fluentbit-function: how records reach the filter (default: json)",
    )
    process.add_argument("--output", "-o", metavar="FILE", help="output NDJSON file (default: standard output)")
    process.add_argument(
        "--failures",
        metavar="FILE",
        help=(
            "failure NDJSON file (default: OUTPUT's name with .failures.ndjson next to it; when the "
            "output is standard output, a new file INPUT-NAME.failures.ndjson in the current "
            "directory, created at the first failure and named in the summary)"
        ),
    )
    _add_engine_options(process)
    _add_cache_options(process)
    process.add_argument(
        "--max-line-bytes",
        type=_size,
        default=DEFAULT_MAX_LINE_BYTES,
        metavar="SIZE",
        help="longest input line accepted, e.g. 64MiB (default: 32MiB); longer lines go to the "
        "failure output with their first 1 MiB",
    )
    process.add_argument(
        "--max-depth",
        type=int,
        default=MAX_DEPTH,
        metavar="N",
        help=f"deepest nesting of objects/arrays accepted (default and most: {MAX_DEPTH})",
    )
    process.add_argument(
        "--max-memory",
        type=_size,
        default=DEFAULT_MAX_MEMORY,
        metavar="SIZE",
        help="memory cap of each guest instance, e.g. 64MiB (default: 256MiB; pipeline files may set their own)",
    )
    _add_confine_option(process)
    _add_isolation_options(process)
    process.add_argument(
        "--dask-scheduler",
        metavar="ADDRESS",
        help="run on a Dask cluster (e.g. tcp://scheduler:8786): INPUT may be several files, globs or "
        "fsspec URLs (comma-separated), -o is a directory that gets one output and one failure file per "
        "partition (needs the `dask` extra: pip install 'ingesthost[dask]')",
    )
    process.add_argument(
        "--quiet", "-q", action="store_true", help="no progress line and no summary on stderr (a stopped run still reports)"
    )
    process.add_argument(
        "--stats", action="store_true", help="print per-processor statistics (count, time, failed...) to stderr at the end"
    )
    process.add_argument("--stats-json", metavar="FILE", help="write the statistics as JSON to FILE at the end")
    cli_elasticsearch.add_options(process, _size)
    wasi_input.add_options(process)
    _add_simulate_command(commands)
    _add_serve_command(commands)

    inspect = commands.add_parser(
        "inspect",
        help="show a module's ABI version, exports and imports, or what a pipeline needs",
        description="Show a module's ABI version, exports and imports, and whether this host can run it; or, for a "
        "pipeline, the processor types it uses, its modules' ABI and WASI needs, and what is unsupported.",
    )
    inspect.add_argument(
        "module",
        metavar="MODULE|PIPELINE",
        help="a .wasm or .wasm.gz file, a compiled artifact, a .yml/.yaml/.json pipeline or es://HOST:PORT/_ingest/pipeline/ID",
    )
    inspect.add_argument("--compiler", choices=COMPILERS, default=DEFAULT_COMPILER)
    _add_runtime_option(inspect)
    inspect.add_argument("--json", action="store_true", help="print the report as JSON")

    compile_ = commands.add_parser(
        "compile",
        help="compile a module ahead of time into an artifact",
        formatter_class=argparse.RawDescriptionHelpFormatter,
        description=(
            "Compile a module once and write an artifact that pipelines load without compiling\n"
            "(name it in a pipeline file or pass it to --module like a .wasm).\n\n"
            "Engines: universal (wasmer's own format; any compiler) or native (a real shared\n"
            "object through wasmer's Dylib engine; llvm only, and gcc must be installed).\n"
            "An artifact is native machine code: load only artifacts from builds you trust.\n"
            "Loading checks its header (wasmer version, engine, target, CPU features, checksum)\n"
            "and refuses one that does not match this host."
        ),
        epilog=(
            "examples:\n"
            "  ingesthost compile kv_parse.wasm -o kv_parse.ihu --compiler llvm\n"
            "  ingesthost compile kv_parse.wasm -o kv_parse.ihn --compiler llvm --engine native\n"
            "  ingesthost compile kv_parse.wasm -o kv_parse.arm.ihu --target aarch64-unknown-linux-gnu\n"
        ),
    )
    compile_.add_argument("module", metavar="MODULE", help="a .wasm or .wasm.gz file")
    compile_.add_argument("--output", "-o", metavar="FILE", required=True, help="where to write the artifact")
    compile_.add_argument(
        "--compiler", choices=COMPILERS, default=None,
        help="default: llvm on wasmer (fastest code), cranelift on wasmtime (its only compiler)",
    )
    compile_.add_argument("--engine", choices=ENGINE_KINDS, default=DEFAULT_ENGINE, help="default: %(default)s")
    _add_runtime_option(compile_)
    compile_.add_argument(
        "--max-memory",
        type=_size,
        default=DEFAULT_MAX_MEMORY,
        metavar="SIZE",
        help="memory cap compiled into the artifact (default: 256MiB); pipelines refuse an artifact "
        "allowed more than their own max_memory",
    )
    compile_.add_argument(
        "--target",
        metavar="TRIPLE",
        help="cross-compile for this target triple (universal engine), e.g. aarch64-unknown-linux-gnu",
    )
    compile_.add_argument(
        "--cpu-features",
        metavar="LIST",
        default="",
        help=f"comma-separated CPU features to compile for ({', '.join(KNOWN_CPU_FEATURES)}); "
        "default: this host's when not cross-compiling",
    )
    return parser


def _add_cache_options(command: argparse.ArgumentParser) -> None:
    command.add_argument(
        "--cache-dir",
        metavar="DIR",
        help=f"compile cache directory (default: ${CACHE_ENV}, else {default_cache_dir()})",
    )
    command.add_argument(
        "--no-cache", action="store_true", help="compile every module afresh; read and write no cache"
    )


def _add_isolation_options(command: argparse.ArgumentParser) -> None:
    from .workers import DEFAULT_BATCH_SIZE, DEFAULT_LOAD_TIMEOUT, DEFAULT_TIMEOUT

    command.add_argument(
        "--isolation",
        choices=["process", "none"],
        default="process",
        help="process (default): guests run in a worker process, which is killed and replaced when a "
        "guest overruns its timeout or crashes it; that document fails and the run goes on. "
        "none: guests run in this process: no start-up cost and slightly faster, but no time limits "
        "(a guest stuck in a loop blocks the run) and a guest that crashes the process ends the run",
    )
    command.add_argument(
        "--timeout",
        type=float,
        default=None,
        metavar="SECONDS",
        help=f"time limit of one guest call on one document, for processors whose pipeline sets none "
        f"(default: {DEFAULT_TIMEOUT}); enforced with --isolation process only",
    )
    command.add_argument(
        "--load-timeout",
        type=float,
        default=None,
        metavar="SECONDS",
        help=f"time limit of each guest set-up call at load (start function, _initialize, configure), "
        f"not counting compilation (default: {DEFAULT_LOAD_TIMEOUT}); enforced with --isolation process only",
    )
    command.add_argument(
        "--batch-size",
        type=int,
        default=DEFAULT_BATCH_SIZE,
        metavar="N",
        help="most input lines per message to the worker process (default: %(default)s); "
        "a slow stream is sent on as its lines arrive",
    )
    command.add_argument(
        "--workers",
        type=int,
        default=1,
        metavar="N",
        help="worker processes running the pipeline in parallel (default: %(default)s); output keeps input "
        "order; each worker has its own time limits and is replaced when it times out or crashes; "
        "needs --isolation process",
    )
    command.add_argument(
        "--max-restarts",
        type=int,
        default=None,
        metavar="N",
        help="stop the run part-way (exit status 3) after N worker restarts, all workers together (default: no "
        "limit; each document that times out or crashes costs one restart and is never retried)",
    )


def _open(args: argparse.Namespace, cache: CompileCache | None, isolation: str) -> Any:
    """The pipeline where ``isolation`` (and ``--workers``) say: :func:`ingesthost.pool.open_pipeline`."""
    from .pool import open_pipeline

    if args.batch_size < 1:
        raise IngestHostError(f"--batch-size must be at least 1, found {args.batch_size}")
    options: dict[str, Any] = {"compiler": args.compiler, "cache": cache, "max_memory": args.max_memory}
    if isolation == "process":
        options.update(
            workers=args.workers,
            timeout=args.timeout,
            load_timeout=args.load_timeout,
            batch_size=args.batch_size,
            max_restarts=args.max_restarts,
            collect_stats=bool(getattr(args, "stats", False) or getattr(args, "stats_json", None)),
        )
    if args.pipeline and stored_pipeline.is_stored_pipeline_url(args.pipeline):
        return stored_pipeline.open_stored_pipeline(
            args.pipeline, isolation=isolation, confine_to=args.confine_to, insecure=getattr(args, "insecure", False), **options
        )
    if args.pipeline:
        return open_pipeline(args.pipeline, isolation=isolation, confine_to=args.confine_to, **options)
    if getattr(args, "fluentbit_function", None):
        fluentbit = {"module": os.path.abspath(args.module), "abi": "fluentbit", "function_name": args.fluentbit_function}
        if args.event_format:
            fluentbit["event_format"] = args.event_format
        return open_pipeline({"processors": [{"wasm": fluentbit}]}, isolation=isolation, **options)
    return open_pipeline(module=args.module, params=dict(args.param), isolation=isolation, **options)


def _cache_from_args(args: argparse.Namespace) -> CompileCache | None:
    if args.no_cache:
        return None
    return CompileCache(args.cache_dir)


def default_failures_path(output: str) -> Path:
    out = Path(output)
    stem = out.name[: -len(".ndjson")] if out.name.endswith(".ndjson") else out.name
    return out.with_name(stem + ".failures.ndjson")


def _unnamed_failures_path(input_name: str) -> Path:
    """Where failures go when the output is standard output and no
    ``--failures`` is given: a new file in the current directory, named after
    the input (never one that exists: an earlier run's file is left alone)."""
    if input_name == "-":
        stem = "stdin"
    elif wasi_input.is_wasi_input(input_name):
        stem = Path(input_name[len(wasi_input.PREFIX) :]).stem
    else:
        stem = Path(input_name).name
        for suffix in (".gz", ".ndjson", ".jsonl", ".json"):
            if stem.endswith(suffix) and len(stem) > len(suffix):
                stem = stem[: -len(suffix)]
    return unused_name(Path.cwd(), stem, ".failures.ndjson")


def _summary_line(summary: RunSummary, failures_name: str) -> str:
    line = f"ingesthost: read {summary.read}, written {summary.written}"
    if summary.already_there:
        line += f" ({summary.already_there} already in the index)"
    line += f", dropped {summary.dropped}, failed {summary.failed}"
    if summary.invalid_input:
        line += f" ({summary.invalid_input} invalid input lines)"
    if summary.failed:
        line += f", failures in {failures_name}"
    if summary.blank:
        line += f"; {summary.blank} blank lines skipped"
    return line + f"; {summary.elapsed_seconds:.2f} s, {summary.docs_per_second:,.0f} docs/s; runtime {runtimes.default_runtime()}"


def _check_process_args(args: argparse.Namespace) -> None:
    """Refuse option values that cannot work, before anything is loaded."""
    if args.param and not args.module:
        raise IngestHostError("--param applies to --module only; put params in the pipeline file")
    if (args.fluentbit_function or args.event_format) and not args.module:
        raise IngestHostError("--fluentbit-function and --event-format apply to --module only; use abi: fluentbit in the pipeline file")
    if args.event_format and not args.fluentbit_function:
        raise IngestHostError("--event-format applies to Fluent Bit filters: give --fluentbit-function too")
    if args.fluentbit_function and args.param:
        raise IngestHostError("--param does not apply to a Fluent Bit filter: it has no configure")
    if not 1 <= args.max_depth <= MAX_DEPTH:
        raise IngestHostError(f"--max-depth must be between 1 and {MAX_DEPTH} (the deepest JSON output can hold), found {args.max_depth}")
    if args.max_restarts is not None and args.max_restarts < 0:
        raise IngestHostError(f"--max-restarts must be 0 or more, found {args.max_restarts}")
    if args.batch_size < 1:
        raise IngestHostError(f"--batch-size must be at least 1, found {args.batch_size}")
    if args.workers < 1:
        raise IngestHostError(f"--workers must be at least 1, found {args.workers}")
    if args.workers > 1 and args.isolation != "process":
        raise IngestHostError("--workers runs worker processes: it needs --isolation process")
    for name in ("timeout", "load_timeout"):
        value = getattr(args, name)
        if value is not None and not 0 < value < float("inf"):
            raise IngestHostError(f"--{name.replace('_', '-')} must be a positive number of seconds, found {value}")
    if args.max_line_bytes < 1:
        raise IngestHostError(f"--max-line-bytes must be at least 1 byte, found {args.max_line_bytes}")
    stored_pipeline.check_process_args(args)


def _load_pipeline(args: argparse.Namespace) -> Any:
    """A :class:`Pipeline` (``--isolation none``), an ``IsolatedPipeline`` or a
    ``WorkerPool`` (``--workers N``): one interface (see :mod:`ingesthost.pool`)."""
    return _open(args, _cache_from_args(args), args.isolation)


def _open_input_file(name: str, closed: frozenset[int]) -> IO[bytes]:
    if name == "-":
        if 0 in closed:
            raise IngestHostError("standard input is closed: give an input file instead of -")
        return sys.stdin.buffer
    try:
        return open(name, "rb")
    except IsADirectoryError:
        raise IngestHostError(f"input {name} is a directory, not an NDJSON file") from None
    except OSError as exc:
        raise IngestHostError(f"cannot read input {name}: {exc.strerror or exc}") from None


def _open_outputs(args: argparse.Namespace, failures_path: str, failures_lazy: bool, stdout_fd: int) -> RunOutputs:
    """Open and lock the run's outputs, and only then empty them."""
    if args.output in (None, "-"):
        output = OutputFile("output <stdout>", fd=stdout_fd)
    else:
        output = OutputFile("output", args.output)
    try:
        failures = OutputFile("failure file", failures_path, lazy=failures_lazy)
    except BaseException:
        output.close()
        raise
    outputs = RunOutputs(output, failures)
    try:
        outputs.start()
    except BaseException:
        outputs.close()
        raise
    return outputs


@contextlib.contextmanager
def _private_stdout(wanted: bool) -> Iterator[int]:
    """While documents go to standard output, file descriptor 1 is theirs
    alone: it points at stderr, and the documents are written through a
    duplicate of the real stdout that :class:`OutputFile` is given as fd 1's
    stand-in. Nothing else that writes to fd 1 (a guest granted WASI
    printing to its stdout, a stray print) can corrupt the NDJSON stream."""
    if not wanted:
        yield 1
        return
    sys.stdout.flush()
    real = os.dup(1)
    os.dup2(2, 1)
    try:
        yield real
    finally:
        try:
            sys.stdout.flush()
        except (OSError, ValueError):
            pass
        os.dup2(real, 1)
        os.close(real)


@contextlib.contextmanager
def _signals_stop_the_run() -> Iterator[None]:
    """SIGTERM (and SIGHUP) raise :class:`Interrupted` in the main thread, as
    Ctrl-C raises KeyboardInterrupt, so the job can stop cleanly and report."""
    def stop(signum: int, frame: Any) -> None:
        raise Interrupted(signum)

    previous = {}
    for signum in (signal.SIGTERM, signal.SIGHUP):
        try:
            previous[signum] = signal.signal(signum, stop)
        except (ValueError, OSError):  # not the main thread
            pass
    try:
        yield
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler)


def _cmd_process_on_dask(args: argparse.Namespace) -> int:
    """``--dask-scheduler``: the same job, one partition per file or file range, on a cluster."""
    for option, given in (
        ("--failures", args.failures),
        ("--batch-size", args.batch_size != DEFAULT_BATCH_SIZE),
        ("--max-restarts", args.max_restarts),
        ("--timeout", args.timeout),
        ("--load-timeout", args.load_timeout),
        ("--workers", args.workers != 1),
        ("--fluentbit-function", args.fluentbit_function),
    ):
        if given:
            raise IngestHostError(f"{option} does not apply with --dask-scheduler")
    if args.input == "-":
        raise IngestHostError("--dask-scheduler reads files (or fsspec URLs), not standard input")
    if args.output in (None, "-"):
        raise IngestHostError("--dask-scheduler needs -o DIRECTORY for its per-partition outputs")
    try:
        from .dask import DaskRunStopped, process_files
    except ImportError as exc:
        raise IngestHostError(f"--dask-scheduler needs Dask: pip install 'ingesthost[dask]' ({exc})") from None
    try:
        result = process_files(
            [part for name in args.inputs for part in name.split(",") if part],
            pipeline=args.pipeline,
            module=args.module,
            params=dict(args.param),
            output_dir=args.output,
            client=args.dask_scheduler,
            compiler=args.compiler,
            runtime=args.runtime,
            cache=False if args.no_cache else (args.cache_dir or True),
            max_memory=args.max_memory,
            confine_to=args.confine_to,
            max_line_bytes=args.max_line_bytes,
            max_depth=args.max_depth,
            stats=bool(args.stats or args.stats_json),
        )
    except DaskRunStopped as exc:
        print(f"ingesthost: stopped part-way: {exc}", file=sys.stderr)
        return EXIT_STOPPED
    if not args.quiet:
        print(_summary_line(result.summary, f"{args.output}/part-*.failures.ndjson"), file=sys.stderr)
    return EXIT_FAILURES if result.summary.failed else EXIT_OK


def cmd_process(args: argparse.Namespace) -> int:
    _check_process_args(args)
    wasi_input.check_args(args)
    if not args.dask_scheduler and not any(
        cli_elasticsearch.is_index_url(name) or wasi_input.is_wasi_input(name) for name in args.inputs
    ):
        args.inputs = expand_inputs(args.inputs)
    args.input = args.inputs[0]
    if cli_elasticsearch.wanted(args):
        if len(args.inputs) > 1 and cli_elasticsearch.is_index_url(args.input):
            raise IngestHostError("an index input is the only input of a run")
        return cli_elasticsearch.run(args)
    if args.dask_scheduler:
        return _cmd_process_on_dask(args)
    isolated = args.isolation == "process"
    for given in ("--timeout", "--load-timeout"):
        if not isolated and getattr(args, given[2:].replace("-", "_")) is not None:
            if runtimes.backend(runtimes.default_runtime()).INTERRUPTS and given == "--timeout":
                log.warning(
                    "--timeout is for worker processes; with --isolation none each guest call has its "
                    "processor's or pipeline's `timeout` (default 1 s), which %s enforces in-process",
                    runtimes.default_runtime(),
                )
            else:
                log.warning("%s is not enforced with --isolation none", given)
    failures_lazy = False
    if args.failures is not None:
        failures_path = args.failures
    elif args.output not in (None, "-"):
        failures_path = str(default_failures_path(args.output))
    else:
        failures_path, failures_lazy = str(_unnamed_failures_path(args.input)), True
    # Every path is checked, and the inputs opened, before the pipeline loads;
    # outputs are opened (and emptied) only after it has loaded.
    check_distinct(
        [(f"input {'<stdin>' if name == '-' else name}", 0 if name == "-" else name) for name in args.inputs],
        [
            ("output <stdout>", 1) if args.output in (None, "-") else (f"output {args.output}", args.output),
            (f"failure file {failures_path}", failures_path),
        ],
    )
    to_stdout = args.output in (None, "-")
    if to_stdout and 1 in args.closed_streams:
        raise IngestHostError("standard output is closed: give --output FILE")
    inputs = [wasi_input.open_input(name, args) or InputFile(name, args.closed_streams) for name in args.inputs[:_OPEN_AHEAD]]
    try:
        for name in args.inputs[_OPEN_AHEAD:]:  # many files: opened in turn, checked now
            if not os.access(name, os.R_OK) or os.path.isdir(name):
                InputFile(name).close()  # raises the error that names the problem
        with _load_pipeline(args) as pipeline, _private_stdout(to_stdout) as stdout_fd:
            outputs = _open_outputs(args, failures_path, failures_lazy, stdout_fd)
            outcome, stopped_in = _run_inputs(args, pipeline, inputs, outputs, isolated)
    finally:
        for opened in inputs:
            opened.close()
    program = wasi_input.note_failure(inputs, outcome)  # a WASI program's failed run stops the run
    return _report(args, pipeline, outcome, failures_path, isolated, stopped_in=stopped_in, resume_hint=not program)


#: Inputs opened before the pipeline loads (the rest are checked, and opened in turn).
_OPEN_AHEAD = 64


def _run_inputs(
    args: argparse.Namespace, pipeline: Any, inputs: list[InputFile], outputs: RunOutputs, isolated: bool
) -> tuple[JobOutcome, str | None]:
    """The job over every input in turn, into the same outputs. A stop ends
    the run: (the outcome with the counts of all inputs, the input it
    stopped in, when there is more than one)."""
    total = RunSummary()
    sizes = [opened.size for opened in inputs]
    known = None if len(inputs) < len(args.inputs) or None in sizes else sum(s or 0 for s in sizes)
    done = {"bytes": 0, "current": None}
    progress = None
    if not args.quiet and sys.stderr is not None and sys.stderr.isatty():
        def position() -> int | None:
            current = done["current"]
            at = current.position() if current is not None else None
            return None if at is None else done["bytes"] + at

        progress = Progress(sys.stderr, known, position)
    outcome = JobOutcome(total)
    try:
        for index, name in enumerate(args.inputs):
            opened = inputs[index] if index < len(inputs) else InputFile(name, args.closed_streams)
            done["current"] = opened
            try:
                outcome = _run_job(args, pipeline, opened.stream, opened.display, outputs, isolated, progress, total)
            finally:
                if index >= len(inputs):
                    opened.close()
            done["bytes"] += opened.size or 0
            part = outcome.summary
            through = part.accounted_through
            elapsed = total.elapsed_seconds + part.elapsed_seconds
            total.add(part.counts())
            total.elapsed_seconds = elapsed
            total.accounted_through = through
            if outcome.stopped is not None:
                outcome.summary = total
                return outcome, (opened.display if len(args.inputs) > 1 else None)
        outcome.summary = total
        return outcome, None
    finally:
        if progress is not None:
            progress.close()
        outputs.close()


def _run_job(
    args: argparse.Namespace,
    pipeline: Any,
    stream: IO[bytes],
    source: str,
    outputs: RunOutputs,
    isolated: bool,
    progress: Progress | None,
    before: RunSummary,
) -> JobOutcome:
    """The job over one input; ``before`` holds the counts of the inputs done (for the progress bar)."""
    if isolated:
        def run_blocks(blocks: Iterator[tuple]) -> Iterator[tuple]:
            return pipeline.run_blocks(blocks, source, args.max_line_bytes, args.max_depth)
    else:
        def run_blocks(blocks: Iterator[tuple]) -> Iterator[tuple]:
            return runner_run_blocks(pipeline, blocks, source, args.max_line_bytes, args.max_depth)

    def on_commit(summary: RunSummary) -> None:
        if progress is not None:
            shown = dataclasses.replace(before)
            shown.add(summary.counts())
            progress.update(shown)

    with _signals_stop_the_run():
        return process_stream(
            run_blocks,
            stream,
            source,
            outputs,
            batch_size=args.batch_size,
            batch_bytes=DEFAULT_BATCH_BYTES,
            max_line_bytes=args.max_line_bytes,
            on_commit=on_commit if progress is not None else None,
        )


def _position(stream: IO[bytes]) -> int | None:
    try:
        return stream.tell()
    except (OSError, ValueError):
        return None


def _report(
    args: argparse.Namespace,
    pipeline: Any,
    outcome: JobOutcome,
    failures_path: str,
    isolated: bool,
    *,
    resume_hint: bool = True,
    stopped_in: str | None = None,
) -> int:
    summary = outcome.summary
    if outcome.broken_pipe:
        return EXIT_BROKEN_PIPE  # the reader went away: stop quietly, as Unix tools do
    failures_name = failures_path if (summary.failed and Path(failures_path).exists()) else failures_path
    if outcome.stopped is not None:
        print(f"ingesthost: stopped part-way: {outcome.stopped}", file=sys.stderr)
    if not args.quiet or outcome.stopped is not None:
        print(_summary_line(summary, failures_name), file=sys.stderr)
        if isolated and pipeline.restarts:
            print(
                f"ingesthost: {pipeline.restarts} worker restarts ({pipeline.timeouts} timeouts, "
                f"{pipeline.crashes} crashes)",
                file=sys.stderr,
            )
    if outcome.stopped is not None and resume_hint:
        through = summary.accounted_through
        if stopped_in is None:
            print(
                f"ingesthost: every input line up to {through} is accounted for (written, dropped, failed or "
                f"blank); resume from line {through + 1}",
                file=sys.stderr,
            )
        else:
            print(
                f"ingesthost: the inputs before {stopped_in} are done, and every line of {stopped_in} up to "
                f"{through} is accounted for (written, dropped, failed or blank); resume from its line "
                f"{through + 1}; the inputs after it were not started",
                file=sys.stderr,
            )
    if outcome.stopped is not None:
        if outcome.signum is not None:
            return 128 + outcome.signum
        return EXIT_STOPPED
    _report_stats(pipeline, args)
    return EXIT_FAILURES if summary.failed else EXIT_OK


def cmd_inspect(args: argparse.Namespace) -> int:
    report, text = inspect_target(args.module, compiler=args.compiler, runtime=args.runtime)
    if args.json:
        print(orjson.dumps(report, option=orjson.OPT_INDENT_2).decode())
    else:
        print(text)
    return EXIT_OK if report["runnable"] else EXIT_FAILURES


def cmd_compile(args: argparse.Namespace) -> int:
    features = tuple(f.strip() for f in args.cpu_features.split(",") if f.strip())
    started = time.perf_counter()
    compiler = args.compiler or ("llvm" if runtimes.resolve(args.runtime) == "wasmer" else "cranelift")
    header = compile_artifact(
        args.module,
        args.output,
        compiler=compiler,
        engine=args.engine,
        target=args.target,
        cpu_features=features,
        max_memory=args.max_memory,
        runtime=args.runtime,
    )
    print(
        f"ingesthost: wrote {args.output} ({header.runtime} {header.runtime_version}, "
        f"{header.engine} engine, {header.compiler}, {header.target}, "
        f"{header.payload_size:,} bytes) in {time.perf_counter() - started:.2f} s",
        file=sys.stderr,
    )
    return EXIT_OK


# -- simulate and statistics (Elasticsearch's _simulate and ingest node stats) --


def _add_simulate_command(commands: Any) -> None:
    simulate = commands.add_parser(
        "simulate",
        help="show what a pipeline does to documents, as Elasticsearch's _simulate API",
        formatter_class=argparse.RawDescriptionHelpFormatter,
        description=(
            "Run a pipeline over documents and print Elasticsearch's _simulate response:\n"
            '{"docs": [{"doc": {"_index", "_id", "_version", "_source", "_ingest"}} | {"error": {...}} | null]}\n'
            "(null: dropped). --verbose lists every processor's result instead.\n\n"
            "INPUT is NDJSON (one document per line), or a JSON file shaped like the\n"
            '_simulate request body: {"docs": [{"_index": ..., "_id": ..., "_source": {...}}]}.\n\n'
            "Exit status: 0 the simulation ran (failed documents are part of the response);\n"
            "2 it could not (bad arguments, pipeline refused, unreadable input)."
        ),
        epilog="example:\n  ingesthost simulate --pipeline pipeline.yml sample.ndjson --verbose\n",
    )
    simulate.add_argument("input", metavar="INPUT", help="NDJSON or _simulate request JSON file, or - for stdin")
    simulate.add_argument(
        "--pipeline", "-p", metavar="FILE", required=True,
        help="pipeline file (JSON or YAML), or es://HOST:PORT/_ingest/pipeline/ID",
    )
    simulate.add_argument("--verbose", "-v", action="store_true", help="the result of every processor")
    _add_engine_options(simulate)
    _add_cache_options(simulate)
    simulate.add_argument(
        "--max-memory", type=_size, default=DEFAULT_MAX_MEMORY, metavar="SIZE", help="memory cap of each guest"
    )
    _add_confine_option(simulate)
    simulate.add_argument(
        "--insecure", action="store_true", help="with a stored pipeline: do not verify the cluster's TLS certificate"
    )


def _add_serve_command(commands: Any) -> None:
    serve = commands.add_parser(
        "serve",
        help="an Elasticsearch _bulk endpoint that runs pipelines and forwards the result",
        formatter_class=argparse.RawDescriptionHelpFormatter,
        description=(
            "Answer Elasticsearch's _bulk API (and what shippers call when they connect), run the\n"
            "pipeline each action names (per-action 'pipeline', else the 'pipeline' query parameter,\n"
            "else --default-pipeline; '_none' means none) in worker processes, forward what the\n"
            "pipelines keep to a cluster (or NDJSON files), and answer as Elasticsearch would.\n"
            "A pipeline's id is its file name in --pipelines without the extension.\n"
            "Listens on 127.0.0.1 unless told otherwise; SIGTERM finishes the requests in flight."
        ),
        epilog=(
            "examples:\n"
            "  ingesthost serve --pipelines pipelines/ --forward es://127.0.0.1:9201 --listen 127.0.0.1:9200\n"
            "  ingesthost serve --pipelines pipelines/ --forward-ndjson out/ --default-pipeline access\n"
        ),
    )
    serve.add_argument("--pipelines", metavar="DIR", required=True, help="directory of pipeline files (.yml, .yaml, .json)")
    target = serve.add_mutually_exclusive_group(required=True)
    target.add_argument("--forward", metavar="es://HOST:PORT", help="the cluster documents go to (credentials: see process)")
    target.add_argument("--forward-ndjson", metavar="DIR", help="append documents to DIR/INDEX.ndjson instead")
    serve.add_argument("--listen", metavar="HOST:PORT", default="127.0.0.1:9200", help="default: %(default)s (port 0: any free port)")
    serve.add_argument("--default-pipeline", metavar="ID", help="pipeline for actions that name none (default: none)")
    serve.add_argument("--failures", metavar="FILE", default="serve.failures.ndjson", help="failure records, appended (default: %(default)s)")
    serve.add_argument("--workers", type=int, default=1, metavar="N", help="worker processes per pipeline (default: 1)")
    _add_runtime_option(serve)
    serve.add_argument("--isolation", choices=["process", "none"], default="process")
    serve.add_argument("--timeout", type=float, metavar="SECONDS", help="time limit of one guest call (default: 1.0)")
    serve.add_argument("--max-body-bytes", type=_size, default=100 * 1024 * 1024, metavar="SIZE", help="largest request body, decompressed too; larger: 413 (default: 100MiB)")
    serve.add_argument("--max-in-flight", type=int, default=50_000, metavar="N", help="documents processed at once; beyond: 429 (default: 50000)")
    serve.add_argument("--max-in-flight-bytes", type=_size, default=512 * 1024 * 1024, metavar="SIZE", help="request bytes held at once, all requests together; beyond: 429 (default: 512MiB)")
    serve.add_argument("--es-version", default="8.17.0", metavar="X.Y.Z", help="version GET / reports when the client names none (default: %(default)s)")
    serve.add_argument("--auth-file", metavar="FILE", help="inbound credentials: lines 'apikey KEY' or 'basic USER:PASSWORD'")
    serve.add_argument("--tls-cert", metavar="FILE", help="serve https with this certificate (and --tls-key)")
    serve.add_argument("--tls-key", metavar="FILE")
    serve.add_argument("--max-retries", type=int, default=5, metavar="N", help="forwarding retries (default: 5)")


def cmd_serve(args: argparse.Namespace) -> int:
    from .serve import Credentials, ServeSettings, run

    host, _, port = args.listen.rpartition(":")
    if not host or not port.isdigit():
        raise IngestHostError(f"--listen must be HOST:PORT, found {args.listen}")
    if bool(args.tls_cert) != bool(args.tls_key):
        raise IngestHostError("--tls-cert and --tls-key go together")
    # The failure file is appended to for the server's life: never one of its pipeline files.
    pipeline_files = sorted(Path(args.pipelines).glob("*")) if Path(args.pipelines).is_dir() else []
    check_distinct(
        [(f"pipeline file {path}", str(path)) for path in pipeline_files if path.is_file()],
        [(f"failure file {args.failures}", args.failures)],
    )
    settings = ServeSettings(
        pipelines_dir=args.pipelines,
        forward=args.forward,
        forward_ndjson=args.forward_ndjson,
        default_pipeline=args.default_pipeline,
        failures=args.failures,
        workers=args.workers,
        isolation=args.isolation,
        timeout=args.timeout,
        max_body_bytes=args.max_body_bytes,
        max_in_flight_documents=args.max_in_flight,
        max_in_flight_bytes=args.max_in_flight_bytes,
        version=args.es_version,
        credentials=Credentials.from_file(args.auth_file) if args.auth_file else Credentials(),
        max_retries=args.max_retries,
    )

    def ready(bound_host: str, bound_port: int) -> None:
        scheme = "https" if args.tls_cert else "http"
        print(f"ingesthost: serving on {scheme}://{bound_host}:{bound_port}", file=sys.stderr, flush=True)

    run(settings, host.strip("[]"), int(port), certfile=args.tls_cert, keyfile=args.tls_key, ready=ready)
    return EXIT_OK


def _add_confine_option(command: argparse.ArgumentParser) -> None:
    command.add_argument(
        "--confine-to",
        metavar="DIR",
        help="refuse a pipeline that names a module, nested pipeline or WASI directory outside DIR "
        "(symlinks followed); for pipeline files you do not fully trust",
    )


def _simulate_documents(data: bytes, source: str) -> list[Any]:
    """The documents of INPUT: a _simulate request body, a JSON list, or NDJSON."""
    from .simulate import parse_request

    stripped = data.strip()
    if stripped[:1] in (b"{", b"["):
        try:
            whole = orjson.loads(stripped)
        except orjson.JSONDecodeError:
            whole = None  # several lines: NDJSON
        if isinstance(whole, dict) and "docs" in whole and set(whole) <= {"docs", "pipeline"}:
            try:
                return parse_request(whole)
            except InputError as exc:  # name the file, not "<input>"
                raise InputError(exc.problem, source=source) from None
        if isinstance(whole, list):
            if not all(isinstance(doc, dict) for doc in whole):
                raise IngestHostError(f"{source}: a JSON list of documents must hold objects only")
            return whole
    docs = []
    for record in read_records(io.BytesIO(data), source):
        if record.error is not None:
            raise IngestHostError(str(record.error))
        docs.append(record.document)
    return docs


def cmd_simulate(args: argparse.Namespace) -> int:
    cache = _cache_from_args(args)
    load: dict[str, Any] = {
        "compiler": args.compiler, "cache": cache, "max_memory": args.max_memory, "confine_to": args.confine_to
    }
    if stored_pipeline.is_stored_pipeline_url(args.pipeline):  # fetched as process fetches it, run here
        pipeline = stored_pipeline.open_stored_pipeline(args.pipeline, isolation="none", insecure=args.insecure, **load)
    else:
        pipeline = Pipeline.from_file(args.pipeline, **load)
    source = "<stdin>" if args.input == "-" else args.input
    with pipeline:
        try:
            stream = _open_input_file(args.input, args.closed_streams)
            with contextlib.closing(stream) if stream is not sys.stdin.buffer else contextlib.nullcontext(stream):
                data = stream.read()
        except OSError as exc:
            raise IngestHostError(f"{exc.filename or ''}: {exc.strerror or exc}") from exc
        response = pipeline.simulate(_simulate_documents(data, source), verbose=args.verbose)
    sys.stdout.buffer.write(orjson.dumps(response, option=orjson.OPT_INDENT_2 | orjson.OPT_APPEND_NEWLINE))
    sys.stdout.buffer.flush()
    return EXIT_OK


def _report_stats(pipeline: Pipeline, args: argparse.Namespace) -> None:
    if not (getattr(args, "stats", False) or getattr(args, "stats_json", None)):
        return
    from .stats import format_stats_table

    stats = pipeline.stats()
    if args.stats:
        format_stats_table(stats, sys.stderr)
    if args.stats_json:
        try:
            Path(args.stats_json).write_bytes(orjson.dumps(stats, option=orjson.OPT_INDENT_2 | orjson.OPT_APPEND_NEWLINE))
        except OSError as exc:
            raise IngestHostError(f"cannot write statistics to {args.stats_json}: {exc.strerror or exc}") from exc


def _reopen_closed_standard_streams() -> frozenset[int]:
    """Point any closed descriptor among 0, 1 and 2 at /dev/null; return which were closed.

    A closed standard descriptor is a trap: the next file opened takes its
    number, so a closed stderr would make the output file receive the log
    lines and the summary. With the numbers taken, a closed stdin or stdout
    is refused where it is needed, and a closed stderr simply discards.
    """
    closed = set()
    for fd in (0, 1, 2):
        try:
            os.fstat(fd)
        except OSError:
            closed.add(fd)
    for fd in sorted(closed):
        null = os.open(os.devnull, os.O_RDWR)
        if null != fd:
            os.dup2(null, fd)
            os.close(null)
        os.set_inheritable(fd, True)  # os.open's descriptors are not: child processes need it
    if 2 in closed or sys.stderr is None:
        sys.stderr = open(2, "w", closefd=False)
    if 1 in closed or sys.stdout is None:
        sys.stdout = open(1, "w", closefd=False)
    return frozenset(closed)


@contextlib.contextmanager
def _runtime_chosen(name: str | None) -> Iterator[None]:
    """``--runtime``: the default runtime of this command and of every process
    it starts (workers, Dask workers, WASI programs inherit the environment),
    checked to be installed first; the environment is restored afterwards."""
    if name is None:
        yield
        return
    runtimes.backend(name)  # not installed: a clear error now, not in a worker
    saved = os.environ.get(runtimes.DEFAULT_ENV)
    os.environ[runtimes.DEFAULT_ENV] = name
    try:
        yield
    finally:
        if saved is None:
            os.environ.pop(runtimes.DEFAULT_ENV, None)
        else:
            os.environ[runtimes.DEFAULT_ENV] = saved


def _add_engine_options(parser: argparse.ArgumentParser) -> None:
    """``--compiler`` and ``--runtime``, for the commands that run pipelines."""
    parser.add_argument(
        "--compiler",
        choices=COMPILERS,
        default=DEFAULT_COMPILER,
        help="default wasm compiler (pipeline files may set their own; default: %(default)s)",
    )
    _add_runtime_option(parser)


def _add_runtime_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--runtime",
        choices=runtimes.RUNTIMES,
        default=None,
        help="wasm runtime: wasmer (CPython 3.10; three compilers, native artifacts, fastest calls) or wasmtime "
        "(any CPython; in-process time limits); default: wasmer where installed, else wasmtime, or "
        f"${runtimes.DEFAULT_ENV}; pipeline files and processors may set `runtime:`",
    )


def main(argv: Sequence[str] | None = None) -> int:
    closed = _reopen_closed_standard_streams()
    parser = build_parser()
    args = parser.parse_args(argv)
    args.closed_streams = closed
    logging.basicConfig(level=args.log_level.upper(), format="%(levelname)s %(name)s: %(message)s")
    tune_garbage_collector()
    handlers = {
        "process": cmd_process,
        "inspect": cmd_inspect,
        "compile": cmd_compile,
        "simulate": cmd_simulate,
        "serve": cmd_serve,
    }
    try:
        with _runtime_chosen(getattr(args, "runtime", None)):
            return handlers[args.command](args)
    except IngestHostError as exc:
        print(f"ingesthost: error: {exc}", file=sys.stderr)
        return EXIT_ERROR
    except KeyboardInterrupt:
        print("ingesthost: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
