"""Slack through `slack_sdk`: messages with Block Kit, users by email, `response_url` replies and
modals. Signature checks live in `slack_signature`, which the ingress imports without this SDK.

Slack answers most errors as HTTP 200 with `{"ok": false, "error": "channel_not_found"}`; those
become a VendorError with status 200 and the error code as message, which is not retryable. Only a
429 (`ratelimited`, with `Retry-After`) and 5xx are retried, by the shared RetryPolicy: the SDK's
own retry handlers are switched off.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from functools import partial
from typing import TYPE_CHECKING, Any

from functions.adapters import endpoints
from functions.adapters.errors import VendorError
from functions.adapters.retry import DEFAULT_POLICY, RetryPolicy, retry_after_seconds
from functions.adapters.secrets import get_secret
from functions.core.text import fit_blocks, fit_text

if TYPE_CHECKING:
    from slack_sdk import WebClient
    from slack_sdk.web import SlackResponse

    from functions.core.config import PlatformConfig

VENDOR = "slack"
REQUEST_ID_HEADER = "x-slack-req-id"
PAGE_SIZE = 200  # Slack's recommended users.list page size


@dataclass(frozen=True)
class SlackMessage:
    channel: str  # the channel id Slack answered with, which chat.update needs
    ts: str


@dataclass(frozen=True)
class SlackUser:
    id: str
    name: str
    email: str | None
    real_name: str
    deleted: bool
    is_bot: bool
    is_guest: bool = False  # a multi- or single-channel guest (is_restricted / is_ultra_restricted)


class Slack:
    def __init__(
        self,
        bot_token: str,
        *,
        base_url: str = endpoints.DEFAULTS["slack"],
        policy: RetryPolicy = DEFAULT_POLICY,
        timeout_s: int = 10,
        page_size: int = PAGE_SIZE,
        client: WebClient | None = None,
    ) -> None:
        self.policy = policy
        self.page_size = page_size
        self._timeout_s = timeout_s
        if client is None:
            from slack_sdk import WebClient

            client = WebClient(token=bot_token, base_url=base_url, timeout=timeout_s, retry_handlers=[])
        self._client = client

    @classmethod
    def from_config(cls, config: PlatformConfig, policy: RetryPolicy = DEFAULT_POLICY) -> Slack:
        secret = get_secret(config.slack.secret_name, VENDOR)
        return cls(str(secret["bot_token"]), base_url=endpoints.base_url(VENDOR), policy=policy)

    # --- operations ---------------------------------------------------------------------------
    def post_message(
        self,
        channel: str,
        text: str,
        blocks: Sequence[Mapping[str, Any]] | None = None,
        thread_ts: str | None = None,
    ) -> SlackMessage:
        """`channel` is an id or a `#name`; `text` is the notification fallback when blocks are given."""
        response = self._call(
            "post message",
            lambda: self._client.chat_postMessage(
                channel=channel, text=fit_text(text), blocks=_blocks(blocks), thread_ts=thread_ts
            ),
        )
        return SlackMessage(channel=str(response["channel"]), ts=str(response["ts"]))

    def update_message(
        self, channel: str, ts: str, text: str, blocks: Sequence[Mapping[str, Any]] | None = None
    ) -> SlackMessage:
        response = self._call(
            "update message",
            lambda: self._client.chat_update(channel=channel, ts=ts, text=fit_text(text), blocks=_blocks(blocks)),
        )
        return SlackMessage(channel=str(response["channel"]), ts=str(response["ts"]))

    def user_by_email(self, email: str) -> SlackUser | None:
        try:
            response = self._call("look up user by email", lambda: self._client.users_lookupByEmail(email=email))
        except VendorError as error:
            if error.status == 200 and error.detail.partition(":")[0] == "users_not_found":
                return None
            raise
        return _user(response["user"])

    def user_by_id(self, user_id: str) -> SlackUser | None:
        if not user_id:
            return None
        try:
            response = self._call("get user", lambda: self._client.users_info(user=user_id))
        except VendorError as error:
            if error.status == 200 and error.detail.partition(":")[0] == "user_not_found":
                return None
            raise
        return _user(response["user"])

    def list_users(self) -> list[SlackUser]:
        """Every member of the workspace, following `response_metadata.next_cursor` to the end.
        Each page is retried on its own, so a 429 on page 7 does not restart from page 1."""
        users: list[SlackUser] = []
        cursor: str | None = None
        while True:
            page = self._call("list users", partial(self._client.users_list, limit=self.page_size, cursor=cursor))
            users.extend(_user(member) for member in page["members"] or [])
            cursor = ((page.get("response_metadata") or {}).get("next_cursor") or "").strip() or None
            if cursor is None:
                return users

    def respond(
        self,
        response_url: str,
        text: str,
        blocks: Sequence[Mapping[str, Any]] | None = None,
        *,
        replace_original: bool = False,
        response_type: str = "ephemeral",
    ) -> None:
        """Answer a slash command or an interaction through its `response_url` (see `respond_to`)."""
        respond_to(
            response_url,
            text,
            blocks,
            replace_original=replace_original,
            response_type=response_type,
            policy=self.policy,
            timeout_s=self._timeout_s,
        )

    def open_modal(self, trigger_id: str, view: Mapping[str, Any]) -> str:
        """Open a modal for the user who triggered an interaction; returns the view id."""
        response = self._call("open modal", lambda: self._client.views_open(trigger_id=trigger_id, view=dict(view)))
        return str((response.get("view") or {}).get("id", ""))

    # --- plumbing -----------------------------------------------------------------------------
    def _call(self, operation: str, fn: Callable[[], SlackResponse]) -> SlackResponse:
        def attempt() -> SlackResponse:
            from slack_sdk.errors import SlackApiError, SlackClientError

            try:
                return fn()
            except SlackApiError as exc:
                raise _api_error(operation, exc.response) from exc
            except SlackClientError as exc:
                raise VendorError(VENDOR, operation, None, f"{type(exc).__name__}: {exc}") from exc
            except OSError as exc:  # urllib's URLError, connection resets and timeouts
                raise VendorError(VENDOR, operation, None, f"connection failed: {type(exc).__name__}") from exc

        return self.policy.call(attempt)


def respond_to(
    response_url: str,
    text: str,
    blocks: Sequence[Mapping[str, Any]] | None = None,
    *,
    replace_original: bool = False,
    response_type: str = "ephemeral",
    policy: RetryPolicy = DEFAULT_POLICY,
    timeout_s: int = 10,
) -> None:
    """Answer a slash command or an interaction through its `response_url`. The URL is the
    credential (no token, no secret to read); Slack accepts at most five answers within thirty
    minutes and answers 404 `used_url` / `expired_url` after that."""
    from slack_sdk.webhook import WebhookClient

    webhook = WebhookClient(response_url, timeout=timeout_s, retry_handlers=[])

    def send() -> None:
        try:
            answer = webhook.send(
                text=fit_text(text),
                blocks=_blocks(blocks),
                replace_original=replace_original,
                response_type=response_type,
            )
        except OSError as exc:  # urllib's URLError, resets and timeouts
            raise VendorError(VENDOR, "respond", None, f"connection failed: {type(exc).__name__}") from exc
        if answer.status_code != 200:
            headers = _lower(answer.headers)
            raise VendorError(
                VENDOR,
                "respond",
                answer.status_code,
                _webhook_error(answer.body),
                headers.get(REQUEST_ID_HEADER),
                retry_after_s=retry_after_seconds(headers),
            )

    policy.call(send)


def _api_error(operation: str, response: SlackResponse) -> VendorError:
    headers = _lower(response.headers)
    data = response.data if isinstance(response.data, dict) else {}
    message = str(data.get("error") or f"HTTP {response.status_code}")
    details = (data.get("response_metadata") or {}).get("messages")
    if details:
        message = f"{message}: {'; '.join(str(d) for d in details)}"
    # Slack's `ok: false` answers come as HTTP 200, and status 200 is what keeps them out of the retries.
    return VendorError(
        VENDOR,
        operation,
        response.status_code,
        message,
        headers.get(REQUEST_ID_HEADER),
        retry_after_s=retry_after_seconds(headers),
    )


def _lower(headers: Mapping[str, Any] | None) -> dict[str, str]:
    return {str(k).lower(): str(v) for k, v in (headers or {}).items()}


def _webhook_error(body: str) -> str:
    try:
        data = json.loads(body)
    except (TypeError, ValueError):
        return body.strip() or "no body"
    if isinstance(data, dict) and data.get("error"):
        return str(data["error"])
    return body.strip() or "no body"


def _blocks(blocks: Sequence[Mapping[str, Any]] | None) -> list[dict[str, Any]] | None:
    """Within Slack's documented limits (3,000 characters in a section, 50 blocks, ...), cut
    visibly: Slack refuses a whole message for one long block, and the step would fail."""
    return fit_blocks(blocks)


def _user(member: Mapping[str, Any]) -> SlackUser:
    profile = member.get("profile") or {}
    return SlackUser(
        id=str(member["id"]),
        name=str(member.get("name", "")),
        email=profile.get("email"),
        real_name=str(member.get("real_name") or profile.get("real_name") or ""),
        deleted=bool(member.get("deleted", False)),
        is_bot=bool(member.get("is_bot", False)),
        is_guest=bool(member.get("is_restricted") or member.get("is_ultra_restricted")),
    )
