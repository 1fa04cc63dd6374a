"""state_machines/jit_access.asl.json on the local engine: the real definition and handlers,
moto's Identity Center (and the sandbox's CloudTrail history), the Okta, Slack and PagerDuty
fakes, approvals decided through functions/core/approvals.py. After every scenario the
sandbox's Identity Center holds no assignment for the requester."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import boto3
import pytest
import yaml

from functions.jit_access import timing
from functions.jit_access.store import GrantStore
from sandbox import cloudtrail
from sandbox.engine import ApprovalRefused, Decision, LocalEngine, PendingApproval
from sandbox.fakes.base import Fault
from tests.conftest import EXAMPLE_CONFIG

DEV, MARIA, SAM = "dev.patel@example.com", "maria.lopez@example.com", "sam.okafor@example.com"
HANA = "hana.reyes@example.com"  # active in Okta, neither on the platform team nor an approver
PRODUCTION = "111111111111"


class Policy:
    """Approvals as a test wants them: an outcome and who answers (None: leave it pending)."""

    def __init__(self) -> None:
        self.outcome: str | None = "approved"
        self.approver = MARIA
        self.asked: list[PendingApproval] = []
        self.on_ask: Any = None

    def __call__(self, pending: PendingApproval) -> Decision | None:
        self.asked.append(pending)
        if self.on_ask is not None:
            self.on_ask()
        if self.outcome is None:
            return None
        return Decision(self.outcome, self.approver, f"{self.outcome} by the test")


POLICY = Policy()


def config_with_hours(tmp_path_factory: pytest.TempPathFactory, days: list[str]) -> Path:
    """The example, with jit.single_approver_hours set to all day on `days` (none: never), so
    whether a second approver is needed does not depend on when the test runs."""
    data = yaml.safe_load(EXAMPLE_CONFIG.read_text(encoding="utf-8"))
    data["jit"]["single_approver_hours"] = {"days": days, "start": "00:00", "end": "24:00"}
    path = tmp_path_factory.mktemp("jit") / "platform.yaml"
    path.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
    return path


ALL_WEEK = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"]


@pytest.fixture(scope="module")
def engine(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalEngine]:
    with LocalEngine(config_with_hours(tmp_path_factory, ALL_WEEK), approvals=POLICY) as eng:
        ENGINE[:] = [eng]
        yield eng


@pytest.fixture(autouse=True)
def fresh(engine: LocalEngine) -> Iterator[None]:
    assert engine.vendors is not None
    engine.vendors.reseed()
    POLICY.outcome, POLICY.approver, POLICY.on_ask = "approved", MARIA, None
    POLICY.asked.clear()
    cloudtrail.clear()
    yield
    engine.vendors.clear_faults()
    assert assignments(engine, DEV) == set(), "a grant outlived its scenario"
    assert assignments(engine, MARIA) == set()


def slack_id(engine: LocalEngine, email: str) -> str:
    return str(engine.vendors.fakes["slack"].user_id(email))  # type: ignore[union-attr]


def request(
    engine: LocalEngine, who: str, grant: str = "prod-admin", duration: str = "30m", reason: str = "INC-1 fix"
) -> dict[str, Any]:
    return {
        "action": "request",
        "grant": grant,
        "duration": duration,
        "reason": reason,
        "requested_by": who,
        "origin": {"kind": "slack", "user_id": slack_id(engine, who), "channel_id": "C1", "response_url": None},
        "dry_run": False,
    }


def command(engine: LocalEngine, who: str, action: str, **extra: Any) -> dict[str, Any]:
    base = request(engine, who)
    return {**{k: base[k] for k in ("requested_by", "origin", "dry_run")}, "action": action, **extra}


def ic_user(engine: LocalEngine, email: str) -> str:
    store = boto3.client("identitystore", region_name=engine.region)
    return str(
        store.get_user_id(
            IdentityStoreId=engine.config.aws.identity_center.identity_store_id,
            AlternateIdentifier={"UniqueAttribute": {"AttributePath": "userName", "AttributeValue": email}},
        )["UserId"]
    )


def assignments(engine: LocalEngine, email: str) -> set[tuple[str, str]]:
    sso = boto3.client("sso-admin", region_name=engine.region)
    instance = engine.config.aws.identity_center.instance_arn
    names = {
        arn: sso.describe_permission_set(InstanceArn=instance, PermissionSetArn=arn)["PermissionSet"]["Name"]
        for arn in sso.list_permission_sets(InstanceArn=instance)["PermissionSets"]
    }
    found = sso.list_account_assignments_for_principal(
        InstanceArn=instance, PrincipalId=ic_user(engine, email), PrincipalType="USER"
    )["AccountAssignments"]
    return {(a["AccountId"], names[a["PermissionSetArn"]]) for a in found}


def dms(engine: LocalEngine, email: str) -> list[str]:
    state = engine.vendors.fakes["slack"].state()  # type: ignore[union-attr]
    name = (
        next(key for key in state["messages"] if key.startswith("@") and _is(engine, key, email))
        if any(k.startswith("@") and _is(engine, k, email) for k in state["messages"])
        else None
    )
    return [m.get("text", "") for m in state["messages"].get(name, [])] if name else []


def _is(engine: LocalEngine, key: str, email: str) -> bool:
    users = engine.vendors.fakes["slack"].users  # type: ignore[union-attr]
    return any(u.get("name") == key[1:] and (u.get("profile") or {}).get("email") == email for u in users)


def channel(engine: LocalEngine, name: str) -> list[str]:
    state = engine.vendors.fakes["slack"].state()  # type: ignore[union-attr]
    return [m.get("text", "") for m in state["messages"].get(name, [])]


def sso_calls(execution: Any) -> list[str]:
    """The Identity Center changes the execution made, from its audit trail, in order."""
    from sandbox.engine import LocalEngine as _Engine  # noqa: F401 - for the type only

    return [
        a["action"].removeprefix("sso:")
        for a in audit_actions(ENGINE[0], execution.id)
        if a["action"].startswith("sso:")
    ]


ENGINE: list[LocalEngine] = []


def step_names(execution: Any) -> list[str]:
    return [f"{s.path}/{s.name}" if s.path else s.name for s in execution.steps]


def audit_actions(engine: LocalEngine, execution_id: str) -> list[dict[str, Any]]:
    ddb = boto3.client("dynamodb", region_name=engine.region)
    items = ddb.scan(TableName=engine.resources.audit_table)["Items"]
    found = [
        {k: v.get("S", "") for k, v in item.items()}
        for item in items
        if item.get("pk", {}).get("S") == f"execution#{execution_id}"
    ]
    return sorted(found, key=lambda a: a.get("sk", ""))


# -- the whole grant ----------------------------------------------------------------------------


def test_approved_grant_is_made_reminded_expired_revoked_and_summarised(engine: LocalEngine) -> None:
    cloudtrail.put(
        DEV,
        [
            {"name": "DescribeInstances", "source": "ec2.amazonaws.com", "read_only": True},
            {"name": "RebootInstances", "source": "ec2.amazonaws.com", "resources": ["i-0abc"]},
        ],
        at=datetime.fromtimestamp(timing.now().timestamp() + 300, UTC),
    )
    execution = engine.run("jit_access", request(engine, DEV))
    assert execution.status == "SUCCEEDED", (execution.error, execution.cause)
    names = step_names(execution)
    for name in (
        "Plan",
        "AskApproval",
        "Grant",
        "TellGranted",
        "WaitUntil",
        "Revoke[0]/RevokeGrant",
        "Revoke[0]/Summarize",
    ):
        assert name in names, names
    assert names.index("Grant") < names.index("WaitUntil") < names.index("Revoke[0]/RevokeGrant")
    assert execution.virtual_wait_s >= 30 * 60 - 5  # it waited the 30 minutes, on virtual time
    # Three looks at the grant: the first, the reminder's, the expiry's (a Wait that ended a
    # fraction early would add one look per pass, each a billed transition).
    assert names.count("Watch") == 3, names
    (asked,) = POLICY.asked  # within jit.single_approver_hours: one approval is enough
    assert asked.request["state"]["approvers"] == [MARIA, SAM]  # never the requester
    calls = sso_calls(execution)
    assert calls.count("CreateAccountAssignment") == 1
    assert calls.count("DeleteAccountAssignment") == 1
    assert calls.index("CreateAccountAssignment") < calls.index("DeleteAccountAssignment")
    told = dms(engine, DEV)
    assert any("active until" in t and "example.awsapps.com" in t for t in told), told
    assert any("ends in" in t and "extend" in t for t in told), told  # the reminder
    summary = next(t for t in told if "verified gone" in t)
    assert "2 API calls" in summary
    assert "ec2:RebootInstances" in summary
    assert "DescribeInstances" not in summary
    audited = {a["action"]: a for a in audit_actions(engine, execution.id)}
    assert audited["sso:CreateAccountAssignment"]["requester"] == DEV
    assert audited["sso:CreateAccountAssignment"]["approver"] == MARIA
    assert "sso:DeleteAccountAssignment" in audited
    assert "s3:PutObject" in audited


def test_denied_and_timed_out_grant_nothing(engine: LocalEngine) -> None:
    for outcome, said in (("denied", "was denied by"), ("timeout", "timed out")):
        POLICY.outcome = outcome
        execution = engine.run("jit_access", request(engine, DEV))
        assert execution.status == "SUCCEEDED", execution.cause
        assert "CreateAccountAssignment" not in sso_calls(execution)
        assert any(said in t for t in dms(engine, DEV)), dms(engine, DEV)


def test_the_requester_cannot_approve_their_own_request(engine: LocalEngine) -> None:
    POLICY.outcome = None  # left pending: answered below
    execution = engine.start("jit_access", request(engine, MARIA))
    for _ in range(2000):
        if execution.pending:
            break
        execution.done.wait(0.01)
    (pending,) = execution.pending
    assert pending.request["state"]["approvers"] == [DEV, SAM]
    with pytest.raises(ApprovalRefused):
        engine.answer(execution.id, Decision("approved", MARIA))
    engine.answer(execution.id, Decision("denied", DEV))
    assert execution.done.wait(60)
    assert "CreateAccountAssignment" not in sso_calls(execution)


@pytest.mark.parametrize(
    ("who", "grant", "duration", "reason", "said"),
    [
        (SAM, "prod-admin", "30m", "INC-1", "only for members of platform"),
        (DEV, "prod-admin", "5h", "INC-1", "at most 4 h"),
        (DEV, "prod-admin", "30m", "", "needs a reason"),
        (DEV, "okta-admin", "30m", "no ticket here", "needs a ticket"),
        (DEV, "nope", "30m", "INC-1", "There is no grant"),
        (DEV, "prod-admin", "soon", "INC-1", "is not a duration"),
        (MARIA, "prod-break-glass", "30m", "INC-1", "only whoever is on call"),
    ],
)
def test_refused_requests_are_answered_in_slack_and_grant_nothing(
    engine: LocalEngine, who: str, grant: str, duration: str, reason: str, said: str
) -> None:
    execution = engine.run("jit_access", request(engine, who, grant, duration, reason))
    assert execution.status == "SUCCEEDED", execution.cause
    assert execution.output == "refused", execution.output
    assert POLICY.asked == []
    assert not [c for c in sso_calls(execution) if c.endswith("AccountAssignment")]
    assert any(said in t for t in dms(engine, who)), dms(engine, who)


def test_break_glass_is_granted_at_once_paged_and_reviewed(engine: LocalEngine) -> None:
    execution = engine.run("jit_access", request(engine, DEV, "prod-break-glass", "20m", "SEV1 database down"))
    assert execution.status == "SUCCEEDED", execution.cause
    assert POLICY.asked == []
    assert "CreateAccountAssignment" in sso_calls(execution)
    assert "DeleteAccountAssignment" in sso_calls(execution)
    incidents = engine.vendors.fakes["pagerduty"].state()["incidents"]  # type: ignore[union-attr]
    assert any("Break-glass" in json.dumps(i) for i in incidents.values()), incidents
    security = channel(engine, "#security-reviews")
    assert any("Break-glass review needed" in t for t in security), security


def test_a_failure_after_the_grant_revokes_it_anyway(engine: LocalEngine) -> None:
    def break_slack() -> None:  # after the approval request was posted: telling the requester fails
        engine.vendors.set_faults("slack", [Fault(500, match="chat.postMessage")])  # type: ignore[union-attr]

    POLICY.on_ask = break_slack
    execution = engine.run("jit_access", request(engine, DEV))
    assert execution.status == "FAILED", execution.status
    assert execution.error == "JitAccessIncomplete", execution.error
    names = step_names(execution)
    assert "RevokeAfterFailure" in names
    assert "Revoke[0]/RevokeGrant" in names
    calls = sso_calls(execution)
    assert calls.count("CreateAccountAssignment") == 1
    assert calls.count("DeleteAccountAssignment") == 1


def test_early_revoke_by_the_grantee(engine: LocalEngine, held: threading.Event) -> None:
    POLICY.outcome = "approved"
    grant = engine.start("jit_access", request(engine, DEV, duration="2h"))
    grant_id = _wait_for_grant(engine, DEV)
    revoke = engine.run("jit_access", command(engine, DEV, "revoke", grant_id=grant_id))
    assert revoke.status == "SUCCEEDED", revoke.cause
    assert "DeleteAccountAssignment" in sso_calls(revoke)
    assert assignments(engine, DEV) == set()
    held.set()
    assert grant.done.wait(60)  # the grant's own execution wakes, finds it revoked, ends
    assert grant.status == "SUCCEEDED"
    assert sum("verified gone" in t for t in dms(engine, DEV)) == 1  # summarised once


def test_someone_else_cannot_revoke_or_extend_a_grant(engine: LocalEngine, held: threading.Event) -> None:
    grant = engine.start("jit_access", request(engine, DEV, duration="1h"))
    grant_id = _wait_for_grant(engine, DEV)
    for action, extra in (("revoke", {}), ("extend", {"duration": "10m"})):
        refused = engine.run("jit_access", command(engine, HANA, action, grant_id=grant_id, **extra))
        assert refused.output == "refused"
    assert assignments(engine, DEV) == {(PRODUCTION, "PlatformAdmin")}
    engine.run("jit_access", command(engine, DEV, "revoke", grant_id=grant_id))
    held.set()
    assert grant.done.wait(60)


def test_extension_within_and_past_the_maximum(engine: LocalEngine, held: threading.Event) -> None:
    grant = engine.start("jit_access", request(engine, DEV, duration="3h"))
    grant_id = _wait_for_grant(engine, DEV)
    within = engine.run("jit_access", command(engine, DEV, "extend", grant_id=grant_id, duration="30m"))
    assert within.status == "SUCCEEDED", within.cause
    assert within.output["extended"] is True, within.output
    assert len(POLICY.asked) == 1  # no approval within the maximum (4 h)
    POLICY.outcome = "denied"
    past = engine.run("jit_access", command(engine, DEV, "extend", grant_id=grant_id, duration="1h"))
    assert len(POLICY.asked) == 2  # past the maximum: approved again, and denied
    assert past.output == "extend_approval"
    POLICY.outcome = "approved"
    approved = engine.run("jit_access", command(engine, DEV, "extend", grant_id=grant_id, duration="1h"))
    assert approved.output["extended"] is True
    assert len(POLICY.asked) == 3
    held.set()
    assert grant.done.wait(60)
    # 4.5 h in all, on the grant's own clock (the wall clock moved on while the test held it).
    live = GrantStore(engine.resources.state_table, boto3.client("dynamodb", region_name=engine.region)).get(grant_id)
    assert live is not None
    held_for = timing.parse(live.revoked_at) - timing.parse(live.granted_at)
    assert held_for.total_seconds() >= (3 * 60 + 30 + 60) * 60, live


def test_an_aborted_execution_is_swept(engine: LocalEngine, held: threading.Event) -> None:
    grant = engine.start("jit_access", request(engine, DEV, duration="2h"))
    _wait_for_grant(engine, DEV)
    engine.sfn.stop_execution(executionArn=grant.arn, error="Test.Aborted", cause="the test stopped it")
    held.set()
    assert grant.done.wait(60)
    assert assignments(engine, DEV) == {(PRODUCTION, "PlatformAdmin")}  # nobody revoked it yet
    sweep = engine.run("jit_access", {"action": "sweep", "dry_run": False})
    assert sweep.status == "SUCCEEDED", sweep.cause
    assert "DeleteAccountAssignment" in sso_calls(sweep)


def test_list_shows_live_grants(engine: LocalEngine, held: threading.Event) -> None:
    grant = engine.start("jit_access", request(engine, DEV, duration="1h"))
    grant_id = _wait_for_grant(engine, DEV)
    listed = engine.run("jit_access", command(engine, MARIA, "list"))  # an approver sees it
    assert listed.output == "told"
    assert any(grant_id in t for t in dms(engine, MARIA)), dms(engine, MARIA)
    engine.run("jit_access", command(engine, DEV, "revoke", grant_id=grant_id))
    held.set()
    assert grant.done.wait(60)


def test_dry_run_changes_nothing(engine: LocalEngine) -> None:
    execution = engine.run("jit_access", request(engine, DEV), dry_run=True)
    assert execution.status == "SUCCEEDED", execution.cause
    assert not [c for c in sso_calls(execution) if c in ("CreateAccountAssignment", "DeleteAccountAssignment")]


def okta_groups(engine: LocalEngine, email: str) -> list[str]:
    users = engine.vendors.fakes["okta"].state()["users"]  # type: ignore[union-attr]
    return list(users[email]["groups"])


def test_an_okta_group_grant_is_a_membership_until_expiry_then_removed_and_verified(
    engine: LocalEngine, held: threading.Event
) -> None:
    assert "Okta Admins" not in okta_groups(engine, DEV)
    grant = engine.start("jit_access", request(engine, DEV, "okta-admin", "45m", "INC-9 rotate the SAML cert"))
    for _ in range(3000):  # granted: a member of the group, and the grant's execution held at its first look
        if "Okta Admins" in okta_groups(engine, DEV):
            break
        assert not grant.done.wait(0.02), (grant.status, grant.cause)
    assert "Okta Admins" in okta_groups(engine, DEV)
    assert assignments(engine, DEV) == set()  # an Okta grant touches no Identity Center assignment
    held.set()
    assert grant.done.wait(60)
    assert grant.status == "SUCCEEDED", (grant.error, grant.cause)
    assert "Okta Admins" not in okta_groups(engine, DEV)
    names = step_names(grant)
    assert "Revoke[0]/CheckRevoked" in names
    assert names.index("Grant") < names.index("WaitUntil") < names.index("Revoke[0]/RevokeGrant")
    okta = [a["action"] for a in audit_actions(engine, grant.id) if a.get("vendor") == "okta"]
    assert okta == ["addUserToGroup", "removeUserFromGroup"], okta
    store = GrantStore(engine.resources.state_table, boto3.client("dynamodb", region_name=engine.region))
    live = store.get(_grant_id_of(engine, grant.id))
    assert live is not None
    assert (timing.parse(live.revoked_at) - timing.parse(live.granted_at)).total_seconds() >= 45 * 60
    told = dms(engine, DEV)
    assert any("You are in the Okta group Okta Admins" in t for t in told), told
    assert any("verified gone" in t and "no CloudTrail history" in t for t in told), told


def _grant_id_of(engine: LocalEngine, execution_id: str) -> str:
    ddb = boto3.client("dynamodb", region_name=engine.region)
    items = ddb.scan(TableName=engine.resources.state_table)["Items"]
    return next(
        json.loads(i["record"]["S"])["request"]["grant_id"]
        for i in items
        if i.get("sk", {}).get("S") == "jit-grant" and i.get("execution_id", {}).get("S") == execution_id
    )


@pytest.fixture
def held(engine: LocalEngine) -> Iterator[threading.Event]:
    """Holds each grant's execution at its first look at the live grant (the real JitAccessWatch
    runs once the event is set): on virtual time its Waits would otherwise end at once, before
    the test could act on the live grant."""
    from functions.jit_access import handlers

    release = threading.Event()

    def gated(event: Any, context: Any) -> Any:
        release.wait(60)
        return handlers.watch(event, context)

    engine.dispatcher.register("JitAccessWatch", gated)
    try:
        yield release
    finally:
        release.set()
        engine.dispatcher._overrides.pop("JitAccessWatch", None)


def _wait_for_grant(engine: LocalEngine, email: str) -> str:
    ddb = boto3.client("dynamodb", region_name=engine.region)
    for _ in range(3000):
        items = ddb.scan(TableName=engine.resources.state_table)["Items"]
        live = [
            json.loads(i["record"]["S"])
            for i in items
            if i.get("sk", {}).get("S") == "jit-grant" and i["status"]["S"] == "active"
        ]
        mine = [r for r in live if r["request"]["requester"] == email]
        if mine and assignments(engine, email):
            return str(mine[0]["request"]["grant_id"])
        import time

        time.sleep(0.02)
    raise AssertionError("the grant was never made")
