"""The shapes passed between the credential rotation's states. None holds a secret value: only
names, Secrets Manager version ids and vendor key ids (which identify a key, not grant it)."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict


class _State(BaseModel):
    model_config = ConfigDict(extra="ignore")


class RotationRequest(_State):
    """The schedule (rotate what is due, remind about the rest), `/platform credentials rotate
    <name>` (rotate that one now) or `/platform credentials` (report every credential)."""

    action: Literal["rotate", "report"] = "rotate"
    credential: str = ""
    force: bool = False
    dry_run: bool = False
    requested_by: str | None = None
    origin: dict[str, Any] | None = None


# rotate: a new rotation; resume: an AWSPENDING version is there (a rotation stopped half-way,
# or an owner stored a manually rotated value), carry it on; retire: the old credential of a
# finished rotation is still accepted (RETIRING), retire it.
Stage = Literal["rotate", "resume", "retire"]


class Job(_State):
    name: str
    kind: str
    secret_name: str
    owner: str
    stage: Stage
    reason: str
    dry_run: bool = False
    user: str | None = None
    # Waits, in seconds, for the Wait states (SecondsPath).
    propagation_seconds: int = 0
    grace_seconds: int = 0
    check_seconds: int = 60
    max_checks: int = 1
    delete_after_seconds: int = 0


class Plan(_State):
    execution_id: str
    action: str
    dry_run: bool
    jobs: list[Job]
    reminders: list[dict[str, Any]] = []
    inventory: list[dict[str, Any]] = []
    problems: list[str] = []
    requested_by: str | None = None
    origin: dict[str, Any] | None = None
    credential: str = ""  # the one credential asked for, or "" (the schedule: every one that is due)
    # Jobs left alone because another execution is rotating that credential (lock.py).
    refused: list[dict[str, Any]] = []


class Created(_State):
    version: str = ""  # the AWSPENDING version
    new_id: str | None = None  # the new key's id at the vendor, where it has one
    resumed: bool = False
    skipped: bool = False  # a dry run: nothing was created, nothing follows
    note: str = ""


class Usage(_State):
    """How the old IAM key is used, read every check_seconds."""

    key_id: str | None = None
    polls: int = 0
    last_used: str | None = None
    idle: bool = False
    give_up: bool = False  # still used at the end of key_use_grace_hours: reported, left active


class Outcome(_State):
    done: bool = True
    note: str = ""


class JobStep(_State):
    """What each step of a Map iteration is given: its job and what earlier steps returned."""

    job: Job
    created: Created | None = None
    usage: Usage | None = None
    retired: Outcome | None = None


class JobResult(JobStep):
    set: Outcome | None = None
    tested: Outcome | None = None
    finished: Outcome | None = None
    deleted: Outcome | None = None
    rollback: Outcome | None = None
    error: dict[str, str] | None = None


class Rotated(_State):
    """What the Report step reads: the plan, and every Map iteration's result."""

    plan: Plan
    results: list[JobResult]
