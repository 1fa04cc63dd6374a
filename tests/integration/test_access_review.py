"""The real state_machines/access_review.asl.json on the local engine: Okta, GitHub, Slack and
PagerDuty as the sandbox fakes, IAM and Identity Center in moto; reviewers decide through the
ingress's dispatch of the Slack buttons (functions/ingress/slack_interactions.py `review`)."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator
from typing import Any

import boto3
import pytest

from functions.core import audit, reviews
from functions.ingress.slack_interactions import review
from sandbox.engine import ROOT, Decision, LocalEngine, PendingApproval, load_event

EVENT = ROOT / "events" / "scheduler" / "access_review.json"


def _run(policy: Any) -> Iterator[tuple[LocalEngine, Any]]:
    with LocalEngine(approvals=policy) as engine:
        yield engine, engine.run("access_review", load_event(EVENT))


def _evidence(engine: LocalEngine, campaign: str) -> dict[str, bytes]:
    s3 = boto3.client("s3", region_name=engine.region)
    prefix = f"access-review/{campaign}/"
    keys = [o["Key"] for o in s3.list_objects_v2(Bucket=engine.resources.evidence_bucket, Prefix=prefix)["Contents"]]
    return {
        k.removeprefix(prefix): s3.get_object(Bucket=engine.resources.evidence_bucket, Key=k)["Body"].read()
        for k in keys
    }


def _findings(files: dict[str, bytes]) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = json.loads(files["findings.json"])
    return found


def _by_account(files: dict[str, bytes]) -> dict[tuple[str, str], dict[str, Any]]:
    return {(f["kind"], f["account"]): f for f in _findings(files)}


def _decide_as_reviewers(revoke: set[str]) -> Any:
    """Each reviewer clicks once per item: Revoke for accounts in `revoke` (a subject, or a
    subject's grant in one system, `<system>/<subject>`), Keep for the rest."""

    def policy(pending: PendingApproval) -> Decision | None:
        for item in reviews.items(pending.execution_id):
            if item.status == reviews.PENDING:
                wanted = {item.subject, f"{item.details.get('system')}/{item.subject}"} & revoke
                action = reviews.REVOKE_ACTION if wanted else reviews.KEEP_ACTION
                review(f"{item.campaign}|{item.finding_id}", action, item.reviewer_slack_id)
        return None  # the last decision resumes the execution

    return policy


class Campaign:
    """What a finished campaign left behind, read before its engine (and moto world) closes."""

    def __init__(self, engine: LocalEngine, execution: Any) -> None:
        assert engine.vendors is not None
        self.execution = execution
        self.files = _evidence(engine, execution.id)
        self.github = engine.vendors.fakes["github"].state()
        self.outside = set(engine.vendors.fakes["github"].outside_collaborators)  # type: ignore[attr-defined]
        self.audit = audit.entries(execution.id)
        self.assignments = _assignments(engine, "ivy.drift@example.com")
        self.groups = _group_memberships(engine, "ivy.drift@example.com")


def _ic_user(engine: LocalEngine, email: str) -> str:
    store = boto3.client("identitystore", region_name=engine.region)
    return store.get_user_id(
        IdentityStoreId=engine.config.aws.identity_center.identity_store_id,
        # The model types AttributeValue as a JSON document; for userName it is the plain string.
        AlternateIdentifier={"UniqueAttribute": {"AttributePath": "userName", "AttributeValue": email}},  # type: ignore[typeddict-item]
    )["UserId"]


def _group_memberships(engine: LocalEngine, email: str) -> list[str]:
    store = boto3.client("identitystore", region_name=engine.region)
    found = store.list_group_memberships_for_member(
        IdentityStoreId=engine.config.aws.identity_center.identity_store_id,
        MemberId={"UserId": _ic_user(engine, email)},
    )["GroupMemberships"]
    return [m["GroupId"] for m in found]


def _assignments(engine: LocalEngine, email: str) -> list[tuple[str, str]]:
    center = engine.config.aws.identity_center
    sso = boto3.client("sso-admin", region_name=engine.region)
    user_id = _ic_user(engine, email)
    found = sso.list_account_assignments_for_principal(
        InstanceArn=center.instance_arn, PrincipalId=user_id, PrincipalType="USER"
    )["AccountAssignments"]
    return [(a["AccountId"], a["PermissionSetArn"]) for a in found]


@pytest.fixture(scope="module")
def decided() -> Campaign:
    revoke = {
        "lee.former@example.com",
        "github:ext-contractor",
        "github:old-invitee",
        "identity_center/ivy.drift@example.com",
    }
    for engine, execution in _run(_decide_as_reviewers(revoke)):
        return Campaign(engine, execution)
    raise AssertionError("unreachable")


def test_the_fixture_organisation_shows_every_finding_kind_with_its_evidence(decided: Campaign) -> None:
    assert decided.execution.status == "SUCCEEDED", decided.execution.cause
    found = _by_account(decided.files)
    lee = found[("orphaned", "github:leef")]
    assert lee["person"] == "lee.former@example.com"
    assert lee["evidence"] == "Okta status DEPROVISIONED"
    assert lee["suggested"] == "revoke"
    assert found[("missing_mfa", "github:sokafor")]["evidence"] == "two-factor authentication disabled"
    assert "last Okta login 2026-06-02" in next(f for (k, _), f in found.items() if k == "inactive")["evidence"]
    drift = found[("drift", "github:ivyd")]
    assert drift["grant"] == "GitHub team platform"
    assert drift["reviewer"] == "maria.lopez@example.com"
    assert ("outside_collaborator", "github:ext-contractor") in found
    assert found[("old_invitation", "github:old-invitee")]["evidence"].startswith("pending since")


def test_identity_center_drift_slack_guests_and_pagerduty_roles_are_found(decided: Campaign) -> None:
    found = _by_account(decided.files)
    ivy = sorted(
        (f for f in _findings(decided.files) if f["kind"] == "drift" and f["system"] == "identity_center"),
        key=lambda f: f["grant"],
    )
    assert [(f["person"], f["grant"], f["evidence"]) for f in ivy] == [
        ("ivy.drift@example.com", "AWS staging (222222222222) AdministratorAccess", "team product does not include it"),
        ("ivy.drift@example.com", "Identity Center group Billing Admins", "team product does not include it"),
    ]
    snapshot = [json.loads(line) for line in decided.files["snapshot/identity_center.jsonl"].decode().splitlines()]
    group = next(r for r in snapshot if r["kind"] == "group")
    assert (group["name"], group["members"]) == ("Billing Admins", [ivy[1]["action"]["user_id"]])
    guest = next(f for (kind, _), f in found.items() if kind == "slack_guest")
    assert guest["grant"] == "Slack guest val"
    assert guest["suggested"] == "revoke"
    assert guest["evidence"].startswith("guest; no active Okta user is linked to slack:")
    role = next(f for (kind, _), f in found.items() if kind == "privileged_role")
    assert (role["person"], role["grant"]) == ("dev.patel@example.com", "PagerDuty role admin")
    assert role["reviewer"] not in {"dev.patel@example.com", ""}


def test_nobody_reviews_their_own_access(decided: Campaign) -> None:
    for finding in _findings(decided.files):
        assert finding["reviewer"]
        assert finding["reviewer"] not in finding["subject_ids"]
        assert finding["reviewer"] != finding["person"]


def test_revocations_are_made_and_verified_and_kept_items_stay(decided: Campaign) -> None:
    github = decided.github
    assert "leef" not in github["members"]
    assert "old-invitee" not in github["invitations"]
    assert "ext-contractor" not in decided.outside
    assert "ivyd" in github["teams"]["platform"]  # kept
    revocations = [json.loads(line) for line in decided.files["revocations.jsonl"].decode().splitlines()]
    assert sorted(r["status"] for r in revocations) == ["verified"] * 5
    assert decided.assignments == []  # Ivy's staging AdministratorAccess assignment is gone
    assert decided.groups == []  # and her Billing Admins membership
    assert any(r["detail"].endswith("from the group Billing Admins") for r in revocations)
    actions = [e["action"] for e in decided.audit]
    assert actions.count("access_review.revoke") == 5
    assert "access_review.keep" in actions


def test_the_evidence_manifest_holds_the_sha256_of_every_file(decided: Campaign) -> None:
    files = dict(decided.files)
    manifest = json.loads(files.pop("manifest.json"))
    assert set(manifest["sha256"]) == set(files)
    for name, body in files.items():
        assert manifest["sha256"][name] == hashlib.sha256(body).hexdigest()
    snapshots = {f"snapshot/{s}.jsonl" for s in ("okta", "github", "iam", "identity_center", "jit")}
    assert {*snapshots, "review.csv", "report.html"} <= set(files)
    assert b"<script" not in files["report.html"]


def test_a_reviewer_who_never_answers_is_reminded_escalated_and_defaulted() -> None:
    for engine, execution in _run(lambda _pending: Decision("timeout")):
        assert execution.status == "SUCCEEDED", execution.cause
        assert engine.vendors is not None
        messages = engine.vendors.fakes["slack"].state()["messages"]
        texts = [m.get("text", "") for msgs in messages.values() for m in msgs]
        assert any(t.startswith("Reminder: access review") for t in texts)
        assert any("were not decided by the deadline" in m.get("text", "") for m in messages["#security-reviews"])
        items = reviews.items(execution.id)
        assert items
        assert all(i.status == "keep" and i.decided_by == "default" for i in items)
        assert "leef" in engine.vendors.fakes["github"].state()["members"]  # the default keeps


def test_the_subject_cannot_decide_and_a_stranger_cannot_either() -> None:
    def policy(pending: PendingApproval) -> Decision | None:
        items = reviews.items(pending.execution_id)
        sam = next(i for i in items if i.subject == "sam.okafor@example.com")
        sams_slack = next(k for k in sam.subject_ids if k.startswith("slack:")).removeprefix("slack:")
        refused.append(review(f"{sam.campaign}|{sam.finding_id}", reviews.REVOKE_ACTION, sams_slack))
        refused.append(review(f"{sam.campaign}|{sam.finding_id}", reviews.REVOKE_ACTION, "U0STRANGER"))
        return Decision("timeout")

    refused: list[str] = []
    for _engine, execution in _run(policy):
        assert execution.status == "SUCCEEDED", execution.cause
    assert "cannot review your own access" in refused[0]
    assert refused[1].startswith("Only ")
