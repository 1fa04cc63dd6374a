"""`GitHub.last_commit` (the DR drill's runbook age) against the GitHub fake over real HTTP: the
newest commit that changed a path, not the newest commit of the repository."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest

from functions.adapters.github import GitHub, TokenAuth
from functions.adapters.retry import RetryPolicy
from sandbox.fakes import credentials
from sandbox.fakes.github import FakeGitHub

POLICY = RetryPolicy(max_attempts=3, base_s=0.1, cap_s=1.0, budget_s=10.0, jitter=lambda: 1.0)
RUNBOOKS = "example-corp/runbooks"


@pytest.fixture(scope="module")
def server() -> Iterator[FakeGitHub]:
    with FakeGitHub() as fake:
        yield fake


@pytest.fixture
def fake(server: FakeGitHub, org: dict[str, Any]) -> FakeGitHub:
    server.reseed(org)
    return server


@pytest.fixture
def gh(fake: FakeGitHub) -> GitHub:
    return GitHub(fake.url, TokenAuth(credentials.GITHUB_TOKEN), policy=POLICY, transport=httpx.HTTPTransport())


def _age_days(when: datetime | None) -> float:
    assert when is not None
    return (datetime.now(UTC) - when).total_seconds() / 86400


def test_the_last_commit_of_a_path_is_the_one_that_changed_it(gh: GitHub, fake: FakeGitHub) -> None:
    stale = gh.last_commit(RUNBOOKS, "dr/billing-db.md")
    fresh = gh.last_commit(RUNBOOKS, "dr/orders.md")

    assert stale is not None
    assert fresh is not None
    # the orders runbook was committed after billing-db's: the repository's head is not billing-db's
    assert stale.sha != fresh.sha
    assert stale.title == "DR runbook: billing database"
    assert _age_days(stale.committed_at) == pytest.approx(400, abs=0.01)
    assert _age_days(fresh.committed_at) == pytest.approx(12, abs=0.01)

    fake.add_commit(RUNBOOKS, "Update the billing runbook", files={"dr/billing-db.md": "# Restoring billing-db v2\n"})
    fake.add_commit(RUNBOOKS, "Unrelated change", files={"README.md": "runbooks\n"})
    updated = gh.last_commit(RUNBOOKS, "dr/billing-db.md")
    assert updated is not None
    assert updated.title == "Update the billing runbook"
    assert _age_days(updated.committed_at) < 0.01


def test_no_commit_for_a_missing_path_or_repository(gh: GitHub) -> None:
    assert gh.last_commit(RUNBOOKS, "dr/customers.md") is None
    assert gh.last_commit("example-corp/no-such-repo", "dr/orders.md") is None
