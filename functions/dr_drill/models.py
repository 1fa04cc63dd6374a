"""The shapes passed between the DR drill's states."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict


class _State(BaseModel):
    model_config = ConfigDict(extra="ignore")


class DrillRequest(_State):
    """What a schedule or a person asks for: all targets, or the named ones."""

    targets: list[str] = []
    dry_run: bool = False


class Job(_State):
    target: str
    source_table: str
    restore_table: str
    backup_arn: str | None = None
    backup_created: str | None = None
    backup_age_minutes: float | None = None
    backup_items: int | None = None
    rto_minutes: int
    rpo_minutes: int
    min_items: int
    poll_seconds: int
    max_polls: int
    problem: str | None = None


class JobStep(_State):
    """What each step of a Map iteration is given: its job, and whether a dry run."""

    job: Job
    dry_run: bool = False


class Plan(_State):
    execution_id: str
    dry_run: bool
    jobs: list[Job]


class Restore(_State):
    status: str  # SKIPPED, CREATING, ACTIVE
    started_at: str | None = None
    polls: int = 0
    note: str = ""


class CheckStep(JobStep):
    restore: Restore


class Verification(_State):
    verified: bool
    items: int
    key_schema_matches: bool
    verified_at: str
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
