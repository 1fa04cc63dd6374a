"""GitHub issue forms as GitHub renders them: each field is `### <label>` followed by its value,
`_No response_` when left empty. Edited bodies, extra whitespace and CRLF line ends are fine;
headings that are not fields of the form are ignored."""

from __future__ import annotations

import re

NO_RESPONSE = "_No response_"
EMAIL = re.compile(r"^[^@\s]+@([A-Za-z0-9-]+\.)+[A-Za-z]{2,}$")
_HEADING = re.compile(r"^[ \t]{0,3}###[ \t]+(.+?)[ \t#]*$", re.MULTILINE)

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


def _normalize(label: str) -> str:
    return " ".join(label.split()).casefold()


def sections(body: str) -> dict[str, str | None]:
    """Heading label (as written) → its value, stripped; None for an empty or `_No response_` one."""
    text = (body or "").replace("\r\n", "\n").replace("\r", "\n")
    matches = list(_HEADING.finditer(text))
    out: dict[str, str | None] = {}
    for index, match in enumerate(matches):
        end = matches[index + 1].start() if index + 1 < len(matches) else len(text)
        value = text[match.end() : end].strip()
        out[match.group(1).strip()] = None if not value or value == NO_RESPONSE else value
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
    """Why a form's email field is not acceptable (None: it is)."""
    if not EMAIL.match(value):
        return f"**{label}** `{value}` is not an email address"
    if value.rsplit("@", 1)[1].lower() not in domains:
        return f"**{label}** `{value}` is not in an allowed domain ({', '.join(domains)})"
    return None
