"""POST /slack/commands: the `/platform` slash command.

Answers inside Slack's 3-second limit with an ephemeral message: usage for `help`, an unknown
sub-command or bad arguments; otherwise an acknowledgement, after publishing the command to the
bus, where the command worker checks who may run it, starts the work and reports back through
the command's `response_url`.
"""

from __future__ import annotations

import json
import logging
import os
import time
from typing import Any

from functions.core import constants
from functions.core.text import mrkdwn
from functions.ingress import commands
from functions.ingress.http import HttpError, HttpRequest, error_response, respond
from functions.ingress.slack_requests import once, verified_form

SOURCE = "platform.slack"
log = logging.getLogger("platform-automation.ingress")


def ephemeral(text: str) -> dict[str, Any]:
    return respond(200, {"response_type": "ephemeral", "text": text})


def deployed() -> set[str] | None:
    """The workflows this deployment offers (PLATFORM_WORKFLOWS, set by CDK and the local engine);
    None, when it is not set: every workflow."""
    value = os.environ.get(constants.WORKFLOWS)
    if value is None:
        return None
    try:
        names = json.loads(value)
    except json.JSONDecodeError:
        return None
    return {str(name) for name in names} if isinstance(names, list) else None


def handle(request: HttpRequest, now: float | None = None) -> dict[str, Any]:
    from functions.ingress.secrets import slack_signing_secret

    form = verified_form(request, slack_signing_secret(), now)
    user_id, response_url = form.get("user_id", ""), form.get("response_url", "")
    if not user_id or not response_url:
        raise HttpError(400, "a slash command needs user_id and response_url")
    try:
        command = commands.parse(form.get("text", ""))
    except commands.UsageError as exc:
        # The message quotes the words typed: escaped, like every piece of user text in Slack.
        return ephemeral(f"{mrkdwn(exc)}.\n{commands.usage(exc.subcommand, deployed=deployed())}")
    if command.name == "help":
        return ephemeral(commands.usage(deployed=deployed()))
    detail = {
        "command": command.name,
        "args": command.args,
        "text": form.get("text", ""),
        "user_id": user_id,
        "user_name": form.get("user_name", ""),
        "team_id": form.get("team_id", ""),
        "channel_id": form.get("channel_id", ""),
        "response_url": response_url,
        "trigger_id": form.get("trigger_id", ""),
        "requested_at": int(now if now is not None else time.time()),
    }
    from functions.core.bus import PublishError, publish

    once(request, now)  # a replay of this signed request starts nothing (409)
    try:
        publish(SOURCE, f"command.{command.name}", detail)
    except PublishError as exc:
        log.warning("slash command not published: %s", exc)
        return ephemeral("The platform could not take this request right now; nothing was started. Try again shortly.")
    return ephemeral(f"Working on `/platform {mrkdwn(form.get('text', '').strip())}`: I will report back here.")


def handler(event: dict[str, Any], _context: Any) -> dict[str, Any]:
    try:
        return handle(HttpRequest.from_event(event))
    except HttpError as error:
        return error_response(error)
