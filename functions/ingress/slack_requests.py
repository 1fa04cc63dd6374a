"""What every Slack request shares: the v0 signature (with its five-minute replay window) and the
form-encoded body."""

from __future__ import annotations

import time
from urllib.parse import parse_qs

# Loaded at cold start on purpose: every Slack request needs it, and it is only the SDK's
# signature module (see functions/adapters/slack_signature.py).
from functions.adapters.slack_signature import verify_slack_signature
from functions.ingress.http import HttpError, HttpRequest


def verified_form(request: HttpRequest, signing_secret: str, now: float | None = None) -> dict[str, str]:
    """The request's form fields, once its signature is proven; HttpError 401 or 400 otherwise."""
    timestamp = request.header("x-slack-request-timestamp") or ""
    signature = request.header("x-slack-signature") or ""
    # Slack's headers are ASCII ("v0=" and hex, digits). Anything else is not Slack's, and must be
    # a 401 here: the SDK's constant-time compare raises TypeError on non-ASCII text (a 500).
    if not (timestamp.isascii() and signature.isascii()):
        raise HttpError(401, "missing, invalid or expired Slack signature")
    if not verify_slack_signature(signing_secret, request.body, timestamp, signature, now=now) and not _rotating(
        request.body, timestamp, signature, now
    ):
        raise HttpError(401, "missing, invalid or expired Slack signature")
    try:
        fields = parse_qs(request.body.decode(), keep_blank_values=True, strict_parsing=bool(request.body))
    except (UnicodeDecodeError, ValueError):
        raise HttpError(400, "the body is not a form") from None
    return {key: values[-1] for key, values in fields.items()}


REPLAY_WINDOW_S = 300  # Slack's: a request older (or newer) than five minutes is refused whatever its signature
KEY = "signing_secret"  # its field in the Slack secret


def _rotating(body: bytes, timestamp: str, signature: str, now: float | None) -> bool:
    """A miss of the current signing secret may be a rotation: signed with the new secret (stored
    as AWSPENDING, or made current a moment ago) or with the old one in its grace period (marked
    RETIRING by the rotation, or AWSPREVIOUS for grace_minutes after the new one was stored as
    AWSCURRENT directly), as the GitHub webhook check accepts them. Only a request inside Slack's
    five-minute window gets this far, so junk does not make the ingress read Secrets Manager."""
    from functions.adapters.secrets import accepted_values, recheck_accepted, replaced_at
    from functions.ingress.secrets import secret_name, strong

    at = time.time() if now is None else now
    try:
        if abs(at - int(timestamp)) > REPLAY_WINDOW_S:
            return False
    except ValueError:
        return False
    name = secret_name("slack")

    def signed(values: list[str]) -> bool:
        # Each value is held to a minimum length first (strong): a short one is a 503, never a match.
        secrets = [strong(v, "Slack signing secret") for v in values]
        return any(verify_slack_signature(s, body, timestamp, signature, now=now) for s in secrets)

    def matches() -> bool:
        return signed(accepted_values(name, "slack", KEY))

    if matches() or (recheck_accepted(name, "slack") and matches()):
        return True
    created, previous = replaced_at(name, "slack")
    if created is None or at - created > _grace_seconds():
        return False
    return signed([str(v[KEY]) for v in previous if v.get(KEY)])


def _grace_seconds() -> float:
    from functions.core.runtime import config

    return float(config().credentials.grace_minutes * 60)


def once(request: HttpRequest, now: float | None = None) -> None:
    """Refuses (409) a verified request that was received before: a signature stays valid for
    five minutes, and whoever captured the request could otherwise send it again to start the
    same work twice. Called just before a request starts something, not for help or mistakes.
    503 when the check itself cannot be made (fail closed: nothing starts unchecked)."""
    from functions.ingress.replay import ReplayCheckFailed, slack_replayed

    timestamp = request.header("x-slack-request-timestamp") or ""
    signature = request.header("x-slack-signature") or ""
    try:
        replayed = slack_replayed(timestamp, signature, now)
    except ReplayCheckFailed:
        raise HttpError(503, "the request could not be checked; try again") from None
    if replayed:
        raise HttpError(409, "this request was already received; nothing new was started")
