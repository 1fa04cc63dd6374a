"""Access review step handlers: the envelope's state parsed, one function, a dict back."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import asdict
from datetime import UTC, datetime, timedelta
from functools import partial
from typing import Any

from aws_lambda_powertools.utilities.typing import LambdaContext

from functions.access_review import collect as collecting
from functions.access_review import findings as finding_rules
from functions.access_review import report as reporting
from functions.access_review import review as reviewing
from functions.access_review import revoke as revoking
from functions.access_review.models import (
    SYSTEMS,
    Assessed,
    CollectStep,
    Decided,
    Plan,
    Reviewing,
    ReviewRequest,
    Waiting,
)
from functions.access_review.snapshot import Snapshot, key, put_lines, read_lines
from functions.adapters import vendors
from functions.core import constants, credential_status, jit_grants, reviews
from functions.core.change import ChangeContext
from functions.core.envelope import Task
from functions.core.observability import step
from functions.core.runtime import config, dynamodb, env, logger, s3

WORKFLOW = "access_review"
_CLIENTS: dict[str, Callable[[], Any]] = {
    "okta": vendors.okta,
    "github": vendors.github,
    "iam": vendors.iam,
    "identity_center": vendors.identity_center,
    "slack": vendors.slack,
    "pagerduty": vendors.pagerduty,
    "credentials": lambda: partial(credential_status.read, env(constants.STATE_TABLE), dynamodb()),
    "jit": lambda: partial(jit_grants.active, env(constants.STATE_TABLE), dynamodb()),
}


def _changes(execution_id: str, plan: Plan) -> ChangeContext:
    return ChangeContext(
        execution_id=execution_id, dry_run=plan.dry_run, requester=plan.requested_by or "", audit_client=dynamodb()
    )


def _now() -> datetime:
    return datetime.now(UTC)


@step(ReviewRequest)
def start(task: Task[ReviewRequest], _: LambdaContext) -> dict[str, Any]:
    request, cfg = task.state, config()
    wanted = [s for s in (request.systems or SYSTEMS) if s in SYSTEMS]
    if "pagerduty" in wanted and cfg.pagerduty is None:
        wanted.remove("pagerduty")
    if "okta" not in wanted:
        wanted.insert(0, "okta")  # the join needs Okta, the source of truth
    if "jit" not in wanted:
        wanted.append("jit")  # drift of Okta groups and AWS assignments needs the grants that explain it
    plan = Plan(
        campaign=task.execution_id,
        dry_run=request.dry_run,
        systems=wanted,
        team=request.team,
        requested_by=request.requested_by,
        started_at=_now().isoformat(),
    )
    return plan.model_dump()


def _okta_lists() -> Any:
    """Collect lists Okta over REST: the SDK's cold start costs more than the step (README: Vendors)."""
    from functions.adapters.okta_lists import OktaLists

    return OktaLists.from_config(config())


@step(CollectStep)
def collect(task: Task[CollectStep], _: LambdaContext) -> dict[str, Any]:
    system, plan = task.state.system, task.state.plan
    client: Any = _okta_lists() if system == "okta" else _CLIENTS[system]()
    try:
        got = collecting.COLLECTORS[system](config(), client)
    finally:
        if system == "okta":
            client.close()
    object_key = key(plan.campaign, f"snapshot/{system}.jsonl")
    put_lines(s3(), env(constants.EVIDENCE_BUCKET), object_key, got.records)
    logger.info("collected", extra={"system": system, "records": len(got.records)})
    return {
        "system": system,
        "key": object_key,
        "records": len(got.records),
        "identities": got.identities,
        "mfa_checks": got.mfa_checks,
    }


@step(Assessed)
def findings(task: Task[Assessed], _: LambdaContext) -> dict[str, Any]:
    bucket, plan = env(constants.EVIDENCE_BUCKET), task.state.plan
    snapshot = Snapshot({c.system: read_lines(s3(), bucket, c.key) for c in task.state.collected})
    found = finding_rules.find(config(), snapshot, _now(), team=plan.team)
    object_key = key(plan.campaign, "findings.json")
    s3().put_object(Bucket=bucket, Key=object_key, Body=json.dumps([asdict(f) for f in found], default=list).encode())
    by_kind: dict[str, int] = {}
    for f in found:
        by_kind[f.kind] = by_kind.get(f.kind, 0) + 1
    return {"key": object_key, "count": len(found), "by_kind": by_kind}


def _load_findings(key_: str) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = json.loads(
        s3().get_object(Bucket=env(constants.EVIDENCE_BUCKET), Key=key_)["Body"].read()
    )
    return found


def _as_finding(data: dict[str, Any]) -> finding_rules.Finding:
    return finding_rules.Finding(**{**data, "subject_ids": tuple(data.get("subject_ids") or ())})


@step(Reviewing)
def ask(task: Task[Reviewing], _: LambdaContext) -> dict[str, Any]:
    cfg, plan = config(), task.state.plan
    found = [_as_finding(f) for f in _load_findings(task.state.findings.key)]
    settings = cfg.access_review
    deadline = _now() + timedelta(hours=settings.deadline_hours)
    sent = reviewing.ask(
        plan.campaign,
        task.execution_id,
        found,
        vendors.slack(),
        _changes(task.execution_id, plan),
        f"{deadline:%Y-%m-%d %H:%M} UTC",
    )
    remind_after = (settings.deadline_hours - settings.remind_hours_before) * 3600
    return {
        **sent,
        "pending": 0 if plan.dry_run else sent["items"],
        "remind_after_s": remind_after,
        "deadline_after_s": settings.remind_hours_before * 3600 or 1,
    }


@step(Waiting)
def await_decisions(task: Task[Waiting], _: LambdaContext) -> dict[str, Any]:
    if task.token is None:
        raise ValueError("AccessReviewAwait needs the task token")
    reviews.wait_for(task.state.plan.campaign, task.token)
    reviews.resume_if_done(task.state.plan.campaign)  # everything decided before the wait began
    return {"waiting": True}


@step(Waiting)
def remind(task: Task[Waiting], _: LambdaContext) -> dict[str, Any]:
    plan = task.state.plan
    return reviewing.remind(plan.campaign, vendors.slack(), _changes(task.execution_id, plan))


@step(Waiting)
def close(task: Task[Waiting], _: LambdaContext) -> dict[str, Any]:
    plan = task.state.plan
    return reviewing.close(plan.campaign, config(), vendors.slack(), _changes(task.execution_id, plan))


def _decisions(plan: Plan, found: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    if plan.dry_run:  # nobody was asked: the suggestions stand in for the decisions
        return {
            f["id"]: {
                "finding_id": f["id"],
                "status": f["suggested"],
                "decided_by": "suggested (dry run)",
                "reason": "dry run",
                "decided_at": "",
            }
            for f in found
        }
    return {i.finding_id: {**asdict(i), "subject_ids": list(i.subject_ids)} for i in reviews.items(plan.campaign)}


@step(Decided)
def revoke(task: Task[Decided], _: LambdaContext) -> dict[str, Any]:
    plan = task.state.plan
    found = _load_findings(task.state.findings.key)
    decisions = _decisions(plan, found)
    changes = _changes(task.execution_id, plan)
    v = revoking.Vendors(
        okta=vendors.okta,
        github=vendors.github,
        iam=vendors.iam,
        pagerduty=vendors.pagerduty,
        identity_center=vendors.identity_center,
    )
    done = [
        revoking.revoke(f, decisions[f["id"]], changes, v)
        for f in found
        if decisions.get(f["id"], {}).get("status") == reviews.REVOKE
    ]
    if not plan.dry_run:  # for `/platform status <campaign>`
        asked = {i.finding_id: i for i in reviews.items(plan.campaign)}
        for r in done:
            if r["finding_id"] in asked:
                reviews.record_revocation(asked[r["finding_id"]], r["status"])
    bucket = env(constants.EVIDENCE_BUCKET)
    object_key = key(plan.campaign, "revocations.jsonl")
    put_lines(s3(), bucket, object_key, done)
    counts: dict[str, int] = {}
    for r in done:
        counts[r["status"]] = counts.get(r["status"], 0) + 1
    return {"key": object_key, "counts": counts}


@step(Decided)
def report(task: Task[Decided], _: LambdaContext) -> dict[str, Any]:
    plan, cfg = task.state.plan, config()
    bucket = env(constants.EVIDENCE_BUCKET)
    found = _load_findings(task.state.findings.key)
    revocations = {r["finding_id"]: r for r in read_lines(s3(), bucket, (task.state.revocations or {})["key"])}
    outcome = reporting.report(
        plan.campaign,
        found,
        _decisions(plan, found),
        revocations,
        [c.key for c in task.state.collected],
        s3=s3(),
        bucket=bucket,
        changes=_changes(task.execution_id, plan),
        slack=vendors.slack(),
        channel=cfg.slack.channels.security,
    )
    logger.info("reported", extra={"evidence": outcome["evidence"]})
    identities = {c.system: c.identities for c in task.state.collected}
    return {**outcome, "identities": identities, "mfa_checks": sum(c.mfa_checks for c in task.state.collected)}
