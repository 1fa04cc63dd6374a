"""How many state transitions a deploy costs (Step Functions bills per transition), polling included.

Runs the deployment on the local engine with the example configuration and prints, per scenario,
the states entered (= state transitions), the virtual time the Wait states stood for, and the wall
time. The README's figure is the first line: a happy deploy to staging (no approval) with its
2-minute stability window; the target is at most 40.

    .venv/bin/python benchmarks/deployment.py
"""

from __future__ import annotations

import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

TARGET = 40


def transitions(engine: Any, execution: Any) -> int:
    """StateEntered events in the execution's history: one per state transition."""
    return sum(1 for event in engine._history(execution.arn) if event["type"].endswith("StateEntered"))


def main() -> int:
    from sandbox.engine import LocalEngine, fixed_policy

    scenarios: list[tuple[str, dict[str, Any], str | None]] = [
        ("happy deploy to staging, 2-minute stability window", {"version": "sha-83e8a7d"}, None),
        (
            "deploy to production with approval, 5-minute window",
            {"version": "sha-83e8a7d", "environment": "production"},
            None,
        ),
        ("Degraded deploy to staging, rolled back in Git", {"version": "sha-06ee156"}, "Degraded"),
        ("dry run", {"version": "sha-b7e140c", "dry_run": True}, None),
    ]
    rows = []
    # The staging deploy offers production; deny that offer so only the scenarios themselves run.
    policy = fixed_policy("approved", "dev.patel@example.com")
    with LocalEngine(approvals=policy) as engine:
        assert engine.vendors is not None
        for title, request, next_sync in scenarios:
            engine.vendors.reseed()
            if next_sync:
                engine.vendors.fakes["argocd"].set_next_sync("orders-api-staging", next_sync)
            started = time.perf_counter()
            execution = engine.run(
                "deployment", {"service": "orders-api", "requested_by": "sam.okafor@example.com", **request}
            )
            wall = time.perf_counter() - started
            outcome = (execution.output or {}).get("outcome") or execution.error
            rows.append((title, transitions(engine, execution), execution.virtual_wait_s, wall, outcome))
            for other in list(engine.executions.values()):  # a promotion it offered
                other.done.wait(120)
    width = max(len(r[0]) for r in rows)
    print(f"{'scenario':<{width}}  transitions  waits (virtual)  wall     outcome")
    for title, count, waited, wall, outcome in rows:
        print(f"{title:<{width}}  {count:>11}  {waited:>13.0f} s  {wall:>5.1f} s  {outcome}")
    happy = rows[0][1]
    print(f"\nhappy deploy: {happy} state transitions (target <= {TARGET}): {'ok' if happy <= TARGET else 'OVER'}")
    return 0 if happy <= TARGET else 1


if __name__ == "__main__":
    sys.exit(main())
