"""The grant's clock. In AWS it is the wall clock, which the Wait states on the expiry timestamp
follow too. The local engine runs Wait states on virtual time and installs a source that reads
it (sandbox/clock.py), so a grant of an hour expires an hour later there as well."""

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


def stamp(moment: datetime) -> str:
    """The form a Wait state's TimestampPath reads: UTC, whole seconds, `Z`."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def parse(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))
