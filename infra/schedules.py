"""EventBridge Scheduler schedules, in the configured cron and time zone.

Every schedule a manifest declares puts one event on the platform bus (source `platform.schedule`,
detail-type `schedule.<name>`); the routes decide what it starts, so a schedule can be replayed
from the bus archive and runs the same way locally.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from aws_cdk import TimeZone
from aws_cdk import aws_events as events
from aws_cdk import aws_scheduler as scheduler
from aws_cdk import aws_scheduler_targets as targets
from constructs import Construct

from functions.core.config import PlatformConfig
from functions.core.manifest import SCHEDULE
from functions.core.manifest import Schedule as Declared

ROOT = Path(__file__).resolve().parent.parent


def schedule_detail(schedule: Declared) -> dict[str, Any]:
    """The detail it sends: its sample file under events/ (a workflow reads its input from it)."""
    detail: dict[str, Any] = json.loads((ROOT / "events" / schedule.event).read_text()) if schedule.event else {}
    return detail


class Schedules(Construct):
    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        config: PlatformConfig,
        bus: events.IEventBus,
        declared: tuple[Declared, ...],
    ) -> None:
        super().__init__(scope, construct_id)
        self.schedules: dict[str, scheduler.Schedule] = {}
        zone = TimeZone.of(config.schedules.timezone)
        for declared_schedule in declared:
            name = declared_schedule.name
            expression = getattr(config.schedules, name)
            self.schedules[name] = scheduler.Schedule(
                self,
                f"{name.title().replace('_', '')}Schedule",
                description=f"Puts schedule.{name} on the platform bus",
                schedule=scheduler.ScheduleExpression.expression(expression, zone),
                target=targets.EventBridgePutEvents(
                    targets.EventBridgePutEventsEntry(
                        event_bus=bus,
                        source=SCHEDULE,
                        detail_type=f"schedule.{name}",
                        detail=scheduler.ScheduleTargetInput.from_object(schedule_detail(declared_schedule)),
                    )
                ),
            )
