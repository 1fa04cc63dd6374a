"""The one envelope every Task state gives its Lambda: `{"execution_id", "workflow", "state"}`
(plus `attempt` where a step reports which try failed, and `token` where it waits for a person).

Every definition builds it the same way (`tests/unit/test_envelope.py` checks each Task state):

    "Parameters": {"execution_id.$": "$$.Execution.Name", "workflow": "<name>", "state.$": "<path>"}

so every log line correlates on `execution_id`, and a handler reads its state as a typed model
(`step(Model)` parses it at the boundary) instead of digging through nested dicts."""

from __future__ import annotations

from typing import Generic, TypeVar

from pydantic import BaseModel, ConfigDict, Field

S = TypeVar("S")

KEYS = ("execution_id", "workflow", "state")
OPTIONAL = {"attempt": "$$.State.RetryCount", "token": "$$.Task.Token"}


class Task(BaseModel, Generic[S]):
    """A step's input. Unknown keys are refused: a definition that passes something outside the
    envelope fails loudly at its first run, not quietly in production."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    execution_id: str = Field(min_length=1)
    workflow: str = Field(min_length=1)
    state: S
    attempt: int = 0  # $$.State.RetryCount: which try this is, for the message when the last fails
    token: str | None = None  # $$.Task.Token: the callback of a step that waits for a person


def parameters(workflow: str, state_path: str = "$", *extra: str) -> dict[str, str]:
    """The `Parameters` of a Task state (for definitions written in Python, and the tests)."""
    built = {"execution_id.$": "$$.Execution.Name", "workflow": workflow, "state.$": state_path}
    return built | {f"{key}.$": OPTIONAL[key] for key in extra}
