"""How a DR drill names its copies, which is how the janitor knows whose they are: every copy is
`drill-<target>-<execution suffix>`, and a running drill's suffix protects its copies."""

from __future__ import annotations

import re

DRILL_PREFIX = "drill-"
SUFFIX_LENGTH = 24


def execution_suffix(execution_id: str) -> str:
    """The part of an execution's name that every copy it creates ends with (how the janitor tells
    a running drill's copies from orphans): lower case, RDS-safe."""
    cleaned = re.sub(r"-+", "-", re.sub(r"[^a-z0-9-]", "-", execution_id.lower()))
    return cleaned[-SUFFIX_LENGTH:].strip("-")


def copy_name(target: str, execution_id: str) -> str:
    """drill-<target>-<execution suffix>: valid as a DynamoDB table and an RDS identifier (63 chars,
    letters, digits and single hyphens)."""
    suffix = execution_suffix(execution_id)
    head = re.sub(r"-+", "-", f"{DRILL_PREFIX}{target}-")[: 63 - len(suffix)]
    return f"{head}{suffix}"
