"""The onboarding steps. Each looks before it creates, so a retried step, a replayed event or a
re-run after a partial failure changes only what is missing; each returns what it did (or, in a
dry run, would do) and how to undo what it created."""

from __future__ import annotations

from functools import partial
from typing import TYPE_CHECKING, Any

from functions.core.text import mrkdwn
from functions.people import ledger
from functions.people.context import Context

if TYPE_CHECKING:
    from functions.adapters.aws_identity import IdentityCenter
    from functions.adapters.github import GitHub
    from functions.adapters.okta import Okta
    from functions.adapters.sendgrid import SendGrid
    from functions.adapters.slack import Slack

PENDING = "(to be created)"


class StepError(Exception):
    """A problem no retry can fix (a configured group that does not exist): compensate and report."""


def create_okta_user(ctx: Context, person: dict[str, Any], okta: Okta) -> dict[str, Any]:
    email = person["email"]
    user = okta.find_user(email)
    if user is not None:
        owner = ledger.owner("okta-user", email)
        if owner not in (ctx.request_key, None) or (user.status == "DEPROVISIONED" and owner != ctx.request_key):
            raise StepError(f"Okta user {email} exists ({user.status}) and was not created by this request")
        # STAGED: created but never activated. DEPROVISIONED (and this request's): deactivated by the
        # compensation of an earlier run. PROVISIONED and the others are activated already.
        if user.status in ("STAGED", "DEPROVISIONED"):
            ctx.change(
                "okta",
                "activate user",
                f"okta:user/{user.id}",
                partial(okta.activate_user, user.id),
                line=f"activated Okta user {email}",
                before=user.status,
                after="activated",
                undo={"action": "okta.deactivate_user", "email": email},
            )
        return ctx.result(user_id=user.id, existed=True)

    # The identity directory's link from the person to their GitHub account starts here.
    link = {ctx.config.identity.github_attribute: person["github_username"]} if person.get("github_username") else {}

    def create() -> str:
        created = okta.create_user(
            person["first_name"], person["last_name"], email, login=email, activate=True, attributes=link
        )
        ledger.claim("okta-user", email, ctx.request_key, ctx.execution_id)
        return created.id

    user_id = ctx.change(
        "okta",
        "create user",
        f"okta:user/{email}",
        create,
        line=f"created Okta user {email}",
        after={"login": email, "status": "ACTIVE", **link},
        undo={"action": "okta.deactivate_user", "email": email},
    )
    return ctx.result(user_id=user_id or PENDING, existed=False)


def assign_okta_groups(ctx: Context, person: dict[str, Any], groups: list[str], okta: Okta) -> dict[str, Any]:
    user = okta.find_user(person["email"])
    current = {g.name for g in okta.list_user_groups(user.id)} if user else set()
    user_id = user.id if user else PENDING
    for name in groups:
        group = okta.find_group(name)
        if group is None:
            raise StepError(f"Okta group {name!r} (teams.{person['team']}.okta_groups) does not exist")
        if name in current:
            continue
        ctx.change(
            "okta",
            "add group member",
            f"okta:group/{group.id}/user/{user_id}",
            partial(okta.add_to_group, group.id, user_id),
            line=f"added {person['email']} to Okta group {name}",
            undo={"action": "okta.remove_from_group", "group_id": group.id, "email": person["email"]},
        )
    return ctx.result()


def grant_aws_access(
    ctx: Context, person: dict[str, Any], team: Any, accounts: dict[str, str], ic: IdentityCenter
) -> dict[str, Any]:
    if not team.aws_access and not team.aws_groups:
        return ctx.result()
    email = person["email"]
    user = ic.find_user(email)
    user_id = user.user_id if user else None
    if user is None:

        def create() -> str:
            created = ic.create_user(email, person["full_name"], person["first_name"], person["last_name"], email)
            ledger.claim("identity-center-user", email, ctx.request_key, ctx.execution_id)
            return created.user_id

        user_id = ctx.change(
            "aws",
            "identitystore CreateUser",
            f"identitystore:user/{email}",
            create,
            line=f"created IAM Identity Center user {email}",
            undo={"action": "ic.delete_user", "email": email},
        )
    memberships = {m.group_name for m in ic.list_memberships_for_user(user.user_id)} if user else set()
    for name in team.aws_groups:
        group = ic.find_group(name)
        if group is None:
            raise StepError(f"IAM Identity Center group {name!r} (teams.{person['team']}.aws_groups) does not exist")
        if name in memberships:
            continue
        ctx.change(
            "aws",
            "identitystore CreateGroupMembership",
            f"identitystore:group/{group.group_id}/user/{user_id or PENDING}",
            partial(ic.add_to_group, group.group_id, str(user_id)),
            line=f"added {email} to IAM Identity Center group {name}",
            undo={"action": "ic.remove_from_group", "group_id": group.group_id, "email": email},
        )
    assignments = ic.list_assignments_for_user(user.user_id) if user else []
    existing = {(a.account_id, a.permission_set_name) for a in assignments}
    for access in team.aws_access:
        account_id = accounts[access.account]
        if (account_id, access.permission_set) in existing:
            continue
        ctx.change(
            "aws",
            "sso-admin CreateAccountAssignment",
            f"sso:account/{account_id}/permission-set/{access.permission_set}/user/{user_id or PENDING}",
            partial(ic.assign_permission_set, account_id, access.permission_set, str(user_id)),
            line=f"granted {access.permission_set} in {access.account} ({account_id}) to {email}",
            undo={
                "action": "ic.remove_assignment",
                "account_id": account_id,
                "permission_set": access.permission_set,
                "email": email,
            },
        )
    return ctx.result()


def add_github_teams(
    ctx: Context, person: dict[str, Any], org: str, teams: list[str], github: GitHub
) -> dict[str, Any]:
    login = person["github_username"]
    if github.get_membership(org, login) is None:
        ctx.change(
            "github",
            "set org membership",
            f"github:orgs/{org}/memberships/{login}",
            lambda: github.set_membership(org, login),
            line=f"invited {login} to the {org} GitHub organisation",
            undo={"action": "github.remove_member", "org": org, "login": login},
        )
    for slug in teams:
        if github.get_team(org, slug) is None:
            raise StepError(f"GitHub team {slug!r} (teams.{person['team']}.github_teams) does not exist in {org}")
        if github.get_team_membership(org, slug, login) is not None:
            continue
        ctx.change(
            "github",
            "add team member",
            f"github:orgs/{org}/teams/{slug}/memberships/{login}",
            partial(github.add_team_member, org, slug, login),
            line=f"added {login} to GitHub team {slug}",
            undo={"action": "github.remove_team_member", "org": org, "team": slug, "login": login},
        )
    return ctx.result()


def send_welcome(ctx: Context, person: dict[str, Any], sendgrid: SendGrid | None) -> dict[str, Any]:
    if sendgrid is None:
        ctx.summary.append("no welcome email: sendgrid is not configured")
        return ctx.result()
    if ledger.done(ctx.request_key, "welcome-email"):
        return ctx.result()
    keys = ("first_name", "team", "start_date", "manager", "github_username")
    data = {key: person[key] for key in keys}

    def send() -> str:
        if "welcome" in ctx.config.sendgrid.templates:  # type: ignore[union-attr]
            mail = sendgrid.send_template(person["email"], "welcome", data, categories=["onboarding"])
        else:
            html = (
                f"<p>Welcome, {person['first_name']}!</p><p>You join <b>{person['team']}</b> on "
                f"{person['start_date']}; your manager is {person['manager']}. Your Okta, GitHub and AWS "
                "accounts are ready: Okta sends your activation link separately.</p>"
            )
            mail = sendgrid.send(person["email"], "Welcome aboard", html=html, categories=["onboarding"])
        ledger.mark_done(ctx.request_key, "welcome-email", ctx.execution_id)
        return mail.message_id or ""

    ctx.change(
        "sendgrid", "send mail", f"mail:{person['email']}", send, line=f"sent the welcome email to {person['email']}"
    )
    return ctx.result()


def notify_slack(ctx: Context, person: dict[str, Any], channel: str, slack: Slack) -> dict[str, Any]:
    if ledger.done(ctx.request_key, "slack-notice"):
        return ctx.result()
    text = (
        f":wave: {mrkdwn(person['full_name'])} joins *{person['team']}* on {person['start_date']} "
        f"(manager {person['manager']}, GitHub `{person['github_username']}`)."
    )

    def post() -> str:
        message = slack.post_message(channel, text)
        ledger.mark_done(ctx.request_key, "slack-notice", ctx.execution_id)
        return message.ts

    ctx.change("slack", "post message", f"slack:{channel}", post, line=f"announced the new hire in {channel}")
    return ctx.result()
