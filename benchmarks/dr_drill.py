"""What a DR drill costs in state transitions (Step Functions bills per transition) and how long the
sandbox takes, polling included, and how close the measured RTO is to the restore's real duration.

Runs the real dr_drill state machine on the local engine with the example configuration: every
target at once; one RDS target whose restore takes 90 and 200 virtual minutes (the wait between
checks grows, so a long restore costs few polls). Prints per scenario the states entered, the
virtual time the Wait states stood for, the RTO achieved and the wall time.

    .venv/bin/python benchmarks/dr_drill.py
"""

from __future__ import annotations

import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def transitions(engine: Any, execution: Any) -> int:
    """StateEntered events in the execution's history: one per state transition."""
    return sum(1 for event in engine._history(execution.arn) if event["type"].endswith("StateEntered"))


def main() -> int:
    from sandbox.dr_scenario import Scenario
    from sandbox.engine import LocalEngine

    rows = []
    with LocalEngine() as engine:
        for title, targets, minutes in (
            ("all example targets, moto restores at once", [], 0.0),
            ("billing-db, restore takes 90 virtual min (RTO 240)", ["billing-db"], 90.0),
            ("billing-db, restore takes 200 virtual min (RTO 240)", ["billing-db"], 200.0),
        ):
            engine.dr.clear()
            if minutes:
                engine.dr.set("billing-db", Scenario(restore_minutes=minutes))
            started = time.perf_counter()
            execution = engine.run("dr_drill", {"targets": targets})
            wall = time.perf_counter() - started
            rto = [t.get("rto_achieved_minutes") for t in (execution.output or {}).get("targets", [])]
            if not rto:  # a failed drill has no output: its evidence has the figures
                rto = ["see evidence"]
            rows.append((title, transitions(engine, execution), execution.virtual_wait_s / 60, rto, wall))
    width = max(len(r[0]) for r in rows)
    print(f"{'scenario':<{width}}  transitions  virtual min  RTO achieved (min)  wall s")
    for title, count, virtual, rto, wall in rows:
        print(f"{title:<{width}}  {count:>11}  {virtual:>11.1f}  {', '.join(map(str, rto)):>18}  {wall:>6.1f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
