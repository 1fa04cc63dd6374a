"""Vendor trimmed subsets of the vendors' API descriptions into sandbox/specs/.

    python scripts/vendor_specs.py [--source DIR] [--check]

Reads the full descriptions from DIR (default: $PLATFORM_VENDOR_SPECS, else ../shared/specs next to
the checkout) and writes sandbox/specs/<name>.json for each description in
sandbox/specs/operations.yaml: only the listed operations and what they reference. With --check,
writes nothing and exits 1 when a vendored file differs from a fresh extraction.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

# Importable from a clean clone without installing the project.
from sandbox.contract.extract import (
    TrimError,
    default_source_dir,
    load_manifest,
    vendored_path,
    vendored_text,
)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--source", type=Path, help="directory holding the full descriptions")
    parser.add_argument("--check", action="store_true", help="compare instead of writing")
    args = parser.parse_args(argv)
    source = args.source or default_source_dir()
    if source is None or not source.is_dir():
        print("vendor_specs: no full descriptions found; pass --source or set PLATFORM_VENDOR_SPECS", file=sys.stderr)
        return 2
    stale = []
    for name, entry in load_manifest().items():
        started = time.perf_counter()
        try:
            text = vendored_text(name, entry, source)
        except TrimError as exc:
            print(f"vendor_specs: {name}: {exc}", file=sys.stderr)
            return 1
        target = vendored_path(name)
        current = target.read_text(encoding="utf-8") if target.exists() else None
        elapsed = time.perf_counter() - started
        if args.check:
            if current != text:
                stale.append(name)
            continue
        if current != text:
            target.write_text(text, encoding="utf-8")
        state = "unchanged" if current == text else "written"
        print(
            f"{target.relative_to(Path.cwd()) if target.is_relative_to(Path.cwd()) else target}: "
            f"{len(entry['operations'])} operations, {len(text) // 1024} KiB, {state} ({elapsed:.1f} s)"
        )
    if stale:
        print(f"vendor_specs: out of date: {', '.join(stale)}; run `make specs`", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
