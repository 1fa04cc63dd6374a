"""Onboarding step handlers: each takes the execution's state, calls one step, returns its result
(the definition puts it at `$.steps.<Step>`)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from aws_lambda_powertools.utilities.typing import LambdaContext

from functions.adapters import vendors
from functions.core.envelope import Task
from functions.core.observability import step
from functions.core.runtime import config
from functions.onboarding import steps
from functions.onboarding.validate import validate as check
from functions.people import ledger, report
from functions.people.handlers import (
    done_lines,
    planned_calls,
    step_context,
    summary_text,
    validated,
)
from functions.people.models import OnboardingRequest, Origin, StepState

if TYPE_CHECKING:
    from functions.adapters.github import GitHub

WORKFLOW = "onboarding"


@step(StepState)
def validate(task: Task[StepState], _: LambdaContext) -> dict[str, Any]:
    def check_request(state: StepState, github: GitHub) -> dict[str, Any]:
        request = OnboardingRequest.model_validate(state.request)
        return check(request, config(), vendors.okta(), github, request_key=state.request_key, owner=ledger.owner)

    return validated(task, check_request)


@step(StepState)
def create_okta_user(task: Task[StepState], _: LambdaContext) -> dict[str, Any]:
    return steps.create_okta_user(step_context(task), task.state.person, vendors.okta())


@step(StepState)
def assign_okta_groups(task: Task[StepState], _: LambdaContext) -> dict[str, Any]:
    person = task.state.person
    return steps.assign_okta_groups(
        step_context(task), person, config().teams[person["team"]].okta_groups, vendors.okta()
    )


@step(StepState)
def grant_aws_access(task: Task[StepState], _: LambdaContext) -> dict[str, Any]:
    cfg, person = config(), task.state.person
    team = cfg.teams[person["team"]]
    return steps.grant_aws_access(step_context(task), person, team, dict(cfg.aws.accounts), vendors.identity_center())


@step(StepState)
def add_github_teams(task: Task[StepState], _: LambdaContext) -> dict[str, Any]:
    cfg, person = config(), task.state.person
    teams = cfg.teams[person["team"]].github_teams
    return steps.add_github_teams(step_context(task), person, cfg.github.org, teams, vendors.github())


@step(StepState)
def send_welcome(task: Task[StepState], _: LambdaContext) -> dict[str, Any]:
    sendgrid = vendors.sendgrid() if config().sendgrid else None
    return steps.send_welcome(step_context(task), task.state.person, sendgrid)


@step(StepState)
def notify_slack(task: Task[StepState], _: LambdaContext) -> dict[str, Any]:
    cfg, person = config(), task.state.person
    channel = cfg.teams[person["team"]].slack_channel or cfg.slack.channels.notifications
    return steps.notify_slack(step_context(task), person, channel, vendors.slack())


@step(StepState)
def finish(task: Task[StepState], _: LambdaContext) -> dict[str, Any]:
    """The summary comment, then close the issue (or answer in Slack); the execution's output."""
    ctx, state = step_context(task), task.state
    person, lines = task.state.person, done_lines(WORKFLOW, task.state)
    verdict = "would be onboarded (dry run: nothing was changed)" if ctx.dry_run else "is onboarded"
    who = f"**{person['full_name']}** ({person['email']})"
    head = [f"{who} {verdict} to **{person['team']}**, starting {person['start_date']}."]
    text = summary_text(head, task.state, lines)
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
        "calls": planned_calls(WORKFLOW, task.state),
        "answered": ctx.summary,
    }


def _reported(origin: Origin, github: GitHub) -> bool:
    """Whether the issue already has this workflow's summary comment."""
    if origin.kind != "github":
        return False
    repo, number = origin.issue_ref()
    return github.find_comment(repo, number, report.marker(WORKFLOW, "done")) is not None
