"""`/platform access ...` as the workflow's input (the manifest's `to_input`). Words that fit no
form become an `invalid` input whose Plan answers the requester with the usage in Slack."""

from __future__ import annotations

from typing import Any

from functions.core.manifest import command_request

USAGE = (
    "usage: `/platform access <grant> <duration> <reason>` (e.g. `prod-admin 30m INC-123 restart the queue`), "
    "`/platform access list`, `/platform access revoke <id>`, `/platform access extend <id> <duration>`"
)


def command_input(args: dict[str, Any], requested_by: str | None, detail: dict[str, Any]) -> dict[str, Any]:
    words = [str(w) for w in args.get("args") or []]
    base: dict[str, Any] = command_request(requested_by, detail)
    verb = words[0].lower() if words else "list"
    if verb == "list" and len(words) <= 1:
        return {**base, "action": "list"}
    if verb == "revoke" and len(words) == 2:
        return {**base, "action": "revoke", "grant_id": words[1]}
    if verb == "extend" and len(words) == 3:
        return {**base, "action": "extend", "grant_id": words[1], "duration": words[2]}
    if verb not in ("list", "revoke", "extend") and len(words) >= 2:
        return {**base, "action": "request", "grant": words[0], "duration": words[1], "reason": " ".join(words[2:])}
    return {**base, "action": "invalid", "problem": USAGE}
