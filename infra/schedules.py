"""EventBridge Scheduler schedules, in the configured cron and time zone.

Every schedule puts one event on the platform bus (source `platform.schedule`, detail-type
`schedule.<name>`); the routes in functions/ingress/routes.py decide what it starts, so a
schedule can be replayed from the bus archive and runs the same way locally.
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
from functions.ingress.routes import SCHEDULE

ROOT = Path(__file__).resolve().parent.parent
# Each schedule's name in `schedules:` and the event detail it sends (the sample files in
# events/scheduler/ where a workflow reads its input from the detail).
SCHEDULED = ("dr_drill", "access_review", "off_hours_stop", "off_hours_start", "redelivery_sweep")
EVENT_FILES = {
    name: ROOT / "events" / "scheduler" / f"{name}.json" for name in ("dr_drill", "off_hours_stop", "off_hours_start")
}


def schedule_detail(name: str) -> dict[str, Any]:
    path = EVENT_FILES.get(name)
    detail: dict[str, Any] = json.loads(path.read_text()) if path else {}
    return detail


class Schedules(Construct):
    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        config: PlatformConfig,
        bus: events.IEventBus,
    ) -> None:
        super().__init__(scope, construct_id)
        self.schedules: dict[str, scheduler.Schedule] = {}
        zone = TimeZone.of(config.schedules.timezone)
        for name in SCHEDULED:
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
                        detail=scheduler.ScheduleTargetInput.from_object(schedule_detail(name)),
                    )
                ),
            )
