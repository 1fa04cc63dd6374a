"""jit_access step handlers: the envelope's state parsed, one function of the workflow, a dict back."""

from __future__ import annotations

import json
import os
from typing import Any

from aws_lambda_powertools.utilities.typing import LambdaContext

from functions.adapters import vendors
from functions.adapters.aws_cloudtrail import CloudTrail
from functions.core import clients, constants
from functions.core.change import ChangeContext
from functions.core.envelope import Task
from functions.core.observability import step
from functions.core.runtime import config, dynamodb, env, logger, s3
from functions.jit_access import access, report
from functions.jit_access import plan as planning
from functions.jit_access.models import AccessCommand, Finished, GrantRequest, GrantStep, RevokeItem
from functions.jit_access.store import GrantStore


def _store() -> GrantStore:
    return GrantStore(env(constants.STATE_TABLE), dynamodb())


def _changes(execution_id: str, request: GrantRequest, approver: str = "") -> ChangeContext:
    return ChangeContext(
        execution_id=execution_id,
        dry_run=request.dry_run,
        requester=request.requester,
        approver=approver,
        audit_client=dynamodb(),
    )


def _targets(request: GrantRequest) -> dict[str, Any]:
    aws = request.target.kind == "aws"
    return {"ic": vendors.identity_center() if aws else None, "okta": None if aws else vendors.okta()}


def _running(execution_id: str) -> bool:
    """Whether the execution that granted is still running (and so will revoke it itself)."""
    machines = json.loads(os.environ.get(constants.STATE_MACHINES) or "{}")
    machine = machines.get("jit_access")
    if not machine or not execution_id:
        return False
    arn = machine.replace(":stateMachine:", ":execution:") + f":{execution_id}"
    try:
        status = clients.client("stepfunctions").describe_execution(executionArn=arn)["status"]
    except Exception:  # noqa: BLE001 - an execution we cannot read is not one that will revoke
        return False
    return str(status) == "RUNNING"


def _approver(state: GrantStep) -> str:
    """Who approved: one approver, or both of the two outside jit.single_approver_hours."""
    first = str((state.approval or {}).get("approver") or "")
    second = state.second_approval or {}
    if second.get("decision") == "approved" and second.get("approver"):
        return f"{first}, {second['approver']}"
    return first


def _decided(state: GrantStep) -> tuple[str, str, str]:
    """The deciding answer (the second approver's, once asked): decision, who, why."""
    last = state.second_approval or state.approval or {}
    return str(last.get("decision") or ""), str(last.get("approver") or ""), str(last.get("reason") or "")


@step(AccessCommand)
def plan(task: Task[AccessCommand], _: LambdaContext) -> dict[str, Any]:
    cfg = config()
    deps = planning.Deps(
        config=cfg,
        directory=vendors.directory(links=("slack", "pagerduty", "identity_center")),
        okta=vendors.okta,
        pagerduty=vendors.pagerduty if cfg.pagerduty is not None else None,
        store=_store(),
        execution_running=_running,
    )
    decided = planning.plan(task.state, task.execution_id, deps)
    logger.info("planned", extra={"outcome": decided.outcome, "action": task.state.action})
    return decided.model_dump(mode="json")


@step(GrantStep)
def notify(task: Task[GrantStep], _: LambdaContext) -> dict[str, Any]:
    state, cfg = task.state, config()
    request = state.plan.request
    slack = vendors.slack()
    if state.say == "notice" and state.plan.notice is not None:
        return report.tell(slack, state.plan.notice.to, state.plan.notice.text)
    assert request is not None, "Notify needs the grant"
    to = request.requester_slack
    if state.say == "granted" and state.granted is not None:
        told = report.tell(slack, to, report.granted_text(request, state.granted, _approver(state), _url(cfg)))
        if request.break_glass and cfg.pagerduty is not None:
            report.page_break_glass(vendors.pagerduty(), request, _changes(task.execution_id, request))
            slack.post_message(
                cfg.slack.channels.security,
                f"Break-glass: {request.requester} took `{request.grant}` ({request.target.label()}) until "
                f"{state.granted['expires_at']}; reason: {request.reason or '(none)'}. The on-call was paged; "
                "the session's activity follows at revocation for review.",
            )
        return told
    if state.say == "held_before":
        return report.tell(
            slack,
            to,
            f"You already hold {request.target.label()} outside just-in-time access; "
            "nothing was granted (and nothing will be revoked).",
        )
    if state.say == "extended" and state.extended is not None:
        if state.extended.get("extended"):
            return report.tell(slack, to, f"`{request.grant_id}` now lasts until *{state.extended['expires_at']}*.")
        return report.tell(slack, to, f"`{request.grant_id}` was not extended: {state.extended.get('why')}.")
    decision, by, why = _decided(state)
    if decision == "denied":
        text = f"Your request for `{request.grant}` was denied by {by}: {why or 'no reason given'}."
    elif state.approval_error is not None:
        error = str(state.approval_error.get("Error") or "")
        text = (
            f"Your request for `{request.grant}` timed out: nobody approved it in time."
            if "Timeout" in error
            else f"Your request for `{request.grant}` could not be asked: {state.approval_error.get('Cause') or error}."
        )
    else:
        text = f"Your request for `{request.grant}` was not approved."
    return report.tell(slack, to, text)


def _url(cfg: Any) -> str | None:
    return str(cfg.jit.sign_in_url) if cfg.jit.sign_in_url else None


@step(GrantStep)
def grant(task: Task[GrantStep], _: LambdaContext) -> dict[str, Any]:
    state = task.state
    request = state.plan.request
    assert request is not None
    approver = _approver(state) or ("break-glass" if request.break_glass else "")
    return access.grant(
        request,
        approver,
        _changes(task.execution_id, request, approver),
        _store(),
        config().jit.reminder_minutes,
        **_targets(request),
    )


@step(GrantStep)
def check_grant(task: Task[GrantStep], _: LambdaContext) -> dict[str, Any]:
    request = task.state.plan.request
    assert request is not None
    assert task.state.granted is not None
    return access.check_grant(request, task.state.granted, _targets(request)["ic"])


@step(GrantStep)
def watch(task: Task[GrantStep], _: LambdaContext) -> dict[str, Any]:
    request = task.state.plan.request
    assert request is not None
    return access.watch(request, _store(), config().jit.reminder_minutes, vendors.slack())


@step(GrantStep)
def extend(task: Task[GrantStep], _: LambdaContext) -> dict[str, Any]:
    state = task.state
    request = state.plan.request
    assert request is not None
    approver = _approver(state) or "within the maximum"
    return access.extend(
        request, state.plan.extend_to, approver, _changes(task.execution_id, request, approver), _store()
    )


@step(RevokeItem)
def revoke(task: Task[RevokeItem], _: LambdaContext) -> dict[str, Any]:
    item = task.state
    changes = _changes(task.execution_id, item.request, item.by)
    return access.revoke(item.request, item.why, item.by, changes, _store(), **_targets(item.request))


@step(RevokeItem)
def check_revoke(task: Task[RevokeItem], _: LambdaContext) -> dict[str, Any]:
    item = task.state
    assert item.revoke is not None
    return access.check_revoked(item.request, item.revoke, item.request.dry_run, **_targets(item.request))


@step(RevokeItem)
def summarize(task: Task[RevokeItem], _: LambdaContext) -> dict[str, Any]:
    item = task.state
    cfg = config()
    revoked = item.check or item.revoke or {}
    trail = CloudTrail(cfg.aws.region) if item.request.target.kind == "aws" and not item.request.dry_run else None
    summary = report.activity(item.request, revoked, trail)
    changes = _changes(task.execution_id, item.request, str(revoked.get("approver") or ""))
    evidence = report.keep(
        item.request, revoked=revoked, summary=summary, changes=changes, s3=s3(), bucket=env(constants.EVIDENCE_BUCKET)
    )
    text = report.summary_text(item.request, revoked, summary)
    slack = vendors.slack()
    report.tell(slack, item.request.requester_slack, text)
    slack.post_message(cfg.jit.channel or cfg.slack.channels.approvals, text)
    if item.request.break_glass:
        slack.post_message(cfg.slack.channels.security, f"*Break-glass review needed*\n{text}\nEvidence: {evidence}")
    return {"evidence": evidence, **report.summary_counts(summary)}


@step(Finished)
def finish(task: Task[Finished], _: LambdaContext) -> dict[str, Any]:
    state = task.state
    failed = [r for r in state.revoked if r.get("error")]
    if failed:
        cfg = config()
        vendors.slack().post_message(
            cfg.slack.channels.security,
            f"Just-in-time access: {len(failed)} revocation(s) could not be verified in `{task.execution_id}`; "
            "revoke by hand and check the sweeper.",
        )
    complete = not failed and state.failure is None
    cause = (
        f"{len(failed)} revocation(s) failed"
        if failed
        else f"failed after the grant (revoked): {(state.failure or {}).get('Cause', '')}"[:500]
        if state.failure
        else ""
    )
    return {"complete": complete, "cause": cause, "outcome": state.plan.outcome, "revoked": len(state.revoked)}
