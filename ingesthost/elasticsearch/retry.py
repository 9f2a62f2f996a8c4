"""When and how long to wait before asking the cluster again.

Beats and Logstash retry the same things: a cluster that says "too busy"
(429), a proxy or coordinating node that cannot reach the data node
(502/503/504) and a connection that failed. Waiting grows exponentially up
to a cap, and *full jitter* (a uniform draw between zero and the ceiling)
keeps many writers that failed together from coming back together.

Everything here is a pure function of its inputs: the random draw and the
clock are passed in, so tests control both.
"""

from __future__ import annotations

import logging
import random as _random
from dataclasses import dataclass, field
from typing import Callable, TypeVar

import elastic_transport
import elasticsearch

from .connection import request_error, strip_userinfo

log = logging.getLogger(__name__)

T = TypeVar("T")

#: Whole-request (and per-item) statuses worth asking again for.
RETRYABLE_STATUSES = frozenset({429, 502, 503, 504})


def not_now(status: int | None) -> bool:
    """Whether an item's final status means "the cluster cannot take it now"
    (no answer, 429, a 5xx) rather than "it refuses this document": a run or
    a server that sees only these stops or answers 503, and the documents are
    sent again later instead of being recorded as failed."""
    return status is None or status == 429 or status >= 500


@dataclass(frozen=True)
class Backoff:
    """Capped exponential backoff with optional full jitter.

    ``delay(attempt)`` for attempt 0, 1, 2... draws from
    ``[0, min(cap, base * 2**attempt)]`` (or returns the ceiling itself
    when ``jitter`` is false). ``random`` is a ``() -> float in [0, 1)``
    source, injectable so that tests see exact numbers.
    """

    base: float = 0.1
    cap: float = 10.0
    jitter: bool = True
    random: Callable[[], float] = field(default=_random.random, repr=False, compare=False)

    def __post_init__(self) -> None:
        if self.base <= 0 or self.cap <= 0:
            raise ValueError(f"backoff base and cap must be positive, got base={self.base} cap={self.cap}")
        if self.base > self.cap:
            raise ValueError(f"backoff base {self.base} is larger than its cap {self.cap}")

    def ceiling(self, attempt: int) -> float:
        """The longest wait before retry number ``attempt + 1``."""
        # min() before the power would overflow for silly attempt numbers
        if attempt >= 64:
            return self.cap
        return min(self.cap, self.base * (2**attempt))

    def delay(self, attempt: int) -> float:
        """How long to wait before retry number ``attempt + 1``."""
        top = self.ceiling(attempt)
        return top * self.random() if self.jitter else top


def is_transient(exc: BaseException) -> bool:
    """True for failures that a later identical request may not hit.

    Connection errors and timeouts (the request may or may not have been
    processed: callers must only retry idempotent requests, or accept the
    duplicates), and the retryable HTTP statuses.
    """
    if isinstance(exc, (elastic_transport.ConnectionError, elastic_transport.ConnectionTimeout)):
        return True
    if isinstance(exc, elasticsearch.ApiError):
        return exc.meta.status in RETRYABLE_STATUSES
    return False


def call_with_retries(
    call: Callable[[], T],
    *,
    what: str,
    max_retries: int,
    backoff: Backoff,
    sleep: Callable[[float], None],
    redact: Callable[[str], str] = strip_userinfo,
) -> T:
    """Run an idempotent request, retrying transient failures.

    ``what`` names the request in logs and errors ("open point in time").
    A non-transient :class:`elasticsearch.ApiError` becomes an
    :class:`EsRequestError` at once; a transient one after ``max_retries``
    retries. Used for reads (search, count, point in time), which are safe
    to repeat; the bulk sink has its own loop because it retries per item.
    """
    attempt = 0
    while True:
        try:
            return call()
        except (elasticsearch.ApiError, elastic_transport.TransportError) as exc:
            if not is_transient(exc) or attempt >= max_retries:
                raise request_error(exc, what=what, redact=redact) from None
            wait = backoff.delay(attempt)
            log.warning(
                "%s failed (%s), retry %d of %d in %.2f s",
                what,
                redact(_short(exc)),
                attempt + 1,
                max_retries,
                wait,
            )
            sleep(wait)
            attempt += 1


def _short(exc: BaseException) -> str:
    if isinstance(exc, elasticsearch.ApiError):
        return f"status {exc.meta.status}"
    return type(exc).__name__


__all__ = ["Backoff", "RETRYABLE_STATUSES", "call_with_retries", "is_transient"]
