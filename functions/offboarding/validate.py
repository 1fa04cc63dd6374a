"""Offboarding validation: every problem at once, and the plan (what the person still has)."""

from __future__ import annotations

from datetime import date
from typing import TYPE_CHECKING, Any

from functions.people import forms
from functions.people.forms import email_problem
from functions.people.models import OffboardingRequest

if TYPE_CHECKING:
    from functions.adapters.github import GitHub
    from functions.core.config import PlatformConfig
    from functions.core.identity import Directory, Person

LABELS = {key: label for label, key in forms.OFFBOARDING_FIELDS.items()}


# Where offboarding's approvers come from; read again when someone decides.
APPROVERS_FROM = "offboarding.approvers|teams.*.approvers"


def _not_theirs(login: str, person: Person, link: str) -> list[str]:
    """The named GitHub account must be the one the directory links to the person (`link` says
    through what), or nobody's is touched."""
    if person.github is None:
        why = person.missing.get("github", "no link")
        return [
            f"**GitHub username** {forms.code(login)} cannot be checked: {person.email} has no GitHub account "
            f"linked through {link} ({why}); link it there, then edit this issue"
        ]
    if person.github != login.lower():
        return [
            f"**GitHub username** {forms.code(login)} is not {person.email}'s GitHub account "
            f"({link} links them to {forms.code(person.github)}); nothing will be done to it"
        ]
    return []


def approvers(config: PlatformConfig) -> list[str]:
    from functions.core.approvals import configured_approvers

    return configured_approvers(config, APPROVERS_FROM)


def validate(
    request: OffboardingRequest, config: PlatformConfig, github: GitHub, directory: Directory
) -> dict[str, Any]:
    """Every problem at once; when there is none, the person the identity directory resolves from
    the email (its one Okta read), with the accounts that are theirs (the later steps act on those
    and nothing else)."""
    problems = [f"**{LABELS[key]}** is missing" for key, value in request.model_dump().items() if not value]
    problems += forms.field_problems(request.model_dump(), LABELS)  # lengths, one line, no markup
    domains = [d.lower() for d in config.organization.email_domains]
    found = None
    if request.email:
        problem = email_problem(LABELS["email"], request.email, domains)
        if problem:
            problems.append(problem)
        else:
            found = directory.person(request.email)
            if found is None or found.okta_id is None:
                found = None
                problems.append(f"{forms.code(request.email)} is not a user in Okta")
    if request.last_day:
        try:
            date.fromisoformat(request.last_day)
        except ValueError:
            problems.append(f"**Last day** {forms.code(request.last_day)} is not a date (YYYY-MM-DD)")
    if request.github_username and github.get_user(request.github_username) is None:
        problems.append(f"**GitHub username** {forms.code(request.github_username)} does not exist on GitHub")
    if found is not None and request.github_username and not problems:
        problems += _not_theirs(request.github_username, found, directory.github_link)
    if problems or found is None:
        return {"ok": False, "problems": problems}
    name = found.name or found.email
    person = {
        **request.model_dump(),
        "full_name": name,
        "okta_status": found.okta_status,
        # The leaver's IAM users are the ones tagged with their email (identity.iam_email_tag).
        "iam_users": list(found.iam_users),
    }
    return {
        "ok": True,
        "problems": [],
        "person": person,
        "requires_approval": config.offboarding.requires_approval,
        "approvers": approvers(config),
        "approvers_from": APPROVERS_FROM,
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
