"""What every onboarding and offboarding step shares: who asked and who approved, dry-run, the
audit trail, and the record of what this execution created (for compensation) or would do."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, TypeVar

from functions.core import audit, clients
from functions.core.config import PlatformConfig
from functions.people import ledger

T = TypeVar("T")
ACTOR = "platform-automation"


# The summary lines say what was done ("created Okta user ..."); a dry run says what it would do.
_BASE_FORMS = {
    "activated": "activate",
    "added": "add",
    "announced": "announce",
    "answered": "answer",
    "cleared": "clear",
    "closed": "close",
    "commented": "comment",
    "created": "create",
    "deactivated": "deactivate",
    "granted": "grant",
    "invited": "invite",
    "labelled": "label",
    "removed": "remove",
    "reported": "report",
    "sent": "send",
    "undid": "undo",
}


def would(line: str) -> str:
    verb, _, rest = line.partition(" ")
    return f"would {_BASE_FORMS.get(verb, verb)} {rest}".rstrip()


@dataclass
class Context:
    workflow: str
    execution_id: str
    request_key: str
    requester: str
    approver: str
    dry_run: bool
    config: PlatformConfig
    created: list[dict[str, Any]] = field(default_factory=list)  # how to undo, in the order done
    would: list[dict[str, str]] = field(default_factory=list)  # dry run: the calls it would make
    summary: list[str] = field(default_factory=list)  # one line per change (or planned change)

    def change(
        self,
        vendor: str,
        operation: str,
        target: str,
        do: Callable[[], T],
        *,
        line: str,
        undo: dict[str, Any] | None = None,
        before: Any = None,
        after: Any = None,
    ) -> T | None:
        """Make one change (or, in a dry run, note that it would be made), audit it, and remember
        how to undo it. Returns what `do` returned (None in a dry run)."""
        if self.dry_run:
            self.would.append({"vendor": vendor, "operation": operation, "target": target})
            self.summary.append(would(line))
            return None
        result = do()
        audit.record(
            execution_id=self.execution_id,
            actor=ACTOR,
            vendor=vendor,
            action=operation,
            target=target,
            before=before,
            after=after if after is not None else "done",
            requester=self.requester,
            approver=self.approver,
            client=clients.client("dynamodb"),
        )
        self.summary.append(line)
        if undo is not None:
            self.created.append({**undo, "label": line})
            ledger.journal(self.execution_id, self.created[-1])
        return result

    def result(self, **extra: Any) -> dict[str, Any]:
        return {"created": self.created, "would": self.would, "summary": self.summary, **extra}


def context(workflow: str, state: dict[str, Any], execution_id: str, config: PlatformConfig) -> Context:
    validation = state.get("validation") or {}
    approval = state.get("approval") or {}
    return Context(
        workflow=workflow,
        execution_id=execution_id,
        request_key=str(state.get("request_key") or ""),
        requester=str(validation.get("requester") or state.get("requested_by") or ""),
        approver=str(approval.get("approver") or ""),
        dry_run=bool(state.get("dry_run")),
        config=config,
    )
