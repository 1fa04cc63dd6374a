"""`/platform access-review [system|team ...]` as the workflow's input."""

from __future__ import annotations

from typing import Any

from functions.access_review.models import SYSTEMS


class UsageError(ValueError):
    """An argument that is neither a system nor a team."""


def command_input(args: dict[str, Any], requested_by: str | None, detail: dict[str, Any]) -> dict[str, Any]:
    from functions.core.runtime import config

    teams = set(config().teams)
    systems: list[str] = []
    team: str | None = None
    for word in (str(w).strip().lower() for w in args.get("scope") or []):
        if word in SYSTEMS:
            systems.append(word)
        elif word in teams and team is None:
            team = word
        else:
            raise UsageError(
                f"{word!r} is neither a system ({', '.join(SYSTEMS)}) nor a team ({', '.join(sorted(teams))})"
            )
    origin = {"kind": "slack", "user_id": detail.get("user_id"), "channel_id": detail.get("channel_id")}
    return {"dry_run": False, "systems": systems, "team": team, "requested_by": requested_by, "origin": origin}
