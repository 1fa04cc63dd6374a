"""The demo's just-in-time access part: production PlatformAdmin asked for from the sample
`/platform access` request, approved, shown active (the assignment in moto's Identity Center),
expired on virtual time, shown revoked, with the session's activity summary."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import boto3

from sandbox.engine import ROOT, LocalEngine, fixed_policy, load_event
from sandbox.intake import as_input
from sandbox.output import HumanReporter

SAMPLE = "slack/access_request.json"


def assignments(engine: LocalEngine, email: str) -> list[str]:
    """`<permission set> in <account>` of each Identity Center assignment the person holds."""
    center = engine.config.aws.identity_center
    store = boto3.client("identitystore", region_name=engine.region)
    users = store.list_users(IdentityStoreId=center.identity_store_id)["Users"]
    user = next((u for u in users if u.get("UserName") == email), None)
    if user is None:
        return []
    sso = boto3.client("sso-admin", region_name=engine.region)
    found = sso.list_account_assignments_for_principal(
        InstanceArn=center.instance_arn, PrincipalId=user["UserId"], PrincipalType="USER"
    )["AccountAssignments"]
    names = []
    for assignment in found:
        described = sso.describe_permission_set(
            InstanceArn=center.instance_arn, PermissionSetArn=assignment["PermissionSetArn"]
        )
        names.append(f"{described['PermissionSet']['Name']} in {assignment['AccountId']}")
    return sorted(names)


def request_approve_expire(engine: LocalEngine, out: Any, outcome: str = "approved") -> bool:
    """Passes when the grant was active while the execution waited for its expiry, and is gone
    (verified) at the end, with the session's activity summarised. Its approvals are answered
    (`outcome`) by the request's own approvers: a second, different one where the configuration
    wants two (jit.single_approver_hours), which the demo's one named approver could not be."""
    from functions.jit_access import handlers, timing
    from sandbox import cloudtrail

    event = as_input(engine, "jit_access", load_event(ROOT / "events" / SAMPLE))
    requester = str(event["requested_by"])
    # What the session does while it holds the grant, for the summary to show.
    cloudtrail.put(
        requester,
        [
            {"name": "DescribeInstances", "source": "ec2.amazonaws.com", "read_only": True},
            {"name": "PurgeQueue", "source": "sqs.amazonaws.com", "resources": ["orders-stuck"]},
        ],
        at=timing.now().astimezone(UTC) + timedelta(minutes=5),
    )
    seen: list[list[str]] = []

    def watch(raw: Any, context: Any) -> Any:
        # The grant's first look at its record, before its Wait on the expiry: the grant is live.
        if not seen:
            seen.append(assignments(engine, requester))
            print(f"--- active at {datetime.now(UTC):%H:%M:%S} UTC: {requester} holds {seen[0]}", file=out)
        return handlers.watch(raw, context)

    print(f"\n=== just-in-time access from events/{SAMPLE}: asked, approved, active, expired, revoked", file=out)
    before = assignments(engine, requester)
    reporter = HumanReporter("jit_access", dry_run=False, stream=out)
    reporter.started()
    engine.dispatcher.register("JitAccessWatch", watch)
    policy, engine.approvals = engine.approvals, fixed_policy(outcome)
    try:
        execution = engine.run("jit_access", event, on_step=reporter.step)
    finally:
        engine.approvals = policy
        engine.dispatcher._overrides.pop("JitAccessWatch", None)
    reporter.finished(execution)
    after = assignments(engine, requester)
    print(
        f"--- after expiry ({execution.virtual_wait_s / 60:.0f} virtual minutes): {requester} holds {after}", file=out
    )
    summary = _summary(engine)
    print("\n".join("    " + line for line in summary.splitlines()), file=out)
    granted = bool(seen) and len(seen[0]) > len(before)
    return execution.status == "SUCCEEDED" and granted and after == before and "verified gone" in summary


def _summary(engine: LocalEngine) -> str:
    """The activity summary as posted to the JIT channel (the newest one)."""
    assert engine.vendors is not None
    channel = engine.config.jit.channel or engine.config.slack.channels.approvals
    messages = engine.vendors.fakes["slack"].state()["messages"].get(channel, [])
    return next((m.get("text", "") for m in reversed(messages) if "verified gone" in m.get("text", "")), "")
