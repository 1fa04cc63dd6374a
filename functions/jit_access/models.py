"""The states the jit_access definition passes between its steps."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

Action = Literal["request", "list", "revoke", "extend", "sweep", "invalid"]


class _State(BaseModel):
    model_config = ConfigDict(extra="ignore")


class Origin(_State):
    kind: str = "slack"
    user_id: str | None = None
    channel_id: str | None = None
    response_url: str | None = None


class AccessCommand(_State):
    """The execution's input: what the command worker (or the schedule) published."""

    action: Action = "request"
    grant: str = ""
    duration: str = ""
    reason: str = ""
    grant_id: str = ""
    problem: str = ""
    requested_by: str | None = None
    origin: Origin = Origin()
    dry_run: bool = False


class Target(_State):
    kind: Literal["aws", "okta"]
    account: str = ""  # the key in aws.accounts
    account_id: str = ""
    permission_set: str = ""
    okta_group: str = ""

    def label(self) -> str:
        if self.kind == "aws":
            return f"{self.permission_set} in {self.account} ({self.account_id})"
        return f"Okta group {self.okta_group}"


class GrantRequest(_State):
    """One grant, from the request to its revocation: what each step needs to do its part."""

    grant_id: str
    grant: str  # the name in jit.grants
    target: Target
    requester: str  # email
    requester_slack: str = ""
    user_name: str = ""  # Identity Center user name (the CloudTrail session's user name)
    identity_center_user: str = ""
    okta_user: str = ""
    minutes: int
    max_minutes: int
    reason: str = ""
    break_glass: bool = False
    execution_id: str = ""
    dry_run: bool = False


class Ask(_State):
    """The approval step's state (functions/approvals/request.py ApprovalAsk)."""

    summary: str
    plan: list[str]
    requester: str
    approvers: list[str]
    approvers_from: str
    timeout_s: int
    channel: str | None = None
    first_approver: str = ""  # a second approval: who approved first, never asked again (set by the definition)


class Notice(_State):
    """A message to the requester (a DM) and, optionally, to a channel."""

    kind: str
    text: str
    to: str = ""  # Slack user id; empty: the origin's
    channel: str = ""
    page: dict[str, Any] | None = None


class Plan(_State):
    """What Plan decided: the outcome the definition branches on, and what the next steps need."""

    outcome: Literal["refused", "told", "approve", "break_glass", "revoke", "extend", "extend_approval", "sweep"]
    notice: Notice | None = None
    request: GrantRequest | None = None
    ask: Ask | None = None
    second_ask: Ask | None = None  # outside jit.single_approver_hours: a second, different approver
    revocations: list[GrantRequest] = Field(default_factory=list)
    extend_to: str = ""  # the new expiry, for extend
    requester: str = ""
    approver: str = ""


class GrantStep(_State):
    """$: the whole state, for Grant, CheckGrant, Notify and Watch."""

    plan: Plan
    approval: dict[str, Any] | None = None
    second_approval: dict[str, Any] | None = None
    approval_error: dict[str, Any] | None = None
    granted: dict[str, Any] | None = None
    extended: dict[str, Any] | None = None
    say: str = ""  # what Notify tells: "notice", "granted", "not_approved", "extended", "held_before"


class RevokeItem(_State):
    """One Map iteration of Revoke: the grant and why it is revoked."""

    request: GrantRequest
    why: str = "expired"
    by: str = ""
    revoke: dict[str, Any] | None = None
    check: dict[str, Any] | None = None


class Finished(_State):
    plan: Plan
    revoked: list[dict[str, Any]] = Field(default_factory=list)
    failure: dict[str, Any] | None = None
    approval_error: dict[str, Any] | None = None
    approval: dict[str, Any] | None = None
