#!/usr/bin/env python3
"""CDK entry point: validate the configuration, stage the Lambda code, build the stack, run cdk-nag.

Context: `-c config=FILE` (default platform.example.yaml), `-c stack_name=NAME`.
"""

from __future__ import annotations

import sys

import aws_cdk as cdk
from cdk_nag import AwsSolutionsChecks

from functions.core.config import ConfigError, load_config
from infra.packaging import PackagingError, layer_dir, stage_code
from infra.stack import PlatformStack


def build(app: cdk.App) -> PlatformStack:
    config_path = app.node.try_get_context("config") or "platform.example.yaml"
    config = load_config(config_path)
    stack = PlatformStack(
        app,
        app.node.try_get_context("stack_name") or "PlatformAutomation",
        config=config,
        code_dir=str(stage_code(config)),
        layer_dir=str(layer_dir()),
        env=cdk.Environment(region=config.aws.region),
        description="platform-automation: event-driven automation of the SaaS stack",
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
