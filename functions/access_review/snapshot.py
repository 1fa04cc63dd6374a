"""The campaign's snapshot: one JSON-lines file per system in the evidence bucket, and the
identity directory run over it (the same linking rules, no second read of any vendor)."""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from datetime import datetime
from typing import TYPE_CHECKING, Any, cast

from functions.adapters.aws_identity import IcUser
from functions.adapters.directory import Directory
from functions.adapters.okta import OktaUser
from functions.adapters.pagerduty import PdUser
from functions.adapters.slack import SlackUser

if TYPE_CHECKING:
    from mypy_boto3_s3.client import S3Client

    from functions.core.config import PlatformConfig

PREFIX = "access-review"


def key(campaign: str, name: str) -> str:
    return f"{PREFIX}/{campaign}/{name}"


def put_lines(s3: S3Client, bucket: str, object_key: str, records: Iterable[dict[str, Any]]) -> int:
    lines = [json.dumps(r, sort_keys=True, default=str) for r in records]
    body = ("\n".join(lines) + "\n").encode() if lines else b""
    s3.put_object(Bucket=bucket, Key=object_key, Body=body, ContentType="application/x-ndjson")
    return len(lines)


def read_lines(s3: S3Client, bucket: str, object_key: str) -> list[dict[str, Any]]:
    body = s3.get_object(Bucket=bucket, Key=object_key)["Body"].read().decode()
    return [json.loads(line) for line in body.splitlines() if line.strip()]


def when(value: Any) -> datetime | None:
    if not value:
        return None
    return datetime.fromisoformat(str(value).replace("Z", "+00:00"))


class Snapshot:
    """Every system's records, by kind."""

    def __init__(self, systems: dict[str, list[dict[str, Any]]]) -> None:
        self.systems = systems
        self._by_kind: dict[tuple[str, str], list[dict[str, Any]]] = {}

    def of(self, system: str, kind: str) -> list[dict[str, Any]]:
        if (system, kind) not in self._by_kind:  # every rule reads the same lists: sort them once
            self._by_kind[system, kind] = [r for r in self.systems.get(system, []) if r.get("kind") == kind]
        return self._by_kind[system, kind]

    def has(self, system: str) -> bool:
        return system in self.systems

    def directory(self, config: PlatformConfig) -> Directory:
        """The identity directory over this snapshot, loaded: every link as the live one makes it."""
        # Each system's stand-in built once: the directory asks its provider on every lookup.
        okta = _Okta([okta_user(r) for r in self.of("okta", "user")])
        slack = _Slack(self.of("slack", "user")) if self.has("slack") else None
        pagerduty = _PagerDuty(self.of("pagerduty", "user")) if self.has("pagerduty") else None
        iam = _Iam(self.of("iam", "user")) if self.has("iam") else None
        center = _IdentityCenter(self.of("identity_center", "user")) if self.has("identity_center") else None
        saml = {r["login"]: r["name_id"] for r in self.of("github", "saml_identity")}
        directory = Directory(
            okta=lambda: cast(Any, okta),
            github_attribute=config.identity.github_attribute,
            github_saml=(lambda: dict(saml)) if config.identity.github_link == "saml" else None,
            iam_email_tag=config.identity.iam_email_tag,
            slack=(lambda: cast(Any, slack)) if slack is not None else None,
            pagerduty=(lambda: cast(Any, pagerduty)) if pagerduty is not None else None,
            iam=(lambda: cast(Any, iam)) if iam is not None else None,
            identity_center=(lambda: cast(Any, center)) if center is not None else None,
        )
        directory.load()
        return directory


def okta_user(r: dict[str, Any]) -> OktaUser:
    return OktaUser(
        id=r["id"],
        login=r.get("login") or r["email"],
        email=r["email"],
        first_name=r.get("first_name", ""),
        last_name=r.get("last_name", ""),
        status=r["status"],
        last_login=when(r.get("last_login")),
        created=when(r.get("created")),
        profile=r.get("profile") or {},
    )


class _Okta:
    def __init__(self, users: list[OktaUser]) -> None:
        self.users = users

    def iter_users(self, *, filter: str | None = None, search: str | None = None) -> Iterator[OktaUser]:  # noqa: ARG002
        deprovisioned = filter is not None and "DEPROVISIONED" in filter
        return iter([u for u in self.users if (u.status == "DEPROVISIONED") == deprovisioned])


class _Slack:
    def __init__(self, users: list[dict[str, Any]]) -> None:
        self.users = [
            SlackUser(
                u["id"],
                u.get("name", ""),
                u.get("email"),
                u.get("real_name", ""),
                u["deleted"],
                u["is_bot"],
                u.get("guest", False),
            )
            for u in users
        ]
        self.by_id = {u.id: u for u in self.users}

    def list_users(self) -> list[SlackUser]:
        return self.users

    def user_by_id(self, user_id: str) -> SlackUser | None:
        return self.by_id.get(user_id)


class _PagerDuty:
    def __init__(self, users: list[dict[str, Any]]) -> None:
        self.users = [PdUser(u["id"], u.get("name", ""), u["email"], u.get("role")) for u in users]
        self.by_id = {u.id: u for u in self.users}

    def list_users(self) -> list[PdUser]:
        return self.users

    def get_user(self, user_id: str) -> PdUser | None:
        return self.by_id.get(user_id)


class _IdentityCenter:
    def __init__(self, users: list[dict[str, Any]]) -> None:
        self.users = [IcUser(u["user_id"], u["user_name"], None, u.get("email"), None, None) for u in users]
        self.by_id = {u.user_id: u for u in self.users}

    def list_users(self) -> list[IcUser]:
        return self.users

    def find_user_by_id(self, user_id: str) -> IcUser | None:
        return self.by_id.get(user_id)


class _Iam:
    def __init__(self, users: list[dict[str, Any]]) -> None:
        self.owners_ = {u["name"]: u["owner"] for u in users if u.get("owner")}

    def owners(self, tag_key: str) -> dict[str, str]:  # noqa: ARG002 - the collect step read the tag
        return self.owners_
