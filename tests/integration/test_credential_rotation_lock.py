"""One rotation per credential at a time: a second run for a credential another run is rotating
is refused (a person asking is told why; the schedule skips it), and the lease is given back
whether the rotation succeeded or failed."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator

import boto3
import pytest

from functions.core import lease as leases
from functions.credential_rotation.lock import SCOPE
from sandbox import clock
from sandbox.engine import ROOT, Execution, LocalEngine, load_event
from sandbox.fakes.base import Fault

from .credential_helpers import labels

EVENT = ROOT / "events" / "scheduler" / "credential_rotation_sendgrid.json"
SENDGRID_SECRET = "platform-automation/sendgrid"


@pytest.fixture
def engine() -> Iterator[LocalEngine]:
    with LocalEngine() as eng:
        yield eng


def _holder(engine: LocalEngine, name: str) -> str | None:
    ddb = boto3.client("dynamodb", region_name=engine.region)
    held = leases.holder(engine.resources.state_table, ddb, SCOPE, name)
    return held[0].execution_id if held else None


def _while_the_first_waits(engine: LocalEngine, event: dict[str, object]) -> tuple[Execution, Execution]:
    """The first run, and a second one started while the first is in its first Wait state."""
    second: list[Execution] = []
    holders: list[str | None] = []

    def start_the_second() -> None:
        if not second:
            holders.append(_holder(engine, "sendgrid-api-key"))
            second.append(engine.run("credential_rotation", event))

    stop = clock.on_wait(start_the_second)
    try:
        first = engine.run("credential_rotation", load_event(EVENT))
    finally:
        stop()
    assert holders == [first.id]  # the first held the credential while it waited
    return first, second[0]


def test_a_second_rotation_of_the_same_credential_is_refused_while_the_first_runs(engine: LocalEngine) -> None:
    first, second = _while_the_first_waits(engine, load_event(EVENT))

    assert first.status == "SUCCEEDED", first.cause
    assert [o["status"] for o in first.output["outcomes"]] == ["rotated"]
    assert second.status == "FAILED"
    assert second.error == "RotationFailed"
    assert f"sendgrid-api-key is being rotated by execution {first.id}" in (second.cause or "")
    assert not [s.name for s in second.steps if s.name in ("Create", "Set", "Test", "Finish")]
    # one rotation happened: one new key, AWSCURRENT on it, nothing pending
    assert sorted(stage for stages in labels(engine, SENDGRID_SECRET).values() for stage in stages) == [
        "AWSCURRENT",
        "AWSPREVIOUS",
    ]
    assert len(engine.vendors.fakes["sendgrid"].state()["api_keys"]) == 1  # type: ignore[union-attr]
    assert _holder(engine, "sendgrid-api-key") is None  # given back after the success


def test_the_schedule_skips_a_credential_being_rotated_without_failing(engine: LocalEngine) -> None:
    first, second = _while_the_first_waits(engine, {"action": "rotate"})

    assert first.status == "SUCCEEDED", first.cause
    assert second.status == "SUCCEEDED", second.cause
    assert [r["name"] for r in second.output["refused"]] == ["sendgrid-api-key"]
    assert second.output["outcomes"] == []  # it did not retire the old key the first was still using


def test_the_lease_is_given_back_after_a_failed_rotation(engine: LocalEngine) -> None:
    engine.vendors.set_faults(  # type: ignore[union-attr]
        "sendgrid",
        [Fault(status=None, count=1, match="GET /v3/api_keys/"), Fault(status=401, match="GET /v3/api_keys/")],
    )
    try:
        failed = engine.run("credential_rotation", load_event(EVENT))
    finally:
        engine.vendors.clear_faults()  # type: ignore[union-attr]
    assert failed.status == "FAILED"
    assert "the new SendGrid key does not work" in (failed.cause or "")
    assert _holder(engine, "sendgrid-api-key") is None

    again = engine.run("credential_rotation", load_event(EVENT))
    assert again.status == "SUCCEEDED", again.cause
    assert _holder(engine, "sendgrid-api-key") is None


def test_a_rotation_stopped_mid_way_gives_its_lease_back_at_once_and_the_next_run_finishes_it(
    engine: LocalEngine,
) -> None:
    """Stopped in its first Wait, a run never reaches its report: Step Functions' status change on
    the bus gives its lease back now (not when it runs out, days later), and the next run resumes
    the rotation it left half done."""
    waiting, stopped = threading.Event(), threading.Event()

    def hold_the_first_wait() -> None:
        if not waiting.is_set():
            waiting.set()
            stopped.wait(30)

    stop = clock.on_wait(hold_the_first_wait)
    try:
        execution = engine.start("credential_rotation", load_event(EVENT))
        assert waiting.wait(60), "the rotation never reached a Wait"
        assert _holder(engine, "sendgrid-api-key") == execution.id
        engine.sfn.stop_execution(executionArn=execution.arn, error="Operator", cause="stopped mid-rotation")
        stopped.set()
        assert execution.done.wait(30)
    finally:
        stopped.set()
        stop()

    assert execution.status in ("ABORTED", "FAILED")
    assert "Report" not in [s.name for s in execution.steps]
    assert _released_after(engine, execution.id) == ["sendgrid-api-key"]
    assert _holder(engine, "sendgrid-api-key") is None

    again = engine.run("credential_rotation", {"action": "rotate", "credential": "sendgrid-api-key"})
    assert again.status == "SUCCEEDED", again.cause
    assert [o["stage"] for o in again.output["outcomes"]] == ["resume"]


def _released_after(engine: LocalEngine, execution_id: str) -> list[str] | None:
    """What the status-change route gave back for `execution_id` (the bus records a target once it
    has answered)."""
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        for run in list(engine.bus.invocations):
            result = run["result"] or {}
            ended = run["detail_type"] == "Step Functions Execution Status Change"
            if ended and result.get("execution_id") == execution_id:
                return list(result["released"])
        time.sleep(0.05)
    return None
