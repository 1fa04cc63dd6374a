"""A fake Slack: the Web API methods the platform calls, at `/api/<method>` as Slack receives them,
plus slash-command `response_url`s at `/commands/<team>/<n>/<secret>`.

Like Slack, a Web API error is HTTP 200 with `{"ok": false, "error": "<code>"}`; only rate limits
(429 `ratelimited` with `Retry-After`) and server trouble use other statuses. Arguments are taken
from the query string, a form body or a JSON body, and every method answers GET and POST.
"""

from __future__ import annotations

import base64
import binascii
import json
import re
import secrets
import time
from collections.abc import Callable
from typing import Any, ClassVar, NoReturn

from sandbox.fakes.base import FakeVendor, Reply, Request, Response, route
from sandbox.fakes.credentials import SLACK_BOT_TOKEN

TEAM_ID = "T00000000"
BOT_USER_ID = "U0PLATBOT"
BOT_ID = "B0PLATBOT"
APP_ID = "A0PLATAPP"
RESPONSE_URL_USES = 5  # Slack: "up to 5 times within 30 minutes"
RESPONSE_URL_TTL_S = 30 * 60
MAX_PAGE = 1000
# Block Kit's documented limits, enforced as Slack does (`invalid_blocks`), so a message the real
# Slack would refuse fails here too (https://docs.slack.dev/reference/block-kit/blocks).
MAX_BLOCKS = 50
SECTION_TEXT = 3000
FIELD_TEXT = 2000
MAX_FIELDS = 10
HEADER_TEXT = 150
CONTEXT_ELEMENTS = 10
BUTTON_TEXT = 75
_TRIGGER_ID = re.compile(r"^\d+\.\d+\.[0-9a-f]+$")
_METHOD = r"/api/{}"


def _fail(error: str, *messages: str) -> NoReturn:
    body: dict[str, Any] = {"ok": False, "error": error}
    if messages:
        body["response_metadata"] = {"messages": list(messages)}
    raise Reply(Response(200, body))


class FakeSlack(FakeVendor):
    service: ClassVar[str] = "slack"
    request_id_header: ClassVar[str] = "x-slack-req-id"

    def reset(self) -> None:
        self.clock: Callable[[], float] = time.time
        self.users: list[dict[str, Any]] = []
        self.channels: dict[str, str] = {}  # channel id -> state key ("#name" or "@user")
        self.messages: dict[str, list[dict[str, Any]]] = {}  # channel id -> messages
        self.responses: list[dict[str, Any]] = []
        self.response_urls: dict[str, dict[str, float]] = {}  # path -> {created, uses}
        self.modals: list[dict[str, Any]] = []
        self.used_triggers: set[str] = set()
        self._seq = 0
        self.users.append(_bot_user())

    def seed(self, org: dict[str, Any]) -> None:
        for name in (org.get("slack") or {}).get("channels") or []:
            self._add_channel(str(name).lstrip("#"))
        for person in org.get("people") or []:
            if person.get("slack"):
                self._add_user(person)
        # Guests with no Okta account (a vendor's engineer in a shared channel): slack.guests.
        for guest in (org.get("slack") or {}).get("guests") or []:
            self._add_user({**guest, "slack": "guest"})

    def _add_channel(self, name: str) -> str:
        channel_id = f"C{len(self.channels) + 1:08X}"
        self.channels[channel_id] = f"#{name}"
        self.messages[channel_id] = []
        return channel_id

    def _add_user(self, person: dict[str, Any]) -> None:
        email = str(person["email"]).lower()
        name = str(person.get("name") or email)
        self.users.append(
            {
                "id": f"U{len(self.users):08X}",
                "team_id": TEAM_ID,
                "name": email.split("@", 1)[0],
                "deleted": person.get("slack") == "deactivated",
                "real_name": name,
                "tz": "Europe/London",
                "tz_label": "Greenwich Mean Time",
                "tz_offset": 0,
                "profile": _profile(name, email),
                "is_admin": False,
                "is_owner": False,
                "is_primary_owner": False,
                # `slack: guest` (multi-channel) or `single-channel-guest` in the organisation
                "is_restricted": person.get("slack") in {"guest", "single-channel-guest"},
                "is_ultra_restricted": person.get("slack") == "single-channel-guest",
                "is_bot": False,
                "is_app_user": False,
                "updated": 1_700_000_000,
                "has_2fa": True,
            }
        )

    def state(self) -> dict[str, Any]:
        with self.lock:
            return {
                "messages": {self.channels[c]: [dict(m) for m in msgs] for c, msgs in self.messages.items() if msgs},
                "responses": [dict(r) for r in self.responses],
                "modals": [dict(m) for m in self.modals],
                "users": len(self.users),
            }

    # --- helpers for tests and the local engine ---------------------------------------------
    def response_url(self) -> str:
        """A fresh slash-command response URL on this fake, shaped like Slack's
        `https://hooks.slack.com/commands/T.../<n>/<secret>`."""
        with self.lock:
            number = f"{len(self.response_urls) + 1}{secrets.randbelow(10**9):09d}"
            path = f"/commands/{TEAM_ID}/{number}/{secrets.token_hex(12)}"
            self.response_urls[path] = {"created": self.clock(), "uses": 0}
        return f"{self.url}{path}"

    def user_id(self, email: str) -> str:
        """The Slack user id of a seeded person (what a slash command or a click carries)."""
        with self.lock:
            for user in self.users:
                if user.get("profile", {}).get("email") == email:
                    return str(user["id"])
        raise KeyError(f"no Slack user with email {email}")

    def view_submission(self, view_id: str, user_id: str, values: dict[str, dict[str, str]]) -> dict[str, Any]:
        """The `view_submission` payload Slack sends when `user_id` submits an opened modal, with
        `values` ({block_id: {action_id: typed text}}) as its input elements' state."""
        with self.lock:
            modal = next(m for m in self.modals if m["id"] == view_id)
        view = modal["view"]
        state = {
            block: {action: {"type": "plain_text_input", "value": text} for action, text in inputs.items()}
            for block, inputs in values.items()
        }
        return {
            "type": "view_submission",
            "team": {"id": TEAM_ID, "domain": "example"},
            "user": {"id": user_id, "username": "someone", "team_id": TEAM_ID},
            "api_app_id": APP_ID,
            "trigger_id": self.trigger_id(),
            "view": {
                "id": view_id,
                "team_id": TEAM_ID,
                "type": "modal",
                "callback_id": view.get("callback_id", ""),
                "private_metadata": view.get("private_metadata", ""),
                "title": view["title"],
                "blocks": view["blocks"],
                "state": {"values": state},
                "hash": secrets.token_hex(8),
                "root_view_id": view_id,
                "app_id": APP_ID,
                "bot_id": BOT_ID,
            },
            "response_urls": [],
        }

    @staticmethod
    def trigger_id() -> str:
        """A trigger id in Slack's shape, as an interaction payload carries it."""
        return f"{secrets.randbelow(10**10)}.{secrets.randbelow(10**10)}.{secrets.token_hex(16)}"

    # --- vendor shapes ------------------------------------------------------------------------
    def error(self, status: int, message: str, request: Request) -> Response:  # noqa: ARG002 - one shape for all
        codes = {429: "ratelimited", 404: "unknown_method", 405: "method_not_supported", 503: "service_unavailable"}
        code = codes.get(status) or ("internal_error" if status >= 500 else message)
        return Response(status, {"ok": False, "error": code})

    def check_auth(self, request: Request) -> Response | None:
        if not request.path.startswith("/api/"):
            return None  # response_urls are capabilities: no token
        header = request.headers.get("authorization", "")
        token = header[7:].strip() if header.lower().startswith("bearer ") else _args(request).get("token")
        if not token:
            return Response(200, {"ok": False, "error": "not_authed"})
        if token != SLACK_BOT_TOKEN:
            return Response(200, {"ok": False, "error": "invalid_auth"})
        return None

    # --- Web API ----------------------------------------------------------------------------
    @route("GET", _METHOD.format(r"chat\.postMessage"))
    @route("POST", _METHOD.format(r"chat\.postMessage"))
    def post_message(self, request: Request) -> Response:
        args = _args(request)
        channel_id = self._channel(args.get("channel"))
        text, blocks = _content(args)
        ts = self._next_ts()
        stored: dict[str, Any] = {"ts": ts, "text": text, "user": BOT_USER_ID}
        if blocks is not None:
            stored["blocks"] = blocks
        if args.get("thread_ts"):
            stored["thread_ts"] = str(args["thread_ts"])
        self.messages[channel_id].append(stored)
        message: dict[str, Any] = {
            "type": "message",
            "subtype": "bot_message",
            "text": text,
            "ts": ts,
            "user": BOT_USER_ID,
            "bot_id": BOT_ID,
            "team": TEAM_ID,
        }
        for key in ("blocks", "thread_ts"):
            if key in stored:
                message[key] = stored[key]
        return _ok(channel=channel_id, ts=ts, message=message)

    @route("GET", _METHOD.format(r"chat\.update"))
    @route("POST", _METHOD.format(r"chat\.update"))
    def update_message(self, request: Request) -> Response:
        args = _args(request)
        channel_id = self._channel(args.get("channel"))
        ts = str(args.get("ts") or "")
        stored = next((m for m in self.messages[channel_id] if m["ts"] == ts), None)
        if stored is None:
            _fail("message_not_found")
        text, blocks = _content(args)
        stored["text"] = text
        if blocks is not None:
            stored["blocks"] = blocks
        stored["edited"] = True
        message: dict[str, Any] = {"text": text, "user": BOT_USER_ID, "bot_id": BOT_ID, "type": "message"}
        if "blocks" in stored:
            message["blocks"] = stored["blocks"]
        return _ok(channel=channel_id, ts=ts, text=text, message=message)

    @route("GET", _METHOD.format(r"users\.lookupByEmail"))
    @route("POST", _METHOD.format(r"users\.lookupByEmail"))
    def lookup_by_email(self, request: Request) -> Response:
        email = str(_args(request).get("email") or "").strip().lower()
        if not email:
            _fail("invalid_arguments", "[ERROR] missing required field: email")
        for user in self.users:
            if (user["profile"].get("email") or "").lower() == email and not user["deleted"]:
                return _ok(user=user)
        _fail("users_not_found")

    @route("GET", _METHOD.format(r"users\.info"))
    @route("POST", _METHOD.format(r"users\.info"))
    def user_info(self, request: Request) -> Response:
        user_id = str(_args(request).get("user") or "")
        for user in self.users:
            if user["id"] == user_id:
                return _ok(user=user)
        _fail("user_not_found")

    @route("GET", _METHOD.format(r"users\.list"))
    @route("POST", _METHOD.format(r"users\.list"))
    def list_users(self, request: Request) -> Response:
        args = _args(request)
        try:
            limit = int(args.get("limit") or 0)
        except ValueError:
            _fail("invalid_arguments", "[ERROR] invalid value for limit")
        if limit <= 0 and len(self.users) > MAX_PAGE:
            _fail("limit_required")
        size = min(limit, MAX_PAGE) if limit > 0 else MAX_PAGE
        start = 0
        if args.get("cursor"):
            start = self._cursor_position(str(args["cursor"]))
        page = self.users[start : start + size]
        next_cursor = _cursor(self.users[start + size]["id"]) if start + size < len(self.users) else ""
        return _ok(members=page, cache_ts=int(self.clock()), response_metadata={"next_cursor": next_cursor})

    @route("GET", _METHOD.format(r"views\.open"))
    @route("POST", _METHOD.format(r"views\.open"))
    def open_view(self, request: Request) -> Response:
        args = _args(request)
        trigger_id = str(args.get("trigger_id") or "")
        if not _TRIGGER_ID.match(trigger_id):
            _fail("invalid_trigger_id")
        if trigger_id in self.used_triggers:
            _fail("exchanged_trigger_id")
        view = _json_arg(args.get("view"), "view")
        missing = [f"[ERROR] missing required field: {key}" for key in ("type", "title", "blocks") if key not in view]
        if missing:
            _fail("invalid_arguments", *missing)
        if view["type"] != "modal":
            _fail("invalid_arguments", "[ERROR] must be 'modal' [json-pointer:/view/type]")
        self.used_triggers.add(trigger_id)
        view_id = f"V{len(self.modals) + 1:010d}"
        self.modals.append({"id": view_id, "trigger_id": trigger_id, "view": view})
        opened = {
            "id": view_id,
            "team_id": TEAM_ID,
            "app_id": APP_ID,
            "bot_id": BOT_ID,
            "type": "modal",
            "callback_id": view.get("callback_id", ""),
            "private_metadata": view.get("private_metadata", ""),
            "title": view["title"],
            "blocks": view["blocks"],
            "state": {"values": {}},
            "hash": secrets.token_hex(8),
            "clear_on_close": False,
            "notify_on_close": False,
            "root_view_id": view_id,
            "previous_view_id": None,
            "external_id": view.get("external_id", ""),
        }
        for key in ("submit", "close"):
            if key in view:
                opened[key] = view[key]
        return _ok(view=opened)

    # --- response_url -------------------------------------------------------------------------
    @route("POST", r"/commands/(?P<team>T[A-Z0-9]+)/(?P<n>\d+)/(?P<secret>[A-Za-z0-9]+)")
    def respond(self, request: Request) -> Response:
        # Only a URL this fake issued (`response_url()`) answers, as only Slack's own do: a made-up
        # one is the capability nobody gave, and the platform must not treat it as delivered.
        entry = self.response_urls.get(request.path)
        refusal = self._response_url_refusal(entry)
        if refusal is not None or entry is None:
            return refusal or Response(404, {"ok": False, "error": "no_service"})
        body = request.body()
        if isinstance(body, dict) and "payload" in body and request.content_type != "application/json":
            body = _json_arg(body["payload"], "payload")
        if not isinstance(body, dict):
            return Response(400, {"ok": False, "error": "invalid_payload"})
        if not body.get("text") and not body.get("blocks") and not body.get("delete_original"):
            return Response(400, {"ok": False, "error": "no_text"})
        problems = _block_problems(body.get("blocks"))
        if problems:
            return Response(400, {"ok": False, "error": "invalid_blocks", "response_metadata": {"messages": problems}})
        entry["uses"] += 1
        recorded = {"url": request.path, "text": body.get("text", "")}
        for key in ("blocks", "response_type", "replace_original", "delete_original"):
            if key in body:
                recorded[key] = body[key]
        self.responses.append(recorded)
        return Response(200, {"ok": True})

    def _response_url_refusal(self, entry: dict[str, float] | None) -> Response | None:
        if entry is None:
            return Response(404, {"ok": False, "error": "no_service"})
        if self.clock() - entry["created"] > RESPONSE_URL_TTL_S:
            return Response(404, {"ok": False, "error": "expired_url"})
        if entry["uses"] >= RESPONSE_URL_USES:
            return Response(404, {"ok": False, "error": "used_url"})
        return None

    # --- internals ----------------------------------------------------------------------------
    def _channel(self, value: Any) -> str:
        """A channel id from an id, a `#name`, a bare name, or a user id (a direct message)."""
        text = str(value or "").strip()
        if text in self.channels:
            return text
        name = f"#{text.lstrip('#')}"
        for channel_id, key in self.channels.items():
            if key == name:
                return channel_id
        user = next((u for u in self.users if u["id"] == text), None)
        if user is not None:
            dm = f"D{text[1:]}"
            if dm not in self.channels:
                self.channels[dm] = f"@{user['name']}"
                self.messages[dm] = []
            return dm
        _fail("channel_not_found")

    def _next_ts(self) -> str:
        self._seq += 1
        return f"{int(self.clock()):010d}.{self._seq % 1_000_000:06d}"

    def _cursor_position(self, cursor: str) -> int:
        try:
            user_id = base64.b64decode(cursor.encode(), validate=True).decode().removeprefix("user:")
        except (binascii.Error, UnicodeDecodeError):
            _fail("invalid_cursor")
        for index, user in enumerate(self.users):
            if user["id"] == user_id:
                return index
        _fail("invalid_cursor")


def _ok(**fields: Any) -> Response:
    return Response(200, {"ok": True, **fields})


def _args(request: Request) -> dict[str, Any]:
    """Slack reads arguments from the query string and from a form or JSON body alike."""
    args: dict[str, Any] = {k: v[-1] for k, v in request.query.items()}
    if request.raw:
        body = request.body()
        if request.content_type == "application/json" and not isinstance(body, dict):
            _fail("invalid_json" if isinstance(body, str) else "json_not_object")
        if isinstance(body, dict):
            args.update(body)
    return args


def _json_arg(value: Any, name: str) -> dict[str, Any]:
    """A JSON-encoded argument (as a form sends it) or an object (as a JSON body does)."""
    if isinstance(value, str):
        try:
            value = json.loads(value)
        except json.JSONDecodeError:
            _fail("invalid_arguments", f"[ERROR] {name} must be a JSON object")
    if not isinstance(value, dict):
        _fail("invalid_arguments", f"[ERROR] {name} must be a JSON object")
    return value


def _content(args: dict[str, Any]) -> tuple[str, list[dict[str, Any]] | None]:
    text = str(args.get("text") or "")
    blocks = args.get("blocks")
    if isinstance(blocks, str):
        try:
            blocks = json.loads(blocks) if blocks else None
        except json.JSONDecodeError:
            _fail("invalid_blocks_format")
    if blocks is not None and (
        not isinstance(blocks, list) or not all(isinstance(b, dict) and b.get("type") for b in blocks)
    ):
        _fail("invalid_blocks")
    if not text and not blocks:
        _fail("no_text")
    if len(text) > 40_000:
        _fail("msg_too_long")
    problems = _block_problems(blocks)
    if problems:
        _fail("invalid_blocks", *problems)
    return text, blocks


# Block type -> (its list of items, how many it may hold, the text limit of each item).
_ITEMS: dict[str, tuple[str, int, int]] = {
    "section": ("fields", MAX_FIELDS, FIELD_TEXT),
    "context": ("elements", CONTEXT_ELEMENTS, SECTION_TEXT),
    "actions": ("elements", 25, BUTTON_TEXT),  # a button's text (its `text.text`)
}


def _block_problems(blocks: Any) -> list[str]:
    """Slack's `[ERROR] ... [json-pointer:...]` lines for every limit `blocks` breaks."""
    if not isinstance(blocks, list):
        return []
    problems = []
    if len(blocks) > MAX_BLOCKS:
        problems.append(f"[ERROR] no more than {MAX_BLOCKS} items allowed [json-pointer:/blocks]")
    for i, block in enumerate(blocks):
        if isinstance(block, dict):
            problems += _one_block(block, f"/blocks/{i}")
    return problems


def _too_long(obj: Any, limit: int, pointer: str) -> list[str]:
    text = obj.get("text") if isinstance(obj, dict) else None
    if isinstance(text, dict):  # a button: {"text": {"type": "plain_text", "text": ...}}
        return _too_long(text, limit, f"{pointer}/text")
    if isinstance(text, str) and len(text) > limit:
        return [f"[ERROR] must be less than {limit + 1} characters [json-pointer:{pointer}/text]"]
    return []


def _one_block(block: dict[str, Any], at: str) -> list[str]:
    kind = str(block.get("type"))
    problems = []
    if kind in ("section", "header"):
        problems += _too_long(block.get("text"), SECTION_TEXT if kind == "section" else HEADER_TEXT, f"{at}/text")
    if kind in _ITEMS:
        key, most, each = _ITEMS[kind]
        found = block.get(key)
        items: list[Any] = found if isinstance(found, list) else []
        if len(items) > most:
            problems.append(f"[ERROR] no more than {most} items allowed [json-pointer:{at}/{key}]")
        for j, item in enumerate(items):
            problems += _too_long(item, each, f"{at}/{key}/{j}")
    return problems


def _cursor(user_id: str) -> str:
    return base64.b64encode(f"user:{user_id}".encode()).decode()


def _profile(name: str, email: str) -> dict[str, Any]:
    first, _, last = name.partition(" ")
    return {
        "real_name": name,
        "real_name_normalized": name,
        "display_name": first,
        "display_name_normalized": first,
        "first_name": first,
        "last_name": last,
        "email": email,
        "title": "",
        "phone": "",
        "skype": "",
        "status_text": "",
        "status_emoji": "",
        "status_expiration": 0,
        "avatar_hash": "g0000000000",
        "fields": {},
        "team": TEAM_ID,
    }


def _bot_user() -> dict[str, Any]:
    profile = _profile("Platform Automation", "")
    profile.update({"email": None, "bot_id": BOT_ID, "api_app_id": APP_ID, "always_active": True})
    return {
        "id": BOT_USER_ID,
        "team_id": TEAM_ID,
        "name": "platform-automation",
        "deleted": False,
        "real_name": "Platform Automation",
        "profile": profile,
        "is_admin": False,
        "is_owner": False,
        "is_bot": True,
        "is_app_user": False,
        "updated": 1_700_000_000,
    }
