"""Turns a Step Functions execution history into the steps a person reads."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import datetime
from typing import Any


@dataclass
class Step:
    name: str
    status: str  # SUCCEEDED, FAILED (its error was caught, or ended the execution), RUNNING
    duration_ms: int
    started: str
    attempts: int = 0  # times a Task's work was scheduled: 1 + retries
    error: str | None = None
    cause: str | None = None
    path: str = ""  # where the state ran, e.g. "Drill[1]" inside iteration 1 of the Map "Drill"
    key: int = 0  # id of its *StateEntered event: stable while the history grows
    _failed_last: bool = False

    def public(self) -> dict[str, Any]:
        data = {k: v for k, v in asdict(self).items() if not k.startswith("_") and k != "key"}
        return {k: v for k, v in data.items() if v not in (None, "") and (k != "attempts" or v)}


def _details(event: dict[str, Any]) -> dict[str, Any]:
    for key, value in event.items():
        if key.endswith("EventDetails") and isinstance(value, dict):
            return value
    return {}


def _ms(later: datetime, earlier: datetime) -> int:
    return max(0, round((later - earlier).total_seconds() * 1000))


class _Builder:
    def __init__(self, events: list[dict[str, Any]]) -> None:
        self.by_id = {e["id"]: e for e in events}
        self.steps: list[Step] = []
        self.open: dict[int, Step] = {}  # id of the *StateEntered event -> its step
        self.entered_at: dict[int, datetime] = {}
        self.step_of_event: dict[int, Step] = {}  # StateEntered/StateExited event id -> step

    def _ancestors(self, event: dict[str, Any]) -> Any:
        current = self.by_id.get(event.get("previousEventId") or -1)
        while current is not None:
            yield current
            current = self.by_id.get(current.get("previousEventId") or -1)

    def _open_owner(self, event: dict[str, Any], name: str | None = None) -> int | None:
        for ancestor in self._ancestors(event):
            step = self.open.get(ancestor["id"])
            if step is not None and (name is None or step.name == name):
                return int(ancestor["id"])
        return None

    def _path_for_new_state(self, event: dict[str, Any]) -> str:
        previous = self.by_id.get(event.get("previousEventId") or -1)
        if previous is None:
            return ""
        if previous["type"] == "MapIterationStarted":
            details = _details(previous)
            owner = self._open_owner(previous)
            prefix = self.open[owner].path + "/" if owner is not None and self.open[owner].path else ""
            return f"{prefix}{details.get('name', '')}[{details.get('index', 0)}]"
        sibling = self.step_of_event.get(previous["id"])
        if sibling is not None:
            return sibling.path
        owner = self._open_owner(previous)
        return self.open[owner].path if owner is not None else ""

    def add(self, event: dict[str, Any]) -> None:
        kind = event["type"]
        details = _details(event)
        if kind.endswith("StateEntered"):
            step = Step(
                details.get("name", "?"),
                "RUNNING",
                0,
                event["timestamp"].isoformat(),
                path=self._path_for_new_state(event),
                key=int(event["id"]),
            )
            self.open[event["id"]] = step
            self.entered_at[event["id"]] = event["timestamp"]
            self.step_of_event[event["id"]] = step
            self.steps.append(step)
        elif kind.endswith("StateExited"):
            entered = self._open_owner(event, details.get("name"))
            if entered is None:
                return
            step = self.open.pop(entered)
            step.duration_ms = _ms(event["timestamp"], self.entered_at[entered])
            step.status = "FAILED" if step._failed_last else "SUCCEEDED"
            self.step_of_event[event["id"]] = step
        elif kind.endswith("Scheduled"):
            entered = self._open_owner(event)
            if entered is not None:
                self.open[entered].attempts += 1
        elif kind.endswith(("Failed", "TimedOut", "Aborted")) and not kind.startswith(("Execution", "Map")):
            self._failure(event, details)
        elif kind.endswith("Succeeded") and not kind.startswith(("Execution", "Map")):
            entered = self._open_owner(event)
            if entered is not None:
                # A retry that succeeded: the step succeeded; `attempts` still shows the retries.
                step = self.open[entered]
                step._failed_last, step.error, step.cause = False, None, None

    def _failure(self, event: dict[str, Any], details: dict[str, Any]) -> None:
        entered = self._open_owner(event)
        if entered is None:
            return
        step = self.open[entered]
        step.error = details.get("error") or step.error
        step.cause = details.get("cause") or step.cause
        step._failed_last = True

    def finish(self, last: dict[str, Any] | None) -> None:
        for entered, step in self.open.items():
            step.status = "FAILED"
            if last is not None:
                step.duration_ms = _ms(last["timestamp"], self.entered_at[entered])
            if last is not None and last["type"] == "ExecutionFailed" and step.error is None:
                step.error = _details(last).get("error")
                step.cause = _details(last).get("cause")


def steps_from_history(events: list[dict[str, Any]], final: bool) -> list[Step]:
    """Pairs each `*StateEntered` with its `*StateExited` along the `previousEventId` chain.

    Following the chain (not the order of the list) keeps states that run at the same time in
    Map iterations and Parallel branches apart. A Task that failed and was retried counts its
    attempts; one whose last attempt failed is FAILED even when a Catch carried the execution on.
    """
    builder = _Builder(events)
    for event in events:
        builder.add(event)
    if final:
        builder.finish(events[-1] if events else None)
    return builder.steps
