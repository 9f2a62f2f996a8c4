"""Worker pool: ``--workers N`` against ``--workers 1`` on the same input.

    .venv/bin/python bench/workers.py [--docs 200000] [--rounds 7] [--workers 2] [--batch-size 512]
                                      [--pipeline FILE | --module M.wasm] [--cli] [--reference]

Documents are ``bench/throughput.py``'s kind (~200-byte access-log lines
with ``user.name`` and ``http.status``); the default guest is
``fixtures/wasm/bench_edit.wasm`` (2 gets, 1 put). Both variants are opened
once with :func:`ingesthost.open_pipeline` (workers started, modules loaded)
and then run the whole input through ``run`` (the ``ingesthost process``
job: blocks in, output bytes out, in order), interleaved round after round;
medians are reported with their ratio. Outputs are compared byte for byte
first. ``--cli`` times the real command instead (``ingesthost process ...
-q``, start-up included), the same way. ``--reference`` also times one and
two independent in-process runs started together (separate processes, no
ingesthost parent): on a shared or virtual machine two CPUs are not always
two free cores, and that ratio is the ceiling of the pool's.

Also reported per variant: the CPU seconds of the parent process (all its
threads: reading, sending, receiving, reordering, writing; with ``--cli``,
the command's, start-up included) per 100,000 documents, the part of the work that does not spread over workers; and
"other load", how many CPUs other processes kept busy meanwhile (from
/proc/stat, minus this process and its workers): on a shared 2-CPU machine
a ratio means little unless that is near 0.
"""

from __future__ import annotations

import argparse
import io
import multiprocessing
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any


sys.path.insert(0, str(Path(__file__).resolve().parent))
from throughput import bench_lines  # noqa: E402

from ingesthost import WorkerPool, open_pipeline  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
BENCH_EDIT = ROOT / "fixtures" / "wasm" / "bench_edit.wasm"


def bench_data(count: int) -> bytes:
    """``count`` ~200-byte documents with the two fields bench_edit reads, as NDJSON."""
    return b"".join(line + b"\n" for line in bench_lines(count))


def machine_busy() -> float:
    """CPU seconds the whole machine has spent busy (all CPUs, from /proc/stat)."""
    fields = [int(value) for value in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    return (sum(fields[:8]) - fields[3] - fields[4]) / os.sysconf("SC_CLK_TCK")


def process_cpu(pid: int | None) -> float:
    """CPU seconds of one process (a worker), from /proc."""
    if pid is None:
        return 0.0
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _reference_child(conn: Any, what: dict[str, str], docs: int) -> None:
    """A process running the pipeline in-process over the data whenever told to."""
    data = bench_data(docs)
    pipeline = open_pipeline(**what, isolation="none")
    pipeline.run(io.BytesIO(data[: len(data) // 10]), io.BytesIO(), io.BytesIO())  # warm
    conn.send("ready")
    while conn.recv() == "go":
        started = time.perf_counter()
        pipeline.run(io.BytesIO(data), io.BytesIO(), io.BytesIO())
        conn.send(time.perf_counter() - started)


class Reference:
    """What this machine gives two processes at once: ``count`` independent
    in-process runs (no ingesthost parent, no workers) started together.
    Their combined rate against one such run is the ceiling of any
    ``--workers 2`` ratio here (two vCPUs may not be two free cores)."""

    def __init__(self, count: int, what: dict[str, str], docs: int) -> None:
        context = multiprocessing.get_context("spawn")
        self.conns, self.processes = [], []
        for _ in range(count):
            mine, theirs = context.Pipe()
            process = context.Process(target=_reference_child, args=(theirs, what, docs), daemon=True)
            process.start()
            self.conns.append(mine)
            self.processes.append(process)
        for conn in self.conns:
            assert conn.recv() == "ready"

    def run(self) -> float:
        """Seconds until every process has done the whole input."""
        started = time.perf_counter()
        for conn in self.conns:
            conn.send("go")
        for conn in self.conns:
            conn.recv()
        return time.perf_counter() - started

    def close(self) -> None:
        for conn in self.conns:
            conn.send("stop")
        for process in self.processes:
            process.join(10)


def library_rounds(args: argparse.Namespace, data: bytes, variants: dict[str, int]) -> dict[str, list[tuple[float, ...]]]:
    what = {"source": args.pipeline} if args.pipeline else {"module": args.module}
    pipelines = {
        name: open_pipeline(**what, workers=workers, batch_size=args.batch_size) for name, workers in variants.items()
    }
    try:
        outputs = {}
        for name, pipeline in pipelines.items():  # same bytes every way before timing anything
            out = io.BytesIO()
            pipeline.run(io.BytesIO(data), out, io.BytesIO(), source="bench")
            outputs[name] = out.getvalue()
        if not args.pipeline:  # a pipeline file may stamp the time: compare module runs only
            assert len(set(outputs.values())) == 1, "the variants wrote different outputs"
        timings: dict[str, list[tuple[float, ...]]] = {name: [] for name in variants}
        references = {}
        if args.reference:
            plain = {name: str(value) for name, value in what.items()}
            references = {f"ref: {n} in-process": Reference(n, plain, args.docs) for n in (1, 2)}
            timings.update({name: [] for name in references})
        for _ in range(args.rounds):
            for name, reference in references.items():
                busy = machine_busy()
                elapsed = reference.run()
                count = int(name.split()[1])
                # their CPU is not ours to subtract: report the machine's busy CPUs beyond theirs, roughly
                others = max(0.0, (machine_busy() - busy) / elapsed - count)
                timings[name].append((elapsed / count, 0.0, others))
            for name, pipeline in pipelines.items():
                out, failures = io.BytesIO(), io.BytesIO()
                pids = pipeline.worker_pids if isinstance(pipeline, WorkerPool) else [pipeline.worker_pid]
                workers_cpu = sum(map(process_cpu, pids))
                busy, cpu, wall = machine_busy(), time.process_time(), time.perf_counter()
                summary = pipeline.run(io.BytesIO(data), out, failures, source="bench")
                elapsed, parent = time.perf_counter() - wall, time.process_time() - cpu
                ours = parent + sum(map(process_cpu, pids)) - workers_cpu
                others = max(0.0, machine_busy() - busy - ours) / elapsed  # CPUs other processes kept busy
                timings[name].append((elapsed, parent, others))
                assert summary.read == args.docs, summary
        for reference in references.values():
            reference.close()
        return timings
    finally:
        for pipeline in pipelines.values():
            pipeline.close()


def session_cpu(session: int) -> dict[int, float]:
    """CPU seconds so far of every process of ``session``, by process id."""
    found = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[3]) == session:
            found[int(entry.name)] = (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    return found


def cli_rounds(args: argparse.Namespace, data: bytes, variants: dict[str, int]) -> dict[str, list[tuple[float, ...]]]:
    what = ["--pipeline", str(args.pipeline)] if args.pipeline else ["--module", str(args.module)]
    with tempfile.TemporaryDirectory() as directory:
        source = Path(directory) / "in.ndjson"
        source.write_bytes(data)
        timings: dict[str, list[tuple[float, ...]]] = {name: [] for name in variants}
        outputs = {}
        for round_ in range(args.rounds + 1):  # round 0 warms the compile cache and checks outputs
            for name, workers in variants.items():
                out = Path(directory) / f"out-{workers}.ndjson"
                command = [
                    sys.executable, "-m", "ingesthost", "process", str(source), *what, "-o", str(out),
                    "--workers", str(workers), "--batch-size", str(args.batch_size), "-q",
                ]
                before = os.times()
                busy, wall = machine_busy(), time.perf_counter()
                # its own session: the command, its forkserver and workers are the processes of session <pid>
                process = subprocess.Popen(command, cwd=ROOT, start_new_session=True)
                ours: dict[int, float] = {}
                while process.poll() is None:
                    ours.update(session_cpu(process.pid))
                    time.sleep(0.2)
                elapsed = time.perf_counter() - wall
                assert process.returncode == 0, f"{command} failed"
                after = os.times()
                # the command's own CPU (its workers are the forkserver's children, not counted here)
                cpu = (after.children_user - before.children_user) + (after.children_system - before.children_system)
                # other processes' CPUs, roughly: the command's tree is sampled every 0.2 s
                others = max(0.0, machine_busy() - busy - cpu - sum(v for pid, v in ours.items() if pid != process.pid))
                if round_ == 0:
                    outputs[name] = out.read_bytes()
                else:
                    timings[name].append((elapsed, cpu, others / elapsed))
        if not args.pipeline:
            assert len(set(outputs.values())) == 1, "the variants wrote different outputs"
    return timings


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--docs", type=int, default=200000)
    parser.add_argument("--rounds", type=int, default=7)
    parser.add_argument("--workers", type=int, default=2, help="the pool's size, compared with 1 (default: 2)")
    parser.add_argument("--batch-size", type=int, default=512)
    source = parser.add_mutually_exclusive_group()
    source.add_argument("--pipeline", type=Path, help="a pipeline file instead of bench_edit.wasm")
    source.add_argument("--module", type=Path, default=BENCH_EDIT)
    parser.add_argument("--cli", action="store_true", help="time the ingesthost command (start-up included)")
    parser.add_argument(
        "--reference",
        action="store_true",
        help="also time 1 and 2 independent in-process runs at once (the machine's own 2-process ceiling)",
    )
    args = parser.parse_args()

    data = bench_data(args.docs)
    variants = {"--workers 1": 1, f"--workers {args.workers}": args.workers}
    timings = (cli_rounds if args.cli else library_rounds)(args, data, variants)

    what = args.pipeline or args.module.name
    mode = "the ingesthost command, start-up included" if args.cli else "library run(), workers started"
    print(f"{args.docs} documents ({len(data) / args.docs:.0f} bytes each), {what}, batch {args.batch_size}, "
          f"{args.rounds} rounds interleaved, medians; {mode}; {os.cpu_count()} CPUs, "
          f"load average {os.getloadavg()[0]:.2f}")
    cpu_label = "command CPU s/100k" if args.cli else "parent CPU s/100k"
    others_label = f" {'other load':>11}"
    print(f"{'variant':18} {'docs/s':>10} {'us/doc':>8} {cpu_label:>28}{others_label}")
    def paired(one: str, other: str) -> str:
        """The median of the round-by-round ratios (each round's two runs are
        back to back: steadier than a ratio of medians on a drifting machine)."""
        ratios = sorted(a[0] / b[0] for a, b in zip(timings[one], timings[other]))
        return f"round by round {statistics.median(ratios):.2f}x ({ratios[0]:.2f}-{ratios[-1]:.2f})"

    rates = {}
    for name, values in timings.items():
        wall = statistics.median(value[0] for value in values)
        cpu = statistics.median(value[1] for value in values)
        rates[name] = args.docs / wall
        line = f"{name:18} {rates[name]:10,.0f} {1e6 / rates[name]:8.2f} {cpu / args.docs * 1e5:28.3f}"
        # CPUs kept busy by other processes meanwhile (median over rounds)
        line += f" {statistics.median(value[2] for value in values):10.2f}"
        print(line)
    first, second = rates["--workers 1"], rates[f"--workers {args.workers}"]
    spread = [args.docs / value[0] for value in timings[f"--workers {args.workers}"]]
    print(f"ratio: {second / first:.2f}x (--workers {args.workers} rounds: "
          f"{min(spread):,.0f}-{max(spread):,.0f} docs/s); {paired('--workers 1', f'--workers {args.workers}')}")
    if "ref: 2 in-process" in rates:
        ceiling = rates["ref: 2 in-process"] / rates["ref: 1 in-process"]
        print(f"machine: 2 independent in-process runs at once do {ceiling:.2f}x one run "
              f"(the pool's ratio is {second / first / ceiling:.0%} of that); "
              f"{paired('ref: 1 in-process', 'ref: 2 in-process')}")


if __name__ == "__main__":
    main()
