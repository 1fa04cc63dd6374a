"""Cold import time (fresh process) of every vendor adapter module and every Lambda handler module.

What a Lambda pays on a cold start before its first line runs. Prints the figures; asserts nothing.

    .venv/bin/python benchmarks/imports.py [--runs 3]
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def import_times_ms(module: str, runs: int) -> list[float]:
    """Wall times of `import module` in `runs` fresh interpreters, after a warm-up run that writes
    the bytecode cache (as a deployed package has it)."""
    code = f"import time; t = time.perf_counter(); import {module}; print((time.perf_counter() - t) * 1000)"
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    subprocess.run([sys.executable, "-c", code], check=True, capture_output=True, env=env)
    return [
        float(subprocess.run([sys.executable, "-c", code], check=True, capture_output=True, text=True, env=env).stdout)
        for _ in range(runs)
    ]


def import_ms(module: str, runs: int) -> float:
    """Median cold import time of `module`."""
    return statistics.median(import_times_ms(module, runs))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    from functions.catalog import LAMBDAS

    adapters = sorted(
        f"functions.adapters.{p.stem}"
        for p in (ROOT / "functions" / "adapters").glob("*.py")
        if p.stem not in {"__init__"}
    )
    print(f"adapter modules, median of {args.runs} fresh processes:")
    for module in adapters:
        print(f"  {module:<45} {import_ms(module, args.runs):8.1f} ms")
    print("\nLambda handler modules:")
    for module in sorted({spec.module for spec in LAMBDAS}):
        names = ", ".join(spec.name for spec in LAMBDAS if spec.module == module)
        print(f"  {module:<45} {import_ms(module, args.runs):8.1f} ms   ({names})")


if __name__ == "__main__":
    main()
