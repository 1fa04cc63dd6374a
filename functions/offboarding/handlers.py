"""Offboarding step handlers: each takes the execution's state and calls one step."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from aws_lambda_powertools.utilities.typing import LambdaContext

from functions.core.runtime import config, logger
from functions.offboarding import steps
from functions.offboarding.validate import validate as check
from functions.people import report, vendors
from functions.people.context import Context, context
from functions.people.handlers import ORDERS, validated
from functions.people.models import OffboardingRequest, WorkflowInput

if TYPE_CHECKING:
    from functions.adapters.github import GitHub

WORKFLOW = "offboarding"
STEPS = ORDERS[WORKFLOW]


def _ctx(event: dict[str, Any]) -> Context:
    return context(WORKFLOW, event["state"], event["execution_id"], config())


def _person(event: dict[str, Any]) -> dict[str, Any]:
    return dict(event["state"]["validation"]["person"])


def _done_lines(event: dict[str, Any]) -> list[str]:
    done = event["state"].get("steps") or {}
    return [line for name in STEPS for line in (done.get(name) or {}).get("summary", [])]


@logger.inject_lambda_context(correlation_id_path="execution_id")
def validate(event: dict[str, Any], _: LambdaContext) -> dict[str, Any]:
    def check_request(state: WorkflowInput, github: GitHub) -> dict[str, Any]:
        return check(OffboardingRequest.model_validate(state.request), config(), vendors.okta(), github)

    return validated(WORKFLOW, event, check_request)


@logger.inject_lambda_context(correlation_id_path="execution_id")
def deactivate_okta(event: dict[str, Any], _: LambdaContext) -> dict[str, Any]:
    return steps.deactivate_okta(_ctx(event), _person(event), vendors.okta())


@logger.inject_lambda_context(correlation_id_path="execution_id")
def remove_okta_groups(event: dict[str, Any], _: LambdaContext) -> dict[str, Any]:
    return steps.remove_okta_groups(_ctx(event), _person(event), vendors.okta())


@logger.inject_lambda_context(correlation_id_path="execution_id")
def remove_aws_access(event: dict[str, Any], _: LambdaContext) -> dict[str, Any]:
    accounts = list(config().aws.accounts.values())
    return steps.remove_aws_access(_ctx(event), _person(event), accounts, vendors.identity_center(), vendors.iam())


@logger.inject_lambda_context(correlation_id_path="execution_id")
def remove_github(event: dict[str, Any], _: LambdaContext) -> dict[str, Any]:
    return steps.remove_github(_ctx(event), _person(event), config().github.org, vendors.github())


@logger.inject_lambda_context(correlation_id_path="execution_id")
def remove_pagerduty(event: dict[str, Any], _: LambdaContext) -> dict[str, Any]:
    pagerduty = vendors.pagerduty() if config().pagerduty else None
    return steps.remove_pagerduty(_ctx(event), _person(event), pagerduty)


@logger.inject_lambda_context(correlation_id_path="execution_id")
def notify(event: dict[str, Any], _: LambdaContext) -> dict[str, Any]:
    cfg = config()
    sendgrid = vendors.sendgrid() if cfg.sendgrid else None
    channel = cfg.slack.channels.notifications
    lines = _done_lines(event)
    return steps.notify(_ctx(event), _person(event), lines, channel, slack=vendors.slack(), sendgrid=sendgrid)


@logger.inject_lambda_context(correlation_id_path="execution_id")
def finish(event: dict[str, Any], _: LambdaContext) -> dict[str, Any]:
    ctx, state = _ctx(event), WorkflowInput.model_validate(event["state"])
    person, lines = _person(event), _done_lines(event)
    done = event["state"].get("steps") or {}
    kept = (done.get("RemovePagerDuty") or {}).get("kept_on_schedules") or []
    approval = event["state"].get("approval") or {}
    verdict = "would be offboarded (dry run: nothing was changed)" if ctx.dry_run else "is offboarded"
    head = [f"**{person['full_name']}** ({person['email']}) {verdict}; last day {person['last_day']}."]
    if approval.get("approver"):
        head.append(f"Approved by {approval['approver']}.")
    if kept:
        head.append(f"**Needs a person:** PagerDuty kept the user, who is on {', '.join(kept)}.")
    text = "\n".join([*head, "", *(f"- {line}" for line in lines)])
    if not ctx.dry_run:
        report.finish(ctx, state.origin, vendors.github(), "done", text, close="completed")
    return {
        "status": "planned" if ctx.dry_run else "offboarded",
        "person": person,
        "summary": lines,
        "needs_attention": [f"PagerDuty schedules: {', '.join(kept)}"] if kept else [],
        "calls": [call for name in STEPS for call in (done.get(name) or {}).get("would", [])],
        "answered": ctx.summary,
    }
