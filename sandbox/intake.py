"""Local runs of onboarding and offboarding from a recorded GitHub webhook delivery (what
`events/github/` holds): the issue is opened in the GitHub fake, as GitHub would have it, and the
delivery goes through the same intake code as in AWS to become the workflow's input."""

from __future__ import annotations

from typing import Any

from functions.ingress.github_events import Delivery, normalize
from functions.people.intake import from_issue


class NotARequest(ValueError):  # noqa: N818 - a verdict on the event
    pass


def is_issue_delivery(event: Any) -> bool:
    return (
        isinstance(event, dict) and isinstance(event.get("issue"), dict) and isinstance(event.get("repository"), dict)
    )


def workflow_input(workflow: str, delivery: dict[str, Any], requests_repo: str, github_fake: Any) -> dict[str, Any]:
    issue, repo = delivery["issue"], delivery["repository"]["full_name"]
    if not github_fake.has_issue(repo, issue["number"]):
        labels = [label["name"] for label in issue.get("labels", [])]
        author = (issue.get("user") or {}).get("login")
        github_fake.add_issue(repo, issue["title"], issue.get("body") or "", labels, author, number=issue["number"])
    detail = normalize(Delivery("issues", "local-run", delivery))
    found = from_issue(detail or {}, requests_repo)
    if found is None:
        raise NotARequest(f"the delivery is not an onboarding/offboarding request on {requests_repo}")
    started, value = found
    if started != workflow:
        raise NotARequest(f"the delivery is a {started} request, not {workflow}")
    return value.model_dump(mode="json")
