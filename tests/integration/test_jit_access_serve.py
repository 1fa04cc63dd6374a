"""Just-in-time access through `serve`, the way it arrives in AWS: a signed `/platform access`
command (ingress -> bus -> command worker -> bus -> execution), the approval clicked in Slack
(POST /slack/interactions, signed, decided by functions/core/approvals.py), the grant, expiry
on virtual time and the verified revocation; and the reminder's Extend button clicked through
the same interaction endpoint. The sandbox's Identity Center holds no JIT assignment after each."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from typing import Any

import boto3
import pytest

from functions.core.approvals import APPROVE
from functions.core.jit_buttons import EXTEND
from functions.jit_access import handlers, timing
from functions.jit_access.store import GrantStore, Live
from sandbox.engine import Execution, LocalEngine, manual_policy
from sandbox.server import serve_in_background
from tests.integration.ingress_helpers import button_click, post, slack_headers, slash_command, wait_until
from tests.integration.test_jit_access import (
    ALL_WEEK,
    DEV,
    MARIA,
    PRODUCTION,
    SAM,
    assignments,
    audit_actions,
    config_with_hours,
    dms,
)


@pytest.fixture(scope="module")
def local(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[LocalEngine, str]]:
    with LocalEngine(config_with_hours(tmp_path_factory, ALL_WEEK), approvals=manual_policy) as engine:
        server, url = serve_in_background(engine)
        yield engine, url
        server.shutdown()


@pytest.fixture
def served(local: tuple[LocalEngine, str]) -> Iterator[tuple[LocalEngine, str]]:
    engine, url = local
    assert engine.vendors is not None
    engine.vendors.reseed()
    before = holders(engine)
    yield engine, url
    assert assignments(engine, DEV) == set(), "a grant outlived its scenario"
    assert holders(engine) == before  # nobody else got production PlatformAdmin either


def holders(engine: LocalEngine) -> set[str]:
    """Who holds PlatformAdmin in production in the sandbox's Identity Center."""
    sso = boto3.client("sso-admin", region_name=engine.region)
    instance = engine.config.aws.identity_center.instance_arn
    arn = next(
        a
        for a in sso.list_permission_sets(InstanceArn=instance)["PermissionSets"]
        if sso.describe_permission_set(InstanceArn=instance, PermissionSetArn=a)["PermissionSet"]["Name"]
        == "PlatformAdmin"
    )
    found = sso.list_account_assignments(InstanceArn=instance, AccountId=PRODUCTION, PermissionSetArn=arn)
    return {a["PrincipalId"] for a in found["AccountAssignments"]}


def slack(engine: LocalEngine) -> Any:
    return engine.vendors.fakes["slack"]  # type: ignore[union-attr]


def command(engine: LocalEngine, url: str, text: str, email: str) -> str:
    response_url = slack(engine).response_url()
    body = slash_command(text, slack(engine).user_id(email), response_url)
    status, answer = post(url + "/slack/commands", body, slack_headers(body))
    assert status == 200, answer
    assert answer["text"].startswith("Working on"), answer
    return response_url


def click(engine: LocalEngine, url: str, action_id: str, value: str, email: str) -> dict[str, Any]:
    body = button_click(action_id, value, slack(engine).user_id(email), slack(engine).response_url())
    status, answer = post(url + "/slack/interactions", body, slack_headers(body))
    assert status == 200, answer
    return dict(answer)


def buttons(engine: LocalEngine, action_id: str) -> list[str]:
    """The values of every posted button with this action id, oldest first."""
    found = []
    for messages in slack(engine).state()["messages"].values():
        for message in messages:
            for block in message.get("blocks") or []:
                found += [e["value"] for e in block.get("elements") or [] if e.get("action_id") == action_id]
    return found


def new_execution(engine: LocalEngine, seen: set[str], action: str) -> Execution:
    return wait_until(
        lambda: next(
            (e for i, e in list(engine.executions.items()) if i not in seen and e.input.get("action") == action),
            None,
        ),
        what=f"a jit_access {action} execution",
    )


def sso(engine: LocalEngine, execution: Execution) -> list[str]:
    return [a["action"] for a in audit_actions(engine, execution.id) if a["action"].startswith("sso:")]


def test_a_signed_command_and_an_approval_click_grant_until_expiry_then_revoke(served):
    engine, url = served
    seen = set(engine.executions)
    command(engine, url, "access prod-admin 30m INC-1 restart the queue", DEV)
    execution = new_execution(engine, seen, "request")
    wait_until(lambda: execution.pending, what="the approval request")
    (approval_id,) = wait_until(lambda: buttons(engine, APPROVE), what="the Approve button")
    answer = click(engine, url, APPROVE, approval_id, DEV)  # the requester's own click decides nothing
    assert "your own request" in answer["text"], answer
    assert assignments(engine, DEV) == set()
    answer = click(engine, url, APPROVE, approval_id, MARIA)
    assert answer["text"].startswith("Approved by"), answer
    assert execution.done.wait(60)
    assert execution.status == "SUCCEEDED", (execution.error, execution.cause)
    assert sso(engine, execution) == ["sso:CreateAccountAssignment", "sso:DeleteAccountAssignment"]
    assert execution.virtual_wait_s >= 30 * 60 - 5  # held for its 30 minutes, on virtual time
    told = dms(engine, DEV)
    assert any("active until" in t and f"approved by {MARIA}" in t for t in told), told
    assert any("was revoked (expired) and verified gone" in t for t in told), told


class HeldAfterReminder:
    """Holds a grant's execution once its reminder (with the Extend button) went out, until set:
    on virtual time it would otherwise expire before the test could click."""

    def __init__(self, engine: LocalEngine) -> None:
        self.release = threading.Event()
        self.engine = engine

    def __call__(self, event: Any, context: Any) -> Any:
        result = handlers.watch(event, context)
        if result.get("reminded"):
            self.release.wait(60)
        return result

    def __enter__(self) -> HeldAfterReminder:
        self.engine.dispatcher.register("JitAccessWatch", self)
        return self

    def __exit__(self, *_: object) -> None:
        self.release.set()
        self.engine.dispatcher._overrides.pop("JitAccessWatch", None)


def granted(engine: LocalEngine, url: str, duration: str) -> tuple[Execution, str]:
    """A grant of `duration` approved in Slack, held at its reminder: (its execution, its id)."""
    seen = set(engine.executions)
    command(engine, url, f"access prod-admin {duration} INC-2 migrate the queue", DEV)
    execution = new_execution(engine, seen, "request")
    approval_id = wait_until(lambda: buttons(engine, APPROVE), what="the Approve button")[-1]
    click(engine, url, APPROVE, approval_id, MARIA)
    value = wait_until(lambda: buttons(engine, EXTEND), what="the reminder's Extend button")[-1]
    assert (PRODUCTION, "PlatformAdmin") in assignments(engine, DEV)
    return execution, value


def record(engine: LocalEngine, grant_id: str) -> Live:
    live = GrantStore(engine.resources.state_table, boto3.client("dynamodb", region_name=engine.region)).get(grant_id)
    assert live is not None
    return live


def expiry(engine: LocalEngine, grant_id: str) -> str:
    return record(engine, grant_id).expires_at


def test_the_extend_button_extends_within_the_maximum_at_once(served):
    engine, url = served
    with HeldAfterReminder(engine) as held:
        execution, value = granted(engine, url, "3h")
        grant_id = value.split()[0]
        before = expiry(engine, grant_id)
        seen = set(engine.executions)
        answer = click(engine, url, EXTEND, value, SAM)  # not the grantee: the workflow refuses
        assert "Extending" in answer["text"], answer
        refused = new_execution(engine, seen, "extend")
        assert refused.done.wait(60)
        assert refused.output == "refused"
        assert any("Only the grantee may extend" in t for t in dms(engine, SAM)), dms(engine, SAM)
        seen = set(engine.executions)
        click(engine, url, EXTEND, value, DEV)
        extended = new_execution(engine, seen, "extend")
        assert extended.done.wait(60)
        assert extended.status == "SUCCEEDED", extended.cause
        assert extended.output["extended"] is True, extended.output
        assert extended.output["before"] == before
        assert expiry(engine, grant_id) > before
        assert "AskExtension" not in [s.name for s in extended.steps]  # within the maximum: not asked
        held.release.set()
        assert execution.done.wait(60)
    assert execution.status == "SUCCEEDED", execution.cause
    live = record(engine, grant_id)
    assert (timing.parse(live.revoked_at) - timing.parse(live.granted_at)).total_seconds() >= (3 * 60 + 30) * 60


def test_the_extend_button_past_the_maximum_asks_for_approval_again(served):
    engine, url = served
    with HeldAfterReminder(engine) as held:
        execution, value = granted(engine, url, "4h")
        grant_id = value.split()[0]
        before = expiry(engine, grant_id)
        approvals_before = len(buttons(engine, APPROVE))
        seen = set(engine.executions)
        click(engine, url, EXTEND, value, DEV)
        extension = new_execution(engine, seen, "extend")
        wait_until(lambda: len(buttons(engine, APPROVE)) > approvals_before, what="the extension's approval")
        assert expiry(engine, grant_id) == before  # nothing until it is approved
        answer = click(engine, url, APPROVE, buttons(engine, APPROVE)[-1], MARIA)
        assert answer["text"].startswith("Approved by"), answer
        assert extension.done.wait(60)
        assert extension.output["extended"] is True, extension.output
        assert expiry(engine, grant_id) > before
        held.release.set()
        assert execution.done.wait(60)
    assert execution.status == "SUCCEEDED", execution.cause


def test_an_extend_button_that_names_no_grant_starts_nothing(served):
    engine, url = served
    seen = set(engine.executions)
    answer = click(engine, url, EXTEND, "<!channel> forever", DEV)
    assert "does not name a grant" in answer["text"], answer
    assert set(engine.executions) == seen
