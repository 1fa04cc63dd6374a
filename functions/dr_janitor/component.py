"""The DR drill's janitor: a Lambda on its own schedule (`schedules.dr_janitor`), not a state of
the drill: it deletes `drill-*` tables, DB instances and clusters older than `dr.janitor_min_age_minutes`
that no running drill owns, so a drill that died (aborted, timed out, its cleanup failed) cannot
leave a database running. A shared package of its own (the drill `shares` it: it names the copies
the janitor recognises), built in the core stack beside the bus its schedule feeds, when the drill
is deployed."""

from __future__ import annotations

from functions.core.manifest import SCHEDULE, Component, Route, Schedule, ended_badly_pattern
from functions.core.spec import LambdaSpec

LAMBDAS: tuple[LambdaSpec, ...] = (
    LambdaSpec(
        name="DrJanitor",
        handler="functions.dr_janitor.handlers.janitor_sweep",
        description="Deletes drill-* tables, instances and clusters older than the janitor's age no running drill owns",
        timeout_s=120,
        aws_actions=(
            "dynamodb:DeleteTable",
            "dynamodb:DescribeTable",
            "rds:DeleteDBInstance",
            "rds:DeleteDBCluster",
            "states:ListExecutions",
        ),
        unscoped_actions=("dynamodb:ListTables", "rds:DescribeDBInstances", "rds:DescribeDBClusters"),
        aws_scope="dr_copies",
        resources=("audit_table", "state_machines"),
    ),
)

COMPONENT = Component(
    name="dr_janitor",
    lambdas=LAMBDAS,
    routes=(
        Route(
            "DrJanitorScheduled",
            "The janitor deletes drill-* copies that no running drill owns",
            {"source": [SCHEDULE], "detail-type": ["schedule.dr_janitor"]},
            function="DrJanitor",
        ),
        Route(
            "DrJanitorDrillEnded",
            "A drill aborted, timed out or failed: the janitor deletes its copies now, not at its next run",
            ended_badly_pattern("dr_drill"),
            function="DrJanitor",
        ),
    ),
    schedules=(Schedule("dr_janitor", event="scheduler/dr_janitor.json"),),
)
