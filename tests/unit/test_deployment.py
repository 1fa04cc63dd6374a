"""The deployment's decisions without a stack: which webhook events deploy, how a version names
its commit, what one look at the Argo CD application means, how an execution's state becomes its
outcome, and what the `services:` configuration accepts."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from functions.adapters.argocd import ArgoApp
from functions.core.config import ConfigError, load_config, parse_config
from functions.deployment import steps, trigger, versions
from functions.deployment.models import Change, Decision, Deploy, Lock, RollbackState, Target, Watch
from functions.ingress.github_events import Delivery, normalize

ROOT = Path(__file__).resolve().parents[2]
CONFIG = load_config(ROOT / "platform.example.yaml")
SHA = "83e8a7df13b3f8aec3f82518ea4d06ea00070430"


def delivery(sample: str, kind: str, changes: dict[str, Any] | None = None) -> dict[str, Any]:
    payload = json.loads((ROOT / "events" / "github" / sample).read_text())
    section = payload["workflow_run"] if kind == "workflow_run" else payload["registry_package"]
    section.update(changes or {})
    detail = normalize(Delivery(kind, "d-1", payload))
    assert detail is not None
    return detail


# --- trigger ----------------------------------------------------------------------------------------
def test_a_successful_push_build_on_main_deploys_its_commits_tag_to_the_first_environment():
    request, why = trigger.request_from(delivery("workflow_run_completed.json", "workflow_run"), CONFIG)
    assert request == {
        "service": "orders-api",
        "version": "sha-83e8a7d",
        "environment": "staging",
        "commit": SHA,
        "trigger": "workflow_run",
        "requested_by": "github:sokafor",
        "delivery_id": "d-1",
        "dry_run": False,
    }
    assert "build 412" in why


@pytest.mark.parametrize(
    ("changes", "why"),
    [
        ({"conclusion": "failure"}, "concluded 'failure'"),
        ({"head_branch": "feature/x"}, "not a push to main"),
        ({"event": "pull_request"}, "not a push to main"),
        ({"name": "lint"}, "is not orders-api's build"),
        ({"head_repository": {"full_name": "someone/orders-api"}}, "fork"),
    ],
)
def test_other_runs_deploy_nothing(changes, why):
    request, reason = trigger.request_from(delivery("workflow_run_completed.json", "workflow_run", changes), CONFIG)
    assert request is None
    assert why in reason


def test_a_published_image_deploys_its_tag_with_the_commit_its_labels_name():
    request, _ = trigger.request_from(delivery("registry_package_published.json", "registry_package"), CONFIG)
    assert request is not None
    assert (request["service"], request["version"], request["environment"]) == ("orders-api", "sha-06ee156", "staging")
    assert request["commit"] == "06ee156e1b27bf110c49498edc2edbb63c3ad999"


def test_a_published_tag_outside_the_pattern_deploys_nothing():
    detail = delivery("registry_package_published.json", "registry_package")
    detail["package"]["tag"] = "latest"
    request, why = trigger.request_from(detail, CONFIG)
    assert request is None
    assert "does not match" in why


def test_a_repository_that_is_no_service_deploys_nothing():
    detail = delivery("workflow_run_completed.json", "workflow_run")
    detail["repository"] = "example-corp/platform-requests"
    assert trigger.request_from(detail, CONFIG)[0] is None


# --- versions ---------------------------------------------------------------------------------------
def test_a_tag_template_is_read_backwards_to_the_commit():
    assert versions.tag_for("sha-{short_sha}", SHA) == "sha-83e8a7d"
    assert versions.commit_refs("sha-83e8a7d", "sha-{short_sha}") == ["83e8a7d", "sha-83e8a7d", "vsha-83e8a7d"]
    assert versions.commit_refs("1.5.0", "{sha}") == ["1.5.0", "v1.5.0"]
    assert versions.commit_refs(SHA, "{sha}")[0] == SHA


def test_semantic_versions_sort_pre_releases_first():
    assert versions.semver("1.10.0") > versions.semver("1.9.3")  # type: ignore[operator]
    assert versions.semver("v2.0.0-rc.1") < versions.semver("2.0.0")  # type: ignore[operator]
    assert versions.semver("sha-83e8a7d") is None


# --- one look at the application ----------------------------------------------------------------------
TARGET = Target(
    service="orders-api",
    environment="staging",
    version="sha-83e8a7d",
    poll_s=15,
    stability_window_s=120,
    stability_poll_s=30,
    health_timeout_s=900,
)
REVISION = "cbfdda0123456789cbfdda0123456789cbfdda01"
T0 = datetime(2026, 11, 25, 9, 0, tzinfo=UTC)


def look(
    health: str,
    *,
    sync: str = "Synced",
    revision: str = REVISION,
    phase: str | None = "Succeeded",
    running: bool = False,
    since: datetime = T0,
    message: str | None = None,
) -> ArgoApp:
    return ArgoApp(
        name="orders-api-staging",
        sync_status=sync,
        health_status=health,
        revision=revision,
        operation_phase="Running" if running else phase,
        operation_message=message,
        history=(),
        health_since=since,
        operation_revision=revision,
        health_message=message,
    )


def watch(**fields: Any) -> Watch:
    return Watch(target_revision=REVISION, **fields)


def test_progressing_waits_a_poll():
    judged = steps.judge(watch(), look("Progressing", running=True, sync="OutOfSync"), TARGET)
    assert (judged.verdict, judged.wait_s, judged.elapsed_s, judged.healthy_since_s) == ("waiting", 15, 15, None)


def test_healthy_starts_the_stability_window_and_stays_stable_when_nothing_moved():
    first = steps.judge(watch(elapsed_s=15), look("Healthy"), TARGET)
    assert (first.verdict, first.healthy_since_s, first.wait_s) == ("waiting", 30, 30)
    later = first
    for _ in range(3):
        later = steps.judge(later, look("Healthy"), TARGET)
        assert later.verdict == "waiting"
    done = steps.judge(later, look("Healthy"), TARGET)
    assert done.verdict == "stable"
    assert done.elapsed_s - done.healthy_since_s == 120


def test_a_health_flap_between_looks_restarts_the_window():
    first = steps.judge(watch(elapsed_s=15), look("Healthy"), TARGET)
    flapped = steps.judge(first, look("Healthy", since=datetime(2026, 11, 25, 9, 1, tzinfo=UTC)), TARGET)
    assert flapped.verdict == "waiting"
    assert flapped.healthy_since_s == flapped.elapsed_s


def test_healthy_at_another_revision_is_not_this_deploy():
    judged = steps.judge(watch(), look("Healthy", revision="0" * 40), TARGET)
    assert (judged.verdict, judged.healthy_since_s) == ("waiting", None)


@pytest.mark.parametrize(
    ("app", "reason"),
    [
        (look("Degraded", message="CrashLoopBackOff"), "Degraded: CrashLoopBackOff"),
        (look("Missing"), "Missing"),
        (look("Degraded", sync="OutOfSync", phase="Failed", message="one or more objects failed"), "sync Failed"),
    ],
)
def test_degraded_missing_or_a_failed_sync_fails(app, reason):
    judged = steps.judge(watch(), app, TARGET)
    assert judged.verdict == "failed"
    assert reason in judged.reason


def test_not_healthy_within_the_timeout_fails():
    judged = steps.judge(watch(elapsed_s=890), look("Progressing", running=True), TARGET)
    assert judged.verdict == "failed"
    assert "within 15 min" in judged.reason


# --- outcome -------------------------------------------------------------------------------------------
PLAN = TARGET.model_copy(update={"refused": None})


def state(**fields: Any) -> Deploy:
    return Deploy(**{"service": "orders-api", "version": "sha-83e8a7d", "plan": PLAN, **fields})


@pytest.mark.parametrize(
    ("fields", "expected"),
    [
        ({"plan": PLAN.model_copy(update={"refused": "unknown version"})}, "refused"),
        ({"lock": Lock(acquired=False, gave_up=True, polls=31)}, "refused"),
        ({"change": Change(refused="older")}, "refused"),
        ({"change": Change(noop=True)}, "unchanged"),
        ({"change": Change(), "approval": Decision(decision="denied", approver="a@example.com")}, "denied"),
        ({"change": Change(), "approval_error": {"Error": "States.Timeout", "Cause": ""}}, "denied"),
        ({"change": Change(), "watch": watch(verdict="stable", reason="Healthy")}, "succeeded"),
        (
            {
                "change": Change(),
                "watch": watch(verdict="failed", reason="Degraded"),
                "revert": RollbackState(to_version="sha-be4ddfb", watch=watch(verdict="stable")),
            },
            "rolled_back",
        ),
        (
            {
                "change": Change(),
                "watch": watch(verdict="failed", reason="Degraded"),
                "revert": RollbackState(to_version="sha-be4ddfb", watch=watch(verdict="failed", reason="Missing")),
            },
            "rollback_failed",
        ),
        ({"change": Change(), "error": {"Error": "VendorError", "Cause": "github failed"}}, "error"),
        (
            {"change": Change(), "error": {"Error": "X", "Cause": "c"}, "revert_error": {"Error": "Y", "Cause": "d"}},
            "rollback_failed",
        ),
    ],
)
def test_every_way_an_execution_ends_has_one_outcome(fields, expected):
    assert steps.outcome(state(**fields))[0] == expected


# --- configuration ---------------------------------------------------------------------------------------
def test_the_example_services_are_valid():
    orders = CONFIG.services["orders-api"]
    assert list(orders.environments) == ["staging", "production"]
    assert orders.environments["staging"].manifest_format == "kustomize"
    assert CONFIG.services["web"].environments["production"].manifest_format == "helm"
    assert orders.is_production("production")
    assert not orders.is_production("staging")


@pytest.mark.parametrize(
    ("change", "problem"),
    [
        (lambda s: s["orders-api"]["owners"].update(team="nobody"), "unknown team 'nobody'"),
        (lambda s: s["web"]["environments"]["production"].update(argocd_app="orders-api-staging"), "deployed by"),
        (lambda s: s["orders-api"]["environments"]["staging"].update(promote_from="production"), "cannot be promoted"),
        (
            lambda s: s["orders-api"]["environments"]["production"].update(promote_from="qa"),
            "not an environment listed",
        ),
        (lambda s: s["orders-api"]["environments"]["production"].update(approvers=["x@elsewhere.org"]), "outside"),
        (lambda s: s["orders-api"].update(image="docker.io/library/nginx"), "services.orders-api.image"),
        (lambda s: s["orders-api"]["build"].update(tag="latest"), "needs the commit in the tag"),
        (lambda s: s["orders-api"]["environments"]["staging"].update(manifest="apps/x.json"), "manifest"),
    ],
)
def test_service_problems_are_reported(example_data, change, problem):
    change(example_data["services"])
    with pytest.raises(ConfigError) as caught:
        parse_config(example_data, Path("platform.yaml"))
    assert any(problem in p for p in caught.value.problems), caught.value.problems


def test_services_need_argocd_and_the_gitops_repo(example_data):
    del example_data["argocd"]
    del example_data["github"]["gitops_repo"]
    with pytest.raises(ConfigError) as caught:
        parse_config(example_data, Path("platform.yaml"))
    assert "services: deploying needs the argocd section" in caught.value.problems
    assert any("github.gitops_repo" in p for p in caught.value.problems)


# --- a sync Argo CD's auto-sync started first ------------------------------------------------------------
class BusyArgo:
    def sync(self, name: str, revision: str | None = None) -> None:
        from functions.adapters.errors import VendorError

        raise VendorError("argocd", "sync application", 400, "another operation is already in progress")


def test_a_sync_auto_sync_started_first_is_watched_instead():
    deps = steps.Deps(config=CONFIG, table="t", ddb=None, argocd=BusyArgo())  # type: ignore[arg-type]
    watch_ = steps._sync(state(plan=PLAN.model_copy(update={"dry_run": False})), "exec-1", deps, REVISION, "deploy")
    assert watch_.already_running
    assert (watch_.target_revision, watch_.wait_s) == (REVISION, 15)


def test_any_other_refused_sync_fails_the_step():
    class Refusing:
        def sync(self, name: str, revision: str | None = None) -> None:
            from functions.adapters.errors import VendorError

            raise VendorError("argocd", "sync application", 403, "permission denied")

    deps = steps.Deps(config=CONFIG, table="t", ddb=None, argocd=Refusing())  # type: ignore[arg-type]
    with pytest.raises(Exception, match="permission denied"):
        steps._sync(state(), "exec-1", deps, REVISION, "deploy")
