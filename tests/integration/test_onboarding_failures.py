"""Onboarding when a vendor fails for good: a permanent 500 at each step ends compensated and
reported, and a re-run after a partial failure completes without duplicating anything."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, nullcontext
from pathlib import Path
from typing import Any

import pytest

from functions.adapters.retry import DEFAULT_POLICY
from sandbox.engine import STATE_MACHINES, LocalEngine, fixed_policy
from sandbox.fakes.base import Fault
from tests.integration.onboarding_helpers import (
    DEV,
    ONBOARDING_STEPS,
    REPO,
    Hire,
    Snapshot,
    aws_failure,
    configured,
    explain,
    fake,
    github_member,
    github_teams_of,
    hire_delivery,
    ic_assignments,
    ic_user_id,
    issue,
    label,
    mails_to,
    messages,
    mutations,
    new_hire,
    okta_user,
    org,
    snapshot,
    start_input,
)

DEFINITION = json.loads((STATE_MACHINES / "onboarding.asl.json").read_text(encoding="utf-8"))
# How often a step is attempted before its error is caught: once, then the Retry's MaxAttempts.
STEP_ATTEMPTS = {name: 1 + DEFINITION["States"][name]["Retry"][0]["MaxAttempts"] for name in ONBOARDING_STEPS}
STAGING, SANDBOX = "222222222222", "333333333333"


@pytest.fixture(scope="module")
def engine() -> Iterator[LocalEngine]:
    with LocalEngine(approvals=fixed_policy("approved", DEV), org=org()) as eng:
        yield eng


@pytest.fixture(autouse=True)
def no_faults_after(engine: LocalEngine) -> Iterator[None]:
    yield
    assert engine.vendors is not None
    engine.vendors.clear_faults()


def http_failure(
    engine: LocalEngine, service: str, match: str, count: int | None = None
) -> AbstractContextManager[Any]:
    assert engine.vendors is not None
    engine.vendors.set_faults(service, [Fault(500, match=match, count=count)])
    return nullcontext()


# The step, and how to make its one mutating call fail with a 500 every time it is made. Slack's
# failure notice is a chat.postMessage too: its fault lasts exactly as many requests as every
# attempt of NotifySlack makes (the adapter's attempts, times the state machine's), and no more.
FAILURES: dict[str, Callable[[LocalEngine], AbstractContextManager[Any]]] = {
    "CreateOktaUser": lambda e: http_failure(e, "okta", r"^POST /api/v1/users$"),
    "AssignOktaGroups": lambda e: http_failure(e, "okta", r"^PUT /api/v1/groups/[^/]+/users/"),
    "GrantAwsAccess": lambda _: aws_failure("CreateAccountAssignment"),
    "AddGitHubTeams": lambda e: http_failure(e, "github", r"^PUT /orgs/[^/]+/teams/[^/]+/memberships/"),
    "SendWelcome": lambda e: http_failure(e, "sendgrid", r"^POST /v3/mail/send$"),
    "NotifySlack": lambda e: http_failure(
        e, "slack", r"^POST /api/chat\.postMessage$", DEFAULT_POLICY.max_attempts * STEP_ATTEMPTS["NotifySlack"]
    ),
}


def assert_nothing_left(engine: LocalEngine, hire: Hire, before: Snapshot) -> None:
    """Everything an onboarding of `hire` creates is gone (or was never made)."""
    user = okta_user(engine, hire.email)
    assert user is None or (user["status"], user["groups"]) == ("DEPROVISIONED", []), user
    after = snapshot(engine)
    assert after.ic_users == before.ic_users, f"the Identity Center user of {hire.email} is still there"
    assert after.aws_access == before.aws_access
    assert github_member(engine, hire.github) is None
    assert github_teams_of(engine, hire.github) == {}


@pytest.mark.parametrize("step", ONBOARDING_STEPS)
def test_a_permanent_500_ends_compensated_and_reported(engine: LocalEngine, step: str) -> None:
    hire = new_hire("product")
    event = start_input(engine, hire_delivery(hire))
    before = snapshot(engine)
    with FAILURES[step](engine) as failed:
        execution = engine.run("onboarding", event)

    assert execution.status == "FAILED", explain(execution)
    assert execution.error == "OnboardingFailed"
    assert (execution.cause or "").startswith(f"{step}: "), execution.cause
    steps = {s.name: s for s in execution.steps}
    assert steps[step].status == "FAILED"
    assert steps[step].attempts == STEP_ATTEMPTS[step], "the state machine retried it, then gave up"
    assert [s.name for s in execution.steps][-3:] == ["Compensate", "ReportFailure", "OnboardingFailed"]
    done_before = ONBOARDING_STEPS[: ONBOARDING_STEPS.index(step)]
    assert [s for s in steps if s in ONBOARDING_STEPS] == [*done_before, step]
    # Each attempt of the step retried its call in the adapter too (AWS: botocore's retries, which
    # an injected error skips), then the step gave up.
    if failed is not None:
        assert len(failed) == STEP_ATTEMPTS[step]
    else:
        errors = [c for c in execution.calls if c["status"] == 500]
        assert len(errors) == DEFAULT_POLICY.max_attempts * STEP_ATTEMPTS[step], [label(c) for c in errors]

    # Everything this execution created is undone ...
    assert_nothing_left(engine, hire, before)
    if "CreateOktaUser" in done_before:
        assert okta_user(engine, hire.email) is not None  # deactivated: Okta keeps the record
    # ... but an email cannot be unsent (the report lists it as done, not as undone).
    assert len(mails_to(engine, hire.email)) == (1 if step == "NotifySlack" else 0)

    # The issue says what was done, what failed and what was undone, and stays open.
    state = issue(engine, hire.issue)
    assert state["state"] == "open"
    (comment,) = state["comments"]
    assert comment.startswith("<!-- platform-automation:onboarding:failed -->")
    assert f"failed at **{step}**" in comment
    assert "Could not be undone" not in comment
    done, undone = comment.split("\nDone:\n", 1)[1].split("\nUndone:\n", 1)
    if step == "CreateOktaUser":
        assert done.strip() == undone.strip() == "- nothing"
    else:
        assert f"- created Okta user {hire.email}" in done
        for line in (ln for ln in done.splitlines() if ln.startswith("- ") and "welcome email" not in ln):
            assert line in undone, (line, undone)
        assert "welcome email" not in undone
    # What the failing step itself had made before it failed is listed as done (from the undo
    # journal) and undone too.
    partial = {
        "GrantAwsAccess": f"- created IAM Identity Center user {hire.email}",
        "AddGitHubTeams": f"- invited {hire.github} to the example-corp GitHub organisation",
    }
    if step in partial:
        assert partial[step] in undone, comment
        assert partial[step] in done, comment
    # Slack hears of it too, in the notifications channel.
    (notice,) = [m for m in messages(engine, "#platform-notices") if execution.id in m["text"]]
    assert f"failed at {step}" in notice["text"]


def test_a_re_run_after_a_partial_failure_finishes_without_duplicates(
    engine: LocalEngine, example_data: dict[str, Any], write_config: Callable[..., Path]
) -> None:
    """Compensation off: the failed run leaves what it made; the re-run carries on from there."""
    example_data.setdefault("onboarding", {})["compensate_on_failure"] = False
    hire = new_hire("product")
    event = start_input(engine, hire_delivery(hire))
    okta_before = fake(engine, "okta").state()
    with configured(engine, write_config(example_data)):
        with http_failure(engine, "sendgrid", r"^POST /v3/mail/send$"):
            failed = engine.run("onboarding", event)
        assert failed.status == "FAILED", explain(failed)
        assert (failed.cause or "").startswith("SendWelcome: ")
        comment = issue(engine, hire.issue)["comments"][0]
        assert "Undone:\n- nothing" in comment
        assert okta_user(engine, hire.email) is not None  # left as it was
        assert engine.vendors is not None
        engine.vendors.clear_faults()

        rerun = engine.run("onboarding", event)

    assert rerun.status == "SUCCEEDED", explain(rerun)
    # The re-run made only what was missing: the email, the notice, the answer on the issue.
    assert mutations(rerun.calls) == [
        "sendgrid POST /v3/mail/send 202",
        "slack POST /api/chat.postMessage 200",
        f"github POST /repos/{REPO}/issues/{hire.issue}/comments 201",
        f"github PATCH /repos/{REPO}/issues/{hire.issue} 200",
    ]
    assert_onboarded_once(engine, hire, okta_before)
    assert rerun.output["summary"] == [
        f"sent the welcome email to {hire.email}",
        "announced the new hire in #team-product",
    ]


def test_a_re_run_after_a_compensated_failure_onboards_again(engine: LocalEngine) -> None:
    hire = new_hire("product")
    event = start_input(engine, hire_delivery(hire))
    okta_before, before = fake(engine, "okta").state(), snapshot(engine)
    with http_failure(engine, "sendgrid", r"^POST /v3/mail/send$"):
        failed = engine.run("onboarding", event)
    assert failed.status == "FAILED", explain(failed)
    assert_nothing_left(engine, hire, before)
    assert engine.vendors is not None
    engine.vendors.clear_faults()

    rerun = engine.run("onboarding", event)

    assert rerun.status == "SUCCEEDED", explain(rerun)
    assert_onboarded_once(engine, hire, okta_before)


def assert_onboarded_once(engine: LocalEngine, hire: Hire, okta_before: dict[str, Any]) -> None:
    okta = fake(engine, "okta").state()
    assert okta["user_count"] == okta_before["user_count"] + 1
    user = okta["users"][hire.email]
    assert user["status"] == "PROVISIONED"
    assert sorted(user["groups"]) == ["Engineering", "Product"]
    for group in ("Engineering", "Product"):
        assert okta["groups"][group] == okta_before["groups"][group] + 1
    user_id = ic_user_id(engine, hire.email)
    assert user_id is not None
    assert ic_assignments(engine, user_id) == {(STAGING, "Developer"), (SANDBOX, "AdministratorAccess")}
    assert github_teams_of(engine, hire.github) == {"engineering": "pending", "product": "pending"}
    assert len(mails_to(engine, hire.email)) == 1
    assert len([m for m in messages(engine, "#team-product") if hire.full_name in m["text"]]) == 1
    comments = issue(engine, hire.issue)["comments"]
    assert [c.splitlines()[0] for c in comments] == [
        "<!-- platform-automation:onboarding:failed -->",
        "<!-- platform-automation:onboarding:done -->",
    ]
    assert issue(engine, hire.issue)["state_reason"] == "completed"
