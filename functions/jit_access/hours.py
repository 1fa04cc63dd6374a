"""Whether one approver is enough right now: inside `jit.single_approver_hours` (read in
schedules.timezone, where the people who approve work), else a second approver is needed."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

if TYPE_CHECKING:
    from functions.core.config import ApprovalHours

_DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


def one_approver_enough(hours: ApprovalHours | None, moment: datetime, timezone: str) -> bool:
    if hours is None:
        return True
    local = moment.astimezone(ZoneInfo(timezone))
    clock = local.strftime("%H:%M")
    return _DAYS[local.weekday()] in hours.days and hours.start <= clock < hours.end


def described(hours: ApprovalHours, timezone: str) -> str:
    days = ", ".join(d.capitalize() for d in hours.days) or "no day"
    return f"{days} {hours.start}-{hours.end} {timezone}"
