"""`/platform credentials` and `/platform credentials rotate <name>` as the workflow's input."""

from __future__ import annotations

from typing import Any

from functions.core.manifest import command_request


class UsageError(ValueError):
    """The arguments are not `[rotate <name>]`."""


def command_input(args: dict[str, Any], requested_by: str | None, detail: dict[str, Any]) -> dict[str, Any]:
    words = [str(w) for w in args.get("args") or []]
    base = command_request(requested_by, detail)
    if not words or words == ["list"]:
        return {**base, "action": "report"}
    if len(words) == 2 and words[0].lower() == "rotate":
        return {**base, "action": "rotate", "credential": words[1], "force": True}
    raise UsageError("usage: /platform credentials [rotate <name>]")
