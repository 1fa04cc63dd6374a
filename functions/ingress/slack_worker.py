"""The slash command worker: what `/platform <sub-command>` does after Slack got its
acknowledgement. It finds who asked (their email, through the Slack API), checks the
configuration's `slack.access`, then publishes a `<workflow>.requested` event (the routes start
the workflow) or answers `status`, and reports back through the command's `response_url`."""

from __future__ import annotations

import json
import os
from typing import Any

from functions.core import clients, constants, vendors
from functions.core.runtime import config, logger
from functions.ingress import commands
from functions.ingress.access import may_run
from functions.ingress.bus import publish
from functions.ingress.routes import REQUESTS


def deployed_workflows() -> dict[str, str]:
    try:
        value = json.loads(os.environ.get(constants.STATE_MACHINES) or "{}")
    except json.JSONDecodeError:
        return {}
    return {str(k): str(v) for k, v in value.items()} if isinstance(value, dict) else {}


def _request(
    workflow: str, command: str, args: dict[str, Any], email: str | None, detail: dict[str, Any]
) -> dict[str, Any]:
    """The workflow's input for a sub-command's arguments: the same input as the other roads in."""
    if workflow in ("onboarding", "offboarding"):
        from functions.people.intake import from_command

        return from_command(workflow, args, email, detail).model_dump(mode="json")
    origin = {
        "kind": "slack",
        "user_id": detail.get("user_id"),
        "channel_id": detail.get("channel_id"),
        "response_url": detail.get("response_url"),
    }
    base = {"targets": list(args.get("targets") or []), "dry_run": False} if command == "drill" else dict(args)
    return {**base, "requested_by": email, "origin": origin}


def status_text(execution: str) -> str:
    from botocore.exceptions import ClientError

    sfn = clients.client("stepfunctions")
    for workflow, machine in deployed_workflows().items():
        arn = machine.replace(":stateMachine:", ":execution:") + f":{execution}"
        try:
            described = sfn.describe_execution(executionArn=arn)
        except ClientError:
            continue
        started = f"{described['startDate']:%Y-%m-%d %H:%M:%S} UTC"
        text = f"`{execution}` ({workflow}): *{described['status']}*, started {started}"
        if described.get("stopDate"):
            text += f", ended {described['stopDate']:%H:%M:%S}"
        if described.get("error"):
            text += f"\n{described['error']}: {str(described.get('cause') or '')[:500]}"
        return text
    return f"No execution named `{execution}` in the deployed workflows."


@logger.inject_lambda_context
def handler(event: dict[str, Any], _context: Any) -> dict[str, Any]:
    detail = event.get("detail") or {}
    command, args = str(detail.get("command") or ""), dict(detail.get("args") or {})
    response_url = str(detail.get("response_url") or "")
    cfg = config()
    slack = vendors.slack()
    user = slack.user_by_id(str(detail.get("user_id") or ""))
    email = user.email if user else None
    if command not in commands.SUBCOMMANDS:
        slack.respond(response_url, f"Unknown sub-command `{command}`.\n{commands.usage()}")
        return {"outcome": "unknown"}
    if not may_run(cfg, command, email):
        logger.info("refused", extra={"command": command, "user": detail.get("user_id"), "email": email})
        slack.respond(response_url, f"You may not run `/platform {command}` (see slack.access in the configuration).")
        return {"outcome": "refused"}
    if command == "status":
        slack.respond(response_url, status_text(str(args.get("execution") or "")))
        return {"outcome": "status"}
    workflow = commands.SUBCOMMANDS[command].workflow or ""
    if workflow not in deployed_workflows():
        slack.respond(
            response_url, f"`/platform {command}` is not available yet: the {workflow} workflow is not deployed."
        )
        return {"outcome": "unavailable"}
    request = _request(workflow, command, args, email, detail)
    event_id = publish(REQUESTS, f"{workflow}.requested", request)
    slack.respond(response_url, f"Started {workflow} for {email}; `/platform status` will follow it.")
    return {"outcome": "requested", "workflow": workflow, "event_id": event_id}
