"""What a drill measured, target by target and tier by tier:

- RPO achieved = the drill's start - the restore point (PITR: the latest restorable time; backup
  or snapshot: its creation time), against the tier's RPO;
- RTO achieved = from the restore request to the copy verified usable, waits and polls included,
  against the tier's RTO;
- verified, cleaned up, the cross-region copy, and everything that went wrong."""

from __future__ import annotations

from typing import Any

from functions.core.text import lambda_message
from functions.dr_drill.models import JobResult
from functions.dr_drill.timing import minutes_between


def assess(result: JobResult, dry_run: bool) -> dict[str, Any]:
    job = result.job
    verification = result.verification
    rto_achieved = minutes_between(
        result.restore.requested_at if result.restore else None, verification.verified_at if verification else None
    )
    rpo_achieved = job.rpo_achieved_minutes
    rpo_met = rpo_achieved is not None and rpo_achieved <= job.rpo_minutes
    rto_met = rto_achieved is not None and rto_achieved <= job.rto_minutes
    verified = bool(verification and verification.verified)
    cleaned = bool(result.cleanup and (result.cleanup.deleted or result.cleanup.note == "nothing to delete"))
    cross = job.cross_region or {}
    problems = [p for p in [job.problem] if p]
    if result.error:
        problems.append(f"{result.error.get('Error')}: {lambda_message(result.error.get('Cause', ''))}"[:500])
    if rpo_achieved is not None and not rpo_met:
        problems.append(f"restore point is {rpo_achieved} min old, RPO is {job.rpo_minutes} min")
    if not dry_run and rto_achieved is not None and not rto_met:
        problems.append(f"restore took {rto_achieved} min to a verified copy, RTO is {job.rto_minutes} min")
    if verification:
        problems.extend(verification.problems)
    if cross.get("problem"):
        problems.append(f"cross-region: {cross['problem']}")
    if not dry_run and result.restore and result.restore.status != "SKIPPED" and not cleaned:
        problems.append(f"the copy {job.copy_name} was not cleaned up (the janitor will delete it)")
    ran_ok = dry_run or (rto_met and verified and cleaned)
    passed = rpo_met and not result.error and not job.problem and not cross.get("problem") and ran_ok
    return {
        "target": job.target,
        "kind": job.kind,
        "tier": job.tier,
        "method": job.method,
        "source": job.source,
        "copy": job.copy_name,
        "restore_point": job.restore_point,
        "restore_from": job.restore_detail,
        "rto_minutes": job.rto_minutes,
        "rto_achieved_minutes": None if dry_run else rto_achieved,
        "rto_met": None if dry_run else rto_met,
        "rpo_minutes": job.rpo_minutes,
        "rpo_achieved_minutes": rpo_achieved,
        "rpo_met": rpo_met,
        "verified": None if dry_run else verified,
        "checks": verification.checks if verification else {},
        "cleaned_up": None if dry_run else cleaned,
        "cross_region": job.cross_region,
        "passed": passed,
        "problems": problems,
        "findings": [*job.findings, *(verification.notes if verification else [])],
        "runbook": job.runbook,
    }


def by_tier(targets: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    tiers: dict[str, dict[str, Any]] = {}
    for target in targets:
        tier = tiers.setdefault(target["tier"], {"targets": [], "passed": 0, "failed": []})
        tier["targets"].append(target["target"])
        if target["passed"]:
            tier["passed"] += 1
        else:
            tier["failed"].append(target["target"])
    for tier in tiers.values():
        tier["all_passed"] = not tier["failed"]
    return tiers
