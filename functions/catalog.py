"""Which Lambdas exist, written down once.

CDK builds one function per entry (handler, memory, timeout, environment, grants); the local
engine dispatches Task states to the same handlers in-process. State machine definitions refer to
a function as `${<Name>Arn}`, which both engines substitute.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

from functions.core import constants

# The AWS resources a function may need; CDK turns each into a grant and an environment
# variable, the local engine into a moto resource and the same variable.
Resource = Literal["audit_table", "evidence_bucket"]
RESOURCE_ENV: dict[str, str] = {
    "audit_table": constants.AUDIT_TABLE,
    "evidence_bucket": constants.EVIDENCE_BUCKET,
}


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
    aws_scope: Literal["dr_tables", ""] = ""
    # Actions IAM cannot scope to a resource (e.g. dynamodb:ListBackups): granted on "*".
    unscoped_actions: tuple[str, ...] = ()
    workflows: tuple[str, ...] = field(default=())

    @property
    def substitution_key(self) -> str:
        return f"{self.name}Arn"

    @property
    def module(self) -> str:
        return self.handler.rsplit(".", 1)[0]

    @property
    def function(self) -> str:
        return self.handler.rsplit(".", 1)[1]


LAMBDAS: tuple[LambdaSpec, ...] = (
    LambdaSpec(
        name="DrDrillPlan",
        handler="functions.dr_drill.handlers.plan",
        description="Finds the newest backup of each DR target and plans its restore",
        aws_actions=("dynamodb:DescribeBackup",),
        unscoped_actions=("dynamodb:ListBackups",),
        aws_scope="dr_tables",
        workflows=("dr_drill",),
    ),
    LambdaSpec(
        name="DrDrillStartRestore",
        handler="functions.dr_drill.handlers.start_restore",
        description="Restores a backup into a new drill table (idempotent)",
        aws_actions=(
            "dynamodb:RestoreTableFromBackup",
            "dynamodb:DescribeTable",
            "dynamodb:PutItem",
            "dynamodb:UpdateItem",
            "dynamodb:DeleteItem",
            "dynamodb:GetItem",
            "dynamodb:Query",
            "dynamodb:Scan",
            "dynamodb:BatchWriteItem",
        ),
        aws_scope="dr_tables",
        resources=("audit_table",),
        workflows=("dr_drill",),
    ),
    LambdaSpec(
        name="DrDrillCheckRestore",
        handler="functions.dr_drill.handlers.check_restore",
        description="Reports whether a drill table has finished restoring",
        aws_actions=("dynamodb:DescribeTable",),
        aws_scope="dr_tables",
        workflows=("dr_drill",),
    ),
    LambdaSpec(
        name="DrDrillVerify",
        handler="functions.dr_drill.handlers.verify",
        description="Counts and samples the restored items against the backup",
        timeout_s=300,
        memory_mb=512,
        aws_actions=("dynamodb:DescribeTable", "dynamodb:Scan"),
        aws_scope="dr_tables",
        workflows=("dr_drill",),
    ),
    LambdaSpec(
        name="DrDrillCleanup",
        handler="functions.dr_drill.handlers.cleanup",
        description="Deletes a drill table (only tables named drill-*)",
        aws_actions=("dynamodb:DeleteTable", "dynamodb:DescribeTable"),
        aws_scope="dr_tables",
        resources=("audit_table",),
        workflows=("dr_drill",),
    ),
    LambdaSpec(
        name="DrDrillReport",
        handler="functions.dr_drill.handlers.report",
        description="Times each restore against its RTO/RPO and stores the evidence",
        resources=("audit_table", "evidence_bucket"),
        workflows=("dr_drill",),
    ),
)

BY_NAME: dict[str, LambdaSpec] = {spec.name: spec for spec in LAMBDAS}


def for_workflow(workflow: str) -> tuple[LambdaSpec, ...]:
    return tuple(spec for spec in LAMBDAS if workflow in spec.workflows)
