"""The access review's states: what each step reads and returns (large data stays in S3)."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field

# `credentials`: what the credential rotation last recorded about each credential (its age, owner).
# `jit`: the just-in-time grants active now, which explain an assignment or group drift would flag.
SYSTEMS = ("okta", "github", "iam", "identity_center", "slack", "pagerduty", "credentials", "jit")


class _Model(BaseModel):
    model_config = ConfigDict(extra="ignore")


class ReviewRequest(_Model):
    dry_run: bool = False
    systems: list[str] = Field(default_factory=list, description="Empty: every system")
    team: str | None = None
    requested_by: str | None = None


class Plan(_Model):
    campaign: str
    dry_run: bool
    systems: list[str]
    team: str | None = None
    requested_by: str | None = None
    started_at: str


class CollectStep(_Model):
    plan: Plan
    system: str


class Collected(_Model):
    system: str
    key: str
    records: int
    identities: int
    mfa_checks: int = 0


class Assessed(_Model):
    plan: Plan
    collected: list[Collected]


class Findings(_Model):
    key: str
    count: int
    by_kind: dict[str, int]


class Reviewing(_Model):
    plan: Plan
    findings: Findings


class Review(_Model):
    items: int
    reviewers: int
    pending: int
    remind_after_s: int
    deadline_after_s: int
    messages: list[dict[str, Any]] = Field(default_factory=list)


class Waiting(_Model):
    plan: Plan
    review: Review


class Decided(_Model):
    plan: Plan
    findings: Findings
    collected: list[Collected]
    revocations: dict[str, Any] | None = None
