"""The whole platform in one stack: storage, functions, workflows, schedules, alarms."""

from __future__ import annotations

from typing import Any

from aws_cdk import CfnOutput, Duration, Stack, Tags
from aws_cdk import aws_events as events
from aws_cdk import aws_sns as sns
from constructs import Construct

from functions.core.config import PlatformConfig
from infra.functions import Functions
from infra.ingress import Ingress
from infra.nag import suppress
from infra.schedules import Schedules
from infra.storage import Storage
from infra.workflows import Workflows


class PlatformStack(Stack):
    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        config: PlatformConfig,
        code_dir: str,
        layer_dir: str,
        **kwargs: Any,
    ) -> None:
        super().__init__(scope, construct_id, **kwargs)
        Tags.of(self).add("project", "platform-automation")
        self.alarm_topic = sns.Topic(self, "AlarmTopic", display_name="platform-automation alarms", enforce_ssl=True)
        self.storage = Storage(self, "Storage")
        self.bus = events.EventBus(self, "Bus", description="platform-automation: normalized events and requests")
        self.bus.archive(
            "Archive",
            description="Every event on the platform bus, for replay",
            event_pattern=events.EventPattern(account=[self.account]),
            retention=Duration.days(90),
        )
        self.functions = Functions(
            self,
            "Functions",
            config=config,
            storage=self.storage,
            bus=self.bus,
            code_dir=code_dir,
            layer_dir=layer_dir,
        )
        self.workflows = Workflows(self, "Workflows", functions=self.functions.by_name, alarm_topic=self.alarm_topic)
        self.functions.add_state_machines(self.workflows.machines)
        self.schedules = Schedules(self, "Schedules", config=config, bus=self.bus)
        self.ingress = Ingress(
            self,
            "Ingress",
            bus=self.bus,
            functions=self.functions.by_name,
            machines=self.workflows.machines,
            alarm_topic=self.alarm_topic,
        )
        CfnOutput(self, "ApiUrl", value=self.ingress.stage.url, description="Base URL of the webhook routes")
        CfnOutput(self, "EventBusName", value=self.bus.event_bus_name)
        for workflow, machine in self.workflows.machines.items():
            CfnOutput(self, f"{workflow.replace('_', '')}StateMachine", value=machine.state_machine_arn)
        CfnOutput(self, "AuditTableName", value=self.storage.audit_table.table_name)
        CfnOutput(self, "EvidenceBucketName", value=self.storage.evidence_bucket.bucket_name)
        suppress(self)
