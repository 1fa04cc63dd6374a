"""POST /slack/interactions: the approve / deny buttons of approval requests (and the access
review's Keep / Revoke, and the Extend button of a just-in-time grant's reminder).

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
import time
from typing import Any

from functions.core.approvals import APPROVE, DENY
from functions.core.jit_buttons import EXTEND
from functions.core.reviews import ACTIONS as REVIEW_ACTIONS
from functions.core.reviews import KEEP_ACTION, KEEP_REASON_CALLBACK
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
    if payload.get("type") == "view_submission":
        return _submitted(request, payload, now)
    if payload.get("type") != "block_actions":
        return respond(200, {"ignored": payload.get("type")})
    actions = payload.get("actions") if isinstance(payload.get("actions"), list) else []
    action = actions[0] if actions and isinstance(actions[0], dict) else {}
    user = payload.get("user")
    user = user if isinstance(user, dict) else {}
    user_id, response_url = str(user.get("id") or ""), str(payload.get("response_url") or "")
    if action.get("action_id") in REVIEW_ACTIONS and user_id:  # the access review's Keep / Revoke buttons
        return _review_click(request, payload, action, user_id, now)
    if action.get("action_id") == EXTEND and user_id:  # a just-in-time grant's reminder
        once(request, now)
        return _answer(response_url, extend(str(action.get("value") or ""), payload, user_id, response_url, now))
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


def extend(value: str, payload: dict[str, Any], user_id: str, response_url: str, now: float | None = None) -> str:
    """The Extend button: published as the slash command `/platform access extend <id> <duration>`
    typed by whoever clicked, so the command worker checks who they are and may run, and the
    workflow lets only the grantee extend (within the maximum at once, past it approved again)."""
    from functions.core.bus import PublishError, publish
    from functions.core.jit_buttons import parse_extend_value
    from functions.ingress.slack_commands import SOURCE

    parsed = parse_extend_value(value)
    if parsed is None:
        return "This button does not name a grant to extend; nothing was changed."
    grant_id, duration = parsed
    channel = payload.get("channel") if isinstance(payload.get("channel"), dict) else {}
    detail = {
        "command": "access",
        "args": {"args": ["extend", grant_id, duration]},
        "text": f"access extend {grant_id} {duration}",
        "user_id": user_id,
        "channel_id": str((channel or {}).get("id") or ""),
        "response_url": response_url,
        "requested_at": int(now if now is not None else time.time()),
    }
    try:
        publish(SOURCE, "command.access", detail)
    except PublishError as exc:
        log.warning("extend button not published: %s", exc)
        return "The platform could not take this request right now; nothing was changed. Try again shortly."
    return f"Extending `{grant_id}` by {duration}: I will report back here."


def review(value: str, action_id: str, user_id: str, now: float | None = None, *, reason: str = "") -> str:
    """An access review button (or the Keep reason's submission): decided by
    functions/core/reviews.py `decide_as`."""
    from functions.adapters import vendors
    from functions.core import reviews

    campaign, finding_id = reviews.parse_value(value)
    keep = action_id == reviews.KEEP_ACTION
    answer = reviews.decide_as(
        campaign,
        reviews.ALL if action_id == reviews.REVOKE_SUGGESTED_ACTION else finding_id,
        reviews.KEEP if keep else reviews.REVOKE,
        user_id,
        reason=reason or ("kept in Slack" if keep else "revoked in Slack"),
        channel="slack",
        directory=vendors.directory(links=()),
        now=now,
    )
    return mrkdwn(answer.text)


def _review_click(
    request: HttpRequest, payload: dict[str, Any], action: dict[str, Any], user_id: str, now: float | None
) -> dict[str, Any]:
    value, response_url = str(action.get("value") or ""), str(payload.get("response_url") or "")
    trigger_id = str(payload.get("trigger_id") or "")
    if action["action_id"] == KEEP_ACTION and trigger_id:  # Keep asks why first; the submission decides
        return _ask_reason(value, trigger_id, response_url)
    once(request, now)
    return _answer(response_url, review(value, str(action["action_id"]), user_id, now))


def _ask_reason(value: str, trigger_id: str, response_url: str) -> dict[str, Any]:
    """Keep opens a modal asking why (views.open with the click's trigger id); its submission
    decides. The item and the response URL ride along in the view's private metadata."""
    from functions.adapters import vendors
    from functions.adapters.errors import VendorError
    from functions.core import reviews

    campaign, finding_id = reviews.parse_value(value)
    item = reviews.get(campaign, finding_id) if campaign and finding_id else None
    if item is None:
        return _answer(response_url, reviews.GONE)
    try:
        vendors.slack().open_modal(trigger_id, reviews.keep_reason_view(item, response_url))
    except VendorError as exc:  # e.g. the trigger expired (3 s): the click can be repeated
        log.warning("could not open the keep reason: %s", exc)
        return _answer(response_url, "Slack did not open the reason form; please click Keep again.")
    return respond(200, None)


def _submitted(request: HttpRequest, payload: dict[str, Any], now: float | None) -> dict[str, Any]:
    from functions.core import reviews

    found_view, found_user = payload.get("view"), payload.get("user")
    view: dict[str, Any] = found_view if isinstance(found_view, dict) else {}
    user: dict[str, Any] = found_user if isinstance(found_user, dict) else {}
    if view.get("callback_id") != KEEP_REASON_CALLBACK or not user.get("id"):
        return respond(200, {"ignored": view.get("callback_id")})
    value, response_url, reason = reviews.keep_reason_of(view)
    if not reason:
        return respond(200, {"response_action": "errors", "errors": {reviews.REASON_BLOCK: "Say why it is kept."}})
    once(request, now)
    text = review(value, KEEP_ACTION, str(user["id"]), now, reason=reason)
    if response_url:
        _answer(response_url, text)
    return respond(200, {"response_action": "clear"})


def handler(event: dict[str, Any], _context: Any) -> dict[str, Any]:
    try:
        return handle(HttpRequest.from_event(event))
    except HttpError as error:
        return error_response(error)
