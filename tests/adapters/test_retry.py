"""The shared retry policy: bounded, jittered, and it waits as long as the vendor asks."""

from __future__ import annotations

from email.utils import formatdate

import pytest

from functions.adapters.errors import TransientVendorError, VendorError
from functions.adapters.retry import RetryPolicy, retry_after_seconds


def failing(statuses: list[int | None], retry_after: float | None = None):
    calls = {"n": 0}

    def fn() -> str:
        calls["n"] += 1
        if statuses:
            raise VendorError("okta", "list users", statuses.pop(0), "boom", "req-1", retry_after_s=retry_after)
        return "ok"

    return fn, calls


def test_a_storm_of_retryable_errors_ends_in_success(sleeps):
    fn, calls = failing([429, 503, None])
    assert RetryPolicy(max_attempts=4, jitter=lambda: 1.0).call(fn) == "ok"
    assert calls["n"] == 4
    assert sleeps == [0.5, 1.0, 2.0]  # full jitter at its top: base * 2**(attempt-1)


def test_retry_after_wins_over_backoff(sleeps):
    fn, _ = failing([429, 429], retry_after=3.0)
    RetryPolicy(jitter=lambda: 0.0).call(fn)
    assert sleeps == [3.0, 3.0]


def test_exhausted_retries_raise_transient_error_with_the_details(sleeps):
    fn, calls = failing([500] * 10)
    with pytest.raises(TransientVendorError) as caught:
        RetryPolicy(max_attempts=3, jitter=lambda: 0.5).call(fn)
    assert calls["n"] == 3
    assert len(sleeps) == 2
    error = caught.value
    assert (error.vendor, error.operation, error.status, error.request_id) == ("okta", "list users", 500, "req-1")
    assert "okta list users failed: HTTP 500: boom (request id req-1)" in str(error)


def test_client_errors_are_not_retried(sleeps):
    fn, calls = failing([404])
    with pytest.raises(VendorError) as caught:
        RetryPolicy().call(fn)
    assert calls["n"] == 1
    assert sleeps == []
    assert not isinstance(caught.value, TransientVendorError)


def test_a_wait_beyond_the_budget_gives_up_at_once(sleeps):
    fn, calls = failing([429], retry_after=120)
    with pytest.raises(TransientVendorError):
        RetryPolicy(budget_s=30).call(fn)
    assert calls["n"] == 1
    assert sleeps == []


def test_jitter_stays_within_the_cap():
    policy = RetryPolicy(base_s=1, cap_s=4, jitter=lambda: 1.0)
    assert [policy.backoff(n) for n in range(1, 6)] == [1, 2, 4, 4, 4]


@pytest.mark.parametrize(
    ("headers", "expected"),
    [
        ({"Retry-After": "7"}, 7.0),
        ({"retry-after": "0"}, 0.0),
        ({"X-Rate-Limit-Reset": "1030"}, 30.0),  # Okta: epoch seconds of the reset
        ({"X-Rate-Limit-Reset": "900"}, 0.0),  # already past
        ({"X-Rate-Limit-Reset": "1030", "X-Rate-Limit-Remaining": "0"}, 30.0),
        ({"X-Rate-Limit-Reset": "1030", "X-Rate-Limit-Remaining": "599"}, None),  # Okta sends it on every answer
        ({"x-ratelimit-remaining": "0", "x-ratelimit-reset": "1012"}, 12.0),  # GitHub
        ({"x-ratelimit-remaining": "10", "x-ratelimit-reset": "1012"}, None),
        ({}, None),
        ({"Retry-After": "soon"}, None),
    ],
)
def test_retry_after_from_headers(headers, expected):
    assert retry_after_seconds(headers, now=1000.0) == expected


def test_retry_after_as_http_date():
    assert retry_after_seconds({"Retry-After": formatdate(1060.0, usegmt=True)}, now=1000.0) == pytest.approx(60.0)
