"""The meta-test over every package's manifest: what a manifest declares is real, and what a
definition, a route or a schedule names is declared."""

from __future__ import annotations

import importlib
import inspect
import json
import re
from pathlib import Path

import pytest
from moto.events.models import EventPattern

from functions.catalog import BY_NAME, LAMBDAS, RESOURCE_ENV
from functions.core import registry
from functions.core.config import Schedules
from functions.core.manifest import Workflow

ROOT = Path(__file__).resolve().parents[2]
WORKFLOWS = registry.workflows()
_ARN = re.compile(r"\$\{(\w+)Arn\}")


def definition(workflow: Workflow) -> dict:
    return json.loads((ROOT / workflow.definition).read_text())


def referenced(workflow: Workflow) -> set[str]:
    return set(_ARN.findall((ROOT / workflow.definition).read_text()))


def test_every_definition_file_has_a_manifest_and_every_manifest_a_definition() -> None:
    files = {p.name.removesuffix(".asl.json") for p in (ROOT / "state_machines").glob("*.asl.json")}
    assert files == set(WORKFLOWS)


@pytest.mark.parametrize("spec", LAMBDAS, ids=lambda s: s.name)
def test_every_handler_imports_and_takes_event_and_context(spec) -> None:
    handler = getattr(importlib.import_module(spec.module), spec.function)
    assert len(inspect.signature(handler).parameters) == 2
    assert 128 <= spec.memory_mb <= 10240
    assert 1 <= spec.timeout_s <= 900
    assert set(spec.resources) <= set(RESOURCE_ENV)
    assert not spec.aws_actions or spec.aws_scope, "actions on resources the stack does not own need a scope"
    assert spec.handler.startswith(f"functions.{registry.owners()[spec.name]}."), "a package declares its own"


def test_names_are_unique_and_pascal_case() -> None:
    assert len(BY_NAME) == len(LAMBDAS)
    assert all(re.fullmatch(r"[A-Z][A-Za-z0-9]+", spec.name) for spec in LAMBDAS)


@pytest.mark.parametrize("workflow", WORKFLOWS.values(), ids=lambda w: w.name)
def test_a_definition_references_exactly_what_its_manifest_declares(workflow: Workflow) -> None:
    names = referenced(workflow)
    # A workflow's own route targets (a filter in front of it, like the deployment's trigger) are
    # invoked by their rules, not by the definition.
    targets = {route.function for route in workflow.routes if route.function}
    assert names <= set(workflow.functions), f"undeclared: {names - set(workflow.functions)}"
    assert not names & targets, f"route targets referenced by the definition: {names & targets}"
    unused = set(workflow.functions) - names - targets
    assert not unused, f"declared, never referenced: {unused}"


@pytest.mark.parametrize("workflow", WORKFLOWS.values(), ids=lambda w: w.name)
def test_steps_are_the_definitions_change_steps_in_order(workflow: Workflow) -> None:
    states = definition(workflow)["States"]
    order: list[str] = []
    seen: set[str] = set()

    def walk(name: str) -> None:  # the definition's order: Next and Choice branches, depth first
        if name in seen or name not in states:
            return
        seen.add(name)
        state = states[name]
        target = str(state.get("ResultPath") or "")
        if target.startswith("$.steps."):
            order.append(target.removeprefix("$.steps."))
        for choice in state.get("Choices", []):
            walk(choice["Next"])
        for following in (state.get("Default"), state.get("Next")):
            if following:
                walk(following)

    walk(definition(workflow)["StartAt"])
    assert tuple(order) == workflow.steps


def test_every_shared_lambda_is_invoked_by_something() -> None:
    wired = {name for manifest in registry.manifests() for name in manifest.wired}
    http = {spec.name for spec in LAMBDAS if spec.http_route}
    targets = {route.function for route in registry.routes() if route.function}
    used = {name for wf in WORKFLOWS.values() for name in referenced(wf)}  # Task states
    assert used | wired | http | targets == set(BY_NAME), "a Lambda nothing invokes is dead code"
    assert not used & (http | targets | wired), "a workflow task is not also an endpoint or a route target"


def test_routes_name_real_targets() -> None:
    for route in registry.routes():
        assert (route.workflow is None) != (route.function is None), route.name
        if route.workflow:
            assert route.workflow in WORKFLOWS, route.name
            assert route in WORKFLOWS[route.workflow].routes, "a workflow's routes are its own"
        if route.function:
            assert route.function in BY_NAME, route.name
        EventPattern.load(json.dumps(route.pattern))  # EventBridge's grammar


def test_every_schedule_is_configured_and_routed() -> None:
    for schedule in registry.schedules():
        assert schedule.name in Schedules.model_fields, f"schedules.{schedule.name} is not a setting"
        event = {"source": "platform.schedule", "detail-type": f"schedule.{schedule.name}", "detail": {}}
        matched = [r for r in registry.routes() if EventPattern.load(json.dumps(r.pattern)).matches_event(event)]
        assert matched, f"schedule {schedule.name} starts nothing"
        if schedule.event:
            assert (ROOT / "events" / schedule.event).is_file()


@pytest.mark.parametrize("workflow", WORKFLOWS.values(), ids=lambda w: w.name)
def test_samples_and_commands_exist(workflow: Workflow) -> None:
    assert workflow.samples, "every workflow has a sample event"
    for sample in workflow.samples:
        assert (ROOT / "events" / sample).is_file(), sample
    if workflow.command and workflow.command.to_input:
        module, _, function = workflow.command.to_input.rpartition(".")
        assert callable(getattr(importlib.import_module(module), function))
    if workflow.approval:
        assert "RequestApproval" in workflow.uses
    assert workflow.description
    assert workflow.config_section


def test_a_manifest_module_imports_only_core() -> None:
    for manifest_module in (ROOT / "functions").glob("*/[wc][oo]*.py"):
        if manifest_module.name not in ("workflow.py", "component.py"):
            continue
        imports = re.findall(r"^from (functions\.\S+) import", manifest_module.read_text(), re.MULTILINE)
        assert all(name.startswith("functions.core.") for name in imports), manifest_module
