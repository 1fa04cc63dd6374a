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
# An EventBridge entry holds 256 KB, counted in bytes (Source + DetailType + Detail + ...). An
# issue body holds 65,536 characters, and "é" is 6 bytes once JSON-escaped, an emoji 12: a body
# GitHub accepts can be three times too large for the bus. The detail is held to this budget
# (bytes of its JSON, as functions/core/bus.py serializes it), leaving room for the rest.
EVENT_LIMIT = 256 * 1024
DETAIL_BUDGET = EVENT_LIMIT - 8 * 1024
# The text fields a delivery may carry in bulk, trimmed largest first when the detail is over
# budget. Each trimmed one ends with TRIM_MARK and is listed in the detail's `trimmed`, so a
# consumer that needs the whole text reads it from GitHub (the people intake does).
TRIMMABLE = (("issue", "body"), ("comment", "body"), ("issue", "title"))
TRIM_MARK = "\n\n[… trimmed by platform-automation: {n:,} more characters; the full text is on GitHub]"


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
    return value if isinstance(value, str) else ""


def _size(detail: dict[str, Any]) -> int:
    return len(json.dumps(detail, default=str).encode())


def _trim(detail: dict[str, Any], parent: str, key: str) -> None:
    """Cut `detail[parent][key]` to the longest prefix (plus TRIM_MARK) with which the detail fits
    the budget, or to nothing but the mark. A binary search: sizes are counted as the bus counts
    them, whatever mix of ASCII, accents and emoji the text holds."""
    holder = detail[parent]
    text = holder[key]
    detail.setdefault("trimmed", []).append(f"{parent}.{key}")  # before measuring: it counts too

    def fits(keep: int) -> bool:
        holder[key] = text[:keep] + TRIM_MARK.format(n=len(text) - keep)
        return _size(detail) <= DETAIL_BUDGET

    low, high = 0, len(text)  # fits(low) is what we settle for; high is known too large
    while low < high:
        middle = (low + high + 1) // 2
        if fits(middle):
            low = middle
        else:
            high = middle - 1
    fits(low)


def fit(detail: dict[str, Any]) -> dict[str, Any]:
    """The detail within DETAIL_BUDGET: the large text fields trimmed (largest first) with a
    mark, everything a route or a workflow matches on (ids, action, labels, authors) kept. In the
    unlikely case that is still too large, only those identifying fields are kept."""
    if _size(detail) <= DETAIL_BUDGET:
        return detail
    present = [(p, k) for p, k in TRIMMABLE if isinstance(detail.get(p), dict) and isinstance(detail[p].get(k), str)]
    for parent, key in sorted(present, key=lambda pk: -len(json.dumps(detail[pk[0]][pk[1]]))):
        _trim(detail, parent, key)
        if _size(detail) <= DETAIL_BUDGET:
            return detail
    keep = ("delivery_id", "event", "action", "repository", "sender", "label", "changed")
    reduced = {k: detail[k] for k in keep if k in detail}
    if isinstance(detail.get("issue"), dict):
        issue = detail["issue"]
        reduced["issue"] = {k: issue.get(k) for k in ("number", "state", "labels", "author", "url")}
    reduced["trimmed"] = ["*"]
    return reduced


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
        container = _obj(version.get("container_metadata"))
        labels = _obj(container.get("labels"))
        revision = _obj(labels.get("labels")).get("org.opencontainers.image.revision") or labels.get(
            "org.opencontainers.image.revision"
        )
        detail["package"] = {
            "name": package.get("name"),
            "namespace": package.get("namespace"),
            "ecosystem": package.get("ecosystem") or package.get("package_type"),
            "version": version.get("version") or version.get("name"),
            # A container version is its digest; the tag just pushed is what a deploy names.
            "tag": _obj(container.get("tag")).get("name") or None,
            # The commit it was built from, when the image or the release says so.
            "commit": revision or version.get("target_commitish") or None,
        }
    elif delivery.event == "workflow_run":
        run = _obj(payload.get("workflow_run"))
        detail["workflow_run"] = {
            "id": run.get("id"),
            "name": run.get("name"),
            "conclusion": run.get("conclusion"),
            "head_sha": run.get("head_sha"),
            "head_branch": run.get("head_branch"),
            "event": run.get("event"),  # push, pull_request, ...: only a push to the branch deploys
            "run_number": run.get("run_number"),
            "head_repository": _obj(run.get("head_repository")).get("full_name"),  # a fork's, for a PR from one
        }
    return fit(detail)
