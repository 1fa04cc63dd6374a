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
from functions.core.manifest import REQUESTS
from functions.core.runtime import config, logger
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
    origin = {
        "kind": "slack",
        "user_id": detail.get("user_id"),
        "channel_id": detail.get("channel_id"),
        "response_url": detail.get("response_url"),
    }
    return {**args, "dry_run": False, "requested_by": email, "origin": origin}


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
    deployed = set(deployed_workflows())
    if command not in commands.subcommands():
        slack.respond(response_url, f"Unknown sub-command `{command}`.\n{commands.usage(deployed=deployed)}")
        return {"outcome": "unknown"}
    if not may_run(cfg, command, email):
        logger.info("refused", extra={"command": command, "user": detail.get("user_id"), "email": email})
        slack.respond(response_url, f"You may not run `/platform {command}` (see slack.access in the configuration).")
        return {"outcome": "refused"}
    if command == "status":
        slack.respond(response_url, status_text(str(args.get("execution") or "")))
        return {"outcome": "status"}
    workflow = commands.workflow_of(command) or ""
    if workflow not in deployed:
        slack.respond(
            response_url,
            f"`/platform {command}` is not available: the {workflow} workflow is not deployed here"
            " (`workflows:` in the configuration).",
        )
        return {"outcome": "unavailable"}
    request = _request(command, args, email, detail)
    event_id = publish(REQUESTS, f"{workflow}.requested", request)
    slack.respond(response_url, f"Started {workflow} for {email}; `/platform status` will follow it.")
    return {"outcome": "requested", "workflow": workflow, "event_id": event_id}
