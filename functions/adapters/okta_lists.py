"""Okta's lists over plain REST (httpx): users, groups, a group's members and a user's factors,
each page at Okta's largest size, following the `Link: rel="next"` cursor. The access review's
Collect reads these; a cold start through the Okta SDK costs more than the whole step may
(benchmarks/okta_cold.py, README: Vendors), as GitHub's did (functions/adapters/github.py).

Same results as the SDK adapter (functions/adapters/okta.py: `OktaUser`, `OktaGroup`,
`OktaFactor`), the same credentials (an API token, or the service app's private key for a
client-credentials token: functions/adapters/okta_keys.py) and the same retry policy, which
honours `X-Rate-Limit-Reset`."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from datetime import datetime
from typing import TYPE_CHECKING, Any

from functions.adapters.errors import VendorError
from functions.adapters.okta import (
    GROUP_USERS_PAGE_SIZE,
    GROUPS_PAGE_SIZE,
    PAGE_SIZE,
    VENDOR,
    OktaFactor,
    OktaGroup,
    OktaUser,
    credentials,
)
from functions.adapters.retry import DEFAULT_POLICY, RetryPolicy

if TYPE_CHECKING:
    from functions.adapters.okta_keys import _OktaRest
    from functions.core.config import PlatformConfig

READ_SCOPES = ("okta.users.read", "okta.groups.read")


def _when(value: Any) -> datetime | None:
    return datetime.fromisoformat(str(value).replace("Z", "+00:00")) if value else None


def _user(data: Mapping[str, Any]) -> OktaUser:
    profile = dict(data.get("profile") or {})
    return OktaUser(
        id=str(data["id"]),
        login=str(profile.get("login") or ""),
        email=str(profile.get("email") or ""),
        first_name=str(profile.get("firstName") or ""),
        last_name=str(profile.get("lastName") or ""),
        status=str(data.get("status") or ""),
        last_login=_when(data.get("lastLogin")),
        created=_when(data.get("created")),
        profile=profile,
    )


class OktaLists:
    def __init__(
        self,
        org_url: str,
        *,
        api_token: str | None = None,
        client_id: str | None = None,
        private_key: str | None = None,
        key_id: str | None = None,
        policy: RetryPolicy = DEFAULT_POLICY,
        timeout_s: float = 10.0,
        page_size: int = PAGE_SIZE,
    ) -> None:
        from functions.adapters.okta_keys import OktaKeys, Signer, _OktaRest

        if bool(api_token) == bool(client_id and private_key):
            raise ValueError("give either api_token, or client_id and private_key")
        self.page_size = page_size
        self._keys = OktaKeys(org_url, client_id or "", policy=policy, timeout_s=timeout_s) if client_id else None
        self._signer = Signer(private_key or "", key_id or "") if private_key else None
        self._token: str | None = None

        def headers() -> dict[str, str]:
            if api_token:
                return {"Authorization": f"SSWS {api_token}", "Accept": "application/json"}
            return {"Authorization": f"Bearer {self._bearer()}", "Accept": "application/json"}

        def forget() -> bool:  # a token Okta no longer takes: one more try with a new one
            dropped, self._token = self._token is not None, None
            return dropped

        self._rest: _OktaRest = _OktaRest(
            VENDOR,
            org_url.rstrip("/"),
            headers,
            request_id_header="X-Okta-Request-Id",
            policy=policy,
            timeout_s=timeout_s,
            on_unauthorized=None if api_token else forget,
        )

    def _bearer(self) -> str:
        if self._token is None:
            if self._keys is None or self._signer is None:
                raise VendorError(VENDOR, "get token", None, "no service app key to get a token with")
            self._token = self._keys.token(self._signer, READ_SCOPES)
        return self._token

    @classmethod
    def from_config(cls, config: PlatformConfig, *, policy: RetryPolicy = DEFAULT_POLICY) -> OktaLists:
        url, auth = credentials(config)
        return cls(url, **auth, policy=policy)

    def close(self) -> None:
        self._rest.close()

    def _pages(self, operation: str, path: str, params: Mapping[str, Any]) -> Iterator[dict[str, Any]]:
        url: str | None = path
        query: Mapping[str, Any] | None = params
        while url:
            response = self._rest.request(operation, "GET", url, params=query)
            yield from response.json() or []
            url = response.links.get("next", {}).get("url")
            query = None  # the next link carries the cursor and the limit

    def iter_users(self, *, filter: str | None = None) -> Iterator[OktaUser]:
        """Every user (DEPROVISIONED ones only through `filter`, as Okta lists them)."""
        params: dict[str, Any] = {"limit": self.page_size, **({"filter": filter} if filter else {})}
        return (_user(u) for u in self._pages("list users", "/api/v1/users", params))

    def iter_groups(self) -> Iterator[OktaGroup]:
        for g in self._pages("list groups", "/api/v1/groups", {"limit": GROUPS_PAGE_SIZE}):
            yield OktaGroup(
                id=str(g["id"]),
                name=str((g.get("profile") or {}).get("name") or ""),
                group_type=str(g.get("type") or ""),
            )

    def iter_group_users(self, group_id: str) -> Iterator[OktaUser]:
        path = f"/api/v1/groups/{group_id}/users"
        return (_user(u) for u in self._pages("list group users", path, {"limit": GROUP_USERS_PAGE_SIZE}))

    def list_factors(self, user_id: str) -> list[OktaFactor]:
        found = self._rest.request("list factors", "GET", f"/api/v1/users/{user_id}/factors").json() or []
        return [
            OktaFactor(
                id=str(f["id"]),
                factor_type=str(f.get("factorType") or ""),
                provider=str(f.get("provider") or ""),
                status=str(f.get("status") or ""),
            )
            for f in found
        ]
