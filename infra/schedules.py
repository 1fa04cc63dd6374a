"""EventBridge Scheduler schedules, in the configured cron and time zone."""

from __future__ import annotations

import json
from pathlib import Path

from aws_cdk import TimeZone
from aws_cdk import aws_scheduler as scheduler
from aws_cdk import aws_scheduler_targets as targets
from aws_cdk import aws_stepfunctions as sfn
from constructs import Construct

from functions.core.config import PlatformConfig

ROOT = Path(__file__).resolve().parent.parent
# Which workflow each schedule starts, and with which input (the same files the local engine runs).
SCHEDULED = {"dr_drill": ROOT / "events" / "scheduler" / "dr_drill.json"}


class Schedules(Construct):
    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        config: PlatformConfig,
        machines: dict[str, sfn.StateMachine],
    ) -> None:
        super().__init__(scope, construct_id)
        self.schedules: dict[str, scheduler.Schedule] = {}
        zone = TimeZone.of(config.schedules.timezone)
        for workflow, event_file in SCHEDULED.items():
            if workflow not in machines:
                continue
            expression = getattr(config.schedules, workflow)
            self.schedules[workflow] = scheduler.Schedule(
                self,
                f"{workflow.title().replace('_', '')}Schedule",
                description=f"Starts the {workflow} workflow",
                schedule=scheduler.ScheduleExpression.expression(expression, zone),
                target=targets.StepFunctionsStartExecution(
                    machines[workflow],
                    input=scheduler.ScheduleTargetInput.from_object(json.loads(event_file.read_text())),
                ),
            )
