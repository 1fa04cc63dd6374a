"""The `/platform` slash command's grammar: the built-in sub-commands (help, status) and each
workflow's, as its manifest declares it (functions/<workflow>/workflow.py `command`).

/platform help
/platform status <execution-id>
/platform <workflow sub-command> ...   e.g. onboard, offboard, cost, drill
"""

from __future__ import annotations

import shlex
from dataclasses import dataclass
from functools import cache
from typing import Any

from functions.core import registry
from functions.core.manifest import HELP, STATUS, SlackCommand


@cache
def subcommands() -> dict[str, SlackCommand]:
    """Every sub-command: help, then the workflows', then status."""
    workflows = {name: command for name, (command, _) in registry.commands().items()}
    return {"help": HELP, **workflows, "status": STATUS}


def workflow_of(subcommand: str) -> str | None:
    """The workflow a sub-command starts (None: the worker answers it itself)."""
    found = registry.commands().get(subcommand)
    return found[1] if found else None


def offered(deployed: set[str] | None = None) -> dict[str, SlackCommand]:
    """The sub-commands to show: the built-ins and those of the deployed workflows (all, when
    `deployed` is None)."""
    return {
        name: command
        for name, command in subcommands().items()
        if deployed is None or (workflow := workflow_of(name)) is None or workflow in deployed
    }


class UsageError(Exception):
    def __init__(self, message: str, subcommand: str | None = None) -> None:
        super().__init__(message)
        self.subcommand = subcommand


@dataclass(frozen=True)
class Command:
    name: str
    args: dict[str, Any]


def parse(text: str) -> Command:
    """`help` for empty text; UsageError saying what is wrong otherwise."""
    try:
        words = shlex.split(text or "")
    except ValueError as exc:
        raise UsageError(f"cannot read the arguments: {exc}") from None
    if not words:
        return Command("help", {})
    name, rest = words[0].lower(), words[1:]
    spec = subcommands().get(name)
    if spec is None:
        raise UsageError(f"unknown sub-command `{words[0]}`")
    return Command(name, _fields(name, spec, rest) if spec.fields else _positional(name, spec, rest))


def _fields(name: str, spec: SlackCommand, words: list[str]) -> dict[str, Any]:
    args: dict[str, Any] = {}
    for word in words:
        key, eq, value = word.partition("=")
        key = key.strip().lower()
        if not eq:
            raise UsageError(f"`{word}` is not key=value", name)
        if key not in spec.fields:
            raise UsageError(f"unknown argument `{key}` (known: {', '.join(spec.fields)})", name)
        pattern = spec.fields[key]
        value = value.strip()
        if not value or (pattern is not None and not pattern.match(value)):
            raise UsageError(f"`{key}={value}` is not valid", name)
        args[key] = value
    missing = [key for key in spec.fields if key not in args]
    if missing:
        raise UsageError(f"missing {', '.join(missing)}", name)
    return args


def _positional(name: str, spec: SlackCommand, words: list[str]) -> dict[str, Any]:
    args: dict[str, Any] = {}
    if len(words) < len(spec.positional) or (spec.rest is None and len(words) > len(spec.positional)):
        raise UsageError(f"expected {len(spec.positional)} argument(s), got {len(words)}", name)
    for (key, pattern), word in zip(spec.positional, words, strict=False):
        if not pattern.match(word):
            raise UsageError(f"`{word}` is not a valid {key}", name)
        args[key] = word
    if spec.rest is not None:
        key, pattern = spec.rest
        extra = words[len(spec.positional) :]
        bad = [w for w in extra if not pattern.match(w)]
        if bad:
            raise UsageError(f"`{bad[0]}` is not a valid {key[:-1]}", name)
        args[key] = extra
    return args


def usage(subcommand: str | None = None, deployed: set[str] | None = None) -> str:
    commands = offered(deployed)
    if subcommand in commands:
        return f"Usage: `{commands[subcommand].usage}`"
    lines = ["*/platform* sub-commands:"]
    lines += [f"• `{spec.usage}`: {spec.summary}" for spec in commands.values()]
    return "\n".join(lines)
