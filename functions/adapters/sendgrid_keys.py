"""SendGrid API keys (`/v3/api_keys`, sendgrid-api-keys-v3.json) through the `sendgrid` SDK's
fluent client: create a key with given scopes, read one, delete one. Every call is made as a
given key, so a rotation can prove the new key works by using it.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from functions.adapters import endpoints, redaction
from functions.adapters.errors import VendorError
from functions.adapters.retry import DEFAULT_POLICY, RetryPolicy, retry_after_seconds

VENDOR = "sendgrid"


@dataclass(frozen=True)
class ApiKey:
    id: str
    name: str
    scopes: tuple[str, ...] = ()


class SendGridKeys:
    def __init__(
        self,
        *,
        base_url: str | None = None,
        policy: RetryPolicy = DEFAULT_POLICY,
        timeout_s: float = 10.0,
    ) -> None:
        self.base_url = base_url or endpoints.base_url(VENDOR)
        self.policy = policy
        self.timeout_s = timeout_s

    def _api(self, as_key: str) -> Any:
        import sendgrid

        client = sendgrid.SendGridAPIClient(api_key=as_key, host=self.base_url)
        client.client.timeout = self.timeout_s
        return client.client.api_keys

    def _call(self, operation: str, fn: Any, ok: tuple[int, ...] = ()) -> Any:
        def attempt() -> Any:
            from python_http_client.exceptions import HTTPError

            try:
                response = fn()
            except HTTPError as exc:
                if int(exc.status_code) in ok:
                    return None
                raise _error(operation, exc) from exc
            except OSError as exc:
                raise VendorError(VENDOR, operation, None, f"connection failed: {type(exc).__name__}") from exc
            return json.loads(response.body) if response.body else {}

        return self.policy.call(attempt)

    def create(self, as_key: str, name: str, scopes: tuple[str, ...]) -> tuple[ApiKey, str]:
        """A new key with these scopes: (the key, its secret value, shown by SendGrid only now)."""
        body = self._call(
            "create api key", lambda: self._api(as_key).post(request_body={"name": name, "scopes": list(scopes)})
        )
        value = str(body["api_key"])
        redaction.register(value)
        return ApiKey(str(body["api_key_id"]), str(body.get("name", name)), tuple(body.get("scopes") or ())), value

    def get(self, as_key: str, key_id: str) -> ApiKey | None:
        body = self._call("get api key", lambda: self._api(as_key)._(key_id).get(), ok=(404,))
        if body is None:
            return None
        # The description answers {"result": [{api_key_id, name, scopes}]}.
        result = body.get("result")
        item = result[0] if isinstance(result, list) and result else body
        return ApiKey(str(item.get("api_key_id", key_id)), str(item.get("name", "")), tuple(item.get("scopes") or ()))

    def list(self, as_key: str) -> list[ApiKey]:
        body = self._call("list api keys", lambda: self._api(as_key).get())
        return [ApiKey(str(k["api_key_id"]), str(k.get("name", ""))) for k in body.get("result") or []]

    def delete(self, as_key: str, key_id: str) -> bool:
        """False when the key is gone already (a retried step)."""
        return self._call("delete api key", lambda: self._api(as_key)._(key_id).delete(), ok=(404,)) is not None


def _error(operation: str, exc: Any) -> VendorError:
    status = int(exc.status_code)
    headers = {str(k).lower(): str(v) for k, v in (exc.headers or {}).items()}
    raw = exc.body.decode("utf-8", "replace") if isinstance(exc.body, bytes) else str(exc.body or "")
    message = str(exc.reason or f"HTTP {status}")
    try:
        data = json.loads(raw) if raw else None
    except ValueError:
        data = None
    if isinstance(data, dict):
        texts = [str(e.get("message")) for e in data.get("errors") or [] if isinstance(e, dict)]
        message = "; ".join(texts) or message
    return VendorError(VENDOR, operation, status, message, retry_after_s=retry_after_seconds(headers))
