"""What a Lambda entry says; each package's manifest lists its own (functions/core/manifest.py)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from functions.core import constants

# The AWS resources a function may need; CDK turns each into a grant and an environment
# variable, the local engine into a moto resource and the same variable.
# "audit_table" is the audit trail, append-only: its writers may only put new records (no read,
# update or delete; docs/security.md). Mutable records live apart, in the state table, read and
# written: "approvals" (approval requests, and the people workflows' ledger), "off_hours_state" (what
# the off-hours start restores, functions/compute/store.py) and "state_table" (any other).
Resource = Literal[
    "audit_table",
    "state_table",
    "evidence_bucket",
    "evidence_history",
    "approvals",
    "off_hours_state",
    "idempotency_table",
    "event_bus",
    "state_machines",
]
RESOURCE_ENV: dict[str, str] = {
    "audit_table": constants.AUDIT_TABLE,
    "state_table": constants.STATE_TABLE,
    "approvals": constants.STATE_TABLE,
    "off_hours_state": constants.STATE_TABLE,
    "evidence_bucket": constants.EVIDENCE_BUCKET,
    "evidence_history": constants.EVIDENCE_BUCKET,  # reading earlier evidence (the DR drill's trend)
    "idempotency_table": constants.IDEMPOTENCY_TABLE,
    "event_bus": constants.EVENT_BUS,
    "state_machines": constants.STATE_MACHINES,
}


# What the Identity Center steps call: users, group memberships, permission-set assignments.
# IDENTITY_CENTER_ACTIONS is all of it (the compensation, which undoes what onboarding created);
# onboarding's role only grants (IDENTITY_CENTER_GRANT) and offboarding's only revokes
# (IDENTITY_CENTER_REVOKE): tests/infra/test_least_privilege.py holds both.
IDENTITY_CENTER_ACTIONS = (
    "identitystore:GetUserId",
    "identitystore:DescribeUser",
    "identitystore:CreateUser",
    "identitystore:DeleteUser",
    "identitystore:GetGroupId",
    "identitystore:DescribeGroup",
    "identitystore:GetGroupMembershipId",
    "identitystore:CreateGroupMembership",
    "identitystore:DeleteGroupMembership",
    "identitystore:ListGroupMembershipsForMember",
    "sso:ListPermissionSets",
    "sso:DescribePermissionSet",
    "sso:CreateAccountAssignment",
    "sso:DeleteAccountAssignment",
    "sso:ListAccountAssignmentsForPrincipal",
    "sso:DescribeAccountAssignmentCreationStatus",
    "sso:DescribeAccountAssignmentDeletionStatus",
)


IDENTITY_CENTER_READ = tuple(
    a for a in IDENTITY_CENTER_ACTIONS if a.split(":", 1)[1].startswith(("Get", "Describe", "List"))
)
IDENTITY_CENTER_GRANT = (
    *IDENTITY_CENTER_READ,
    "identitystore:CreateUser",
    "identitystore:CreateGroupMembership",
    "sso:CreateAccountAssignment",
)
IDENTITY_CENTER_REVOKE = (
    *IDENTITY_CENTER_READ,
    "identitystore:DeleteGroupMembership",
    "sso:DeleteAccountAssignment",
)


@dataclass(frozen=True)
class LambdaSpec:
    name: str  # PascalCase, unique; the CDK construct id and the `${<name>Arn}` substitution key
    handler: str  # dotted path "package.module.function", relative to the code asset root
    description: str
    memory_mb: int = 256
    timeout_s: int = 30
    secrets: tuple[str, ...] = ()  # config attribute paths of Secrets Manager names, e.g. "slack.secret_name"
    resources: tuple[Resource, ...] = ()
    # IAM actions the handler calls on resources the stack does not own, and which ones: CDK
    # resolves the scope from the configuration (e.g. "dr_tables": the DR targets' tables, their
    # backups and the drill-* restore tables) and grants exactly that.
    aws_actions: tuple[str, ...] = ()
    # "tagged_compute": EC2 instances, RDS DB instances and Auto Scaling groups carrying the off_hours tags.
    # "dr_tables": the DR targets (sources) get only the reads and restores of infra.functions.DR_SOURCE_ACTIONS;
    # every other action (writes, deletes, tagging) lands on the drill-* copies only.
    # "dr_copies": only the drill-* copies (and the drill's own executions): where the DR drill deletes.
    # "credentials": the Secrets Manager secrets and IAM users of credentials.inventory.
    # "ecr_repositories": the ECR repositories of the configured services' images (services.*.image).
    aws_scope: Literal[
        "dr_tables",
        "dr_copies",
        "executions",
        "identity_center",
        "tagged_compute",
        "credentials",
        "ecr_repositories",
        "",
    ] = ""
    # IAM user actions (iam:...) on the people the platform manages: users whose identity.iam_email_tag
    # holds an organisation email, never a machine user of credentials.inventory (CI) nor one of
    # aws.protected_iam_users (break-glass). Never on "*".
    people_iam_actions: tuple[str, ...] = ()
    # Actions IAM cannot scope to a resource (e.g. dynamodb:ListBackups): granted on "*".
    unscoped_actions: tuple[str, ...] = ()
    # "POST /github/webhook": served by the HTTP API in AWS and by `platform-automation serve` locally.
    http_route: str = ""

    @property
    def substitution_key(self) -> str:
        return f"{self.name}Arn"

    @property
    def module(self) -> str:
        return self.handler.rsplit(".", 1)[0]

    @property
    def function(self) -> str:
        return self.handler.rsplit(".", 1)[1]
