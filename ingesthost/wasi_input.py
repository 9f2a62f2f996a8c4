"""WASI input programs: ``ingesthost process wasi:PROGRAM.wasm``, as Fluent
Bit's ``exec_wasi`` input.

A WASI command module (one exporting ``_start``) runs in a child process
(``python -m ingesthost.wasi_input``), so that a trap, a crash or an endless
loop of the program cannot take the run down. Its stdout is a pipe the run
reads as its input: each line becomes one document, a line that is a JSON
object as it is and any other line as ``{"message": line}``. Lines are never
split at a buffer size; a line longer than ``--max-line-bytes`` reaches the
reader unchanged, which makes it a failure record as for a file. Its stderr
goes to the log, line by line (level warning).

Nothing is granted by default: no directory, no environment variable, no
argument beyond argv[0] (the module's file name). ``--wasi-dir DIR`` lets the
program see DIR at its absolute path (``--wasi-dir /guest=DIR`` at another
one), ``--wasi-arg`` and ``--wasi-env K=V`` add arguments and variables.
``--wasi-timeout`` bounds each run (default: none); ``--interval N`` runs the
program again N seconds after each run started (at once when a run took
longer) until SIGINT/SIGTERM, and then a failed run is logged and the next
one happens anyway. Without ``--interval`` a failed run (non-zero exit
status, trap, crash, time limit) stops the run after its output has gone
through the pipeline: see :attr:`WasiInput.problem`.

:class:`WasiInput` is an :class:`~ingesthost.inputs.InputFile` look-alike:
``stream`` gives the documents' NDJSON bytes, numbered by the program's
stdout lines (continuing across runs with ``--interval``).
"""

from __future__ import annotations

import argparse
import dataclasses
import io
import json
import logging
import os
import signal
import subprocess
import sys
import threading
import time
from typing import IO, Any

import orjson

from .errors import IngestHostError
from .ndjson import JSON_WHITESPACE

PREFIX = "wasi:"

log = logging.getLogger("ingesthost.wasi_input")

#: Child exit status when the program could not start (not a WASI command, refused...).
_EXIT_NOT_STARTED = 125


def is_wasi_input(name: str) -> bool:
    return name.startswith(PREFIX)


@dataclasses.dataclass(frozen=True)
class WasiProgram:
    """A WASI program to run and what it is granted."""

    path: str
    #: (path the program sees, absolute host directory)
    dirs: tuple[tuple[str, str], ...] = ()
    args: tuple[str, ...] = ()
    env: tuple[tuple[str, str], ...] = ()
    compiler: str = "cranelift"
    max_memory: int = 256 * 1024 * 1024
    timeout: float | None = None
    #: The wasm runtime (None: the default, see ingesthost.runtime).
    runtime: str | None = None
    interval: float | None = None

    @classmethod
    def from_args(cls, name: str, args: argparse.Namespace) -> WasiProgram:
        """From ``wasi:PATH`` and the ``--wasi-*``/``--interval`` options; refuses what cannot work."""
        path = name[len(PREFIX) :]
        if not path:
            raise IngestHostError("wasi: needs a program, e.g. wasi:program.wasm")
        path = os.path.abspath(path)
        if not os.path.isfile(path):
            raise IngestHostError(f"WASI program {path} is not a file")
        confine = getattr(args, "confine_to", None)
        dirs = []
        for given in getattr(args, "wasi_dir", None) or []:
            guest, host = given, given
            if "=" in given and given.startswith("/") and not os.path.isdir(given):
                guest, host = given.split("=", 1)
            host = os.path.realpath(host)
            if not os.path.isdir(host):
                raise IngestHostError(f"--wasi-dir {given}: {host} is not a directory")
            if guest == given:
                guest = host
            dirs.append((guest, host))
        if confine is not None:
            root = os.path.realpath(confine)
            for what, where in [("WASI program", os.path.realpath(path))] + [("--wasi-dir", h) for _, h in dirs]:
                if os.path.commonpath([root, where]) != root:
                    raise IngestHostError(f"{what} {where} is outside --confine-to {root}")
        env = []
        for given in getattr(args, "wasi_env", None) or []:
            key, sep, value = given.partition("=")
            if not sep or not key:
                raise IngestHostError(f"--wasi-env needs KEY=VALUE, found {given!r}")
            env.append((key, value))
        for option in ("interval", "wasi_timeout"):
            value = getattr(args, option, None)
            if value is not None and not 0 < value < float("inf"):
                raise IngestHostError(f"--{option.replace('_', '-')} must be a positive number of seconds, found {value}")
        return cls(
            path=path,
            dirs=tuple(dirs),
            args=tuple(getattr(args, "wasi_arg", None) or ()),
            env=tuple(env),
            compiler=getattr(args, "compiler", "cranelift"),
            runtime=getattr(args, "runtime", None),
            max_memory=getattr(args, "max_memory", cls.max_memory),
            timeout=getattr(args, "wasi_timeout", None),
            interval=getattr(args, "interval", None),
        )

    def check(self) -> None:
        """Compile the module here (no code runs) and refuse one that is no WASI command."""
        from .abi import WASI_MODULES
        from .engine import Engine
        from .loader import cap_module_memory

        try:
            with open(self.path, "rb") as file:
                data = file.read()
        except OSError as exc:
            raise IngestHostError(f"cannot read WASI program {self.path}: {exc.strerror or exc}") from None
        try:
            data = cap_module_memory(data, self.max_memory, self.path)
            module = Engine(self.compiler, runtime=self.runtime).compile(data)
        except (RuntimeError, TypeError, ValueError) as exc:
            raise IngestHostError(f"WASI program {self.path} is not a valid wasm module: {exc}") from None
        if not any(imp.module in WASI_MODULES for imp in module.imports):
            raise IngestHostError(f"WASI program {self.path} imports no WASI (wasi_snapshot_preview1)")
        if "_start" not in {export.name for export in module.exports}:
            raise IngestHostError(
                f"WASI program {self.path} exports no _start: it is not a WASI command "
                "(a reactor or a processor module? see ingesthost inspect)"
            )

    def command(self, status_fd: int) -> list[str]:
        argv = [sys.executable, "-m", "ingesthost.wasi_input", self.path, "--status-fd", str(status_fd)]
        argv += ["--compiler", self.compiler, "--max-memory", str(self.max_memory)]
        if self.runtime:
            argv += ["--runtime", self.runtime]
        grants = {"dirs": [list(pair) for pair in self.dirs], "args": list(self.args), "env": [list(pair) for pair in self.env]}
        argv += ["--grants", json.dumps(grants)]
        return argv


def add_options(process: argparse.ArgumentParser) -> None:
    """The ``process`` options of a ``wasi:PROGRAM.wasm`` input."""
    group = process.add_argument_group("WASI input programs (INPUT wasi:PROGRAM.wasm)")
    group.add_argument(
        "--wasi-dir", action="append", metavar="DIR",
        help="let the program read and write DIR, seen at its absolute path (/GUEST=DIR: at /GUEST); repeatable; "
        "default: no files at all",
    )
    group.add_argument("--wasi-arg", action="append", metavar="ARG", help="an argument after argv[0] (repeatable; default: none)")
    group.add_argument("--wasi-env", action="append", metavar="KEY=VALUE", help="an environment variable (repeatable; default: none)")
    group.add_argument(
        "--wasi-timeout", type=float, metavar="SECONDS",
        help="time limit of each run of the program, killed beyond it (default: none)",
    )
    group.add_argument(
        "--interval", type=float, metavar="SECONDS",
        help="run the program every SECONDS (counted from each start) until SIGINT/SIGTERM (default: once)",
    )


_OPTIONS = ("wasi_dir", "wasi_arg", "wasi_env", "wasi_timeout", "interval")


def check_args(args: argparse.Namespace) -> None:
    """Refuse WASI input options without a WASI input, and a WASI input with what does not apply."""
    wanted = [name for name in args.inputs if is_wasi_input(name)]
    if not wanted:
        for option in _OPTIONS:
            if getattr(args, option, None) is not None:
                raise IngestHostError(f"--{option.replace('_', '-')} applies to a wasi:PROGRAM.wasm input only")
        return
    if len(args.inputs) > 1:
        raise IngestHostError("a wasi:PROGRAM.wasm input must be the only input of a run")
    if getattr(args, "dask_scheduler", None):
        raise IngestHostError("a wasi:PROGRAM.wasm input does not apply with --dask-scheduler")
    for option in ("checkpoint", "resume"):
        if getattr(args, option, None):
            raise IngestHostError(f"--{option} does not apply to a wasi:PROGRAM.wasm input")
    from .cli_elasticsearch import is_index_url

    if is_index_url(getattr(args, "output", None)):
        raise IngestHostError("a wasi:PROGRAM.wasm input writes NDJSON output only (for now)")
    WasiProgram.from_args(wanted[0], args)  # refuses bad values before anything is opened


def open_input(name: str, args: argparse.Namespace) -> WasiInput | None:
    """The input for ``wasi:PROGRAM`` (checked, not started yet); None for any other name."""
    if not is_wasi_input(name):
        return None
    program = WasiProgram.from_args(name, args)
    program.check()
    return WasiInput(program, args.max_line_bytes, display=name)


def note_failure(inputs: list[Any], outcome: Any) -> bool:
    """After the run: a WASI program's failed run (without --interval) stops the run, once its
    output went through. Whether the input is a WASI program (a run that has no line to resume from)."""
    programs = [opened for opened in inputs if isinstance(opened, WasiInput)]
    for opened in programs:
        if opened.problem is not None and outcome.stopped is None:
            outcome.stopped = opened.problem
    return bool(programs)


class WasiInput:
    """The run's input when it is ``wasi:PROGRAM``: what :class:`~ingesthost.inputs.InputFile` offers."""

    compressed = False
    size = None

    def __init__(self, program: WasiProgram, max_line_bytes: int, display: str | None = None) -> None:
        self.program = program
        self.name = PREFIX + program.path
        self.display = display or self.name
        self._raw = _ProgramOutput(program, max_line_bytes, self.display)
        self.stream: IO[bytes] = io.BufferedReader(self._raw, 1 << 16)  # type: ignore[arg-type]

    @property
    def problem(self) -> str | None:
        """Why the (last) run of the program failed, when it did and no --interval is set."""
        return self._raw.problem

    @property
    def runs(self) -> int:
        return self._raw.runs

    def position(self) -> int | None:
        return None

    def close(self) -> None:
        self._raw.close()


class _ProgramOutput(io.RawIOBase):
    """The program's stdout, runs after runs, line by line turned into NDJSON documents."""

    def __init__(self, program: WasiProgram, max_line_bytes: int, display: str) -> None:
        super().__init__()
        self.program = program
        self.limit = max_line_bytes
        self.display = display
        self.problem: str | None = None
        self.runs = 0
        self._pending = bytearray()  # the start of a line not yet whole
        self._ready = bytearray()  # NDJSON bytes to hand out
        self._passing = False  # inside an over-long line: handed on as it comes
        self._proc: subprocess.Popen | None = None
        self._status_read = -1
        self._stderr_thread: threading.Thread | None = None
        self._timer: threading.Timer | None = None
        self._timed_out = False
        self._started = 0.0
        self._finished = False

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        while not self._ready:
            if self._finished:
                return 0
            if self._proc is None:
                self._start()
            assert self._proc is not None and self._proc.stdout is not None
            chunk = os.read(self._proc.stdout.fileno(), 1 << 16)
            if chunk:
                self._take(chunk)
                continue
            if self._pending:  # a last line without its newline
                self._line(bytes(self._pending))
                self._pending.clear()
            self._passing = False
            self._end_run()
            if self.program.interval is None:
                self._finished = True
            else:
                time.sleep(max(0.0, self._started + self.program.interval - time.monotonic()))
        size = min(len(buffer), len(self._ready))
        buffer[:size] = self._ready[:size]
        del self._ready[:size]
        return size

    def _take(self, chunk: bytes) -> None:
        if self._passing:
            newline = chunk.find(b"\n")
            if newline < 0:
                self._ready += chunk
                return
            self._ready += chunk[: newline + 1]
            self._passing = False
            chunk = chunk[newline + 1 :]
        start = 0
        self._pending += chunk
        pending = self._pending
        while True:
            newline = pending.find(b"\n", start)
            if newline < 0:
                break
            self._line(bytes(pending[start:newline]))
            start = newline + 1
        del pending[:start]
        if len(pending) > self.limit + 2:  # an over-long line: the reader reports it, never held whole
            self._ready += pending
            pending.clear()
            self._passing = True

    def _line(self, line: bytes) -> None:
        content = line[:-1] if line.endswith(b"\r") else line
        if len(content) > self.limit or not content.strip(JSON_WHITESPACE):
            self._ready += line + b"\n"  # over-long: a failure record; blank: counted
            return
        try:
            doc = orjson.loads(content)
        except orjson.JSONDecodeError:
            doc = None
        if type(doc) is dict:
            self._ready += content + b"\n"
            return
        try:
            text = content.decode("utf-8")
        except UnicodeDecodeError:
            self._ready += content + b"\n"  # not UTF-8: a failure record keeps its bytes
            return
        self._ready += orjson.dumps({"message": text}) + b"\n"

    def _start(self) -> None:
        status_read, status_write = os.pipe()
        try:
            self._proc = subprocess.Popen(
                self.program.command(status_write),
                stdin=subprocess.DEVNULL,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                pass_fds=(status_write,),
                start_new_session=True,  # Ctrl-C is the run's to handle: it stops the program
                env=_child_env(),
            )
        except OSError as exc:
            os.close(status_read)
            raise IngestHostError(f"cannot start {self.display}: {exc.strerror or exc}") from None
        finally:
            os.close(status_write)
        self._status_read = status_read
        self.runs += 1
        self._started = time.monotonic()
        self._timed_out = False
        self._stderr_thread = threading.Thread(target=self._log_stderr, args=(self._proc,), daemon=True)
        self._stderr_thread.start()
        if self.program.timeout is not None:
            self._timer = threading.Timer(self.program.timeout, self._time_limit, args=(self._proc,))
            self._timer.daemon = True
            self._timer.start()

    def _time_limit(self, proc: subprocess.Popen) -> None:
        if proc.poll() is None:
            self._timed_out = True
            proc.kill()

    def _log_stderr(self, proc: subprocess.Popen) -> None:
        assert proc.stderr is not None
        for raw in iter(lambda: proc.stderr.readline(1 << 16), b""):  # type: ignore[union-attr]
            text = raw.decode("utf-8", "replace").rstrip("\r\n")
            log.warning("%s: %s", self.display, text)

    def _end_run(self) -> None:
        proc = self._proc
        assert proc is not None
        returncode = proc.wait()
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        if self._stderr_thread is not None:
            self._stderr_thread.join()
        with os.fdopen(self._status_read, "rb") as status_file:
            status_bytes = status_file.read()
        self._status_read = -1
        for pipe in (proc.stdout, proc.stderr):
            if pipe is not None:
                pipe.close()
        self._proc = None
        try:
            status = json.loads(status_bytes) if status_bytes else {}
        except ValueError:
            status = {}
        problem = None
        if self._timed_out:
            problem = f"was stopped at its time limit of {self.program.timeout:g} s (--wasi-timeout)"
        elif "trap" in status:
            problem = f"trapped: {status['trap']}"
        elif "error" in status:
            problem = f"could not run: {status['error']}"
        elif "exit" in status:
            if status["exit"] != 0:
                problem = f"exited with status {status['exit']}"
        elif returncode < 0:
            try:
                name = signal.Signals(-returncode).name
            except ValueError:
                name = str(-returncode)
            problem = f"crashed (killed by {name})"
        elif returncode != 0:
            problem = f"crashed (exit status {returncode})"
        if problem is None:
            log.info("%s: run %d done", self.display, self.runs)
            return
        message = f"{self.display} {problem}"
        if self.program.interval is None:
            self.problem = message
        else:
            log.warning("%s (run %d; the next run is due in %g s)", message, self.runs, self.program.interval)

    def close(self) -> None:
        proc = self._proc
        if proc is not None:
            if proc.poll() is None:
                proc.kill()
            proc.wait()
            if self._timer is not None:
                self._timer.cancel()
            for pipe in (proc.stdout, proc.stderr):
                if pipe is not None:
                    pipe.close()
            self._proc = None
        if self._status_read >= 0:
            os.close(self._status_read)
            self._status_read = -1
        self._finished = True
        super().close()


def _child_env() -> dict[str, str]:
    """The child's (Python's) environment: the program sees none of it, only --wasi-env."""
    env = dict(os.environ)
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    env["PYTHONPATH"] = root + (os.pathsep + env["PYTHONPATH"] if env.get("PYTHONPATH") else "")
    return env


# -- the child process -----------------------------------------------------


def _child_main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="python -m ingesthost.wasi_input")
    parser.add_argument("program")
    parser.add_argument("--status-fd", type=int, required=True)
    parser.add_argument("--compiler", default="cranelift")
    parser.add_argument("--runtime", default=None)
    parser.add_argument("--max-memory", type=int, default=256 * 1024 * 1024)
    parser.add_argument("--grants", default="{}", help="JSON: dirs [[guest, host]], args [...], env [[key, value]]")
    options = parser.parse_args(argv)
    status = os.fdopen(options.status_fd, "w")
    sys.stdout = sys.stderr  # fd 1 is the program's alone

    def report(**what: Any) -> None:
        status.write(json.dumps(what))
        status.flush()

    signal.signal(signal.SIGINT, signal.SIG_DFL)
    try:
        from .abi import WASI_MODULES
        from .engine import Engine
        from .loader import cap_module_memory
        from .wasi import WasiGrant

        with open(options.program, "rb") as file:
            data = cap_module_memory(file.read(), options.max_memory, options.program)
        engine = Engine(options.compiler, runtime=options.runtime)
        module = engine.compile(data)
        if not any(imp.module in WASI_MODULES for imp in module.imports):
            raise IngestHostError("the module imports no WASI")
        grants = json.loads(options.grants)
        grant = WasiGrant(
            env=tuple((key, value) for key, value in grants.get("env", [])),
            preopens=tuple((guest, host) for guest, host in grants.get("dirs", [])),
            args=tuple(grants.get("args", [])),
        )
        instance = engine.impl.instantiate(
            module, {}, wasi=grant, name=os.path.basename(options.program), max_memory=options.max_memory
        )
        start = instance.export("_start")
    except Exception as exc:  # noqa: BLE001 - reported to the parent
        report(error=str(exc) or type(exc).__name__)
        return _EXIT_NOT_STARTED
    try:
        start()
    except RuntimeError as exc:
        text = str(exc)
        marker = "WASI exited with code: "
        if marker in text:
            try:
                code = int(text.rsplit(marker, 1)[1].split()[0])
            except (ValueError, IndexError):
                code = 1
            report(exit=code)
            return min(code, 124) if code else 0
        report(trap=text.replace("RuntimeError: ", "", 1))
        return _EXIT_NOT_STARTED - 1
    report(exit=0)
    return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(_child_main(sys.argv[1:]))
