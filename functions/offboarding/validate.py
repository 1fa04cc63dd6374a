"""Offboarding validation: every problem at once, and the plan (what the person still has)."""

from __future__ import annotations

from datetime import date
from typing import TYPE_CHECKING, Any

from functions.people import forms
from functions.people.forms import email_problem
from functions.people.models import OffboardingRequest

if TYPE_CHECKING:
    from functions.adapters.github import GitHub
    from functions.adapters.okta import Okta
    from functions.core.config import PlatformConfig

LABELS = {key: label for label, key in forms.OFFBOARDING_FIELDS.items()}


def approvers(config: PlatformConfig) -> list[str]:
    if config.offboarding.approvers:
        return list(config.offboarding.approvers)
    return sorted({email for team in config.teams.values() for email in team.approvers})


def validate(request: OffboardingRequest, config: PlatformConfig, okta: Okta, github: GitHub) -> dict[str, Any]:
    problems = [f"**{LABELS[key]}** is missing" for key, value in request.model_dump().items() if not value]
    domains = [d.lower() for d in config.organization.email_domains]
    user = None
    if request.email:
        problem = email_problem(LABELS["email"], request.email, domains)
        if problem:
            problems.append(problem)
        else:
            user = okta.find_user(request.email)
            if user is None:
                problems.append(f"`{request.email}` is not a user in Okta")
    if request.last_day:
        try:
            date.fromisoformat(request.last_day)
        except ValueError:
            problems.append(f"**Last day** `{request.last_day}` is not a date (YYYY-MM-DD)")
    if request.github_username and github.get_user(request.github_username) is None:
        problems.append(f"**GitHub username** `{request.github_username}` does not exist on GitHub")
    if problems or user is None:
        return {"ok": False, "problems": problems}
    name = f"{user.first_name} {user.last_name}".strip() or user.login
    person = {**request.model_dump(), "full_name": name, "okta_status": user.status}
    return {
        "ok": True,
        "problems": [],
        "person": person,
        "requires_approval": config.offboarding.requires_approval,
        "approvers": approvers(config),
        "approval_timeout_s": config.offboarding.approval_timeout_hours * 3600,
        "summary": f"Offboard {name} ({request.email}), last day {request.last_day}: {request.reason}",
        "plan": [
            f"Okta: clear sessions, deactivate {request.email}, remove from every group",
            "AWS: remove IAM Identity Center group memberships and account assignments; deactivate IAM access keys",
            f"GitHub: remove {request.github_username} from {config.github.org}",
            "PagerDuty: remove the user (or report the schedules they are on)",
            f"Notice in {config.slack.channels.notifications} and a summary email to the manager",
        ],
    }
