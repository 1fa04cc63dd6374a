"""Deployment: a new image of a service -> resolve the version (the image exists, its commit) -> one
deploy per service and environment (a lock with a lease) -> the manifest diff and the commits
since the running version, approved where the environment asks -> a GitHub deployment, in_progress
-> the image tag committed to the GitOps repo (a concurrent commit is re-read, never overwritten)
-> an Argo CD sync at that commit -> Synced and Healthy, and still Healthy after a stability
window (Wait states) -> on failure the previous tag committed back, synced and watched -> exactly
one terminal deployment status, the previous one inactive, one Slack message updated in place,
the next environment offered. Started by the service's build (workflow_run), its published image
(registry_package), `/platform deploy`, or a promotion."""

from __future__ import annotations

import re

from functions.core.manifest import GITHUB, NAME, REQUESTS, Route, SlackCommand, Workflow
from functions.core.spec import LambdaSpec

TAG = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9._-]{0,127}$")
OPTION = re.compile(r"^(--rollback|--dry-run|[a-z0-9][a-z0-9-]{0,62})$")
_SLACK = ("slack.secret_name",)

LAMBDAS: tuple[LambdaSpec, ...] = (
    LambdaSpec(
        name="DeploymentTrigger",
        handler="functions.deployment.handlers.from_github",
        description="Turns a service's finished build or published image into deployment.requested",
        timeout_s=10,
        resources=("event_bus",),
    ),
    LambdaSpec(
        name="DeploymentResolve",
        handler="functions.deployment.handlers.resolve",
        description="Checks the service, environment and version: the image tag exists, and its commit",
        secrets=("github.secret_name",),
        # DescribeImages on the services' ECR repositories (another account's repository policy allows it).
        aws_actions=("ecr:DescribeImages",),
        aws_scope="ecr_repositories",
    ),
    LambdaSpec(
        name="DeploymentLock",
        handler="functions.deployment.handlers.take_lock",
        description="One deploy per service and environment: takes the lock, or says who holds it",
        secrets=_SLACK,
        resources=("state_table", "audit_table", "state_machines"),
        aws_actions=("states:DescribeExecution",),
        aws_scope="executions",
    ),
    LambdaSpec(
        name="DeploymentPlan",
        handler="functions.deployment.handlers.plan",
        description="The running version, the manifest diff and the commits in between; refuses a downgrade",
        secrets=("github.secret_name", "argocd.secret_name", *_SLACK),
        resources=("audit_table", "state_table"),
    ),
    LambdaSpec(
        name="DeploymentStart",
        handler="functions.deployment.handlers.start",
        description="Creates the GitHub deployment of the version's commit, in_progress",
        secrets=("github.secret_name", *_SLACK),
        resources=("audit_table", "state_table", "state_machines"),
    ),
    LambdaSpec(
        name="DeploymentUpdateManifest",
        handler="functions.deployment.handlers.update_manifest",
        description="Commits the image tag to the GitOps repo (re-reads on a concurrent commit)",
        secrets=("github.secret_name", *_SLACK),
        resources=("audit_table", "state_table"),
    ),
    LambdaSpec(
        name="DeploymentSync",
        handler="functions.deployment.handlers.sync",
        description="Starts the Argo CD sync of the application at the new commit",
        secrets=("argocd.secret_name", *_SLACK),
        resources=("audit_table", "state_table"),
    ),
    LambdaSpec(
        name="DeploymentCheckHealth",
        handler="functions.deployment.handlers.check_health",
        description="One look at the Argo CD application: waiting, stable (Healthy for the window) or failed",
        secrets=("argocd.secret_name", *_SLACK),
        resources=("audit_table", "state_table"),
    ),
    LambdaSpec(
        name="DeploymentRollback",
        handler="functions.deployment.handlers.roll_back",
        description="Commits the previous image tag back to the GitOps repo and syncs it",
        secrets=("github.secret_name", "argocd.secret_name", *_SLACK),
        resources=("audit_table", "state_table"),
    ),
    LambdaSpec(
        name="DeploymentFinish",
        handler="functions.deployment.handlers.finish",
        description="One terminal deployment status, the last message update, paging, promotion, evidence, unlock",
        timeout_s=60,
        secrets=("github.secret_name", "pagerduty.secret_name", *_SLACK),
        resources=("audit_table", "state_table", "evidence_bucket", "event_bus", "state_machines"),
    ),
)

WORKFLOW = Workflow(
    name="deployment",
    description="Deploy a service's image through GitOps and Argo CD, watch it, roll back in Git",
    lambdas=LAMBDAS,
    uses=("RequestApproval",),
    routes=(
        Route(
            "DeploymentBuildFinished",
            "A workflow run finished successfully: a service's build deploys to its first environment",
            {
                "source": [GITHUB],
                "detail-type": ["workflow_run.completed"],
                "detail": {"workflow_run": {"conclusion": ["success"]}},
            },
            function="DeploymentTrigger",
        ),
        Route(
            "DeploymentImagePublished",
            "A container image was published to GitHub Packages: a service's tag deploys",
            {"source": [GITHUB], "detail-type": ["registry_package.published"]},
            function="DeploymentTrigger",
        ),
        Route(
            "DeploymentRequested",
            "A build, a published image, /platform deploy or a promotion asks for a deploy",
            {"source": [REQUESTS], "detail-type": ["deployment.requested"]},
            workflow="deployment",
        ),
    ),
    command=SlackCommand(
        name="deploy",
        usage="/platform deploy <service> <version> [environment] [--rollback] [--dry-run]",
        summary="deploy a version of a service (to its first environment unless named)",
        positional=(("service", NAME), ("version", TAG)),
        rest=("options", OPTION),
    ),
    approval=True,
    samples=(
        "github/workflow_run_completed.json",
        "github/registry_package_published.json",
        "slack/deploy_command.json",
    ),
    intake="github_delivery",
    config_section="services",
)
