"""The DR drill: on a schedule (or `/platform drill`), the newest backup of each DR target is
really restored into a drill-* table, verified, timed against its RTO/RPO, deleted and reported."""

from __future__ import annotations

from functions.core.manifest import NAME, REQUESTS, SCHEDULE, Route, Schedule, SlackCommand, Workflow
from functions.core.spec import LambdaSpec

LAMBDAS: tuple[LambdaSpec, ...] = (
    LambdaSpec(
        name="DrDrillPlan",
        handler="functions.dr_drill.handlers.plan",
        description="Finds the newest backup of each DR target and plans its restore",
        aws_actions=("dynamodb:DescribeBackup",),
        unscoped_actions=("dynamodb:ListBackups",),
        aws_scope="dr_tables",
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
    ),
    LambdaSpec(
        name="DrDrillCheckRestore",
        handler="functions.dr_drill.handlers.check_restore",
        description="Reports whether a drill table has finished restoring",
        aws_actions=("dynamodb:DescribeTable",),
        aws_scope="dr_tables",
    ),
    LambdaSpec(
        name="DrDrillVerify",
        handler="functions.dr_drill.handlers.verify",
        description="Counts and samples the restored items against the backup",
        timeout_s=300,
        memory_mb=512,
        aws_actions=("dynamodb:DescribeTable", "dynamodb:Scan"),
        aws_scope="dr_tables",
    ),
    LambdaSpec(
        name="DrDrillCleanup",
        handler="functions.dr_drill.handlers.cleanup",
        description="Deletes a drill table (only tables named drill-*)",
        aws_actions=("dynamodb:DeleteTable", "dynamodb:DescribeTable"),
        aws_scope="dr_tables",
        resources=("audit_table",),
    ),
    LambdaSpec(
        name="DrDrillReport",
        handler="functions.dr_drill.handlers.report",
        description="Times each restore against its RTO/RPO and stores the evidence",
        resources=("audit_table", "evidence_bucket"),
    ),
)

WORKFLOW = Workflow(
    name="dr_drill",
    description="Restore the newest backups, verify them, time them against RTO/RPO, clean up, report",
    lambdas=LAMBDAS,
    routes=(
        Route(
            "DrDrillScheduled",
            "The DR drill schedule starts a drill of every target",
            {"source": [SCHEDULE], "detail-type": ["schedule.dr_drill"]},
            workflow="dr_drill",
        ),
        Route(
            "DrDrillRequested",
            "A person asked for a drill (/platform drill)",
            {"source": [REQUESTS], "detail-type": ["dr_drill.requested"]},
            workflow="dr_drill",
        ),
    ),
    schedules=(Schedule("dr_drill", event="scheduler/dr_drill.json"),),
    command=SlackCommand(
        name="drill",
        usage="/platform drill [target ...]",
        summary="run a disaster-recovery drill (all targets, or the ones named)",
        rest=("targets", NAME),
    ),
    samples=("scheduler/dr_drill.json",),
    config_section="dr",
)
