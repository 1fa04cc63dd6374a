"""Publish a delivery at most once: Powertools Idempotency on DynamoDB, keyed by the delivery id
(GitHub's X-GitHub-Delivery). A redelivery of a published event returns the first result and
publishes nothing; a failed publish leaves no record, so a redelivery tries again."""

from __future__ import annotations

import os
from collections.abc import Callable
from functools import cache
from typing import Any

from functions.core import clients, constants
from functions.core.bus import publish

# GitHub lets a delivery be redelivered for 3 days; keep the key a little longer.
KEEP_SECONDS = 4 * 24 * 3600


@cache
def _config() -> Any:
    from aws_lambda_powertools.utilities.idempotency import IdempotencyConfig

    return IdempotencyConfig(
        event_key_jmespath="delivery_id", expires_after_seconds=KEEP_SECONDS, raise_on_no_idempotency_key=True
    )


@cache
def _publish_once() -> Callable[..., dict[str, Any]]:
    from aws_lambda_powertools.utilities.idempotency import DynamoDBPersistenceLayer, idempotent_function

    persistence = DynamoDBPersistenceLayer(
        table_name=os.environ[constants.IDEMPOTENCY_TABLE], boto3_client=clients.client("dynamodb")
    )

    @idempotent_function(data_keyword_argument="delivery", persistence_store=persistence, config=_config())  # type: ignore[untyped-decorator]
    def once(delivery: dict[str, Any]) -> dict[str, Any]:
        event_id = publish(delivery["source"], delivery["detail_type"], delivery["detail"])
        return {"event_id": event_id, "detail_type": delivery["detail_type"]}

    return once  # type: ignore[no-any-return]


def publish_once(
    delivery_id: str, source: str, detail_type: str, detail: dict[str, Any], context: Any = None
) -> dict[str, Any]:
    if context is not None:
        # An in-progress record expires with the invocation, so a timed-out attempt blocks nothing.
        _config().register_lambda_context(context)
    delivery = {"delivery_id": delivery_id, "source": source, "detail_type": detail_type, "detail": detail}
    return _publish_once()(delivery=delivery)


def reset() -> None:
    """The local engine and tests start a fresh moto world: rebuild the persistence layer."""
    _publish_once.cache_clear()
    _config.cache_clear()
