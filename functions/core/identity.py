"""Who a person is across the stack: one record per person, keyed by their Okta identity, with
the account each other system holds for them, and why a link is missing when it is.

The record and the lookup protocol live in core so that the rules that depend on them (who may
decide an approval, who asked) need no vendor code; `functions/adapters/directory.py` implements
the lookup against Okta, GitHub, Slack, IAM, Identity Center and PagerDuty.

A key names one account in one system: an email (`ada@example.com`), or `<system>:<id>` —
`okta:00u1`, `github:ada-l`, `slack:U123`, `iam:ada`, `identity_center:9067…`, `pagerduty:P12`.
The platform already writes a GitHub author without a public email as `github:<login>`.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Protocol

SYSTEMS = ("okta", "github", "slack", "iam", "identity_center", "pagerduty")
ACTIVE = "ACTIVE"


def split_key(key: str) -> tuple[str, str]:
    """(system, id) of a key; an email is ("email", the lower-cased address)."""
    key = key.strip()
    system, sep, value = key.partition(":")
    if sep and system in SYSTEMS and value:
        return system, value if system != "github" else value.lower()
    if "@" in key and not sep:
        return "email", key.lower()
    raise ValueError(f"{key!r} is not a person's key: an email, or one of {', '.join(SYSTEMS)} as <system>:<id>")


@dataclass(frozen=True)
class Person:
    """One person as the directory knows them. `okta_status` None: not in Okta at all."""

    email: str
    name: str = ""
    okta_id: str | None = None
    okta_status: str | None = None
    github: str | None = None
    slack: str | None = None
    iam_users: tuple[str, ...] = ()
    identity_center: str | None = None
    pagerduty: str | None = None
    missing: Mapping[str, str] = field(default_factory=dict)  # system -> why there is no link

    @property
    def active(self) -> bool:
        return self.okta_status == ACTIVE

    def identifiers(self) -> frozenset[str]:
        """Every key this person answers to."""
        found = {self.email.lower()}
        for system, value in (
            ("okta", self.okta_id),
            ("github", self.github.lower() if self.github else None),
            ("slack", self.slack),
            ("identity_center", self.identity_center),
            ("pagerduty", self.pagerduty),
        ):
            if value:
                found.add(f"{system}:{value}")
        found.update(f"iam:{name}" for name in self.iam_users)
        return frozenset(found)

    def is_(self, key: str) -> bool:
        """Whether `key` names this person (any of their accounts)."""
        system, value = split_key(key)
        return (value if system == "email" else f"{system}:{value}") in self.identifiers()


class Directory(Protocol):
    """Resolves a key to its person (None: nobody the directory can find)."""

    def person(self, key: str) -> Person | None: ...

    def active(self, key: str) -> bool:
        """Whether `key` names a person active in Okta now (one Okta read, nothing else)."""
        ...

    def people(self, keys: Iterable[str]) -> dict[str, Person | None]: ...

    @property
    def github_link(self) -> str:
        """Where a person's GitHub login comes from (an Okta attribute, or SAML identities)."""
        ...
