"""Handlers both people workflows share: request intake, and the ways a request ends other than
success (needs info, denied or timed out, failed and compensated)."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from aws_lambda_powertools.utilities.typing import LambdaContext

from functions.adapters import vendors
from functions.core import metrics, registry
from functions.core.change import ChangeContext
from functions.core.envelope import Task
from functions.core.observability import step
from functions.core.runtime import config, logger
from functions.core.text import code, failure_line, mrkdwn
from functions.people import filers, ledger, report
from functions.people.compensate import compensate as undo
from functions.people.context import Context, context
from functions.people.models import Origin, StepState

if TYPE_CHECKING:
    from functions.adapters.github import GitHub
    from functions.core.identity import Directory


def step_order(workflow: str) -> tuple[str, ...]:
    """The steps that change the world, in the definition's order (the workflow's manifest)."""
    return registry.workflow(workflow).steps


@step()
def intake(event: dict[str, Any], _: LambdaContext) -> dict[str, Any]:
    """Route target for issue events: a request form becomes `<workflow>.requested`."""
    from functions.core.bus import publish
    from functions.core.manifest import REQUESTS
    from functions.people.forms import untrimmed
    from functions.people.intake import from_issue

    cfg = config()
    found = from_issue(untrimmed(event.get("detail") or {}, vendors.github), cfg.github.requests_repo)
    if found is None:
        return {"started": None}
    workflow, workflow_input = found
    author = workflow_input.origin.author or ""
    github = vendors.github()
    reason = filers.Filers(cfg, vendors.directory(links=()), github, vendors.okta()).refusal(workflow, author)
    if reason is not None:
        changes = ChangeContext(
            execution_id=f"intake:{workflow_input.request_key}",
            actor=filers.ACTOR,
            requester=f"github:{author.lower()}",
            dry_run=workflow_input.dry_run,
        )
        filers.refuse(workflow, workflow_input, reason, github, changes)
        logger.info("request refused", extra={"workflow": workflow, "author": author, "reason": reason})
        return {"started": None, "refused": reason}
    event_id = publish(REQUESTS, f"{workflow}.requested", workflow_input.model_dump(mode="json"))
    logger.info("request", extra={"workflow": workflow, "request_key": workflow_input.request_key})
    return {"started": workflow, "event_id": event_id}


def validated(task: Task[StepState], check: Callable[[StepState, GitHub], dict[str, Any]]) -> dict[str, Any]:
    """A workflow's Validate step: `check` finds the problems (and the plan); who asked is added,
    and a request that is now valid loses its needs-info label."""
    state = task.state
    github = vendors.github()
    result = check(state, github)
    result["requester"] = requester_of(state.origin, state.requested_by, vendors.directory(links=()))
    logger.info("validated", extra={"ok": result["ok"], "problems": len(result["problems"])})
    if result["ok"] and not state.dry_run:
        report.clear_needs_info(context(task, config()), state.origin, github)
    return result


def requester_of(origin: Origin, requested_by: str | None, directory: Directory) -> str:
    """Who asked, as the email of the person the identity directory links the GitHub author to
    (never the GitHub profile's public email: anyone may show any address there), or
    `github:<login>` when nobody is linked to it."""
    if requested_by:
        return requested_by.lower()
    if origin.kind == "github" and origin.author:
        person = directory.person(f"github:{origin.author}")
        return person.email if person is not None else f"github:{origin.author.lower()}"
    return "unknown"


def step_context(task: Task[StepState]) -> Context:
    """The Context of a step: who asked and approved, dry run, the request it belongs to."""
    return context(task, config())


def done_lines(workflow: str, state: StepState) -> list[str]:
    """Every step's summary lines, in workflow order."""
    return [line for name in step_order(workflow) for line in state.steps.get(name, {}).get("summary", [])]


def planned_calls(workflow: str, state: StepState) -> list[dict[str, str]]:
    """In a dry run: every call the steps would have made, in workflow order."""
    return [call for name in step_order(workflow) for call in state.steps.get(name, {}).get("would", [])]


def summary_text(head: list[str], state: StepState, lines: list[str]) -> str:
    """The final comment: what happened, who approved it, then one line per change."""
    approver = state.approval.approver if state.approval else None
    return "\n".join(
        [head[0], *([f"Approved by {approver}."] if approver else []), *head[1:], "", *(f"- {x}" for x in lines)]
    )


@step(StepState)
def report_invalid(task: Task[StepState], _: LambdaContext) -> dict[str, Any]:
    ctx, state = step_context(task), task.state
    problems = state.validation.problems if state.validation else []
    if not ctx.dry_run:
        report.needs_info(ctx, state.origin, problems, vendors.github())
    return {"status": "needs-info", "problems": problems, "answered": ctx.summary}


@step(StepState)
def report_decision(task: Task[StepState], _: LambdaContext) -> dict[str, Any]:
    """The approval was denied, or nobody decided in time: say so and close the request."""
    ctx, state = step_context(task), task.state
    approval = state.approval.model_dump(exclude_none=True) if state.approval else {}
    if state.approval and state.approval.decision == "denied":
        status = "denied"
        text = f"This {ctx.workflow} request was denied by {state.approval.approver}. Nothing was changed."
    else:
        status = "timed-out"
        text = (
            f"Nobody approved this {ctx.workflow} request in time. Nothing was changed; open a new request if needed."
        )
    report.finish(ctx, state.origin, vendors.github(), "ended", text, close="not_planned")
    return {"status": status, "approval": approval, "answered": ctx.summary}


@step(StepState)
def compensate(task: Task[StepState], _: LambdaContext) -> dict[str, Any]:
    ctx = step_context(task)
    if ctx.workflow == "onboarding" and not ctx.config.onboarding.compensate_on_failure:
        return {"undone": [], "not_undone": [], "skipped": "onboarding.compensate_on_failure is false"}
    result = undo(ctx, task.state.steps, list(step_order(ctx.workflow)))
    logger.info("compensated", extra=result)
    if result.get("undone"):
        metrics.count(metrics.COMPENSATED, workflow=ctx.workflow)
    return result


@step(StepState)
def report_failure(task: Task[StepState], _: LambdaContext) -> dict[str, Any]:
    """What was done, what failed, what was undone: on the issue (or in Slack) and in the
    notifications channel. Returns the execution's failure cause."""
    ctx, state = step_context(task), task.state
    order = step_order(ctx.workflow)
    # Compensate runs (and records its result or error) only after a step's Catch.
    reached = state.compensation is not None or state.compensation_error is not None
    failed_step = (
        next((name for name in order if name not in state.steps), "Finish") if reached else "before any change"
    )
    failure = state.failure or {}
    error = failure_line(failure.get("Error"), failure.get("Cause", ""))  # type and one line: no trace, no paths
    compensation = state.compensation or {}
    done = done_lines(ctx.workflow, state)
    # What the failing step changed before it failed is only in the undo journal.
    done += [r["label"] for r in ledger.journaled(ctx.execution_id) if r.get("label") and r["label"] not in done]
    lines = [
        f"This {ctx.workflow} request failed at **{failed_step}**: {code(error)}",
        "",
        "Done:",
        *(f"- {line}" for line in done or ["nothing"]),
        "",
        "Undone:",
        *(f"- {line}" for line in compensation.get("undone") or ["nothing"]),
    ]
    if compensation.get("not_undone"):
        lines += ["", "Could not be undone (needs a person):", *(f"- {x}" for x in compensation["not_undone"])]
    text = "\n".join(lines)
    report.finish(ctx, state.origin, vendors.github(), "failed", text, close=None)
    channel = ctx.config.slack.channels.notifications
    notice = (
        f":warning: {ctx.workflow} `{ctx.execution_id}` ({state.origin.where}) failed at {failed_step}: {mrkdwn(error)}"
    )
    try:
        ctx.change(
            "slack",
            "post message",
            f"slack:{channel}",
            lambda: vendors.slack().post_message(channel, notice),
            line=f"reported the failure in {channel}",
        )
    except Exception as exc:  # noqa: BLE001 - the report must not fail on the notice; the cause stays
        logger.warning("could not post the failure notice", extra={"error": str(exc)})
    return {"status": "failed", "step": failed_step, "cause": f"{failed_step}: {error}", "compensation": compensation}
