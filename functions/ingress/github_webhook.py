"""POST /github/webhook: verify, deduplicate, publish one normalized event, answer 202 at once.

401 for a missing or wrong signature, 400 for a malformed delivery, 200 for `ping` and for event
types no workflow uses, 202 when published (or already published: a redelivery starts nothing
new), 503 when the bus refuses the event (GitHub marks the delivery failed and the redelivery
sweeper asks for it again).
"""

from __future__ import annotations

import logging
from typing import Any

from functions.ingress import github_events
from functions.ingress.http import HttpError, HttpRequest, error_response, respond

log = logging.getLogger("platform-automation.ingress")


def handle(request: HttpRequest, context: Any = None) -> dict[str, Any]:
    if not _signed(request.body, request.header("x-hub-signature-256")):
        raise HttpError(401, "missing or invalid X-Hub-Signature-256")
    delivery = github_events.parse(request)
    if delivery.event == "ping":
        return respond(200, {"ok": True, "event": "ping"})
    detail = github_events.normalize(delivery)
    if detail is None:
        return respond(200, {"ignored": delivery.detail_type})
    from aws_lambda_powertools.utilities.idempotency.exceptions import (
        IdempotencyAlreadyInProgressError,
        IdempotencyPersistenceLayerError,
    )

    from functions.core.bus import PublishError
    from functions.ingress.dedup import publish_once

    first = _first_delivery_of(request.body, delivery.delivery_id)
    if first is not None:
        body = {"accepted": delivery.detail_type, "delivery": delivery.delivery_id, "duplicate": True}
        return respond(202, {**body, "replay_of": first})
    try:
        result = publish_once(delivery.delivery_id, github_events.SOURCE, delivery.detail_type, detail, context)
    except IdempotencyAlreadyInProgressError:
        # The same delivery is being published right now; if that attempt fails, the sweeper redelivers.
        return respond(202, {"accepted": delivery.detail_type, "delivery": delivery.delivery_id, "duplicate": True})
    except (PublishError, IdempotencyPersistenceLayerError) as exc:
        log.warning("delivery %s not published: %s", delivery.delivery_id, exc)
        return respond(503, {"error": "the event bus is unavailable; the delivery will be retried"})
    return respond(202, {"accepted": delivery.detail_type, "delivery": delivery.delivery_id, **result})


def _first_delivery_of(body: bytes, delivery_id: str) -> str | None:
    """The delivery id this exact body was first received under, when it is another: the
    delivery id is not signed, so a captured body sent again under a fresh id is a replay (2xx,
    nothing published). 503 when that cannot be checked: GitHub's redelivery tries again."""
    from functions.ingress.replay import ReplayCheckFailed, github_replay_of

    try:
        first = github_replay_of(body, delivery_id)
    except ReplayCheckFailed as exc:
        log.warning("delivery %s not checked for a replay: %s", delivery_id, exc)
        raise HttpError(503, "the delivery could not be checked; it will be retried") from None
    if first is not None:
        log.warning("delivery %s replays the body of delivery %s: not published", delivery_id, first)
    return first


def _signed(body: bytes, header: str | None) -> bool:
    """Signed with an accepted webhook secret: the current one, or during a rotation the new one
    (before GitHub switches) or the old one (in its grace period). One secret: that one alone."""
    from functions.adapters.secrets import accepted_values, recheck_accepted
    from functions.ingress.secrets import secret_name, strong

    if not header:
        return False
    name = secret_name("github")

    def matches() -> bool:
        # Each accepted value is held to a minimum length first (strong): a short one is a 503, never a match.
        values = [strong(s, "GitHub webhook secret").encode() for s in accepted_values(name, "github", KEY)]
        return any(github_events.signature_ok(secret, body, header) for secret in values)

    # A miss may be a rotation that stored its new secret after this container read the labels.
    return matches() or (recheck_accepted(name, "github") and matches())


KEY = "webhook_secret"  # its field in the GitHub secret


def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    try:
        return handle(HttpRequest.from_event(event), context)
    except HttpError as error:
        return error_response(error)
