"""The real state_machines/onboarding.asl.json on the local engine, end to end: the recorded webhook
delivery, the ingress road (POST /github/webhook, Slack buttons), invalid forms, approvals, throttling
and dry-run. Every assertion is on the sandbox's state (vendor fakes, moto, the audit trail) and the
calls log. Failures, compensation and re-runs: test_onboarding_failures.py."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator

import pytest

from functions.core import approvals
from sandbox import calls
from sandbox.engine import Decision, LocalEngine, fixed_policy, load_event, manual_policy
from sandbox.fakes.base import Fault
from sandbox.server import serve_in_background
from tests.integration.ingress_helpers import wait_until
from tests.integration.onboarding_helpers import (
    DEV,
    ISSUE_OPENED,
    MARIA,
    ONBOARDING_STEPS,
    REPO,
    Local,
    approval_buttons,
    audit_of,
    click,
    deliver,
    delivery,
    edit_issue_body,
    executions_after,
    explain,
    fake,
    form,
    github_member,
    github_teams_of,
    hire_delivery,
    ic_assignments,
    ic_user_id,
    issue,
    mails_to,
    messages,
    mutations,
    new_hire,
    okta_user,
    org,
    snapshot,
    start_input,
    step_names,
    transitions,
)

PRODUCTION, STAGING, SANDBOX = "111111111111", "222222222222", "333333333333"
APPROVED_BY_DEV = fixed_policy("approved", DEV)


@pytest.fixture(scope="module")
def local() -> Iterator[Local]:
    with LocalEngine(approvals=APPROVED_BY_DEV, org=org()) as engine:
        server, url = serve_in_background(engine)
        yield Local(engine, url)
        server.shutdown()


@pytest.fixture
def engine(local: Local) -> Iterator[LocalEngine]:
    """The module's engine; each test leaves it with no faults and Dev approving."""
    yield local.engine
    assert local.engine.vendors is not None
    local.engine.vendors.clear_faults()
    local.engine.approvals = APPROVED_BY_DEV


# --- 1. the happy path ------------------------------------------------------------------------------


def test_the_recorded_delivery_onboards_jane_everywhere(engine: LocalEngine) -> None:
    event = start_input(engine, load_event(ISSUE_OPENED))
    assert event["request_key"] == f"github:{REPO}#42"
    mark = calls.mark()
    execution = engine.run("onboarding", event)

    assert execution.status == "SUCCEEDED", explain(execution)
    assert step_names(execution) == [
        "Validate",
        "Valid?",
        "NeedsApproval?",
        "RequestApproval",
        "Approved?",
        *ONBOARDING_STEPS,
        "Finish",
        "Onboarded",
    ]
    assert execution.output["status"] == "onboarded"
    # Standard workflows are billed per state transition: this is the figure for one onboarding
    # with an approval (9 Task + 3 Choice + 1 Pass states entered).
    count = transitions(engine, execution)
    print(f"\nstate transitions of one onboarding run (with approval): {count}")
    assert count == 13

    # Okta: created and activated (PROVISIONED until Jane sets her password), in the team's groups.
    user = okta_user(engine, "jane.doe@example.com")
    assert user is not None
    assert user["status"] == "PROVISIONED"
    assert sorted(user["groups"]) == ["Engineering", "Platform"]
    # AWS: an Identity Center user with the team's permission sets in its accounts; production
    # PlatformAdmin is not among them (it is asked for, for a while: jit.grants.prod-admin).
    user_id = ic_user_id(engine, "jane.doe@example.com")
    assert user_id is not None
    assert ic_assignments(engine, user_id) == {(STAGING, "AdministratorAccess")}
    # GitHub: invited to the org (an outside user: pending until accepted), in both teams.
    assert github_member(engine, "jdoe-dev") == {"state": "pending", "role": "member", "two_factor": True}
    assert set(github_teams_of(engine, "jdoe-dev")) == {"platform", "engineering"}
    # The welcome email, with the template and the form's data.
    (mail,) = mails_to(engine, "jane.doe@example.com")
    assert mail["template_id"] == engine.config.sendgrid.templates["welcome"]  # type: ignore[union-attr]
    assert mail["dynamic_data"]["team"] == "platform"
    assert mail["categories"] == ["onboarding"]
    # Slack: the notice in the team's channel, and the approval request with its buttons.
    (notice,) = [m for m in messages(engine, "#team-platform") if "Jane Doe" in m["text"]]
    assert "joins *platform* on 2026-12-01" in notice["text"]
    (ask,) = [m for m in messages(engine, "#platform-approvals") if "Jane Doe" in m["text"]]
    assert set(approval_buttons(ask)) == {"approval.approve", "approval.deny"}
    assert execution.id in str(ask["blocks"])
    # The issue: one summary comment, closed as completed.
    jane = issue(engine, 42)
    assert (jane["state"], jane["state_reason"]) == ("closed", "completed")
    (comment,) = jane["comments"]
    assert comment.startswith("<!-- platform-automation:onboarding:done -->")
    assert "Approved by dev.patel@example.com." in comment
    for line in execution.output["summary"]:
        assert f"- {line}" in comment

    # The audit trail: Dev's decision (the engine's policy answered as him, through the rules of
    # the Slack buttons), then every mutation, on Maria's request (the issue's author) and his approval.
    entries = audit_of(execution)
    (decision,) = [e for e in entries if e["action"] == "approval.approved"]
    assert (decision["actor"], decision["vendor"]) == (DEV, "local-engine")
    entries.remove(decision)
    assert {(e["requester"], e["approver"]) for e in entries} == {(MARIA, DEV)}
    # aws: the Identity Center user and its one permission set (staging; production is asked for).
    assert Counter(e["vendor"] for e in entries) == {"okta": 3, "aws": 2, "github": 5, "sendgrid": 1, "slack": 1}
    # ... and the calls log agrees: each vendor mutation is audited (the one more Slack post is the
    # approval request, which changes nothing and is kept as the approval's own record).
    changed = mutations(calls.since(mark))
    assert Counter(c.split()[0] for c in changed) == {"okta": 3, "github": 5, "sendgrid": 1, "slack": 2}
    assert not [c for c in calls.since(mark) if c["status"] >= 500 or c["status"] == 429]


def test_maria_asks_so_only_dev_may_approve_and_his_click_resumes_it(local: Local, engine: LocalEngine) -> None:
    engine.approvals = manual_policy
    hire = new_hire("platform")
    execution = engine.start("onboarding", start_input(engine, hire_delivery(hire)))
    (ask,) = wait_until(
        lambda: [m for m in messages(engine, "#platform-approvals") if hire.full_name in m["text"]],
        what="the approval request",
    )
    slack = fake(engine, "slack")
    context = next(b for b in ask["blocks"] if b["type"] == "context")["elements"][0]["text"]
    assert context.endswith(f"approvers: <@{slack.user_id(DEV)}>")
    assert slack.user_id(MARIA) not in context
    assert f"Requested by {MARIA}" in str(ask["blocks"])
    approval_id = approval_buttons(ask)["approval.approve"]

    status, answer = click(local, approval_id, MARIA)
    assert status == 200
    assert answer["text"] == "You cannot decide your own request; one of the approvers must."
    assert approvals.get(approval_id).status == "pending"  # type: ignore[union-attr]
    assert execution.status == "RUNNING"
    assert okta_user(engine, hire.email) is None

    _, answer = click(local, approval_id, DEV)
    assert answer["text"].startswith("Approved by <@")
    assert execution.done.wait(60)
    assert execution.status == "SUCCEEDED", explain(execution)
    assert okta_user(engine, hire.email) is not None
    entries = audit_of(execution)
    (decision,) = [e for e in entries if e["action"] == "approval.approved"]
    assert decision["actor"] == DEV
    assert {e["approver"] for e in entries if e["action"] != "approval.approved"} == {DEV}


def test_the_engines_policy_answers_as_a_configured_approver_never_the_requester(engine: LocalEngine) -> None:
    """`run --approve approved` names nobody: it decides as one of the request's approvers, through
    the buttons' rules. Maria asked, so Dev."""
    engine.approvals = fixed_policy("approved")
    hire = new_hire("platform")
    execution = engine.run("onboarding", start_input(engine, hire_delivery(hire)))

    assert execution.status == "SUCCEEDED", explain(execution)
    (request,) = approvals.for_execution(execution.id)
    assert (request.status, request.decided_by, request.requester) == ("approved", DEV, MARIA)
    (decision,) = [e for e in audit_of(execution) if e["action"] == "approval.approved"]
    assert (decision["actor"], decision["target"]) == (DEV, f"approval/{request.id}")
    assert f"Approved by {DEV}." in issue(engine, hire.issue)["comments"][0]


@pytest.mark.parametrize("named", [MARIA, "mallory@example.com"], ids=["the-requester", "a-stranger"])
def test_a_policy_that_names_someone_who_may_not_decide_is_refused(engine: LocalEngine, named: str) -> None:
    """The engine's policy is held to the same rules as a click: it cannot approve as the requester
    or as a made-up name; the request stays pending for a real approver."""
    engine.approvals = fixed_policy("approved", named)
    hire = new_hire("platform")
    execution = engine.start("onboarding", start_input(engine, hire_delivery(hire)))
    wait_until(lambda: execution.pending, what="the pending approval")

    (request,) = approvals.for_execution(execution.id)
    assert request.status == "pending"
    assert execution.status == "RUNNING"
    engine.answer(execution.id, Decision("denied", DEV))
    assert execution.done.wait(60)
    assert execution.output["status"] == "denied", explain(execution)


def test_a_blocking_run_whose_policy_answer_is_refused_stops_instead_of_waiting_for_ever(engine: LocalEngine) -> None:
    """`run` has nobody else to answer: a refused answer stops the execution, naming the refusal,
    and nothing is provisioned."""
    engine.approvals = fixed_policy("approved", "mallory@example.com")
    hire = new_hire("platform")
    execution = engine.run("onboarding", start_input(engine, hire_delivery(hire)))

    assert (execution.status, execution.error) == ("ABORTED", "Engine.ApprovalRefused"), explain(execution)
    assert "mallory@example.com" in (execution.cause or "")
    (request,) = approvals.for_execution(execution.id)
    assert request.status == "pending"
    assert okta_user(engine, hire.email) is None


# --- 2. an invalid form, then the edit that fixes it ---------------------------------------------


def test_an_invalid_form_gets_one_comment_and_the_edit_re_runs_it(local: Local, engine: LocalEngine) -> None:
    number = 900
    bad = form(
        {
            "Full name": "Maria Again",
            "Email": MARIA,  # already active in Okta
            "GitHub username": "no-such-person-on-github",
            "Team": "rocketry",
            "Manager": "boss@gmail.com",  # outside example.com
            "Start date": None,  # left empty
        }
    )
    fake(engine, "github").add_issue(REPO, "Onboarding: Maria again", bad, ["onboarding"], "mlopez", number=number)
    before_state = snapshot(engine)
    before = set(engine.executions)
    status, answer = deliver(local, delivery(number, bad))
    assert (status, answer["accepted"]) == (202, "issues.opened"), answer
    (execution,) = executions_after(engine, before)

    assert execution.status == "SUCCEEDED", explain(execution)
    assert step_names(execution) == ["Validate", "Valid?", "ReportInvalid", "NeedsInfo"]
    problems = execution.output["problems"]
    assert len(problems) == 5, problems
    for expected in (
        "**Start date** is missing",
        "**Manager** `boss@gmail.com` is not in an allowed domain (example.com)",
        "**Team** `rocketry` is not a team (known: platform, product)",
        "**GitHub username** `no-such-person-on-github` does not exist on GitHub",
        f"`{MARIA}` is already active in Okta (active)",
    ):
        assert expected in problems
    state = issue(engine, number)
    (comment,) = state["comments"]
    assert comment.startswith("<!-- platform-automation:onboarding:needs-info -->")
    assert all(f"- {p}" in comment for p in problems)
    assert "needs-info" in state["labels"]
    assert state["state"] == "open"
    # Only the comment and the label: nothing else anywhere.
    assert mutations(execution.calls) == [
        f"github POST /repos/{REPO}/issues/{number}/comments 201",
        f"github POST /repos/{REPO}/issues/{number}/labels 200",
    ]
    after_state = snapshot(engine)
    assert after_state.ic_users == before_state.ic_users
    for service in ("okta", "slack", "sendgrid"):
        assert after_state.vendors[service] == before_state.vendors[service], service
    assert [(e["vendor"], e["action"]) for e in audit_of(execution)] == [
        ("github", "comment on issue"),
        ("github", "add labels"),
    ]

    # The requester fixes the form: the edit is validated again and the onboarding goes ahead.
    hire = new_hire("product", issue=number)
    good = form(dict(hire.values()))
    edit_issue_body(engine, number, good)
    before = set(engine.executions)
    edited = delivery(
        number, good, action="edited", labels=["onboarding", "needs-info"], changes={"body": {"from": bad}}
    )
    status, answer = deliver(local, edited)
    assert (status, answer["accepted"]) == (202, "issues.edited"), answer
    (rerun,) = executions_after(engine, before)

    assert rerun.status == "SUCCEEDED", explain(rerun)
    assert rerun.output["status"] == "onboarded"
    state = issue(engine, number)
    assert "needs-info" not in state["labels"]
    assert (state["state"], state["state_reason"]) == ("closed", "completed")
    assert len(state["comments"]) == 2
    assert state["comments"][1].startswith("<!-- platform-automation:onboarding:done -->")
    assert okta_user(engine, hire.email) is not None
    assert set(github_teams_of(engine, hire.github)) == {"product", "engineering"}


def test_an_edit_that_does_not_touch_the_form_starts_nothing(local: Local, engine: LocalEngine) -> None:
    hire = new_hire()
    start_input(engine, hire_delivery(hire))  # the issue exists
    before, mark = set(engine.executions), len(engine.bus.invocations)
    title_only = hire_delivery(hire, action="edited", changes={"title": {"from": "Onboarding"}})
    status, answer = deliver(local, title_only)
    assert (status, answer["accepted"]) == (202, "issues.edited"), answer
    (intake,) = wait_until(lambda: engine.bus.invocations[mark:], what="the intake of the edit")
    assert (intake["function"], intake["result"]) == ("RequestIntake", {"started": None})
    assert set(engine.executions) == before


# --- 3. duplicate deliveries ---------------------------------------------------------------------


def test_the_same_delivery_twice_starts_one_execution(local: Local, engine: LocalEngine) -> None:
    hire = new_hire()
    payload = hire_delivery(hire)
    start_input(engine, payload)  # the issue exists, as on GitHub
    before, published = set(engine.executions), len(engine.bus.deliveries)
    guid = "5c1b7a52-0000-4000-8000-000000000001"
    first = deliver(local, payload, guid)
    second = deliver(local, payload, guid)  # GitHub's redelivery keeps the X-GitHub-Delivery id
    assert first[0] == second[0] == 202
    assert first[1]["event_id"] == second[1]["event_id"]
    (execution,) = executions_after(engine, before)
    # The ingress published the delivery once; its intake published one request; one execution.
    kinds = [d["detail_type"] for d in engine.bus.deliveries[published:]]
    assert kinds == ["issues.opened", "onboarding.requested"], kinds
    assert len(set(engine.executions) - before) == 1

    assert execution.status == "SUCCEEDED", explain(execution)
    assert okta_user(engine, hire.email) is not None
    assert len(mails_to(engine, hire.email)) == 1
    assert len([m for m in messages(engine, "#team-product") if hire.full_name in m["text"]]) == 1
    assert len(issue(engine, hire.issue)["comments"]) == 1

    # The same signed body under another delivery id (a replay: the id is not signed) is
    # recognised at the ingress and starts nothing (docs/security.md, "Hostile input").
    before = set(engine.executions)
    status, answer = deliver(local, payload)
    assert (status, answer["duplicate"], answer["replay_of"]) == (202, True, guid)
    assert set(engine.executions) == before
    # The same request in another event (the form edited) gets past the ingress, and its
    # execution finds everything done: nothing is created or sent twice.
    status, _ = deliver(local, hire_delivery(hire, action="edited", changes={"body": {"from": ""}}))
    assert status == 202
    (replay,) = executions_after(engine, before)
    assert replay.status == "SUCCEEDED", explain(replay)
    assert mutations(replay.calls) == []
    assert len(mails_to(engine, hire.email)) == 1
    assert len([m for m in messages(engine, "#team-product") if hire.full_name in m["text"]]) == 1
    assert len(issue(engine, hire.issue)["comments"]) == 1


# --- 5. throttling ---------------------------------------------------------------------------------


def test_a_429_storm_is_waited_out_and_ends_in_success(engine: LocalEngine) -> None:
    assert engine.vendors is not None
    hire = new_hire()
    event = start_input(engine, hire_delivery(hire))
    # Okta asks for 10 s six times in a row: more than an adapter waits within one call (its
    # budget is 25 s), so the state machine's Retry takes over. The others fit in the adapter's.
    engine.vendors.set_faults("okta", [Fault(429, count=6, retry_after_s=10, match=r"^(GET|POST|PUT) /api/v1/")])
    engine.vendors.set_faults("github", [Fault(429, count=2, retry_after_s=5, match=r"^PUT /orgs/")])
    engine.vendors.set_faults("slack", [Fault(429, count=2, retry_after_s=3, match=r"chat\.postMessage")])
    engine.vendors.set_faults("sendgrid", [Fault(429, count=1, retry_after_s=4)])
    execution = engine.run("onboarding", event)

    assert execution.status == "SUCCEEDED", explain(execution)
    throttled = Counter(c["service"] for c in execution.calls if c["status"] == 429)
    assert throttled == {"okta": 6, "github": 2, "slack": 2, "sendgrid": 1}
    for service in throttled:  # each storm ends: the last call to each vendor succeeded
        last = [c for c in execution.calls if c["service"] == service][-1]
        assert last["status"] < 400, last
    attempts = {s.name: s.attempts for s in execution.steps if s.attempts}
    assert attempts["Validate"] > 1, attempts  # Okta's storm outlasted the adapter's own retries
    assert attempts["AddGitHubTeams"] == attempts["SendWelcome"] == attempts["NotifySlack"] == 1, attempts
    # Every wait ran on virtual time, and the execution says how long it would have waited: at
    # least each Retry-After the adapters honoured (and at least one of Okta's).
    assert execution.virtual_wait_s >= 2 * 5 + 2 * 3 + 4 + 10, execution.virtual_wait_s
    print(f"\nvirtual wait of the 429 storm: {execution.virtual_wait_s:.0f} s")
    # Nothing was done twice for being retried.
    user = okta_user(engine, hire.email)
    assert user is not None
    assert sorted(user["groups"]) == ["Engineering", "Product"]
    assert github_teams_of(engine, hire.github) == {"engineering": "pending", "product": "pending"}
    assert len(mails_to(engine, hire.email)) == 1
    assert len([m for m in messages(engine, "#team-product") if hire.full_name in m["text"]]) == 1


# --- 7. approval denied or timed out ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("outcome", "status", "says"),
    [
        ("denied", "denied", "was denied by dev.patel@example.com. Nothing was changed."),
        ("timeout", "timed-out", "Nobody approved this onboarding request in time. Nothing was changed"),
    ],
    ids=["denied", "timeout"],
)
def test_a_denial_or_a_timeout_ends_it_with_a_comment_and_creates_nothing(
    engine: LocalEngine, outcome: str, status: str, says: str
) -> None:
    engine.approvals = fixed_policy(outcome, DEV)
    hire = new_hire("platform")
    event = start_input(engine, hire_delivery(hire))
    before = snapshot(engine)
    execution = engine.run("onboarding", event)

    assert execution.status == "SUCCEEDED", explain(execution)
    assert execution.output["status"] == status
    assert step_names(execution)[-2:] == ["ReportDecision", "NotApproved"]
    state = issue(engine, hire.issue)
    (comment,) = state["comments"]
    assert says in comment
    assert (state["state"], state["state_reason"]) == ("closed", "not_planned")
    # The approval request, the comment and closing the issue: nothing else.
    assert mutations(execution.calls) == [
        "slack POST /api/chat.postMessage 200",
        f"github POST /repos/{REPO}/issues/{hire.issue}/comments 201",
        f"github PATCH /repos/{REPO}/issues/{hire.issue} 200",
    ]
    after = snapshot(engine)
    assert okta_user(engine, hire.email) is None
    assert github_member(engine, hire.github) is None
    assert after.ic_users == before.ic_users
    assert after.vendors["sendgrid"] == before.vendors["sendgrid"]


# --- 8. dry-run ----------------------------------------------------------------------------------


def test_a_dry_run_plans_everything_and_changes_nothing(engine: LocalEngine) -> None:
    hire = new_hire("platform")
    event = start_input(engine, hire_delivery(hire))
    before = snapshot(engine)
    execution = engine.run("onboarding", event, dry_run=True)

    assert execution.status == "SUCCEEDED", explain(execution)
    assert "RequestApproval" not in step_names(execution)  # nothing to approve: nothing happens
    output = execution.output
    assert output["status"] == "planned"
    assert output["summary"], output
    assert all(line.startswith("would ") for line in output["summary"]), output["summary"]
    assert len([line for line in output["summary"] if f"Okta user {hire.email}" in line]) == 1
    assert {c["vendor"] for c in output["calls"]} == {"okta", "aws", "github", "sendgrid", "slack"}
    assert all(set(c) == {"vendor", "operation", "target"} for c in output["calls"])
    assert len(output["calls"]) == len(output["summary"])
    # Only reads reached the vendors; every fake and moto are as they were.
    assert mutations(execution.calls) == []
    assert {c["method"] for c in execution.calls} <= {"GET", "POST"}  # POST: tokens and lookups only
    assert snapshot(engine) == before
    assert issue(engine, hire.issue)["comments"] == []
    assert audit_of(execution) == []
