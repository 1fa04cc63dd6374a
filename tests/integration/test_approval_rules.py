"""Who may ask and who may decide, through the real intake, approval step and decision code on the
local server (signed webhooks, signed Slack clicks), with people resolved by the identity directory."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

from functions.adapters import vendors
from functions.core import approvals, audit
from sandbox.engine import ApprovalRefused, Decision, LocalEngine, manual_policy
from sandbox.server import serve_in_background
from tests.integration.ingress_helpers import wait_until
from tests.integration.onboarding_helpers import (
    DEV,
    MARIA,
    Local,
    approval_buttons,
    click,
    configured,
    deliver,
    executions_after,
    explain,
    fake,
    hire_delivery,
    issue,
    messages,
    new_hire,
    okta_user,
    org,
    start_input,
)

HANA = "hana.reyes@example.com"  # HR: files requests as a member of the HR Okta group


@pytest.fixture(scope="module")
def local() -> Iterator[Local]:
    with LocalEngine(approvals=manual_policy, org=org()) as engine:
        server, url = serve_in_background(engine)
        yield Local(engine, url)
        server.shutdown()


@pytest.fixture
def engine(local: Local) -> LocalEngine:
    return local.engine


def ask_of(engine: LocalEngine, name: str) -> dict[str, Any]:
    (ask,) = wait_until(
        lambda: [m for m in messages(engine, "#platform-approvals") if name in m["text"]], what="the approval request"
    )
    return ask


def asked(engine: LocalEngine, ask: dict[str, Any]) -> str:
    return next(b for b in ask["blocks"] if b["type"] == "context")["elements"][0]["text"]


# --- who may decide ----------------------------------------------------------------------------


def test_an_approver_without_a_public_email_cannot_approve_their_own_request(local: Local, engine: LocalEngine):
    """Dev hides his email on GitHub; the directory still knows @devpatel is Dev (Okta's link)."""
    assert vendors.github().get_user("devpatel").email is None  # type: ignore[union-attr]
    hire = new_hire("platform", author="devpatel")
    execution = engine.start("onboarding", start_input(engine, hire_delivery(hire)))
    ask = ask_of(engine, hire.full_name)
    slack = fake(engine, "slack")
    assert asked(engine, ask).endswith(f"approvers: <@{slack.user_id(MARIA)}>")  # Dev is not asked
    approval_id = approval_buttons(ask)["approval.approve"]
    assert approvals.get(approval_id).requester == DEV  # type: ignore[union-attr]

    _, answer = click(local, approval_id, DEV)

    assert answer["text"] == "You cannot decide your own request; one of the approvers must."
    assert approvals.get(approval_id).status == "pending"  # type: ignore[union-attr]
    _, answer = click(local, approval_id, MARIA)
    assert answer["text"].startswith("Approved by <@")
    assert execution.done.wait(60)
    assert execution.status == "SUCCEEDED", explain(execution)


def test_an_approver_removed_from_the_configuration_can_no_longer_decide(
    engine: LocalEngine, example_data: dict[str, Any], write_config: Any
):
    hire = new_hire("platform", author="hreyes")
    execution = engine.start("onboarding", start_input(engine, hire_delivery(hire)))
    ask_of(engine, hire.full_name)
    wait_until(lambda: execution.pending, what="the pending approval")
    example_data["teams"]["platform"]["approvers"] = [MARIA]  # Dev is taken off after the request

    with configured(engine, write_config(example_data)):
        with pytest.raises(ApprovalRefused, match="no longer an approver"):
            engine.answer(execution.id, Decision("approved", DEV))
        engine.answer(execution.id, Decision("denied", MARIA))

    assert execution.done.wait(60)
    assert execution.output["status"] == "denied", explain(execution)
    assert okta_user(engine, hire.email) is None


def test_an_approver_deactivated_in_okta_can_no_longer_decide(engine: LocalEngine):
    hire = new_hire("platform", author="hreyes")
    execution = engine.start("onboarding", start_input(engine, hire_delivery(hire)))
    ask = ask_of(engine, hire.full_name)
    assert fake(engine, "slack").user_id(DEV) in asked(engine, ask)  # asked while active
    wait_until(lambda: execution.pending, what="the pending approval")
    okta = vendors.okta()
    dev = okta.find_user(DEV)
    assert dev is not None
    okta.deactivate_user(dev.id)
    try:
        with pytest.raises(ApprovalRefused, match="not active in Okta"):
            engine.answer(execution.id, Decision("approved", DEV))
        assert execution.status == "RUNNING"
    finally:
        okta.activate_user(dev.id, send_email=False)
    engine.answer(execution.id, Decision("denied", MARIA))
    assert execution.done.wait(60)


def test_an_inactive_approver_is_never_asked(engine: LocalEngine):
    okta = vendors.okta()
    dev = okta.find_user(DEV)
    assert dev is not None
    okta.deactivate_user(dev.id)
    try:
        hire = new_hire("platform", author="hreyes")
        execution = engine.start("onboarding", start_input(engine, hire_delivery(hire)))
        ask = ask_of(engine, hire.full_name)
        assert fake(engine, "slack").user_id(DEV) not in asked(engine, ask)
        (request,) = approvals.for_execution(execution.id)
        assert request.details["left_out"] == [f"{DEV}: not active in Okta"]
    finally:
        okta.activate_user(dev.id, send_email=False)
    wait_until(lambda: execution.pending, what="the pending approval")
    engine.answer(execution.id, Decision("denied", MARIA))
    assert execution.done.wait(60)


# --- who may ask -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("author", "why"),
    [
        ("sokafor", "Only members of GitHub team example-corp/platform or Okta group HR may file onboarding"),
        ("jdoe-dev", "@jdoe-dev is not linked to anyone in Okta"),
    ],
    ids=["not-a-filer", "not-in-okta"],
)
def test_someone_who_may_not_file_gets_a_comment_and_nothing_starts(
    local: Local, engine: LocalEngine, author: str, why: str
):
    hire = new_hire("product", author=author)  # product needs no approval: it would just run
    before = set(engine.executions)
    status, _ = deliver(local, hire_delivery(hire))
    assert status == 202

    comments = wait_until(lambda: issue(engine, hire.issue)["comments"], what="the refusal")

    assert why in comments[0]
    assert "nothing was done" in comments[0].lower()
    assert set(engine.executions) == before
    assert okta_user(engine, hire.email) is None
    # The refusal is audited just after its comment is posted (the change primitive audits what it did).
    intake = f"intake:github:example-corp/platform-requests#{hire.issue}"
    (refused,) = wait_until(lambda: audit.entries(intake), what="the refusal's audit record")
    assert (refused["action"], refused["requester"]) == ("refuse request", f"github:{author}")


def test_a_member_of_a_filers_okta_group_may_file(local: Local, engine: LocalEngine):
    hire = new_hire("product", author="hreyes")  # HR in Okta, in no GitHub team
    before = set(engine.executions)
    deliver(local, hire_delivery(hire))

    (execution,) = executions_after(engine, before, timeout=60)

    assert execution.status == "SUCCEEDED", explain(execution)
    assert okta_user(engine, hire.email) is not None
    assert all(e.get("requester") == HANA for e in audit.entries(execution.id) if "requester" in e)


def test_with_no_filers_configured_only_approvers_may_file(
    local: Local, engine: LocalEngine, example_data: dict[str, Any], write_config: Any
):
    example_data["github"].pop("request_filers", None)
    with configured(engine, write_config(example_data)):
        hire = new_hire("product", author="hreyes")
        deliver(local, hire_delivery(hire))
        comments = wait_until(lambda: issue(engine, hire.issue)["comments"], what="the refusal")
    assert "Only the teams' approvers may file onboarding requests" in comments[0]


def test_the_example_configuration_names_filers_that_exist() -> None:
    data = yaml.safe_load((Path(__file__).resolve().parents[2] / "platform.example.yaml").read_text())
    assert data["github"]["request_filers"] == {"github_teams": ["platform"], "okta_groups": ["HR"]}
