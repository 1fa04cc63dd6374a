"""How many state transitions a just-in-time grant costs (Step Functions bills per transition):
a 30-minute production grant with one approver, the same outside jit.single_approver_hours
(two approvers), and an Okta group grant; the Wait states' virtual time and the wall time too.

    .venv/bin/python benchmarks/jit_access.py
"""

from __future__ import annotations

import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def transitions(engine: Any, execution: Any) -> int:
    """StateEntered events in the execution's history: one per state transition."""
    return sum(1 for event in engine._history(execution.arn) if event["type"].endswith("StateEntered"))


def request(engine: Any, grant: str, reason: str) -> dict[str, Any]:
    who = "dev.patel@example.com"
    user_id = engine.vendors.fakes["slack"].user_id(who)
    origin = {"kind": "slack", "user_id": user_id, "channel_id": "C1", "response_url": None}
    return {"action": "request", "grant": grant, "duration": "30m", "reason": reason, "requested_by": who,
            "origin": origin, "dry_run": False}  # fmt: skip


def run(days: list[str], scenarios: list[tuple[str, str, str]]) -> list[tuple[str, int, float, float, str]]:
    from sandbox.engine import LocalEngine, fixed_policy

    data = yaml.safe_load((ROOT / "platform.example.yaml").read_text(encoding="utf-8"))
    data["jit"]["single_approver_hours"] = {"days": days, "start": "00:00", "end": "24:00"}
    rows = []
    with tempfile.TemporaryDirectory() as directory:
        path = Path(directory) / "platform.yaml"
        path.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
        with LocalEngine(path, approvals=fixed_policy("approved")) as engine:
            for title, grant, reason in scenarios:
                engine.vendors.reseed()  # type: ignore[union-attr]
                started = time.perf_counter()
                execution = engine.run("jit_access", request(engine, grant, reason))
                wall = time.perf_counter() - started
                rows.append((title, transitions(engine, execution), execution.virtual_wait_s, wall, execution.status))
    return rows


def main() -> int:
    week = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"]
    rows = run(
        week,
        [
            ("prod-admin 30m, one approver", "prod-admin", "INC-1 restart the queue"),
            ("okta-admin 30m, one approver", "okta-admin", "INC-2 rotate the SAML cert"),
        ],
    )
    rows += run([], [("prod-admin 30m, two approvers (outside hours)", "prod-admin", "INC-3 restart the queue")])
    width = max(len(r[0]) for r in rows)
    for title, count, waited, wall, status in rows:
        print(f"{title:<{width}}  {count:3d} transitions  {waited / 60:5.1f} virtual min  {wall:5.2f} s wall  {status}")
    return 0 if all(r[4] == "SUCCEEDED" for r in rows) else 1


if __name__ == "__main__":
    raise SystemExit(main())
