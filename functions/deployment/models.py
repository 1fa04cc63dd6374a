"""The shapes passed between the deployment's states. Every Task gets the whole state (`$`) in its
envelope and reads the parts it needs as one `Deploy` model:

    $              the request (DeployRequest's fields)
    $.plan         Resolve: the target (service, environment, version, commit, settings) or a refusal
    $.lock         Lock: held, or who holds it and how long this one has waited
    $.change       Plan: running version, manifest diff, commits, approval ask, or a refusal / no-op
    $.approval     the approver's decision (RequestApproval)
    $.deployment   Start: the GitHub deployment
    $.gitops       UpdateManifest: the GitOps commit
    $.watch        Sync, then CheckHealth: the Argo CD application and the verdict
    $.revert       Rollback: the commit back, then $.revert.watch as above
    $.error, $.approval_error, $.revert_error   what a Catch caught
    $.result       Finish: the outcome
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from functions.core.lease import Holder


class _State(BaseModel):
    model_config = ConfigDict(extra="ignore")


class Origin(_State):
    """Where a request came from, to answer there (a Slack command's response_url)."""

    kind: str = ""
    user_id: str | None = None
    channel_id: str | None = None
    response_url: str | None = None


class DeployRequest(_State):
    service: str = ""
    version: str = ""
    environment: str | None = None  # default: the service's first environment
    commit: str | None = None  # known already (a workflow run's head sha)
    rollback: bool = False  # an older version than the running one is wanted
    dry_run: bool = False
    requested_by: str | None = None  # an email, "github:<login>" or a system
    trigger: str = "manual"  # workflow_run, registry_package, slack, promotion, manual
    options: list[str] = Field(default_factory=list)  # /platform deploy's [environment] [--rollback] [--dry-run]
    origin: Origin | None = None
    promoted_from: dict[str, Any] | None = None
    delivery_id: str | None = None


class Target(_State):
    """What Resolve found: everything the later steps need, so none reads the configuration again
    for a decision (a configuration deployed mid-execution changes nothing for it)."""

    refused: str | None = None
    service: str = ""
    environment: str = ""
    version: str = ""
    commit: str = ""
    commit_url: str = ""
    repo: str = ""
    image: str = ""
    gitops_repo: str = ""
    manifest: str = ""
    format: Literal["kustomize", "helm"] = "helm"
    key: str = "image.tag"
    argocd_app: str = ""
    url: str | None = None
    production: bool = False
    requires_approval: bool = False
    approvers: list[str] = Field(default_factory=list)
    approvers_from: str = ""
    approval_timeout_s: int = 14_400
    poll_s: int = 15
    stability_window_s: int = 120
    stability_poll_s: int = 30
    health_timeout_s: int = 900
    lock_ttl_s: int = 7200
    lock_poll_s: int = 60
    lock_max_polls: int = 30
    channel: str = ""
    team: str = ""
    pagerduty_service: str | None = None
    promote_to: list[str] = Field(default_factory=list)
    requested_by: str = ""
    trigger: str = "manual"
    rollback: bool = False
    dry_run: bool = False
    origin: Origin | None = None
    promoted_from: dict[str, Any] | None = None

    @property
    def title(self) -> str:
        return f"{self.service} {self.version} to {self.environment}"


class Lock(_State):
    acquired: bool = False
    holder: Holder | None = None
    polls: int = 0
    gave_up: bool = False
    expires_at: int = 0
    taken_over: str | None = None  # an earlier holder that no longer runs


class CommitLine(_State):
    sha: str
    title: str
    author: str | None = None


class ApprovalAsk(_State):
    summary: str
    plan: list[str]
    requester: str
    approvers: list[str]
    approvers_from: str  # the configuration path they come from, read again when someone decides
    timeout_s: int


class Change(_State):
    refused: str | None = None
    noop: bool = False  # already at the version and Healthy: nothing to deploy
    running_version: str | None = None
    running_commit: str | None = None
    direction: str = "unknown"  # ahead, behind, identical, diverged, unknown
    commits: list[CommitLine] = Field(default_factory=list)
    commit_count: int = 0
    compare_url: str | None = None
    diff: list[str] = Field(default_factory=list)
    manifest_changes: bool = True  # False: the manifest holds the version already (sync only)
    approval: ApprovalAsk | None = None
    would: list[dict[str, str]] = Field(default_factory=list)
    summary: list[str] = Field(default_factory=list)


class Decision(_State):
    decision: str = ""
    approver: str = ""
    reason: str = ""


class GitHubDeployment(_State):
    id: int
    repo: str
    environment: str
    url: str = ""


class ManifestCommit(_State):
    commit: str  # the GitOps repo's commit that holds the version (ours, or the head when unchanged)
    changed: bool
    tag_before: str | None = None
    attempts: int = 1


Verdict = Literal["waiting", "stable", "failed"]


class Watch(_State):
    """One look at the Argo CD application after a sync, and what it means."""

    phase: Literal["deploy", "rollback"] = "deploy"
    target_revision: str
    verdict: Verdict = "waiting"
    wait_s: int = 15
    elapsed_s: int = 0
    polls: int = 0
    healthy_since_s: int | None = None  # elapsed_s when it was first seen Healthy at the revision
    health_since: str | None = None  # Argo CD's lastTransitionTime then: a flap in between changes it
    health: str = ""
    sync: str = ""
    operation_phase: str | None = None
    reason: str = ""
    already_running: bool = False  # Argo CD (auto-sync) had started the sync itself
    shown: str = ""  # what the Slack message last said about it


class RollbackState(_State):
    to_version: str | None = None
    commit: str | None = None
    changed: bool = False
    watch: Watch | None = None


class Deploy(DeployRequest):
    """The whole state, as every step reads it."""

    plan: Target | None = None
    lock: Lock | None = None
    change: Change | None = None
    approval: Decision | None = None
    deployment: GitHubDeployment | None = None
    gitops: ManifestCommit | None = None
    watch: Watch | None = None
    revert: RollbackState | None = None
    error: dict[str, Any] | None = None
    approval_error: dict[str, Any] | None = None
    revert_error: dict[str, Any] | None = None

    @property
    def target(self) -> Target:
        if self.plan is None:
            raise ValueError("the state has no plan: Resolve did not run")
        return self.plan
