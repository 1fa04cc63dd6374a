"""The platform's stacks, along the manifests (functions/*/workflow.py and component.py).

- The core stack (`<name>`, default `PlatformAutomation`): the event bus and its archive, the
  storage, the alarm topic, the routes' dead-letter queue, the HTTP API, and the Lambdas of the
  shared packages (ingress, approvals, compute, people) with the rules and schedules that reach
  them. A shared package that serves workflows (one names its Lambdas in `uses` or the package in
  `shares`) is built only when one of those workflows is deployed; one that serves none (ingress)
  always.
- One stack per deployed workflow (`<name><Workflow>`, e.g. `PlatformAutomationOnboarding`; the
  configuration's `workflows:` says which): its Lambdas, its state machine and alarms, the rules
  that start it (on the core bus, dead-lettering into the core queue) and its schedules.

References go one way only, core -> workflow stack (CDK exports): the core stack names every
deployed workflow's state machine itself (`state_machine_name`), so the command worker knows their
ARNs without referring to the stacks that create them.
"""

from __future__ import annotations

import json
from typing import Any

from aws_cdk import CfnOutput, CrossStackReferences, Duration, ReferenceStrength, Stack, Tags
from aws_cdk import aws_events as events
from aws_cdk import aws_sns as sns
from constructs import Construct

from functions.core import constants, registry
from functions.core.config import PlatformConfig
from functions.core.manifest import Component, Route, Workflow
from infra.dashboard import Dashboard
from infra.functions import Functions
from infra.ingress import Ingress, dead_letters_in, invoke_function, route_rule, start_machine
from infra.nag import suppress
from infra.schedules import Schedules
from infra.storage import Storage
from infra.workflows import WorkflowMachine, pascal


def workflow_stack_name(core: str, workflow: str) -> str:
    """`PlatformAutomation` + `cost_alarm` -> `PlatformAutomationCostAlarm`."""
    return f"{core}{pascal(workflow)}"


def state_machine_name(core: str, workflow: str) -> str:
    """`PlatformAutomation-cost_alarm`: fixed, so the core stack can format the ARN."""
    return f"{core}-{workflow}"


def shared_components(deployed: list[Workflow]) -> list[Component]:
    """The shared packages the core stack builds: those no workflow needs (the front door), and
    those a deployed workflow needs (it calls their Lambdas or imports the package)."""
    workflows = registry.workflows().values()

    def needed_by(workflow: Workflow, component: Component) -> bool:
        own = {spec.name for spec in component.lambdas}
        return bool(own & set(workflow.uses)) or component.name in workflow.shares

    return [
        manifest
        for manifest in registry.manifests()
        if not isinstance(manifest, Workflow)
        and (not any(needed_by(w, manifest) for w in workflows) or any(needed_by(w, manifest) for w in deployed))
    ]


class CoreStack(Stack):
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
        self.config = config
        self.code_dir, self.layer_dir = code_dir, layer_dir
        self.deployed = [registry.workflow(name) for name in config.workflows]
        # workflow -> its state machine's name, for the Lambdas that read the deployed machines.
        self.state_machines = {w.name: state_machine_name(self.stack_name, w.name) for w in self.deployed}
        components = shared_components(self.deployed)
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
            specs=[spec for component in components for spec in component.lambdas],
            config=config,
            storage=self.storage,
            bus=self.bus,
            code_dir=code_dir,
            layer_dir=layer_dir,
            state_machines=self.state_machines,
            # The ingress offers only these (the Slack help, functions/ingress/slack_commands.py).
            environment={constants.WORKFLOWS: json.dumps([w.name for w in self.deployed], separators=(",", ":"))},
        )
        routes = [
            route
            for manifest in (*components, *self.deployed)
            for route in manifest.routes
            if route.function in self.functions.by_name
        ]
        self.schedules = Schedules(
            self,
            "Schedules",
            config=config,
            bus=self.bus,
            declared=tuple(schedule for component in components for schedule in component.schedules),
        )
        self.ingress = Ingress(
            self,
            "Ingress",
            bus=self.bus,
            functions=self.functions,
            routes=routes,
            alarm_topic=self.alarm_topic,
        )
        self.dashboard = Dashboard(
            self,
            "Dashboard",
            name=f"{self.stack_name}-workflows",
            machines=self.functions.state_machine_arns("stateMachine"),
        )
        CfnOutput(self, "ApiUrl", value=self.ingress.stage.url, description="Base URL of the webhook routes")
        CfnOutput(self, "EventBusName", value=self.bus.event_bus_name)
        CfnOutput(self, "AuditTableName", value=self.storage.audit_table.table_name)
        CfnOutput(self, "EvidenceBucketName", value=self.storage.evidence_bucket.bucket_name)
        suppress(self)


class WorkflowStack(Stack):
    """One workflow, from its manifest, on the core stack's bus, storage, topic and shared Lambdas."""

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        core: CoreStack,
        workflow: Workflow,
        **kwargs: Any,
    ) -> None:
        super().__init__(scope, construct_id, **kwargs)
        # CloudFormation exports (Fn::ImportValue): the core stack cannot drop what this stack uses.
        CrossStackReferences.of(self).consume(ReferenceStrength.STRONG)
        Tags.of(self).add("project", "platform-automation")
        Tags.of(self).add("platform-automation:workflow", workflow.name)
        self.workflow = workflow
        self.functions = Functions(
            self,
            "Functions",
            specs=workflow.lambdas,
            config=core.config,
            storage=core.storage,
            bus=core.bus,
            code_dir=core.code_dir,
            layer_dir=core.layer_dir,
            state_machines=core.state_machines,
        )
        missing = [name for name in workflow.uses if name not in core.functions.by_name]
        if missing:
            raise ValueError(f"{workflow.name} uses {', '.join(missing)}, which the core stack does not build")
        callable_ = {**{name: core.functions.by_name[name] for name in workflow.uses}, **self.functions.by_name}
        self.machine = WorkflowMachine(
            self,
            "Workflow",
            workflow=workflow,
            functions=callable_,
            alarm_topic=core.alarm_topic,
            state_machine_name=core.state_machines[workflow.name],
            settings=core.config.step_functions,
        ).machine
        dead_letters = dead_letters_in(self, core.ingress.dead_letters)
        self.rules: dict[str, events.Rule] = {}
        for route in self._routes(core):
            self.rules[route.name] = rule = route_rule(self, core.bus, route)
            if route.workflow:
                start_machine(rule, self.machine, dead_letters)
            else:
                invoke_function(rule, self.functions.by_name[str(route.function)], dead_letters)
        self.schedules = Schedules(self, "Schedules", config=core.config, bus=core.bus, declared=workflow.schedules)
        CfnOutput(self, "StateMachineArn", value=self.machine.state_machine_arn)
        suppress(self)

    def _routes(self, core: CoreStack) -> list[Route]:
        """The routes built here: those that start this workflow (whichever manifest declares
        them), and this workflow's routes to its own Lambdas (the core stack builds those to its)."""
        built: list[Route] = []
        for manifest in registry.manifests():
            for route in manifest.routes:
                if route.workflow == self.workflow.name:
                    built.append(route)
                elif manifest.name != self.workflow.name or route.function in core.functions.by_name:
                    continue
                elif route.workflow is not None:
                    raise ValueError(f"route {route.name}: {manifest.name} may not start {route.workflow}")
                elif route.function in self.functions.by_name:
                    built.append(route)
                else:
                    raise ValueError(f"route {route.name}: no Lambda {route.function!r} in {manifest.name} or core")
        return built
