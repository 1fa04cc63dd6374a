"""Deployment step handlers: the envelope's state parsed as `Deploy`, one function of steps.py,
its part of the state back as a dict."""

from __future__ import annotations

import os
from collections.abc import Callable
from typing import Any

from aws_lambda_powertools.utilities.typing import LambdaContext
from pydantic import BaseModel

from functions.adapters import vendors
from functions.core import clients, constants
from functions.core.bus import publish
from functions.core.envelope import Task
from functions.core.manifest import REQUESTS
from functions.core.observability import step
from functions.core.runtime import config, dynamodb, env, logger, s3
from functions.deployment import steps, trigger
from functions.deployment.models import Deploy


def _deps(*needs: str) -> steps.Deps:
    cfg = config()
    # The lock and the run record change: they live in the state table (the audit table is append-only).
    deps = steps.Deps(config=cfg, table=env(constants.STATE_TABLE), ddb=dynamodb(), machines=steps.machines())
    for need in needs:
        if need == "github":
            deps.github = vendors.github()
        elif need == "argocd":
            deps.argocd = vendors.argocd()
        elif need == "slack":
            deps.slack = vendors.slack()
        elif need == "ecr":
            deps.ecr = vendors.ecr()
        elif need == "pagerduty" and cfg.pagerduty is not None:
            deps.pagerduty_provider = vendors.pagerduty
        elif need == "sfn":
            deps.sfn = clients.client("stepfunctions")
        elif need == "evidence":
            deps.s3, deps.bucket = s3(), os.environ.get(constants.EVIDENCE_BUCKET, "")
        elif need == "bus":
            deps.publish = publish
    return deps


def _run(task: Task[Deploy], work: Callable[[Deploy, str, steps.Deps], Any], *needs: str) -> dict[str, Any]:
    result = work(task.state, task.execution_id, _deps(*needs))
    return result.model_dump(mode="json") if isinstance(result, BaseModel) else dict(result)


@step(Deploy)
def resolve(task: Task[Deploy], _: LambdaContext) -> dict[str, Any]:
    target = steps.resolve(task.state, task.execution_id, _deps("github", "ecr"))
    logger.info("resolved", extra={"service": target.service, "version": target.version, "refused": target.refused})
    return target.model_dump(mode="json")


@step(Deploy)
def take_lock(task: Task[Deploy], _: LambdaContext) -> dict[str, Any]:
    return _run(task, steps.take_lock, "slack", "sfn")


@step(Deploy)
def plan(task: Task[Deploy], _: LambdaContext) -> dict[str, Any]:
    return _run(task, steps.plan, "github", "argocd", "slack")


@step(Deploy)
def start(task: Task[Deploy], _: LambdaContext) -> dict[str, Any]:
    return _run(task, steps.start, "github", "slack")


@step(Deploy)
def update_manifest(task: Task[Deploy], _: LambdaContext) -> dict[str, Any]:
    return _run(task, steps.update_manifest, "github", "slack")


@step(Deploy)
def sync(task: Task[Deploy], _: LambdaContext) -> dict[str, Any]:
    return _run(task, steps.sync, "argocd", "slack")


@step(Deploy)
def check_health(task: Task[Deploy], _: LambdaContext) -> dict[str, Any]:
    return _run(task, steps.check_health, "argocd", "slack")


@step(Deploy)
def roll_back(task: Task[Deploy], _: LambdaContext) -> dict[str, Any]:
    return _run(task, steps.roll_back, "github", "argocd", "slack")


@step(Deploy)
def finish(task: Task[Deploy], _: LambdaContext) -> dict[str, Any]:
    result = _run(task, steps.finish, "github", "slack", "pagerduty", "evidence", "bus")
    logger.info(result["reason"], extra={"outcome": result["outcome"], "deployment": result["deployment"]})
    return result


@step()
def from_github(event: dict[str, Any], _: LambdaContext) -> dict[str, Any]:
    """A bus target: a workflow run or a published package becomes `deployment.requested`, when it is
    a service's build."""
    request, why = trigger.request_from(event.get("detail") or {}, config())
    if request is None:
        logger.info("not a deploy", extra={"why": why})
        return {"deploy": False, "why": why}
    event_id = publish(REQUESTS, trigger.DETAIL_TYPE, request)
    logger.info("deploy requested", extra={"why": why, "event_id": event_id})
    return {"deploy": True, "why": why, "event_id": event_id, "request": request}
