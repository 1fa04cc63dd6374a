"""Asking people in Slack: the approval request a waiting execution posts.

A workflow's approval step is a `lambda:invoke.waitForTaskToken` Task on RequestApproval whose
envelope carries the task token and, as its state, what is asked (`ApprovalAsk`); the step stores
the request (functions/core/approvals.py) and posts the plan with Approve / Deny buttons to the
approvals channel. The buttons carry only the request's id; the interactivity endpoint checks who
clicked and resumes the execution with `{"decision": "approved"|"denied", "approver", "reason"}`.
A task timeout is the deadline.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from pydantic import AliasChoices, BaseModel, ConfigDict, Field

from functions.core.approvals import APPROVE, DENY
from functions.core.text import mrkdwn

if TYPE_CHECKING:
    from functions.adapters.slack import Slack
    from functions.core.envelope import Task
    from functions.core.identity import Directory, Person


class ApprovalAsk(BaseModel):
    """What is asked. The state may be a larger object (a validation, a remediation plan) that
    holds these fields among others."""

    model_config = ConfigDict(extra="ignore")

    summary: str = Field(description="One line: what is asked, e.g. 'Onboard Jane Doe to platform'")
    plan: list[str] = Field(default_factory=list, description="What will be done, one line per change")
    requester: str = Field(description="Email of who asked; they may not decide")
    approvers: list[str] = Field(min_length=1, description="Emails of who may decide")
    approvers_from: str = Field(
        min_length=1,
        description="The configuration path the approvers were read from (core.approvals.configured_approvers); "
        "read again when someone decides",
    )
    timeout_s: int = Field(
        default=86_400,
        gt=0,
        validation_alias=AliasChoices("timeout_s", "approval_timeout_s"),
        description="The Task's TimeoutSeconds: the request's deadline",
    )
    channel: str | None = Field(default=None, description="Default: slack.channels.approvals")
    first_approver: str = Field(
        default="",
        description="Who approved this already (a request that needs two different approvers): never asked again",
    )


class NoApprover(Exception):  # noqa: N818 - the state machine catches it by this name
    """None of the approvers has a Slack account: nobody could answer."""


def blocks(task: Task[ApprovalAsk], approval_id: str, approvers: dict[str, str]) -> list[dict[str, Any]]:
    # The summary, the requester and the plan hold what the requester typed: escaped, so a name
    # like "<!channel>" or "<https://evil|approve here>" is shown as typed. Only the approvers'
    # mentions are ours. Lengths are the Slack adapter's job (fit_blocks).
    ask = task.state
    plan = "\n".join(f"• {mrkdwn(line)}" for line in ask.plan) or "_no changes listed_"
    who = ", ".join(f"<@{mrkdwn(user_id)}>" for user_id in approvers)
    return [
        {"type": "header", "text": {"type": "plain_text", "text": "Approval needed", "emoji": False}},
        {
            "type": "section",
            "text": {"type": "mrkdwn", "text": f"*{mrkdwn(ask.summary)}*\nRequested by {mrkdwn(ask.requester)}"},
        },
        {"type": "section", "text": {"type": "mrkdwn", "text": f"*Plan*\n{plan}"}},
        {
            "type": "context",
            "elements": [
                {"type": "mrkdwn", "text": f"{task.workflow} `{task.execution_id}` · approvers: {who}"},
            ],
        },
        {
            "type": "actions",
            "block_id": "approval",
            "elements": [
                {
                    "type": "button",
                    "action_id": APPROVE,
                    "style": "primary",
                    "text": {"type": "plain_text", "text": "Approve"},
                    "value": approval_id,
                },
                {
                    "type": "button",
                    "action_id": DENY,
                    "style": "danger",
                    "text": {"type": "plain_text", "text": "Deny"},
                    "value": approval_id,
                },
            ],
        },
    ]


def request_approval(
    task: Task[ApprovalAsk], slack: Slack, directory: Directory, default_channel: str
) -> dict[str, Any]:
    """Store the request and post it; returns what was posted (the Task waits for the decision).
    The requester is resolved through the identity directory, so none of their accounts is asked,
    and only approvers active in Okta with a Slack account are."""
    from functions.core import approvals

    ask = task.state
    if not task.token:
        raise ValueError("the approval step needs the task token in its envelope (token.$: $$.Task.Token)")
    requester = _person(directory, ask.requester)
    approvers: dict[str, str] = {}
    left_out: list[str] = []
    for email in ask.approvers:
        person = directory.person(email)
        if email.lower() == ask.requester.lower() or (requester is not None and requester.is_(email)):
            left_out.append(f"{email}: the requester")  # nobody approves their own request
        elif ask.first_approver and (email.lower() == ask.first_approver.lower() or _names(person, ask.first_approver)):
            left_out.append(f"{email}: approved already (a second, different approver is needed)")
        elif person is None or not person.active:
            left_out.append(f"{email}: not active in Okta")
        elif person.slack is None:
            left_out.append(f"{email}: {person.missing.get('slack', 'no Slack account')}")
        else:
            approvers[person.slack] = email
    if not approvers:
        raise NoApprover(f"nobody can decide this request: {'; '.join(left_out)}")
    approval = approvals.create(
        execution_id=task.execution_id,
        workflow=task.workflow,
        token=task.token,
        summary=ask.summary,
        requester=ask.requester,
        requester_slack_id=requester.slack or "" if requester is not None else "",
        approvers=approvers,
        timeout_s=ask.timeout_s,
        details={"plan": ask.plan, "left_out": left_out},
        requester_ids=tuple(requester.identifiers()) if requester is not None else (),
        approvers_from=ask.approvers_from,
    )
    channel = ask.channel or default_channel
    fallback = f"Approval needed: {mrkdwn(ask.summary)}"  # notifications render it as mrkdwn too
    message = slack.post_message(channel, fallback, blocks(task, approval.id, approvers))
    return {"approval_id": approval.id, "channel": message.channel, "ts": message.ts, "approvers": approvers}


def _names(person: Person | None, key: str) -> bool:
    """Whether `key` (an approver as the decision recorded them) is one of this person's accounts."""
    try:
        return person is not None and person.is_(key)
    except ValueError:  # not a key the directory knows (nobody's account)
        return False


def _person(directory: Directory, requester: str) -> Person | None:
    """The requester as a person, when they are one (an alarm asks as `alarm:<name>`)."""
    from functions.core.identity import split_key

    try:
        split_key(requester)
    except ValueError:
        return None
    return directory.person(requester)
