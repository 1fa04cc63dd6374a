"""Offboarding step handlers: each takes the execution's state and calls one step."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from aws_lambda_powertools.utilities.typing import LambdaContext

from functions.adapters import vendors
from functions.core.envelope import Task
from functions.core.observability import step
from functions.core.runtime import config
from functions.offboarding import steps
from functions.offboarding.validate import validate as check
from functions.people import report
from functions.people.handlers import (
    done_lines,
    planned_calls,
    step_context,
    summary_text,
    validated,
)
from functions.people.models import OffboardingRequest, StepState

if TYPE_CHECKING:
    from functions.adapters.github import GitHub

WORKFLOW = "offboarding"


@step(StepState)
def validate(task: Task[StepState], _: LambdaContext) -> dict[str, Any]:
    def check_request(state: StepState, github: GitHub) -> dict[str, Any]:
        request = OffboardingRequest.model_validate(state.request)
        return check(request, config(), github, vendors.directory(links=("iam",)))

    return validated(task, check_request)


@step(StepState)
def deactivate_okta(task: Task[StepState], _: LambdaContext) -> dict[str, Any]:
    return steps.deactivate_okta(step_context(task), task.state.person, vendors.okta())


@step(StepState)
def remove_okta_groups(task: Task[StepState], _: LambdaContext) -> dict[str, Any]:
    return steps.remove_okta_groups(step_context(task), task.state.person, vendors.okta())


@step(StepState)
def remove_aws_access(task: Task[StepState], _: LambdaContext) -> dict[str, Any]:
    accounts = list(config().aws.accounts.values())
    return steps.remove_aws_access(
        step_context(task), task.state.person, accounts, vendors.identity_center(), vendors.iam()
    )


@step(StepState)
def remove_github(task: Task[StepState], _: LambdaContext) -> dict[str, Any]:
    return steps.remove_github(step_context(task), task.state.person, config().github.org, vendors.github())


@step(StepState)
def remove_pagerduty(task: Task[StepState], _: LambdaContext) -> dict[str, Any]:
    pagerduty = vendors.pagerduty() if config().pagerduty else None
    return steps.remove_pagerduty(step_context(task), task.state.person, pagerduty)


@step(StepState)
def notify(task: Task[StepState], _: LambdaContext) -> dict[str, Any]:
    cfg = config()
    sendgrid = vendors.sendgrid() if cfg.sendgrid else None
    channel = cfg.slack.channels.notifications
    lines = done_lines(WORKFLOW, task.state)
    return steps.notify(step_context(task), task.state.person, lines, channel, slack=vendors.slack(), sendgrid=sendgrid)


@step(StepState)
def finish(task: Task[StepState], _: LambdaContext) -> dict[str, Any]:
    ctx, state = step_context(task), task.state
    person, lines = task.state.person, done_lines(WORKFLOW, task.state)
    kept = state.steps.get("RemovePagerDuty", {}).get("kept_on_schedules") or []
    verdict = "would be offboarded (dry run: nothing was changed)" if ctx.dry_run else "is offboarded"
    head = [f"**{person['full_name']}** ({person['email']}) {verdict}; last day {person['last_day']}."]
    if kept:
        head.append(f"**Needs a person:** PagerDuty kept the user, who is on {', '.join(kept)}.")
    text = summary_text(head, task.state, lines)
    if not ctx.dry_run:
        report.finish(ctx, state.origin, vendors.github(), "done", text, close="completed")
    return {
        "status": "planned" if ctx.dry_run else "offboarded",
        "person": person,
        "summary": lines,
        "needs_attention": [f"PagerDuty schedules: {', '.join(kept)}"] if kept else [],
        "calls": planned_calls(WORKFLOW, task.state),
        "answered": ctx.summary,
    }
