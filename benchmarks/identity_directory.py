"""How long the identity directory takes to resolve a whole organisation, and how many vendor
reads it makes (the access review resolves every identity of every system).

Seeds the sandbox with a generated organisation of N people (Okta, Slack, PagerDuty, GitHub,
Identity Center, IAM in moto), then resolves every person by email and by GitHub login through
one Directory, and prints people, keys, vendor reads, wall time and keys per second.

    .venv/bin/python benchmarks/identity_directory.py [N ...]     (default: 500 2000)
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def measure(size: int) -> tuple[int, int, int, float]:
    from functions.adapters import vendors
    from sandbox.engine import LocalEngine
    from sandbox.fakes.org import generate_org

    org = generate_org(size, seed=11)
    with LocalEngine(seed=True, org=org):
        keys = [p["email"] for p in org["people"]]
        keys += [f"github:{p['github']}" for p in org["people"] if p.get("github")]
        directory = vendors.directory()
        started = time.perf_counter()
        found = directory.people(keys)
        elapsed = time.perf_counter() - started
        resolved = sum(1 for person in found.values() if person is not None)
        return len(keys), resolved, directory.lookups, elapsed


def main() -> int:
    sizes = [int(arg) for arg in sys.argv[1:]] or [500, 2000]
    print(f"{'people':>7} {'keys':>7} {'resolved':>9} {'vendor reads':>13} {'seconds':>8} {'keys/s':>8}")
    for size in sizes:
        keys, resolved, reads, elapsed = measure(size)
        print(f"{size:>7} {keys:>7} {resolved:>9} {reads:>13} {elapsed:>8.2f} {keys / elapsed:>8.0f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
