"""The shapes passed between the DR drill's states."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict


class _State(BaseModel):
    model_config = ConfigDict(extra="ignore")


class DrillRequest(_State):
    """What a schedule or a person asks for: all targets, or the named ones."""

    targets: list[str] = []
    dry_run: bool = False


class Job(_State):
    """One target's drill, as planned: what is restored from which point into which copy, and the
    targets it is measured against."""

    target: str
    kind: str  # dynamodb | rds | aurora
    tier: str
    method: str  # pitr | backup (aurora: pitr)
    source: str
    copy_name: str  # drill-<target>-<execution suffix>
    rto_minutes: int
    rpo_minutes: int
    drill_started: str  # ISO time; RPO achieved is measured from here
    restore_point: str | None = None  # PITR: the latest restorable time; backup: its creation time
    restore_ref: str | None = None  # the backup ARN or snapshot id (None for PITR)
    restore_detail: str = ""
    rpo_achieved_minutes: float | None = None
    backup_items: int | None = None
    min_items: int = 0
    sample_keys: list[dict[str, str | int]] = []
    instance_class: str | None = None
    sql_check: dict[str, Any] | None = None  # config DrSqlCheck: sql, min, database, secret_arn
    poll_seconds: int
    max_poll_seconds: int
    max_polls: int
    timeout_minutes: float
    problem: str | None = None  # the drill cannot restore this target (no recovery point)
    cross_region: dict[str, Any] | None = None  # {"region", "copy_point", "age_minutes", "problem"}
    findings: list[str] = []  # worth knowing, not a failure (a stale runbook)
    runbook: dict[str, Any] | None = None  # dr_drill/runbook.py: its last commit, age and finding


class JobStep(_State):
    """What each step of a Map iteration is given: its job, and whether a dry run."""

    job: Job
    dry_run: bool = False


class Plan(_State):
    execution_id: str
    dry_run: bool
    started: str
    jobs: list[Job]


class Restore(_State):
    status: str  # SKIPPED, WAITING, USABLE
    requested_at: str | None = None
    polls: int = 0
    wait_seconds: int = 30  # the next Wait state's length
    copy_status: str = ""  # what AWS says: CREATING, ACTIVE, creating, available...
    note: str = ""


class CheckStep(JobStep):
    restore: Restore


class Verification(_State):
    verified: bool
    verified_at: str
    checks: dict[str, Any] = {}
    problems: list[str] = []
    notes: list[str] = []


class Cleanup(_State):
    deleted: bool
    note: str = ""


class JobResult(_State):
    """One Map iteration's state at its end: whatever steps ran, and the error if one failed."""

    job: Job
    restore: Restore | None = None
    verification: Verification | None = None
    cleanup: Cleanup | None = None
    error: dict[str, str] | None = None


class Drilled(_State):
    """What the Report step reads: the plan, and every Map iteration's result."""

    plan: Plan
    results: list[JobResult]


class Reported(_State):
    """What the Notify step reads: the report's outcome."""

    report: dict[str, Any]
    plan: Plan
