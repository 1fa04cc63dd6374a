"""Every Task state gives its Lambda the one envelope, and every step handler parses it into its
typed state at the boundary (functions/core/envelope.py)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from pydantic import BaseModel, ValidationError

from functions.catalog import BY_NAME
from functions.core import registry
from functions.core.envelope import OPTIONAL, Task, parameters
from functions.core.observability import step
from functions.core.spec import LambdaSpec

ROOT = Path(__file__).resolve().parents[2]
WORKFLOWS = registry.workflows()


def tasks(states: dict[str, Any]) -> Iterator[tuple[str, dict[str, Any]]]:
    for name, state in states.items():
        if state.get("Type") == "Task":
            yield name, state
        for branch in state.get("Branches", []):
            yield from tasks(branch["States"])
        for key in ("ItemProcessor", "Iterator"):
            if key in state:
                yield from tasks(state[key]["States"])


def maps(states: dict[str, Any]) -> Iterator[tuple[str, dict[str, Any]]]:
    for name, state in states.items():
        if state.get("Type") == "Map":
            yield name, state
            yield from maps(state.get("ItemProcessor", state.get("Iterator", {})).get("States", {}))
        for branch in state.get("Branches", []):
            yield from maps(branch["States"])


def every_task() -> list[tuple[str, str, dict[str, Any]]]:
    found = []
    for name, workflow in WORKFLOWS.items():
        definition = json.loads((ROOT / workflow.definition).read_text())
        found += [(name, state_name, state) for state_name, state in tasks(definition["States"])]
    return found


def envelope_of(state: dict[str, Any]) -> dict[str, Any]:
    params = state.get("Parameters") or {}
    return params.get("Payload", params)


def lambda_of(state: dict[str, Any]) -> str:
    params = state.get("Parameters") or {}
    resource = params.get("FunctionName", state["Resource"])
    return resource.removeprefix("${").removesuffix("Arn}")


TASKS = every_task()


@pytest.mark.parametrize(("workflow", "name", "state"), TASKS, ids=[f"{w}.{n}" for w, n, _ in TASKS])
def test_every_task_passes_the_envelope(workflow: str, name: str, state: dict[str, Any]) -> None:
    envelope = envelope_of(state)
    extra = [key.removesuffix(".$") for key in envelope if key not in ("execution_id.$", "workflow", "state.$")]

    assert envelope.get("execution_id.$") == "$$.Execution.Name"
    assert envelope.get("workflow") == workflow
    assert str(envelope.get("state.$", "")).startswith("$"), "the state is a path into the execution's state"
    assert set(extra) <= set(OPTIONAL), f"{name} passes {extra} beside the envelope"
    for key in extra:
        assert envelope[f"{key}.$"] == OPTIONAL[key]
    assert envelope == parameters(workflow, envelope["state.$"], *extra)


@pytest.mark.parametrize(("workflow", "name", "state"), TASKS, ids=[f"{w}.{n}" for w, n, _ in TASKS])
def test_every_task_lambda_parses_the_envelope_into_a_typed_state(workflow: str, name: str, state: dict) -> None:
    spec: LambdaSpec = BY_NAME[lambda_of(state)]
    handler = getattr(__import__(spec.module, fromlist=[spec.function]), spec.function)

    model = getattr(handler, "envelope_state", None)

    assert model is not None, f"{spec.handler} does not wear step(Model)"
    assert issubclass(model, BaseModel)
    if envelope_of(state).get("token.$"):
        assert "token" in Task.model_fields


def test_a_map_iteration_never_carries_the_execution_id_beside_its_state() -> None:
    for name, workflow in WORKFLOWS.items():
        definition = json.loads((ROOT / workflow.definition).read_text())
        for map_name, state in maps(definition["States"]):
            assert "execution_id.$" not in (state.get("ItemSelector") or {}), f"{name}.{map_name}"


class Person(BaseModel):
    email: str


@step(Person)
def greet(task: Task[Person], _: Any) -> dict[str, str]:
    return {"hello": task.state.email, "in": task.execution_id, "for": task.workflow}


class Context:
    function_name, memory_limit_in_mb, aws_request_id = "greet", 128, "req-1"
    invoked_function_arn = "arn:aws:lambda:eu-west-1:123456789012:function:greet"


def test_a_step_handler_gets_its_state_typed() -> None:
    event = {"execution_id": "ex-1", "workflow": "onboarding", "state": {"email": "ada@example.com", "more": 1}}

    assert greet(event, Context()) == {"hello": "ada@example.com", "in": "ex-1", "for": "onboarding"}


@pytest.mark.parametrize(
    "event",
    [
        {"workflow": "onboarding", "state": {"email": "ada@example.com"}},  # no execution id
        {"execution_id": "ex-1", "state": {"email": "ada@example.com"}},  # no workflow
        {"execution_id": "ex-1", "workflow": "onboarding", "state": {}},  # the state is not a Person
        {"execution_id": "ex-1", "workflow": "onboarding", "state": {"email": "a@b"}, "email": "x"},  # beside it
        {"execution_id": "ex-1", "workflow": "onboarding", "person": {"email": "ada@example.com"}},  # old shape
    ],
)
def test_a_step_refuses_what_is_not_the_envelope(event: dict[str, Any]) -> None:
    with pytest.raises(ValidationError):
        greet(event, Context())
