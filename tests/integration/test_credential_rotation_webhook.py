"""The webhook secret's test step: GitHub (the fake) pings the org hook, signing with the secret
the hook holds, and delivers the ping to the real ingress; the delivery's answer, as GitHub lists
it, proves the new secret verifies end to end."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime

import pytest

from functions.adapters import vendors
from functions.adapters.github import Webhook
from functions.core.change import ChangeContext
from functions.credential_rotation import steps
from sandbox.engine import ROOT, LocalEngine, load_event

from .credential_helpers import deliver, job_for, labels, value

GITHUB_SECRET = "platform-automation/github"
EVENT = ROOT / "events" / "scheduler" / "credential_rotation_webhook.json"


@pytest.fixture
def engine() -> Iterator[LocalEngine]:
    with LocalEngine() as eng:
        yield eng


def _github(engine: LocalEngine):  # type: ignore[no-untyped-def]
    assert engine.vendors is not None
    return engine.vendors.fakes["github"]


def _pings(engine: LocalEngine) -> list[int]:
    """The status codes of the org hook's ping deliveries, oldest first."""
    with _github(engine).lock:
        deliveries = _github(engine).hooks[1]["deliveries"]
        return [d["status_code"] for d in deliveries if d["event"] == "ping"]


def test_the_rotation_proves_the_new_secret_with_a_real_github_ping(engine: LocalEngine) -> None:
    assert _pings(engine) == []

    execution = engine.run("credential_rotation", load_event(EVENT))

    assert execution.status == "SUCCEEDED", execution.cause
    assert _pings(engine) == [200]  # signed with the new secret by GitHub, taken by the ingress
    assert any(c["path"].endswith("/hooks/1/pings") and c["status"] == 204 for c in execution.calls)


def test_a_ping_the_ingress_refuses_rolls_the_hook_back_to_the_old_secret(engine: LocalEngine) -> None:
    github = _github(engine)
    old = value(engine, GITHUB_SECRET)["webhook_secret"]
    before = labels(engine, GITHUB_SECRET)
    job = job_for(engine, "github-webhook-secret")
    changes = ChangeContext(execution_id="ping-1", actor=steps.ACTOR)
    steps.create(job, "ping-1", changes, steps.Vendors.live())
    steps.set_at_vendor(job, engine.config, changes, steps.Vendors.live())
    # Someone changes the hook's secret at GitHub between the two steps: GitHub now signs with a
    # secret the platform never stored, and the ingress refuses its ping.
    with github.lock:
        github.hooks[1]["config"]["secret"] = "a-secret-set-by-hand-in-github-settings"

    with pytest.raises(steps.CredentialTestFailedError, match="HTTP 401"):
        steps.test(job, engine.config, steps.Vendors.live())
    assert _pings(engine) == [401]

    steps.rollback(job, engine.config, changes, steps.Vendors.live())
    assert github.hook_secret() == old
    assert labels(engine, GITHUB_SECRET) == before
    assert deliver(old)


def test_a_ping_signed_with_the_current_secret_is_accepted_and_listed(engine: LocalEngine) -> None:
    hook = Webhook(1, org=engine.config.github.org)
    credentials = vendors.github_credentials()
    at = datetime.now(UTC)
    credentials.ping(hook)
    delivery = credentials.ping_delivery(hook, at)
    assert delivery is not None
    assert delivery[1] == 200
    assert _pings(engine) == [200]
