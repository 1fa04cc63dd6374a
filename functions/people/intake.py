"""Requests become workflow input: issue form deliveries (the RequestIntake route target) and
slash commands (the command worker) end in the same `<workflow>.requested` event."""

from __future__ import annotations

from typing import Any

from functions.core.manifest import command_request
from functions.people import forms
from functions.people.models import Origin, WorkflowInput

LABELS = {"onboarding": forms.ONBOARDING_FIELDS, "offboarding": forms.OFFBOARDING_FIELDS}
NEEDS_INFO = "needs-info"
# Issue events that (re)start a request: a new or reopened issue, the label added, the form edited.
_ACTIONS = {"opened", "reopened", "labeled", "edited"}


def from_issue(detail: dict[str, Any], requests_repo: str) -> tuple[str, WorkflowInput] | None:
    """The workflow and its input for an `issues.*` event, or None when it starts nothing."""
    issue = detail.get("issue") or {}
    action = detail.get("action")
    repo = detail.get("repository")
    if action not in _ACTIONS or not isinstance(repo, str) or repo.lower() != requests_repo.lower():
        return None
    if issue.get("state") == "closed":
        return None
    labels = [label for label in issue.get("labels") or [] if label in LABELS]
    if len(labels) != 1:
        return None  # no request label, or both: nothing to decide on
    (workflow,) = labels
    if action == "labeled" and detail.get("label") != workflow:
        return None  # another label, e.g. our own needs-info
    if action == "edited" and "body" not in (detail.get("changed") or []):
        return None
    number = issue.get("number")
    request = forms.parse(str(issue.get("body") or ""), LABELS[workflow])
    origin = Origin(kind="github", repo=repo, issue=number, author=issue.get("author") or detail.get("sender"))
    return workflow, WorkflowInput(request=request, origin=origin, request_key=f"github:{repo}#{number}")


def from_command(
    workflow: str, args: dict[str, Any], requested_by: str | None, detail: dict[str, Any]
) -> WorkflowInput:
    """`/platform onboard ...` / `/platform offboard ...` arguments as the same input."""
    if workflow == "onboarding":
        request = {
            "full_name": args.get("name"),
            "email": args.get("email"),
            "github_username": args.get("github"),
            "team": args.get("team"),
            "manager": args.get("manager"),
            "start_date": args.get("start"),
        }
    else:
        request = {
            "email": args.get("email"),
            "github_username": args.get("github"),
            "last_day": args.get("last_day"),
            "reason": args.get("reason"),
        }
    origin = Origin.model_validate(command_request(requested_by, detail)["origin"])
    key = f"slack:{workflow}:{str(request.get('email') or '').lower()}"
    return WorkflowInput(request=request, origin=origin, request_key=key, requested_by=requested_by)


def onboarding_input(args: dict[str, Any], requested_by: str | None, detail: dict[str, Any]) -> dict[str, Any]:
    """The onboarding manifest's Slack command input (functions/onboarding/workflow.py)."""
    return from_command("onboarding", args, requested_by, detail).model_dump(mode="json")


def offboarding_input(args: dict[str, Any], requested_by: str | None, detail: dict[str, Any]) -> dict[str, Any]:
    """The offboarding manifest's Slack command input (functions/offboarding/workflow.py)."""
    return from_command("offboarding", args, requested_by, detail).model_dump(mode="json")
