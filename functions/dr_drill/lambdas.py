"""The DR drill's Lambdas (the catalog, functions/catalog.py, lists every workflow's)."""

from __future__ import annotations

from functions.core.spec import LambdaSpec

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
