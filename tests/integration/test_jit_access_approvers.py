"""Outside jit.single_approver_hours a grant needs a second, different approver: the real
definition and handlers on the local engine, both approvals stored and decided through
functions/core/approvals.py. The hours here are none at all, so every request is outside them
whenever the test runs (tests/integration/test_jit_access.py pins them to all week: one approval)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from sandbox.engine import ApprovalRefused, Decision, Execution, LocalEngine, PendingApproval
from tests.integration.test_jit_access import (
    DEV,
    MARIA,
    SAM,
    _wait_for_grant,
    assignments,
    audit_actions,
    command,
    config_with_hours,
    dms,
    held,  # noqa: F401 - the fixture that holds a grant's execution at its first look
    request,
    step_names,
)


class TwoStep:
    """The first approval as `first` says; the second one as `second` says (None: left pending)."""

    def __init__(self) -> None:
        self.first: Decision | None = Decision("approved", MARIA)
        self.second: Decision | None = None
        self.asked: list[PendingApproval] = []

    def __call__(self, pending: PendingApproval) -> Decision | None:
        self.asked.append(pending)
        return self.second if state_of(pending).get("first_approver") else self.first


POLICY = TwoStep()
ENGINE: list[LocalEngine] = []


def state_of(pending: PendingApproval) -> dict[str, Any]:
    return dict(pending.request["state"])


@pytest.fixture(scope="module")
def engine(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalEngine]:
    with LocalEngine(config_with_hours(tmp_path_factory, []), approvals=POLICY) as eng:
        ENGINE[:] = [eng]
        yield eng


@pytest.fixture(autouse=True)
def fresh(engine: LocalEngine) -> Iterator[None]:
    assert engine.vendors is not None
    engine.vendors.reseed()
    POLICY.first, POLICY.second = Decision("approved", MARIA), None
    POLICY.asked.clear()
    yield
    assert assignments(engine, DEV) == set(), "a grant outlived its scenario"


def second_pending(execution: Execution) -> PendingApproval:
    for _ in range(3000):
        found = [p for p in execution.pending if state_of(p).get("first_approver")]
        if found:
            return found[0]
        assert not execution.done.wait(0.02), (execution.status, execution.cause)
    raise AssertionError("the second approval was never asked")


def sso(engine: LocalEngine, execution: Execution) -> list[str]:
    return [a["action"] for a in audit_actions(engine, execution.id) if a["action"].startswith("sso:")]


def test_outside_hours_the_grant_waits_for_a_second_different_approver(engine: LocalEngine) -> None:
    execution = engine.start("jit_access", request(engine, DEV))
    pending = second_pending(execution)
    second = state_of(pending)
    assert second["first_approver"] == MARIA
    assert "Second approval" in second["summary"]
    assert assignments(engine, DEV) == set()  # one approval is not enough now
    (stored,) = [a for a in _stored(execution) if a.status == "pending"]
    assert set(stored.approvers.values()) == {SAM}  # neither the requester nor the first approver
    assert any("approved already" in why for why in stored.details["left_out"]), stored.details
    for who, said in ((MARIA, "Only the approvers"), (DEV, "your own request")):
        with pytest.raises(ApprovalRefused, match=said):
            engine.answer(execution.id, Decision("approved", who))
    assert assignments(engine, DEV) == set()
    engine.answer(execution.id, Decision("approved", SAM))
    assert execution.done.wait(60)
    assert execution.status == "SUCCEEDED", (execution.error, execution.cause)
    names = step_names(execution)
    assert names.index("AskApproval") < names.index("AskSecondApproval") < names.index("Grant")
    audited = {a["action"]: a for a in audit_actions(engine, execution.id)}
    assert audited["sso:CreateAccountAssignment"]["approver"] == f"{MARIA}, {SAM}"
    assert sso(engine, execution) == ["sso:CreateAccountAssignment", "sso:DeleteAccountAssignment"]
    assert any(f"approved by {MARIA}, {SAM}" in t for t in dms(engine, DEV)), dms(engine, DEV)


def test_a_second_approver_who_denies_ends_it_without_a_grant(engine: LocalEngine) -> None:
    POLICY.second = Decision("denied", SAM, "not at night")
    execution = engine.run("jit_access", request(engine, DEV))
    assert execution.status == "SUCCEEDED", execution.cause
    assert "Grant" not in step_names(execution)
    assert sso(engine, execution) == []
    assert any(f"denied by {SAM}: not at night" in t for t in dms(engine, DEV)), dms(engine, DEV)


def test_a_first_denial_asks_nobody_else(engine: LocalEngine) -> None:
    POLICY.first = Decision("denied", MARIA)
    execution = engine.run("jit_access", request(engine, DEV))
    assert execution.status == "SUCCEEDED", execution.cause
    assert len(POLICY.asked) == 1
    assert "AskSecondApproval" not in step_names(execution)


def test_nobody_left_for_a_second_approval_is_refused_at_once(engine: LocalEngine) -> None:
    # okta-admin is approved by the platform team's approvers: besides Maria only Dev.
    execution = engine.run("jit_access", request(engine, MARIA, "okta-admin", "30m", "INC-7 rotate the SAML cert"))
    assert execution.output == "refused", execution.output
    assert POLICY.asked == []
    assert any("two different approvers" in t for t in dms(engine, MARIA)), dms(engine, MARIA)


def test_an_extension_past_the_maximum_needs_two_approvers_too(engine: LocalEngine, held: Any) -> None:  # noqa: F811
    POLICY.second = Decision("approved", SAM)
    grant = engine.start("jit_access", request(engine, DEV, duration="4h"))
    grant_id = _wait_for_grant(engine, DEV)
    POLICY.asked.clear()
    extended = engine.run("jit_access", command(engine, DEV, "extend", grant_id=grant_id, duration="30m"))
    assert extended.output["extended"] is True, extended.output
    assert [bool(state_of(p).get("first_approver")) for p in POLICY.asked] == [False, True]
    assert "AskSecondApproval" in step_names(extended)
    engine.run("jit_access", command(engine, DEV, "revoke", grant_id=grant_id))
    held.set()
    assert grant.done.wait(60)
    assert grant.status == "SUCCEEDED", grant.cause


def _stored(execution: Execution) -> list[Any]:
    import os

    from functions.core import approvals

    os.environ.update(ENGINE[0].dispatcher.environment)  # the state table the requests are in
    return approvals.for_execution(execution.id)
