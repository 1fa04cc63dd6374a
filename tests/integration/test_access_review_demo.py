"""The demo's access review part (sandbox/demo_access_review.py) on the fixture organisation,
with the demo's own approval policy for everything else."""

from __future__ import annotations

import io

from sandbox.demo_access_review import review_campaign
from sandbox.engine import LocalEngine, fixed_policy


def test_the_demo_campaign_keeps_with_reasons_revokes_and_verifies() -> None:
    out = io.StringIO()
    policy = fixed_policy("approved", "dev.patel@example.com")
    with LocalEngine(approvals=policy) as engine:
        assert review_campaign(engine, out), out.getvalue()
        assert engine.vendors is not None
        github = engine.vendors.fakes["github"].state()
        assert engine.approvals is policy  # the demo's policy is back for what follows
    text = out.getvalue()
    assert "keep by dev.patel@example.com — on parental leave until December" in text
    assert "Ivy Drift        GitHub team platform" in text
    assert "verified      removed leef from the GitHub org example-corp" in text
    assert "verified      removed the AdministratorAccess assignment in 222222222222" in text
    assert "evidence (CSV, HTML, SHA-256 manifest): s3://" in text
    assert "leef" not in github["members"]
    assert "ivyd" in github["teams"]["platform"]  # kept, with its reason
