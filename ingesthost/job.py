"""The ``process`` job: blocks of input lines through a pipeline, results
committed block by block, and a run that stops part-way still accounts for
every line it read.

Where the pipeline runs (in this process or in a worker) is the caller's
choice, given as a ``run_blocks`` function (:func:`ingesthost.runner.run_blocks`
or :meth:`ingesthost.workers.IsolatedPipeline.run_blocks`). The job reads
blocks (:func:`ingesthost.ndjson.read_blocks`), and after each block's
results are written to both outputs (:class:`ingesthost.outputs.RunOutputs`,
all or nothing) it advances the summary: the counts and the last input line
accounted for. So whatever stops the run — a full disk, a reader that went
away, Ctrl-C or SIGTERM, a worker that had to be given up — the outputs hold
the results of exactly the lines up to ``accounted_through``, and the
summary says so; the lines after it are the ones to run again.
"""

from __future__ import annotations

import dataclasses
import signal
import time
from typing import IO, Callable, Iterator

from .errors import IngestHostError
from .ndjson import read_blocks
from .outputs import OutputWriteError, RunOutputs
from .runner import RunSummary

#: A function from blocks of lines to their results, in order (see the module docstring).
BlockRunner = Callable[[Iterator[tuple]], Iterator[tuple[bytes, bytes, dict, int]]]


class Interrupted(BaseException):
    """Raised by a signal handler the front end installs (SIGTERM); like
    KeyboardInterrupt, not an error of the run, so it is a BaseException."""

    def __init__(self, signum: int) -> None:
        super().__init__(signal.Signals(signum).name)
        self.signum = signum


@dataclasses.dataclass
class JobOutcome:
    """How a job ended. ``stopped`` is None when every input line was
    processed; else why it stopped (the summary covers the lines up to
    ``summary.accounted_through``). ``signum`` is set when a signal stopped
    it; ``broken_pipe`` when the reader of the output went away."""

    summary: RunSummary
    stopped: str | None = None
    signum: int | None = None
    broken_pipe: bool = False


def process_stream(
    run_blocks: BlockRunner,
    stream: IO[bytes],
    source: str,
    outputs: RunOutputs,
    *,
    batch_size: int,
    batch_bytes: int,
    max_line_bytes: int,
    on_commit: Callable[[RunSummary], None] | None = None,
) -> JobOutcome:
    """Run the job over ``stream`` until its end or until something stops it."""
    summary = RunSummary()
    outcome = JobOutcome(summary)
    started = time.perf_counter()
    blocks = read_blocks(stream, source, batch_size, batch_bytes, max_line_bytes)
    results = run_blocks(blocks)
    # What the outputs hold: the counts up to a line and where both files stand
    # then, replaced in one assignment after each commit. A stop cuts the files
    # back to exactly that, even when a signal lands between a commit and its
    # accounting (a signal's exception can be raised at any bytecode).
    accounted = (RunSummary(), outputs.output.mark(), outputs.failures.mark())
    try:
        for out, failed, counts, last in results:
            outputs.output.write(out)
            outputs.failures.write(failed)
            after = dataclasses.replace(accounted[0])
            after.add(counts)
            after.accounted_through = last
            outputs.commit()
            accounted = (after, outputs.output.mark(), outputs.failures.mark())
            if on_commit is not None:
                on_commit(after)
    except OutputWriteError as exc:  # the commit took itself back
        outcome.stopped = str(exc)
        outcome.broken_pipe = exc.broken_pipe
    except KeyboardInterrupt:
        _cut_back(outputs, accounted)
        outcome.stopped, outcome.signum = "interrupted (SIGINT)", int(signal.SIGINT)
    except Interrupted as exc:
        _cut_back(outputs, accounted)
        outcome.stopped, outcome.signum = f"interrupted ({exc})", exc.signum
    except OSError as exc:  # the input could not be read on
        _cut_back(outputs, accounted)
        outcome.stopped = f"cannot read {source}: {exc.strerror or exc}"
    except IngestHostError as exc:  # e.g. a worker that had to be given up
        _cut_back(outputs, accounted)
        outcome.stopped = str(exc)
    finally:
        for field in dataclasses.fields(RunSummary):
            setattr(summary, field.name, getattr(accounted[0], field.name))
        close = getattr(results, "close", None)
        if close is not None:
            try:
                close()  # abandon the block in flight (a worker is stopped, not waited for)
            except Exception:
                pass
        summary.elapsed_seconds = time.perf_counter() - started
    return outcome


def _cut_back(outputs: RunOutputs, accounted: tuple) -> None:
    """Drop what was queued and take back any commit the accounting does not cover."""
    _, output_mark, failures_mark = accounted
    outputs.output.reset_to(output_mark)
    outputs.failures.reset_to(failures_mark)
