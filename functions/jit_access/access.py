"""Granting, watching and revoking one grant: Identity Center account assignments (created and
deleted asynchronously, followed until done) or Okta group memberships. Every change goes
through the change primitive (audited with requester, approver and reason; a dry run changes
nothing); the record in the state table is written before the grant, so the sweeper finds a
grant whatever happens to the step that made it."""

from __future__ import annotations

from datetime import timedelta
from typing import TYPE_CHECKING, Any

from functions.core.jit_buttons import EXTEND, EXTEND_BY, extend_value
from functions.core.jit_grants import ACTIVE
from functions.jit_access import duration, timing
from functions.jit_access.models import GrantRequest
from functions.jit_access.store import GrantStore, Live

if TYPE_CHECKING:
    from functions.adapters.aws_identity import IdentityCenter
    from functions.adapters.okta import Okta
    from functions.adapters.slack import Slack
    from functions.core.change import ChangeContext

MAX_POLLS = 60


class GrantNotReady(Exception):  # noqa: N818 - the state machine catches it by this name
    """The assignment did not succeed within MAX_POLLS looks."""


class RevocationNotVerified(Exception):  # noqa: N818
    """The assignment or membership is still there after MAX_POLLS looks."""


def _holds(request: GrantRequest, ic: IdentityCenter | None, okta: Okta | None) -> bool:
    target = request.target
    if target.kind == "aws":
        assert ic is not None
        return any(
            a.account_id == target.account_id and a.permission_set_name == target.permission_set
            for a in ic.list_assignments_for_user(request.identity_center_user, [target.account_id])
        )
    assert okta is not None
    return any(g.name == target.okta_group for g in okta.list_user_groups(request.okta_user))


def grant(
    request: GrantRequest,
    approver: str,
    changes: ChangeContext,
    store: GrantStore,
    reminder_minutes: int,
    *,
    ic: IdentityCenter | None,
    okta: Okta | None,
) -> dict[str, Any]:
    """Record the grant, then make it. A grant the person held before (not ours to revoke) is
    not touched: `held_before` says so and nothing is recorded."""
    now = timing.now()
    expires = now + timedelta(minutes=request.minutes)
    times = {
        "granted_at": timing.stamp(now),
        "expires_at": timing.stamp(expires),
        "remind_at": timing.stamp(max(now, expires - timedelta(minutes=reminder_minutes))),
    }
    if not changes.dry_run and _holds(request, ic, okta):
        return {**times, "held_before": True, "status": "SUCCEEDED", "request_id": ""}
    if not changes.dry_run:
        store.put(Live(request, times["granted_at"], times["expires_at"], approver=approver), int(now.timestamp()))
    target = request.target
    line = f"granted {target.label()} to {request.requester} until {times['expires_at']}"
    after = {"until": times["expires_at"], "reason": request.reason, "grant_id": request.grant_id}
    if target.kind == "aws":
        assert ic is not None
        made = changes.change(
            "aws",
            "sso:CreateAccountAssignment",
            f"{target.account_id}/{target.permission_set}/{request.requester}",
            lambda: ic.assign_permission_set(target.account_id, target.permission_set, request.identity_center_user),
            line=line,
            before="not assigned",
            after=after,
        )
        status = "SUCCEEDED" if made is None or made.outcome == "already" else str(made.status or "IN_PROGRESS")
        request_id = made.request_id if made is not None else ""
    else:
        assert okta is not None
        group = okta.find_group(target.okta_group)
        if group is None:
            raise ValueError(f"no Okta group {target.okta_group!r}")
        changes.change(
            "okta",
            "addUserToGroup",
            f"{target.okta_group}/{request.requester}",
            lambda: okta.add_to_group(group.id, request.okta_user),
            line=line,
            before="not a member",
            after=after,
        )
        status, request_id = "SUCCEEDED", ""
    return {**times, "held_before": False, "status": status, "request_id": request_id or "", "polls": 0}


def check_grant(request: GrantRequest, granted: dict[str, Any], ic: IdentityCenter | None) -> dict[str, Any]:
    """The creation request's status (CreateAccountAssignment is asynchronous)."""
    polls = int(granted.get("polls", 0)) + 1
    if granted.get("status") == "SUCCEEDED" or request.target.kind != "aws" or not granted.get("request_id"):
        return {**granted, "status": "SUCCEEDED", "polls": polls}
    assert ic is not None
    status = ic.assignment_status(str(granted["request_id"]))
    if status != "SUCCEEDED" and polls >= MAX_POLLS:
        raise GrantNotReady(f"assignment {granted['request_id']} still {status} after {polls} looks")
    return {**granted, "status": status, "polls": polls}


def watch(request: GrantRequest, store: GrantStore, reminder_minutes: int, slack: Slack | None) -> dict[str, Any]:
    """What the grant's execution does next: revoke (expired, or revoked meanwhile), remind (and
    then wait for the expiry), or wait until the reminder or the expiry, as the record says now
    (an extension moves the expiry)."""
    live = store.get(request.grant_id)
    if live is None or live.status != ACTIVE:
        return {"phase": "revoke", "why": "revoked meanwhile", "next_at": ""}
    now = timing.now()
    expires = timing.parse(live.expires_at)
    if now >= expires:
        return {"phase": "revoke", "why": "expired", "next_at": ""}
    remind_at = expires - timedelta(minutes=reminder_minutes)
    reminded = False
    if live.reminded_for != live.expires_at:
        if now < remind_at:
            return {"phase": "wait", "why": "reminder", "next_at": timing.stamp(remind_at)}
        if slack is not None and request.requester_slack:
            left = max(1, int((expires - now).total_seconds() // 60))
            text = (
                f"Your `{request.grant}` access ends in {duration.spoken(left)} ({live.expires_at}). "
                f"Need longer? `/platform access extend {request.grant_id} {EXTEND_BY}`"
            )
            longer = expires + timedelta(minutes=duration.minutes(EXTEND_BY) or 0) - timing.parse(live.granted_at)
            past = longer > timedelta(minutes=request.max_minutes)
            slack.post_message(request.requester_slack, text, reminder_blocks(request, text, past_maximum=past))
        live.reminded_for = live.expires_at
        store.update(live)
        reminded = True
    return {"phase": "wait", "why": "expiry", "next_at": live.expires_at, "reminded": reminded}


def reminder_blocks(request: GrantRequest, text: str, *, past_maximum: bool) -> list[dict[str, Any]]:
    """The reminder with its Extend button: a click is `/platform access extend <id> 30m` by whoever
    clicked (functions/ingress/slack_interactions.py), so only the grantee extends, within the
    maximum at once and past it approved again."""
    label = f"Extend {EXTEND_BY}" + (" (asks for approval)" if past_maximum else "")
    return [
        {"type": "section", "text": {"type": "mrkdwn", "text": text}},
        {
            "type": "actions",
            "block_id": "jit_extend",
            "elements": [
                {
                    "type": "button",
                    "action_id": EXTEND,
                    "text": {"type": "plain_text", "text": label},
                    "value": extend_value(request.grant_id),
                }
            ],
        },
    ]


def extend(
    request: GrantRequest, until: str, approver: str, changes: ChangeContext, store: GrantStore
) -> dict[str, Any]:
    live = store.get(request.grant_id)
    if live is None or live.status != ACTIVE:
        return {"extended": False, "expires_at": "", "why": "the grant is not active any more"}
    before = live.expires_at

    def apply() -> None:
        live.extensions.append({"from": before, "to": until, "approver": approver, "at": timing.stamp(timing.now())})
        live.expires_at = until
        store.update(live)

    changes.change(
        "platform",
        "jit:extend",
        f"{request.grant_id}/{request.requester}",
        apply,
        line=f"extended {request.grant} of {request.requester} until {until}",
        before=before,
        after=until,
    )
    return {"extended": True, "expires_at": until, "before": before}


def revoke(
    request: GrantRequest,
    why: str,
    by: str,
    changes: ChangeContext,
    store: GrantStore,
    *,
    ic: IdentityCenter | None,
    okta: Okta | None,
) -> dict[str, Any]:
    """Remove the assignment (or membership), then mark the record revoked. `first` is True for
    the one revocation that turned the record revoked: it alone is summarised."""
    target = request.target
    line = f"revoked {target.label()} from {request.requester} ({why})"
    request_id = ""
    if target.kind == "aws":
        assert ic is not None
        made = changes.change(
            "aws",
            "sso:DeleteAccountAssignment",
            f"{target.account_id}/{target.permission_set}/{request.requester}",
            lambda: ic.remove_assignment(target.account_id, target.permission_set, request.identity_center_user),
            line=line,
            before={"grant_id": request.grant_id, "why": why},
            after="removed",
            changed=lambda m: m.outcome == "started",
        )
        request_id = (made.request_id or "") if made is not None else ""
    else:
        assert okta is not None
        group = okta.find_group(target.okta_group)
        if group is not None and (changes.dry_run or _holds(request, None, okta)):
            changes.change(
                "okta",
                "removeUserFromGroup",
                f"{target.okta_group}/{request.requester}",
                lambda: okta.remove_from_group(group.id, request.okta_user),
                line=line,
                before={"grant_id": request.grant_id, "why": why},
                after="removed",
            )
    first = True
    live = None if changes.dry_run else store.get(request.grant_id)
    if live is not None:
        live.revoked_at, live.revoked_by = timing.stamp(timing.now()), by or why
        first = store.mark_revoked(live)
    return {
        "first": first,
        "request_id": request_id,
        "why": why,
        "by": by,
        "granted_at": live.granted_at if live else "",
        "revoked_at": live.revoked_at if live else timing.stamp(timing.now()),
        "approver": live.approver if live else "",
        "polls": 0,
    }


def check_revoked(
    request: GrantRequest, revoked: dict[str, Any], dry_run: bool, *, ic: IdentityCenter | None, okta: Okta | None
) -> dict[str, Any]:
    """Read again until it is gone: the deletion request's status, then the assignments themselves."""
    polls = int(revoked.get("polls", 0)) + 1
    if dry_run:
        return {**revoked, "gone": True, "polls": polls}
    if request.target.kind == "aws" and revoked.get("request_id"):
        assert ic is not None
        if ic.assignment_status(str(revoked["request_id"]), deletion=True) != "SUCCEEDED":
            return _not_yet(revoked, polls)
    if _holds(request, ic, okta):
        return _not_yet(revoked, polls)
    return {**revoked, "gone": True, "polls": polls}


def _not_yet(revoked: dict[str, Any], polls: int) -> dict[str, Any]:
    if polls >= MAX_POLLS:
        raise RevocationNotVerified(f"still granted after {polls} looks")
    return {**revoked, "gone": False, "polls": polls}
