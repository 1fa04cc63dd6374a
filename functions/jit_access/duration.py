"""Durations as people type them: `30m`, `2h`, `1h30m`, `45` (minutes)."""

from __future__ import annotations

import re

_PART = re.compile(r"(\d+)\s*([hm]?)")
_WHOLE = re.compile(r"^(\d+\s*[hm]?)+$")


def minutes(text: str) -> int | None:
    """Whole minutes, or None when `text` is not a duration."""
    text = text.strip().lower()
    if not text or not _WHOLE.match(text):
        return None
    total = sum(int(n) * (60 if unit == "h" else 1) for n, unit in _PART.findall(text))
    return total or None


def spoken(total: int) -> str:
    hours, rest = divmod(total, 60)
    return " ".join(p for p in (f"{hours} h" if hours else "", f"{rest} min" if rest else "") if p) or "0 min"
