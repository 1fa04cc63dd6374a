"""`make demo` / `platform-automation demo`: the platform's main jobs, end to end, on one local
stack. A new hire is onboarded from a recorded GitHub issue delivery and then offboarded, with the
sandbox's state of that person shown after each; then an off-hours stop and the morning's start, a
billing alarm (Slack message, PagerDuty event, approved remediation), and the DR drill: a passing
one, then one whose critical target breaches its RTO (failure, page, report); a deploy: a
build on main to staging, its approved promotion to production, then a Degraded one rolled back;
just-in-time access: production PlatformAdmin asked for, approved, shown active in Identity
Center, expired on virtual time and shown revoked with its activity summary; and an access review:
its findings, decided by the reviewers in Slack (some kept with a reason, some revoked), the
revocations read back and verified, and where the evidence is."""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path
from typing import Any

import boto3

from sandbox.engine import ROOT, LocalEngine, fixed_policy, load_event
from sandbox.intake import as_input
from sandbox.output import HumanReporter

EVENTS = ROOT / "events"
NEW_HIRE = {"email": "jane.doe@example.com", "github": "jdoe-dev"}


def person_state(engine: LocalEngine, email: str, login: str) -> dict[str, Any]:
    """What the sandbox holds about one person, vendor by vendor."""
    assert engine.vendors is not None
    fakes = engine.vendors.fakes
    okta = fakes["okta"].state()["users"].get(email)
    github = fakes["github"].state()
    center = engine.config.aws.identity_center
    store = boto3.client("identitystore", region_name=engine.region)
    users = store.list_users(IdentityStoreId=center.identity_store_id)["Users"]
    ic_user = next((u for u in users if u["UserName"] == email), None)
    assignments: list[str] = []
    if ic_user is not None:
        sso = boto3.client("sso-admin", region_name=engine.region)
        for account in engine.config.aws.accounts.values():
            found = sso.list_account_assignments_for_principal(
                InstanceArn=center.instance_arn,
                PrincipalId=ic_user["UserId"],
                PrincipalType="USER",
                Filter={"AccountId": account},
            )["AccountAssignments"]
            for assignment in found:
                described = sso.describe_permission_set(
                    InstanceArn=center.instance_arn, PermissionSetArn=assignment["PermissionSetArn"]
                )
                assignments.append(f"{described['PermissionSet']['Name']} in {assignment['AccountId']}")
    return {
        "okta": {"status": okta["status"], "groups": okta["groups"]} if okta else None,
        "github": {
            "org": (github["members"].get(login) or {}).get("state")
            or ("invited" if login in github["invitations"] else None),
            "teams": sorted(slug for slug, members in github["teams"].items() if login in members),
        },
        "aws_identity_center": {"user": bool(ic_user), "assignments": assignments},
    }


def _run(engine: LocalEngine, workflow: str, sample: str, title: str, out: Any) -> bool:
    """Run one sample (under events/), made into the workflow's input as `run --event` makes it."""
    print(f"\n=== {title}", file=out)
    reporter = HumanReporter(workflow, dry_run=False, stream=out)
    reporter.started()
    event = as_input(engine, workflow, load_event(EVENTS / sample))
    execution = engine.run(workflow, event, on_step=reporter.step)
    reporter.finished(execution)
    return execution.status == "SUCCEEDED"


def _show(engine: LocalEngine, out: Any) -> None:
    state = person_state(engine, NEW_HIRE["email"], NEW_HIRE["github"])
    print(f"--- sandbox state of {NEW_HIRE['email']} / {NEW_HIRE['github']}:", file=out)
    print("\n".join("    " + line for line in json.dumps(state, indent=2).splitlines()), file=out)


def _critical_breach(engine: LocalEngine, out: Any) -> bool:
    """The DR drill again, with the critical target's restore taking 90 virtual minutes (RTO 60):
    it must fail, page and report; the demo passes when it does."""
    from sandbox.dr_scenario import Scenario

    critical = next((t.name for t in engine.config.dr.targets if t.tier == "critical"), None)
    if critical is None:
        return True
    engine.dr.set(critical, Scenario(restore_minutes=90))
    try:
        print(f"\n=== DR drill, {critical}'s restore taking 90 virtual minutes (expected: RTO breach, page)", file=out)
        reporter = HumanReporter("dr_drill", dry_run=False, stream=out)
        reporter.started()
        execution = engine.run("dr_drill", {"targets": [critical]}, on_step=reporter.step)
        reporter.finished(execution)
    finally:
        engine.dr.clear()
    paged = any(c["service"] == "pagerduty" for c in execution.calls)
    return execution.status == "FAILED" and execution.error == "DrillFailed" and paged


def run_demo(config_path: str | Path, out: Any = None) -> int:
    out = out or sys.stdout
    started = time.perf_counter()
    ok = True
    with LocalEngine(config_path, approvals=fixed_policy("approved", "dev.patel@example.com")) as engine:
        _show(engine, out)
        for workflow, name in (("onboarding", "issue_opened_onboarding"), ("offboarding", "issue_opened_offboarding")):
            sample = f"github/{name}.json"
            ok &= _run(engine, workflow, sample, f"{workflow} from events/{sample}", out)
            _show(engine, out)
        for name in ("off_hours_stop", "off_hours_start"):
            sample = f"scheduler/{name}.json"
            ok &= _run(engine, "off_hours", sample, f"off-hours from events/{sample}", out)
        sample = "cloudwatch/billing_alarm_critical_sns.json"
        ok &= _run(engine, "cost_alarm", sample, f"billing alarm from events/{sample}", out)
        ok &= _run(engine, "dr_drill", "scheduler/dr_drill.json", "DR drill", out)
        ok &= _critical_breach(engine, out)
        from sandbox.demo_credentials import rotate_while_delivering

        ok &= rotate_while_delivering(engine, out)
        from sandbox.demo_deployment import deploy_promote_and_roll_back

        ok &= deploy_promote_and_roll_back(engine, out)
        from sandbox.demo_jit import request_approve_expire

        ok &= request_approve_expire(engine, out)
        from sandbox.demo_access_review import review_campaign

        ok &= review_campaign(engine, out)  # last: its revocations change the organisation
    print(f"\ndemo {'passed' if ok else 'FAILED'} in {time.perf_counter() - started:.1f} s", file=out)
    return 0 if ok else 1
