"""The shapes passed between the off-hours states (and the cost alarm's remediation, which runs
the same stop)."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

Action = Literal["stop", "start"]


class _State(BaseModel):
    model_config = ConfigDict(extra="ignore")


class OffHoursRequest(_State):
    """What a schedule sends (events/scheduler/off_hours_stop.json, off_hours_start.json)."""

    action: Action
    dry_run: bool = False


class Job(_State):
    """One resource to stop or start, as the adapter's `Resource.to_dict()` recorded it: `prior`
    is the state a start restores."""

    action: Action
    resource: dict[str, Any]


class ActStep(_State):
    """OffHoursAct's input: one job, and on whose behalf (the cost alarm's remediation names its
    requester and approver; a schedule acts for nobody)."""

    job: Job
    dry_run: bool = False
    actor: str | None = None
    requester: str | None = None
    approver: str | None = None


class Plan(_State):
    execution_id: str
    action: Action
    dry_run: bool
    date: str  # the local date in schedules.timezone
    timezone: str
    skipped: str | None = None  # why nothing is done today (a holiday, switched off)
    jobs: list[Job] = Field(default_factory=list)
    unchanged: list[dict[str, Any]] = Field(default_factory=list)  # {kind, id, name, reason}


class Outcome(_State):
    kind: str
    id: str
    name: str
    action: Action
    outcome: Literal["ok", "skipped", "dry_run"]
    message: str


class JobResult(_State):
    """One Map iteration at its end: the job, and its outcome or the error that ended its retries."""

    job: Job
    outcome: Outcome | None = None
    error: dict[str, str] | None = None


class Acted(_State):
    """What off-hours' Report step reads: the plan, and every Map iteration's result (none when
    there was nothing to do)."""

    plan: Plan
    results: list[JobResult] = Field(default_factory=list)
