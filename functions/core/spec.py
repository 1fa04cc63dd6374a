"""What a Lambda entry says; each package's manifest lists its own (functions/core/manifest.py)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from functions.core import constants

# The AWS resources a function may need; CDK turns each into a grant and an environment
# variable, the local engine into a moto resource and the same variable.
# "approvals" is the audit table again, read and written (approval requests live beside the trail),
# and so is "off_hours_state" (what the off-hours start restores, functions/compute/store.py).
Resource = Literal[
    "audit_table", "evidence_bucket", "approvals", "off_hours_state", "idempotency_table", "event_bus", "state_machines"
]
RESOURCE_ENV: dict[str, str] = {
    "audit_table": constants.AUDIT_TABLE,
    "approvals": constants.AUDIT_TABLE,
    "off_hours_state": constants.AUDIT_TABLE,
    "evidence_bucket": constants.EVIDENCE_BUCKET,
    "idempotency_table": constants.IDEMPOTENCY_TABLE,
    "event_bus": constants.EVENT_BUS,
    "state_machines": constants.STATE_MACHINES,
}


# What the Identity Center steps call: users, group memberships, permission-set assignments.
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
    aws_scope: Literal["dr_tables", "executions", "identity_center", "tagged_compute", ""] = ""
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
