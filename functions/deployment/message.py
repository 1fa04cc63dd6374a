"""The deploy's one Slack message (Block Kit), rendered afresh from the state at each stage and
updated in place with chat.update: the channel sees one message per deploy, never one per step."""

from __future__ import annotations

from typing import Any

from functions.core.text import mrkdwn
from functions.deployment.models import Deploy

# stage -> (emoji, headline)
STAGES: dict[str, tuple[str, str]] = {
    "waiting": (":hourglass_flowing_sand:", "Waiting for the deploy before it"),
    "approval": (":raised_hand:", "Waiting for approval"),
    "deploying": (":rocket:", "Deploying"),
    "syncing": (":arrows_counterclockwise:", "Syncing"),
    "progressing": (":arrows_counterclockwise:", "Rolling out"),
    "stabilizing": (":eyes:", "Healthy, watching it stay so"),
    "succeeded": (":white_check_mark:", "Deployed"),
    "unchanged": (":white_check_mark:", "Already running"),
    "rolling_back": (":rewind:", "Failed, rolling back"),
    "rolled_back": (":x:", "Failed, rolled back"),
    "failed": (":x:", "Failed"),
    "rollback_failed": (":rotating_light:", "Failed, and the rollback failed too"),
    "refused": (":no_entry:", "Refused"),
    "denied": (":no_entry_sign:", "Not approved"),
    "error": (":warning:", "Error"),
}


def _short(sha: str | None) -> str:
    return (sha or "")[:7]


def render(state: Deploy, stage: str, detail: str, events: list[str]) -> tuple[str, list[dict[str, Any]]]:
    """(notification text, blocks) of the message at `stage`."""
    target = state.target
    emoji, headline = STAGES.get(stage, (":grey_question:", stage))
    head = f"{emoji} *{headline}*: *{target.service}* `{target.version}` to *{target.environment}*"
    text = f"{headline}: {target.service} {target.version} to {target.environment}"
    if detail:  # Argo CD's and the vendors' own words (health messages, errors): text only
        head += f"\n{mrkdwn(detail)}"
        text += f": {detail}"
    fields: list[str] = []
    change = state.change
    if change is not None and change.running_version:
        fields.append(f"*Version*\n`{change.running_version}` → `{target.version}`")
    elif target.version:
        fields.append(f"*Version*\n`{target.version}`")
    if change is not None and change.commit_count:
        commits = f"{change.commit_count} commit{'s' if change.commit_count != 1 else ''}"
        fields.append(f"*Changes*\n<{change.compare_url}|{commits}>" if change.compare_url else f"*Changes*\n{commits}")
    if target.commit:
        fields.append(f"*Commit*\n<{target.commit_url}|{_short(target.commit)}>" if target.commit_url else "")
    fields.append(f"*Argo CD*\n`{target.argocd_app}`")
    if state.deployment is not None:
        fields.append(f"*GitHub deployment*\n{state.deployment.repo} #{state.deployment.id}")
    if state.gitops is not None and state.gitops.changed:
        fields.append(f"*GitOps commit*\n`{_short(state.gitops.commit)}`")
    who = f"*Requested by*\n{mrkdwn(target.requested_by)} ({mrkdwn(target.trigger)})"
    if state.approval is not None and state.approval.approver:
        who += f"\n*Approved by* {mrkdwn(state.approval.approver)}"
    fields.append(who)
    blocks: list[dict[str, Any]] = [
        {"type": "section", "text": {"type": "mrkdwn", "text": head}},
        {"type": "section", "fields": [{"type": "mrkdwn", "text": f} for f in fields if f][:10]},
    ]
    if events:
        blocks.append({"type": "context", "elements": [{"type": "mrkdwn", "text": "\n".join(events[-12:])}]})
    return text, blocks
