#!/usr/bin/env python3
"""CDK entry point: validate the configuration, stage the Lambda code, build the stacks, run cdk-nag.

Stacks (infra/stack.py): `<name>` (the core: bus, storage, ingress, shared Lambdas), one
`<name><Workflow>` per workflow in the configuration's `workflows:`, and `<name>Billing` in
us-east-1 (infra/billing.py).

Context: `-c config=FILE` (default platform.example.yaml), `-c stack_name=NAME`.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass, field

import aws_cdk as cdk
from cdk_nag import AwsSolutionsChecks

from functions.core import registry
from functions.core.config import ConfigError, load_config
from functions.ingress.routes import ALARM_FUNCTION
from infra.billing import BILLING_REGION, BillingAlarmsStack, BillingAlarmSubscription, topic_name
from infra.packaging import PackagingError, layer_dir, stage_code
from infra.stack import CoreStack, WorkflowStack, workflow_stack_name


@dataclass
class Platform:
    core: CoreStack
    billing: BillingAlarmsStack
    workflows: dict[str, WorkflowStack] = field(default_factory=dict)

    @property
    def stacks(self) -> list[cdk.Stack]:
        return [self.core, *self.workflows.values(), self.billing]


def build(app: cdk.App) -> Platform:
    config_path = app.node.try_get_context("config") or "platform.example.yaml"
    config = load_config(config_path)
    name = app.node.try_get_context("stack_name") or "PlatformAutomation"
    env = cdk.Environment(region=config.aws.region)
    # AWS/Billing metrics exist only in us-east-1: the billing alarms live there (infra/billing.py).
    billing = BillingAlarmsStack(
        app,
        f"{name}Billing",
        config=config,
        platform_stack=name,
        env=cdk.Environment(region=BILLING_REGION),
        description="platform-automation: billing alarms at the configured cost tiers (AWS/Billing is us-east-1 only)",
    )
    core = CoreStack(
        app,
        name,
        config=config,
        code_dir=str(stage_code(config)),
        layer_dir=str(layer_dir()),
        env=env,
        description="platform-automation: event bus, storage, ingress and the Lambdas the workflows share",
    )
    core.add_stack_dependency(billing, reason="the alarm ingest subscribes to the billing alarms' topic")
    BillingAlarmSubscription(
        core, "BillingAlarmIngest", function=core.functions.by_name[ALARM_FUNCTION], topic=topic_name(name)
    )
    platform = Platform(core=core, billing=billing)
    for workflow in config.workflows:
        manifest = registry.workflow(workflow)
        stack_name = workflow_stack_name(name, workflow)
        if app.node.try_find_child(stack_name) is not None:
            raise ValueError(f"the {workflow} workflow's stack name {stack_name} is taken")
        stack = WorkflowStack(
            app,
            stack_name,
            core=core,
            workflow=manifest,
            env=env,
            description=f"platform-automation: the {workflow} workflow ({manifest.description})",
        )
        stack.add_stack_dependency(core, reason="the workflow runs on the core stack's bus, storage and Lambdas")
        platform.workflows[workflow] = stack
    cdk.Aspects.of(app).add(AwsSolutionsChecks(verbose=True))
    return platform


def main() -> None:
    app = cdk.App()
    try:
        build(app)
    except ConfigError as exc:
        sys.exit("invalid configuration:\n  " + "\n  ".join(exc.problems))
    except PackagingError as exc:
        sys.exit(str(exc))
    app.synth()


if __name__ == "__main__":
    main()
