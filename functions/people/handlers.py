"""Handlers both people workflows share: request intake, and the ways a request ends other than
success (needs info, denied or timed out, failed and compensated)."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from aws_lambda_powertools.utilities.typing import LambdaContext

from functions.adapters import vendors
from functions.core import metrics, registry
from functions.core.observability import step
from functions.core.runtime import config, logger
from functions.people import ledger, report
from functions.people.compensate import compensate as undo
from functions.people.context import Context, context
from functions.people.models import Origin, StepState, WorkflowInput

if TYPE_CHECKING:
    from functions.adapters.github import GitHub


def step_order(workflow: str) -> tuple[str, ...]:
    """The steps that change the world, in the definition's order (the workflow's manifest)."""
    return registry.workflow(workflow).steps


@step()
def intake(event: dict[str, Any], _: LambdaContext) -> dict[str, Any]:
    """Route target for issue events: a request form becomes `<workflow>.requested`."""
    from functions.core.bus import publish
    from functions.core.manifest import REQUESTS
    from functions.people.intake import from_issue

    found = from_issue(event.get("detail") or {}, config().github.requests_repo)
    if found is None:
        return {"started": None}
    workflow, workflow_input = found
    event_id = publish(REQUESTS, f"{workflow}.requested", workflow_input.model_dump(mode="json"))
    logger.info("request", extra={"workflow": workflow, "request_key": workflow_input.request_key})
    return {"started": workflow, "event_id": event_id}


def validated(
    workflow: str, event: dict[str, Any], check: Callable[[WorkflowInput, GitHub], dict[str, Any]]
) -> dict[str, Any]:
    """A workflow's Validate step: `check` finds the problems (and the plan); who asked is added,
    and a request that is now valid loses its needs-info label."""
    state = WorkflowInput.model_validate(event["state"])
    github = vendors.github()
    result = check(state, github)
    result["requester"] = requester_of(state.origin, state.requested_by, github)
    logger.info("validated", extra={"ok": result["ok"], "problems": len(result["problems"])})
    if result["ok"] and not state.dry_run:
        ctx = context(workflow, event["state"], event["execution_id"], config())
        report.clear_needs_info(ctx, state.origin, github)
    return result


def requester_of(origin: Origin, requested_by: str | None, github: GitHub) -> str:
    """Who asked, as an email when it can be known (a GitHub author's public email)."""
    if requested_by:
        return requested_by.lower()
    if origin.kind == "github" and origin.author:
        user = github.get_user(origin.author)
        return (user.email or f"github:{origin.author}").lower() if user else f"github:{origin.author}"
    return "unknown"


def step_context(workflow: str, event: dict[str, Any]) -> Context:
    """The Context of a step handler's event (`{"state": ..., "execution_id": ...}`)."""
    return context(workflow, event["state"], event["execution_id"], config())


def person_of(event: dict[str, Any]) -> dict[str, Any]:
    """The person validation found, as the later steps work on them."""
    return StepState.model_validate(event["state"]).person


def done_lines(workflow: str, state: dict[str, Any]) -> list[str]:
    """Every step's summary lines, in workflow order."""
    steps = state.get("steps") or {}
    return [line for name in step_order(workflow) for line in (steps.get(name) or {}).get("summary", [])]


def planned_calls(workflow: str, state: dict[str, Any]) -> list[dict[str, str]]:
    """In a dry run: every call the steps would have made, in workflow order."""
    steps = state.get("steps") or {}
    return [call for name in step_order(workflow) for call in (steps.get(name) or {}).get("would", [])]


def summary_text(head: list[str], state: dict[str, Any], lines: list[str]) -> str:
    """The final comment: what happened, who approved it, then one line per change."""
    approver = (state.get("approval") or {}).get("approver")
    return "\n".join(
        [head[0], *([f"Approved by {approver}."] if approver else []), *head[1:], "", *(f"- {x}" for x in lines)]
    )


def _ctx(event: dict[str, Any]) -> tuple[Context, StepState]:
    state = event["state"]
    return context(event["workflow"], state, event["execution_id"], config()), StepState.model_validate(state)


@step("execution_id")
def report_invalid(event: dict[str, Any], _: LambdaContext) -> dict[str, Any]:
    ctx, state = _ctx(event)
    problems = state.validation.problems if state.validation else []
    if not ctx.dry_run:
        report.needs_info(ctx, state.origin, problems, vendors.github())
    return {"status": "needs-info", "problems": problems, "answered": ctx.summary}


@step("execution_id")
def report_decision(event: dict[str, Any], _: LambdaContext) -> dict[str, Any]:
    """The approval was denied, or nobody decided in time: say so and close the request."""
    ctx, state = _ctx(event)
    approval = event["state"].get("approval") or {}
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


@step("execution_id")
def compensate(event: dict[str, Any], _: LambdaContext) -> dict[str, Any]:
    ctx, _state = _ctx(event)
    if ctx.workflow == "onboarding" and not ctx.config.onboarding.compensate_on_failure:
        return {"undone": [], "not_undone": [], "skipped": "onboarding.compensate_on_failure is false"}
    result = undo(ctx, event["state"].get("steps") or {}, list(step_order(ctx.workflow)))
    logger.info("compensated", extra=result)
    if result.get("undone"):
        metrics.count(metrics.COMPENSATED, workflow=ctx.workflow)
    return result


@step("execution_id")
def report_failure(event: dict[str, Any], _: LambdaContext) -> dict[str, Any]:
    """What was done, what failed, what was undone: on the issue (or in Slack) and in the
    notifications channel. Returns the execution's failure cause."""
    ctx, state = _ctx(event)
    steps = event["state"].get("steps") or {}
    order = step_order(ctx.workflow)
    # Compensate runs (and records its result or error) only after a step's Catch.
    reached = "compensation" in event["state"] or "compensation_error" in event["state"]
    failed_step = next((name for name in order if name not in steps), "Finish") if reached else "before any change"
    failure = event["state"].get("failure") or {}
    error = f"{failure.get('Error', 'Error')}: {str(failure.get('Cause', ''))[:800]}"
    compensation = event["state"].get("compensation") or {}
    done = done_lines(ctx.workflow, event["state"])
    # What the failing step changed before it failed is only in the undo journal.
    done += [r["label"] for r in ledger.journaled(ctx.execution_id) if r.get("label") and r["label"] not in done]
    lines = [
        f"This {ctx.workflow} request failed at **{failed_step}**: {error}",
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
        f":warning: {ctx.workflow} `{ctx.execution_id}` ({state.origin.where}) failed at {failed_step}: {error[:300]}"
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
