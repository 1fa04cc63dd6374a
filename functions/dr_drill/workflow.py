"""The DR drill: quarterly (or `/platform drill`), each DR target is really restored into a drill-*
copy (point-in-time recovery to the latest restorable time, or the newest backup or snapshot),
polled until usable, verified, timed against its tier's RTO and RPO, deleted on every path, and
reported (evidence JSON and HTML, Slack, PagerDuty for a failed critical target, the trend against
the previous drill). Its janitor (functions/dr_janitor/, own schedule) deletes drill-* copies no running drill owns."""

from __future__ import annotations

from functions.core.manifest import NAME, REQUESTS, SCHEDULE, Route, Schedule, SlackCommand, Workflow
from functions.core.spec import LambdaSpec

# Reading RDS metadata (instances, snapshots, automated backups) is not resource-scoped usefully:
# the restore's source, its snapshots and its copy are all read, in the DR region too.
RDS_READ = (
    "rds:DescribeDBInstances",
    "rds:DescribeDBSnapshots",
    "rds:DescribeDBInstanceAutomatedBackups",
    "rds:DescribeDBClusters",
)

LAMBDAS: tuple[LambdaSpec, ...] = (
    LambdaSpec(
        name="DrDrillPlan",
        handler="functions.dr_drill.handlers.plan",
        description="Finds each DR target's recovery point (PITR or newest backup) and its RPO achieved",
        aws_actions=("dynamodb:DescribeContinuousBackups", "dynamodb:DescribeBackup", "dynamodb:DescribeTable"),
        # AWS Backup copies of an RDS target in the DR region (no resource-level permissions)
        unscoped_actions=("dynamodb:ListBackups", *RDS_READ, "backup:ListRecoveryPointsByResource"),
        aws_scope="dr_tables",
        secrets=("github.secret_name",),  # the runbooks' last commits
    ),
    LambdaSpec(
        name="DrDrillStartRestore",
        handler="functions.dr_drill.handlers.start_restore",
        description="Restores a recovery point into a new drill-* copy (idempotent)",
        aws_actions=(
            "dynamodb:RestoreTableToPointInTime",
            "dynamodb:RestoreTableFromBackup",
            "dynamodb:DescribeTable",
            # a restore writes the copy's items, and IAM checks these on the target table
            "dynamodb:PutItem",
            "dynamodb:UpdateItem",
            "dynamodb:DeleteItem",
            "dynamodb:GetItem",
            "dynamodb:Query",
            "dynamodb:Scan",
            "dynamodb:BatchWriteItem",
            "rds:RestoreDBInstanceToPointInTime",
            "rds:RestoreDBInstanceFromDBSnapshot",
            "rds:RestoreDBClusterToPointInTime",
            "rds:CreateDBInstance",  # the restored Aurora cluster's one instance
            "rds:AddTagsToResource",
        ),
        unscoped_actions=("rds:DescribeDBInstances", "rds:DescribeDBClusters"),
        aws_scope="dr_tables",
        resources=("audit_table",),
    ),
    LambdaSpec(
        name="DrDrillCheckRestore",
        handler="functions.dr_drill.handlers.check_restore",
        description="Reports whether a drill copy is usable yet, and how long to wait before the next look",
        aws_actions=("dynamodb:DescribeTable",),
        unscoped_actions=("rds:DescribeDBInstances", "rds:DescribeDBClusters"),
        aws_scope="dr_copies",
    ),
    LambdaSpec(
        name="DrDrillVerify",
        handler="functions.dr_drill.handlers.verify",
        description="Counts and samples a restored table, or compares a restored instance with its source",
        timeout_s=300,
        memory_mb=512,
        aws_actions=(
            "dynamodb:DescribeTable",
            "dynamodb:Scan",
            "dynamodb:GetItem",
            # the SQL check: on the drill-* copy only, with the configured secret (infra/functions.py)
            "rds:EnableHttpEndpoint",
            "rds-data:ExecuteStatement",
        ),
        unscoped_actions=("rds:DescribeDBInstances", "rds:DescribeDBClusters"),
        aws_scope="dr_tables",
    ),
    LambdaSpec(
        name="DrDrillCleanup",
        handler="functions.dr_drill.handlers.cleanup",
        description="Deletes a drill copy (only drill-* tables, instances and clusters)",
        aws_actions=("dynamodb:DeleteTable", "dynamodb:DescribeTable", "rds:DeleteDBInstance", "rds:DeleteDBCluster"),
        unscoped_actions=("rds:DescribeDBInstances", "rds:DescribeDBClusters"),
        aws_scope="dr_copies",
        resources=("audit_table",),
    ),
    LambdaSpec(
        name="DrDrillReport",
        handler="functions.dr_drill.handlers.report",
        description="Measures RTO/RPO per target and tier, compares with the previous drill, stores the evidence",
        resources=("audit_table", "evidence_bucket", "evidence_history"),
    ),
    LambdaSpec(
        name="DrDrillNotify",
        handler="functions.dr_drill.handlers.notify",
        description="Posts the drill's summary to Slack and pages when a critical-tier target failed",
        secrets=("slack.secret_name", "pagerduty.secret_name"),
        resources=("audit_table",),
    ),
)

WORKFLOW = Workflow(
    name="dr_drill",
    description="Restore each DR target (PITR or backup), verify it, measure RTO/RPO per tier, clean up, report",
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
    shares=("dr_janitor",),  # the copies' names (dr_janitor/naming.py)
    samples=("scheduler/dr_drill.json",),
    config_section="dr",
)
