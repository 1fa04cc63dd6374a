"""Offboarding step handlers: each takes the execution's state and calls one step."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from aws_lambda_powertools.utilities.typing import LambdaContext

from functions.adapters import vendors
from functions.core.observability import step
from functions.core.runtime import config
from functions.offboarding import steps
from functions.offboarding.validate import validate as check
from functions.people import report
from functions.people.context import Context
from functions.people.handlers import (
    done_lines,
    person_of,
    planned_calls,
    step_context,
    summary_text,
    validated,
)
from functions.people.models import OffboardingRequest, WorkflowInput

if TYPE_CHECKING:
    from functions.adapters.github import GitHub

WORKFLOW = "offboarding"


def _ctx(event: dict[str, Any]) -> Context:
    return step_context(WORKFLOW, event)


@step("execution_id")
def validate(event: dict[str, Any], _: LambdaContext) -> dict[str, Any]:
    def check_request(state: WorkflowInput, github: GitHub) -> dict[str, Any]:
        return check(OffboardingRequest.model_validate(state.request), config(), vendors.okta(), github)

    return validated(WORKFLOW, event, check_request)


@step("execution_id")
def deactivate_okta(event: dict[str, Any], _: LambdaContext) -> dict[str, Any]:
    return steps.deactivate_okta(_ctx(event), person_of(event), vendors.okta())


@step("execution_id")
def remove_okta_groups(event: dict[str, Any], _: LambdaContext) -> dict[str, Any]:
    return steps.remove_okta_groups(_ctx(event), person_of(event), vendors.okta())


@step("execution_id")
def remove_aws_access(event: dict[str, Any], _: LambdaContext) -> dict[str, Any]:
    accounts = list(config().aws.accounts.values())
    return steps.remove_aws_access(_ctx(event), person_of(event), accounts, vendors.identity_center(), vendors.iam())


@step("execution_id")
def remove_github(event: dict[str, Any], _: LambdaContext) -> dict[str, Any]:
    return steps.remove_github(_ctx(event), person_of(event), config().github.org, vendors.github())


@step("execution_id")
def remove_pagerduty(event: dict[str, Any], _: LambdaContext) -> dict[str, Any]:
    pagerduty = vendors.pagerduty() if config().pagerduty else None
    return steps.remove_pagerduty(_ctx(event), person_of(event), pagerduty)


@step("execution_id")
def notify(event: dict[str, Any], _: LambdaContext) -> dict[str, Any]:
    cfg = config()
    sendgrid = vendors.sendgrid() if cfg.sendgrid else None
    channel = cfg.slack.channels.notifications
    lines = done_lines(WORKFLOW, event["state"])
    return steps.notify(_ctx(event), person_of(event), lines, channel, slack=vendors.slack(), sendgrid=sendgrid)


@step("execution_id")
def finish(event: dict[str, Any], _: LambdaContext) -> dict[str, Any]:
    ctx, state = _ctx(event), WorkflowInput.model_validate(event["state"])
    person, lines = person_of(event), done_lines(WORKFLOW, event["state"])
    done = event["state"].get("steps") or {}
    kept = (done.get("RemovePagerDuty") or {}).get("kept_on_schedules") or []
    verdict = "would be offboarded (dry run: nothing was changed)" if ctx.dry_run else "is offboarded"
    head = [f"**{person['full_name']}** ({person['email']}) {verdict}; last day {person['last_day']}."]
    if kept:
        head.append(f"**Needs a person:** PagerDuty kept the user, who is on {', '.join(kept)}.")
    text = summary_text(head, event["state"], lines)
    if not ctx.dry_run:
        report.finish(ctx, state.origin, vendors.github(), "done", text, close="completed")
    return {
        "status": "planned" if ctx.dry_run else "offboarded",
        "person": person,
        "summary": lines,
        "needs_attention": [f"PagerDuty schedules: {', '.join(kept)}"] if kept else [],
        "calls": planned_calls(WORKFLOW, event["state"]),
        "answered": ctx.summary,
    }
