"""The drill's record and its messages: the evidence (JSON, and an HTML page beside it) with each
target's change against its previous drill; a Slack summary; a PagerDuty incident when a
critical-tier target failed."""

from __future__ import annotations

from functools import partial
from typing import TYPE_CHECKING, Any

from functions.core.change import ChangeContext
from functions.core.text import mrkdwn, one_line
from functions.dr_drill import html, timing, trend
from functions.dr_drill.assess import assess, by_tier
from functions.dr_drill.models import JobResult, Plan

if TYPE_CHECKING:
    from mypy_boto3_s3.client import S3Client

    from functions.adapters.pagerduty import PagerDuty
    from functions.adapters.slack import Slack

PAGED_TIER = "critical"


def report(drill: Plan, results: list[JobResult], bucket: str, s3: S3Client, changes: ChangeContext) -> dict[str, Any]:
    targets = [assess(r, drill.dry_run) for r in results]
    previous = (
        {} if drill.dry_run else trend.previous_results(s3, bucket, drill.execution_id, {t["target"] for t in targets})
    )
    for target in targets:
        target["trend"] = trend.compare(target, previous.get(target["target"]))
    passed = sum(t["passed"] for t in targets)
    now = timing.now()
    summary = f"{'dry run' if drill.dry_run else 'drill'}: {passed}/{len(targets)} targets passed"
    critical_failed = [t["target"] for t in targets if t["tier"] == PAGED_TIER and not t["passed"]]
    evidence = {
        "execution_id": drill.execution_id,
        "started": drill.started,
        "finished_at": now.isoformat(),
        "dry_run": drill.dry_run,
        "summary": summary,
        "tiers": by_tier(targets),
        "targets": targets,
        "results": [r.model_dump(mode="json") for r in results],
    }
    location = changes.keep_evidence(
        s3, bucket, trend.KIND, evidence, at=now, after={"passed": passed, "of": len(targets)}
    )
    page = location.removesuffix(".json") + ".html"
    key = page.removeprefix(f"s3://{bucket}/")
    s3.put_object(Bucket=bucket, Key=key, Body=html.render(evidence).encode(), ContentType="text/html")
    changes.record("aws", "s3:PutObject", page, after={"report": "html"})
    problems = [f"{t['target']}: {p}" for t in targets for p in t["problems"]]
    return {
        "passed": passed == len(targets),
        "summary": summary,
        # The Fail state's cause: what went wrong, not just how many, so the alarm says it.
        "cause": "; ".join([summary, *problems])[:4000],
        "evidence": location,
        "report": page,
        "tiers": evidence["tiers"],
        "critical_failed": critical_failed,
        "dry_run": drill.dry_run,
        "targets": targets,
    }


def _line(target: dict[str, Any]) -> str:
    mark = ":white_check_mark:" if target["passed"] else ":x:"
    rto = target["rto_achieved_minutes"]
    head = (
        f"{mark} *{mrkdwn(target['target'])}* ({mrkdwn(target['tier'])}, {target['kind']} {target['method']}): "
        f"RTO {'-' if rto is None else rto}/{target['rto_minutes']} min, "
        f"RPO {target['rpo_achieved_minutes'] if target['rpo_achieved_minutes'] is not None else '-'}"
        f"/{target['rpo_minutes']} min"
    )
    extra = [
        *target["problems"][:3],
        *target.get("findings", [])[:2],
        *([target["trend"]["text"]] if target.get("trend") and target["trend"]["text"] else []),
    ]
    # Problems and findings carry config and AWS text (names, error messages): literal, one line each.
    return head + "".join(f"\n    • {mrkdwn(one_line(e))}" for e in extra)


def summary_text(outcome: dict[str, Any], execution_id: str) -> str:
    lines = [f"*DR {outcome['summary']}* (`{execution_id}`)", *(_line(t) for t in outcome["targets"])]
    lines.append(f"Report: {outcome['report']}")
    return "\n".join(lines)


def notify(
    outcome: dict[str, Any],
    execution_id: str,
    channel: str,
    *,
    slack: Slack,
    pagerduty: PagerDuty | None,
    changes: ChangeContext,
) -> dict[str, Any]:
    """Post the summary; page when a critical-tier target failed (not in a dry run: nothing was restored)."""
    text = summary_text(outcome, execution_id)
    message = slack.post_message(channel, text, [{"type": "section", "text": {"type": "mrkdwn", "text": text[:3000]}}])
    result: dict[str, Any] = {"slack": {"channel": channel, "ts": message.ts}, "pagerduty": {"action": "none"}}
    critical = outcome["critical_failed"]
    if not critical:
        return result
    if pagerduty is None:
        result["pagerduty"] = {"action": "none", "note": "a critical target failed, but there is no pagerduty section"}
        return result
    key = f"dr-drill/{execution_id}"
    details = {t["target"]: t["problems"] for t in outcome["targets"] if t["target"] in critical}
    summary = f"DR drill: critical target(s) {', '.join(critical)} failed their recovery test"
    opened = changes.change(
        "pagerduty",
        "events.trigger",
        key,
        partial(
            pagerduty.trigger, key, summary[:1024], "platform-automation/dr-drill", "critical", custom_details=details
        ),
        line=f"triggered {key}",
        after={"severity": "critical", "summary": summary},
    )
    result["pagerduty"] = (
        {"action": "none", "note": f"dry run: {changes.summary[-1]}"}
        if opened is None
        else {"action": "trigger", "dedup_key": opened, "targets": critical}
    )
    return result
