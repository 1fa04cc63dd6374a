"""POST /slack/interactions: the approve / deny buttons of approval requests.

Only the approvers stored with the request may decide, never the requester; a request is decided
once (a conditional write), and an expired or finished one gets a clear answer instead of an
error. The decision resumes the waiting execution through its task token and is audited; the
rules live in functions/core/approvals.py (`decide_as`), shared with the local server. Slack
ignores the HTTP body of a button click, so answers go through the interaction's `response_url`
(the body is returned too, which the local server shows).
"""

from __future__ import annotations

import json
import logging
from typing import Any

from functions.core.approvals import APPROVE, DENY
from functions.core.reviews import ACTIONS as REVIEW_ACTIONS
from functions.core.text import mrkdwn
from functions.ingress.http import HttpError, HttpRequest, error_response, respond
from functions.ingress.slack_requests import once, verified_form

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
    if action.get("action_id") in REVIEW_ACTIONS and user_id:  # the access review's Keep / Revoke buttons
        once(request, now)
        return _answer(response_url, review(str(action.get("value") or ""), str(action["action_id"]), user_id, now))
    if action.get("action_id") not in (APPROVE, DENY) or not user_id:
        return respond(200, {"ignored": action.get("action_id")})
    once(request, now)  # a replayed click decides nothing (409)
    return decide(str(action.get("value") or ""), action["action_id"] == APPROVE, user_id, response_url, now)


def decide(
    approval_id: str, approve: bool, user_id: str, response_url: str, now: float | None = None
) -> dict[str, Any]:
    from functions.adapters import vendors
    from functions.core import approvals
    from functions.core.runtime import config

    outcome = "approved" if approve else "denied"
    result = approvals.decide_as(
        approval_id,
        approve,
        user_id,
        reason=f"{outcome} in Slack",
        channel="slack",
        config=config(),
        directory=vendors.directory(links=()),  # the decision asks Okta only: is the approver active
        now=now,
    )
    if result.refusal is not None or result.approval is None:
        return _answer(response_url, result.refusal or approvals.GONE)
    verdict = "Approved" if approve else "Denied"
    # The summary holds what the requester typed; the user id is Slack's, escaped all the same.
    text = f"{verdict} by <@{mrkdwn(user_id)}>: {mrkdwn(result.approval.summary)}"
    return _answer(response_url, text, replace_original=True)


def review(value: str, action_id: str, user_id: str, now: float | None = None) -> str:
    """An access review button: decided by functions/core/reviews.py `decide_as`."""
    from functions.adapters import vendors
    from functions.core import reviews

    campaign, finding_id = reviews.parse_value(value)
    keep = action_id == reviews.KEEP_ACTION
    answer = reviews.decide_as(
        campaign,
        reviews.ALL if action_id == reviews.REVOKE_SUGGESTED_ACTION else finding_id,
        reviews.KEEP if keep else reviews.REVOKE,
        user_id,
        reason="kept in Slack" if keep else "revoked in Slack",
        channel="slack",
        directory=vendors.directory(links=()),
        now=now,
    )
    return mrkdwn(answer.text)


def handler(event: dict[str, Any], _context: Any) -> dict[str, Any]:
    try:
        return handle(HttpRequest.from_event(event))
    except HttpError as error:
        return error_response(error)
