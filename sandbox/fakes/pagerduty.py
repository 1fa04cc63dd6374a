"""A fake PagerDuty serving both APIs the platform calls, since the sandbox points both URLs here:

- Events API v2, `POST /v2/enqueue`: trigger opens an incident or adds to the open one with the
  same dedup key, acknowledge and resolve change its status; 202 `{"status": "success", ...}`, and
  400 `{"status": "invalid event", "message", "errors": [...]}` for a bad event or routing key.
- REST API v2 (`Authorization: Token token=...`): users and schedules with classic offset
  pagination (`limit` default 25, at most 100; `more`; `total` only when `total=true`), and user
  deletion, refused with a 400 while the user is on a schedule.
"""

from __future__ import annotations

import secrets
from typing import Any, ClassVar

from sandbox.fakes.base import FakeVendor, Reply, Request, Response, route
from sandbox.fakes.credentials import PAGERDUTY_API_TOKEN, PAGERDUTY_ROUTING_KEY

API = "https://api.pagerduty.com"
WEB = "https://sandbox.pagerduty.com"
DEFAULT_LIMIT = 25
MAX_LIMIT = 100
SEVERITIES = ("critical", "error", "warning", "info")
ACTIONS = ("trigger", "acknowledge", "resolve")
# PagerDuty's error codes (REST API v2 "Errors" page).
INVALID_INPUT, AUTHENTICATION_FAILED, RATE_LIMITED, NOT_FOUND = 2001, 2006, 2020, 2100


def _rest_error(status: int, message: str, code: int | None = None, errors: list[str] | None = None) -> Response:
    error: dict[str, Any] = {"message": message}
    if code is not None:
        error["code"] = code
    if errors:
        error["errors"] = errors
    return Response(status, {"error": error})


def _invalid_event(*errors: str) -> Reply:
    return Reply(
        Response(400, {"status": "invalid event", "message": "Event object is invalid", "errors": list(errors)})
    )


class FakePagerDuty(FakeVendor):
    service: ClassVar[str] = "pagerduty"
    request_id_header: ClassVar[str] = "x-request-id"

    def reset(self) -> None:
        self.users: list[dict[str, Any]] = []
        self.schedules: list[dict[str, Any]] = []
        self.incidents: dict[str, dict[str, Any]] = {}
        self.removed_users: list[str] = []

    def seed(self, org: dict[str, Any]) -> None:
        for person in org.get("people") or []:
            if person.get("pagerduty"):
                self._add_user(str(person.get("name") or person["email"]), str(person["email"]).lower())
                if isinstance(person["pagerduty"], str):  # `pagerduty: admin`: the user's role
                    self.users[-1]["role"] = person["pagerduty"]
        by_email = {user["email"]: user for user in self.users}
        for schedule in (org.get("pagerduty") or {}).get("schedules") or []:
            members = [by_email[m.lower()] for m in schedule.get("members") or [] if m.lower() in by_email]
            self._add_schedule(str(schedule["name"]), members)

    def _add_user(self, name: str, email: str) -> None:
        user_id = f"PU{len(self.users) + 1:05d}"
        self.users.append(
            {
                "id": user_id,
                "type": "user",
                "summary": name,
                "self": f"{API}/users/{user_id}",
                "html_url": f"{WEB}/users/{user_id}",
                "name": name,
                "email": email,
                "time_zone": "Europe/London",
                "color": "purple",
                "role": "user",
                "avatar_url": f"https://secure.gravatar.com/avatar/{secrets.token_hex(16)}.png?d=mm&r=PG",
                "invitation_sent": False,
                "job_title": "",
                "teams": [],
                "contact_methods": [],
                "notification_rules": [],
            }
        )

    def _add_schedule(self, name: str, members: list[dict[str, Any]]) -> None:
        schedule_id = f"PS{len(self.schedules) + 1:05d}"
        self.schedules.append(
            {
                "id": schedule_id,
                "type": "schedule",
                "summary": name,
                "self": f"{API}/schedules/{schedule_id}",
                "html_url": f"{WEB}/schedules/{schedule_id}",
                "name": name,
                "time_zone": "Europe/London",
                "description": "",
                "users": [_reference(user) for user in members],
                "escalation_policies": [],
                "teams": [],
            }
        )

    def state(self) -> dict[str, Any]:
        with self.lock:
            return {
                "incidents": {key: dict(incident) for key, incident in self.incidents.items()},
                "users": [user["email"] for user in self.users],
                "removed_users": list(self.removed_users),
            }

    # --- vendor shapes ------------------------------------------------------------------------
    def error(self, status: int, message: str, request: Request) -> Response:
        if _is_events(request):
            if status == 429:
                body = {
                    "status": "throttle event",
                    "message": "Requests for this service are arriving too quickly.  Please retry later.",
                }
            else:
                body = {"status": "error" if status >= 500 else "invalid event", "message": message}
            return Response(status, body)
        codes = {400: INVALID_INPUT, 401: AUTHENTICATION_FAILED, 404: NOT_FOUND, 429: RATE_LIMITED}
        texts = {401: "Authentication failed", 404: "Not Found", 429: "Rate Limit Exceeded"}
        return _rest_error(status, texts.get(status, message), codes.get(status))

    def check_auth(self, request: Request) -> Response | None:
        if _is_events(request):
            return None  # the routing key in the event is the credential
        header = request.headers.get("authorization", "")
        if header.strip() != f"Token token={PAGERDUTY_API_TOKEN}":
            return _rest_error(401, "Authentication failed", AUTHENTICATION_FAILED)
        accept = request.headers.get("accept", "")
        if "vnd.pagerduty+json" in accept and "version=2" not in accept.replace(" ", ""):
            return _rest_error(400, "Invalid Input Provided", INVALID_INPUT, ["Unsupported API version"])
        return None

    # --- Events API v2 ------------------------------------------------------------------------
    @route("POST", r"/v2/enqueue")
    def enqueue(self, request: Request) -> Response:
        event = request.body()
        if not isinstance(event, dict):
            raise _invalid_event("Event object is not valid JSON")
        if not event.get("routing_key"):
            raise _invalid_event("'routing_key' is missing or blank")
        if event["routing_key"] != PAGERDUTY_ROUTING_KEY:
            raise _invalid_event("Invalid routing key")
        action = event.get("event_action")
        if action not in ACTIONS:
            raise _invalid_event(
                "'event_action' is invalid (must be one of the following: 'trigger', 'acknowledge' or 'resolve')"
            )
        dedup_key = str(event.get("dedup_key") or "")
        if action == "trigger":
            dedup_key = self._trigger(event, dedup_key or secrets.token_hex(16))
        elif not dedup_key:
            raise _invalid_event("'dedup_key' is missing or blank")
        else:
            incident = self.incidents.get(dedup_key)
            # Acknowledging or resolving an unknown (or resolved) alert is accepted and changes nothing.
            if incident is not None and incident["status"] != "resolved":
                incident["status"] = "acknowledged" if action == "acknowledge" else "resolved"
                incident["events"] += 1
        return Response(202, {"status": "success", "message": "Event processed", "dedup_key": dedup_key})

    def _trigger(self, event: dict[str, Any], dedup_key: str) -> str:
        payload = event.get("payload")
        if not isinstance(payload, dict):
            raise _invalid_event("'payload' is missing or blank")
        problems = [f"'payload.{key}' is missing or blank" for key in ("summary", "source") if not payload.get(key)]
        if payload.get("severity") not in SEVERITIES:
            problems.append(
                "'payload.severity' is invalid (must be one of the following: 'critical', 'warning', 'error' or 'info')"
            )
        if problems:
            raise _invalid_event(*problems)
        incident = self.incidents.get(dedup_key)
        if incident is not None and incident["status"] != "resolved":
            incident["events"] += 1  # deduplicated into the open incident
            return dedup_key
        self.incidents[dedup_key] = {
            "status": "triggered",
            "summary": str(payload["summary"])[:1024],
            "severity": payload["severity"],
            "events": 1,
        }
        return dedup_key

    # --- REST API v2 --------------------------------------------------------------------------
    @route("GET", r"/users")
    def list_users(self, request: Request) -> Response:
        query = (request.arg("query") or "").lower()
        users = [u for u in self.users if query in u["name"].lower() or query in u["email"].lower()]
        return Response(200, _page("users", users, request))

    @route("GET", r"/users/(?P<id>[A-Z0-9]+)")
    def get_user(self, request: Request) -> Response:
        return Response(200, {"user": self._user(request.params["id"])})

    @route("DELETE", r"/users/(?P<id>[A-Z0-9]+)")
    def delete_user(self, request: Request) -> Response:
        user = self._user(request.params["id"])
        on = [s["name"] for s in self.schedules if any(ref["id"] == user["id"] for ref in s["users"])]
        if on:
            return _rest_error(
                400,
                "Invalid Input Provided",
                INVALID_INPUT,
                [f"User cannot be deleted while they are a member of a schedule: {', '.join(on)}"],
            )
        self.users.remove(user)
        self.removed_users.append(user["email"])
        return Response(204, None)

    @route("GET", r"/schedules")
    def list_schedules(self, request: Request) -> Response:
        query = (request.arg("query") or "").lower()
        return Response(200, _page("schedules", [s for s in self.schedules if query in s["name"].lower()], request))

    def _user(self, user_id: str) -> dict[str, Any]:
        for user in self.users:
            if user["id"] == user_id:
                return user
        raise Reply(_rest_error(404, "Not Found", NOT_FOUND))


def _is_events(request: Request) -> bool:
    return request.path.startswith("/v2/")


def _reference(user: dict[str, Any]) -> dict[str, Any]:
    return {
        "id": user["id"],
        "type": "user_reference",
        "summary": user["name"],
        "self": user["self"],
        "html_url": user["html_url"],
    }


def _page(key: str, items: list[dict[str, Any]], request: Request) -> dict[str, Any]:
    """PagerDuty's classic pagination: `limit`/`offset` in, `more` out, `total` only on request."""
    try:
        limit = min(max(int(request.arg("limit") or DEFAULT_LIMIT), 1), MAX_LIMIT)
        offset = max(int(request.arg("offset") or 0), 0)
    except ValueError:
        raise Reply(
            _rest_error(400, "Invalid Input Provided", INVALID_INPUT, ["limit and offset must be integers"])
        ) from None
    page = items[offset : offset + limit]
    total = len(items) if (request.arg("total") or "").lower() == "true" else None
    return {key: page, "limit": limit, "offset": offset, "more": offset + limit < len(items), "total": total}
