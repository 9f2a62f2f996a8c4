"""The NDJSON inputs of a run: names and glob patterns expanded, files
opened (gzip-compressed ones decompressed as they stream), with what a
progress bar needs to know about them.
"""

from __future__ import annotations

import glob
import gzip
import os
import stat
import sys
from typing import IO, Any

from .errors import IngestHostError

#: The first bytes of a gzip member.
GZIP_MAGIC = b"\x1f\x8b"
_GLOB_CHARACTERS = frozenset("*?[")


def expand_inputs(names: list[str]) -> list[str]:
    """Input names as given, a glob pattern replaced by the files it matches
    (sorted; a name that exists as written is never taken for a pattern).
    A pattern that matches nothing is an error, as a missing file is."""
    expanded: list[str] = []
    for name in names:
        if name == "-" or os.path.lexists(name) or not _GLOB_CHARACTERS & set(name):
            expanded.append(name)
            continue
        matches = sorted(path for path in glob.glob(name, recursive=True) if not os.path.isdir(path))
        if not matches:
            raise IngestHostError(f"input pattern {name} matches no file")
        expanded.extend(matches)
    if "-" in expanded and len(expanded) > 1:
        raise IngestHostError("- (standard input) must be the only input")
    seen: set[str] = set()
    for name in expanded:
        key = os.path.realpath(name)
        if key in seen:
            raise IngestHostError(f"input {name} is given twice")
        seen.add(key)
    return expanded


class InputFile:
    """One opened input. ``stream`` gives the NDJSON bytes (decompressed);
    ``size`` and :meth:`position` count bytes of the file as stored, so that
    a progress bar over a compressed file is right too."""

    def __init__(self, name: str, closed: frozenset[int] = frozenset()) -> None:
        self.name = name
        self.display = "<stdin>" if name == "-" else name
        self.compressed = False
        self._raw: IO[bytes]
        if name == "-":
            if 0 in closed:
                raise IngestHostError("standard input is closed: give an input file instead of -")
            self._raw = sys.stdin.buffer
        else:
            try:
                self._raw = open(name, "rb")
            except IsADirectoryError:
                raise IngestHostError(f"input {name} is a directory, not an NDJSON file") from None
            except OSError as exc:
                raise IngestHostError(f"cannot read input {name}: {exc.strerror or exc}") from None
        self.stream: IO[bytes] = self._raw
        if name != "-" and _starts_with_gzip(self._raw):
            self.compressed = True
            self.stream = _GzipReader(self._raw, name)  # type: ignore[assignment]

    @property
    def size(self) -> int | None:
        """Bytes of a regular file, else None."""
        try:
            st = os.fstat(self._raw.fileno())
        except (OSError, ValueError, AttributeError):
            return None
        return st.st_size if stat.S_ISREG(st.st_mode) and st.st_size > 0 else None

    def position(self) -> int | None:
        try:
            return self._raw.tell()
        except (OSError, ValueError):
            return None

    def close(self) -> None:
        if self._raw is not sys.stdin.buffer:
            if self.stream is not self._raw:
                self.stream.close()
            self._raw.close()


def _starts_with_gzip(raw: IO[bytes]) -> bool:
    """Whether a seekable file starts like gzip (pipes and devices: never)."""
    try:
        if not stat.S_ISREG(os.fstat(raw.fileno()).st_mode):
            return False
        head = raw.read(2)
        raw.seek(0)
    except (OSError, ValueError):
        return False
    return head == GZIP_MAGIC


class _GzipReader(gzip.GzipFile):
    """gzip, streamed, with errors that name the file (a truncated or corrupt
    file stops the run with a message, as an unreadable one does)."""

    def __init__(self, raw: IO[bytes], name: str) -> None:
        super().__init__(fileobj=raw, mode="rb")
        self._input_name = name

    def read1(self, size: int = -1) -> bytes:
        return self._guarded(super().read1, size)

    def read(self, size: int | None = -1) -> bytes:
        return self._guarded(super().read, size)

    def readline(self, size: int | None = -1) -> bytes:
        return self._guarded(super().readline, size)

    def _guarded(self, call: Any, size: Any) -> bytes:
        try:
            return call(size)
        except (EOFError, gzip.BadGzipFile, OSError) as exc:
            if isinstance(exc, OSError) and not isinstance(exc, gzip.BadGzipFile) and exc.errno is not None:
                raise
            problem = "is truncated" if isinstance(exc, EOFError) else f"is not valid gzip ({exc})"
            raise OSError(f"{self._input_name} {problem}") from None
