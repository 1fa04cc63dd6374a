"""The Extend button of a just-in-time grant's reminder: posted by jit_access (its Watch step),
read by the Slack interactivity endpoint, which turns a click into the same request as
`/platform access extend <id> <duration>` by the person who clicked."""

from __future__ import annotations

import re

EXTEND = "jit.extend"
EXTEND_BY = "30m"  # what one click asks for; a longer extension is typed
_VALUE = re.compile(r"^([0-9a-f]{1,32}) ([0-9]{1,4}[hm]?)$")


def extend_value(grant_id: str, duration: str = EXTEND_BY) -> str:
    return f"{grant_id} {duration}"


def parse_extend_value(value: str) -> tuple[str, str] | None:
    """(grant id, duration) of a button's value; None for anything that is not one."""
    found = _VALUE.match(value.strip())
    return (found.group(1), found.group(2)) if found else None
