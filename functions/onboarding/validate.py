"""Onboarding validation: every problem with a request at once, and the plan when there is none."""

from __future__ import annotations

from datetime import date
from typing import TYPE_CHECKING, Any

from functions.people import forms
from functions.people.forms import email_problem
from functions.people.models import OnboardingRequest

if TYPE_CHECKING:
    from collections.abc import Callable

    from functions.adapters.github import GitHub
    from functions.adapters.okta import Okta
    from functions.core.config import PlatformConfig

LABELS = {key: label for label, key in forms.ONBOARDING_FIELDS.items()}
ACTIVE = {"ACTIVE", "PROVISIONED", "STAGED", "RECOVERY", "PASSWORD_EXPIRED", "LOCKED_OUT"}


def split_name(full_name: str) -> tuple[str, str]:
    parts = full_name.split()
    return (parts[0], " ".join(parts[1:]) or parts[0]) if parts else ("", "")


def validate(
    request: OnboardingRequest,
    config: PlatformConfig,
    okta: Okta,
    github: GitHub,
    *,
    request_key: str,
    owner: Callable[[str, str], str | None],
) -> dict[str, Any]:
    problems = [f"**{LABELS[key]}** is missing" for key, value in request.model_dump().items() if not value]
    problems += forms.field_problems(request.model_dump(), LABELS)  # lengths, one line, no markup
    domains = [d.lower() for d in config.organization.email_domains]
    for key in ("email", "manager"):
        value = getattr(request, key)
        problem = email_problem(LABELS[key], value, domains) if value else None
        if problem:
            problems.append(problem)
    team = config.teams.get(request.team or "") if request.team else None
    if request.team and team is None:
        problems.append(f"**Team** {forms.code(request.team)} is not a team (known: {', '.join(sorted(config.teams))})")
    if request.start_date:
        try:
            date.fromisoformat(request.start_date)
        except ValueError:
            problems.append(f"**Start date** {forms.code(request.start_date)} is not a date (YYYY-MM-DD)")
    if request.github_username and github.get_user(request.github_username) is None:
        problems.append(f"**GitHub username** {forms.code(request.github_username)} does not exist on GitHub")
    if request.email and forms.EMAIL.match(request.email):
        existing = okta.find_user(request.email)
        if existing is not None and existing.status in ACTIVE and owner("okta-user", request.email) != request_key:
            problems.append(f"{forms.code(request.email)} is already active in Okta ({existing.status.lower()})")
    if problems or team is None:
        return {"ok": False, "problems": problems}
    first, last = split_name(request.full_name or "")
    person = {**request.model_dump(), "first_name": first, "last_name": last}
    return {
        "ok": True,
        "problems": [],
        "person": person,
        "team": request.team,
        "requires_approval": team.requires_approval,
        "approvers": list(team.approvers),
        "approvers_from": f"teams.{request.team}.approvers",
        "approval_timeout_s": config.onboarding.approval_timeout_hours * 3600,
        "summary": f"Onboard {request.full_name} ({request.email}) to {request.team}, starting {request.start_date}",
        "plan": plan(person, request.team or "", config),
    }


def plan(person: dict[str, Any], team_name: str, config: PlatformConfig) -> list[str]:
    team = config.teams[team_name]
    lines = [
        f"Okta: create {person['email']}" + (f", groups {', '.join(team.okta_groups)}" if team.okta_groups else "")
    ]
    access = [f"{a.permission_set} in {a.account}" for a in team.aws_access] + [f"group {g}" for g in team.aws_groups]
    if access:
        lines.append(f"AWS IAM Identity Center: {', '.join(access)}")
    github = f"GitHub: {person['github_username']} in {config.github.org}"
    lines.append(github + (f", teams {', '.join(team.github_teams)}" if team.github_teams else ""))
    lines.append(f"Welcome email to {person['email']}")
    lines.append(f"Notice in {team.slack_channel or config.slack.channels.notifications}")
    return lines
