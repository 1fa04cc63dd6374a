"""Shared fixtures for the adapter tests: adapters talk to the sandbox fakes over real HTTP."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from functions.adapters import retry
from sandbox.fakes.org import load_org


@pytest.fixture(autouse=True)
def sleeps() -> Iterator[list[float]]:
    """Retry waits are recorded instead of slept, so a 429 storm costs no wall time."""
    waited: list[float] = []
    previous = retry.set_sleeper(waited.append)
    yield waited
    retry.set_sleeper(previous)


@pytest.fixture(scope="session")
def org() -> dict:
    return load_org()
