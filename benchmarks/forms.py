"""The issue-form parser on hostile bodies: how long one 60,000-character field takes to parse.

Target (issue 11, "Hostile input"): linear time, a 60,000-character field in milliseconds. The
regular expression the parser used before backtracked quadratically on a long heading line: about
20 s for `### a` followed by 60,000 spaces. Prints the figures, the best of `--runs` each; exits 1
when a case takes longer than `--limit-ms` (default 100 ms), so `make bench` shows a regression.

    .venv/bin/python benchmarks/forms.py [--runs 5] [--size 60000] [--limit-ms 100]
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def cases(size: int) -> dict[str, str]:
    """Bodies a requester can type into an issue, each with one field of about `size` characters."""
    form = "### Email\n\njane@example.com\n\n### Team\n\nplatform\n\n"
    return {
        "long value": f"### Full name\n\n{'a' * size}\n\n{form}",
        "long heading": f"### {'a' * size}\n\nx\n\n{form}",
        "heading, trailing spaces": f"### a{' ' * size}b\n\n{form}",
        "heading, spaces and #": f"### {' #' * (size // 2)}x\n\n{form}",
        "heading, only #": f"### {'#' * size}\n\n{form}",
        "many headings": "### a\n" * (size // 6) + form,
        "many blank lines": f"### Full name{chr(10) * size}Jane\n\n{form}",
        "CRLF value": f"### Full name\r\n\r\n{'ab' * (size // 2)}\r\n\r\n{form}",
    }


def best_ms(body: str, runs: int) -> float:
    from functions.people import forms

    times = []
    for _ in range(runs):
        started = time.perf_counter()
        forms.parse(body, forms.ONBOARDING_FIELDS)
        times.append((time.perf_counter() - started) * 1000)
    return min(times)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--size", type=int, default=60_000)
    parser.add_argument("--limit-ms", type=float, default=100.0)
    args = parser.parse_args()
    print(f"issue-form parser, one {args.size:,}-character field, best of {args.runs} (target: milliseconds):")
    slow = []
    for name, body in cases(args.size).items():
        ms = best_ms(body, args.runs)
        print(f"  {name:<26} {len(body):>8,} chars  {ms:8.2f} ms")
        if ms > args.limit_ms:
            slow.append(name)
    if slow:
        print(f"over {args.limit_ms} ms: {', '.join(slow)}")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
