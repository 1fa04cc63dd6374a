"""What each state of the deployment does. Every function takes the state (`Deploy`), the
execution id and the vendors (`Deps`), looks before it changes anything, makes each change through
the change primitive (audited, or only described in a dry run) and returns its part of the state.

    resolve -> lock -> plan -> [approval] -> start -> update_manifest -> sync -> check_health ...
    ... (failure) -> roll_back -> check_health ... -> finish (always; it releases the lock)
"""

from __future__ import annotations

import json
import os
import re
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import partial
from typing import TYPE_CHECKING, Any

from functions.adapters.errors import VendorError
from functions.core import constants
from functions.core import lease as locks
from functions.core.change import ChangeContext
from functions.core.lease import Holder
from functions.core.text import lambda_message
from functions.deployment import manifest, report, versions
from functions.deployment.models import (
    ApprovalAsk,
    Change,
    CommitLine,
    Deploy,
    DeployRequest,
    GitHubDeployment,
    Lock,
    ManifestCommit,
    RollbackState,
    Target,
    Watch,
)

if TYPE_CHECKING:
    from mypy_boto3_dynamodb.client import DynamoDBClient

    from functions.adapters.argocd import ArgoApp, ArgoCd
    from functions.adapters.aws_ecr import Ecr
    from functions.adapters.github import GitHub
    from functions.adapters.pagerduty import PagerDuty
    from functions.adapters.slack import Slack
    from functions.core.config import PlatformConfig

ACTOR = "deployment"
WORKFLOW = "deployment"
TAG = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9._-]{0,127}$")
MAX_COMMITS = 20
MANIFEST_ATTEMPTS = 5
TERMINAL = frozenset({"success", "failure", "error"})
LOCK_MARGIN_S = 1800
BUSY = "another operation is already in progress"


class ManifestConflict(Exception):  # noqa: N818 - what the execution's error names
    """Someone else changed the image tag in the GitOps repo during the deploy: never overwritten."""


class ManifestMissing(Exception):  # noqa: N818 - what the execution's error names
    """The manifest file or its tag is not where the configuration says."""


@dataclass
class Deps:
    """The vendors and tables a step uses; the handlers fill it from functions.adapters.vendors."""

    config: PlatformConfig
    table: str
    ddb: DynamoDBClient
    github: GitHub | None = None
    argocd: ArgoCd | None = None
    slack: Slack | None = None
    ecr: Ecr | None = None
    pagerduty: PagerDuty | None = None
    pagerduty_provider: Any = None  # () -> PagerDuty, built only when a page is due
    sfn: Any = None
    s3: Any = None
    bucket: str = ""
    publish: Any = None  # (source, detail_type, detail) -> event id
    machines: dict[str, str] = field(default_factory=dict)  # workflow -> state machine ARN

    def need(self, name: str) -> Any:
        value = getattr(self, name)
        if value is None:
            raise RuntimeError(f"the {name} adapter is not configured for this step")
        return value


def changes(state: Deploy, execution_id: str, deps: Deps) -> ChangeContext:
    target = state.plan
    approver = state.approval.approver if state.approval is not None else ""
    return ChangeContext(
        execution_id=execution_id,
        dry_run=bool(target.dry_run if target else state.dry_run),
        requester=(target.requested_by if target else state.requested_by) or "",
        approver=approver,
        actor=ACTOR,
        audit_client=deps.ddb,
    )


def _show(state: Deploy, execution_id: str, deps: Deps, stage: str, event: str, *, detail: str = "") -> None:
    if deps.slack is None:
        return
    report.show(
        state,
        execution_id,
        stage,
        event,
        slack=deps.slack,
        table=deps.table,
        client=deps.ddb,
        changes=changes(state, execution_id, deps),
        detail=detail,
    )


# --- resolve ----------------------------------------------------------------------------------------
def _options(request: DeployRequest) -> tuple[str | None, bool, bool]:
    environment, rollback, dry_run = request.environment, request.rollback, request.dry_run
    for option in request.options:
        if option == "--rollback":
            rollback = True
        elif option == "--dry-run":
            dry_run = True
        elif environment is None and not option.startswith("-"):
            environment = option
    return environment, rollback, dry_run


def resolve(request: DeployRequest, execution_id: str, deps: Deps) -> Target:  # noqa: ARG001 - one signature for all steps
    """The service, environment and version asked for, checked: a known service and environment,
    an image that exists with that tag, and the commit it was built from."""
    cfg = deps.config
    environment, rollback, dry_run = _options(request)
    requested_by = request.requested_by or "platform-automation"
    asked = Target(
        service=request.service,
        environment=environment or "",
        version=request.version,
        requested_by=requested_by,
        trigger=request.origin.kind
        if request.trigger == "manual" and request.origin and request.origin.kind
        else request.trigger,
        rollback=rollback,
        dry_run=dry_run,
        origin=request.origin,
        promoted_from=request.promoted_from,
    )
    service = cfg.services.get(request.service)
    if service is None:
        known = ", ".join(sorted(cfg.services)) or "none configured"
        return asked.model_copy(update={"refused": f"unknown service {request.service!r} (known: {known})"})
    environment = environment or next(iter(service.environments))
    asked = asked.model_copy(update={"environment": environment, "channel": service.owners.slack_channel})
    settings = service.environments.get(environment)
    if settings is None:
        known = ", ".join(service.environments)
        return asked.model_copy(update={"refused": f"{request.service} has no environment {environment!r} ({known})"})
    if not request.version or not TAG.match(request.version):
        return asked.model_copy(update={"refused": f"{request.version!r} is not an image tag"})
    github: GitHub = deps.need("github")
    if not versions.image_exists(service.image, request.version, github, deps.need("ecr")):
        return asked.model_copy(
            update={"refused": f"unknown version: there is no image {service.image}:{request.version}"}
        )
    commit = github.get_commit(service.repo, request.commit) if request.commit else None
    if commit is None:
        commit = versions.resolve_commit(github, service.repo, request.version, service.build.tag)
    if commit is None:
        return asked.model_copy(
            update={"refused": f"{service.image}:{request.version} names no commit of {service.repo}"}
        )
    window = settings.stability_window_seconds
    timeout = settings.health_timeout_minutes * 60
    approval_timeout = settings.approval_timeout_minutes * 60 if settings.requires_approval else 0
    approvers = settings.approvers or list(cfg.teams[service.owners.team].approvers)
    return asked.model_copy(
        update={
            "version": request.version,
            "commit": commit.sha,
            "commit_url": commit.html_url,
            "repo": service.repo,
            "image": service.image,
            "gitops_repo": cfg.github.gitops_repo or "",
            "manifest": settings.manifest,
            "format": settings.manifest_format,
            "key": settings.key,
            "argocd_app": settings.argocd_app,
            "url": str(settings.url) if settings.url else None,
            "production": service.is_production(environment),
            "requires_approval": settings.requires_approval,
            "approvers": approvers,
            "approvers_from": f"services.{request.service}.environments.{environment}.approvers"
            f"|teams.{service.owners.team}.approvers",
            "approval_timeout_s": approval_timeout or 14_400,
            "poll_s": settings.poll_seconds,
            "stability_window_s": window,
            "stability_poll_s": max(settings.poll_seconds, window // 4) if window else settings.poll_seconds,
            "health_timeout_s": timeout,
            "lock_ttl_s": approval_timeout + 2 * (timeout + window) + LOCK_MARGIN_S,
            "lock_poll_s": 60,
            "lock_max_polls": settings.lock_wait_minutes,
            "team": service.owners.team,
            "pagerduty_service": service.owners.pagerduty_service,
            "promote_to": [name for name, env in service.environments.items() if env.promote_from == environment],
        }
    )


# --- lock -------------------------------------------------------------------------------------------
def _still_running(execution: str, deps: Deps) -> bool:
    """Whether the lock's holder still runs (True when that cannot be told)."""
    machine = deps.machines.get(WORKFLOW)
    if not machine or deps.sfn is None:
        return True
    arn = machine.replace(":stateMachine:", ":execution:") + f":{execution}"
    try:
        return str(deps.sfn.describe_execution(executionArn=arn)["status"]) == "RUNNING"
    except Exception:  # noqa: BLE001 - unknown to Step Functions (or no permission): trust the lease
        return True


def lock_scope(service: str) -> str:
    """One lease per service and environment (functions/core/lease.py), named as it always was."""
    return f"deploy-lock#{service}"


def take_lock(state: Deploy, execution_id: str, deps: Deps) -> Lock:
    target = state.target
    before = state.lock or Lock()
    me = Holder(execution_id=execution_id, version=target.version, requested_by=target.requested_by)
    args = (deps.table, deps.ddb, lock_scope(target.service), target.environment)
    taken, expires = locks.acquire(*args, me=me, ttl_s=target.lock_ttl_s)
    taken_over = None
    held = None if taken else locks.holder(*args)
    if held is not None and not _still_running(held[0].execution_id, deps):
        taken, expires = locks.acquire(*args, me=me, ttl_s=target.lock_ttl_s, replacing=held[0].execution_id)
        taken_over = held[0].execution_id if taken else None
    if taken:
        return Lock(acquired=True, polls=before.polls, expires_at=expires, taken_over=taken_over)
    holder = held[0] if held else None
    polls = before.polls + 1
    gave_up = polls > target.lock_max_polls
    if before.polls == 0 and not gave_up and holder is not None:
        waiting = f"waiting for `{holder.version}` (`{holder.execution_id}`, requested by {holder.requested_by})"
        _show(state, execution_id, deps, "waiting", waiting)
    return Lock(acquired=False, holder=holder, polls=polls, gave_up=gave_up)


# --- plan -------------------------------------------------------------------------------------------
def _read_manifest(github: GitHub, target: Target) -> tuple[str, str, str | None]:
    """(text, blob sha, current tag) of the environment's manifest."""
    found = github.get_file(target.gitops_repo, target.manifest)
    if found is None:
        raise ManifestMissing(f"{target.manifest} is not in {target.gitops_repo}")
    try:
        tag = manifest.current_tag(found.text, target.format, target.image, target.key, target.manifest)
    except manifest.ManifestError as exc:
        raise ManifestMissing(str(exc)) from None
    return found.text, found.sha, tag


def _compare(target: Target, running: str, github: GitHub, deps: Deps) -> dict[str, Any]:
    """Where the new version stands against the running one: its commits, and the direction."""
    service = deps.config.services[target.service]
    running_commit = versions.resolve_commit(github, target.repo, running, service.build.tag)
    if running_commit is not None:
        found = github.compare(target.repo, running_commit.sha, target.commit)
        commits = [CommitLine(sha=c.sha, title=c.title, author=c.author) for c in found.commits]
        return {
            "running_commit": running_commit.sha,
            "direction": found.status,
            "commits": commits[-MAX_COMMITS:],
            "commit_count": found.ahead_by,
            "behind_by": found.behind_by,
            "compare_url": found.html_url,
        }
    new, old = versions.semver(target.version), versions.semver(running)
    if new is not None and old is not None:
        direction = "ahead" if new > old else "behind" if new < old else "identical"
        return {"direction": direction, "behind_by": 0}
    return {"direction": "unknown", "behind_by": 0}


def _approval_plan(target: Target, change: Change) -> list[str]:
    lines = [f"Set the image tag in `{target.manifest}` ({target.gitops_repo}):"]
    lines += [f"`{line}`" for line in change.diff if line[:1] in "+-" and line[:3] not in ("+++", "---")]
    if change.commit_count:
        lines.append(f"{change.commit_count} commit(s) since the running `{change.running_version}`:")
        lines += [f"`{c.sha[:7]}` {c.title}" + (f" ({c.author})" if c.author else "") for c in change.commits[-10:]]
    elif change.direction == "behind":
        lines.append(f"An older version than the running `{change.running_version}` (a rollback)")
    lines.append(
        f"Then: a GitHub deployment on {target.repo}, an Argo CD sync of `{target.argocd_app}`, Healthy for "
        f"{target.stability_window_s} s within {target.health_timeout_s // 60} min, or rolled back in Git"
    )
    return lines


def _would(target: Target, change: Change, ctx: ChangeContext) -> None:
    """A dry run's list of the calls the deploy would make, in order."""

    def call(vendor: str, operation: str, target_: str, line: str) -> None:
        ctx.change(vendor, operation, target_, lambda: None, line=line)  # never called in a dry run

    repo, app = f"/repos/{target.repo}", f"/api/v1/applications/{target.argocd_app}"
    call("slack", "POST chat.postMessage", target.channel, f"announced the deploy in {target.channel}")
    if change.noop:
        return
    if change.approval is not None:
        approvers = ", ".join(change.approval.approvers)
        call("slack", "POST chat.postMessage", "approvals channel", f"asked {approvers} to approve")
    call(
        "github",
        f"POST {repo}/deployments",
        f"ref {target.commit[:7]}, {target.environment}",
        f"created a GitHub deployment of {target.commit[:7]} to {target.environment}",
    )
    call("github", f"POST {repo}/deployments/{{id}}/statuses", "in_progress", "reported it in_progress")
    if change.manifest_changes:
        path = f"/repos/{target.gitops_repo}/contents/{target.manifest}"
        call(
            "github",
            f"PUT {path}",
            f"{change.running_version} -> {target.version}",
            f"committed {target.version} to {target.gitops_repo}/{target.manifest}",
        )
    call("argocd", f"POST {app}/sync", "the GitOps commit", f"started an Argo CD sync of {target.argocd_app}")
    call(
        "argocd",
        f"GET {app}",
        f"every {target.poll_s} s",
        f"watched it for up to {target.health_timeout_s // 60} min, then Healthy for {target.stability_window_s} s",
    )
    call("github", f"POST {repo}/deployments/{{id}}/statuses", "success", "reported success (failure after a rollback)")
    call("github", f"POST {repo}/deployments/{{id}}/statuses", "inactive", "marked the previous deployment inactive")
    for environment in target.promote_to:
        call("aws", "events:PutEvents", f"deployment.requested {environment}", f"offered the version to {environment}")


def plan(state: Deploy, execution_id: str, deps: Deps) -> Change:
    """Under the lock: what runs now, the manifest change, the commits in between; refuse an older
    version unless a rollback was asked for; nothing to do when it already runs, Healthy."""
    target = state.target
    github: GitHub = deps.need("github")
    try:
        text, _, running = _read_manifest(github, target)
    except ManifestMissing as exc:
        return Change(refused=str(exc))
    change = Change(running_version=running)
    if running == target.version:
        change = change.model_copy(update={"manifest_changes": False, "direction": "identical"})
        app = deps.need("argocd").get_application(target.argocd_app)
        if app.sync_status == "Synced" and app.healthy:
            change = change.model_copy(update={"noop": True})
    else:
        after = manifest.set_tag(text, target.format, target.image, target.key, target.version, path=target.manifest)
        found = _compare(target, running, github, deps) if running else {"direction": "unknown", "behind_by": 0}
        behind = found.pop("behind_by", 0)
        change = change.model_copy(update={**found, "diff": manifest.diff(text, after, target.manifest)})
        if change.direction == "behind" and not target.rollback:
            back = f" ({behind} commits behind)" if behind else ""
            return change.model_copy(
                update={
                    "refused": f"{target.version} is older than the running {running}{back}; "
                    "ask for it with --rollback to deploy it anyway"
                }
            )
    if target.requires_approval and not change.noop:
        ask = ApprovalAsk(
            summary=f"Deploy {target.title}",
            plan=_approval_plan(target, change),
            requester=target.requested_by,
            approvers=target.approvers,
            approvers_from=target.approvers_from,
            timeout_s=target.approval_timeout_s,
        )
        change = change.model_copy(update={"approval": ask})
    ctx = changes(state, execution_id, deps)
    if target.dry_run:
        _would(target, change, ctx)
        return change.model_copy(update={"would": ctx.would, "summary": ctx.summary})
    if change.approval is not None:
        _show(state.model_copy(update={"change": change}), execution_id, deps, "approval", "waiting for approval")
    return change


# --- start ------------------------------------------------------------------------------------------
def _log_url(execution_id: str, deps: Deps) -> str | None:
    machine = deps.machines.get(WORKFLOW)
    if not machine:
        return None
    region = machine.split(":")[3]
    arn = machine.replace(":stateMachine:", ":execution:") + f":{execution_id}"
    return f"https://{region}.console.aws.amazon.com/states/home?region={region}#/v2/executions/details/{arn}"


def start(state: Deploy, execution_id: str, deps: Deps) -> GitHubDeployment:
    """The GitHub deployment (on the version's commit), reported in_progress."""
    target = state.target
    github: GitHub = deps.need("github")
    ctx = changes(state, execution_id, deps)
    existing = next(
        (
            d
            for d in github.list_deployments(target.repo, environment=target.environment, sha=target.commit)
            if isinstance(d.payload, dict) and d.payload.get("execution_id") == execution_id
        ),
        None,
    )
    deployment = existing
    if deployment is None:
        change = state.change or Change()
        payload = {
            "service": target.service,
            "version": target.version,
            "previous_version": change.running_version,
            "argocd_app": target.argocd_app,
            "manifest": f"{target.gitops_repo}/{target.manifest}",
            "execution_id": execution_id,
            "requested_by": target.requested_by,
        }
        deployment = ctx.change(
            "github",
            "create deployment",
            f"{target.repo}@{target.commit[:7]} {target.environment}",
            partial(
                github.create_deployment,
                target.repo,
                target.commit,
                target.environment,
                payload,
                f"Deploy {target.version} ({execution_id})"[:140],
                auto_merge=False,
                required_contexts=[],
                production_environment=target.production,
            ),
            line=f"created the GitHub deployment of {target.title}",
            after_of=lambda d: {"id": d.id, "sha": d.sha},
        )
    assert deployment is not None  # not a dry run: Planned? ends dry runs before this state
    statuses = github.list_deployment_statuses(target.repo, deployment.id)
    if not any(s.state == "in_progress" for s in statuses):
        ctx.change(
            "github",
            "create deployment status",
            f"{target.repo} deployment {deployment.id}",
            partial(
                github.create_deployment_status,
                target.repo,
                deployment.id,
                "in_progress",
                log_url=_log_url(execution_id, deps),
                description=f"Deploying {target.version} with Argo CD ({target.argocd_app})",
            ),
            line=f"reported deployment {deployment.id} in_progress",
            after="in_progress",
        )
    result = GitHubDeployment(
        id=deployment.id,
        repo=target.repo,
        environment=target.environment,
        url=f"https://github.com/{target.repo}/deployments/{target.environment}",
    )
    _show(state.model_copy(update={"deployment": result}), execution_id, deps, "deploying", "GitHub deployment created")
    return result


# --- manifest ---------------------------------------------------------------------------------------
def _commit_tag(
    state: Deploy,
    execution_id: str,
    deps: Deps,
    *,
    expect: str | None,
    to: str,
    message: str,
    operation: str,
) -> ManifestCommit:
    """Set the tag to `to` where it is `expect`: a concurrent commit (409) is read again and the
    change re-applied onto it; a tag someone else changed meanwhile is never overwritten."""
    target = state.target
    github: GitHub = deps.need("github")
    ctx = changes(state, execution_id, deps)
    for attempt in range(1, MANIFEST_ATTEMPTS + 1):
        text, sha, tag = _read_manifest(github, target)
        if tag == to:
            head = github.get_commit(target.gitops_repo, "HEAD")
            ours = head is not None and execution_id in head.message
            return ManifestCommit(commit=head.sha if head else "", changed=ours, tag_before=expect, attempts=attempt)
        if tag != expect:
            raise ManifestConflict(
                f"the tag in {target.gitops_repo}/{target.manifest} is now {tag!r}, not {expect!r}: someone else "
                "changed it during the deploy; not overwriting it"
            )
        after = manifest.set_tag(text, target.format, target.image, target.key, to, path=target.manifest)
        try:
            commit = ctx.change(
                "github",
                operation,
                f"{target.gitops_repo}/{target.manifest}",
                partial(github.update_file, target.gitops_repo, target.manifest, after, sha, message),
                line=f"committed {target.service} {to} to {target.gitops_repo}/{target.manifest}",
                before=tag,
                after=to,
            )
        except VendorError as error:
            if error.status == 409 and attempt < MANIFEST_ATTEMPTS:
                continue  # someone committed in between: read it again, change it again
            raise
        return ManifestCommit(commit=str(commit), changed=True, tag_before=tag, attempts=attempt)
    raise ManifestConflict(f"{target.manifest} kept changing: gave up after {MANIFEST_ATTEMPTS} attempts")


def update_manifest(state: Deploy, execution_id: str, deps: Deps) -> ManifestCommit:
    target = state.target
    change = state.change or Change()
    deployment = f"GitHub deployment {state.deployment.id}" if state.deployment else "no GitHub deployment"
    message = (
        f"Deploy {target.title}\n\n{deployment} on {target.repo}, execution {execution_id},\n"
        f"requested by {target.requested_by}" + (f", approved by {state.approval.approver}" if state.approval else "")
    )
    result = _commit_tag(
        state,
        execution_id,
        deps,
        expect=change.running_version,
        to=target.version,
        message=message,
        operation="update manifest",
    )
    event = (
        f"committed `{result.commit[:7]}` to {target.gitops_repo}"
        if result.changed
        else "manifest already at the version"
    )
    _show(state.model_copy(update={"gitops": result}), execution_id, deps, "deploying", event)
    return result


# --- sync and health ----------------------------------------------------------------------------------
def _sync(state: Deploy, execution_id: str, deps: Deps, revision: str, phase: str) -> Watch:
    target = state.target
    argo: ArgoCd = deps.need("argocd")
    ctx = changes(state, execution_id, deps)
    already = False
    try:
        ctx.change(
            "argocd",
            "sync application",
            target.argocd_app,
            partial(argo.sync, target.argocd_app, revision),
            line=f"started an Argo CD sync of {target.argocd_app} at {revision[:7]}",
            after={"revision": revision},
        )
    except VendorError as error:
        if error.status != 400 or BUSY not in error.detail:
            raise
        already = True  # auto-sync saw the commit first: watch that operation instead
    return Watch(phase=phase, target_revision=revision, wait_s=target.poll_s, already_running=already)  # type: ignore[arg-type]


def sync(state: Deploy, execution_id: str, deps: Deps) -> Watch:
    revision = state.gitops.commit if state.gitops else ""
    watch = _sync(state, execution_id, deps, revision, "deploy")
    event = f"Argo CD sync of `{state.target.argocd_app}` at `{revision[:7]}`" + (
        " (already running)" if watch.already_running else ""
    )
    _show(state.model_copy(update={"watch": watch}), execution_id, deps, "syncing", event)
    return watch.model_copy(update={"shown": "syncing"})


def judge(watch: Watch, app: ArgoApp, target: Target) -> Watch:
    """The verdict on one look at the application: Synced at the revision and Healthy, and still
    Healthy (the same lastTransitionTime) a stability window later, is stable; Degraded, Missing
    or a failed sync is a failure; anything else waits, until the timeout."""
    elapsed = watch.elapsed_s + watch.wait_s
    seen = {
        "elapsed_s": elapsed,
        "polls": watch.polls + 1,
        "health": app.health_status,
        "sync": app.sync_status,
        "operation_phase": app.operation_phase,
    }
    # A failed operation is this deploy's when it synced to the revision (or says to which it did not).
    ours = not app.operation_revision or app.operation_revision.startswith(watch.target_revision[:7])
    if app.operation_phase in ("Failed", "Error") and not app.operation_running and ours:
        reason = f"sync {app.operation_phase}: {app.operation_message or 'no message'}"
        return watch.model_copy(update={**seen, "verdict": "failed", "reason": reason, "wait_s": 0})
    at_revision = app.synced_at(watch.target_revision)
    since = app.health_since.isoformat() if app.health_since else None
    if at_revision and app.health_status == "Healthy":
        fresh = watch.healthy_since_s is None or (since is not None and since != watch.health_since)
        healthy_since = elapsed if fresh else watch.healthy_since_s
        assert healthy_since is not None
        healthy_for = elapsed - healthy_since
        if healthy_for >= target.stability_window_s:
            reason = f"Healthy at {watch.target_revision[:7]} for {healthy_for} s"
            return watch.model_copy(
                update={
                    **seen,
                    "verdict": "stable",
                    "reason": reason,
                    "wait_s": 0,
                    "healthy_since_s": healthy_since,
                    "health_since": since,
                }
            )
        wait = min(target.stability_poll_s, target.stability_window_s - healthy_for)
        return watch.model_copy(
            update={
                **seen,
                "verdict": "waiting",
                "wait_s": max(1, wait),
                "healthy_since_s": healthy_since,
                "health_since": since,
                "reason": f"Healthy for {healthy_for} of {target.stability_window_s} s",
            }
        )
    if at_revision and app.health_status in ("Degraded", "Missing"):
        after = f" after {elapsed - watch.healthy_since_s} s Healthy" if watch.healthy_since_s is not None else ""
        reason = f"{app.health_status}{after}: {app.health_message or 'no message from Argo CD'}"
        return watch.model_copy(update={**seen, "verdict": "failed", "reason": reason, "wait_s": 0})
    if elapsed >= target.health_timeout_s:
        reason = (
            f"not Synced and Healthy at {watch.target_revision[:7]} within {target.health_timeout_s // 60} min "
            f"(sync {app.sync_status}, health {app.health_status})"
        )
        return watch.model_copy(update={**seen, "verdict": "failed", "reason": reason, "wait_s": 0})
    reason = f"sync {app.sync_status}, health {app.health_status}" + (
        f", operation {app.operation_phase}" if app.operation_running else ""
    )
    return watch.model_copy(
        update={
            **seen,
            "verdict": "waiting",
            "wait_s": target.poll_s,
            "healthy_since_s": None,
            "health_since": None,
            "reason": reason,
        }
    )


def check_health(state: Deploy, execution_id: str, deps: Deps) -> Watch:
    target = state.target
    rolling_back = state.revert is not None and state.revert.watch is not None
    watch = state.revert.watch if rolling_back and state.revert else state.watch
    if watch is None:
        raise ValueError("no sync to watch")
    app = deps.need("argocd").get_application(target.argocd_app)
    judged = judge(watch, app, target)
    stage = {"waiting": "progressing", "stable": "", "failed": ""}[judged.verdict]
    if judged.verdict == "waiting" and judged.healthy_since_s is not None:
        stage = "stabilizing"
    if stage and not rolling_back and stage != watch.shown:
        _show(state.model_copy(update={"watch": judged}), execution_id, deps, stage, judged.reason)
        judged = judged.model_copy(update={"shown": stage})
    return judged


def roll_back(state: Deploy, execution_id: str, deps: Deps) -> RollbackState:
    """Put the previous tag back in Git (so Argo CD's auto-sync agrees with the rollback), sync it,
    and watch it like the deploy."""
    target = state.target
    change = state.change or Change()
    why = (state.watch.reason if state.watch and state.watch.verdict == "failed" else "") or _error_text(state.error)
    previous = change.running_version
    if state.gitops is None or not state.gitops.changed or not previous:
        raise ManifestConflict(
            f"nothing to roll back in Git: this deploy did not change {target.manifest}"
            + ("" if previous else " (it held no tag before)")
        )
    github_deployment = state.deployment
    if github_deployment is not None:
        github: GitHub = deps.need("github")
        changes(state, execution_id, deps).change(
            "github",
            "create deployment status",
            f"{target.repo} deployment {github_deployment.id}",
            partial(
                github.create_deployment_status,
                target.repo,
                github_deployment.id,
                "in_progress",
                description=f"Rolling back to {previous}: {why}"[:140],
            ),
            line=f"reported deployment {github_deployment.id} rolling back",
            after="in_progress",
        )
    _show(state, execution_id, deps, "rolling_back", f"rolling back to `{previous}`: {why}")
    message = (
        f"Roll back {target.service} to {previous} in {target.environment}\n\n{target.version} failed: {why}\n"
        f"Execution {execution_id}"
    )
    committed = _commit_tag(
        state, execution_id, deps, expect=target.version, to=previous, message=message, operation="roll back manifest"
    )
    back = state.model_copy(update={"gitops": committed})
    watch = _sync(back, execution_id, deps, committed.commit, "rollback")
    return RollbackState(to_version=previous, commit=committed.commit, changed=committed.changed, watch=watch)


# --- finish -----------------------------------------------------------------------------------------
def _error_text(error: dict[str, Any] | None) -> str:
    if not error:
        return ""
    cause = str(error.get("Cause") or "")
    return f"{error.get('Error', 'Error')}: {lambda_message(cause) or cause}"[:500]


def outcome(state: Deploy) -> tuple[str, str]:  # noqa: PLR0911, PLR0912 - one return per outcome
    """(outcome, reason) of the execution, from what its states left in the state."""
    plan_ = state.plan
    if plan_ is None:
        return "error", _error_text(state.error) or "the request could not be resolved"
    if plan_.refused:
        return "refused", plan_.refused
    if state.lock is not None and not state.lock.acquired and state.lock.gave_up:
        holder = state.lock.holder
        who = f" by {holder.execution_id} ({holder.version}, requested by {holder.requested_by})" if holder else ""
        return (
            "refused",
            f"{plan_.service} {plan_.environment} is being deployed{who}; waited {state.lock.polls - 1} min",
        )
    change = state.change
    if change is not None and change.refused:
        return "refused", change.refused
    if plan_.dry_run and change is not None:
        return "dry_run", "dry run: nothing changed"
    if change is not None and change.noop:
        return "unchanged", f"{plan_.version} already runs, Synced and Healthy"
    if state.approval_error:
        return "denied", "the approval request expired" if "Timeout" in str(
            state.approval_error.get("Error")
        ) else _error_text(state.approval_error)
    if state.approval is not None and state.approval.decision != "approved":
        by = f" by {state.approval.approver}" if state.approval.approver else ""
        return "denied", f"{state.approval.decision}{by}" + (
            f": {state.approval.reason}" if state.approval.reason else ""
        )
    failure = ""
    if state.watch is not None and state.watch.verdict == "failed":
        failure = state.watch.reason
    if state.revert is not None or state.revert_error is not None:
        failure = failure or _error_text(state.error)
        back = state.revert.watch if state.revert else None
        if state.revert_error is None and back is not None and back.verdict == "stable":
            return "rolled_back", f"{failure}; rolled back to {state.revert.to_version if state.revert else '?'}"
        problem = _error_text(state.revert_error) or (back.reason if back else "no rollback")
        return "rollback_failed", f"{failure}; the rollback failed: {problem}"
    if state.error is not None:
        return "error", _error_text(state.error)
    if state.watch is not None and state.watch.verdict == "stable":
        return "succeeded", state.watch.reason
    return "error", "the execution ended before the application was watched"


GITHUB_STATE = {"succeeded": "success", "rolled_back": "failure", "rollback_failed": "failure", "error": "error"}
STAGE = {
    "succeeded": "succeeded",
    "unchanged": "unchanged",
    "rolled_back": "rolled_back",
    "rollback_failed": "rollback_failed",
    "refused": "refused",
    "denied": "denied",
    "error": "error",
}


def _report_status(
    state: Deploy, execution_id: str, deps: Deps, result: str, reason: str, *, ctx: ChangeContext
) -> str | None:
    """Exactly one terminal status on the deployment (a retried Finish finds it and posts none), and
    on success the environment's earlier successful deployments marked inactive."""
    target, deployment = state.target, state.deployment
    if deployment is None or result not in GITHUB_STATE:
        return None
    github: GitHub = deps.need("github")
    wanted = GITHUB_STATE[result]
    statuses = github.list_deployment_statuses(target.repo, deployment.id)
    done = next((s.state for s in statuses if s.state in TERMINAL), None)
    if done is None:
        ctx.change(
            "github",
            "create deployment status",
            f"{target.repo} deployment {deployment.id}",
            partial(
                github.create_deployment_status,
                target.repo,
                deployment.id,
                wanted,  # type: ignore[arg-type]
                environment_url=target.url if wanted == "success" else None,
                log_url=_log_url(execution_id, deps),
                description=reason[:140],
                auto_inactive=False,
            ),
            line=f"reported deployment {deployment.id} {wanted}",
            after=wanted,
        )
        done = wanted
    if done == "success":
        for other in github.list_deployments(target.repo, environment=target.environment)[:20]:
            if other.id == deployment.id:
                continue
            latest = next(iter(github.list_deployment_statuses(target.repo, other.id)), None)
            if latest is not None and latest.state == "success":
                ctx.change(
                    "github",
                    "create deployment status",
                    f"{target.repo} deployment {other.id}",
                    partial(
                        github.create_deployment_status,
                        target.repo,
                        other.id,
                        "inactive",
                        description=f"Replaced by {target.version} (deployment {deployment.id})"[:140],
                    ),
                    line=f"marked deployment {other.id} inactive",
                    before="success",
                    after="inactive",
                )
    return done


def _after_an_error(state: Deploy, execution_id: str, deps: Deps, reason: str) -> tuple[Deploy, str]:
    """A step that failed for good may have done part of its work: a deployment created before its
    in_progress status failed gets its terminal status all the same, and a manifest committed
    before the step gave up is said so (nothing synced it, but an auto-syncing Argo CD may)."""
    target = state.target
    change = state.change
    if deps.github is None or not target.commit or change is None:
        return state, reason
    github = deps.github
    if state.deployment is None:
        own = next(
            (
                d
                for d in github.list_deployments(target.repo, environment=target.environment, sha=target.commit)
                if isinstance(d.payload, dict) and d.payload.get("execution_id") == execution_id
            ),
            None,
        )
        if own is not None:
            found = GitHubDeployment(id=own.id, repo=target.repo, environment=target.environment)
            state = state.model_copy(update={"deployment": found})
    if state.gitops is None and change.manifest_changes and state.deployment is not None:
        try:
            _, _, tag = _read_manifest(github, target)
        except (ManifestMissing, VendorError):
            return state, reason
        if tag == target.version:
            reason += (
                f"; {target.manifest} says {target.version} now, which this deploy did not sync: revert it "
                f"(/platform deploy {target.service} {change.running_version} {target.environment} --rollback)"
            )
    return state, reason


def _page(state: Deploy, reason: str, deps: Deps, ctx: ChangeContext) -> str | None:
    target = state.target
    pagerduty = deps.pagerduty or (deps.pagerduty_provider() if deps.pagerduty_provider else None)
    if not target.production or pagerduty is None:
        return None
    key = f"platform-automation/deployment/{target.service}/{target.environment}"
    details = {
        "service": target.service,
        "environment": target.environment,
        "version": target.version,
        "argocd_app": target.argocd_app,
        "reason": reason,
        "pagerduty_service": target.pagerduty_service,
        "deployment": state.deployment.id if state.deployment else None,
    }
    paged = ctx.change(
        "pagerduty",
        "events.trigger",
        key,
        partial(
            pagerduty.trigger,
            key,
            f"{target.service} in {target.environment}: deploy of {target.version} failed and its rollback failed"[
                :1024
            ],
            target.argocd_app,
            "critical",
            custom_details=details,
        ),
        line=f"paged about {target.service} {target.environment}",
        after={"severity": "critical"},
    )
    return key if paged is not None else None


def finish(state: Deploy, execution_id: str, deps: Deps) -> dict[str, Any]:
    """Whatever happened: one terminal deployment status, the message's last update, a page when
    a production rollback failed, the promotion offered after a healthy deploy, the evidence, and
    the lock released."""
    result, reason = outcome(state)
    target = state.plan or Target(service=state.service, version=state.version, requested_by=state.requested_by or "")
    state = state.model_copy(update={"plan": target})
    ctx = changes(state, execution_id, deps)
    if result == "error" and not target.dry_run:
        state, reason = _after_an_error(state, execution_id, deps, reason)
    status = None if target.dry_run else _report_status(state, execution_id, deps, result, reason, ctx=ctx)
    paged = _page(state, reason, deps, ctx) if result == "rollback_failed" and not target.dry_run else None
    promoted: list[str] = []
    if result == "succeeded" and not target.dry_run and deps.publish is not None:
        for environment in target.promote_to:
            detail = {
                "service": target.service,
                "version": target.version,
                "environment": environment,
                "commit": target.commit,
                "trigger": "promotion",
                "requested_by": target.requested_by,
                "promoted_from": {
                    "environment": target.environment,
                    "execution_id": execution_id,
                    "deployment": state.deployment.id if state.deployment else None,
                },
            }
            ctx.change(
                "aws",
                "events:PutEvents",
                f"deployment.requested {target.service} {environment}",
                partial(deps.publish, "platform.requests", "deployment.requested", detail),
                line=f"offered {target.service} {target.version} to {environment}",
            )
            promoted.append(environment)
    released = False
    if state.lock is not None and state.lock.acquired:
        released = locks.release(deps.table, deps.ddb, lock_scope(target.service), target.environment, execution_id)
    event = reason
    if paged:
        event += " · paged on-call"
    if promoted:
        event += f" · promotion to {', '.join(promoted)} requested"
    if result != "dry_run" and deps.slack is not None and target.channel:
        _show(state, execution_id, deps, STAGE.get(result, "error"), event)
    change = state.change
    if deps.slack is not None and result in ("refused", "denied", "error", "dry_run"):
        text = f"Deploy of {target.title}: {result}: {reason}"
        if result == "dry_run" and change is not None:
            diff = "\n".join(change.diff) or "(the manifest holds the version already)"
            commits = "\n".join(f"`{c.sha[:7]}` {c.title}" for c in change.commits)
            text = f"Dry run of the deploy of {target.title}:\n```{diff}```\n{commits}\n" + "\n".join(change.summary)
        report.reply(state, deps.slack, text)
    evidence = {
        "execution_id": execution_id,
        "outcome": result,
        "reason": reason,
        "request": state.model_dump(include=set(DeployRequest.model_fields), mode="json"),
        "target": target.model_dump(mode="json"),
        "change": change.model_dump(mode="json") if change else None,
        "approval": state.approval.model_dump(mode="json") if state.approval else None,
        "deployment": state.deployment.model_dump(mode="json") if state.deployment else None,
        "gitops": state.gitops.model_dump(mode="json") if state.gitops else None,
        "watch": state.watch.model_dump(mode="json") if state.watch else None,
        "revert": state.revert.model_dump(mode="json") if state.revert else None,
        "github_status": status,
        "paged": paged,
        "promoted_to": promoted,
        "lock_released": released,
    }
    location = None
    if deps.s3 is not None and deps.bucket:
        location = ctx.keep_evidence(deps.s3, deps.bucket, "deployments", evidence, at=datetime.now(UTC), after=result)
    return {
        "outcome": result,
        "reason": reason,
        "service": target.service,
        "environment": target.environment,
        "version": target.version,
        "previous_version": change.running_version if change else None,
        "deployment": state.deployment.id if state.deployment else None,
        "github_status": status,
        "paged": paged,
        "promoted_to": promoted,
        "lock_released": released,
        "evidence": location,
        "diff": change.diff if change else [],
        "commits": [c.model_dump() for c in change.commits] if change else [],
        "would": change.would if change else [],
        "summary": [*(change.summary if change and target.dry_run else []), *ctx.summary],
        "failed": result in ("rolled_back", "rollback_failed", "error"),
    }


def machines() -> dict[str, str]:
    try:
        value = json.loads(os.environ.get(constants.STATE_MACHINES) or "{}")
    except json.JSONDecodeError:
        return {}
    return {str(k): str(v) for k, v in value.items()} if isinstance(value, dict) else {}
