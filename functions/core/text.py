"""Putting text people typed where other people read it: Slack messages (mrkdwn), GitHub comments
(Markdown) and failure notes. Every piece of user text goes through one of these on its way out;
docs/security.md ("Hostile input") lists the rules and the tests that hold them.

- Slack: `mrkdwn()` escapes `&`, `<` and `>` (what Slack documents as the whole escaping), so a
  name like `<!channel>` or `<https://evil|Approve here>` is shown, never acted on.
- GitHub: `code()` puts a value in an inline code span it cannot leave (a fence longer than any
  backtick run in it, one line); `no_mentions()` breaks every `@name` so nobody is notified.
- Limits: `fit_blocks()` / `fit_text()` keep a message inside Slack's documented limits (3,000
  characters in a section, 50 blocks, ...), cutting visibly ("… (N more characters)") rather
  than letting Slack refuse the whole message and fail the step.
- Failures: `failure_line()` turns a Step Functions `{Error, Cause}` (a Lambda's Cause carries
  its stack trace) into "ErrorType: first line of the message", with file paths removed.

Standard library only: the ingress imports this on its cold-start path.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence
from typing import Any

ELLIPSIS = "…"

# Slack's documented limits (https://docs.slack.dev/reference/block-kit/blocks).
SLACK_MAX_BLOCKS = 50
SLACK_SECTION_TEXT = 3000
SLACK_FIELD_TEXT = 2000
SLACK_MAX_FIELDS = 10
SLACK_HEADER_TEXT = 150
SLACK_CONTEXT_ELEMENTS = 10
SLACK_CONTEXT_TEXT = 3000
SLACK_BUTTON_TEXT = 75
SLACK_MESSAGE_TEXT = 40_000  # chat.postMessage `text`; Slack truncates longer, we cut visibly first

# --- Slack --------------------------------------------------------------------------------------


def mrkdwn(value: object) -> str:
    """`value` as literal text inside Slack mrkdwn: `&`, `<`, `>` escaped, nothing else touched
    (Slack: "you shouldn't HTML entity-encode the entire text"). `<!channel>`, `<@U123>` and
    `<https://x|label>` become visible text; `*bold*` stays formatting, which is harmless."""
    return str(value).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def cut(text: str, limit: int) -> str:
    """`text` in at most `limit` characters, saying how much was left out when it was cut."""
    if len(text) <= limit:
        return text
    # The note's own length depends on the number it reports; size it for the worst case.
    note_room = len(f"{ELLIPSIS} ({len(text)} more characters)")
    keep = max(0, limit - note_room)
    return f"{text[:keep]}{ELLIPSIS} ({len(text) - keep} more characters)"[:limit]


def fit_text(text: str, limit: int = SLACK_MESSAGE_TEXT) -> str:
    return cut(text, limit)


def _fit_text_object(obj: Any, limit: int) -> Any:
    if isinstance(obj, Mapping) and isinstance(obj.get("text"), str) and len(obj["text"]) > limit:
        return {**obj, "text": cut(obj["text"], limit)}
    return obj


def _fit_block(block: Mapping[str, Any]) -> dict[str, Any]:
    fitted = dict(block)
    kind = fitted.get("type")
    if kind == "section":
        fitted["text"] = _fit_text_object(fitted.get("text"), SLACK_SECTION_TEXT)
        if fitted["text"] is None:
            del fitted["text"]
        fields = fitted.get("fields")
        if isinstance(fields, list):
            kept = [_fit_text_object(f, SLACK_FIELD_TEXT) for f in fields[:SLACK_MAX_FIELDS]]
            if len(fields) > SLACK_MAX_FIELDS:
                last = kept[-1] if isinstance(kept[-1], Mapping) else {"type": "mrkdwn", "text": ""}
                note = f"{ELLIPSIS} and {len(fields) - SLACK_MAX_FIELDS + 1} more fields not shown"
                kept[-1] = {**last, "text": note}
            fitted["fields"] = kept
    elif kind == "header":
        fitted["text"] = _fit_text_object(fitted.get("text"), SLACK_HEADER_TEXT)
    elif kind == "context":
        elements = fitted.get("elements")
        if isinstance(elements, list):
            kept = [_fit_text_object(e, SLACK_CONTEXT_TEXT) for e in elements[:SLACK_CONTEXT_ELEMENTS]]
            if len(elements) > SLACK_CONTEXT_ELEMENTS:
                note = f"{ELLIPSIS} and {len(elements) - SLACK_CONTEXT_ELEMENTS + 1} more not shown"
                kept[-1] = {"type": "mrkdwn", "text": note}
            fitted["elements"] = kept
    elif kind == "actions":
        elements = fitted.get("elements")
        if isinstance(elements, list):
            fitted["elements"] = [
                {**e, "text": _fit_text_object(e.get("text"), SLACK_BUTTON_TEXT)}
                if isinstance(e, Mapping) and e.get("type") == "button"
                else e
                for e in elements
            ]
    return fitted


def fit_blocks(blocks: Sequence[Mapping[str, Any]] | None) -> list[dict[str, Any]] | None:
    """`blocks` within Slack's limits: long texts cut with a visible note, and past 50 blocks the
    last one kept says how many were left out. Blocks already within the limits are unchanged."""
    if blocks is None:
        return None
    fitted = [_fit_block(block) for block in blocks]
    if len(fitted) <= SLACK_MAX_BLOCKS:
        return fitted
    # Keep an actions block (the approval buttons) when the cut would drop it.
    actions = [b for b in fitted[SLACK_MAX_BLOCKS - 1 :] if b.get("type") == "actions"][:1]
    kept = fitted[: SLACK_MAX_BLOCKS - 1 - len(actions)]
    left_out = len(fitted) - len(kept) - len(actions)
    note = {"type": "context", "elements": [{"type": "mrkdwn", "text": f"{ELLIPSIS} {left_out} more blocks not shown"}]}
    return [*kept, note, *actions]


# --- GitHub -------------------------------------------------------------------------------------

# An @ that GitHub would read as a mention (@user, @org/team): at the start or after a character
# that cannot be part of a login or an email's local part.
_MENTION = re.compile(r"(?<![A-Za-z0-9._%+'-])@(?=[A-Za-z0-9])")
ZERO_WIDTH_SPACE = "\u200b"
_LINE_BREAKS = re.compile(r"[\r\n\u2028\u2029\x85\x0b\x0c]+")
_BACKTICKS = re.compile(r"`+")


def no_mentions(text: str) -> str:
    """`@name` → `@\u200bname`: reads the same, notifies nobody (GitHub needs `@` directly
    followed by the login). Emails (`a@b.c`) are left as they are: GitHub does not mention there."""
    return _MENTION.sub("@" + ZERO_WIDTH_SPACE, text)


def one_line(value: object) -> str:
    """Line breaks (every kind Markdown or a terminal honours) become spaces."""
    return _LINE_BREAKS.sub(" ", str(value)).strip()


def code(value: object, limit: int = 200) -> str:
    """`value` as a Markdown inline code span nothing in it can close: one line, fenced with more
    backticks than its longest run (CommonMark), padded when it starts or ends with one. Inside a
    code span GitHub renders no mention, link, image or HTML."""
    text = cut(one_line(value), limit)
    longest = max((len(run) for run in _BACKTICKS.findall(text)), default=0)
    fence = "`" * (longest + 1)
    pad = " " if text.startswith("`") or text.endswith("`") or not text.strip() else ""
    return f"{fence}{pad}{text}{pad}{fence}"


# --- failures -----------------------------------------------------------------------------------

# Paths of files (a stack trace's "File "/var/task/x.py", line 3", "/opt/python/...",
# "C:\\x\\y.py"), not URLs (whose "/" follow a host name or "//").
_TRACE_LINE = re.compile(r'File "[^"]*", line \d+(, in \S+)?')
_POSIX_PATH = re.compile(r"(?<![\w:/.~-])/(?:[\w.@+-]+/)+[\w.@+-]*")
_WINDOWS_PATH = re.compile(r"\b[A-Za-z]:\\(?:[^\\\s]+\\)*[^\\\s]*")
FAILURE_LIMIT = 300


def _strip_paths(text: str) -> str:
    text = _TRACE_LINE.sub("(trace omitted)", text)
    text = _POSIX_PATH.sub("<path>", text)
    return _WINDOWS_PATH.sub("<path>", text)


def first_line(message: object) -> str:
    """The first non-blank line of a message, anything from a traceback on dropped."""
    text = str(message or "").split("Traceback (most recent call last)", 1)[0]
    return next((line.strip() for line in text.splitlines() if line.strip()), "")


def lambda_message(cause: str) -> str:
    """The `errorMessage` of a Lambda's Cause (its JSON error payload), else the Cause itself."""
    try:
        payload = json.loads(cause)
    except (json.JSONDecodeError, TypeError):
        return cause
    return str(payload.get("errorMessage", cause)) if isinstance(payload, dict) else cause


def failure_line(error: object, cause: object = "", limit: int = FAILURE_LIMIT) -> str:
    """`ErrorType: one-line message` for a Step Functions failure: a Lambda's Cause is JSON with
    `errorType`, `errorMessage` and `stackTrace`; the trace is dropped, only the message's first
    line is kept, file paths are removed and the line is capped at `limit` characters."""
    kind, message = str(error or "Error"), cause
    if isinstance(cause, str) and cause.lstrip().startswith("{"):
        try:
            parsed = json.loads(cause)
        except json.JSONDecodeError:
            parsed = None
        if isinstance(parsed, dict):
            kind = str(parsed.get("errorType") or kind)
            message = parsed.get("errorMessage") or parsed.get("Cause") or ""
    elif isinstance(cause, Mapping):
        kind = str(cause.get("errorType") or kind)
        message = cause.get("errorMessage") or ""
    line = _strip_paths(first_line(message))
    kind = _strip_paths(first_line(kind)) or "Error"
    return cut(f"{kind}: {line}" if line else kind, limit)
