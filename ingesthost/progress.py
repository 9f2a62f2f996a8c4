"""A progress line for long runs on a terminal (tqdm underneath).

A run that takes minutes must show that it is alive and how far it got:
documents, documents per second and failures, plus percent and time left
when the input's size is known (a regular file). It is drawn on standard
error only when that is a terminal and the user did not ask for quiet, and
is cleared before the summary is printed.
"""

from __future__ import annotations

import time
from typing import IO, Any, Callable

from .runner import RunSummary


class Progress:
    """Updated once per committed block; ``position()`` tells how many bytes of
    the input are consumed (None when unknown), ``total`` the input's size."""

    #: Fewest seconds between two redraws.
    MIN_INTERVAL = 0.2

    def __init__(self, stream: IO[str], total: int | None, position: Callable[[], int | None]) -> None:
        from tqdm import tqdm

        self._position = position
        self._started = time.perf_counter()
        self._last = 0.0
        fmt = "{desc}{percentage:3.0f}%|{bar:20}| {postfix} [{elapsed}<{remaining}]" if total else "{desc}{postfix} [{elapsed}]"
        self._bar: Any = tqdm(
            total=total or None,
            file=stream,
            desc="ingesthost: ",
            bar_format=fmt,
            unit="B",
            leave=False,
            dynamic_ncols=True,
            mininterval=self.MIN_INTERVAL,
        )
        self._bar.set_postfix_str("0 docs", refresh=False)

    def update(self, summary: RunSummary) -> None:
        now = time.perf_counter()
        if now - self._last < self.MIN_INTERVAL:
            return
        self._last = now
        elapsed = max(now - self._started, 1e-9)
        text = f"{summary.read:,} docs, {summary.read / elapsed:,.0f} docs/s, {summary.failed:,} failed"
        position = self._position()
        if position is not None and self._bar.total:
            self._bar.n = min(position, self._bar.total)
        self._bar.set_postfix_str(text, refresh=False)
        self._bar.refresh()

    def close(self) -> None:
        """Erase the line (the summary follows)."""
        self._bar.close()


def input_size(stream: Any) -> int | None:
    """The size of a regular-file input, for percent and ETA; None otherwise."""
    import os
    import stat

    try:
        st = os.fstat(stream.fileno())
    except (OSError, ValueError, AttributeError):
        return None
    return st.st_size if stat.S_ISREG(st.st_mode) and st.st_size > 0 else None
