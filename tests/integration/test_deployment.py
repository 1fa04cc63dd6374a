"""The deployment workflow end to end on the local engine: the real definition, the real handlers,
moto, and the GitHub, Argo CD, Slack and PagerDuty fakes. Each test asserts on what the sandbox
holds afterwards (the GitOps file, the deployments and their statuses, the Argo CD application, the
Slack message, the lock) and on the calls log: exactly one terminal status per deployment."""

from __future__ import annotations

from collections.abc import Iterator

import boto3
import pytest

from sandbox import calls
from sandbox.engine import LocalEngine
from sandbox.fakes.base import Fault
from tests.integration.deployment_helpers import (
    C3,
    GITOPS,
    PRODUCTION,
    STAGING,
    V1,
    V2,
    V3,
    V4,
    V5,
    Approvals,
    app,
    assert_one_terminal_status_each,
    created_deployments,
    deploy,
    deployments,
    fake,
    fresh,
    gitops,
    lock_holder,
    messages,
    new_executions,
    put_github_event,
    settle,
    status_posts,
    tag_line,
)
from tests.integration.ingress_helpers import wait_until


@pytest.fixture(scope="module")
def deploys() -> Iterator[tuple[LocalEngine, Approvals]]:
    approvals = Approvals()
    with LocalEngine(approvals=approvals) as engine:
        yield engine, approvals


@pytest.fixture
def stack(deploys: tuple[LocalEngine, Approvals]) -> Iterator[tuple[LocalEngine, Approvals]]:
    yield from fresh(*deploys)


def test_a_build_on_main_deploys_to_staging_then_production_is_offered_and_approved(stack):
    engine, approvals = stack
    approvals.answers["production"] = "approved"
    before_staging = gitops(engine, STAGING)
    mark = calls.mark()
    existing = set(engine.executions)

    put_github_event(engine, "github/workflow_run_completed.json", "workflow_run")
    staging, production = new_executions(engine, existing, count=2)
    settle(engine)

    assert staging.status == "SUCCEEDED", (staging.error, staging.cause)
    result = staging.output
    assert (result["outcome"], result["environment"], result["version"]) == ("succeeded", "staging", V3)
    assert (result["previous_version"], result["github_status"]) == (V2, "success")
    assert result["promoted_to"] == ["production"]
    assert result["lock_released"]
    assert staging.input["commit"] == C3
    assert staging.input["trigger"] == "workflow_run"
    # Only the tag changed in Git, and Argo CD runs the commit that says so, Healthy.
    assert gitops(engine, STAGING) == before_staging.replace(f"newTag: {V2}", f"newTag: {V3}")
    head = fake(engine, "github").head(GITOPS)
    staging_app = app(engine, "orders-api-staging")
    assert staging_app["health"] == "Healthy"
    assert staging_app["sync"] == "Synced"
    # The production deploy was offered with the diff and the commits, approved, and deployed.
    assert production.status == "SUCCEEDED", (production.error, production.cause)
    assert production.output["outcome"] == "succeeded"
    assert production.input["trigger"] == "promotion"
    assert production.input["promoted_from"]["execution_id"] == staging.id
    (asked,) = approvals.asked
    assert asked["summary"] == f"Deploy orders-api {V3} to production"
    assert f"`-    newTag: {V1}`" in asked["plan"]
    assert f"`+    newTag: {V3}`" in asked["plan"]
    assert any("Add order export" in line for line in asked["plan"])
    assert any("Paginate the order list" in line for line in asked["plan"])
    assert tag_line(engine, PRODUCTION) == V3
    assert app(engine, "orders-api-production")["revision"] == head
    # GitHub: one deployment per environment, each in_progress then success; one terminal status each.
    made = {d["environment"]: d for d in deployments(engine)}
    assert made["staging"]["statuses"] == ["in_progress", "success"]
    assert made["production"]["statuses"] == ["in_progress", "success"]
    assert made["staging"]["ref"] == C3
    assert_one_terminal_status_each(calls.since(mark))
    # One message per deploy in the service's channel, edited in place.
    posted = messages(engine)
    assert [m.get("edited", False) for m in posted] == [True, True]
    assert posted[0]["text"].startswith(f"Deployed: orders-api {V3} to staging")
    assert posted[1]["text"].startswith(f"Deployed: orders-api {V3} to production")
    assert lock_holder(engine, "orders-api", "staging") is None
    assert lock_holder(engine, "orders-api", "production") is None


def test_the_next_success_marks_the_previous_deployment_inactive(stack):
    engine, _ = stack
    first = deploy(engine, V3)
    second = deploy(engine, V4)
    assert (first.output["outcome"], second.output["outcome"]) == ("succeeded", "succeeded")
    statuses = {d["id"]: d["statuses"] for d in deployments(engine) if d["environment"] == "staging"}
    assert statuses == {
        first.output["deployment"]: ["in_progress", "success", "inactive"],
        second.output["deployment"]: ["in_progress", "success"],
    }


def test_a_published_image_deploys_its_tag(stack):
    engine, _ = stack
    existing = set(engine.executions)
    put_github_event(engine, "github/registry_package_published.json", "registry_package")
    (execution,) = new_executions(engine, existing)
    settle(engine)
    assert execution.status == "SUCCEEDED", (execution.error, execution.cause)
    assert (execution.input["version"], execution.input["trigger"]) == (V4, "registry_package")
    assert execution.input["commit"] == "06ee156e1b27bf110c49498edc2edbb63c3ad999"
    assert tag_line(engine, STAGING) == V4


def test_denied_approval_changes_nothing_and_releases_the_lock(stack):
    engine, approvals = stack
    approvals.answers["production"] = "denied"
    before = gitops(engine, PRODUCTION)
    mark = calls.mark()
    execution = deploy(engine, V3, "production")
    assert execution.status == "SUCCEEDED"
    assert execution.output["outcome"] == "denied"
    assert execution.output["reason"].startswith("denied by dev.patel@example.com")
    assert gitops(engine, PRODUCTION) == before
    assert deployments(engine) == []
    assert created_deployments(calls.since(mark)) == 0
    assert lock_holder(engine, "orders-api", "production") is None
    (message,) = messages(engine)
    assert message["text"].startswith(f"Not approved: orders-api {V3} to production")


def test_degraded_is_rolled_back_in_git_and_reported_failed(stack):
    engine, _ = stack
    fake(engine, "argocd").set_next_sync("orders-api-staging", "Degraded")
    before = gitops(engine, STAGING)
    mark = calls.mark()
    execution = deploy(engine, V5)
    assert execution.status == "FAILED"
    assert execution.error == "DeploymentFailed"
    assert "Degraded" in execution.cause
    assert f"rolled back to {V2}" in execution.cause
    # Git says the previous version again (so auto-sync agrees), Argo CD runs that commit, Healthy.
    assert gitops(engine, STAGING) == before
    github = fake(engine, "github")
    assert app(engine, "orders-api-staging")["revision"] == github.head(GITOPS)
    assert app(engine, "orders-api-staging")["health"] == "Healthy"
    (made,) = deployments(engine)
    assert made["statuses"] == ["in_progress", "in_progress", "failure"]
    assert_one_terminal_status_each(calls.since(mark))
    (message,) = messages(engine)
    assert message["text"].startswith(f"Failed, rolled back: orders-api {V5} to staging")
    assert lock_holder(engine, "orders-api", "staging") is None


def test_healthy_for_a_moment_then_degraded_is_not_a_success(stack):
    engine, _ = stack
    fake(engine, "argocd").set_next_sync("orders-api-staging", "Healthy", healthy_for_s=40)
    execution = deploy(engine, V3)
    assert execution.error == "DeploymentFailed"
    assert "Degraded after" in execution.cause
    assert tag_line(engine, STAGING) == V2
    (made,) = deployments(engine)
    assert made["statuses"][-1] == "failure"


def test_a_failed_rollback_in_production_pages_and_says_so(stack):
    engine, approvals = stack
    approvals.answers["production"] = "approved"
    argo = fake(engine, "argocd")
    argo.set_next_sync("orders-api-production", "Degraded")
    argo.set_next_sync("orders-api-production", "Missing", "Failed")
    mark = calls.mark()
    execution = deploy(engine, V5, "production")
    assert execution.status == "FAILED"
    assert execution.error == "RollbackFailed"
    assert "the rollback failed" in execution.cause
    incidents = fake(engine, "pagerduty").state()["incidents"]
    assert list(incidents) == ["platform-automation/deployment/orders-api/production"]
    (made,) = deployments(engine)
    assert made["statuses"][-1] == "failure"
    assert_one_terminal_status_each(calls.since(mark))
    (message,) = messages(engine)
    assert message["text"].startswith(f"Failed, and the rollback failed too: orders-api {V5} to production")
    assert "paged on-call" in message["text"]
    assert lock_holder(engine, "orders-api", "production") is None


def test_a_commit_by_someone_else_between_read_and_write_is_kept(stack):
    engine, _ = stack
    github = fake(engine, "github")
    teammate = gitops(engine, STAGING).replace("namespace: orders-staging", "namespace: orders-staging-2")
    github.before_next(r"PUT /repos/example-corp/gitops/contents/", lambda: github.set_file(GITOPS, STAGING, teammate))
    mark = calls.mark()
    execution = deploy(engine, V3)
    assert execution.output["outcome"] == "succeeded"
    puts = [c["status"] for c in calls.since(mark) if c["method"] == "PUT" and "/contents/" in c["path"]]
    assert puts == [409, 200]
    assert gitops(engine, STAGING) == teammate.replace(f"newTag: {V2}", f"newTag: {V3}")


def test_a_tag_someone_else_changed_mid_deploy_is_never_overwritten(stack):
    engine, _ = stack
    github = fake(engine, "github")
    theirs = gitops(engine, STAGING).replace(f"newTag: {V2}", f"newTag: {V4}")
    github.before_next(r"PUT /repos/example-corp/gitops/contents/", lambda: github.set_file(GITOPS, STAGING, theirs))
    mark = calls.mark()
    execution = deploy(engine, V3)
    assert execution.error == "DeploymentError"
    assert "someone else changed it" in execution.cause
    assert gitops(engine, STAGING) == theirs
    (made,) = deployments(engine)
    assert made["statuses"] == ["in_progress", "error"]
    assert_one_terminal_status_each(calls.since(mark))
    assert lock_holder(engine, "orders-api", "staging") is None


def test_two_deploys_of_one_environment_take_turns(stack):
    engine, _ = stack
    mark = calls.mark()
    first = engine.start("deployment", {"service": "orders-api", "version": V3, "requested_by": "a@example.com"})
    wait_until(lambda: lock_holder(engine, "orders-api", "staging"), what="the first deploy's lock")
    second = engine.start("deployment", {"service": "orders-api", "version": V4, "requested_by": "b@example.com"})
    assert first.done.wait(120)
    assert second.done.wait(120)
    assert (first.output["outcome"], second.output["outcome"]) == ("succeeded", "succeeded")
    assert not any(s.name == "WaitForLock" for s in first.steps)
    assert any(s.name == "WaitForLock" for s in second.steps)
    assert second.output["previous_version"] == V3
    # Never two syncs of the application interleaved: the second starts after the first settled.
    argo = [c for c in calls.since(mark) if c["service"] == "argocd" and c["method"] == "POST"]
    assert len(argo) == 2
    statuses = {d["id"]: d["statuses"] for d in deployments(engine)}
    assert sorted(map(tuple, statuses.values())) == [("in_progress", "success"), ("in_progress", "success", "inactive")]
    assert lock_holder(engine, "orders-api", "staging") is None


def test_a_deploy_waiting_too_long_is_refused_with_who_holds_the_lock(stack):
    engine, _ = stack
    from functions.core import lease as locks
    from functions.core.lease import Holder

    ddb = boto3.client("dynamodb", region_name=engine.region)
    holder = Holder(execution_id="deployment-someone-else", version=V4, requested_by="maria.lopez@example.com")
    locks.acquire(engine.resources.state_table, ddb, "deploy-lock#orders-api", "staging", me=holder, ttl_s=7200)
    try:
        execution = deploy(engine, V3)
    finally:
        locks.release(engine.resources.state_table, ddb, "deploy-lock#orders-api", "staging", "deployment-someone-else")
    assert execution.output["outcome"] == "refused"
    assert "deployment-someone-else" in execution.output["reason"]
    assert "maria.lopez@example.com" in execution.output["reason"]
    assert deployments(engine) == []
    assert tag_line(engine, STAGING) == V2
    (message,) = messages(engine)
    assert message["text"].startswith("Refused:")


def test_a_lock_whose_holder_no_longer_runs_is_taken_over(stack):
    engine, _ = stack
    from functions.core import lease as locks
    from functions.core.lease import Holder

    finished = deploy(engine, V3, dry_run=True)  # an execution that has ended
    ddb = boto3.client("dynamodb", region_name=engine.region)
    stale = Holder(execution_id=finished.id)
    locks.acquire(engine.resources.state_table, ddb, "deploy-lock#orders-api", "staging", me=stale, ttl_s=7200)
    execution = deploy(engine, V4)
    assert execution.output["outcome"] == "succeeded"
    assert not any(s.name == "WaitForLock" for s in execution.steps)


def test_an_unknown_version_is_refused_before_anything_changes(stack):
    engine, _ = stack
    mark = calls.mark()
    execution = deploy(engine, "sha-0000000")
    assert execution.status == "SUCCEEDED"
    assert execution.output["outcome"] == "refused"
    assert "unknown version" in execution.output["reason"]
    assert [s.name for s in execution.steps][:3] == ["Resolve", "Resolved?", "Finish"]
    assert created_deployments(calls.since(mark)) == 0
    assert lock_holder(engine, "orders-api", "staging") is None


def test_an_older_version_needs_rollback(stack):
    engine, _ = stack
    refused = deploy(engine, V1)
    assert refused.output["outcome"] == "refused"
    assert "older than the running" in refused.output["reason"]
    assert tag_line(engine, STAGING) == V2
    allowed = deploy(engine, V1, options=["--rollback"])
    assert allowed.output["outcome"] == "succeeded"
    assert tag_line(engine, STAGING) == V1


def test_the_running_version_healthy_is_nothing_to_do(stack):
    engine, _ = stack
    execution = deploy(engine, V2)
    assert execution.output["outcome"] == "unchanged"
    assert deployments(engine) == []


def test_retries_under_throttling_and_errors_from_github_and_argocd(stack):
    engine, _ = stack
    engine.vendors.set_faults(  # type: ignore[union-attr]
        "github",
        [
            Fault(status=503, count=3, match=r"POST /repos/example-corp/orders-api/deployments$"),
            Fault(status=429, count=2, retry_after_s=5, match=r"PUT /repos/example-corp/gitops/contents/"),
            Fault(status=502, count=4, match=r"statuses"),
        ],
    )
    engine.vendors.set_faults(  # type: ignore[union-attr]
        "argocd",
        [
            Fault(status=503, count=3, match=r"POST /api/v1/applications/orders-api-staging/sync"),
            Fault(status=429, count=2, retry_after_s=2, match=r"GET /api/v1/applications/orders-api-staging"),
        ],
    )
    mark = calls.mark()
    execution = deploy(engine, V3)
    assert execution.output["outcome"] == "succeeded", execution.output
    made = calls.since(mark)
    assert created_deployments(made) == 1
    assert_one_terminal_status_each(made)
    (deployment,) = deployments(engine)
    assert deployment["statuses"] == ["in_progress", "success"]
    assert status_posts(made)[deployment["id"]] == ["in_progress", "success"]
    assert tag_line(engine, STAGING) == V3


def test_a_dry_run_shows_the_diff_the_commits_and_the_calls_and_changes_nothing(stack):
    engine, _ = stack
    before = gitops(engine, STAGING)
    execution = deploy(engine, V4, dry_run=True)
    result = execution.output
    assert result["outcome"] == "dry_run"
    assert f"+    newTag: {V4}   # changed by platform-automation's deployment workflow" in result["diff"]
    assert [c["title"] for c in result["commits"]] == ["Paginate the order list", "Cache customer lookups"]
    operations = [w["operation"] for w in result["would"]]
    assert "POST /repos/example-corp/orders-api/deployments" in operations
    assert f"PUT /repos/example-corp/gitops/contents/{STAGING}" in operations
    assert "POST /api/v1/applications/orders-api-staging/sync" in operations
    assert any(line.startswith("would ") for line in result["summary"])
    assert gitops(engine, STAGING) == before
    assert deployments(engine) == []
    assert messages(engine) == []
    assert "Lock" not in [s.name for s in execution.steps]


def test_a_deployment_whose_in_progress_status_never_got_through_still_gets_its_one_terminal_status(stack):
    engine, _ = stack
    # Every attempt of Start's in_progress POST fails (4 per call, 6 calls with the state's retries).
    engine.vendors.set_faults("github", [Fault(status=502, count=24, match=r"POST .*/statuses$")])  # type: ignore[union-attr]
    mark = calls.mark()
    execution = deploy(engine, V3)
    assert execution.error == "DeploymentError"
    (made,) = deployments(engine)
    assert made["statuses"] == ["error"]
    assert_one_terminal_status_each(calls.since(mark))
    assert tag_line(engine, STAGING) == V2  # the manifest step never ran
    assert lock_holder(engine, "orders-api", "staging") is None


def test_an_ecr_image_in_a_helm_values_file(stack):
    engine, approvals = stack
    approvals.answers["production"] = "approved"
    execution = engine.run(
        "deployment", {"service": "web", "version": "1.5.0", "requested_by": "sam.okafor@example.com"}
    )
    assert execution.output["outcome"] == "succeeded", execution.output
    assert execution.output["environment"] == "production"  # web's only environment
    assert gitops(engine, "apps/web/values.yaml") == (
        'image:\n  repository: 111111111111.dkr.ecr.eu-west-1.amazonaws.com/web\n  tag: "1.5.0"\n'
    )
    (made,) = deployments(engine, "example-corp/web")
    assert made["statuses"] == ["in_progress", "success"]
    (asked,) = approvals.asked
    assert asked["approvers"] == ["maria.lopez@example.com", "dev.patel@example.com"]  # the platform team's
    assert messages(engine, "#team-platform")[0]["text"].startswith("Deployed: web 1.5.0 to production")
    unknown = engine.run("deployment", {"service": "web", "version": "9.9.9"})
    assert "unknown version: there is no image" in unknown.output["reason"]


def test_a_happy_deploy_costs_at_most_40_state_transitions(stack):
    engine, _ = stack
    execution = deploy(engine, V3)
    entered = [e for e in engine._history(execution.arn) if e["type"].endswith("StateEntered")]
    assert len(entered) <= 40
    assert execution.virtual_wait_s == 150  # two polls rolling out, then the 2-minute window in four
