"""The files a run writes, written so that nothing the user gave is harmed.

A run owns its output and failure files, and only them. Before anything is
opened for writing, :func:`check_distinct` refuses a run whose output would
be its input or its other output, comparing the real files (device and
inode: symlinks, hard links and other spellings included), not the names.

An :class:`OutputFile` opens its file without truncating it, takes an
exclusive ``flock`` (a second run writing the same file is refused, not
interleaved), and only then empties it. Records are buffered and written at
*commit points* (one per batch of input lines). A commit is all or nothing:
when a write fails (a full disk, a quota, an I/O error) the file is cut back
to the end of the last commit, so it never ends in the middle of a record,
and :class:`OutputWriteError` names the file. :class:`RunOutputs` commits
the output and the failure file as a pair, so after a stop both hold
exactly the results of the same input lines.
"""

from __future__ import annotations

import errno
import fcntl
import os
import stat
from pathlib import Path
from typing import IO, Callable, Iterable

from .errors import IngestHostError


class OutputWriteError(IngestHostError):
    """Writing an output failed part-way; ``path`` is the file, ``reason`` why.

    The file holds every record committed before the failure, and nothing of
    the failed commit. ``broken_pipe`` marks a reader that went away (``| head``).
    """

    def __init__(self, path: str, reason: str, *, broken_pipe: bool = False) -> None:
        super().__init__(f"cannot write {path}: {reason}")
        self.path = path
        self.reason = reason
        self.broken_pipe = broken_pipe


def _identity(st: os.stat_result) -> tuple[int, int]:
    return (st.st_dev, st.st_ino)


def _file_identity(path: str) -> tuple[int, int] | None:
    """The real file behind ``path`` (symlinks followed), or None if there is
    none yet. A character device (``/dev/null``, a terminal) holds no data to
    destroy and may be named twice: it has no identity here."""
    try:
        st = os.stat(path)
    except OSError:
        return None
    return None if stat.S_ISCHR(st.st_mode) else _identity(st)


def _fd_identity(fd: int) -> tuple[int, int] | None:
    """The file an open descriptor refers to, when it is a regular file (a pipe
    or a terminal cannot be anyone's input file)."""
    try:
        st = os.fstat(fd)
    except OSError:
        return None
    return _identity(st) if stat.S_ISREG(st.st_mode) else None


def _spelling_key(path: str) -> str:
    """A not-yet-existing file, by its real directory and name."""
    return os.path.join(os.path.realpath(os.path.dirname(os.path.abspath(path))), os.path.basename(path))


def check_distinct(inputs: Iterable[tuple[str, str | int]], outputs: Iterable[tuple[str, str | int]]) -> None:
    """Refuse (``IngestHostError`` naming both) when two of the run's files are one.

    Each entry is ``(label, path or file descriptor)``: labels such as
    ``"input x.ndjson"`` or ``"--failures y.ndjson"`` make the message.
    An output may be no input and no other output. Paths that do not exist
    yet are compared by their real directory and name. Descriptors (standard
    input and output) are compared only when they are regular files: a shell
    redirection ``>> x.ndjson`` on the input is refused too.
    """
    seen: list[tuple[str, object]] = []
    for role, entries in (("input", inputs), ("output", outputs)):
        for label, target in entries:
            if isinstance(target, int):
                identity: object = _fd_identity(target)
                if identity is None:
                    continue
            else:
                identity = _file_identity(target)
                if identity is None:
                    if os.path.exists(target):  # a character device
                        continue
                    identity = _spelling_key(target)
            for other_label, other in seen:
                if other == identity:
                    raise IngestHostError(
                        f"{label} and {other_label} are the same file: the run would destroy it; "
                        "choose another output file"
                    )
            if role == "output" or identity not in (item for _, item in seen):
                seen.append((label, identity))


class OutputFile:
    """One output the run owns: locked, cut back to its last commit on a write error.

    Opening locks the file without changing it; :meth:`start` empties it.

    ``path`` None writes to ``fd`` (standard output), which is never locked
    and is cut back only when it is a regular file. ``lazy`` opens the file
    at the first commit that has something to write, refusing to replace an
    existing file (``O_EXCL``): for a failure file the user did not name.
    """

    def __init__(self, label: str, path: str | None = None, *, fd: int | None = None, lazy: bool = False) -> None:
        self.label = label
        self.path = path
        self._fd: int | None = None
        self._own = path is not None
        self._lazy = lazy
        self._buffer = bytearray()
        self._committed = 0
        self._truncatable = False
        #: Bytes written and committed so far by this run.
        self.bytes_committed = 0
        if path is None:
            assert fd is not None
            self._adopt(fd)
        elif not lazy:
            self._open(exclusive=False)

    @property
    def opened(self) -> bool:
        return self._fd is not None

    def _adopt(self, fd: int) -> None:
        self._fd = fd
        try:
            st = os.fstat(fd)
            self._truncatable = stat.S_ISREG(st.st_mode)
            self._committed = os.lseek(fd, 0, os.SEEK_CUR) if self._truncatable else 0
        except OSError:
            self._truncatable = False

    def _open(self, *, exclusive: bool) -> None:
        assert self.path is not None
        flags = os.O_WRONLY | os.O_CREAT | os.O_CLOEXEC | (os.O_EXCL if exclusive else 0)
        try:
            fd = os.open(self.path, flags, 0o666)
        except OSError as exc:
            raise IngestHostError(f"cannot open {self.label} {self.path}: {exc.strerror or exc}") from None
        try:
            if stat.S_ISREG(os.fstat(fd).st_mode):  # a device or a pipe holds nothing to protect
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError as exc:
            os.close(fd)
            if exc.errno in (errno.EWOULDBLOCK, errno.EAGAIN, errno.EACCES):
                raise IngestHostError(
                    f"{self.label} {self.path} is being written by another ingesthost run; "
                    "wait for it to finish or choose another file"
                ) from None
            raise IngestHostError(f"cannot lock {self.label} {self.path}: {exc.strerror or exc}") from None
        self._fd = fd
        st = os.fstat(fd)
        self._truncatable = stat.S_ISREG(st.st_mode)
        self._committed = 0
        if exclusive:
            self.start()

    def start(self) -> None:
        """Empty the file, now that it is locked and the run is sure to start.

        Kept apart from opening so that a run that cannot start (another
        output refused, a lock held elsewhere) leaves every file as it was.
        """
        if self._fd is None or not self._own or not self._truncatable:
            return
        try:
            os.ftruncate(self._fd, 0)
            os.lseek(self._fd, 0, os.SEEK_SET)
        except OSError as exc:
            raise IngestHostError(f"cannot empty {self.label} {self.path}: {exc.strerror or exc}") from None

    def resume_at(self, size: int) -> None:
        """Instead of :meth:`start`, for a resumed run: keep the first ``size``
        bytes (what the checkpoint covers), drop what a stopped run wrote after
        them, and append from there."""
        if self._fd is None:
            self._open(exclusive=False)
        assert self._fd is not None
        if not self._truncatable:
            raise IngestHostError(f"{self.label} {self.path or ''} is not a regular file: a resumed run cannot go on writing it")
        try:
            current = os.fstat(self._fd).st_size
            if current < size:
                raise IngestHostError(
                    f"{self.label} {self.path} holds {current:,} bytes, fewer than the {size:,} the checkpoint "
                    "covers: it changed since, so the run cannot be resumed into it"
                )
            os.ftruncate(self._fd, size)
            os.lseek(self._fd, size, os.SEEK_SET)
        except OSError as exc:
            raise IngestHostError(f"cannot resume {self.label} {self.path}: {exc.strerror or exc}") from None
        self._committed = size

    def write(self, data: bytes) -> None:
        """Queue whole records; they reach the file at the next :meth:`commit`."""
        self._buffer += data

    @property
    def pending(self) -> int:
        return len(self._buffer)

    def commit(self) -> None:
        """Write everything queued, or nothing of it (raises :class:`OutputWriteError`)."""
        if not self._buffer:
            return
        if self._fd is None:
            try:
                self._open(exclusive=True)
            except IngestHostError as exc:
                self._buffer.clear()
                raise OutputWriteError(self.path or self.label, str(exc)) from None
        fd = self._fd
        assert fd is not None
        view = memoryview(self._buffer)
        written = 0
        try:
            while written < len(view):
                written += os.write(fd, view[written:])
        except OSError as exc:
            view.release()
            self._buffer.clear()
            self.rollback()
            raise OutputWriteError(
                self.path or self.label, exc.strerror or str(exc), broken_pipe=exc.errno == errno.EPIPE
            ) from None
        except BaseException:  # a signal mid-write: leave no partial record behind
            view.release()
            self._buffer.clear()
            self.rollback()
            raise
        view.release()
        self._committed += written
        self.bytes_committed += written
        self._buffer.clear()

    def mark(self) -> tuple[int, int]:
        """Where the file stands: :meth:`reset_to` goes back there."""
        return (self._committed, self.bytes_committed)

    def reset_to(self, mark: tuple[int, int]) -> None:
        """Undo the commits made since ``mark``."""
        self._committed, self.bytes_committed = mark
        self.rollback()

    def rollback(self) -> None:
        """Drop what is queued and cut the file back to its last commit."""
        self._buffer.clear()
        if self._fd is not None and self._truncatable:
            try:
                os.ftruncate(self._fd, self._committed)
                os.lseek(self._fd, self._committed, os.SEEK_SET)
            except OSError:
                pass

    def close(self) -> None:
        """Release the file (queued data that was never committed is dropped)."""
        self._buffer.clear()
        if self._fd is not None and self._own:
            try:
                os.close(self._fd)
            except OSError:
                pass
        self._fd = None


class RunOutputs:
    """The output and the failure file of one run, committed together.

    ``output.write``/``failures.write`` queue records; :meth:`commit` writes
    both, and when either fails, cuts both back to their previous commit so
    that they describe exactly the same input lines.
    """

    def __init__(self, output: OutputFile, failures: OutputFile) -> None:
        self.output = output
        self.failures = failures

    def start(self) -> None:
        """Empty both files (both are open and locked by now)."""
        self.output.start()
        self.failures.start()

    def commit(self) -> None:
        mark = self.output.mark()
        try:
            self.output.commit()
            self.failures.commit()
        except BaseException:
            self.failures.rollback()
            self.output.reset_to(mark)  # the output part may have gone through: take it back
            raise

    def rollback(self) -> None:
        self.output.rollback()
        self.failures.rollback()

    def close(self) -> None:
        self.output.close()
        self.failures.close()


def unused_name(directory: Path, stem: str, suffix: str, exists: Callable[[Path], bool] = Path.exists) -> Path:
    """``stem + suffix`` in ``directory``, or ``stem-2 + suffix``... : a name no file has."""
    candidate = directory / f"{stem}{suffix}"
    number = 2
    while exists(candidate):
        candidate = directory / f"{stem}-{number}{suffix}"
        number += 1
    return candidate


def stream_fd(stream: IO[bytes] | None) -> int | None:
    """The descriptor of a standard stream, or None when it is closed or has none."""
    if stream is None:
        return None
    try:
        return stream.fileno()
    except (OSError, ValueError, AttributeError):
        return None


__all__ = ["OutputFile", "OutputWriteError", "RunOutputs", "check_distinct", "stream_fd", "unused_name"]
