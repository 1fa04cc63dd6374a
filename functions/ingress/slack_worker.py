"""The slash command worker: what `/platform <sub-command>` does after Slack got its
acknowledgement. It finds who asked (their email, through the Slack API), checks the
configuration's `slack.access`, then publishes a `<workflow>.requested` event (the routes start
the workflow) or answers `status`, and reports back through the command's `response_url`."""

from __future__ import annotations

import importlib
import json
import os
from typing import Any

from functions.adapters import vendors
from functions.core import clients, constants
from functions.core.bus import publish
from functions.core.manifest import REQUESTS, command_request
from functions.core.runtime import config, logger
from functions.core.text import failure_line, mrkdwn
from functions.ingress import commands
from functions.ingress.access import may_run


def deployed_workflows() -> dict[str, str]:
    try:
        value = json.loads(os.environ.get(constants.STATE_MACHINES) or "{}")
    except json.JSONDecodeError:
        return {}
    return {str(k): str(v) for k, v in value.items()} if isinstance(value, dict) else {}


def _request(command: str, args: dict[str, Any], email: str | None, detail: dict[str, Any]) -> dict[str, Any]:
    """The workflow's input for a sub-command's arguments: the same input as the other roads in,
    built by the function its manifest names (`to_input`), or the arguments themselves."""
    spec = commands.subcommands()[command]
    if spec.to_input:
        module, _, function = spec.to_input.rpartition(".")
        build = getattr(importlib.import_module(module), function)
        return dict(build(args, email, detail))
    return {**args, **command_request(email, detail)}


def may_see(admins: list[str], execution: str, described: dict[str, Any], email: str | None, user_id: str) -> bool:
    """An execution's detail (its input names people, its error may quote them) is for its
    requester, its approvers and the platform admins (`organization.admins`) only."""
    email = (email or "").lower()
    if email and email in admins:
        return True
    try:
        given = json.loads(described.get("input") or "{}")
    except json.JSONDecodeError:
        given = {}
    given = given if isinstance(given, dict) else {}
    found = given.get("origin")
    origin: dict[str, Any] = found if isinstance(found, dict) else {}
    asked_by_email = bool(email) and str(given.get("requested_by") or "").lower() == email
    asked_in_slack = bool(user_id) and origin.get("user_id") == user_id
    if asked_by_email or asked_in_slack:
        return True
    from functions.core import approvals

    for approval in approvals.for_execution(execution):
        emails = {e.lower() for e in approval.approvers.values()} | {approval.requester.lower()}
        if (email and email in emails) or (user_id and user_id in approval.approvers):
            return True
    from functions.core import reviews

    return reviews.is_reviewer(execution, email, user_id)  # an access review campaign's reviewers


def status_text(execution: str, email: str | None = None, user_id: str = "") -> str:
    """The execution's state, for whoever may see it (`may_see`). Anyone else gets the answer
    an unknown execution gets, so the command does not tell which executions exist."""
    from botocore.exceptions import ClientError

    sfn = clients.client("stepfunctions")
    unseen = f"No execution named `{mrkdwn(execution)}` that you may see (its requester, approvers and admins may)."
    for workflow, machine in deployed_workflows().items():
        arn = machine.replace(":stateMachine:", ":execution:") + f":{execution}"
        try:
            described = sfn.describe_execution(executionArn=arn)
        except ClientError:
            continue
        if not may_see(config().organization.admins, execution, described, email, user_id):
            logger.info("status refused", extra={"execution": execution, "user": user_id, "email": email})
            return unseen
        started = f"{described['startDate']:%Y-%m-%d %H:%M:%S} UTC"
        text = f"`{mrkdwn(execution)}` ({workflow}): *{described['status']}*, started {started}"
        if described.get("stopDate"):
            text += f", ended {described['stopDate']:%H:%M:%S}"
        if described.get("error"):
            # The error type and one line: never the stack trace or file paths a Lambda's cause holds.
            text += f"\n{mrkdwn(failure_line(described['error'], described.get('cause') or ''))}"
        if workflow == "access_review":  # the campaign's progress: decisions, revocations, deadline
            from functions.core import reviews

            progress = reviews.progress(execution)
            text += f"\n{progress}" if progress else ""
        return text
    return unseen


@logger.inject_lambda_context
def handler(event: dict[str, Any], _context: Any) -> dict[str, Any]:
    detail = event.get("detail") or {}
    command, args = str(detail.get("command") or ""), dict(detail.get("args") or {})
    response_url = str(detail.get("response_url") or "")
    cfg = config()
    slack = vendors.slack()
    user = slack.user_by_id(str(detail.get("user_id") or ""))
    email = user.email if user else None
    deployed = set(deployed_workflows())
    if command not in commands.subcommands():
        slack.respond(response_url, f"Unknown sub-command `{mrkdwn(command)}`.\n{commands.usage(deployed=deployed)}")
        return {"outcome": "unknown"}
    if not may_run(cfg, command, email):
        logger.info("refused", extra={"command": command, "user": detail.get("user_id"), "email": email})
        slack.respond(response_url, f"You may not run `/platform {command}` (see slack.access in the configuration).")
        return {"outcome": "refused"}
    if command == "status":
        execution = str(args.get("execution") or "")
        slack.respond(response_url, status_text(execution, email, str(detail.get("user_id") or "")))
        return {"outcome": "status"}
    workflow = commands.workflow_of(command) or ""
    if workflow not in deployed:
        slack.respond(
            response_url,
            f"`/platform {command}` is not available: the {workflow} workflow is not deployed here"
            " (`workflows:` in the configuration).",
        )
        return {"outcome": "unavailable"}
    try:
        request = _request(command, args, email, detail)
    except ValueError as exc:  # a manifest's to_input refusing the arguments: say why, start nothing
        slack.respond(response_url, mrkdwn(str(exc)))
        return {"outcome": "invalid", "problem": str(exc)}
    event_id = publish(REQUESTS, f"{workflow}.requested", request)
    slack.respond(response_url, f"Started {workflow} for {mrkdwn(email)}; `/platform status` will follow it.")
    return {"outcome": "requested", "workflow": workflow, "event_id": event_id}
