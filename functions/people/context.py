"""What every onboarding and offboarding step shares: who asked and who approved, dry-run, the
audit trail, and the record of what this execution created (for compensation) or would do.

The change itself is core's (functions/core/change.py); the people workflows add the request it
belongs to and keep the undo journal in their ledger."""

from __future__ import annotations

from dataclasses import dataclass, field

from functions.core.change import ACTOR, ChangeContext, Journal, would
from functions.core.config import PlatformConfig
from functions.core.envelope import Task
from functions.people import ledger
from functions.people.models import StepState

__all__ = ["ACTOR", "Context", "context", "would"]


@dataclass(kw_only=True)
class Context(ChangeContext):
    workflow: str
    request_key: str
    config: PlatformConfig
    # Looked up when the context is made, not when this module loads, so a test may replace it.
    journal: Journal | None = field(default_factory=lambda: ledger.journal)


def context(task: Task[StepState], config: PlatformConfig) -> Context:
    step = task.state
    return Context(
        workflow=task.workflow,
        execution_id=task.execution_id,
        request_key=step.request_key,
        requester=(step.validation.requester if step.validation else None) or step.requested_by or "",
        approver=(step.approval.approver if step.approval else None) or "",
        dry_run=step.dry_run,
        config=config,
    )
