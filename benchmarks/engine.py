"""How fast the local engine runs a 20-state definition with in-process Lambda tasks.

Target (issue 2): under 1 s per run, no sleeping (its Wait state asks for an hour). Also times
`make test` unless --skip-make-test is given. Prints the figures; asserts nothing.

    .venv/bin/python benchmarks/engine.py [--runs 5] [--skip-make-test]
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def definition(region: str) -> dict[str, Any]:
    """20 states: 10 Tasks, 5 Choices, 3 Passes, 1 Wait (3600 s), 1 Succeed."""
    arn = f"arn:aws:lambda:{region}:123456789012:function:Bump"
    states: dict[str, Any] = {}
    for i in range(5):
        states[f"TaskA{i}"] = {"Type": "Task", "Resource": arn, "Next": f"TaskB{i}"}
        states[f"TaskB{i}"] = {"Type": "Task", "Resource": arn, "Next": f"Choice{i}"}
        nxt = f"TaskA{i + 1}" if i < 4 else "Pass0"
        states[f"Choice{i}"] = {
            "Type": "Choice",
            "Choices": [{"Variable": "$.n", "NumericGreaterThan": 0, "Next": nxt}],
            "Default": "Done",
        }
    states["Pass0"] = {"Type": "Pass", "Next": "Pass1"}
    states["Pass1"] = {"Type": "Pass", "Next": "Hour"}
    states["Hour"] = {"Type": "Wait", "Seconds": 3600, "Next": "Pass2"}
    states["Pass2"] = {"Type": "Pass", "Next": "Done"}
    states["Done"] = {"Type": "Succeed"}
    assert len(states) == 20
    return {"StartAt": "TaskA0", "States": states}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=6)
    parser.add_argument("--skip-make-test", action="store_true")
    args = parser.parse_args()

    t0 = time.perf_counter()
    from sandbox.engine import LocalEngine

    imported = time.perf_counter() - t0
    t0 = time.perf_counter()
    with LocalEngine(seed=False) as engine:
        started = time.perf_counter() - t0
        engine.dispatcher.register("Bump", lambda event, context: {"n": event.get("n", 0) + 1})
        body = json.dumps(definition(engine.region))
        timings = []
        for _ in range(args.runs):
            t0 = time.perf_counter()
            execution = engine.run("bench20", {"n": 1}, definition=body)
            timings.append(time.perf_counter() - t0)
            assert execution.status == "SUCCEEDED", execution.error
        print(f"engine import:            {imported * 1000:8.0f} ms")
        print(f"engine start (moto):      {started * 1000:8.0f} ms")
        first, rest = timings[0], timings[1:] or timings
        print(f"20-state run, first:      {first * 1000:8.0f} ms (creates the state machine, parses the ASL)")
        print(
            f"20-state run, next {len(rest)}:     median {statistics.median(rest) * 1000:.0f} ms, "
            f"max {max(rest) * 1000:.0f} ms (target < 1000 ms)"
        )
        print(f"  states executed: {len(execution.steps)}, virtual wait: {execution.virtual_wait_s:.0f} s")

    if not args.skip_make_test:
        t0 = time.perf_counter()
        result = subprocess.run(["make", "-C", str(ROOT), "test"], capture_output=True, text=True, check=False)
        print(f"make test:                {time.perf_counter() - t0:8.1f} s (exit {result.returncode})")


if __name__ == "__main__":
    main()
