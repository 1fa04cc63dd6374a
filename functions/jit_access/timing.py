"""The grant's clock (functions/core/clock.py): the Wait states on the expiry timestamp follow
the same time, wall clock in AWS and virtual time on the local engine."""

from __future__ import annotations

from datetime import UTC, datetime

from functions.core.clock import Clock

CLOCK = Clock()
now = CLOCK.now
set_source = CLOCK.set_source


def stamp(moment: datetime) -> str:
    """The form a Wait state's TimestampPath reads: UTC, whole seconds, `Z`."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def parse(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))
