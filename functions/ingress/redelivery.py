"""The redelivery sweeper: GitHub does not retry a failed webhook delivery, so on a schedule this
lists the hook's recent deliveries, and asks GitHub to redeliver every one whose attempts all
failed (our outage, a deploy, a timeout). The webhook's deduplication makes a redelivery of
something that did get through harmless."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

from functions.adapters import vendors
from functions.core.runtime import config, logger

if TYPE_CHECKING:
    from functions.adapters.github import GitHub, Webhook

# GitHub keeps deliveries for 3 days and only redelivers those; look back a little less.
LOOKBACK = timedelta(hours=70)
MAX_REDELIVERIES = 50  # per sweep: a long outage is caught up over several sweeps, not in one burst


def sweep(github: GitHub, hook: Webhook, now: datetime) -> dict[str, Any]:
    from functions.adapters.errors import VendorError

    failed = github.failed_deliveries(hook, since=now - LOOKBACK)
    redelivered, errors = [], []
    for delivery in failed[:MAX_REDELIVERIES]:
        try:
            github.redeliver(hook, delivery.id)
            redelivered.append(delivery.guid)
        except VendorError as exc:
            errors.append({"guid": delivery.guid, "error": str(exc)})
    logger.info("swept", extra={"failed": len(failed), "redelivered": len(redelivered), "errors": len(errors)})
    return {"redelivered": redelivered, "failed": errors, "remaining": max(0, len(failed) - MAX_REDELIVERIES)}


@logger.inject_lambda_context
def handler(_event: dict[str, Any], _context: Any) -> dict[str, Any]:
    from functions.adapters.github import Webhook

    cfg = config()
    if cfg.github.webhook is None:
        logger.info("no github.webhook configured: nothing to sweep")
        return {"redelivered": [], "failed": [], "remaining": 0}
    hook = cfg.github.webhook
    webhook = Webhook(hook.hook_id, repo=hook.repo, org=None if hook.repo else cfg.github.org)
    return sweep(vendors.github(), webhook, datetime.now(UTC))
