"""Bounded retries with backoff and full jitter, shared by every adapter.

A vendor call is retried on 429, 5xx, timeouts and dropped connections, at most `max_attempts`
times and never past `budget_s` in total (a Lambda has a timeout; the state machine's own Retry
takes over after that). A server's `Retry-After` (seconds or an HTTP date) and Okta's
`X-Rate-Limit-Reset` (epoch seconds) win over the computed backoff: waiting less than the vendor
asked only earns another 429.
"""

from __future__ import annotations

import logging
import random
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC
from email.utils import parsedate_to_datetime
from typing import TypeVar

from functions.adapters.errors import VendorError, final_error
from functions.core import metrics

T = TypeVar("T")
log = logging.getLogger("platform_automation.adapters")

_sleeper: Callable[[float], None] = time.sleep


def set_sleeper(sleep: Callable[[float], None]) -> Callable[[float], None]:
    """Replace how adapters wait between attempts (the local engine waits on virtual time).
    Returns the previous sleeper so it can be restored."""
    global _sleeper
    previous, _sleeper = _sleeper, sleep
    return previous


def _sleep(seconds: float) -> None:
    _sleeper(seconds)


def retry_after_seconds(headers: Mapping[str, str] | None, now: float | None = None) -> float | None:
    """How long the vendor asked us to wait, from `Retry-After` or Okta's `X-Rate-Limit-Reset`."""
    if not headers:
        return None
    lowered = {k.lower(): v for k, v in headers.items()}
    now = time.time() if now is None else now
    retry_after = lowered.get("retry-after")
    if retry_after:
        value = retry_after.strip()
        if value.replace(".", "", 1).isdigit():
            return max(0.0, float(value))
        try:
            when = parsedate_to_datetime(value)
        except (TypeError, ValueError):
            when = None
        if when is not None:
            if when.tzinfo is None:
                when = when.replace(tzinfo=UTC)
            return max(0.0, when.timestamp() - now)
    # Okta sends X-Rate-Limit-Reset on every answer: it says when to retry only once nothing remains.
    reset = lowered.get("x-rate-limit-reset")
    if reset and reset.strip().isdigit() and lowered.get("x-rate-limit-remaining", "0") == "0":
        return max(0.0, float(reset) - now)
    # GitHub: a primary rate limit says when it resets only when nothing remains.
    if lowered.get("x-ratelimit-remaining") == "0" and (lowered.get("x-ratelimit-reset") or "").isdigit():
        return max(0.0, float(lowered["x-ratelimit-reset"]) - now)
    return None


@dataclass(frozen=True)
class RetryPolicy:
    max_attempts: int = 4
    base_s: float = 0.5
    cap_s: float = 8.0
    budget_s: float = 25.0
    jitter: Callable[[], float] = field(default=random.random, repr=False)

    def backoff(self, attempt: int) -> float:
        """Full jitter: uniform in [0, min(cap, base * 2**attempt)]; attempt counts from 1."""
        return float(self.jitter() * min(self.cap_s, self.base_s * 2 ** (attempt - 1)))

    def delay(self, attempt: int, error: VendorError) -> float:
        if error.retry_after_s is not None:
            return error.retry_after_s
        return self.backoff(attempt)

    def call(self, fn: Callable[[], T]) -> T:
        """Run `fn` until it returns, a non-retryable VendorError, or attempts or budget run out.
        Retries exhausted on a retryable error raise TransientVendorError."""
        waited = 0.0
        attempt = 0
        while True:
            attempt += 1
            try:
                return fn()
            except VendorError as error:
                if not error.retryable or attempt >= self.max_attempts:
                    raise final_error(error) from error.__cause__
                wait = self.delay(attempt, error)
                if waited + wait > self.budget_s:
                    raise final_error(error) from error.__cause__
                log.warning(
                    "%s %s: HTTP %s, attempt %d of %d, retrying in %.2f s",
                    error.vendor,
                    error.operation,
                    error.status,
                    attempt,
                    self.max_attempts,
                    wait,
                )
                metrics.count(metrics.VENDOR_RETRIES, vendor=error.vendor)
                _sleep(wait)
                waited += wait


DEFAULT_POLICY = RetryPolicy()
