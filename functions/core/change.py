"""The one way a step changes the world, whichever workflow it belongs to.

A step looks first (so a retried or replayed step finds its own earlier work), then makes each
change through `ChangeContext.change`:

- in a dry run nothing is called: the context notes the call it would make (`would`) and a
  "would ..." summary line, and `change` returns None;
- otherwise the change is made, written to the audit trail with who made it, on whose request
  and whose approval, and what the target was before and after;
- when the change can be undone, how is kept in `created` and handed to the context's journal
  (the people workflows keep it in their ledger so compensation finds it even when the step
  fails later); core keeps no journal of its own.

Summary lines say what was done, in the past tense ("stopped ec2 dev-api"); a dry run turns them
into what would be done ("would stop ec2 dev-api").
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any, Final, TypeVar

from functions.core import audit, clients
from functions.core.evidence import store as store_evidence

if TYPE_CHECKING:
    from mypy_boto3_dynamodb.client import DynamoDBClient
    from mypy_boto3_s3.client import S3Client

T = TypeVar("T")
ACTOR = "platform-automation"

# How to undo one change, kept as it is made: (execution id, undo record with its summary line).
Journal = Callable[[str, dict[str, Any]], None]

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
    "deleted": "delete",
    "granted": "grant",
    "invited": "invite",
    "kept": "keep",
    "labelled": "label",
    "removed": "remove",
    "reported": "report",
    "resolved": "resolve",
    "restored": "restore",
    "sent": "send",
    "started": "start",
    "stopped": "stop",
    "triggered": "trigger",
    "undid": "undo",
}


class _Done:
    def __repr__(self) -> str:
        return "DONE"


# `after` left out: the audit says "done", which is all most vendor calls can tell.
DONE: Final = _Done()


def would(line: str) -> str:
    """The dry run's form of a summary line: "created Okta user x" -> "would create Okta user x"."""
    verb, _, rest = line.partition(" ")
    return f"would {_BASE_FORMS.get(verb, verb)} {rest}".rstrip()


@dataclass(kw_only=True)
class ChangeContext:
    """Who is changing things in which execution, and what was (or would be) changed so far."""

    execution_id: str
    dry_run: bool = False
    requester: str = ""  # on whose request
    approver: str = ""  # on whose approval, when one was needed
    actor: str = ACTOR  # who makes the change: the platform, or a schedule acting for nobody
    journal: Journal | None = None
    audit_client: DynamoDBClient | None = None
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
        after: Any = DONE,
        after_of: Callable[[T], Any] | None = None,
        changed: Callable[[T], bool] | None = None,
    ) -> T | None:
        """Make one change (or, in a dry run, note that it would be made), audit it, and remember
        how to undo it. Returns what `do` returned (None in a dry run).

        `after_of` gives the audit's `after` from what `do` returned, for a vendor that only says
        what it did once it has done it. `changed` is for a `do` that looks and changes in one
        call: when it says nothing changed (someone else got there first), nothing is audited,
        summarised or journaled."""
        if self.dry_run:
            self.would.append({"vendor": vendor, "operation": operation, "target": target})
            self.summary.append(would(line))
            return None
        result = do()
        if changed is not None and not changed(result):
            return result
        if after_of is not None:
            after = after_of(result)
        self.record(vendor, operation, target, before=before, after="done" if after is DONE else after)
        self.summary.append(line)
        if undo is not None:
            self.created.append({**undo, "label": line})
            if self.journal is not None:
                self.journal(self.execution_id, self.created[-1])
        return result

    def record(
        self,
        vendor: str,
        operation: str,
        target: str,
        *,
        before: Any = None,
        after: Any = None,
        approver: str | None = None,
    ) -> None:
        """Audit what this step knows of but did not change itself: a decision about changes (an
        approver applying a remediation, `approver` then says who), or the run's own records.
        Marked as a dry run when the context is one."""
        audit.record(
            execution_id=self.execution_id,
            actor=self.actor,
            vendor=vendor,
            action=operation,
            target=target,
            before=before,
            after=after,
            dry_run=self.dry_run,
            requester=self.requester,
            approver=self.approver if approver is None else approver,
            client=self.audit_client or clients.client("dynamodb"),
        )

    def keep_evidence(
        self, s3: S3Client, bucket: str, kind: str, evidence: dict[str, Any], *, at: datetime, after: Any
    ) -> str:
        """Store the run's evidence document and audit it; returns its s3:// address. A dry run
        keeps its evidence too: what it would have done is its result."""
        location = f"s3://{bucket}/{store_evidence(s3, bucket, kind, self.execution_id, evidence, at=at)}"
        self.record("aws", "s3:PutObject", location, after=after)
        return location

    def result(self, **extra: Any) -> dict[str, Any]:
        return {"created": self.created, "would": self.would, "summary": self.summary, **extra}
