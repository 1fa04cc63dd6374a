"""The offboarding steps: revoke everything, each looking first, so re-runs change only what is
left. Offboarding creates nothing, so there is nothing to compensate: a failed revocation is
reported, never undone (giving access back would be the wrong way to recover)."""

from __future__ import annotations

from functools import partial
from html import escape
from typing import TYPE_CHECKING, Any

from functions.core.text import mrkdwn
from functions.people import ledger
from functions.people.context import Context

if TYPE_CHECKING:
    from functions.adapters.aws_iam import Iam
    from functions.adapters.aws_identity import IdentityCenter
    from functions.adapters.github import GitHub
    from functions.adapters.okta import Okta
    from functions.adapters.pagerduty import PagerDuty
    from functions.adapters.sendgrid import SendGrid
    from functions.adapters.slack import Slack

EVERYONE = "Everyone"  # Okta's built-in group: membership follows the user, it cannot be removed


def deactivate_okta(ctx: Context, person: dict[str, Any], okta: Okta) -> dict[str, Any]:
    email = person["email"]
    user = okta.find_user(email)
    if user is None or user.status == "DEPROVISIONED":
        ctx.summary.append(f"Okta user {email} was already deactivated")
        return ctx.result()
    ctx.change(
        "okta",
        "clear sessions",
        f"okta:user/{user.id}/sessions",
        partial(okta.clear_sessions, user.id),
        line=f"cleared the Okta sessions of {email}",
    )
    ctx.change(
        "okta",
        "deactivate user",
        f"okta:user/{user.id}",
        partial(okta.deactivate_user, user.id),
        line=f"deactivated Okta user {email}",
        before=user.status,
        after="DEPROVISIONED",
    )
    return ctx.result()


def remove_okta_groups(ctx: Context, person: dict[str, Any], okta: Okta) -> dict[str, Any]:
    user = okta.find_user(person["email"])
    if user is None:
        return ctx.result()
    for group in okta.list_user_groups(user.id):
        if group.name == EVERYONE:
            continue
        ctx.change(
            "okta",
            "remove group member",
            f"okta:group/{group.id}/user/{user.id}",
            partial(okta.remove_from_group, group.id, user.id),
            line=f"removed {person['email']} from Okta group {group.name}",
        )
    return ctx.result()


def remove_aws_access(
    ctx: Context, person: dict[str, Any], accounts: list[str], ic: IdentityCenter, iam: Iam
) -> dict[str, Any]:
    email = person["email"]
    user = ic.find_user(email)
    if user is not None:
        for membership in ic.list_memberships_for_user(user.user_id):
            ctx.change(
                "aws",
                "identitystore DeleteGroupMembership",
                f"identitystore:membership/{membership.membership_id}",
                partial(ic.remove_from_group, membership.group_id, user.user_id),
                line=f"removed {email} from IAM Identity Center group {membership.group_name or membership.group_id}",
            )
        for assignment in ic.list_assignments_for_user(user.user_id, accounts):
            name = assignment.permission_set_name or assignment.permission_set_arn
            ctx.change(
                "aws",
                "sso-admin DeleteAccountAssignment",
                f"sso:account/{assignment.account_id}/permission-set/{name}/user/{user.user_id}",
                partial(ic.remove_assignment, assignment.account_id, name, user.user_id),
                line=f"removed {name} in account {assignment.account_id} from {email}",
            )
    # Only the IAM users tagged as the leaver's (validation asked the identity directory): never a
    # user that merely shares the email's local part, such as a CI user called `deploy`.
    for name in person.get("iam_users") or []:
        iam_user = iam.find_user(name)
        if iam_user is None:
            continue
        for key in iam_user.access_keys:
            if key.status != "Active":
                continue
            ctx.change(
                "aws",
                "iam UpdateAccessKey",
                f"iam:user/{iam_user.name}/access-key/{key.id}",
                partial(iam.deactivate_access_key, iam_user.name, key.id),
                line=f"deactivated access key {key.id} of IAM user {iam_user.name}",
                before="Active",
                after="Inactive",
            )
    return ctx.result()


def remove_github(ctx: Context, person: dict[str, Any], org: str, github: GitHub) -> dict[str, Any]:
    login = person["github_username"]
    if github.get_membership(org, login) is None:
        ctx.summary.append(f"{login} was not in the {org} GitHub organisation")
        return ctx.result()
    ctx.change(
        "github",
        "remove org membership",
        f"github:orgs/{org}/memberships/{login}",
        partial(github.remove_member, org, login),
        line=f"removed {login} from the {org} GitHub organisation",
    )
    return ctx.result()


def remove_pagerduty(ctx: Context, person: dict[str, Any], pagerduty: PagerDuty | None) -> dict[str, Any]:
    if pagerduty is None:
        ctx.summary.append("PagerDuty is not configured")
        return ctx.result()
    user = pagerduty.find_user_by_email(person["email"])
    if user is None:
        ctx.summary.append(f"{person['email']} has no PagerDuty user")
        return ctx.result()
    # PagerDuty refuses to delete someone who is on call: a dry run warns of it beforehand.
    schedules = pagerduty.oncall_schedules_for_user(user.id) if ctx.dry_run else []
    note = f" (on schedules {', '.join(schedules)}: PagerDuty will refuse)" if schedules else ""
    result = ctx.change(
        "pagerduty",
        "delete user",
        f"pagerduty:user/{user.id}",
        partial(pagerduty.remove_user, user.id),
        line=f"removed PagerDuty user {user.email}{note}",
        # remove_user says whether PagerDuty refused only by trying: a refusal changed nothing.
        changed=lambda outcome: outcome.removed or outcome.already_absent,
    )
    if result is None:
        return ctx.result()
    if result.removed or result.already_absent:
        return ctx.result(kept_on_schedules=[])
    schedules = list(result.blocking_schedules)
    ctx.summary.append(
        f"kept PagerDuty user {user.email}: on schedules {', '.join(schedules) or '(none named)'}"
        f" ({result.reason}); take them off those schedules, then remove the user"
    )
    return ctx.result(kept_on_schedules=schedules)


def notify(
    ctx: Context, person: dict[str, Any], lines: list[str], channel: str, *, slack: Slack, sendgrid: SendGrid | None
) -> dict[str, Any]:
    known = ledger.person(person["email"])
    manager = known.get("manager")
    text = f":wave: {mrkdwn(person['full_name'])} ({person['email']}) was offboarded; last day {person['last_day']}."
    if not ledger.done(ctx.request_key, "slack-notice"):

        def post() -> str:
            message = slack.post_message(channel, text)
            ledger.mark_done(ctx.request_key, "slack-notice", ctx.execution_id)
            return message.ts

        ctx.change("slack", "post message", f"slack:{channel}", post, line=f"announced the offboarding in {channel}")
    recipient = manager or (ctx.requester if "@" in ctx.requester else None)
    if sendgrid is None or recipient is None or ledger.done(ctx.request_key, "summary-email"):
        return ctx.result(manager=manager)
    items = "".join(f"<li>{line}</li>" for line in lines)
    html = (
        f"<p>{escape(person['full_name'])} ({person['email']}) was offboarded. Reason: {escape(person['reason'])}.</p>"
        f"<ul>{items}</ul>"
    )

    def send() -> str:
        mail = sendgrid.send(recipient, f"Offboarding of {person['full_name']}", html=html, categories=["offboarding"])
        ledger.mark_done(ctx.request_key, "summary-email", ctx.execution_id)
        return mail.message_id or ""

    who = "the manager" if manager else "the requester (no manager on record)"
    ctx.change("sendgrid", "send mail", f"mail:{recipient}", send, line=f"sent the summary to {who}, {recipient}")
    return ctx.result(manager=manager)
