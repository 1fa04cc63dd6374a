"""A fake SendGrid Mail Send v3 (`POST /v3/mail/send`): it validates a send the way SendGrid does,
answers 202 with an empty body and an `X-Message-Id`, and keeps every accepted mail in an outbox.

Errors use SendGrid's shape, `{"errors": [{"message", "field", "help"}]}`, all problems at once.
"""

from __future__ import annotations

import re
import secrets
from typing import Any, ClassVar

from sandbox.fakes.base import FakeVendor, Reply, Request, Response, route
from sandbox.fakes.credentials import SENDGRID_API_KEY, SENDGRID_API_KEY_ID

_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
_TEMPLATE_ID = re.compile(r"^d-[0-9a-f]{32}$")
_HELP = "http://sendgrid.com/docs/API_Reference/Web_API_v3/Mail/errors.html"
MAX_PERSONALIZATIONS = 1000
MAX_CATEGORIES = 10


def _problem(message: str, field: str | None = None, help_anchor: str | None = None) -> dict[str, Any]:
    return {"message": message, "field": field, "help": f"{_HELP}#{help_anchor}" if help_anchor else None}


def _key_problem(message: str, field: str | None = None) -> dict[str, Any]:
    """The API keys endpoints' error item: `field` only when one is at fault (no nulls)."""
    return {"message": message, **({"field": field} if field else {})}


class FakeSendGrid(FakeVendor):
    service: ClassVar[str] = "sendgrid"
    # SendGrid's only identifier header; the real API sends it on accepted sends only.
    request_id_header: ClassVar[str] = "X-Message-Id"
    request_id_on_errors: ClassVar[bool] = False

    # The key values it hands out reach no calls log (sandbox.fakes.base masks these fields).
    secret_fields: ClassVar[frozenset[str]] = frozenset({"api_key"})

    def reset(self) -> None:
        self.outbox: list[dict[str, Any]] = []
        # API keys by id: the platform's own (the development key) and those it creates.
        self.api_keys: dict[str, dict[str, Any]] = {
            SENDGRID_API_KEY_ID: {
                "api_key_id": SENDGRID_API_KEY_ID,
                "name": "platform-automation",
                "scopes": ["api_keys.create", "api_keys.read", "api_keys.delete", "mail.send"],
                "key": SENDGRID_API_KEY,
            }
        }

    def state(self) -> dict[str, Any]:
        with self.lock:
            return {
                "outbox": [dict(mail) for mail in self.outbox],
                "api_keys": {k: {"name": v["name"], "scopes": list(v["scopes"])} for k, v in self.api_keys.items()},
            }

    def key_works(self, value: str) -> bool:
        """Whether SendGrid would accept this key now (tests and the demo check the old one)."""
        with self.lock:
            return any(k["key"] == value for k in self.api_keys.values())

    def _caller(self, request: Request) -> dict[str, Any]:
        value = request.headers.get("authorization", "").partition(" ")[2].strip()
        return next(k for k in self.api_keys.values() if k["key"] == value)

    def _needs(self, request: Request, scope: str) -> None:
        if scope not in self._caller(request)["scopes"]:
            raise Reply(Response(403, {"errors": [_key_problem(f"access forbidden: the key lacks {scope}")]}))

    @route("POST", r"/v3/api_keys")
    def create_api_key(self, request: Request) -> Response:
        self._needs(request, "api_keys.create")
        body = request.json()
        name = body.get("name")
        if not isinstance(name, str) or not name:
            raise Reply(Response(400, {"errors": [_key_problem("name is required", "name")]}))
        caller = self._caller(request)["scopes"]
        asked = body.get("scopes")
        scopes: list[str] = [str(x) for x in asked] if isinstance(asked, list) else ["mail.send"]
        beyond = sorted(set(scopes) - set(caller))
        if beyond:  # SendGrid: a key cannot grant more than the key creating it holds
            raise Reply(Response(403, {"errors": [_key_problem(f"cannot grant scopes {beyond}", "scopes")]}))
        key_id = secrets.token_urlsafe(16)[:22]
        value = f"SG.{key_id}.{secrets.token_urlsafe(32)}"
        self.api_keys[key_id] = {"api_key_id": key_id, "name": name, "scopes": list(scopes), "key": value}
        return Response(201, {"api_key": value, "api_key_id": key_id, "name": name, "scopes": list(scopes)})

    @route("GET", r"/v3/api_keys")
    def list_api_keys(self, request: Request) -> Response:
        self._needs(request, "api_keys.read")
        return Response(200, {"result": [{"name": k["name"], "api_key_id": i} for i, k in self.api_keys.items()]})

    @route("GET", r"/v3/api_keys/(?P<key_id>[^/]+)")
    def get_api_key(self, request: Request) -> Response:
        self._needs(request, "api_keys.read")
        key = self.api_keys.get(request.params["key_id"])
        if key is None:
            raise Reply(Response(404, {"errors": [_key_problem("unable to find API Key")]}))
        return Response(
            200, {"result": [{"api_key_id": key["api_key_id"], "name": key["name"], "scopes": key["scopes"]}]}
        )

    @route("DELETE", r"/v3/api_keys/(?P<key_id>[^/]+)")
    def delete_api_key(self, request: Request) -> Response:
        self._needs(request, "api_keys.delete")
        if self.api_keys.pop(request.params["key_id"], None) is None:
            raise Reply(Response(404, {"errors": [_key_problem("unable to find API Key")]}))
        return Response(204, None)

    def error(self, status: int, message: str, request: Request) -> Response:
        if request.path.startswith("/v3/api_keys"):
            return Response(status, {"errors": [_key_problem(message)]})
        return Response(status, {"errors": [_problem(message)]})

    def check_auth(self, request: Request) -> Response | None:
        header = request.headers.get("authorization", "")
        if not header:
            return Response(401, {"errors": [_problem("authorization required")]})
        scheme, _, key = header.partition(" ")
        if scheme.lower() != "bearer" or not self.key_works(key.strip()):
            message = "The provided authorization grant is invalid, expired, or revoked"
            return Response(401, {"errors": [_problem(message)]})
        return None

    @route("POST", r"/v3/mail/send")
    def send(self, request: Request) -> Response:
        self._needs(request, "mail.send")
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
