"""Every sample event a manifest declares runs locally, end to end, on a fresh local stack: the
samples are what `run --event`, the docs and the demo hand to a workflow, so each must work."""

from __future__ import annotations

import pytest

from functions.core import registry
from sandbox.engine import ROOT, LocalEngine, fixed_policy, load_event
from sandbox.intake import as_input

WORKFLOWS = registry.workflows()


@pytest.mark.parametrize("name", sorted(WORKFLOWS))
def test_every_sample_of_a_manifest_runs_locally(name: str) -> None:
    workflow = WORKFLOWS[name]
    runs = [(before, sample) for before in workflow.samples_after for sample in WORKFLOWS[before].samples]
    runs += [(name, sample) for sample in workflow.samples]
    # As `run --event FILE` answers: as one of each request's own approvers (never its requester).
    with LocalEngine(approvals=fixed_policy("approved")) as engine:
        for runner, sample in runs:
            event = as_input(engine, runner, load_event(ROOT / "events" / sample))
            execution = engine.run(runner, event)
            assert execution.status == "SUCCEEDED", f"{runner} {sample}: {execution.error} {execution.cause}"
