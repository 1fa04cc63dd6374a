"""Offboarding end to end on the sandbox: the real definition, the vendor fakes, moto."""

from __future__ import annotations

import copy
import json
from collections.abc import Iterator
from typing import Any

import boto3
import pytest

from functions.core import audit
from sandbox import calls
from sandbox.engine import ROOT, Decision, LocalEngine, PendingApproval, fixed_policy
from sandbox.fakes.base import Fault
from sandbox.fakes.org import load_org
from sandbox.intake import workflow_input

REPO = "example-corp/platform-requests"
DEV, MARIA = "dev.patel@example.com", "maria.lopez@example.com"
EXTRA = [
    ("Kim Berg", "kimb"),
    ("Noah Rossi", "nrossi"),
    ("Eva Haddad", "ehaddad"),
    ("Ivo Stone", "istone"),
    ("Jill Park", "jpark"),
]
MUTATING = {"POST", "PUT", "PATCH", "DELETE"}
READS = ("/api/users.lookupByEmail", "/api/users.info")  # Slack reads are POSTs too


@pytest.fixture(scope="module")
def engine() -> Iterator[LocalEngine]:
    org = load_org()
    for name, login in EXTRA:
        email = name.lower().replace(" ", ".") + "@example.com"
        org["people"].append(
            {
                "name": name,
                "email": email,
                "github": login,
                "okta": {"status": "ACTIVE", "groups": ["Engineering"], "factors": ["push"]},
                "github_teams": ["engineering"],
                "slack": True,
                "pagerduty": False,
            }
        )
    with LocalEngine(org=org) as local:
        local.approvals = decided_by_an_active_approver(local, "approved")
        yield local


def decided_by_an_active_approver(engine: LocalEngine, outcome: str) -> Any:
    """Dev decides while he is active; once a test has offboarded him, Maria (the approval rules
    refuse a deactivated approver, and the engine's policy is held to them)."""

    def policy(pending: PendingApproval) -> Decision:
        dev = fakes(engine)["okta"].state()["users"]["dev.patel@example.com"]
        return fixed_policy(outcome, DEV if dev["status"] == "ACTIVE" else MARIA)(pending)

    return policy


_numbers = iter(range(500, 600))


def offboarding_input(engine: LocalEngine, email: str, login: str, reason: str = "Moving on") -> dict[str, Any]:
    """A fresh offboarding issue (as its webhook delivery would carry it), opened in the GitHub fake."""
    delivery = json.loads((ROOT / "events" / "github" / "issue_opened_offboarding.json").read_text())
    delivery = copy.deepcopy(delivery)
    delivery["issue"]["number"] = next(_numbers)
    # Filed by HR: the tests offboard approvers, and a request's filer never approves it.
    delivery["issue"]["user"]["login"] = delivery["sender"]["login"] = "hreyes"
    fields = {"Email": email, "GitHub username": login, "Last day": "2027-03-31", "Reason": reason}
    delivery["issue"]["body"] = "\n\n".join(f"### {label}\n\n{value}" for label, value in fields.items())
    return workflow_input("offboarding", delivery, REPO, engine.vendors.fakes["github"])  # type: ignore[union-attr]


def fakes(engine: LocalEngine) -> dict[str, Any]:
    return engine.vendors.fakes  # type: ignore[union-attr]


def issue(engine: LocalEngine, event: dict[str, Any]) -> dict[str, Any]:
    return fakes(engine)["github"].state()["issues"][f"{REPO}#{event['origin']['issue']}"]


def mutations(since: int, service: str | None = None) -> list[str]:
    return [
        f"{c['service']} {c['method']} {c['path']}"
        for c in calls.since(since)
        if c["method"] in MUTATING
        and c["status"] < 400
        and c["path"] not in READS
        and (service is None or c["service"] == service)
    ]


def test_a_leaver_loses_every_access_and_the_request_is_closed(engine):
    event = offboarding_input(engine, "sam.okafor@example.com", "sokafor")
    execution = engine.run("offboarding", event)
    assert execution.status == "SUCCEEDED", execution.cause
    assert execution.output["status"] == "offboarded"
    okta = fakes(engine)["okta"].state()
    assert okta["users"]["sam.okafor@example.com"]["status"] == "DEPROVISIONED"
    assert okta["users"]["sam.okafor@example.com"]["groups"] == []
    assert "sam.okafor@example.com" in okta["sessions_cleared"]
    assert "sokafor" not in fakes(engine)["github"].state()["members"]
    keys = boto3.client("iam", region_name=engine.region).list_access_keys(UserName="sam.okafor")
    assert [k["Status"] for k in keys["AccessKeyMetadata"]] == ["Inactive"]
    notices = fakes(engine)["slack"].state()["messages"]["#platform-notices"]
    assert any("Sam Okafor" in m["text"] and "offboarded" in m["text"] for m in notices)
    (mail,) = [m for m in fakes(engine)["sendgrid"].state()["outbox"] if m["subject"] == "Offboarding of Sam Okafor"]
    assert mail["to"] == ["hana.reyes@example.com"]  # no manager on record: the requester hears it
    closed = issue(engine, event)
    assert (closed["state"], closed["state_reason"]) == ("closed", "completed")
    assert "is offboarded" in closed["comments"][-1]
    entries = audit.entries(execution.id)
    # Dev's decision (the engine's policy answers as a configured approver, audited as a click) ...
    (decision,) = [e for e in entries if e["action"] == "approval.approved"]
    assert decision["actor"] == "dev.patel@example.com"
    entries.remove(decision)
    # ... then every change, on Hana's request and his approval.
    assert {e["action"] for e in entries} >= {"clear sessions", "deactivate user", "iam UpdateAccessKey"}
    assert all(e["approver"] == "dev.patel@example.com" for e in entries if "approver" in e)
    assert all(e.get("requester") == "hana.reyes@example.com" for e in entries)


def test_someone_on_a_pagerduty_schedule_is_reported_not_failed(engine):
    event = offboarding_input(engine, "dev.patel@example.com", "devpatel")
    execution = engine.run("offboarding", event)
    assert execution.status == "SUCCEEDED", execution.cause
    assert execution.output["needs_attention"] == ["PagerDuty schedules: Platform primary"]
    assert "dev.patel@example.com" in fakes(engine)["pagerduty"].state()["users"]
    assert "Platform primary" in issue(engine, event)["comments"][-1]


def test_an_unknown_person_gets_needs_info_and_nothing_changes(engine):
    event = offboarding_input(engine, "nobody@example.com", "octocat-nope", reason="")
    mark = calls.mark()
    execution = engine.run("offboarding", event)
    assert execution.status == "SUCCEEDED"
    assert execution.output["status"] == "needs-info"
    assert set(execution.output["problems"]) == {
        "**Reason** is missing",
        "`nobody@example.com` is not a user in Okta",
        "**GitHub username** `octocat-nope` does not exist on GitHub",
    }
    assert sorted(mutations(mark)) == sorted(
        [
            f"github POST /repos/{REPO}/issues/{event['origin']['issue']}/comments",
            f"github POST /repos/{REPO}/issues/{event['origin']['issue']}/labels",
        ]
    )
    assert (
        issue(engine, event)["labels"] == ["needs-info", "offboarding"]
        or "needs-info" in issue(engine, event)["labels"]
    )


def test_a_dry_run_plans_and_changes_nothing(engine):
    event = offboarding_input(engine, "eva.haddad@example.com", "ehaddad")
    mark = calls.mark()
    execution = engine.run("offboarding", event, dry_run=True)
    assert execution.status == "SUCCEEDED", execution.cause
    assert execution.output["status"] == "planned"
    operations = {(c["vendor"], c["operation"]) for c in execution.output["calls"]}
    assert {("okta", "deactivate user"), ("github", "remove org membership")} <= operations
    assert mutations(mark) == []
    assert fakes(engine)["okta"].state()["users"]["eva.haddad@example.com"]["status"] == "ACTIVE"


def test_a_dry_run_warns_that_pagerduty_will_refuse_someone_on_call(engine):
    event = offboarding_input(engine, "dev.patel@example.com", "devpatel")
    mark = calls.mark()
    execution = engine.run("offboarding", event, dry_run=True)
    assert execution.status == "SUCCEEDED", execution.cause
    operations = {(c["vendor"], c["operation"]) for c in execution.output["calls"]}
    assert ("pagerduty", "delete user") in operations
    assert (
        "would remove PagerDuty user dev.patel@example.com (on schedules Platform primary: PagerDuty will refuse)"
        in execution.output["summary"]
    )
    assert mutations(mark) == []
    assert [e for e in audit.entries(execution.id) if e["vendor"] == "pagerduty"] == []
    assert "dev.patel@example.com" in fakes(engine)["pagerduty"].state()["users"]


def test_a_re_run_changes_nothing_more(engine):
    event = offboarding_input(engine, "noah.rossi@example.com", "nrossi")
    assert engine.run("offboarding", event).status == "SUCCEEDED"
    mark = calls.mark()
    again = engine.run("offboarding", event)
    assert again.status == "SUCCEEDED", again.cause
    # Nothing left to revoke and the notices are marked done: the re-run asks for approval again and
    # comments its (different) summary, nothing else.
    assert sorted(mutations(mark)) == sorted(
        ["slack POST /api/chat.postMessage", f"github POST /repos/{REPO}/issues/{event['origin']['issue']}/comments"]
    )
    assert len(fakes(engine)["sendgrid"].state()["outbox"]) == len(
        {m["message_id"] for m in fakes(engine)["sendgrid"].state()["outbox"]}
    )
    assert "was already deactivated" in issue(engine, event)["comments"][-1]


def test_a_permanent_failure_is_reported_and_nothing_is_rolled_back(engine):
    event = offboarding_input(engine, "kim.berg@example.com", "kimb")
    fakes(engine)["github"].set_faults([Fault(status=500, match=r"^DELETE /orgs/.*/memberships/kimb$")])
    try:
        execution = engine.run("offboarding", event)
    finally:
        fakes(engine)["github"].set_faults([])
    assert execution.status == "FAILED"
    assert execution.error == "OffboardingFailed"
    assert execution.cause.startswith("RemoveGitHub: TransientVendorError")
    assert fakes(engine)["okta"].state()["users"]["kim.berg@example.com"]["status"] == "DEPROVISIONED"  # kept
    comment = issue(engine, event)["comments"][-1]
    assert "failed at **RemoveGitHub**" in comment
    assert "deactivated Okta user kim.berg@example.com" in comment
    notices = fakes(engine)["slack"].state()["messages"]["#platform-notices"]
    assert any("failed at RemoveGitHub" in m["text"] for m in notices)


def test_a_denied_offboarding_changes_nothing(engine):
    event = offboarding_input(engine, "maria.lopez@example.com", "mlopez")
    engine.approvals = decided_by_an_active_approver(engine, "denied")
    try:
        execution = engine.run("offboarding", event)
    finally:
        engine.approvals = decided_by_an_active_approver(engine, "approved")
    assert execution.output["status"] == "denied"
    assert fakes(engine)["okta"].state()["users"]["maria.lopez@example.com"]["status"] == "ACTIVE"
    assert issue(engine, event)["state_reason"] == "not_planned"


def test_a_github_account_that_is_not_the_leavers_is_refused(engine):
    """Ivo leaves; the form names Jill's GitHub account (a typo, or worse): nothing is touched."""
    event = offboarding_input(engine, "ivo.stone@example.com", "jpark")
    mark = calls.mark()
    execution = engine.run("offboarding", event)
    assert execution.status == "SUCCEEDED", execution.cause
    assert execution.output["status"] == "needs-info"
    assert execution.output["problems"] == [
        "**GitHub username** `jpark` is not ivo.stone@example.com's GitHub account "
        "(the Okta profile attribute `githubUsername` links them to `istone`); nothing will be done to it"
    ]
    assert "jpark" in fakes(engine)["github"].state()["members"]
    assert fakes(engine)["okta"].state()["users"]["ivo.stone@example.com"]["status"] == "ACTIVE"
    assert [m for m in mutations(mark) if not m.startswith("github POST /repos/")] == []


def test_an_iam_user_named_like_the_leaver_is_not_touched(engine):
    """A CI user happens to be called like Jill's email's local part: it is not hers (no tag)."""
    iam = boto3.client("iam", region_name=engine.region)
    iam.create_user(UserName="jill.park", Path="/machines/")
    key = iam.create_access_key(UserName="jill.park")["AccessKey"]["AccessKeyId"]
    execution = engine.run("offboarding", offboarding_input(engine, "jill.park@example.com", "jpark"))
    assert execution.status == "SUCCEEDED", execution.cause
    assert execution.output["status"] == "offboarded"
    (kept,) = iam.list_access_keys(UserName="jill.park")["AccessKeyMetadata"]
    assert (kept["AccessKeyId"], kept["Status"]) == (key, "Active")
    assert not any("jill.park" in e["target"] for e in audit.entries(execution.id) if e["vendor"] == "aws")
