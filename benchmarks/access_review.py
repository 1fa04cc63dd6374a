"""A whole access review campaign at scale, up to and including the review messages (the
reviewers never answer, so the run goes on through reminder, deadline and report on virtual time).

Seeds the sandbox with a generated organisation (`--org-size`, default 10,000 people: that many
Okta users, about as many GitHub members, Slack users; IAM users for `--iam-share` of them) and
prints identities per system, vendor calls per system and per identity (the privileged users'
MFA reads apart), wall time per phase, and the process's peak memory. It prints what it
measures whether or not the issue's targets are met (5 min wall, 1.2 calls per identity, 512 MB).

    .venv/bin/python benchmarks/access_review.py [--org-size N] [--iam-share F]
"""

from __future__ import annotations

import argparse
import resource
import sys
import time
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--org-size", type=int, default=10_000)
    parser.add_argument("--iam-share", type=float, default=0.2)
    args = parser.parse_args()
    from sandbox.engine import Decision, LocalEngine
    from sandbox.fakes.org import generate_org

    org = generate_org(args.org_size, seed=7)
    for n, person in enumerate(org["people"]):
        if n % max(1, round(1 / args.iam_share)) == 0 and person["okta"]["status"] == "ACTIVE":
            person.setdefault("aws_iam_user", True)
    seeded = time.perf_counter()
    with LocalEngine(org=org, approvals=lambda _p: Decision("timeout")) as engine:
        print(f"seeded {len(org['people'])} people in {time.perf_counter() - seeded:.1f} s")
        started = time.perf_counter()
        execution = engine.run("access_review", {"systems": [], "dry_run": True})
        wall = time.perf_counter() - started
    print(f"status {execution.status} {execution.error or ''} in {wall:.1f} s wall")
    collected = {}
    for step in execution.steps:
        print(f"  {step.path + '/' if step.path else ''}{step.name:<28} {step.duration_ms / 1000:8.2f} s")
    if isinstance(execution.output, dict):
        collected = execution.output.get("counts", {})
    calls = Counter(c.get("service", "?") for c in execution.calls)
    mfa = sum(1 for c in execution.calls if str(c.get("path", "")).endswith("/factors"))
    identities = len(org["people"])
    print("vendor calls per system:", dict(sorted(calls.items())), f"(Okta MFA reads, apart: {mfa})")
    total = sum(calls.values()) - mfa
    print(f"calls per identity: {total / identities:.3f} ({total} calls, {identities} people)")
    print(f"peak memory (whole process, all Lambdas): {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss >> 10} MB")
    print("counts:", collected)
    return 0 if execution.status == "SUCCEEDED" else 1


if __name__ == "__main__":
    raise SystemExit(main())
