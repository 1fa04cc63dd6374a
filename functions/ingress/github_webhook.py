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
    from functions.ingress.secrets import github_webhook_secret

    if not github_events.signature_ok(github_webhook_secret(), request.body, request.header("x-hub-signature-256")):
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

    try:
        result = publish_once(delivery.delivery_id, github_events.SOURCE, delivery.detail_type, detail, context)
    except IdempotencyAlreadyInProgressError:
        # The same delivery is being published right now; if that attempt fails, the sweeper redelivers.
        return respond(202, {"accepted": delivery.detail_type, "delivery": delivery.delivery_id, "duplicate": True})
    except (PublishError, IdempotencyPersistenceLayerError) as exc:
        log.warning("delivery %s not published: %s", delivery.delivery_id, exc)
        return respond(503, {"error": "the event bus is unavailable; the delivery will be retried"})
    return respond(202, {"accepted": delivery.detail_type, "delivery": delivery.delivery_id, **result})


def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    try:
        return handle(HttpRequest.from_event(event), context)
    except HttpError as error:
        return error_response(error)
