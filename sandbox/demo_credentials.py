"""The demo's credential part: the SendGrid key and the GitHub webhook secret are rotated while
GitHub keeps delivering signed webhooks to the real ingress check; it shows none was refused."""

from __future__ import annotations

import hashlib
import hmac
import json
import threading
import uuid
from typing import Any

from sandbox.engine import ROOT, LocalEngine


def _delivered(secret: str) -> bool:
    from functions.ingress import github_webhook
    from functions.ingress.http import HttpError, HttpRequest

    body = json.dumps({"zen": "Design for failure.", "hook_id": 1}).encode()
    headers = {
        "content-type": "application/json",
        "x-github-event": "ping",
        "x-github-delivery": str(uuid.uuid4()),
        "x-hub-signature-256": "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest(),
    }
    try:
        return bool(github_webhook.handle(HttpRequest("POST", "/github/webhook", headers, body))["statusCode"] == 200)
    except HttpError:
        return False


def rotate_while_delivering(engine: LocalEngine, out: Any) -> bool:
    from functions.adapters import secrets as secret_cache

    assert engine.vendors is not None  # the demo runs with the vendor fakes
    github = engine.vendors.fakes["github"]
    counts = {"delivered": 0, "refused": 0, "forged_accepted": 0}
    stop = threading.Event()

    def github_delivers() -> None:
        while not stop.is_set():
            secret = github.hook_secret()  # type: ignore[attr-defined]
            counts["delivered" if _delivered(secret) else "refused"] += 1
            counts["forged_accepted"] += _delivered("forged-" + secret[:12])

    # Locally the 5-minute propagation wait is virtual: let a miss re-read the labels every time.
    secret_cache.RECHECK_MIN_S = 0.0
    ok = True
    thread = threading.Thread(target=github_delivers, daemon=True)
    thread.start()
    try:
        for name in ("sendgrid", "webhook"):
            event = json.loads((ROOT / "events" / "scheduler" / f"credential_rotation_{name}.json").read_text())
            execution = engine.run("credential_rotation", event)
            ok &= execution.status == "SUCCEEDED"
            summary = (execution.output or {}).get("summary") if isinstance(execution.output, dict) else execution.cause
            print(f"\n=== credential rotation ({name}): {execution.status}: {summary}", file=out)
    finally:
        stop.set()
        thread.join()
        secret_cache.RECHECK_MIN_S = 1.0
    print(
        f"    signed webhook deliveries during the rotations: {counts['delivered']} accepted,"
        f" {counts['refused']} refused; forged deliveries accepted: {counts['forged_accepted']}",
        file=out,
    )
    return ok and counts["refused"] == 0 and counts["forged_accepted"] == 0 and counts["delivered"] > 0
