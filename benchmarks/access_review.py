"""A whole access review campaign at scale, up to and including the review messages (a dry run:
the review is built and nobody is asked, so the run goes on to the report).

Seeds the sandbox with a generated organisation (`--org-size`, default 10,000 people: that many
Okta users and Slack users; GitHub members for `--github-share` of them, IAM users for
`--iam-share`, Identity Center users for every active one) and prints identities per system,
vendor calls per system and per identity (the privileged users' MFA reads apart), wall time per
phase, and peak memory: the whole process's (Lambdas, fakes and moto together), and each
Lambda's own, measured in a second, sequential pass (`tracemalloc` peak while the handler runs;
it includes what the fakes allocate to answer it, so it is an upper bound). It prints what it
measures whether or not the issue's targets are met (5 min wall, 1.2 calls per identity, 512 MB).

    .venv/bin/python benchmarks/access_review.py [--org-size N] [--iam-share F] [--github-share F] [--no-memory]
"""

from __future__ import annotations

import argparse
import resource
import sys
import time
import tracemalloc
from collections import Counter
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
# The AWS services Collect reads, by the system they count for (S3, DynamoDB and Step Functions
# are the platform's own plumbing, not a reviewed system).
AWS_SYSTEMS = {"iam": "iam", "identitystore": "identity_center", "sso-admin": "identity_center"}
sys.path.insert(0, str(ROOT))


def _org(size: int, iam_share: float, github_share: float) -> dict[str, Any]:
    from sandbox.fakes.org import generate_org

    org = generate_org(size, seed=7)
    fixture = len(generate_org(0)["people"])
    iam_every, github_every = max(1, round(1 / iam_share)), max(1, round(1 / github_share))
    for n, person in enumerate(org["people"]):
        if n % iam_every == 0 and person["okta"]["status"] == "ACTIVE":
            person.setdefault("aws_iam_user", True)
        if n >= fixture and n % github_every:
            person["github"], person["github_teams"] = None, []  # not everyone is on GitHub
    return org


def _lambda_memory(engine: Any) -> dict[str, float]:
    """Each step's handler once more, one at a time: its tracemalloc peak in MB."""
    peaks: dict[str, float] = {}

    def invoke(name: str, state: dict[str, Any]) -> Any:
        tracemalloc.start()
        try:
            result, error = engine.dispatcher.invoke(
                name, {"execution_id": "bench-memory", "workflow": "access_review", "state": state}
            )
            peaks[name if name != "AccessReviewCollect" else f"{name}[{state['system']}]"] = (
                tracemalloc.get_traced_memory()[1] / 2**20
            )
        finally:
            tracemalloc.stop()
        if error:
            raise RuntimeError(f"{name}: {result}")
        return result

    plan = invoke("AccessReviewStart", {"systems": [], "dry_run": True})
    collected = [invoke("AccessReviewCollect", {"plan": plan, "system": s}) for s in plan["systems"]]
    found = invoke("AccessReviewFindings", {"plan": plan, "collected": collected})
    invoke("AccessReviewAsk", {"plan": plan, "findings": found})
    return peaks


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--org-size", type=int, default=10_000)
    parser.add_argument("--iam-share", type=float, default=0.2)
    parser.add_argument("--github-share", type=float, default=0.5)
    parser.add_argument("--no-memory", action="store_true", help="skip the per-Lambda memory pass")
    args = parser.parse_args()
    from sandbox.engine import Decision, LocalEngine
    from sandbox.hooks import on_default_session

    org = _org(args.org_size, args.iam_share, args.github_share)
    seeded = time.perf_counter()
    with LocalEngine(org=org, approvals=lambda _p: Decision("timeout")) as engine:
        print(f"seeded {len(org['people'])} people in {time.perf_counter() - seeded:.1f} s")
        aws: Counter[str] = Counter()

        def count_aws(model: Any, **_: Any) -> None:
            if model.service_model.service_name in AWS_SYSTEMS:
                aws[AWS_SYSTEMS[model.service_model.service_name]] += 1

        started = time.perf_counter()
        with on_default_session("before-call", count_aws, "bench-aws-calls"):
            execution = engine.run("access_review", {"systems": [], "dry_run": True})
        wall = time.perf_counter() - started
        whole = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss >> 10
        peaks = {} if args.no_memory else _lambda_memory(engine)
    print(f"status {execution.status} {execution.error or ''} in {wall:.1f} s wall")
    for step in execution.steps:
        print(f"  {step.path + '/' if step.path else ''}{step.name:<28} {step.duration_ms / 1000:8.2f} s")
    output = execution.output if isinstance(execution.output, dict) else {}
    identities: dict[str, int] = output.get("identities", {})
    print("identities per system:", identities, f"(all: {sum(identities.values())})")
    calls = Counter(c.get("service", "?") for c in execution.calls) + aws
    mfa = sum(1 for c in execution.calls if str(c.get("path", "")).endswith("/factors"))
    print("vendor calls per system (fakes and AWS):", dict(sorted(calls.items())), f"(Okta MFA reads, apart: {mfa})")
    for system, count in sorted(calls.items()):
        own = count - (mfa if system == "okta" else 0)
        print(f"  {system:<10} {own:6d} calls for {identities.get(system, 0):6d} identities")
    total, people = sum(calls.values()) - mfa, len(org["people"])
    print(f"calls per person: {total / people:.3f} ({total} calls, {people} people);", end=" ")
    print(f"per identity: {total / max(1, sum(identities.values())):.3f}")
    print(f"peak memory (whole process: every Lambda, the fakes and moto): {whole} MB")
    for name, mb in peaks.items():
        print(f"  {name:<40} {mb:7.1f} MB (tracemalloc peak, sequential pass)")
    print("counts:", output.get("counts", {}))
    return 0 if execution.status == "SUCCEEDED" else 1


if __name__ == "__main__":
    raise SystemExit(main())
