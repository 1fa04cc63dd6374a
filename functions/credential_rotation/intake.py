"""`/platform credentials` and `/platform credentials rotate <name>` as the workflow's input."""

from __future__ import annotations

from typing import Any


class UsageError(ValueError):
    """The arguments are not `[rotate <name>]`."""


def command_input(args: dict[str, Any], requested_by: str | None, detail: dict[str, Any]) -> dict[str, Any]:
    words = [str(w) for w in args.get("args") or []]
    origin = {
        "kind": "slack",
        "user_id": detail.get("user_id"),
        "channel_id": detail.get("channel_id"),
        "response_url": detail.get("response_url"),
    }
    base = {"dry_run": False, "requested_by": requested_by, "origin": origin}
    if not words or words == ["list"]:
        return {**base, "action": "report"}
    if len(words) == 2 and words[0].lower() == "rotate":
        return {**base, "action": "rotate", "credential": words[1], "force": True}
    raise UsageError("usage: /platform credentials [rotate <name>]")
