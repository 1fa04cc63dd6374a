"""The redelivery sweeper: GitHub does not retry a failed webhook delivery, so on a schedule this
lists the hook's recent deliveries, and asks GitHub to redeliver every one whose attempts all
failed (our outage, a deploy, a timeout). The webhook's deduplication makes a redelivery of
something that did get through harmless."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

from functions.adapters import vendors
from functions.core.runtime import config, logger

if TYPE_CHECKING:
    from functions.adapters.github import GitHub, HookDelivery, Webhook

# GitHub keeps deliveries for 3 days and only redelivers those; look back a little less.
LOOKBACK = timedelta(hours=70)
MAX_REDELIVERIES = 50  # per sweep: a long outage is caught up over several sweeps, not in one burst
# Attempts of one delivery (GitHub's first one included) after which the sweeper stops asking: a
# delivery our endpoint refuses every time (a bug, a payload it cannot take) would otherwise be
# redelivered on every sweep for as long as GitHub keeps it. It is logged as given up instead,
# with its guid, for a person to look at (and redeliver from GitHub's UI once fixed).
MAX_ATTEMPTS = 5


def sweep(github: GitHub, hook: Webhook, now: datetime) -> dict[str, Any]:
    from functions.adapters.errors import VendorError

    deliveries = github.list_hook_deliveries(hook, since=now - LOOKBACK)
    attempts = Counter(d.guid for d in deliveries)
    succeeded = {d.guid for d in deliveries if d.succeeded}
    latest: dict[str, HookDelivery] = {}
    first: dict[str, int] = {}
    for delivery in deliveries:  # newest first: the first seen per guid is its latest attempt
        if delivery.guid not in succeeded:
            latest.setdefault(delivery.guid, delivery)
            first[delivery.guid] = delivery.id  # ends as the oldest attempt's id
    failed = sorted(latest.values(), key=lambda d: first[d.guid])  # the oldest event first
    gave_up = [d.guid for d in failed if attempts[d.guid] >= MAX_ATTEMPTS]
    due = [d for d in failed if attempts[d.guid] < MAX_ATTEMPTS]
    redelivered, errors = [], []
    for delivery in due[:MAX_REDELIVERIES]:
        try:
            github.redeliver(hook, delivery.id)
            redelivered.append(delivery.guid)
        except VendorError as exc:
            errors.append({"guid": delivery.guid, "error": str(exc)})
    if gave_up:
        logger.error("deliveries given up", extra={"guids": gave_up, "attempts": MAX_ATTEMPTS})
    logger.info("swept", extra={"failed": len(failed), "redelivered": len(redelivered), "errors": len(errors)})
    return {
        "redelivered": redelivered,
        "failed": errors,
        "gave_up": gave_up,
        "remaining": max(0, len(due) - MAX_REDELIVERIES),
    }


@logger.inject_lambda_context
def handler(_event: dict[str, Any], _context: Any) -> dict[str, Any]:
    from functions.adapters.github import Webhook

    cfg = config()
    if cfg.github.webhook is None:
        logger.info("no github.webhook configured: nothing to sweep")
        return {"redelivered": [], "failed": [], "gave_up": [], "remaining": 0}
    hook = cfg.github.webhook
    webhook = Webhook(hook.hook_id, repo=hook.repo, org=None if hook.repo else cfg.github.org)
    return sweep(vendors.github(), webhook, datetime.now(UTC))
