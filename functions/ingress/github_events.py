"""GitHub webhook deliveries: signature, parsing, and the one normalized event we publish.

Only the event types a workflow reacts to are published; every other type (and every action we
do not route) is accepted with 2xx and ignored, so GitHub never marks a delivery failed for a
payload we simply do not use.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from dataclasses import dataclass
from typing import Any

from functions.ingress.http import HttpError, HttpRequest

SOURCE = "platform.github"
# Event types published to the bus; the rest is acknowledged and dropped.
PUBLISHED = frozenset({"issues", "issue_comment", "registry_package", "workflow_run"})
_MAX_TEXT = 60_000  # an EventBridge entry holds 256 KB; an issue body holds 65,536 characters


def signature_ok(secret: bytes, body: bytes, header: str | None) -> bool:
    """`X-Hub-Signature-256: sha256=<hex HMAC-SHA256 of the raw body>`, compared in constant time.
    Any other algorithm prefix (GitHub's legacy `sha1=`) is refused."""
    if not header or not header.startswith("sha256="):
        return False
    expected = "sha256=" + hmac.new(secret, body, hashlib.sha256).hexdigest()
    return hmac.compare_digest(expected.encode(), header.strip().encode())


@dataclass(frozen=True)
class Delivery:
    event: str
    delivery_id: str
    payload: dict[str, Any]

    @property
    def action(self) -> str:
        action = self.payload.get("action")
        return action if isinstance(action, str) else ""

    @property
    def detail_type(self) -> str:
        return f"{self.event}.{self.action}" if self.action else self.event


def parse(request: HttpRequest) -> Delivery:
    event = (request.header("x-github-event") or "").strip()
    delivery_id = (request.header("x-github-delivery") or "").strip()
    if not event or not delivery_id:
        raise HttpError(400, "missing X-GitHub-Event or X-GitHub-Delivery header")
    if len(event) > 64 or len(delivery_id) > 128:
        raise HttpError(400, "X-GitHub-Event or X-GitHub-Delivery is too long")
    try:
        payload = json.loads(request.body)
    except (json.JSONDecodeError, UnicodeDecodeError):
        raise HttpError(400, "the body is not valid JSON") from None
    if not isinstance(payload, dict):
        raise HttpError(400, "the body must be a JSON object")
    return Delivery(event, delivery_id, payload)


def _obj(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _text(value: Any) -> str:
    return value[:_MAX_TEXT] if isinstance(value, str) else ""


def _login(value: Any) -> str:
    return str(value.get("login") or "") if isinstance(value, dict) else ""


def _issue(issue: Any) -> dict[str, Any]:
    if not isinstance(issue, dict):
        return {}
    labels = issue.get("labels")
    labels = labels if isinstance(labels, list) else []
    return {
        "number": issue.get("number"),
        "title": _text(issue.get("title")),
        "body": _text(issue.get("body")),
        "state": issue.get("state"),
        "labels": [str(label.get("name")) for label in labels if isinstance(label, dict) and label.get("name")],
        "author": _login(issue.get("user")),
        "url": issue.get("html_url"),
    }


def normalize(delivery: Delivery) -> dict[str, Any] | None:
    """The bus event's detail, or None when this delivery starts nothing."""
    if delivery.event not in PUBLISHED:
        return None
    payload = delivery.payload
    repository = _obj(payload.get("repository"))
    detail: dict[str, Any] = {
        "delivery_id": delivery.delivery_id,
        "event": delivery.event,
        "action": delivery.action,
        "repository": repository.get("full_name") if repository else None,
        "sender": _login(payload.get("sender")),
    }
    if delivery.event in {"issues", "issue_comment"}:
        detail["issue"] = _issue(payload.get("issue"))
        label = payload.get("label")
        if isinstance(label, dict):
            detail["label"] = label.get("name")
        comment = payload.get("comment")
        if isinstance(comment, dict):
            detail["comment"] = {
                "id": comment.get("id"),
                "body": _text(comment.get("body")),
                "author": _login(comment.get("user")),
            }
        if isinstance(payload.get("changes"), dict):
            detail["changed"] = sorted(payload["changes"])
    elif delivery.event == "registry_package":
        package = _obj(payload.get("registry_package"))
        version = _obj(package.get("package_version"))
        detail["package"] = {
            "name": package.get("name"),
            "ecosystem": package.get("ecosystem") or package.get("package_type"),
            "version": version.get("version") or version.get("name"),
        }
    elif delivery.event == "workflow_run":
        run = _obj(payload.get("workflow_run"))
        detail["workflow_run"] = {
            "id": run.get("id"),
            "name": run.get("name"),
            "conclusion": run.get("conclusion"),
            "head_sha": run.get("head_sha"),
            "head_branch": run.get("head_branch"),
        }
    return detail
