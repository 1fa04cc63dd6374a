"""Infra tests synthesize with the pinned Node 22 from node_modules, as `make synth` does."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest

_NODE = Path(__file__).resolve().parents[2] / "node_modules" / ".bin" / "node"
if _NODE.exists():
    os.environ.setdefault("JSII_NODE", str(_NODE))
os.environ.setdefault("JSII_SILENCE_WARNING_UNTESTED_NODE_VERSION", "1")


def synthesize(config: str | Path = "platform.example.yaml") -> Any:
    """The whole app for `config`, synthesized (cdk-nag's aspect has run): a cdk_app.Platform."""
    import aws_cdk as cdk

    from cdk_app import build

    app = cdk.App(context={"config": str(config)})
    platform = build(app)
    app.synth()
    return platform


def write_config(directory: Path, **changes: Any) -> Path:
    """platform.example.yaml with top-level sections replaced or added."""
    import yaml

    root = Path(__file__).resolve().parents[2]
    data = yaml.safe_load((root / "platform.example.yaml").read_text(encoding="utf-8"))
    data.update(changes)
    path = directory / "platform.yaml"
    path.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
    return path


# One synthesis of the example configuration per test session (it takes a minute and a half):
# tests/infra/test_stack.py and test_least_privilege.py share it.
@pytest.fixture(scope="session")
def platform() -> Any:
    return synthesize()


@pytest.fixture(scope="session")
def templates(platform: Any) -> dict[str, Any]:
    """Every stack in the platform's region: the core and the workflow stacks, by stack name."""
    from aws_cdk.assertions import Template

    stacks = [platform.core, *platform.workflows.values()]
    return {stack.stack_name: Template.from_stack(stack) for stack in stacks}
