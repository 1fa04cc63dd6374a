"""A clock a workflow can measure with, which the local engine can replace.

In AWS it is the wall clock, Wait states included. The local engine runs Wait states on virtual
time, so it installs a source that reads that time (sandbox/clock.py, sandbox/dr_scenario.py): a
grant of an hour expires an hour later there too, and a restore that polls for 90 virtual
minutes measures 90 minutes."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime

Source = Callable[[], datetime]


def _wall_clock() -> datetime:
    return datetime.now(UTC)


class Clock:
    """One per workflow that measures time: each is replaced on its own (the DR drill's counts the
    waits of the running Map branch, the JIT grant's the engine's virtual time)."""

    def __init__(self) -> None:
        self._source: Source = _wall_clock

    def now(self) -> datetime:
        return self._source()

    def set_source(self, source: Source | None) -> Source:
        """Replace the clock (None: the wall clock again); returns the one it replaced."""
        previous, self._source = self._source, source or _wall_clock
        return previous
