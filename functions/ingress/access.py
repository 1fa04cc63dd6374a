"""Who may run which /platform sub-command: `slack.access` in the configuration."""

from __future__ import annotations

from functions.core.config import PlatformConfig


def may_run(config: PlatformConfig, subcommand: str, email: str | None) -> bool:
    principals = config.slack.access.get(subcommand, [])
    if subcommand == "help" or "*" in principals:
        return True
    email = (email or "").lower()
    return bool(email) and any(_matches(config, principal, email) for principal in principals)


def _matches(config: PlatformConfig, principal: str, email: str) -> bool:
    if principal == "approvers":
        return any(email in team.approvers for team in config.teams.values())
    if principal.startswith("team:"):
        team = config.teams.get(principal.removeprefix("team:"))
        return team is not None and email in team.approvers
    return principal.lower() == email
