"""Is a target's runbook still maintained? It must exist in its GitHub repository and have been
changed within `dr.runbook_max_age_days` (its newest commit). A stale, missing or unreadable
runbook is a finding for the report, never a failed drill: the restore is what is tested."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any

from functions.adapters.errors import VendorError

if TYPE_CHECKING:
    from functions.adapters.github import GitHub


def check(github: GitHub, runbook: str, max_age_days: int, now: datetime) -> dict[str, Any]:
    """{"runbook", "repo", "path", "last_commit", "changed_at", "age_days", "max_age_days", "url",
    "finding"}: `finding` is None when the runbook is fresh."""
    repo, _, path = runbook.partition(":")
    found: dict[str, Any] = {
        "runbook": runbook,
        "repo": repo,
        "path": path,
        "last_commit": None,
        "changed_at": None,
        "age_days": None,
        "max_age_days": max_age_days,
        "url": None,
        "finding": None,
    }
    try:
        commit = github.last_commit(repo, path)
    except VendorError as exc:
        found["finding"] = f"runbook {runbook} not checked: {exc}"[:300]
        return found
    if commit is None:
        found["finding"] = f"runbook {runbook} not found: no commit in {repo} changed {path}"
        return found
    found.update(last_commit=commit.sha, url=commit.html_url)
    if commit.committed_at is None:
        found["finding"] = f"runbook {runbook}: its last commit {commit.sha[:7]} has no date"
        return found
    age = round((now - commit.committed_at).total_seconds() / 86400, 1)
    found.update(changed_at=commit.committed_at.isoformat(), age_days=age)
    if age > max_age_days:
        found["finding"] = (
            f"runbook {runbook} is stale: last changed {age:g} days ago ({commit.sha[:7]}), "
            f"the limit is {max_age_days} days"
        )
    return found
