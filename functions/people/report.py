"""Answering the requester where they asked: a comment (and labels) on the issue, or a reply on
the Slack command's response_url. Every answer is idempotent: a marker in the comment lets a
replay find it instead of posting it twice."""

from __future__ import annotations

from typing import TYPE_CHECKING, Literal

from functions.core.text import cut, mrkdwn, no_mentions
from functions.people.context import Context
from functions.people.intake import NEEDS_INFO
from functions.people.models import Origin

if TYPE_CHECKING:
    from functions.adapters.github import GitHub

Kind = Literal["needs-info", "done", "ended", "failed"]
GITHUB_COMMENT_LIMIT = 65_536  # GitHub refuses a longer comment body
Close = Literal["completed", "not_planned"]


def marker(workflow: str, kind: Kind) -> str:
    return f"<!-- platform-automation:{workflow}:{kind} -->"


def _comment(ctx: Context, origin: Origin, github: GitHub, kind: Kind, text: str) -> None:
    """Post `text` on the issue unless the same answer is already there. Whatever the text holds
    (names, problems, failure lines), it notifies nobody: every `@name` is broken (no_mentions);
    values are in code spans they cannot leave where they are written (functions/core/text.py)."""
    repo, number = origin.issue_ref()
    head = marker(ctx.workflow, kind)
    body = f"{head}\n{cut(no_mentions(text), GITHUB_COMMENT_LIMIT - len(head) - 1)}"
    existing = github.find_comment(repo, number, marker(ctx.workflow, kind))
    if existing is not None and existing.body.strip() == body.strip():
        return
    ctx.change(
        "github",
        "comment on issue",
        f"github:{repo}#{number}",
        lambda: github.comment_on_issue(repo, number, body),
        line=f"commented on {repo}#{number}",
    )


def _reply(ctx: Context, origin: Origin, text: str) -> None:
    """Answer in Slack. The text is the issue comment's (Markdown, with the request's values in
    it), so all of it is escaped for mrkdwn: nothing in it is a Slack link or mention."""
    if not origin.response_url:
        return
    text = mrkdwn(text)
    from functions.adapters.errors import VendorError
    from functions.adapters.slack import respond_to

    url = origin.response_url
    try:
        ctx.change("slack", "respond", "slack:response_url", lambda: respond_to(url, text), line="answered in Slack")
    except VendorError as exc:  # an expired response_url must not fail the workflow; the audit has it all
        ctx.summary.append(f"could not answer in Slack: {exc}")


def needs_info(ctx: Context, origin: Origin, problems: list[str], github: GitHub) -> None:
    lines = "\n".join(f"- {p}" for p in problems)
    text = f"This {ctx.workflow} request cannot be processed yet:\n\n{lines}\n\nNothing has been changed."
    if origin.kind != "github":
        _reply(ctx, origin, text)
        return
    _comment(ctx, origin, github, "needs-info", text + " Edit the issue to fix these and it is checked again.")
    repo, number = origin.issue_ref()
    if NEEDS_INFO not in github.get_issue(repo, number).labels:
        ctx.change(
            "github",
            "add labels",
            f"github:{repo}#{number}",
            lambda: github.add_labels(repo, number, [NEEDS_INFO]),
            line=f"labelled {repo}#{number} {NEEDS_INFO}",
        )


def clear_needs_info(ctx: Context, origin: Origin, github: GitHub) -> None:
    if origin.kind != "github":
        return
    repo, number = origin.issue_ref()
    if NEEDS_INFO in github.get_issue(repo, number).labels:
        ctx.change(
            "github",
            "remove label",
            f"github:{repo}#{number}",
            lambda: github.remove_label(repo, number, NEEDS_INFO),
            line=f"removed {NEEDS_INFO} from {repo}#{number}",
        )


def finish(ctx: Context, origin: Origin, github: GitHub, kind: Kind, text: str, *, close: Close | None) -> None:
    """The final answer: a comment (then close the issue), or a Slack reply."""
    if origin.kind != "github":
        _reply(ctx, origin, text)
        return
    _comment(ctx, origin, github, kind, text)
    repo, number = origin.issue_ref()
    if close is not None and github.get_issue(repo, number).state != "closed":
        ctx.change(
            "github",
            "close issue",
            f"github:{repo}#{number}",
            lambda: github.close_issue(repo, number, close),
            line=f"closed {repo}#{number}",
        )
