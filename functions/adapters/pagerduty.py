"""PagerDuty through `pagerduty` (python-pagerduty, the maintained successor of pdpyras): Events API
v2 trigger/acknowledge/resolve by dedup key, and REST API v2 users and schedules for offboarding
and access review.

The SDK retries on its own: a 429 forever, and 5xx from the Events API up to six times, with
`time.sleep` between. Its `retry` table cannot say "never" (0 means "the default"), so both clients
stop at the first 429 in `postprocess` (the SDK's per-response hook), have their `retry` table
emptied and their network retries set to none: the shared RetryPolicy governs, per request, so a
429 on page 7 of a listing retries page 7, not the whole listing.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from functools import cache
from typing import TYPE_CHECKING, Any, TypeVar
from urllib.parse import urlsplit

from functions.adapters import endpoints
from functions.adapters.errors import VendorError
from functions.adapters.retry import DEFAULT_POLICY, RetryPolicy, retry_after_seconds
from functions.adapters.secrets import get_secret

if TYPE_CHECKING:
    import ssl

    from httpx2 import Response
    from pagerduty import ApiClient, EventsApiV2Client, RestApiV2Client

    from functions.core.config import PlatformConfig

VENDOR = "pagerduty"
REQUEST_ID_HEADER = "x-request-id"
PAGE_SIZE = 100  # the REST API's maximum `limit`
SEVERITIES = ("critical", "error", "warning", "info")
T = TypeVar("T")


@dataclass(frozen=True)
class PdUser:
    id: str
    name: str
    email: str
    role: str | None = None


@dataclass(frozen=True)
class RemoveResult:
    """What `remove_user` did. PagerDuty refuses to delete someone it still needs (open incidents,
    schedules, escalation policies): that is `removed=False` with the reason and the schedules
    the person is on, for the offboarding report, not an exception."""

    removed: bool
    already_absent: bool = False
    blocking_schedules: tuple[str, ...] = field(default=())
    reason: str | None = None

    @property
    def done(self) -> bool:
        return self.removed or self.already_absent


class PagerDuty:
    def __init__(
        self,
        api_token: str,
        routing_key: str,
        *,
        from_email: str,
        base_url: str = endpoints.DEFAULTS["pagerduty"],
        events_url: str = endpoints.DEFAULTS["pagerduty_events"],
        policy: RetryPolicy = DEFAULT_POLICY,
        timeout_s: int = 10,
        page_size: int = PAGE_SIZE,
    ) -> None:
        rest_class, events_class = _client_classes()
        self.policy = policy
        self.page_size = page_size
        # Building a TLS context (reading the CA bundle) costs 0.1 to 0.4 s: both clients share one.
        tls = _tls_context()
        self._rest: RestApiV2Client = rest_class(api_token, default_from=from_email, verify=tls)
        self._events: EventsApiV2Client = events_class(routing_key, verify=tls)
        for client, url in ((self._rest, base_url), (self._events, events_url)):
            _point_at(client, url)
            client.timeout = timeout_s
            client.retry = {}
            client.max_network_attempts = 0

    @classmethod
    def from_config(cls, config: PlatformConfig, policy: RetryPolicy = DEFAULT_POLICY) -> PagerDuty:
        settings = config.pagerduty
        if settings is None:
            raise ValueError("the configuration has no pagerduty section")
        secret = get_secret(settings.secret_name, VENDOR)
        return cls(
            str(secret["api_token"]),
            str(secret["routing_key"]),
            from_email=settings.from_email,
            base_url=endpoints.base_url(VENDOR),
            events_url=endpoints.base_url("pagerduty_events"),
            policy=policy,
        )

    # --- Events API v2 --------------------------------------------------------------------------
    def trigger(
        self,
        dedup_key: str,
        summary: str,
        source: str,
        severity: str,
        *,
        custom_details: Mapping[str, Any] | None = None,
        links: Sequence[Mapping[str, str]] | None = None,
    ) -> str:
        """Open an incident, or add to the open one with the same dedup key; returns the dedup key."""
        if severity not in SEVERITIES:
            raise ValueError(f"severity must be one of {', '.join(SEVERITIES)}, not {severity!r}")
        return self._call(
            "trigger incident",
            lambda: self._events.trigger(
                summary,
                source,
                dedup_key=dedup_key,
                severity=severity,
                custom_details=dict(custom_details) if custom_details else None,
                links=[dict(link) for link in links] if links else None,
            ),
        )

    def acknowledge(self, dedup_key: str) -> str:
        return self._call("acknowledge incident", lambda: self._events.acknowledge(dedup_key))

    def resolve(self, dedup_key: str) -> str:
        return self._call("resolve incident", lambda: self._events.resolve(dedup_key))

    # --- REST API v2 ----------------------------------------------------------------------------
    def find_user_by_email(self, email: str) -> PdUser | None:
        """The user whose email is exactly `email` (case-insensitive). `query` also matches names
        and parts of addresses, so every page of its answer is checked."""
        wanted = email.strip().lower()
        for user in self._pages("find user", "/users", "users", {"query": email.strip()}):
            if str(user.get("email", "")).lower() == wanted:
                return _user(user)
        return None

    def list_users(self) -> list[PdUser]:
        return [_user(user) for user in self._pages("list users", "/users", "users")]

    def get_user(self, user_id: str) -> PdUser | None:
        response = self._rest_call("get user", "GET", f"/users/{user_id}", ok=(404,))
        if response.status_code == 404:
            return None
        return _user(response.json()["user"])

    def oncall_schedules_for_user(self, user_id: str) -> list[str]:
        """Names of the schedules `user_id` is a member of. A schedule lists its members in `users`;
        `/oncalls` would only say who is on call in a time window, not who is in the rotation."""
        return [
            str(schedule.get("name") or schedule.get("summary") or schedule["id"])
            for schedule in self._pages("list schedules", "/schedules", "schedules")
            if any(member.get("id") == user_id for member in schedule.get("users") or [])
        ]

    def remove_user(self, user_id: str) -> RemoveResult:
        response = self._rest_call("remove user", "DELETE", f"/users/{user_id}", ok=(400, 404))
        if response.status_code == 404:
            return RemoveResult(removed=False, already_absent=True)
        if response.status_code == 400:
            return RemoveResult(
                removed=False,
                blocking_schedules=tuple(self.oncall_schedules_for_user(user_id)),
                reason=_error_text(response),
            )
        return RemoveResult(removed=True)

    # --- plumbing -------------------------------------------------------------------------------
    def _pages(
        self, operation: str, path: str, key: str, params: Mapping[str, Any] | None = None
    ) -> Iterator[dict[str, Any]]:
        """Every item of a classic (offset) paginated index, following `more` to the end."""
        offset = 0
        while True:
            query = {**(params or {}), "limit": self.page_size, "offset": offset}
            response = self._rest_call(operation, "GET", path, params=query)
            try:
                body = response.json()
                items = body.get(key) or []
            except (ValueError, AttributeError):
                raise VendorError(
                    VENDOR,
                    operation,
                    response.status_code,
                    "the answer is not a JSON object",
                    response.headers.get(REQUEST_ID_HEADER),
                ) from None
            yield from items
            if not body.get("more") or not items:
                return
            offset += len(items)

    def _rest_call(
        self,
        operation: str,
        method: str,
        path: str,
        *,
        params: Mapping[str, Any] | None = None,
        ok: tuple[int, ...] = (),
    ) -> Response:
        def request() -> Response:
            response = self._rest.request(method, path, params=dict(params) if params else None)
            if response.is_success or response.status_code in ok:
                return response
            raise _http_error(operation, response)

        return self._call(operation, request)

    def _call(self, operation: str, fn: Callable[[], T]) -> T:
        def attempt() -> T:
            import pagerduty

            try:
                return fn()
            except pagerduty.Error as exc:  # HttpError included: it always has a response
                if exc.response is not None:
                    raise _http_error(operation, exc.response) from exc
                raise VendorError(VENDOR, operation, None, str(exc)) from exc

        return self.policy.call(attempt)


@cache
def _client_classes() -> tuple[type[RestApiV2Client], type[EventsApiV2Client]]:
    import pagerduty

    def stop_at_429(response: Response) -> None:
        if response.status_code == 429:
            raise pagerduty.HttpError("rate limited (HTTP 429)", response)

    class Rest(pagerduty.RestApiV2Client):
        def postprocess(self, response: Response, suffix: str | None = None) -> None:
            super().postprocess(response, suffix)
            stop_at_429(response)

    class Events(pagerduty.EventsApiV2Client):
        def postprocess(self, response: Response) -> None:
            super().postprocess(response)
            stop_at_429(response)

    return Rest, Events


@cache
def _tls_context() -> ssl.SSLContext:
    import httpx2

    return httpx2.create_ssl_context()


def _point_at(client: ApiClient, url: str) -> None:
    if url.startswith("https://"):
        client.url = url
        return
    # The SDK's `url` setter accepts https only; the sandbox fakes serve plain HTTP on loopback.
    host = urlsplit(url).hostname or ""
    try:
        loopback = host == "localhost" or ipaddress.ip_address(host).is_loopback
    except ValueError:
        loopback = False
    if not (url.startswith("http://") and loopback):
        raise ValueError(f"PagerDuty URL must be https (plain http only on loopback): {url}")
    client._url = url


def _http_error(operation: str, response: Response) -> VendorError:
    return VendorError(
        VENDOR,
        operation,
        response.status_code,
        _error_text(response),
        response.headers.get(REQUEST_ID_HEADER),
        retry_after_s=retry_after_seconds(dict(response.headers)),
    )


def _error_text(response: Response) -> str:
    """REST: `{"error": {"message", "code", "errors": [...]}}`; Events: `{"status", "message", "errors"}`."""
    try:
        body = response.json()
    except ValueError:
        return response.text.strip()[:300] or response.reason_phrase or f"HTTP {response.status_code}"
    if not isinstance(body, dict):
        return str(body)[:300]
    error: dict[str, Any] = body["error"] if isinstance(body.get("error"), dict) else body
    message = str(error.get("message") or response.reason_phrase or f"HTTP {response.status_code}")
    if error.get("code") is not None:
        message = f"{message} (code {error['code']})"
    details = [str(d) for d in error.get("errors") or []]
    return f"{message}: {'; '.join(details)}" if details else message


def _user(user: Mapping[str, Any]) -> PdUser:
    return PdUser(
        id=str(user["id"]),
        name=str(user.get("name") or user.get("summary") or ""),
        email=str(user.get("email", "")),
        role=user.get("role"),
    )
