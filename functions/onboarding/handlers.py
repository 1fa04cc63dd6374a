"""Onboarding step handlers: each takes the execution's state, calls one step, returns its result
(the definition puts it at `$.steps.<Step>`)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from aws_lambda_powertools.utilities.typing import LambdaContext

from functions.adapters import vendors
from functions.core.observability import step
from functions.core.runtime import config
from functions.onboarding import steps
from functions.onboarding.validate import validate as check
from functions.people import ledger, report
from functions.people.context import Context
from functions.people.handlers import (
    done_lines,
    person_of,
    planned_calls,
    step_context,
    summary_text,
    validated,
)
from functions.people.models import OnboardingRequest, Origin, WorkflowInput

if TYPE_CHECKING:
    from functions.adapters.github import GitHub

WORKFLOW = "onboarding"


def _ctx(event: dict[str, Any]) -> Context:
    return step_context(WORKFLOW, event)


@step("execution_id")
def validate(event: dict[str, Any], _: LambdaContext) -> dict[str, Any]:
    def check_request(state: WorkflowInput, github: GitHub) -> dict[str, Any]:
        request = OnboardingRequest.model_validate(state.request)
        return check(request, config(), vendors.okta(), github, request_key=state.request_key, owner=ledger.owner)

    return validated(WORKFLOW, event, check_request)


@step("execution_id")
def create_okta_user(event: dict[str, Any], _: LambdaContext) -> dict[str, Any]:
    return steps.create_okta_user(_ctx(event), person_of(event), vendors.okta())


@step("execution_id")
def assign_okta_groups(event: dict[str, Any], _: LambdaContext) -> dict[str, Any]:
    person = person_of(event)
    return steps.assign_okta_groups(_ctx(event), person, config().teams[person["team"]].okta_groups, vendors.okta())


@step("execution_id")
def grant_aws_access(event: dict[str, Any], _: LambdaContext) -> dict[str, Any]:
    cfg, person = config(), person_of(event)
    team = cfg.teams[person["team"]]
    return steps.grant_aws_access(_ctx(event), person, team, dict(cfg.aws.accounts), vendors.identity_center())


@step("execution_id")
def add_github_teams(event: dict[str, Any], _: LambdaContext) -> dict[str, Any]:
    cfg, person = config(), person_of(event)
    teams = cfg.teams[person["team"]].github_teams
    return steps.add_github_teams(_ctx(event), person, cfg.github.org, teams, vendors.github())


@step("execution_id")
def send_welcome(event: dict[str, Any], _: LambdaContext) -> dict[str, Any]:
    sendgrid = vendors.sendgrid() if config().sendgrid else None
    return steps.send_welcome(_ctx(event), person_of(event), sendgrid)


@step("execution_id")
def notify_slack(event: dict[str, Any], _: LambdaContext) -> dict[str, Any]:
    cfg, person = config(), person_of(event)
    channel = cfg.teams[person["team"]].slack_channel or cfg.slack.channels.notifications
    return steps.notify_slack(_ctx(event), person, channel, vendors.slack())


@step("execution_id")
def finish(event: dict[str, Any], _: LambdaContext) -> dict[str, Any]:
    """The summary comment, then close the issue (or answer in Slack); the execution's output."""
    ctx, state = _ctx(event), WorkflowInput.model_validate(event["state"])
    person, lines = person_of(event), done_lines(WORKFLOW, event["state"])
    verdict = "would be onboarded (dry run: nothing was changed)" if ctx.dry_run else "is onboarded"
    who = f"**{person['full_name']}** ({person['email']})"
    head = [f"{who} {verdict} to **{person['team']}**, starting {person['start_date']}."]
    text = summary_text(head, event["state"], lines)
    if not ctx.dry_run:
        keys = ("full_name", "team", "manager", "github_username", "start_date")
        ledger.remember_person(person["email"], {key: person[key] for key in keys}, ctx.execution_id)
        github = vendors.github()
        if lines or not _reported(state.origin, github):  # a replay that found all done says nothing twice
            report.finish(ctx, state.origin, github, "done", text, close="completed")
    return {
        "status": "planned" if ctx.dry_run else "onboarded",
        "person": person,
        "summary": lines,
        "calls": planned_calls(WORKFLOW, event["state"]),
        "answered": ctx.summary,
    }


def _reported(origin: Origin, github: GitHub) -> bool:
    """Whether the issue already has this workflow's summary comment."""
    if origin.kind != "github":
        return False
    repo, number = origin.issue_ref()
    return github.find_comment(repo, number, report.marker(WORKFLOW, "done")) is not None
