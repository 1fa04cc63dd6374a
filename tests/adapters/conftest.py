"""Shared fixtures for the adapter tests: adapters talk to the sandbox fakes over real HTTP."""

from __future__ import annotations

import threading
from collections.abc import Iterator

import pytest

from functions.adapters import retry
from sandbox.fakes.org import load_org


@pytest.fixture(autouse=True)
def sleeps() -> Iterator[list[float]]:
    """Retry waits of the test's own thread are recorded instead of slept, so a 429 storm costs no
    wall time. Other threads (an execution left over from an earlier module of this worker) keep
    the previous sleeper: their waits are not this test's."""
    waited: list[float] = []
    test_thread = threading.get_ident()
    previous = retry.set_sleeper(lambda s: waited.append(s) if threading.get_ident() == test_thread else previous(s))
    yield waited
    retry.set_sleeper(previous)


@pytest.fixture(scope="session")
def org() -> dict:
    return load_org()
