"""SendGrid Mail Send v3 through the `sendgrid` SDK: a dynamic template or an HTML/text body.

Each recipient gets a personalization of their own, so nobody sees the other addresses and each
can carry their own template data. SendGrid answers 202 with an empty body; the `X-Message-Id`
header identifies the accepted send (for the activity feed and event webhooks). SendGrid sends
no request-id header on errors: an error's request id is the `id` of its body when present.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from functions.adapters import endpoints
from functions.adapters.errors import VendorError
from functions.adapters.retry import DEFAULT_POLICY, RetryPolicy, retry_after_seconds
from functions.adapters.secrets import get_secret

if TYPE_CHECKING:
    from functions.core.config import PlatformConfig

VENDOR = "sendgrid"
MESSAGE_ID_HEADER = "X-Message-Id"
MAX_PERSONALIZATIONS = 1000  # SendGrid's limit per request


@dataclass(frozen=True)
class SentMail:
    message_id: str | None
    status: int
    recipients: tuple[str, ...] = field(default=())


class SendGrid:
    def __init__(
        self,
        api_key: str,
        from_email: str,
        *,
        from_name: str | None = None,
        templates: Mapping[str, str] | None = None,
        base_url: str = endpoints.DEFAULTS["sendgrid"],
        policy: RetryPolicy = DEFAULT_POLICY,
        timeout_s: float = 10.0,
    ) -> None:
        import sendgrid

        self.from_email = from_email
        self.from_name = from_name
        self.templates = dict(templates or {})
        self.policy = policy
        self._client = sendgrid.SendGridAPIClient(api_key=api_key, host=base_url)
        # python_http_client waits forever by default; every request it builds copies this timeout.
        self._client.client.timeout = timeout_s

    @classmethod
    def from_config(cls, config: PlatformConfig, policy: RetryPolicy = DEFAULT_POLICY) -> SendGrid:
        settings = config.sendgrid
        if settings is None:
            raise ValueError("the configuration has no sendgrid section")
        secret = get_secret(settings.secret_name, VENDOR)
        return cls(
            str(secret["api_key"]),
            settings.from_email,
            from_name=settings.from_name,
            templates=settings.templates,
            base_url=endpoints.base_url(VENDOR),
            policy=policy,
        )

    def send(
        self,
        to: str | Sequence[str],
        subject: str | None = None,
        html: str | None = None,
        text: str | None = None,
        *,
        template_id: str | None = None,
        dynamic_data: Mapping[str, Any] | None = None,
        categories: Sequence[str] | None = None,
        custom_args: Mapping[str, str] | None = None,
    ) -> SentMail:
        """Send one mail to each recipient. With `template_id` (a dynamic template, `d-...`) the
        template supplies subject and body and `dynamic_data` fills it; otherwise `subject` and
        `html` and/or `text` are required."""
        recipients = [to] if isinstance(to, str) else list(to)
        if not recipients:
            raise ValueError("send needs at least one recipient")
        if len(recipients) > MAX_PERSONALIZATIONS:
            raise ValueError(f"at most {MAX_PERSONALIZATIONS} recipients per send")
        if template_id is None and (not subject or not (html or text)):
            raise ValueError("without a template, send needs a subject and an html or text body")
        body = self._message(
            recipients=recipients,
            subject=subject,
            html=html,
            text=text,
            template_id=template_id,
            dynamic_data=dynamic_data,
            categories=categories,
            custom_args=custom_args,
        )

        def attempt() -> SentMail:
            from python_http_client.exceptions import HTTPError

            try:
                response = self._client.send(body)
            except HTTPError as exc:
                raise _error(exc) from exc
            except OSError as exc:  # urllib's URLError, resets and timeouts
                raise VendorError(VENDOR, "send mail", None, f"connection failed: {type(exc).__name__}") from exc
            return SentMail(
                message_id=response.headers.get(MESSAGE_ID_HEADER),
                status=int(response.status_code),
                recipients=tuple(recipients),
            )

        return self.policy.call(attempt)

    def send_template(
        self,
        to: str | Sequence[str],
        purpose: str,
        dynamic_data: Mapping[str, Any] | None = None,
        categories: Sequence[str] | None = None,
    ) -> SentMail:
        """Send the dynamic template configured for `purpose` (config `sendgrid.templates`)."""
        if purpose not in self.templates:
            known = ", ".join(sorted(self.templates)) or "none"
            raise ValueError(f"no SendGrid template configured for {purpose!r} (configured: {known})")
        return self.send(
            to, template_id=self.templates[purpose], dynamic_data=dynamic_data, categories=categories or [purpose]
        )

    def _message(
        self,
        *,
        recipients: list[str],
        subject: str | None,
        html: str | None,
        text: str | None,
        template_id: str | None,
        dynamic_data: Mapping[str, Any] | None,
        categories: Sequence[str] | None,
        custom_args: Mapping[str, str] | None,
    ) -> dict[str, Any]:
        personalizations: list[dict[str, Any]] = []
        for email in recipients:
            envelope: dict[str, Any] = {"to": [{"email": email}]}
            if dynamic_data is not None:
                envelope["dynamic_template_data"] = dict(dynamic_data)
            if custom_args:
                # Per personalization: the message-level `custom_args` is typed as a string in
                # SendGrid's own description, an object here is the documented shape.
                envelope["custom_args"] = {k: str(v) for k, v in custom_args.items()}
            personalizations.append(envelope)
        sender: dict[str, str] = {"email": self.from_email}
        if self.from_name:
            sender["name"] = self.from_name
        body: dict[str, Any] = {"personalizations": personalizations, "from": sender}
        if subject:
            body["subject"] = subject
        content = [
            {"type": kind, "value": value} for kind, value in (("text/plain", text), ("text/html", html)) if value
        ]
        if content:
            body["content"] = content  # SendGrid wants text/plain before text/html
        if template_id:
            body["template_id"] = template_id
        if categories:
            body["categories"] = list(dict.fromkeys(categories))
        return body


def _error(exc: Any) -> VendorError:
    """A python_http_client HTTPError as a VendorError with SendGrid's `errors[].message`s."""
    status = int(exc.status_code)
    headers = {str(k).lower(): str(v) for k, v in (exc.headers or {}).items()}
    raw = exc.body.decode("utf-8", "replace") if isinstance(exc.body, bytes) else str(exc.body or "")
    message = str(exc.reason or f"HTTP {status}")
    request_id = headers.get(MESSAGE_ID_HEADER.lower())
    try:
        data = json.loads(raw) if raw else None
    except ValueError:
        data = None
    if isinstance(data, dict):
        errors = [e for e in data.get("errors") or [] if isinstance(e, dict)]
        texts = [f"{e.get('message')} ({e['field']})" if e.get("field") else str(e.get("message")) for e in errors]
        if texts:
            message = "; ".join(texts)
        request_id = request_id or (str(data["id"]) if data.get("id") else None)
    return VendorError(VENDOR, "send mail", status, message, request_id, retry_after_s=retry_after_seconds(headers))
