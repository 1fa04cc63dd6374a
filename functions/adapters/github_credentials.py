"""GitHub endpoints that carry the platform's secrets: a webhook's configuration (its `secret`)
and its `ping` (a delivery signed with it, whose answer GitHub lists), and GitHub Actions secrets,
which GitHub takes only encrypted with the repository's (or the organisation's) public key as a
libsodium sealed box.

Built on the GitHub adapter's client, so it shares its App token, retries and error mapping.
"""

from __future__ import annotations

import base64
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING
from urllib.parse import quote

if TYPE_CHECKING:
    from functions.adapters.github import Webhook
    from functions.adapters.rest import RestClient


@dataclass(frozen=True)
class ActionsTarget:
    """A repository ("owner/name") or an organisation's Actions secrets."""

    repo: str | None = None
    org: str | None = None

    @property
    def path(self) -> str:
        if self.repo:
            owner, _, name = self.repo.partition("/")
            return f"/repos/{quote(owner, safe='')}/{quote(name, safe='')}/actions/secrets"
        return f"/orgs/{quote(self.org or '', safe='')}/actions/secrets"


def seal(public_key_b64: str, value: str) -> str:
    """`value` encrypted for GitHub: a sealed box to the base64 public key, base64-encoded."""
    from nacl.public import PublicKey, SealedBox

    box = SealedBox(PublicKey(base64.b64decode(public_key_b64)))
    return base64.b64encode(box.encrypt(value.encode())).decode()


class GitHubCredentials:
    def __init__(self, rest: RestClient) -> None:
        self._rest = rest

    def hook_config(self, hook: Webhook) -> dict[str, object]:
        """The hook's url, content_type, insecure_ssl and (masked) secret."""
        return dict(self._rest.json("get webhook config", "GET", f"{hook.path}/config") or {})

    def set_hook_secret(self, hook: Webhook, secret: str) -> None:
        """Only the secret changes: GitHub keeps the fields a PATCH leaves out."""
        self._rest.json("update webhook config", "PATCH", f"{hook.path}/config", json={"secret": secret})

    def ping(self, hook: Webhook) -> None:
        """GitHub sends the hook a `ping` event, signed with the hook's secret."""
        self._rest.request("ping webhook", "POST", f"{hook.path}/pings")

    def ping_delivery(self, hook: Webhook, since: datetime) -> tuple[str, int] | None:
        """(guid, the status the hook's endpoint answered) of the newest `ping` delivered at or after
        `since` (GitHub keeps delivery times to the second); None while there is none yet."""
        start = since.replace(microsecond=0)
        deliveries = self._rest.json("list hook deliveries", "GET", f"{hook.path}/deliveries", params={"per_page": 30})
        for item in deliveries or []:  # newest first
            if item.get("event") == "ping" and datetime.fromisoformat(item["delivered_at"]) >= start:
                return str(item["guid"]), int(item.get("status_code") or 0)
        return None

    def public_key(self, target: ActionsTarget) -> tuple[str, str]:
        """(key_id, base64 public key) to encrypt Actions secrets for `target`."""
        data = self._rest.json("get actions public key", "GET", f"{target.path}/public-key")
        return str(data["key_id"]), str(data["key"])

    def put_secret(self, target: ActionsTarget, name: str, value: str) -> None:
        """Create or update one Actions secret (idempotent: the same value again changes nothing a
        workflow can see)."""
        key_id, key = self.public_key(target)
        body: dict[str, str] = {"encrypted_value": seal(key, value), "key_id": key_id}
        if target.org and not target.repo:
            body["visibility"] = "private"
        self._rest.request("set actions secret", "PUT", f"{target.path}/{quote(name, safe='')}", json=body)

    def secret_updated_at(self, target: ActionsTarget, name: str) -> str | None:
        response = self._rest.request("get actions secret", "GET", f"{target.path}/{quote(name, safe='')}", ok=(404,))
        return None if response.status_code == 404 else str(response.json().get("updated_at"))
