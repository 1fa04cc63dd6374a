"""The `/platform` slash command's grammar: one table of sub-commands, their arguments and usage.

/platform help
/platform onboard name="Jane Doe" email=jane@example.com github=janedoe team=platform
                  manager=maria.lopez@example.com start=2026-12-01
/platform offboard email=jane@example.com github=janedoe last_day=2026-12-31 reason="..."
/platform deploy <app> <version>
/platform cost
/platform access-review
/platform drill [target ...]
/platform status <execution-id>
"""

from __future__ import annotations

import re
import shlex
from dataclasses import dataclass, field
from typing import Any

_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[A-Za-z]{2,}$")
_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$")
_GITHUB = re.compile(r"^[A-Za-z0-9](?:[A-Za-z0-9]|-(?=[A-Za-z0-9])){0,38}$")
_EXECUTION = re.compile(r"^[A-Za-z0-9_.:-]{1,256}$")


@dataclass(frozen=True)
class Spec:
    usage: str
    summary: str
    fields: dict[str, re.Pattern[str] | None] = field(default_factory=dict)  # key=value arguments (all required)
    positional: tuple[tuple[str, re.Pattern[str]], ...] = ()
    rest: tuple[str, re.Pattern[str]] | None = None  # any number of further positional values
    workflow: str | None = None  # the workflow the command starts (None: answered by the worker itself)


SUBCOMMANDS: dict[str, Spec] = {
    "help": Spec("/platform help", "show this help"),
    "onboard": Spec(
        '/platform onboard name="Jane Doe" email=jane@example.com github=janedoe team=platform '
        "manager=boss@example.com start=2026-12-01",
        "request onboarding of a new hire",
        fields={"name": None, "email": _EMAIL, "github": _GITHUB, "team": _NAME, "manager": _EMAIL, "start": _DATE},
        workflow="onboarding",
    ),
    "offboard": Spec(
        '/platform offboard email=jane@example.com github=janedoe last_day=2026-12-31 reason="moving on"',
        "request offboarding of a leaver",
        fields={"email": _EMAIL, "github": _GITHUB, "last_day": _DATE, "reason": None},
        workflow="offboarding",
    ),
    "deploy": Spec(
        "/platform deploy <app> <version>",
        "deploy a version of an application through GitOps",
        positional=(("app", _NAME), ("version", _NAME)),
        workflow="deployment",
    ),
    "cost": Spec("/platform cost", "month-to-date cost report", workflow="cost_alarm"),
    "access-review": Spec("/platform access-review", "start an access review now", workflow="access_review"),
    "drill": Spec(
        "/platform drill [target ...]",
        "run a disaster-recovery drill (all targets, or the ones named)",
        rest=("targets", _NAME),
        workflow="dr_drill",
    ),
    "status": Spec(
        "/platform status <execution-id>", "show how an execution is doing", positional=(("execution", _EXECUTION),)
    ),
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
    spec = SUBCOMMANDS.get(name)
    if spec is None:
        raise UsageError(f"unknown sub-command `{words[0]}`")
    return Command(name, _fields(name, spec, rest) if spec.fields else _positional(name, spec, rest))


def _fields(name: str, spec: Spec, words: list[str]) -> dict[str, Any]:
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


def _positional(name: str, spec: Spec, words: list[str]) -> dict[str, Any]:
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


def usage(subcommand: str | None = None) -> str:
    if subcommand in SUBCOMMANDS:
        return f"Usage: `{SUBCOMMANDS[subcommand].usage}`"
    lines = ["*/platform* sub-commands:"]
    lines += [f"• `{spec.usage}`: {spec.summary}" for spec in SUBCOMMANDS.values()]
    return "\n".join(lines)
