"""Start and stop a noida-db Elasticsearch server for tests.

noida-db is an Elasticsearch-compatible REST server shipped in a PyPI wheel
(see /work/shared/toolchains.md). Its console script is a Python wrapper
that does not forward SIGTERM to the server it spawns, so this helper runs
the binary inside the wheel directly, and stops it by its own PID.
"""

from __future__ import annotations

import logging
import os
import re
import signal
import subprocess
import tempfile
import threading
import time
from importlib.resources import files
from pathlib import Path

log = logging.getLogger(__name__)

_URL_LINE = re.compile(r"^\s*elasticsearch\s+(http://\S+)\s*$")


def noida_binary() -> Path:
    """The server binary inside the noida-db wheel."""
    try:
        path = Path(str(files("noida_db").joinpath("noida-db")))
    except ModuleNotFoundError:
        raise RuntimeError("noida-db is not installed: pip install noida-db==0.2.3 (the test extra)") from None
    if not path.is_file():
        raise RuntimeError(f"noida-db binary missing at {path}")
    if not os.access(path, os.X_OK):
        path.chmod(0o755)
    return path


class NoidaServer:
    """One noida-db process serving Elasticsearch on 127.0.0.1.

    ``start()`` waits for the URL line on stdout (``startup_timeout``
    seconds, then a RuntimeError with the server's stderr). ``stop()``
    sends SIGTERM to the PID, then SIGKILL if it lingers. ``restart()``
    starts again on the same data directory and the same port, so a client
    built before the stop reconnects to the same URL.
    """

    def __init__(self, data_dir: str | Path | None = None, *, startup_timeout: float = 30.0) -> None:
        self._own_dir = data_dir is None
        self.data_dir = Path(data_dir) if data_dir is not None else Path(tempfile.mkdtemp(prefix="noida-es-"))
        self.startup_timeout = startup_timeout
        self.url: str | None = None
        self.port: int = 0
        self._proc: subprocess.Popen[str] | None = None
        self._stderr_path = self.data_dir.parent / f"{self.data_dir.name}.stderr"

    @property
    def pid(self) -> int | None:
        return self._proc.pid if self._proc is not None else None

    @property
    def running(self) -> bool:
        return self._proc is not None and self._proc.poll() is None

    def start(self) -> str:
        if self.running:
            raise RuntimeError("noida-db is already running")
        stderr = open(self._stderr_path, "a")
        try:
            self._proc = subprocess.Popen(
                [str(noida_binary()), "start", "--data-dir", str(self.data_dir),
                 "--only", "elasticsearch", "--elasticsearch-port", str(self.port)],
                stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=stderr, text=True,
            )
        finally:
            stderr.close()
        found: list[str] = []
        ready = threading.Event()

        def drain(stream) -> None:  # keeps reading so the pipe never fills
            for line in stream:
                match = _URL_LINE.match(line)
                if match and not found:
                    found.append(match.group(1))
                    ready.set()
            ready.set()

        threading.Thread(target=drain, args=(self._proc.stdout,), daemon=True).start()
        if not ready.wait(self.startup_timeout) or not found:
            self.stop()
            raise RuntimeError(
                f"noida-db did not print its elasticsearch URL within {self.startup_timeout} s; "
                f"stderr: {self._stderr_tail()}"
            )
        self.url = found[0]
        self.port = int(self.url.rsplit(":", 1)[1].rstrip("/"))
        self._wait_http()
        log.info("noida-db pid %s serving %s", self.pid, self.url)
        return self.url

    def _wait_http(self) -> None:
        import urllib.request

        deadline = time.monotonic() + self.startup_timeout
        while True:
            try:
                with urllib.request.urlopen(self.url, timeout=2):
                    return
            except OSError:
                if time.monotonic() > deadline or not self.running:
                    self.stop()
                    raise RuntimeError(f"noida-db at {self.url} does not answer; stderr: {self._stderr_tail()}")
                time.sleep(0.05)

    def stop(self, timeout: float = 10.0) -> None:
        proc, self._proc = self._proc, None
        if proc is None:
            return
        if proc.poll() is None:
            proc.send_signal(signal.SIGTERM)
            try:
                proc.wait(timeout)
            except subprocess.TimeoutExpired:
                log.warning("noida-db pid %s ignored SIGTERM; killing it", proc.pid)
                proc.kill()
                proc.wait(timeout)
        if proc.stdout is not None:
            proc.stdout.close()

    def restart(self) -> str:
        """Stop, then start on the same data directory and port."""
        self.stop()
        return self.start()

    def close(self) -> None:
        """Stop and delete the data directory if this helper made it."""
        self.stop()
        if self._own_dir:
            import shutil

            shutil.rmtree(self.data_dir, ignore_errors=True)
        try:
            self._stderr_path.unlink()
        except FileNotFoundError:
            pass

    def _stderr_tail(self) -> str:
        try:
            text = self._stderr_path.read_text(errors="replace")
        except OSError:
            return "(none)"
        lines = [line for line in text.splitlines() if "GLIBC" not in line]
        return "\n".join(lines[-20:]) or "(empty)"

    def __enter__(self) -> "NoidaServer":
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
