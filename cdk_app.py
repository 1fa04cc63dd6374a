#!/usr/bin/env python3
"""CDK entry point: validate the configuration, stage the Lambda code, build the stack, run cdk-nag.

Context: `-c config=FILE` (default platform.example.yaml), `-c stack_name=NAME`.
"""

from __future__ import annotations

import sys

import aws_cdk as cdk
from cdk_nag import AwsSolutionsChecks

from functions.core.config import ConfigError, load_config
from functions.ingress.routes import ALARM_FUNCTION
from infra.billing import BILLING_REGION, BillingAlarmsStack, BillingAlarmSubscription, topic_name
from infra.packaging import PackagingError, layer_dir, stage_code
from infra.stack import PlatformStack


def build(app: cdk.App) -> PlatformStack:
    config_path = app.node.try_get_context("config") or "platform.example.yaml"
    config = load_config(config_path)
    name = app.node.try_get_context("stack_name") or "PlatformAutomation"
    # AWS/Billing metrics exist only in us-east-1: the billing alarms live there (infra/billing.py).
    billing = BillingAlarmsStack(
        app,
        f"{name}Billing",
        config=config,
        platform_stack=name,
        env=cdk.Environment(region=BILLING_REGION),
        description="platform-automation: billing alarms at the configured cost tiers (AWS/Billing is us-east-1 only)",
    )
    stack = PlatformStack(
        app,
        name,
        config=config,
        code_dir=str(stage_code(config)),
        layer_dir=str(layer_dir()),
        env=cdk.Environment(region=config.aws.region),
        description="platform-automation: event-driven automation of the SaaS stack",
    )
    stack.add_stack_dependency(billing, reason="the alarm ingest subscribes to the billing alarms' topic")
    BillingAlarmSubscription(
        stack, "BillingAlarmIngest", function=stack.functions.by_name[ALARM_FUNCTION], topic=topic_name(name)
    )
    cdk.Aspects.of(app).add(AwsSolutionsChecks(verbose=True))
    return stack


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
