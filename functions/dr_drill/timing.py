"""The drill's clock (functions/core/clock.py): the local engine's source adds the waits of the
running branch, so a restore that polls for 90 virtual minutes measures 90 minutes there too."""

from __future__ import annotations

from datetime import datetime

from functions.core.clock import Clock

CLOCK = Clock()
now = CLOCK.now
set_source = CLOCK.set_source


def minutes_between(start: str | None, end: str | datetime | None) -> float | None:
    if not start or not end:
        return None
    finish = end if isinstance(end, datetime) else datetime.fromisoformat(end)
    return round((finish - datetime.fromisoformat(start)).total_seconds() / 60, 2)
