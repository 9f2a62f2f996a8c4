"""WASI, granted per processor and denied by default.

A guest gets the ``elastic`` import module and nothing else. A processor
that needs WASI (Go guests always import it; C guests built for wasi-libc
often do) must be granted it in the pipeline file::

    - wasm:
        module: guest.wasm
        wasi:
          env: {TZ: UTC}                 # the only environment variables it sees
          preopens: {/data: ./lookups}   # guest path -> host directory (relative to the pipeline file)
          args: [guest, --fast]          # its argv

``wasi: {}`` grants clocks, randomness and stdout/stderr but no files and no
environment. Without a grant, a module importing WASI is refused at load
with the names of the imports it wanted.

Each runtime gives the grant to its own WASI (:mod:`ingesthost.runtime`).
WASI stdout and stderr are the host process's own: ``ingesthost process``
moves its document output off file descriptor 1 so that a guest's prints
cannot corrupt it (they land on stderr).
"""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Any, Callable

from .errors import IngestHostError

GRANT_KEYS = {"env", "preopens", "args"}


class WasiGrantError(IngestHostError):
    """A ``wasi`` grant in a pipeline is malformed."""


@dataclasses.dataclass(frozen=True)
class WasiGrant:
    """What a processor may use through WASI."""

    env: tuple[tuple[str, str], ...] = ()
    #: (guest path, absolute host directory)
    preopens: tuple[tuple[str, str], ...] = ()
    args: tuple[str, ...] = ()

    @classmethod
    def parse(
        cls,
        options: Any,
        base_dir: Path,
        *,
        directory: Callable[[Path], tuple[Path, bool]] | None = None,
    ) -> "WasiGrant":
        """Validate a ``wasi`` option; host directories must exist.

        ``directory(path)`` answers (resolved path, whether it is a directory);
        by default the disk does (a pipeline snapshot passes its own, so that
        a worker uses the paths resolved when the run started)."""
        if options is None:
            options = {}
        if not isinstance(options, dict):
            raise WasiGrantError("`wasi` must be an object with optional env, preopens and args")
        unknown = set(options) - GRANT_KEYS
        if unknown:
            raise WasiGrantError(
                f"unknown `wasi` option(s) {', '.join(sorted(map(str, unknown)))}; known: {', '.join(sorted(GRANT_KEYS))}"
            )
        env = options.get("env") or {}
        if not isinstance(env, dict) or not all(isinstance(k, str) and isinstance(v, str) for k, v in env.items()):
            raise WasiGrantError("`wasi.env` must map names to string values")
        args = options.get("args") or []
        if not isinstance(args, list) or not all(isinstance(a, str) for a in args):
            raise WasiGrantError("`wasi.args` must be a list of strings")
        preopens_option = options.get("preopens") or {}
        if isinstance(preopens_option, list):
            preopens_option = {p: p for p in preopens_option}
        if not isinstance(preopens_option, dict) or not all(
            isinstance(k, str) and isinstance(v, str) for k, v in preopens_option.items()
        ):
            raise WasiGrantError("`wasi.preopens` must map guest paths to host directories (or list directories)")
        look = directory or _directory_on_disk
        preopens = []
        for guest_path, host_path in preopens_option.items():
            try:
                resolved, found = look(base_dir / host_path)
            except (OSError, ValueError, RuntimeError) as exc:  # NUL bytes, names too long, loops
                raise WasiGrantError(f"`wasi.preopens`: invalid path {host_path[:200]!r}: {exc}") from None
            if not found:
                raise WasiGrantError(f"`wasi.preopens`: {resolved} is not a directory")
            preopens.append((guest_path, str(resolved)))
        return cls(env=tuple(sorted(env.items())), preopens=tuple(preopens), args=tuple(args))


def _directory_on_disk(path: Path) -> tuple[Path, bool]:
    resolved = path.resolve()
    return resolved, resolved.is_dir()
