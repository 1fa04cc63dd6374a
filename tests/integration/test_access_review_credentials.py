"""An overdue credential is an access review finding: the credential rotation's Plan records what it
found about each credential in the state table, the review's Collect reads it (the `credentials`
system) and Findings lists the overdue ones for their owner's reviewer. Both real state machines on
the local engine; 100 days pass by moving the rotation's clock, not by writing its record."""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

import boto3
import pytest

from functions.core import credential_status
from functions.credential_rotation import inventory
from sandbox.engine import ROOT, Decision, LocalEngine, load_event

ROTATION = ROOT / "events" / "scheduler" / "credential_rotation.json"


def _findings(engine: LocalEngine, campaign: str) -> list[dict[str, Any]]:
    s3 = boto3.client("s3", region_name=engine.region)
    body = s3.get_object(Bucket=engine.resources.evidence_bucket, Key=f"access-review/{campaign}/findings.json")
    found: list[dict[str, Any]] = json.loads(body["Body"].read())
    return found


def test_a_credential_past_its_maximum_age_is_a_finding_for_its_owners_reviewer(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    with LocalEngine(approvals=lambda _pending: Decision("timeout")) as engine:
        later = inventory.now() + timedelta(days=100)  # every credential is 90 days at most
        monkeypatch.setattr(inventory, "now", lambda: later)
        rotation = engine.run("credential_rotation", {**load_event(ROTATION), "dry_run": True})
        assert rotation.status == "SUCCEEDED", rotation.cause
        ddb = boto3.client("dynamodb", region_name=engine.region)
        recorded = {e["name"]: e for e in credential_status.read(engine.resources.state_table, ddb)}
        assert recorded["ci-deployer"]["status"] == "overdue"

        review = engine.run("access_review", {"systems": ["okta", "slack", "credentials"], "dry_run": True})

        assert review.status == "SUCCEEDED", review.cause
        overdue = {f["account"]: f for f in _findings(engine, review.id) if f["kind"] == "overdue_credential"}
    assert set(overdue) == {f"credential:{name}" for name, e in recorded.items() if e["status"] == "overdue"}
    ci = overdue["credential:ci-deployer"]
    assert ci["person"] == "dev.patel@example.com"
    assert ci["reviewer"] not in ("", "dev.patel@example.com")  # the owner never reviews their own
    assert "/platform credentials rotate ci-deployer" in ci["evidence"]
