"""Who asks for what, and may they: the first step of every jit_access execution.

The requester is resolved through the identity directory (their Slack account, else the email
the command worker read), must be active in Okta and a member of one of the grant's teams (every
Okta group the team lists); a break-glass grant needs them on call in PagerDuty. Nothing here
changes anything: it decides the outcome the definition branches on and what to tell."""

from __future__ import annotations

import re
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from functions.core.approvals import configured_approvers
from functions.core.text import mrkdwn
from functions.jit_access import duration, hours, timing
from functions.jit_access.intake import USAGE
from functions.jit_access.models import AccessCommand, Ask, GrantRequest, Notice, Plan, Target
from functions.jit_access.store import GrantStore, Live

if TYPE_CHECKING:
    from functions.adapters.okta import Okta
    from functions.adapters.pagerduty import PagerDuty
    from functions.core.config import JitGrant, PlatformConfig
    from functions.core.identity import Directory, Person

MAX_EXTENDED_MINUTES = 1440  # an approved extension may go past max_minutes, never past a day


@dataclass
class Deps:
    config: PlatformConfig
    directory: Directory
    okta: Callable[[], Okta]
    pagerduty: Callable[[], PagerDuty] | None
    store: GrantStore
    execution_running: Callable[[str], bool]


def approvers_path(name: str, grant: JitGrant) -> str:
    return f"jit.grants.{name}.approvers|teams.{grant.teams[0]}.approvers"


def plan(command: AccessCommand, execution_id: str, deps: Deps) -> Plan:  # noqa: PLR0911 - one branch per action
    if command.action == "sweep":
        return _sweep(deps)
    to = command.origin.user_id or ""
    if command.action == "invalid":
        return _refused(command.problem or USAGE, to)
    key = f"slack:{command.origin.user_id}" if command.origin.user_id else (command.requested_by or "")
    person = _person(deps.directory, key)
    if person is None or not person.active:
        return _refused("You are not an active person in Okta, so you cannot ask for access.", to)
    to = person.slack or to
    if command.action == "list":
        return _list(person, deps, to)
    if command.action == "revoke":
        return _revoke(command, person, deps, to)
    if command.action == "extend":
        return _extend(command, person, deps, to)
    return _request(command, person, execution_id, deps, to)


# -- a request -----------------------------------------------------------------------------------


def _request(command: AccessCommand, person: Person, execution_id: str, deps: Deps, to: str) -> Plan:  # noqa: PLR0911 - each refusal says why
    cfg = deps.config
    grants = cfg.jit.grants
    grant = grants.get(command.grant)
    if grant is None:
        known = ", ".join(f"`{n}`" for n in grants) or "none configured"
        return _refused(f"There is no grant `{mrkdwn(command.grant)}` (grants: {known}).", to)
    minutes = duration.minutes(command.duration)
    if minutes is None:
        return _refused(f"`{mrkdwn(command.duration)}` is not a duration: say e.g. `30m`, `2h` or `1h30m`.", to)
    if minutes > grant.max_minutes:
        return _refused(
            f"`{command.grant}` is granted for at most {duration.spoken(grant.max_minutes)}; "
            f"ask for less (you may extend later).",
            to,
        )
    reason = command.reason.strip()
    if grant.reason_required and not reason:
        return _refused(f"`{command.grant}` needs a reason: `/platform access {command.grant} 30m <why>`.", to)
    if grant.ticket_pattern and not re.search(grant.ticket_pattern, reason):
        return _refused(f"`{command.grant}` needs a ticket in the reason (matching `{grant.ticket_pattern}`).", to)
    if not _member(person, grant, deps):
        teams = ", ".join(grant.teams)
        return _refused(f"`{command.grant}` is only for members of {teams}; you are not one.", to)
    target = _target(grant, cfg)
    if target.kind == "aws" and not person.identity_center:
        why = person.missing.get("identity_center", "no Identity Center user")
        return _refused(f"You have no Identity Center user to grant `{command.grant}` to ({why}).", to)
    if target.kind == "okta" and deps.okta().find_group(target.okta_group) is None:
        return _refused(f"The Okta group {target.okta_group} of `{command.grant}` does not exist.", to)
    held = [
        live
        for live in deps.store.active()
        if live.request.grant == command.grant and live.request.requester == person.email
    ]
    if held:
        return _refused(
            f"You hold `{command.grant}` until {held[0].expires_at} already (id `{held[0].request.grant_id}`); "
            f"`/platform access extend {held[0].request.grant_id} <duration>` extends it.",
            to,
        )
    request = GrantRequest(
        grant_id=uuid.uuid4().hex[:10],
        grant=command.grant,
        target=target,
        requester=person.email,
        requester_slack=person.slack or "",
        user_name=person.email,
        identity_center_user=person.identity_center or "",
        okta_user=person.okta_id or "",
        minutes=minutes,
        max_minutes=grant.max_minutes,
        reason=reason,
        break_glass=grant.break_glass,
        execution_id=execution_id,
        dry_run=command.dry_run,
    )
    if grant.break_glass:
        if not _on_call(person, deps):
            return _refused(f"`{command.grant}` is break-glass: only whoever is on call in PagerDuty may use it.", to)
        return Plan(outcome="break_glass", request=request, revocations=[request], requester=person.email)
    return _approval(request, grant, person, cfg, to)


def _approval(request: GrantRequest, grant: JitGrant, person: Person, cfg: PlatformConfig, to: str) -> Plan:
    path = approvers_path(request.grant, grant)
    approvers = [a for a in configured_approvers(cfg, path) if not person.is_(a)]
    if not approvers:
        return _refused(f"Nobody but you may approve `{request.grant}`; ask an admin to name its approvers.", to)
    minutes, reason = request.minutes, request.reason
    ask = Ask(
        summary=f"{person.email} asks for {grant.description or request.grant} for {duration.spoken(minutes)}",
        plan=[
            f"grant {request.target.label()} to {person.email} for {duration.spoken(minutes)}",
            f"reason: {reason or '(none given)'}",
            "revoke it at expiry (or earlier with /platform access revoke), then summarise what the session did",
        ],
        requester=person.email,
        approvers=approvers,
        approvers_from=path,
        timeout_s=cfg.jit.approval_timeout_minutes * 60,
        channel=cfg.jit.channel,
    )
    second = _second_ask(ask, cfg)
    if isinstance(second, str):
        return _refused(second, to)
    return Plan(
        outcome="approve", request=request, ask=ask, second_ask=second, revocations=[request], requester=person.email
    )


def _second_ask(ask: Ask, cfg: PlatformConfig) -> Ask | str | None:
    """Outside jit.single_approver_hours, the ask a second approver answers (the definition adds
    the first approver, who is not asked again); a refusal when nobody could be that second one."""
    window = cfg.jit.single_approver_hours
    if window is None or hours.one_approver_enough(window, timing.now(), cfg.schedules.timezone):
        return None
    when = hours.described(window, cfg.schedules.timezone)
    if len(ask.approvers) < 2:  # two different people
        return (
            f"Outside {when} two different approvers must approve, and only {', '.join(ask.approvers)} "
            "may approve besides you; ask again within those hours, or ask an admin to name more approvers."
        )
    return ask.model_copy(update={"summary": f"Second approval (outside {when}): {ask.summary}"})


def _member(person: Person, grant: JitGrant, deps: Deps) -> bool:
    if not person.okta_id:
        return False
    groups = {g.name for g in deps.okta().list_user_groups(person.okta_id)}
    for team_name in grant.teams:
        team = deps.config.teams.get(team_name)
        if team is not None and team.okta_groups and set(team.okta_groups) <= groups:
            return True
    return False


def _on_call(person: Person, deps: Deps) -> bool:
    if deps.pagerduty is None or not person.pagerduty:
        return False
    return bool(deps.pagerduty().oncall_schedules_for_user(person.pagerduty))


def _target(grant: JitGrant, cfg: PlatformConfig) -> Target:
    if grant.aws is not None:
        return Target(
            kind="aws",
            account=grant.aws.account,
            account_id=cfg.aws.accounts[grant.aws.account],
            permission_set=grant.aws.permission_set,
        )
    return Target(kind="okta", okta_group=grant.okta_group or "")


# -- list, revoke, extend ------------------------------------------------------------------------


def _may_manage(person: Person, live: Live, deps: Deps) -> bool:
    """The grantee, the grant's approvers and the platform admins may revoke a grant."""
    if live.request.requester == person.email:
        return True
    grant = deps.config.jit.grants.get(live.request.grant)
    approvers = configured_approvers(deps.config, approvers_path(live.request.grant, grant)) if grant else []
    return person.email in approvers or person.email in deps.config.organization.admins


def _list(person: Person, deps: Deps, to: str) -> Plan:
    mine = [live for live in deps.store.active() if _may_manage(person, live, deps)]
    if not mine:
        lines = ["No active grants you hold or approve."]
    else:
        lines = [
            f"• `{live.request.grant_id}` {live.request.grant} for {live.request.requester} until {live.expires_at}"
            for live in mine
        ]
    eligible = [name for name, grant in deps.config.jit.grants.items() if _member(person, grant, deps)]
    lines.append(f"You may ask for: {', '.join(f'`{n}`' for n in eligible) or 'nothing'}.")
    return Plan(outcome="told", notice=Notice(kind="list", text="\n".join(lines), to=to), requester=person.email)


def _live_grant(command: AccessCommand, deps: Deps, to: str) -> Live | Plan:
    live = deps.store.get(command.grant_id) if command.grant_id else None
    if live is None or live.status != "active":
        return _refused(f"There is no active grant `{mrkdwn(command.grant_id)}` (`/platform access list`).", to)
    return live


def _revoke(command: AccessCommand, person: Person, deps: Deps, to: str) -> Plan:
    live = _live_grant(command, deps, to)
    if isinstance(live, Plan):
        return live
    if not _may_manage(person, live, deps):
        return _refused("Only the grantee, its approvers and the platform admins may revoke a grant.", to)
    return Plan(outcome="revoke", revocations=[live.request], requester=person.email, approver=person.email)


def _extend(command: AccessCommand, person: Person, deps: Deps, to: str) -> Plan:  # noqa: PLR0911 - each refusal says why
    live = _live_grant(command, deps, to)
    if isinstance(live, Plan):
        return live
    if live.request.requester != person.email:
        return _refused("Only the grantee may extend a grant.", to)
    minutes = duration.minutes(command.duration)
    if minutes is None:
        return _refused(f"`{mrkdwn(command.duration)}` is not a duration: say e.g. `30m` or `1h`.", to)
    new_expiry = timing.parse(live.expires_at) + timedelta(minutes=minutes)
    total = int((new_expiry - timing.parse(live.granted_at)).total_seconds() // 60)
    request = live.request.model_copy(update={"dry_run": command.dry_run})
    stamp = timing.stamp(new_expiry)
    if total <= live.request.max_minutes:
        return Plan(outcome="extend", request=request, extend_to=stamp, requester=person.email)
    if total > MAX_EXTENDED_MINUTES:
        return _refused(f"A grant lasts a day at most; `{live.request.grant_id}` would last {total} minutes.", to)
    grant = deps.config.jit.grants.get(live.request.grant)
    if grant is None:
        return _refused(f"`{live.request.grant}` is not configured any more; it cannot be extended.", to)
    path = approvers_path(live.request.grant, grant)
    approvers = [a for a in configured_approvers(deps.config, path) if not person.is_(a)]
    if not approvers:
        return _refused("Nobody but you may approve this extension.", to)
    ask = Ask(
        summary=f"{person.email} asks to extend {live.request.grant} past its maximum, until {stamp}",
        plan=[
            f"extend {live.request.target.label()} for {person.email} until {stamp} "
            f"({duration.spoken(total)} in all; the maximum is {duration.spoken(live.request.max_minutes)})",
        ],
        requester=person.email,
        approvers=approvers,
        approvers_from=path,
        timeout_s=deps.config.jit.approval_timeout_minutes * 60,
        channel=deps.config.jit.channel,
    )
    second = _second_ask(ask, deps.config)
    if isinstance(second, str):
        return _refused(second, to)
    return Plan(
        outcome="extend_approval",
        request=request,
        ask=ask,
        second_ask=second,
        extend_to=stamp,
        requester=person.email,
    )


# -- the sweeper ---------------------------------------------------------------------------------


def _sweep(deps: Deps) -> Plan:
    """Every active grant whose expiry (plus the grace) passed, or whose execution is no longer
    running to revoke it, whatever happened to that execution."""
    now = timing.now()
    grace = timedelta(minutes=deps.config.jit.sweep_grace_minutes)
    due = [
        live.request
        for live in deps.store.active()
        if timing.parse(live.expires_at) + grace <= now or not deps.execution_running(live.request.execution_id)
    ]
    return Plan(outcome="sweep", revocations=due)


def expiry(now: datetime, minutes: int) -> datetime:
    return now + timedelta(minutes=minutes)


def _refused(text: str, to: str) -> Plan:
    return Plan(outcome="refused", notice=Notice(kind="refused", text=text, to=to))


def _person(directory: Directory, key: str) -> Person | None:
    try:
        return directory.person(key) if key else None
    except ValueError:
        return None
