"""functions/core/change.py: the one way a step changes something, against a moto audit table."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime
from functools import partial
from typing import Any

import boto3
import pytest
from moto import mock_aws

from functions.core import audit, clients, constants
from functions.core.change import ChangeContext, would
from functions.core.config import load_config
from functions.core.envelope import Task
from functions.people import ledger
from functions.people.context import Context, context
from functions.people.models import StepState
from sandbox.engine import DEFAULT_CONFIG
from sandbox.resources import LocalResources

REGION = "eu-west-1"
EXECUTION = "onboarding-20260301T090000-0a1b2c3d"


@pytest.fixture
def resources(monkeypatch: pytest.MonkeyPatch) -> Iterator[LocalResources]:
    monkeypatch.setenv("AWS_DEFAULT_REGION", REGION)
    with mock_aws():
        clients.reset()  # the ledger's cached client must talk to this moto world
        local = LocalResources(REGION)
        local.create()
        monkeypatch.setenv(constants.AUDIT_TABLE, local.audit_table)
        monkeypatch.setenv(constants.STATE_TABLE, local.state_table)
        yield local
    clients.reset()


@pytest.fixture
def ddb(resources: LocalResources) -> Any:
    return boto3.client("dynamodb", region_name=REGION)


class Calls:
    """A vendor call that remembers being made."""

    def __init__(self, returns: Any = "user-1") -> None:
        self.made = 0
        self.returns = returns

    def __call__(self) -> Any:
        self.made += 1
        return self.returns


class Journal:
    def __init__(self) -> None:
        self.kept: list[tuple[str, dict[str, Any]]] = []

    def __call__(self, execution_id: str, record: dict[str, Any]) -> None:
        self.kept.append((execution_id, record))


def changes(ddb: Any, **fields: Any) -> ChangeContext:
    who = {"requester": "jane.doe@example.com", "approver": "cto@example.com"}
    return ChangeContext(execution_id=EXECUTION, audit_client=ddb, **{**who, **fields})


def test_a_dry_run_notes_what_it_would_do_and_calls_nothing(ddb: Any) -> None:
    call, journal = Calls(), Journal()
    ctx = changes(ddb, dry_run=True, journal=journal)

    returned = ctx.change(
        "okta",
        "create user",
        "okta:user/ada@example.com",
        call,
        line="created Okta user ada@example.com",
        undo={"action": "delete okta user", "email": "ada@example.com"},
        before=None,
        after={"status": "ACTIVE"},
    )

    assert returned is None
    assert call.made == 0
    assert ctx.would == [{"vendor": "okta", "operation": "create user", "target": "okta:user/ada@example.com"}]
    assert ctx.summary == ["would create Okta user ada@example.com"]
    assert ctx.created == []
    assert journal.kept == []
    assert audit.entries(EXECUTION, client=ddb) == []


def test_a_change_is_made_and_audited_with_who_asked_who_approved_and_before_and_after(ddb: Any) -> None:
    call = Calls(returns="00u1")
    ctx = changes(ddb)

    returned = ctx.change(
        "okta",
        "activate user",
        "okta:user/ada@example.com",
        call,
        line="activated Okta user ada@example.com",
        before="STAGED",
        after="ACTIVE",
    )

    assert (returned, call.made) == ("00u1", 1)
    assert ctx.summary == ["activated Okta user ada@example.com"]
    assert ctx.would == []
    (entry,) = audit.entries(EXECUTION, client=ddb)
    assert {k: entry[k] for k in ("actor", "vendor", "action", "target", "requester", "approver", "dry_run")} == {
        "actor": "platform-automation",
        "vendor": "okta",
        "action": "activate user",
        "target": "okta:user/ada@example.com",
        "requester": "jane.doe@example.com",
        "approver": "cto@example.com",
        "dry_run": False,
    }
    assert (json.loads(entry["before"]), json.loads(entry["after"])) == ("STAGED", "ACTIVE")


def test_after_left_out_says_done_and_after_none_says_gone(ddb: Any) -> None:
    ctx = changes(ddb, actor="dr-drill-schedule")

    ctx.change("github", "add label", "github:issue/1", Calls(), line="labelled the issue")
    ctx.change("aws", "dynamodb:DeleteTable", "drill-orders", Calls(), line="deleted drill-orders", after=None)

    entries = sorted(audit.entries(EXECUTION, client=ddb), key=lambda e: e["action"])
    assert [(e["action"], json.loads(e["after"])) for e in entries] == [
        ("add label", "done"),
        ("dynamodb:DeleteTable", None),
    ]
    assert {e["actor"] for e in entries} == {"dr-drill-schedule"}


def test_the_undo_journal_is_given_how_to_undo_each_change_as_it_is_made(ddb: Any) -> None:
    journal = Journal()
    ctx = changes(ddb, journal=journal)

    ctx.change(
        "okta",
        "create user",
        "okta:user/ada@example.com",
        Calls(),
        line="created Okta user ada@example.com",
        undo={"action": "delete okta user", "email": "ada@example.com"},
    )
    ctx.change("slack", "post message", "slack:#general", Calls(), line="announced the onboarding in #general")

    record = {"action": "delete okta user", "email": "ada@example.com", "label": "created Okta user ada@example.com"}
    assert journal.kept == [(EXECUTION, record)]  # a change that cannot be undone is not journaled
    assert ctx.created == [record]
    assert ctx.result(user_id="00u1") == {
        "created": [record],
        "would": [],
        "summary": ["created Okta user ada@example.com", "announced the onboarding in #general"],
        "user_id": "00u1",
    }


def test_a_change_that_raises_is_neither_audited_nor_journaled(ddb: Any) -> None:
    journal = Journal()
    ctx = changes(ddb, journal=journal)

    def refused() -> None:
        raise RuntimeError("HTTP 403")

    with pytest.raises(RuntimeError, match="HTTP 403"):
        ctx.change("okta", "create user", "okta:user/x", refused, line="created x", undo={"action": "delete"})

    assert (ctx.summary, ctx.created, journal.kept) == ([], [], [])
    assert audit.entries(EXECUTION, client=ddb) == []


def test_a_call_that_found_nothing_to_change_is_not_audited(ddb: Any) -> None:
    ctx = changes(ddb)

    def stop(state: str) -> dict[str, str]:
        return {"outcome": state, "message": "running -> stopping" if state == "ok" else "already stopped"}

    for state in ("skipped", "ok"):
        ctx.change(
            "aws",
            "ec2:StopInstances",
            f"i-{state}",
            partial(stop, state),
            line=f"stopped ec2 i-{state}",
            after_of=lambda result: result["message"],
            changed=lambda result: result["outcome"] == "ok",
        )

    (entry,) = audit.entries(EXECUTION, client=ddb)
    assert (entry["target"], json.loads(entry["after"])) == ("i-ok", "running -> stopping")
    assert ctx.summary == ["stopped ec2 i-ok"]


def test_evidence_is_kept_in_a_dry_run_too_and_audited_as_one(ddb: Any, resources: LocalResources) -> None:
    s3 = boto3.client("s3", region_name=REGION)
    ctx = changes(ddb, dry_run=True, actor="off-hours-schedule")
    at = datetime(2026, 3, 1, 18, 0, tzinfo=UTC)

    location = ctx.keep_evidence(s3, resources.evidence_bucket, "off-hours", {"summary": "x"}, at=at, after={"n": 1})

    key = f"off-hours/2026/03/01/{EXECUTION}.json"
    assert location == f"s3://{resources.evidence_bucket}/{key}"
    assert json.loads(s3.get_object(Bucket=resources.evidence_bucket, Key=key)["Body"].read()) == {"summary": "x"}
    (entry,) = audit.entries(EXECUTION, client=ddb)
    assert (entry["action"], entry["target"], entry["dry_run"]) == ("s3:PutObject", location, True)


def test_a_recorded_decision_may_name_its_own_approver(ddb: Any) -> None:
    ctx = changes(ddb, approver="")

    ctx.record("aws", "remediation.applied", "billing-critical", before={"would_stop": []}, approver="cfo@example.com")
    ctx.record("aws", "s3:PutObject", "s3://evidence/x.json")

    entries = sorted(audit.entries(EXECUTION, client=ddb), key=lambda e: e["action"])
    assert [(e["action"], e.get("approver")) for e in entries] == [
        ("remediation.applied", "cfo@example.com"),
        ("s3:PutObject", None),
    ]


@pytest.mark.parametrize(
    ("line", "dry"),
    [
        ("created Okta user ada@example.com", "would create Okta user ada@example.com"),
        ("stopped ec2 dev-api (i-0123)", "would stop ec2 dev-api (i-0123)"),
        ("restored arn:backup into drill-orders", "would restore arn:backup into drill-orders"),
        ("triggered platform-automation/cost-alarm/x", "would trigger platform-automation/cost-alarm/x"),
        ("undid everything", "would undo everything"),
    ],
)
def test_summary_lines_turn_into_what_would_be_done(line: str, dry: str) -> None:
    assert would(line) == dry


def test_the_people_workflows_context_is_the_core_one_with_their_ledger_as_journal(resources: LocalResources) -> None:
    state = {
        "request": {},
        "origin": {"kind": "api"},
        "request_key": "api:1",
        "requested_by": "someone@example.com",
        "validation": {"ok": True, "person": {"email": "ada@example.com"}, "requester": "jane.doe@example.com"},
        "approval": {"decision": "approved", "approver": "cto@example.com"},
    }
    task = Task[StepState](execution_id=EXECUTION, workflow="onboarding", state=StepState.model_validate(state))
    ctx = context(task, load_config(DEFAULT_CONFIG))

    ctx.change("okta", "create user", "okta:user/ada", Calls(), line="created ada", undo={"action": "delete"})

    assert isinstance(ctx, Context)
    assert isinstance(ctx, ChangeContext)
    assert (ctx.requester, ctx.approver, ctx.request_key, ctx.dry_run) == (
        "jane.doe@example.com",
        "cto@example.com",
        "api:1",
        False,
    )
    assert ledger.journaled(EXECUTION) == [{"action": "delete", "label": "created ada"}]
    (entry,) = audit.entries(EXECUTION)
    assert (entry["requester"], entry["approver"]) == ("jane.doe@example.com", "cto@example.com")
