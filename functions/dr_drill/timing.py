"""The drill's clock. In AWS it is the wall clock, Wait states included. The local engine runs
Wait states on virtual time, so it installs a source that adds the waits of the running branch:
a restore that polls for 90 virtual minutes then measures 90 minutes there too."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime


def _wall_clock() -> datetime:
    return datetime.now(UTC)


_source: Callable[[], datetime] = _wall_clock


def now() -> datetime:
    return _source()


def set_source(source: Callable[[], datetime] | None) -> Callable[[], datetime]:
    """Replace the clock (None: the wall clock again); returns the one it replaced."""
    global _source  # noqa: PLW0603 - one clock per process, like adapters.retry's sleeper
    previous = _source
    _source = source or _wall_clock
    return previous


def minutes_between(start: str | None, end: str | datetime | None) -> float | None:
    if not start or not end:
        return None
    finish = end if isinstance(end, datetime) else datetime.fromisoformat(end)
    return round((finish - datetime.fromisoformat(start)).total_seconds() / 60, 2)
