"""What every Slack request shares: the v0 signature (with its five-minute replay window) and the
form-encoded body."""

from __future__ import annotations

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
    if not verify_slack_signature(signing_secret, request.body, timestamp, signature, now=now):
        raise HttpError(401, "missing, invalid or expired Slack signature")
    try:
        fields = parse_qs(request.body.decode(), keep_blank_values=True, strict_parsing=bool(request.body))
    except (UnicodeDecodeError, ValueError):
        raise HttpError(400, "the body is not a form") from None
    return {key: values[-1] for key, values in fields.items()}


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
