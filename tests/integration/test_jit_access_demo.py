"""The demo's just-in-time access part (sandbox/demo_jit.py) on the example configuration, as
`make demo` runs it: it passes only when the grant was live in moto's Identity Center while it
waited, and gone (verified, summarised) after its expiry."""

from __future__ import annotations

import io
from collections.abc import Iterator

import pytest

from sandbox import cloudtrail
from sandbox.demo_jit import assignments, request_approve_expire
from sandbox.engine import LocalEngine, fixed_policy

DEV = "dev.patel@example.com"  # the demo's approval policy names him
MARIA = "maria.lopez@example.com"  # who asks in events/slack/access_request.json


@pytest.fixture(scope="module")
def engine() -> Iterator[LocalEngine]:
    # The demo's own policy; its JIT part answers with the request's own approvers instead.
    with LocalEngine(approvals=fixed_policy("approved", DEV)) as eng:
        yield eng
    cloudtrail.clear()


def test_the_demo_shows_production_access_active_then_revoked_with_its_summary(engine: LocalEngine) -> None:
    out, policy = io.StringIO(), engine.approvals
    assert request_approve_expire(engine, out), out.getvalue()
    shown = out.getvalue()
    assert f"{MARIA} holds ['PlatformAdmin in 111111111111']" in shown, shown
    assert f"{MARIA} holds []" in shown, shown
    assert "sqs:PurgeQueue" in shown  # the session's write, from CloudTrail
    assert "RevokeGrant" in shown
    assert assignments(engine, MARIA) == []
    assert engine.approvals is policy  # the demo's own policy is back for what follows


def test_the_demo_part_fails_when_nothing_was_granted(engine: LocalEngine) -> None:
    out = io.StringIO()
    assert not request_approve_expire(engine, out, outcome="denied")
    assert f"{MARIA} holds []" in out.getvalue()
    assert assignments(engine, MARIA) == []
