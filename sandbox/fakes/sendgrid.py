"""A fake SendGrid Mail Send v3 (`POST /v3/mail/send`): it validates a send the way SendGrid does,
answers 202 with an empty body and an `X-Message-Id`, and keeps every accepted mail in an outbox.

Errors use SendGrid's shape, `{"errors": [{"message", "field", "help"}]}`, all problems at once.
"""

from __future__ import annotations

import re
import secrets
from typing import Any, ClassVar

from sandbox.fakes.base import FakeVendor, Reply, Request, Response, route
from sandbox.fakes.credentials import SENDGRID_API_KEY

_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
_TEMPLATE_ID = re.compile(r"^d-[0-9a-f]{32}$")
_HELP = "http://sendgrid.com/docs/API_Reference/Web_API_v3/Mail/errors.html"
MAX_PERSONALIZATIONS = 1000
MAX_CATEGORIES = 10


def _problem(message: str, field: str | None = None, help_anchor: str | None = None) -> dict[str, Any]:
    return {"message": message, "field": field, "help": f"{_HELP}#{help_anchor}" if help_anchor else None}


class FakeSendGrid(FakeVendor):
    service: ClassVar[str] = "sendgrid"
    # SendGrid's only identifier header; the real API sends it on accepted sends only.
    request_id_header: ClassVar[str] = "X-Message-Id"
    request_id_on_errors: ClassVar[bool] = False

    def reset(self) -> None:
        self.outbox: list[dict[str, Any]] = []

    def state(self) -> dict[str, Any]:
        with self.lock:
            return {"outbox": [dict(mail) for mail in self.outbox]}

    def error(self, status: int, message: str, request: Request) -> Response:  # noqa: ARG002 - one shape for all
        return Response(status, {"errors": [_problem(message)]})

    def check_auth(self, request: Request) -> Response | None:
        header = request.headers.get("authorization", "")
        if not header:
            return Response(401, {"errors": [_problem("authorization required")]})
        scheme, _, key = header.partition(" ")
        if scheme.lower() != "bearer" or key.strip() != SENDGRID_API_KEY:
            message = "The provided authorization grant is invalid, expired, or revoked"
            return Response(401, {"errors": [_problem(message)]})
        return None

    @route("POST", r"/v3/mail/send")
    def send(self, request: Request) -> Response:
        if request.content_type != "application/json":
            raise Reply(Response(415, {"errors": [_problem("Content-Type should be application/json.")]}))
        body = request.body()
        if not isinstance(body, dict):
            raise Reply(Response(400, {"errors": [_problem("Bad Request")]}))
        problems = _validate(body)
        if problems:
            raise Reply(Response(400, {"errors": problems}))
        message_id = secrets.token_urlsafe(16)[:22]
        shared_args: dict[str, Any] = body["custom_args"] if isinstance(body.get("custom_args"), dict) else {}
        for envelope in body["personalizations"]:
            self.outbox.append(
                {
                    "to": [r["email"] for r in envelope["to"]],
                    "subject": envelope.get("subject") or body.get("subject"),
                    "template_id": body.get("template_id"),
                    "dynamic_data": envelope.get("dynamic_template_data"),
                    "categories": body.get("categories") or [],
                    "custom_args": {**shared_args, **(envelope.get("custom_args") or {})},
                    "message_id": message_id,
                }
            )
        return Response(202, None, {"X-Message-Id": message_id})


def _validate(body: dict[str, Any]) -> list[dict[str, Any]]:
    """SendGrid's checks for the fields the platform uses, in its words."""
    problems: list[dict[str, Any]] = []
    sender = body.get("from")
    if not isinstance(sender, dict) or not sender.get("email"):
        problems.append(
            _problem(
                "The from object must be provided for every email send. It is an object that requires the email"
                ' parameter, but may also contain a name parameter.  e.g. {"email" : "example@example.com"}  or'
                ' {"email" : "example@example.com", "name" : "Example Recipient"}.',
                "from.email",
                "message.from",
            )
        )
    elif not _EMAIL.match(str(sender["email"])):
        problems.append(_problem("The from email does not contain a valid address.", "from.email", "message.from"))
    problems += _validate_personalizations(body.get("personalizations"))
    template_id = body.get("template_id")
    if template_id is not None and not _TEMPLATE_ID.match(str(template_id)):
        problems.append(
            _problem(
                f"The template_id must be a valid GUID, you provided '{template_id}'.",
                "template_id",
                "message.template_id",
            )
        )
    envelopes: list[Any] = body["personalizations"] if isinstance(body.get("personalizations"), list) else []
    every_has_subject = bool(envelopes) and all(isinstance(e, dict) and e.get("subject") for e in envelopes)
    if not template_id and not body.get("subject") and not every_has_subject:
        problems.append(
            _problem(
                "The subject is required. You can get around this requirement if you use a template with a subject"
                " defined or if every personalization has a subject defined.",
                "subject",
                "message.subject",
            )
        )
    problems += _validate_content(body.get("content"), has_template=bool(template_id))
    categories = body.get("categories")
    if isinstance(categories, list) and len(categories) > MAX_CATEGORIES:
        problems.append(
            _problem(
                "Too many categories on this message. The maximum number of categories allowed is 10",
                "categories",
                "message.categories",
            )
        )
    return problems


def _validate_personalizations(envelopes: Any) -> list[dict[str, Any]]:
    if not isinstance(envelopes, list) or not envelopes:
        return [
            _problem(
                "The personalizations field is required and must have at least one personalization.",
                "personalizations",
                "-Personalizations-Errors",
            )
        ]
    if len(envelopes) > MAX_PERSONALIZATIONS:
        return [
            _problem(
                "The personalizations field is limited to 1000 personalizations per request.",
                "personalizations",
                "-Personalizations-Errors",
            )
        ]
    problems = []
    for i, envelope in enumerate(envelopes):
        recipients = envelope.get("to") if isinstance(envelope, dict) else None
        if not isinstance(recipients, list) or not recipients:
            problems.append(
                _problem(
                    "The to array is required for all personalization objects, and must have at least one email"
                    " object with a valid email address.",
                    f"personalizations.{i}.to",
                    "message.personalizations.to",
                )
            )
            continue
        for j, recipient in enumerate(recipients):
            if not isinstance(recipient, dict) or not _EMAIL.match(str(recipient.get("email", ""))):
                problems.append(
                    _problem(
                        "Does not contain a valid address.",
                        f"personalizations.{i}.to.{j}.email",
                        "message.personalizations.to",
                    )
                )
    return problems


def _validate_content(content: Any, *, has_template: bool) -> list[dict[str, Any]]:
    if not content:
        if has_template:
            return []
        return [
            _problem(
                "Unless a valid template_id is provided, the content parameter is required. There must be at least"
                " one defined content block. We typically suggest both text/plain and text/html blocks are"
                " included, but only one block is required.",
                "content",
                "message.content",
            )
        ]
    problems = []
    types = [block.get("type") if isinstance(block, dict) else None for block in content]
    for i, block in enumerate(content):
        if not isinstance(block, dict) or not block.get("value"):
            problems.append(
                _problem(
                    "The content value must be a string at least one character in length.",
                    f"content.{i}.value",
                    "message.content.value",
                )
            )
    if "text/plain" in types and types[0] != "text/plain":
        problems.append(
            _problem(
                "If present, text/plain must be first, followed by text/html, followed by any other content.",
                "content.0.type",
                "message.content.type",
            )
        )
    return problems
