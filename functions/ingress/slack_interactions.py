"""POST /slack/interactions: the approve / deny buttons of approval requests.

Only the approvers stored with the request may decide, never the requester; a request is decided
once (a conditional write), and an expired or finished one gets a clear answer instead of an
error. The decision resumes the waiting execution through its task token and is audited. Slack
ignores the HTTP body of a button click, so answers go through the interaction's `response_url`
(the body is returned too, which the local server shows).
"""

from __future__ import annotations

import json
import logging
import time
from typing import Any

from functions.ingress.http import HttpError, HttpRequest, error_response, respond
from functions.ingress.slack_requests import verified_form

APPROVE, DENY = "approval.approve", "approval.deny"
log = logging.getLogger("platform-automation.ingress")


def _payload(form: dict[str, str]) -> dict[str, Any]:
    try:
        payload = json.loads(form.get("payload") or "")
    except json.JSONDecodeError:
        raise HttpError(400, "the payload field is not JSON") from None
    if not isinstance(payload, dict):
        raise HttpError(400, "the payload must be a JSON object")
    return payload


def _answer(response_url: str, text: str, *, replace_original: bool = False) -> dict[str, Any]:
    if response_url:
        from functions.adapters.errors import VendorError
        from functions.adapters.slack import respond_to

        try:
            respond_to(response_url, text, replace_original=replace_original)
        except VendorError as exc:  # the decision stands; only the note to the clicker is lost
            log.warning("could not answer the interaction: %s", exc)
    return respond(200, {"response_type": "ephemeral", "replace_original": replace_original, "text": text})


def handle(request: HttpRequest, now: float | None = None) -> dict[str, Any]:
    from functions.ingress.secrets import slack_signing_secret

    payload = _payload(verified_form(request, slack_signing_secret(), now))
    if payload.get("type") != "block_actions":
        return respond(200, {"ignored": payload.get("type")})
    actions = payload.get("actions") if isinstance(payload.get("actions"), list) else []
    action = actions[0] if actions and isinstance(actions[0], dict) else {}
    user = payload.get("user")
    user = user if isinstance(user, dict) else {}
    user_id, response_url = str(user.get("id") or ""), str(payload.get("response_url") or "")
    if action.get("action_id") not in (APPROVE, DENY) or not user_id:
        return respond(200, {"ignored": action.get("action_id")})
    return decide(str(action.get("value") or ""), action["action_id"] == APPROVE, user_id, response_url, now)


def decide(
    approval_id: str, approve: bool, user_id: str, response_url: str, now: float | None = None
) -> dict[str, Any]:
    from functions.core import approvals

    now = time.time() if now is None else now
    approval = approvals.get(approval_id) if approval_id else None
    refusal = _refusal(approval, user_id, now)
    if refusal or approval is None:
        return _answer(response_url, refusal or "This approval request does not exist (any more).")
    outcome = "approved" if approve else "denied"
    email = approval.approvers[user_id]
    try:
        approvals.decide(approval.id, outcome, email, now=now)
    except approvals.AlreadyDecided:
        return _answer(response_url, "Someone decided this request a moment ago.")
    if not _resume(approval, outcome, email):
        return _answer(response_url, "This request's workflow has already finished or timed out; nothing was changed.")
    _audit(approval, outcome, email, now)
    verdict = "Approved" if approve else "Denied"
    return _answer(response_url, f"{verdict} by <@{user_id}>: {approval.summary}", replace_original=True)


def _refusal(approval: Any, user_id: str, now: float) -> str | None:
    """Why this person cannot decide this request now (None: they can)."""
    if approval is None:
        return "This approval request does not exist (any more)."
    if user_id == approval.requester_slack_id:
        return "You cannot decide your own request; one of the approvers must."
    if user_id not in approval.approvers:
        names = ", ".join(sorted(approval.approvers.values())) or "nobody"
        return f"Only the approvers of this request may decide it: {names}."
    if approval.status != "pending":
        return f"This request was already {approval.status} by {approval.decided_by or 'the platform'}."
    if approval.expired(now):
        _close(approval, "expired", "slack", now)
        return "This request has expired; nothing was changed. Ask for it again if it is still needed."
    return None


def _resume(approval: Any, outcome: str, email: str) -> bool:
    """Hand the decision to the waiting execution; False when it is not waiting any more."""
    from botocore.exceptions import ClientError

    from functions.core import clients

    output = json.dumps({"decision": outcome, "approver": email, "reason": f"{outcome} in Slack"})
    try:
        clients.client("stepfunctions").send_task_success(taskToken=approval.token, output=output)
    except ClientError as exc:
        code = exc.response.get("Error", {}).get("Code", "")
        if code in {"TaskTimedOut", "InvalidToken", "TaskDoesNotExist"}:
            log.info("approval %s: execution no longer waiting (%s)", approval.id, code)
            return False
        raise
    return True


def _close(approval: Any, outcome: str, by: str, now: float) -> None:
    from functions.core import approvals

    try:
        approvals.decide(approval.id, outcome, by, now=now)
    except approvals.AlreadyDecided:
        return


def _audit(approval: Any, outcome: str, email: str, now: float) -> None:
    from functions.core import audit, clients

    audit.record(
        execution_id=approval.execution_id,
        actor=email,
        vendor="slack",
        action=f"approval.{outcome}",
        target=f"approval/{approval.id}",
        before={"status": "pending", "requester": approval.requester},
        after={"status": outcome, "decided_by": email, "decided_at": int(now)},
        client=clients.client("dynamodb"),
    )


def handler(event: dict[str, Any], _context: Any) -> dict[str, Any]:
    try:
        return handle(HttpRequest.from_event(event))
    except HttpError as error:
        return error_response(error)
