"""Okta through the official `okta` SDK (users, groups, factors), behind a synchronous interface.

The SDK is asyncio-based; each adapter runs it on its own private event loop, so callers (Lambda
handlers, the local engine's threads) stay synchronous. The SDK is imported on first use, not when
this module is imported, and only the six API classes used here are loaded instead of its
`Client`, which pulls in every API of the org and takes seconds to import.

Failures are VendorErrors carrying Okta's `errorCode: errorSummary (errorCauses)` and the
`X-Okta-Request-Id`; the shared RetryPolicy retries 429/5xx/transport failures (honouring
`X-Rate-Limit-Reset`) with the SDK's own retries and cache turned off.
"""

from __future__ import annotations

import ipaddress
import json
import threading
import weakref
from collections.abc import Awaitable, Callable, Coroutine, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from functools import cache
from typing import TYPE_CHECKING, Any, TypeVar
from urllib.parse import parse_qs, urlsplit

from functions.adapters import endpoints, secrets
from functions.adapters.errors import VendorError
from functions.adapters.retry import DEFAULT_POLICY, RetryPolicy, retry_after_seconds

if TYPE_CHECKING:
    import asyncio
    from types import SimpleNamespace

    from functions.core.config import PlatformConfig

VENDOR = "okta"
REQUEST_ID_HEADER = "X-Okta-Request-Id"
# What the operations below need (the spec's oauth2 security requirements); a service app must
# be granted these scopes in Okta.
SCOPES = ("okta.users.read", "okta.users.manage", "okta.groups.read", "okta.groups.manage")
PAGE_SIZE = 200  # Okta's maximum page for listing users
GROUPS_PAGE_SIZE = 10000  # Okta's maximum page for listing groups
GROUP_USERS_PAGE_SIZE = 1000  # Okta's maximum page for listing a group's members
T = TypeVar("T")


def credentials(config: PlatformConfig) -> tuple[str, dict[str, Any]]:
    """(base URL, the adapter's auth keywords) from the `okta` section and its secret: an API
    token, or the service app's client id and private key (and its key id)."""
    settings = config.okta
    secret = secrets.get_secret(settings.secret_name, VENDOR)
    url = endpoints.base_url(VENDOR, str(settings.org_url))
    try:
        if settings.auth == "api_token":
            return url, {"api_token": secret["api_token"]}
        return url, {
            "client_id": settings.client_id,
            "private_key": secret["private_key"],
            "key_id": secret.get("key_id"),
        }
    except KeyError as exc:
        raise VendorError(
            VENDOR, "read credentials", None, f"secret {settings.secret_name!r} has no {exc.args[0]!r}"
        ) from None


@dataclass(frozen=True)
class OktaUser:
    id: str
    login: str
    email: str
    first_name: str
    last_name: str
    status: str  # STAGED, PROVISIONED, ACTIVE, SUSPENDED, DEPROVISIONED, ...
    last_login: datetime | None
    created: datetime | None
    # The whole profile as Okta names its attributes (camelCase), custom ones included: the
    # identity directory reads its links from it (e.g. `githubUsername`, `manager`).
    profile: Mapping[str, Any] = field(default_factory=dict, compare=False, repr=False)


@dataclass(frozen=True)
class OktaGroup:
    id: str
    name: str
    group_type: str  # OKTA_GROUP, BUILT_IN (Everyone) or APP_GROUP


@dataclass(frozen=True)
class OktaFactor:
    id: str
    factor_type: str  # push, token:software:totp, sms, webauthn, ...
    provider: str
    status: str


class Okta:
    """One Okta org. Build it with `from_config` (credentials from Secrets Manager) or directly
    with `api_token=` or `client_id=` + `private_key=` (+ `key_id=`). Its methods are synchronous:
    call them from plain (not async) code, from any thread. It holds a connection pool: keep one
    per Lambda container, and `close()` it (or use it as a context manager) when done."""

    def __init__(
        self,
        org_url: str,
        *,
        api_token: str | None = None,
        client_id: str | None = None,
        private_key: str | None = None,
        key_id: str | None = None,
        scopes: tuple[str, ...] = SCOPES,
        policy: RetryPolicy = DEFAULT_POLICY,
        timeout_s: float = 10.0,
        page_size: int = PAGE_SIZE,
    ) -> None:
        if bool(api_token) == bool(client_id and private_key):
            raise ValueError("give either api_token, or client_id and private_key")
        url = org_url.rstrip("/")
        parts = urlsplit(url)
        if parts.scheme != "https" and not (parts.scheme == "http" and _is_loopback(parts.hostname)):
            raise ValueError(f"the Okta org URL must be https (plain http only on loopback): {url}")
        client: dict[str, Any] = {
            "orgUrl": url,
            "cache": {"enabled": False},  # every read sees the org as it is now
            "rateLimit": {"maxRetries": 0},  # RetryPolicy governs retries
            "requestTimeout": timeout_s,
            "dpopEnabled": False,
            "logging": {"enabled": False},
        }
        if api_token:
            client |= {"authorizationMode": "SSWS", "token": api_token}
        else:
            client |= {
                "authorizationMode": "PrivateKey",
                "clientId": client_id,
                "scopes": list(scopes),
                "privateKey": private_key,
            }
            if key_id:
                client["kid"] = key_id
        self.org_url = url
        self.policy = policy
        self.page_size = page_size
        self._sdk_config = {"client": client, "testing": {"testingDisableHttpsCheck": parts.scheme == "http"}}
        self._lock = threading.Lock()
        self._client: Any = None
        self._executor: Any = None
        self._runtime = _Runtime()
        # An adapter dropped without close() still closes its loop and connections.
        self._finalizer = weakref.finalize(self, self._runtime.close)

    @classmethod
    def from_config(cls, config: PlatformConfig, *, policy: RetryPolicy = DEFAULT_POLICY) -> Okta:
        url, auth = credentials(config)
        return cls(url, **auth, policy=policy)

    # --- users -------------------------------------------------------------------------------
    def get_user(self, user_id: str) -> OktaUser:
        """By id, login or unambiguous login shortname; a missing user is a 404 VendorError."""
        return self._call("get user", lambda c: c.get_user(user_id), _user)

    def find_user(self, login_or_email: str) -> OktaUser | None:
        """The user whose login (or else email) this is, or None. Okta looks logins up without
        regard to case; the email filter compares exactly."""
        try:
            return self.get_user(login_or_email)
        except VendorError as error:
            if not error.not_found:
                raise
        matches = self.list_users(filter=f'profile.email eq "{_quoted(login_or_email)}"')
        return matches[0] if matches else None

    def create_user(
        self,
        first_name: str,
        last_name: str,
        email: str,
        login: str | None = None,
        *,
        activate: bool = True,
        attributes: Mapping[str, Any] | None = None,
    ) -> OktaUser:
        """A new user (PROVISIONED when activated: Okta emails them to set up their account).
        `attributes`: more profile attributes as Okta names them (e.g. the identity directory's
        `githubUsername`). A login that exists already is a 400 VendorError `E0000001: Api
        validation failed: login`: look first (`find_user`) to be idempotent."""

        def create(client: Any) -> Awaitable[Any]:
            models = _sdk().models
            names = {"firstName": first_name, "lastName": last_name, "email": email, "login": login or email}
            profile = models.UserProfile.from_dict({**(attributes or {}), **names})
            return client.create_user(models.CreateUserRequest(profile=profile), activate=activate)  # type: ignore[no-any-return]

        return self._call("create user", create, _user)

    def activate_user(self, user_id: str, *, send_email: bool = True) -> None:
        self._call("activate user", lambda c: c.activate_user(user_id, send_email=send_email))

    def deactivate_user(self, user_id: str) -> None:
        """DEPROVISIONED; deactivating a deprovisioned user changes nothing."""
        self._call("deactivate user", lambda c: c.deactivate_user(user_id))

    def clear_sessions(self, user_id: str, *, revoke_oauth_tokens: bool = True) -> None:
        """End every session of the user (and, by default, revoke their OAuth tokens too)."""
        self._call("clear sessions", lambda c: c.revoke_user_sessions(user_id, oauth_tokens=revoke_oauth_tokens))

    def iter_users(self, *, filter: str | None = None, search: str | None = None) -> Iterator[OktaUser]:
        """Every user (Okta leaves DEPROVISIONED ones out unless `filter` or `search` is given),
        page by page, following the `after` cursor of the `Link: rel="next"` header to the end."""
        after: str | None = None
        while True:

            def page_after(client: Any, cursor: str | None = after) -> Awaitable[Any]:
                return client.list_users(filter=filter, search=search, after=cursor, limit=self.page_size)  # type: ignore[no-any-return]

            page, after = self._call("list users", page_after, self._page_of_users)
            yield from page
            if after is None:
                return

    def list_users(self, *, filter: str | None = None, search: str | None = None) -> list[OktaUser]:
        return list(self.iter_users(filter=filter, search=search))

    def list_factors(self, user_id: str) -> list[OktaFactor]:
        """The user's enrolled MFA factors."""
        return self._call(
            "list factors", lambda c: c.list_factors(user_id), lambda data: [_factor(f) for f in data or []]
        )

    # --- groups ------------------------------------------------------------------------------
    def find_group(self, name: str) -> OktaGroup | None:
        """The group with exactly this name (Okta's `q` is a prefix match), or None."""
        groups = self._call("find group", lambda c: c.list_groups(q=name), lambda data: [_group(g) for g in data or []])
        return next((g for g in groups if g.name == name), None)

    def list_user_groups(self, user_id: str) -> list[OktaGroup]:
        return self._call(
            "list user groups", lambda c: c.list_user_groups(user_id), lambda d: [_group(g) for g in d or []]
        )

    def iter_groups(self) -> Iterator[OktaGroup]:
        """Every group, page by page (the access review lists memberships per group, not per user)."""
        after: str | None = None
        while True:

            def page_after(client: Any, cursor: str | None = after) -> Awaitable[Any]:
                return client.list_groups(after=cursor, limit=GROUPS_PAGE_SIZE)  # type: ignore[no-any-return]

            page, after = self._call("list groups", page_after, self._page_of_groups)
            yield from page
            if after is None:
                return

    def iter_group_users(self, group_id: str) -> Iterator[OktaUser]:
        """The group's members, page by page at Okta's largest page."""
        after: str | None = None
        while True:

            def page_after(client: Any, cursor: str | None = after) -> Awaitable[Any]:
                return client.list_group_users(group_id, after=cursor, limit=GROUP_USERS_PAGE_SIZE)  # type: ignore[no-any-return]

            page, after = self._call("list group users", page_after, self._page_of_users)
            yield from page
            if after is None:
                return

    def add_to_group(self, group_id: str, user_id: str) -> None:
        """Idempotent: adding a member again changes nothing."""
        self._call("add group member", lambda c: c.assign_user_to_group(group_id, user_id))

    def remove_from_group(self, group_id: str, user_id: str) -> None:
        self._call("remove group member", lambda c: c.unassign_user_from_group(group_id, user_id))

    # --- lifecycle of the adapter -------------------------------------------------------------
    def close(self) -> None:
        """Close the connections and the loop; a later call opens new ones."""
        with self._lock:
            self._runtime.close()

    def __enter__(self) -> Okta:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # --- plumbing ------------------------------------------------------------------------------
    def _call(
        self,
        operation: str,
        request: Callable[[Any], Awaitable[Any]],
        convert: Callable[[Any], T] = lambda data: data,
    ) -> T:
        """One SDK call on the private loop, retried by the policy; `convert` turns the SDK's data
        into our types (inside the attempt, so the page cursor is read from the same response)."""

        def attempt() -> T:
            with self._lock:
                return self._runtime.run(self._attempt(operation, request, convert))

        return self.policy.call(attempt)

    async def _attempt(
        self, operation: str, request: Callable[[Any], Awaitable[Any]], convert: Callable[[Any], T]
    ) -> T:
        sdk = _sdk()
        if self._client is None:
            self._client, self._executor = sdk.build_client(self._sdk_config)
        if self._runtime.session is None:
            # One connection pool per loop: aiohttp sessions belong to the loop that made them.
            self._runtime.session = sdk.aiohttp.ClientSession()
            self._executor.set_session(self._runtime.session)
        try:
            result = await request(self._client)
        except sdk.Failure as failure:
            raise _failure_error(operation, failure.status, failure.headers, failure.body) from None
        except sdk.TransportFailure as failure:
            cause = failure.__cause__
            raise VendorError(VENDOR, operation, None, f"no response: {type(cause).__name__}: {cause}") from cause
        except VendorError:
            raise
        except Exception as exc:  # the SDK's own failures (bad data, validation) become VendorErrors too
            raise VendorError(VENDOR, operation, None, f"the SDK failed: {type(exc).__name__}: {exc}") from exc
        # The SDK returns (data, response, error) or, for some errors, (response, error).
        error = next((part for part in result if isinstance(part, BaseException)), None)
        if error is not None:
            raise _sdk_error(operation, error) from error
        return convert(result[0])

    def _page_of_users(self, data: Any) -> tuple[list[OktaUser], str | None]:
        return [_user(u) for u in data or []], self._executor.next_after

    def _page_of_groups(self, data: Any) -> tuple[list[OktaGroup], str | None]:
        return [_group(g) for g in data or []], self._executor.next_after


class _Runtime:
    """The adapter's private event loop and the SDK's HTTP session on it."""

    def __init__(self) -> None:
        self.loop: asyncio.AbstractEventLoop | None = None
        self.session: Any = None

    def run(self, coroutine: Coroutine[Any, Any, T]) -> T:
        if self.loop is None:
            import asyncio  # on first use, like the SDK: an importer that never calls Okta pays nothing

            self.loop = asyncio.new_event_loop()
        return self.loop.run_until_complete(coroutine)

    def close(self) -> None:
        loop, self.loop = self.loop, None
        session, self.session = self.session, None
        if loop is None:
            return
        if session is not None:
            loop.run_until_complete(session.close())
        loop.close()


# --- conversions and error mapping --------------------------------------------------------------
def _user(user: Any) -> OktaUser:
    profile = user.profile
    status = user.status
    return OktaUser(
        id=user.id,
        login=profile.login,
        email=profile.email,
        first_name=profile.first_name or "",
        last_name=profile.last_name or "",
        status=getattr(status, "value", status) or "",
        last_login=user.last_login,
        created=user.created,
        profile=profile.to_dict(),
    )


def _group(group: Any) -> OktaGroup:
    profile = group.profile.actual_instance if group.profile is not None else None
    group_type = group.type
    return OktaGroup(
        id=group.id, name=getattr(profile, "name", "") or "", group_type=getattr(group_type, "value", group_type) or ""
    )


def _factor(factor: Any) -> OktaFactor:
    factor_type, status = factor.factor_type, factor.status
    return OktaFactor(
        id=factor.id,
        factor_type=getattr(factor_type, "value", factor_type) or "",
        provider=factor.provider or "",
        status=getattr(status, "value", status) or "",
    )


def _quoted(value: str) -> str:
    return value.replace("\\", "\\\\").replace('"', '\\"')


def _is_loopback(host: str | None) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host or "").is_loopback
    except ValueError:
        return False


def _describe(code: Any, summary: Any, causes: Any) -> str:
    text = ": ".join(str(part) for part in (code, summary) if part)
    details = [str(c.get("errorSummary")) for c in causes or [] if isinstance(c, dict) and c.get("errorSummary")]
    return f"{text} ({'; '.join(details)})" if details else text


def _failure_error(operation: str, status: int, headers: Any, body: str) -> VendorError:
    """An error response: Okta's `{errorCode, errorSummary, errorCauses}` or OAuth's `{error,
    error_description}`, with the request id and how long Okta asked us to wait."""
    try:
        data = json.loads(body) if body else None
    except ValueError:
        data = None
    if isinstance(data, dict):
        message = _describe(
            data.get("errorCode") or data.get("error"),
            data.get("errorSummary") or data.get("error_description"),
            data.get("errorCauses"),
        )
    else:
        message = (body or "").strip()[:200]
    header_map = {str(k): str(v) for k, v in (headers or {}).items()}
    return VendorError(
        VENDOR,
        operation,
        status,
        message or f"HTTP {status}",
        _get_ci(header_map, REQUEST_ID_HEADER),
        retry_after_s=_retry_after(status, header_map),
    )


def _retry_after(status: int | None, headers: dict[str, str]) -> float | None:
    """Okta sends X-Rate-Limit-Reset on every response; it says when to come back only on a 429.
    Other statuses honour a Retry-After alone."""
    if status == 429:
        return retry_after_seconds(headers)
    return retry_after_seconds({k: v for k, v in headers.items() if k.lower() == "retry-after"})


def _get_ci(headers: dict[str, str], name: str) -> str | None:
    return next((v for k, v in headers.items() if k.lower() == name.lower()), None)


def _sdk_error(operation: str, error: BaseException) -> VendorError:
    """An error the SDK returned instead of raising (the OAuth token request's, mostly)."""
    status = getattr(error, "status", None)
    headers = getattr(error, "headers", None) or getattr(error, "response_headers", None)
    if hasattr(error, "error_code"):
        message = _describe(error.error_code, getattr(error, "error_summary", ""), getattr(error, "error_causes", []))
    else:
        message = str(getattr(error, "message", "") or error) or type(error).__name__
    header_map = {str(k): str(v) for k, v in (headers or {}).items()}
    return VendorError(
        VENDOR,
        operation,
        status if isinstance(status, int) else None,
        message,
        _get_ci(header_map, REQUEST_ID_HEADER),
        retry_after_s=_retry_after(status if isinstance(status, int) else None, header_map),
    )


_SDK_LOCK = threading.Lock()


def _sdk() -> SimpleNamespace:
    with _SDK_LOCK:  # two threads' first calls must share one set of the classes below
        return _load_sdk()


@cache
def _load_sdk() -> SimpleNamespace:
    """The SDK, imported on first use: the API classes we call, composed the way `okta.Client`
    composes all of them, with an executor that raises on error responses (so no error is lost
    in the SDK's tuples) and records the next-page cursor, and an HTTP client that raises on
    transport failures (the SDK would swallow them and fail later on a None response)."""
    import logging
    import types

    import aiohttp
    from okta import models
    from okta.api.group_api import GroupApi
    from okta.api.user_api import UserApi
    from okta.api.user_factor_api import UserFactorApi
    from okta.api.user_lifecycle_api import UserLifecycleApi
    from okta.api.user_resources_api import UserResourcesApi
    from okta.api.user_sessions_api import UserSessionsApi
    from okta.cache.no_op_cache import NoOpCache
    from okta.config.config_setter import ConfigSetter
    from okta.config.config_validator import ConfigValidator
    from okta.http_client import HTTPClient
    from okta.request_executor import RequestExecutor

    class Failure(Exception):  # noqa: N818 - an error response, raised through the SDK
        def __init__(self, status: int, headers: Any, body: str) -> None:
            super().__init__(status)
            self.status, self.headers, self.body = status, headers, body

    class TransportFailure(Exception):  # noqa: N818
        pass

    class HttpClient(HTTPClient):
        async def send_request(self, request: Any) -> Any:
            result = await super().send_request(request)  # type: ignore[no-untyped-call]
            if result[1] is None and result[3] is not None:
                raise TransportFailure from result[3]
            return result

    class Executor(RequestExecutor):
        next_after: str | None = None

        async def execute(self, request: Any, response_type: Any = None) -> Any:  # noqa: ARG002 - SDK signature
            _, response, body, error = await self.fire_request(request)
            if response is None:
                raise TransportFailure(str(error)) from error
            if not 200 <= response.status <= 299:
                if response.status == 401 and self._oauth is not None:
                    self._oauth.clear_access_token()  # fetch a new one next time
                raise Failure(response.status, response.headers, body or "")
            link = response.links.get("next")
            self.next_after = _cursor(str(link["url"])) if link else None
            return response, body, None

    class Client(GroupApi, UserApi, UserFactorApi, UserLifecycleApi, UserResourcesApi, UserSessionsApi):
        """`okta.client.Client.__init__`, for the API classes above only."""

        def __init__(self, config: dict[str, Any]) -> None:
            setter = ConfigSetter()  # type: ignore[no-untyped-call]
            setter._apply_config(config)
            self._config = setter._prune_config(setter.get_config())  # type: ignore[no-untyped-call]
            ConfigValidator(self._config)  # type: ignore[no-untyped-call]
            super().__init__(configuration=self._config)
            if self.configuration.access_token is not None:
                # The SDK (3.4.6) builds this header as mode + token, "SSWS00abc…"; Okta documents
                # `Authorization: SSWS {API Token}`.
                self.configuration.authorization_mode = self._config["client"]["authorizationMode"] + " "
            self._request_executor = Executor(self._config, NoOpCache(), HttpClient)  # type: ignore[no-untyped-call]

    def build_client(config: dict[str, Any]) -> tuple[Client, Executor]:
        # As okta.Client does: its logger would print requests, API token included, at DEBUG.
        logging.getLogger("okta-sdk-python").disabled = True
        client = Client(config)
        return client, client._request_executor

    return types.SimpleNamespace(
        aiohttp=aiohttp,
        models=models,
        build_client=build_client,
        Failure=Failure,
        TransportFailure=TransportFailure,
    )


def _cursor(url: str) -> str | None:
    values = parse_qs(urlsplit(url).query).get("after")
    return values[0] if values else None
