"""``ingesthost process`` with Elasticsearch as source or sink, and runs
with a checkpoint: the options, and the glue from them to
:mod:`ingesthost.es_job`. The option parsing stays in :mod:`ingesthost.cli`;
this module only knows how to open what the options name.
"""

from __future__ import annotations

import argparse
import dataclasses
import sys
from pathlib import Path
from typing import Any, Iterator

import orjson

from .errors import IngestHostError
from .inputs import InputFile
from .job import JobOutcome
from .outputs import OutputFile, RunOutputs, check_distinct, unused_name
from .runner import RunSummary

#: Schemes that name an index (``es://HOST:PORT/INDEX``; ``ess`` is https).
SCHEMES = ("es://", "ess://")


def is_index_url(text: str | None) -> bool:
    return bool(text) and text.startswith(SCHEMES)  # type: ignore[union-attr]


def add_options(process: argparse.ArgumentParser, size: Any) -> None:
    """The Elasticsearch and checkpoint options of ``process``."""
    group = process.add_argument_group(
        "Elasticsearch (INPUT or --output as es://HOST:PORT/INDEX, ess:// for https)",
        "Credentials come from the environment (ELASTIC_API_KEY, ELASTICSEARCH_USERNAME and "
        "ELASTICSEARCH_PASSWORD, ELASTICSEARCH_BEARER_TOKEN, ELASTICSEARCH_CA_CERTS) or the URL "
        "(es://USER:PASSWORD@HOST:PORT/INDEX); no secret is ever printed or written. Documents "
        "read from an index carry _index, _id and _routing as top-level fields that processors "
        "and conditions read and set (ctx._index); written to an index, those fields become the "
        "bulk action's metadata.",
    )
    group.add_argument("--query", metavar="JSON|@FILE", help="only the documents matching this query (source)")
    group.add_argument("--page-size", type=int, default=1000, metavar="N", help="hits per search request (default: 1000)")
    group.add_argument("--slices", type=int, default=1, metavar="N", help="read the index in N slices (default: 1)")
    group.add_argument(
        "--sort",
        metavar="FIELD",
        help="a field unique per document that never changes: reads in its order, which makes an index "
        "read resumable (--checkpoint); without it, the fastest order, not resumable",
    )
    group.add_argument(
        "--slice-field", metavar="FIELD", help="a numeric field to slice on (needed to resume a sliced read)"
    )
    group.add_argument("--op-type", choices=("index", "create"), default="index", help="bulk action (default: index)")
    group.add_argument("--bulk-docs", type=int, default=500, metavar="N", help="documents per _bulk request (default: 500)")
    group.add_argument(
        "--bulk-bytes", type=size, default=5 * 1024 * 1024, metavar="SIZE", help="bytes per _bulk request (default: 5MiB)"
    )
    group.add_argument(
        "--max-retries", type=int, default=5, metavar="N", help="retries of a request Elasticsearch refused for now (default: 5)"
    )
    group.add_argument("--dead-letter", metavar="es://HOST:PORT/INDEX", help="also write failed documents to this index")
    group.add_argument("--insecure", action="store_true", help="do not verify the cluster's TLS certificate")
    resume = process.add_argument_group("checkpoints")
    resume.add_argument(
        "--checkpoint",
        metavar="FILE",
        help="after each block the sink acknowledged, record in FILE where the input stands",
    )
    resume.add_argument("--resume", action="store_true", help="continue the run recorded in --checkpoint FILE")


def wanted(args: argparse.Namespace) -> bool:
    """Whether this run is one for :func:`run`."""
    return is_index_url(args.input) or is_index_url(args.output) or bool(args.checkpoint) or bool(args.resume)


def check(args: argparse.Namespace) -> None:
    """Refuse combinations that cannot work, before anything is opened."""
    if args.resume and not args.checkpoint:
        raise IngestHostError("--resume needs --checkpoint FILE (the checkpoint to continue from)")
    if args.dask_scheduler:
        raise IngestHostError("Elasticsearch sources and sinks, and --checkpoint, do not apply with --dask-scheduler")
    index_in = is_index_url(args.input)
    if not index_in:
        for option in ("query", "sort", "slice_field"):
            if getattr(args, option):
                raise IngestHostError(f"--{option.replace('_', '-')} applies to an index input (es://HOST:PORT/INDEX)")
    if index_in and args.checkpoint and not args.sort:
        raise IngestHostError(
            "--checkpoint with an index input needs --sort FIELD, a field unique per document that never "
            "changes: without it, positions in the index mean nothing to a later run"
        )
    if index_in and args.checkpoint and args.slices > 1 and not args.slice_field:
        raise IngestHostError("--checkpoint with --slices needs --slice-field FIELD (a numeric field)")
    if args.checkpoint and args.input == "-":
        raise IngestHostError("--checkpoint needs an input that can be read again: a file or an index, not -")
    if args.dead_letter and not is_index_url(args.dead_letter):
        raise IngestHostError("--dead-letter must be an index URL, es://HOST:PORT/INDEX")
    if args.dead_letter and not is_index_url(args.output):
        raise IngestHostError("--dead-letter applies to an index output (--output es://HOST:PORT/INDEX)")
    if index_in and is_index_url(args.output):
        from .elasticsearch.connection import parse_url

        source, sink = parse_url(args.input), parse_url(args.output)
        if sink.index is None:
            raise IngestHostError(
                "--output names no index: the documents would be written back into the index they were read "
                f"from ({source.index}); name the index to write to"
            )
        if (source.base_url, source.index) == (sink.base_url, sink.index):
            raise IngestHostError(f"--output is the input index ({source.index}): write to another index")
    if args.page_size < 1 or args.slices < 1 or args.bulk_docs < 1 or args.bulk_bytes < 1 or args.max_retries < 0:
        raise IngestHostError("--page-size, --slices, --bulk-docs and --bulk-bytes must be positive, --max-retries 0 or more")


def _query(text: str | None) -> dict[str, Any] | None:
    if text is None:
        return None
    where = "--query"
    if text.startswith("@"):
        where = f"--query file {text[1:]}"
        try:
            text = Path(text[1:]).read_text()
        except OSError as exc:
            raise IngestHostError(f"cannot read {where}: {exc.strerror or exc}") from None
    try:
        query = orjson.loads(text)
    except orjson.JSONDecodeError as exc:
        raise IngestHostError(f"{where} is not JSON: {exc}") from None
    if not isinstance(query, dict):
        raise IngestHostError(f"{where} must be a JSON object (a query, e.g. {{\"term\": {{\"kind\": \"a\"}}}})")
    return query.get("query", query) if list(query) == ["query"] else query


def _connect(url: str, args: argparse.Namespace) -> tuple[Any, Any]:
    """(client, settings) for an index URL; the cluster is asked once now, so that
    a wrong address or wrong credentials stop the run before anything is written."""
    from .elasticsearch import make_client, settings_from

    settings = settings_from(url, insecure=args.insecure)
    client = make_client(settings)
    try:
        client.info()
    except Exception as exc:  # any failure here: the run cannot start
        reason = getattr(exc, "message", None) or str(exc)
        status = getattr(getattr(exc, "meta", None), "status", None)
        if status in (401, 403):
            reason = "the credentials were refused"
        raise IngestHostError(settings.redact(f"cannot reach Elasticsearch at {settings.base_url}: {reason}")) from None
    return client, settings


def _public(url: str) -> str:
    """An index URL without credentials (for messages, records and checkpoints)."""
    from .elasticsearch.connection import strip_userinfo

    return strip_userinfo(url)


def run(args: argparse.Namespace) -> int:
    """``ingesthost process`` with an index on either side or a checkpoint."""
    from . import cli, es_job
    from .elasticsearch import BulkSink, DeadLetter, IndexSource

    check(args)
    index_in, index_out = is_index_url(args.input), is_index_url(args.output)
    source_name = _public(args.input) if index_in else ("<stdin>" if args.input == "-" else args.input)
    query = _query(args.query)
    checkpoint = None
    if args.checkpoint:
        checkpoint = es_job.CheckpointFile(args.checkpoint, _identity(args, source_name, query))
    state = checkpoint.load() if (checkpoint is not None and args.resume) else None
    saved_failures = state["sizes"].get("failures_path") if state is not None else None
    if args.failures is not None:
        failures_path, failures_lazy = args.failures, False
    elif saved_failures:  # the resumed run's failure file, whatever its default name was
        failures_path, failures_lazy = saved_failures, not Path(saved_failures).exists()
    elif index_out:
        index = args.output.rstrip("/").rsplit("/", 1)[-1] or "index"
        failures_path, failures_lazy = str(unused_name(Path.cwd(), index, ".failures.ndjson")), True
    elif args.output not in (None, "-"):
        failures_path, failures_lazy = str(cli.default_failures_path(args.output)), False
    else:
        failures_path, failures_lazy = str(cli._unnamed_failures_path("index" if index_in else args.input)), True
    file_outputs = [] if index_out else [
        ("output <stdout>", 1) if args.output in (None, "-") else (f"output {args.output}", args.output)
    ]
    check_distinct(
        [] if index_in else [(f"input {name}", 0 if name == "-" else name) for name in args.inputs],
        [*file_outputs, (f"failure file {failures_path}", failures_path)]
        + ([(f"checkpoint {args.checkpoint}", args.checkpoint)] if args.checkpoint else []),
    )
    source_client = sink_client = None
    if index_in:
        source_client, source_settings = _connect(args.input, args)
    if index_out:
        sink_client, sink_settings = _connect(args.output, args)
    inputs: list[InputFile] = []
    if not index_in:  # opened (and so checked) before anything loads; read in turn
        inputs = [InputFile(name, args.closed_streams) for name in args.inputs]
    start = RunSummary()
    if state is not None:
        start.add(state["counts"])
        start.accounted_through = state["accounted_through"]
    to_stdout = not index_out and args.output in (None, "-")
    try:
        with cli._load_pipeline(args) as pipeline, cli._private_stdout(to_stdout) as stdout_fd:
            if index_in:
                from .elasticsearch.connection import parse_url

                positions = (state or {}).get("position", {}).get("slices") if state else None
                reader = IndexSource(
                    source_client,
                    parse_url(args.input).index or "",
                    query=query,
                    page_size=args.page_size,
                    slices=args.slices,
                    sort=args.sort,
                    slice_field=args.slice_field,
                    resume_after={int(k): v for k, v in positions.items()} if positions else None,
                    redact=source_settings.redact,
                )
                total = reader.count() if state is None else None  # a resumed read's remainder is unknown
                entries = es_job.index_entries(
                    reader,
                    args.batch_size,
                    start.accounted_through + 1,
                    positions,
                    destination=parse_url(args.output).index if index_out else None,
                )
                parts: list[tuple[str, Any]] = [(source_name, entries)]
            else:
                total = None
                parts = _file_parts(args, inputs, (state or {}).get("position"))
            sizes = state["sizes"] if state is not None else {}
            failures = _failure_file(failures_path, failures_lazy, sizes.get("failures"))
            if index_out:
                from .elasticsearch.connection import parse_url

                sink = BulkSink(
                    sink_client,
                    parse_url(args.output).index or "_",
                    op_type=args.op_type,
                    max_docs=args.bulk_docs,
                    max_bytes=args.bulk_bytes,
                    max_retries=args.max_retries,
                    redact=sink_settings.redact,
                )
                dead = None
                if args.dead_letter:
                    dead_client, dead_settings = _connect(args.dead_letter, args)
                    dead = DeadLetter(dead_client, parse_url(args.dead_letter).index or "", redact=dead_settings.redact)
                delivery: Any = es_job.BulkDelivery(
                    sink, failures, source_name, default_index=parse_url(args.output).index, dead_letter=dead
                )
            else:
                output = OutputFile("output <stdout>", fd=stdout_fd) if to_stdout else OutputFile("output", args.output)
                _start_at(output, sizes.get("output") if state is not None else 0)
                delivery = es_job.FileDelivery(RunOutputs(output, failures))
            outcome, stopped_in = _run(args, pipeline, parts, delivery, start, checkpoint, total)
    finally:
        for opened in inputs:
            opened.close()
    return _report(args, pipeline, outcome, failures_path, stopped_in)


def _file_parts(args: argparse.Namespace, inputs: list[InputFile], position: dict[str, Any] | None) -> list[tuple[str, Any]]:
    """(name, entries) for each NDJSON input still to read; a checkpoint's
    position (file number, last line) skips what it covers."""
    from .es_job import ndjson_entries
    from .workers import DEFAULT_BATCH_BYTES

    done_file, done_line = (position.get("file", 0), position.get("line", 0)) if position else (0, 0)
    parts = []
    for number, opened in enumerate(inputs):
        if number < done_file:
            continue
        first = done_line + 1 if number == done_file else 1
        entries = ndjson_entries(
            opened.stream, opened.display, args.batch_size, DEFAULT_BATCH_BYTES, args.max_line_bytes, first_line=first
        )
        parts.append((opened.display, _in_file(entries, number)))
    return parts


def _in_file(entries: Iterator[Any], number: int) -> Iterator[Any]:
    for entry, position in entries:
        yield entry, {"file": number, **position}


def _identity(args: argparse.Namespace, source: str, query: Any) -> dict[str, Any]:
    """What a resumed run must share with the run that wrote the checkpoint."""
    pipeline_files = [args.pipeline] if args.pipeline else [args.module]
    from .es_job import digest_files

    return {
        "input": source if is_index_url(args.input) else [str(Path(name).resolve()) for name in args.inputs],
        "output": _public(args.output) if is_index_url(args.output) else (str(Path(args.output).resolve()) if args.output not in (None, "-") else "-"),
        "failures": str(Path(args.failures).resolve()) if args.failures else None,
        "pipeline": digest_files(str(Path(p).resolve()) for p in pipeline_files if p),
        "params": sorted(map(list, args.param)) if args.param else [],
        "query": query,
        "sort": args.sort,
        "slices": args.slices,
        "slice_field": args.slice_field,
        "op_type": args.op_type if is_index_url(args.output) else None,
    }


def _failure_file(path: str, lazy: bool, resume_size: int | None) -> OutputFile:
    failures = OutputFile("failure file", path, lazy=lazy)
    if not lazy:
        _start_at(failures, resume_size or 0)
    return failures


def _start_at(output: OutputFile, size: int | None) -> None:
    """Empty an output, or on resume cut it back to what the checkpoint covers."""
    if not size:
        output.start()
        return
    output.resume_at(size)


def _run(
    args: argparse.Namespace,
    pipeline: Any,
    parts: list[tuple[str, Any]],
    delivery: Any,
    start: RunSummary,
    checkpoint: Any,
    total: int | None,
) -> tuple[JobOutcome, str | None]:
    """Each part (an input: its name and its entries) in turn, into the same
    sink; a stop ends the run: (the outcome, the input it stopped in when
    there are several)."""
    from .es_job import run_document_job
    from .progress import Progress
    from .runner import run_blocks as runner_run_blocks

    isolated = args.isolation == "process"
    progress = None
    seen = {"read": start.read}
    if not args.quiet and sys.stderr is not None and sys.stderr.isatty():
        progress = Progress(sys.stderr, total, lambda: seen["read"])

    def on_commit(summary: RunSummary) -> None:
        seen["read"] = summary.read
        if progress is not None:
            progress.update(summary)

    outcome = JobOutcome(dataclasses.replace(start))
    try:
        for source, entries in parts:
            def run_blocks(blocks: Iterator[tuple], source: str = source) -> Iterator[tuple]:
                if isolated:
                    return pipeline.run_blocks(blocks, source, args.max_line_bytes, args.max_depth)
                return runner_run_blocks(pipeline, blocks, source, args.max_line_bytes, args.max_depth)

            if hasattr(delivery, "source"):
                delivery.source = source
            elapsed = outcome.summary.elapsed_seconds
            outcome = run_document_job(
                run_blocks, entries, delivery, start=outcome.summary, checkpoint=checkpoint, on_commit=on_commit
            )
            outcome.summary.elapsed_seconds += elapsed
            if outcome.stopped is not None:
                return outcome, (source if len(args.inputs) > 1 else None)
        return outcome, None
    finally:
        if progress is not None:
            progress.close()
        delivery.close()


def _report(args: argparse.Namespace, pipeline: Any, outcome: JobOutcome, failures: str, stopped_in: str | None) -> int:
    from . import cli

    code = cli._report(
        args, pipeline, outcome, failures, args.isolation == "process", resume_hint=not args.checkpoint, stopped_in=stopped_in
    )
    if outcome.stopped is not None and args.checkpoint:
        print(f"ingesthost: the checkpoint {args.checkpoint} covers it: run again with --resume to continue", file=sys.stderr)
    return code
