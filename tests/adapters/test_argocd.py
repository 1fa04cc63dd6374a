"""The Argo CD adapter against the Argo CD fake over real HTTP: status, sync, rollback, refresh,
and the grpc-gateway errors mapped to VendorError."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest

from functions.adapters import secrets as secrets_module
from functions.adapters.argocd import ArgoCd
from functions.adapters.errors import TransientVendorError, VendorError
from functions.adapters.retry import RetryPolicy
from functions.core.config import PlatformConfig
from sandbox import calls
from sandbox.fakes import credentials
from sandbox.fakes.argocd import FakeArgoCd, NextSync, parse_next_sync
from sandbox.fakes.base import Fault

POLICY = RetryPolicy(max_attempts=4, base_s=0.5, cap_s=8.0, budget_s=60.0, jitter=lambda: 1.0)
# One loopback transport for every adapter here: each httpx client would otherwise build its own
# TLS context (about 0.1 s) for connections that are plain HTTP anyway.
LOOPBACK = httpx.HTTPTransport()


@pytest.fixture(scope="module")
def server() -> Iterator[FakeArgoCd]:
    with FakeArgoCd() as fake:
        yield fake


@pytest.fixture
def fake(server: FakeArgoCd, org) -> FakeArgoCd:
    server.reseed(org)
    server.polls_to_complete = 1  # the fixture's apps roll out over virtual time; these tests step by polls
    return server


@pytest.fixture
def argo(fake: FakeArgoCd) -> ArgoCd:
    return ArgoCd(fake.url, credentials.ARGOCD_TOKEN, policy=POLICY, transport=LOOPBACK)


def argo_calls(mark: int) -> list[dict[str, Any]]:
    return [c for c in calls.since(mark) if c["service"] == "argocd"]


def test_get_application_reads_sync_health_revision_and_history(argo: ArgoCd):
    app = argo.get_application("web")
    assert (app.name, app.sync_status, app.health_status, app.revision) == ("web", "Synced", "Healthy", "1.4.0")
    assert app.operation_phase is None
    assert not app.operation_running
    assert app.settled
    assert app.healthy
    assert [(h.id, h.revision) for h in app.history] == [(0, "1.4.0")]
    assert app.history[0].deployed_at is not None
    assert app.previous is None
    assert [a.name for a in argo.list_applications()] == ["orders-api-production", "orders-api-staging", "web"]


def test_a_sync_runs_then_succeeds_and_records_history(argo: ArgoCd, fake: FakeArgoCd):
    mark = calls.mark()
    started = argo.sync("web", "a1b2c3d", prune=True)

    assert (started.operation_phase, started.health_status, started.sync_status) == (
        "Running",
        "Progressing",
        "OutOfSync",
    )
    assert started.operation_running
    assert not started.settled
    assert argo_calls(mark)[0]["body"] == {"name": "web", "revision": "a1b2c3d", "prune": True}

    done = argo.get_application("web")
    assert (done.operation_phase, done.health_status, done.sync_status, done.revision) == (
        "Succeeded",
        "Healthy",
        "Synced",
        "a1b2c3d",
    )
    assert done.healthy
    assert [h.revision for h in done.history] == ["1.4.0", "a1b2c3d"]
    assert done.previous is not None
    assert done.previous.revision == "1.4.0"
    assert fake.state()["applications"]["web"] == {
        "sync": "Synced",
        "health": "Healthy",
        "revision": "a1b2c3d",
        "phase": "Succeeded",
        "history": 2,
        "history_revisions": ["1.4.0", "a1b2c3d"],
    }


def test_a_sync_without_a_revision_takes_what_the_app_tracks(argo: ArgoCd, fake: FakeArgoCd):
    fake.set_head_revision("web", "f00dfeed")
    assert argo.get_application("web").sync_status == "OutOfSync"
    argo.sync("web")
    assert argo.get_application("web").revision == "f00dfeed"


def test_an_operation_can_take_several_polls(argo: ArgoCd, fake: FakeArgoCd):
    fake.polls_to_complete = 3
    argo.sync("web", "a1b2c3d")
    phases = [argo.get_application("web").operation_phase for _ in range(3)]
    assert phases == ["Running", "Running", "Succeeded"]


def test_a_degraded_sync_is_rolled_back_to_the_previous_deployment(argo: ArgoCd, fake: FakeArgoCd):
    argo.sync("web", "good")
    argo.get_application("web")
    fake.fail_next_sync("web", health="Degraded")
    argo.sync("web", "bad")

    broken = argo.get_application("web")
    assert (broken.operation_phase, broken.health_status, broken.revision) == ("Succeeded", "Degraded", "bad")
    assert broken.settled
    assert not broken.healthy
    assert broken.previous is not None
    assert broken.previous.revision == "good"

    mark = calls.mark()
    rolling = argo.rollback("web", broken.previous.id)
    assert rolling.operation_running
    assert argo_calls(mark)[0]["body"] == {"name": "web", "id": broken.previous.id, "prune": False}

    back = argo.get_application("web")
    assert (back.revision, back.health_status, back.operation_phase) == ("good", "Healthy", "Succeeded")
    assert [h.revision for h in back.history] == ["1.4.0", "good", "bad", "good"]


def test_a_failed_sync_records_no_history(argo: ArgoCd, fake: FakeArgoCd):
    fake.fail_next_sync("web", health="Degraded", phase="Failed")
    argo.sync("web", "broken")
    app = argo.get_application("web")
    assert (app.operation_phase, app.sync_status, app.revision) == ("Failed", "OutOfSync", "1.4.0")
    assert len(app.history) == 1


def test_refresh_asks_argo_to_compare_now(argo: ArgoCd):
    mark = calls.mark()
    argo.refresh("web")
    argo.refresh("web", hard=True)
    assert [c["query"] for c in argo_calls(mark)] == [{"refresh": "normal"}, {"refresh": "hard"}]


def test_a_second_sync_while_one_runs_is_refused_at_once(argo: ArgoCd, sleeps):
    argo.sync("web", "one")
    with pytest.raises(VendorError) as caught:
        argo.sync("web", "two")
    assert (caught.value.status, caught.value.detail) == (400, "another operation is already in progress")
    assert sleeps == []


def test_rollback_to_an_unknown_history_id_is_a_400(argo: ArgoCd):
    with pytest.raises(VendorError) as caught:
        argo.rollback("web", 42)
    assert (caught.value.status, caught.value.operation) == (400, "roll back application")
    assert "does not have deployment with id 42" in caught.value.detail


def test_an_unknown_application_is_a_404_with_argos_message(argo: ArgoCd, sleeps):
    mark = calls.mark()
    with pytest.raises(VendorError) as caught:
        argo.get_application("nope")
    error = caught.value
    assert (error.vendor, error.operation, error.status) == ("argocd", "get application", 404)
    assert error.detail == 'applications.argoproj.io "nope" not found'
    assert error.request_id
    assert len(argo_calls(mark)) == 1
    assert sleeps == []


def test_bad_credentials_are_a_401(fake: FakeArgoCd, sleeps):
    argo = ArgoCd(fake.url, "not-the-token", policy=POLICY, transport=LOOPBACK)
    with pytest.raises(VendorError) as caught:
        argo.get_application("web")
    assert (caught.value.status, caught.value.detail) == (401, "invalid session: token signature is invalid")
    assert sleeps == []
    with pytest.raises(ValueError, match="token is required"):
        ArgoCd(fake.url, " ")


def test_a_429_storm_ends_in_success_after_retry_after(argo: ArgoCd, fake: FakeArgoCd, sleeps):
    fake.set_faults([Fault(status=429, count=3, retry_after_s=1.5)])
    mark = calls.mark()
    assert argo.sync("web", "a1b2c3d").operation_running
    assert [c["status"] for c in argo_calls(mark)] == [429, 429, 429, 200]
    assert sleeps == [1.5, 1.5, 1.5]


def test_a_permanent_500_surfaces_as_a_transient_vendor_error(argo: ArgoCd, fake: FakeArgoCd, sleeps):
    fake.set_faults([Fault(status=500)])
    mark = calls.mark()
    with pytest.raises(TransientVendorError) as caught:
        argo.get_application("web")
    error = caught.value
    assert (error.vendor, error.operation, error.status) == ("argocd", "get application", 500)
    assert error.request_id
    assert len(argo_calls(mark)) == POLICY.max_attempts
    assert sleeps == [0.5, 1.0, 2.0]


def test_from_config_reads_the_token_and_the_url(fake: FakeArgoCd, example_data, monkeypatch):
    config = PlatformConfig.model_validate(example_data)
    assert config.argocd is not None
    monkeypatch.setenv("PLATFORM_ARGOCD_URL", fake.url)
    monkeypatch.setattr(secrets_module, "get_secret", lambda name, vendor: {"token": credentials.ARGOCD_TOKEN})
    assert ArgoCd.from_config(config).get_application("web").healthy

    del example_data["argocd"], example_data["services"]  # services need argocd
    with pytest.raises(VendorError, match="no argocd section"):
        ArgoCd.from_config(PlatformConfig.model_validate(example_data))


def test_a_request_without_a_session_is_refused_like_argo_does(fake: FakeArgoCd):
    response = httpx.get(f"{fake.url}/api/v1/applications/web", timeout=5)
    assert response.status_code == 401
    assert response.json() == {"error": "no session information", "code": 16, "message": "no session information"}


# --- over virtual time, as the local engine runs it ----------------------------------------------------
class Clock:
    def __init__(self) -> None:
        self.now = 1_800_000_000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def timed(server: FakeArgoCd, org) -> tuple[FakeArgoCd, Clock]:
    server.reseed(org)
    assert server.polls_to_complete is None  # the fixture organisation's argocd.progress
    clock = Clock()
    server.clock = clock
    return server, clock


def test_a_sync_applies_then_turns_healthy_over_time_and_health_has_its_transition_time(argo: ArgoCd, timed):
    _, clock = timed
    started = argo.sync("orders-api-staging", "c0ffee0c0ffee0c0ffee0c0ffee0c0ffee0c0ffe")
    assert (started.operation_running, started.health_status) == (True, "Progressing")
    clock.now += 4
    assert argo.get_application("orders-api-staging").operation_running
    clock.now += 2  # applied at 5 s: Synced at the revision, still rolling out
    applied = argo.get_application("orders-api-staging")
    assert (applied.operation_phase, applied.sync_status, applied.health_status) == (
        "Succeeded",
        "Synced",
        "Progressing",
    )
    assert applied.synced_at("c0ffee0")
    assert not applied.healthy
    assert "rollout" in (applied.health_message or "")
    clock.now += 30
    ready = argo.get_application("orders-api-staging")
    assert ready.healthy
    assert ready.health_since == datetime.fromtimestamp(1_800_000_030, UTC)
    assert ready.operation_revision == "c0ffee0c0ffee0c0ffee0c0ffee0c0ffee0c0ffe"
    again = argo.get_application("orders-api-staging")
    assert again.health_since == ready.health_since  # nothing moved: the same transition time


def test_a_queued_outcome_can_turn_healthy_then_degraded_and_the_next_one_is_healthy(argo: ArgoCd, timed):
    fake, clock = timed
    fake.set_next_sync("orders-api-staging", "Healthy", healthy_for_s=20)
    fake.set_next_sync("orders-api-staging", "Missing", "Failed")
    assert [o["health"] for o in fake.next_syncs("orders-api-staging")] == ["Healthy", "Missing"]
    argo.sync("orders-api-staging", "aaaaaaa")
    clock.now += 31
    assert argo.get_application("orders-api-staging").health_status == "Healthy"
    clock.now += 20
    flapped = argo.get_application("orders-api-staging")
    assert (flapped.health_status, flapped.sync_status) == ("Degraded", "Synced")
    argo.sync("orders-api-staging", "bbbbbbb")
    clock.now += 6
    failed = argo.get_application("orders-api-staging")
    assert (failed.operation_phase, failed.sync_status, failed.health_status) == ("Failed", "OutOfSync", "Missing")
    assert failed.revision == "aaaaaaa"
    argo.sync("orders-api-staging", "ccccccc")
    clock.now += 31
    assert argo.get_application("orders-api-staging").healthy


def test_an_auto_synced_app_says_so(argo: ArgoCd, fake: FakeArgoCd):
    fake.add_application("auto", automated=True)
    assert argo.get_application("auto").auto_sync
    assert not argo.get_application("web").auto_sync


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("web=Degraded", NextSync("web", "Degraded")),
        ("web=Missing,phase=Failed", NextSync("web", "Missing", "Failed")),
        ("web=Healthy,healthy_for_s=40", NextSync("web", "Healthy", healthy_for_s=40.0)),
    ],
)
def test_the_cli_form_of_a_next_sync(text, expected):
    assert parse_next_sync(text) == expected


@pytest.mark.parametrize("text", ["web", "web=", "web=Sick", "web=Degraded,phase=Done", "web=Degraded,colour"])
def test_a_bad_next_sync_says_what_is_wrong(text):
    with pytest.raises(ValueError, match="--argocd"):
        parse_next_sync(text)
