"""GitHub issue forms as GitHub renders them: each field is `### <label>` followed by its value,
`_No response_` when left empty. Edited bodies, extra whitespace and CRLF line ends are fine;
headings that are not fields of the form are ignored.

The parser reads the body line by line with string methods only: its time is linear in the body
(an issue body holds up to 65,536 characters, all of which a requester controls), where the
regular expression it replaces backtracked quadratically on a long heading (22 s for one
60,000-character line; `benchmarks/forms.py` prints the figure). Values are then held to the
limits in `LIMITS` (`field_problems`) before anything echoes them."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

from functions.core import text

if TYPE_CHECKING:
    from collections.abc import Callable

    from functions.adapters.github import GitHub

NO_RESPONSE = "_No response_"
# The local part is held to the characters real mailboxes use: an address is shown in Slack, in
# issue comments and in emails, and `<!channel>@example.com` must not pass as one.
EMAIL = re.compile(r"^[A-Za-z0-9._%+'-]+@([A-Za-z0-9-]+\.)+[A-Za-z]{2,}$")
_INDENT = " \t"

# The longest value each request field may hold, by request key. A field longer than this is a
# problem the requester is told about (nobody's name is 4,000 characters), never cut silently.
LIMITS = {
    "full_name": 100,  # Okta: firstName and lastName hold 50 characters each
    "email": 254,  # RFC 5321's longest usable address
    "manager": 254,
    "github_username": 39,  # GitHub's longest login
    "team": 63,  # the configuration's team slugs
    "start_date": 10,  # YYYY-MM-DD
    "last_day": 10,
    "reason": 1000,
}
MULTI_LINE = frozenset({"reason"})  # every other field is one line
# Characters no name, login, team or date holds, and which mean markup in Slack, Markdown or HTML.
_MARKUP = frozenset("<>&`")

# Field labels exactly as in .github/ISSUE_TEMPLATE/*.yml, and the request keys they fill.
ONBOARDING_FIELDS = {
    "Full name": "full_name",
    "Email": "email",
    "GitHub username": "github_username",
    "Team": "team",
    "Manager": "manager",
    "Start date": "start_date",
}
OFFBOARDING_FIELDS = {
    "Email": "email",
    "GitHub username": "github_username",
    "Last day": "last_day",
    "Reason": "reason",
}


def code(value: object) -> str:
    """A value echoed in a problem: in an inline code span it cannot leave, one line, cut at 200
    characters (functions/core/text.py). The workflows' validators use it for every value."""
    return text.code(value)


def _normalize(label: str) -> str:
    return " ".join(label.split()).casefold()


def _heading(line: str) -> str | None:
    """The label of a `### label` line (up to three spaces before, closing #s dropped), or None
    when the line is not a level-3 heading. Constant work per character: no backtracking."""
    stripped = line.lstrip(_INDENT)
    if len(line) - len(stripped) > 3 or not stripped.startswith("###"):
        return None
    rest = stripped[3:]
    if rest and rest[0] not in _INDENT:
        return None  # "####" is another level, "###x" is a paragraph
    return rest.strip(_INDENT).rstrip("#").strip(_INDENT)


def sections(body: str) -> dict[str, str | None]:
    """Heading label (as written) → its value, stripped; None for an empty or `_No response_` one.
    Only the lines holding "###" are looked at (found with str.find, each line once), so neither
    60,000 blank lines nor 10,000 headings cost more than a pass over the text."""
    text = (body or "").replace("\r\n", "\n").replace("\r", "\n")
    headings: list[tuple[int, int, str]] = []  # (line start, line end, label)
    found = text.find("###")
    while found != -1:
        start = text.rfind("\n", 0, found) + 1
        end = text.find("\n", found)
        end = len(text) if end == -1 else end
        label = _heading(text[start:end])
        if label is not None:
            headings.append((start, end, label))
        found = text.find("###", end)
    out: dict[str, str | None] = {}
    for position, (_, end, label) in enumerate(headings):
        stop = headings[position + 1][0] if position + 1 < len(headings) else len(text)
        value = text[end:stop].strip()
        out[label] = None if not value or value == NO_RESPONSE else value
    return out


def parse(body: str, fields: dict[str, str]) -> dict[str, str | None]:
    """The form's values by request key; a field that is absent or empty is None."""
    by_label = {_normalize(label): value for label, value in sections(body).items()}
    values: dict[str, str | None] = {}
    for label, key in fields.items():
        value = by_label.get(_normalize(label))
        if value is not None and key == "github_username":
            value = value.removeprefix("@")
        if value is not None and key in {"email", "manager"}:
            value = value.strip("<>").lower()
        values[key] = value
    return values


def email_problem(label: str, value: str, domains: list[str]) -> str | None:
    """Why a form's email field is not acceptable (None: it is). The value is echoed in a code
    span it cannot leave (`code`): these lines go to issue comments and Slack."""
    if not EMAIL.match(value):
        return f"**{label}** {code(value)} is not an email address"
    if value.rsplit("@", 1)[1].lower() not in domains:
        return f"**{label}** {code(value)} is not in an allowed domain ({', '.join(domains)})"
    return None


def field_problems(request: dict[str, object], labels: dict[str, str]) -> list[str]:
    """What is wrong with the shape of each field, before anything looks its value up: too long
    (`LIMITS`), more than one line, control characters, or markup characters in a field that
    never holds them. `labels` maps request key → the form's label. Values are not echoed here:
    a 60,000-character name does not belong in the answer either."""
    problems = []
    for key, value in request.items():
        if not isinstance(value, str) or not value or key not in labels:
            continue
        label, limit = labels[key], LIMITS.get(key)
        if limit is not None and len(value) > limit:
            problems.append(f"**{label}** is {len(value):,} characters long; at most {limit:,} are allowed")
        elif key not in MULTI_LINE and ("\n" in value or "\r" in value):
            problems.append(f"**{label}** must be a single line")
        elif any((ord(c) < 32 and c not in "\n\t") or 0x7F <= ord(c) < 0xA0 for c in value):
            problems.append(f"**{label}** contains control characters")
        elif key not in MULTI_LINE and _MARKUP.intersection(value):
            problems.append(f"**{label}** may not contain {' '.join(code(c) for c in sorted(_MARKUP))}")
    return problems


def untrimmed(detail: dict[str, Any], github: Callable[[], GitHub]) -> dict[str, Any]:
    """The issue event with the whole body: the ingress trims a body too large for the event bus
    and says so in `trimmed` (functions/ingress/github_events.py); the form is then read from
    GitHub itself, so no field is lost. `github` makes the client only when it is needed."""
    trimmed = set(detail.get("trimmed") or [])
    issue = detail.get("issue")
    repo = detail.get("repository")
    if not trimmed & {"issue.body", "*"} or not isinstance(issue, dict) or not isinstance(repo, str):
        return detail
    number = issue.get("number")
    if not isinstance(number, int):
        return detail
    fresh = github().get_issue(repo, number)
    whole = {**issue, "title": fresh.title, "body": fresh.body or "", "labels": list(fresh.labels)}
    return {**detail, "issue": whole, "trimmed": sorted(trimmed - {"issue.body", "issue.title", "*"})}
