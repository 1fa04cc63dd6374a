"""What the GitHub fake sends when a hook is pinged (`POST …/hooks/{hook_id}/pings`): a `ping`
event signed with the hook's secret, as GitHub delivers it, to the platform's ingress.

GitHub posts to the hook's URL (https://platform.example.com/github/webhook in the fixture org).
The sandbox has no such host: by default the delivery goes to the real ingress handler in this
process, as `platform-automation serve` would route it; a test may point `deliver_to` elsewhere.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import uuid
from collections.abc import Callable
from typing import Any

# (headers, body) -> the HTTP status the hook's endpoint answered (0: no answer).
Deliver = Callable[[dict[str, str], bytes], int]
ZEN = "Design for failure."


def ping(hook: dict[str, Any], deliver: Deliver) -> tuple[str, int]:
    """Delivers one signed ping for `hook`; (its delivery guid, the endpoint's status)."""
    config = hook["config"]
    payload = json.dumps(
        {
            "zen": ZEN,
            "hook_id": hook["id"],
            "hook": {
                "type": "Organization" if hook["scope"][0] == "org" else "Repository",
                "id": hook["id"],
                "name": "web",
                "active": True,
                "events": ["*"],
                "config": {k: v for k, v in config.items() if k != "secret"},
            },
        }
    ).encode()
    guid = str(uuid.uuid4())
    headers = {
        "content-type": "application/json",
        "user-agent": "GitHub-Hookshot/sandbox",
        "x-github-event": "ping",
        "x-github-delivery": guid,
        "x-github-hook-id": str(hook["id"]),
    }
    secret = str(config.get("secret") or "")
    if secret:
        headers["x-hub-signature-256"] = "sha256=" + hmac.new(secret.encode(), payload, hashlib.sha256).hexdigest()
    return guid, deliver(headers, payload)


def to_ingress_in_process(headers: dict[str, str], payload: bytes) -> int:
    """The platform's `POST /github/webhook` handler, called in this process."""
    from functions.ingress import github_webhook
    from functions.ingress.http import HttpError, HttpRequest

    try:
        return int(github_webhook.handle(HttpRequest("POST", "/github/webhook", headers, payload))["statusCode"])
    except HttpError as error:
        return error.status
