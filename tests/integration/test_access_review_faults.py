"""The access review when vendors misbehave: throttling and server errors on every vendor's
listing (the campaign retries and finds the same), a revocation the vendor refuses (reported
failed, the campaign goes on) and one the vendor accepts but does not make (the re-read still
shows the grant: reported not verified, never counted as revoked). Faults are the fakes' own
(sandbox/fakes/base.py `Fault`); AWS (moto) has no fault injection, so IAM's credential report
and Identity Center's listings get theirs through botocore's `before-send` hook on boto3's default
session (sandbox/hooks.py): the answer stands in for moto's, and botocore's own retries see it."""

from __future__ import annotations

import csv
import io
import json
import threading
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from typing import Any

import boto3
from botocore.awsrequest import AWSResponse
from botocore.compat import HTTPHeaders

from functions.adapters import vendors
from functions.core import reviews
from functions.ingress.slack_interactions import review
from sandbox.engine import ROOT, Decision, LocalEngine, PendingApproval, load_event
from sandbox.fakes.base import Fault
from sandbox.hooks import on_default_session

EVENT = ROOT / "events" / "scheduler" / "access_review.json"
DRY_RUN = {**load_event(EVENT), "dry_run": True}

THROTTLED = {
    "okta": [
        Fault(status=429, count=2, retry_after_s=1, match=r"GET /api/v1/users$"),
        Fault(status=503, count=2, match=r"GET /api/v1/groups/[^/]+/users$"),
    ],
    "github": [
        Fault(status=429, count=2, retry_after_s=1, match=r"GET /orgs/example-corp/members$"),
        Fault(status=502, count=2, match=r"GET /orgs/example-corp/outside_collaborators$"),
    ],
    "slack": [Fault(status=429, count=2, retry_after_s=1, match=r"users\.list")],
    "pagerduty": [
        Fault(status=429, count=1, retry_after_s=1, match=r"GET /users$"),
        Fault(status=500, count=2, match=r"GET /users$"),
    ],
}


@dataclass
class AwsFault:
    """`count` answers of `status` with the error `code`, in the service's own protocol."""

    status: int
    code: str
    count: int


def _throttled(code: str) -> AwsFault:
    return AwsFault(400, code, 2)


def _aws_throttled() -> dict[str, list[AwsFault]]:
    """IAM speaks the query protocol (code "Throttling"); identitystore and sso-admin speak JSON."""
    return {
        "iam.GenerateCredentialReport": [_throttled("Throttling"), AwsFault(503, "ServiceUnavailable", 1)],
        "iam.GetCredentialReport": [AwsFault(500, "ServiceFailure", 2)],
        "identitystore.ListUsers": [_throttled("ThrottlingException"), AwsFault(500, "InternalServerException", 1)],
        "identitystore.ListGroups": [AwsFault(503, "ServiceUnavailable", 1)],
        "identitystore.ListGroupMemberships": [_throttled("ThrottlingException")],
        "sso-admin.ListPermissionSets": [AwsFault(500, "InternalServerException", 1)],
        "sso-admin.ListAccountAssignments": [_throttled("ThrottlingException")],
    }


class _Body:
    def __init__(self, body: bytes) -> None:
        self.body = body

    def stream(self, **_: Any) -> Iterator[bytes]:
        yield self.body


def _error_response(service: str, fault: AwsFault) -> AWSResponse:
    if service == "iam":
        body = (
            f"<ErrorResponse><Error><Type>Sender</Type><Code>{fault.code}</Code><Message>Rate exceeded</Message>"
            "</Error><RequestId>fault-0001</RequestId></ErrorResponse>"
        )
        headers = {"Content-Type": "text/xml", "x-amzn-RequestId": "fault-0001"}
    else:
        body = json.dumps({"__type": fault.code, "message": "Rate exceeded"})
        headers = {"Content-Type": "application/x-amz-json-1.1", "x-amzn-RequestId": "fault-0001"}
    return AWSResponse("https://fault.invalid/", fault.status, HTTPHeaders.from_dict(headers), _Body(body.encode()))


@contextmanager
def aws_faults(faults: dict[str, list[AwsFault]]) -> Iterator[list[tuple[str, int, str]]]:
    """Each operation ("<service>.<Operation>") answers its faults in order, then reaches moto.
    Yields the (operation, status, code) answered, in order."""
    answered: list[tuple[str, int, str]] = []
    lock = threading.Lock()  # Collect's Map runs systems side by side

    def hook_for(operation: str) -> Any:
        def before_send(**_: Any) -> AWSResponse | None:
            with lock:
                pending = [f for f in faults[operation] if f.count > 0]
                if not pending:
                    return None
                pending[0].count -= 1
                answered.append((operation, pending[0].status, pending[0].code))
            return _error_response(operation.split(".", 1)[0], pending[0])

        return before_send

    with ExitStack() as stack:
        for operation in faults:
            stack.enter_context(
                on_default_session(f"before-send.{operation}", hook_for(operation), f"fault-{operation}")
            )
        vendors.reset()  # handlers keep their clients: make them again, with the hooks
        try:
            yield answered
        finally:
            vendors.reset()


def _files(engine: LocalEngine, campaign: str) -> dict[str, bytes]:
    s3 = boto3.client("s3", region_name=engine.region)
    bucket, prefix = engine.resources.evidence_bucket, f"access-review/{campaign}/"
    keys = [o["Key"] for o in s3.list_objects_v2(Bucket=bucket, Prefix=prefix)["Contents"]]
    return {k.removeprefix(prefix): s3.get_object(Bucket=bucket, Key=k)["Body"].read() for k in keys}


def _findings(engine: LocalEngine, campaign: str) -> list[tuple[str, str, str]]:
    found = json.loads(_files(engine, campaign)["findings.json"])
    # Identity Center user ids are moto's random ones: the person names the account instead.
    return sorted(
        (f["kind"], f["person"] if f["system"] == "identity_center" else f["account"], f["grant"]) for f in found
    )


def test_429_and_5xx_on_every_vendor_are_retried_and_find_the_same() -> None:
    with LocalEngine() as engine:
        calm = engine.run("access_review", DRY_RUN)
        assert calm.status == "SUCCEEDED", calm.cause
        expected = _findings(engine, calm.id)
    injected = _aws_throttled()
    with LocalEngine() as engine, aws_faults(injected) as answered:
        assert engine.vendors is not None
        for service, faults in THROTTLED.items():
            engine.vendors.set_faults(service, faults)
        stormy = engine.run("access_review", DRY_RUN)
        assert stormy.status == "SUCCEEDED", stormy.cause
        assert _findings(engine, stormy.id) == expected
        # AWS: throttling and 5xx on the credential report and Identity Center's listings, each
        # answered as often as injected (botocore retried) and used up.
        wanted = _aws_throttled()
        assert sorted(answered) == sorted(
            (op, f.status, f.code) for op, fs in wanted.items() for f in fs for _ in range(f.count)
        )
        assert all(f.count == 0 for faults in injected.values() for f in faults)
        refused = {(c["service"], c["status"]) for c in stormy.calls if c.get("status", 0) >= 429}
        assert {("okta", 429), ("okta", 503), ("github", 429), ("github", 502), ("pagerduty", 429)} <= refused
        assert {("pagerduty", 500)} <= refused
        assert any(s == "slack" for s, _ in refused)
        for fake in engine.vendors.fakes.values():  # every injected fault was used up
            assert all(f.count == 0 for f in fake.faults if f.count is not None)
    assert ("drift", "ivy.drift@example.com", "Identity Center group Billing Admins") in expected


def _revoke(subjects: set[str]) -> Any:
    def policy(pending: PendingApproval) -> Decision | None:
        for item in reviews.items(pending.execution_id):
            if item.status == reviews.PENDING:
                action = reviews.REVOKE_ACTION if item.subject in subjects else reviews.KEEP_ACTION
                review(f"{item.campaign}|{item.finding_id}", action, item.reviewer_slack_id)
        return None

    return policy


def test_a_refused_revocation_fails_and_one_not_made_is_not_verified_and_the_campaign_goes_on() -> None:
    revoke = {"lee.former@example.com", "github:ext-contractor", "github:old-invitee"}
    with LocalEngine(approvals=_revoke(revoke)) as engine:
        assert engine.vendors is not None
        engine.vendors.set_faults(
            "github",
            [
                # GitHub refuses to remove Lee (a permanent error: not retried)
                Fault(status=403, match=r"DELETE /orgs/example-corp/memberships/leef$"),
                # and accepts removing the contractor, without removing them
                Fault(
                    status=204, ignore=True, match=r"DELETE /orgs/example-corp/outside_collaborators/ext-contractor$"
                ),
            ],
        )
        execution = engine.run("access_review", load_event(EVENT))
        assert execution.status == "SUCCEEDED", execution.cause
        files = _files(engine, execution.id)
        github = engine.vendors.fakes["github"]
        assert "leef" in github.state()["members"]
        assert "ext-contractor" in github.outside_collaborators  # type: ignore[attr-defined]
        assert "old-invitee" not in github.state()["invitations"]
        security = [m["text"] for m in engine.vendors.fakes["slack"].state()["messages"]["#security-reviews"]]
    revocations = {r["account"]: r for r in map(json.loads, files["revocations.jsonl"].decode().splitlines())}
    assert revocations["github:leef"]["status"] == "failed"
    assert "403" in revocations["github:leef"]["detail"]
    assert revocations["github:ext-contractor"]["status"] == "not_verified"
    assert "still shows the grant" in revocations["github:ext-contractor"]["detail"]
    assert revocations["github:old-invitee"]["status"] == "verified"
    rows = {r["account"]: r for r in csv.DictReader(io.StringIO(files["review.csv"].decode()))}
    assert rows["github:leef"]["revocation"] == "failed"
    assert rows["github:ext-contractor"]["revocation"] == "not_verified"
    counts = json.loads(files["manifest.json"])["counts"]
    assert counts["revocations verified"] == 1
    assert counts["revocations failed"] == 1
    assert counts["revocations not_verified"] == 1
    assert any("revocations not_verified 1" in t and "revocations failed 1" in t for t in security)
