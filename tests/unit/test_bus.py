"""The local bus: what it records, and in which order, before EventBridge's targets run."""

from __future__ import annotations

from typing import Any

import pytest

import sandbox.bus
from sandbox.bus import MAX_ENTRIES_BYTES, LocalBus, entry_size


class RunsAtOnce:
    """A thread that runs its target inside start(): the most eager a target can be."""

    def __init__(self, target: Any, args: tuple[Any, ...], daemon: bool = False) -> None:
        self.target, self.args = target, args

    def start(self) -> None:
        self.target(*self.args)


def test_a_delivery_is_recorded_before_its_targets_start(monkeypatch: pytest.MonkeyPatch) -> None:
    seen_by_targets: list[list[str]] = []

    def start(workflow: str, detail: dict[str, Any]) -> None:
        seen_by_targets.append([d["detail_type"] for d in bus.deliveries])

    def invoke(name: str, event: dict[str, Any]) -> tuple[Any, str | None]:
        seen_by_targets.append([d["detail_type"] for d in bus.deliveries])
        return None, None

    bus = LocalBus("eu-west-1", "123456789012", start, invoke)
    monkeypatch.setattr(sandbox.bus.threading, "Thread", RunsAtOnce)
    entry = {"Source": "platform.schedule", "DetailType": "schedule.dr_drill", "Detail": "{}"}
    assert bus.route(bus.envelope(entry)) == ["workflow:dr_drill"]
    # A target that publishes in turn (the intake of an issue) is recorded after what started it.
    assert seen_by_targets == [["schedule.dr_drill"]]


def test_entries_are_sized_as_eventbridge_sizes_them() -> None:
    entry = {"Source": "platform.github", "DetailType": "issues.opened", "Detail": '{"a": "é"}', "Resources": ["r"]}
    assert entry_size(entry) == len("platform.github") + len("issues.opened") + len('{"a": "é"}'.encode()) + 1
    assert entry_size({**entry, "Time": "2026-11-25T00:00:00Z"}) == entry_size(entry) + 14
    assert MAX_ENTRIES_BYTES == 256 * 1024
