"""How each target did against its previous drill, from the evidence earlier drills left in the
bucket ("restore 40 % slower than the previous drill"). Dry runs are not drills: skipped."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from mypy_boto3_s3.client import S3Client

KIND = "dr-drills"
MAX_READ = 40  # evidence documents read at most, newest first: a few years of quarterly drills
NOTABLE_PERCENT = 10.0


def previous_results(s3: S3Client, bucket: str, execution_id: str, targets: set[str]) -> dict[str, dict[str, Any]]:
    """Each target's latest measured result from an earlier drill (not this one, not a dry run)."""
    keys: list[str] = []
    for page in s3.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=f"{KIND}/"):
        keys += [o["Key"] for o in page.get("Contents", []) if o["Key"].endswith(".json")]
    found: dict[str, dict[str, Any]] = {}
    # Keys are <kind>/YYYY/MM/DD/<execution>.json: newest date first.
    for key in sorted(keys, reverse=True)[:MAX_READ]:
        if key.endswith(f"/{execution_id}.json"):
            continue
        evidence = json.loads(s3.get_object(Bucket=bucket, Key=key)["Body"].read())
        if evidence.get("dry_run"):
            continue
        for target in evidence.get("targets", []):
            name = target.get("target")
            if name in targets and name not in found and target.get("rto_achieved_minutes") is not None:
                found[name] = {
                    **target,
                    "execution_id": evidence.get("execution_id"),
                    "at": evidence.get("finished_at"),
                }
        if set(found) >= targets:
            break
    return found


def compare(current: dict[str, Any], previous: dict[str, Any] | None) -> dict[str, Any] | None:
    if previous is None:
        return None
    before, now = previous.get("rto_achieved_minutes"), current.get("rto_achieved_minutes")
    trend: dict[str, Any] = {
        "previous_execution": previous.get("execution_id"),
        "previous_at": previous.get("at"),
        "previous_rto_achieved_minutes": before,
        "previous_rpo_achieved_minutes": previous.get("rpo_achieved_minutes"),
        "previous_passed": previous.get("passed"),
        "rto_change_percent": None,
        "text": "",
    }
    if before and now is not None:
        change = round((now - before) / before * 100, 1)
        trend["rto_change_percent"] = change
        if abs(change) < NOTABLE_PERCENT:
            trend["text"] = f"restore about as fast as the previous drill ({now} vs {before} min)"
        else:
            word = "slower" if change > 0 else "faster"
            trend["text"] = f"restore {abs(change):g} % {word} than the previous drill ({now} vs {before} min)"
    return trend
