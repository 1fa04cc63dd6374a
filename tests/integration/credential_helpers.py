"""Reading what a credential rotation left behind: the secret's labels, its values, the audit."""

from __future__ import annotations

import hashlib
import hmac
import json
import uuid
from typing import Any

import boto3

from functions.adapters import vendors
from functions.core import audit
from functions.credential_rotation import inventory
from functions.credential_rotation.models import Job, RotationRequest
from functions.ingress import github_webhook
from functions.ingress.http import HttpError, HttpRequest
from sandbox.engine import Execution, LocalEngine


def labels(engine: LocalEngine, name: str) -> dict[str, list[str]]:
    """version id -> staging labels, of the versions that still carry one."""
    sm = boto3.client("secretsmanager", region_name=engine.region)
    versions = sm.list_secret_version_ids(SecretId=name)["Versions"]
    return {v["VersionId"]: sorted(v["VersionStages"]) for v in versions if v.get("VersionStages")}


def value(engine: LocalEngine, name: str, stage: str = "AWSCURRENT") -> dict[str, Any]:
    sm = boto3.client("secretsmanager", region_name=engine.region)
    return dict(json.loads(sm.get_secret_value(SecretId=name, VersionStage=stage)["SecretString"]))


def actions(execution: Execution) -> list[str]:
    return sorted(e["action"] for e in audit.entries(execution.id))


def everything_recorded(engine: LocalEngine, execution: Execution) -> str:
    """Every place a secret must never reach: the execution's history, output and state, its
    calls log, and its audit trail."""
    sfn = boto3.client("stepfunctions", region_name=engine.region)
    history = sfn.get_execution_history(executionArn=execution.arn, maxResults=1000)["events"]
    return json.dumps([history, execution.output, execution.calls, audit.entries(execution.id)], default=str)


def deliver(secret: str) -> bool:
    """A GitHub `ping` delivery signed with `secret`, through the real ingress check: accepted?"""
    body = json.dumps({"zen": "Keep it logically awesome.", "hook_id": 1}).encode()
    signature = "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()
    headers = {
        "content-type": "application/json",
        "x-github-event": "ping",
        "x-github-delivery": str(uuid.uuid4()),
        "x-hub-signature-256": signature,
    }
    try:
        response = github_webhook.handle(HttpRequest("POST", "/github/webhook", headers, body))
    except HttpError as error:
        if error.status != 401:
            raise
        return False
    return bool(response["statusCode"] == 200)


def job_for(engine: LocalEngine, name: str) -> Job:
    """The job a forced rotation of `name` would run, as the workflow's Plan makes it."""
    request = RotationRequest(credential=name, force=True)
    return inventory.plan(engine.config, request, "x", vendors.secret_versions(), vendors.access_keys()).jobs[0]
