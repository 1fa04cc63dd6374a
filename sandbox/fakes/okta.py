"""A stateful fake of the Okta Management API (the part the platform uses) and of the org
authorization server's token endpoint, for the official `okta` SDK to talk to unmodified.

Served: users (list with filter/search/q and `after` cursors, create, get by id/login/shortname,
activate, deactivate, clear sessions, their groups and factors), groups (list/q, add and remove
members), service apps' public keys (sandbox/fakes/okta_keys.py) and `POST /oauth2/v1/token`
(client credentials with a private-key JWT assertion, checked against the client's active keys).
Auth: `SSWS <api token>` or `Bearer <token from /oauth2/v1/token>`, whose scopes are enforced as
the spec's security requirements say. Errors have Okta's shape; every response carries Okta's
`X-Rate-Limit-*` headers, and an injected 429 says when to come back in `X-Rate-Limit-Reset`
(epoch seconds) as Okta does, instead of `Retry-After`.

`state()` is {"user_count", "status_counts", "users": {login: {id, status, groups, factors}},
"users_complete", "groups": {name: member_count}, "sessions_cleared": [login, ...]}: `users`
holds every user while the org has at most STATE_ALL_USERS_MAX of them, else only the users
created or changed since seeding (`users_complete` says which); `groups` per user leave out
Everyone, which holds every user; `factors` are Okta factor types ("push", "token:software:totp").
"""

from __future__ import annotations

import math
import threading
import time
import uuid
from collections import Counter
from typing import Any, ClassVar
from urllib.parse import quote, unquote, urlencode

from sandbox.fakes import credentials
from sandbox.fakes.base import FakeVendor, Reply, Request, Response, route
from sandbox.fakes.okta_data import (
    ExpressionError,
    Predicate,
    compile_filter,
    compile_search,
    new_factor,
    new_group,
    new_user,
    people,
    seed_user,
    timestamp,
)
from sandbox.fakes.okta_keys import ServiceAppKeys

STATE_ALL_USERS_MAX = 500
RATE_LIMIT = 600  # requests per minute, as reported in X-Rate-Limit-Limit (not enforced)
USERS_PAGE_MAX = 200
GROUPS_PAGE_MAX = 10_000
TOKEN_PATH = "/oauth2/v1/token"  # noqa: S105 - a path, not a password
ASSERTION_TYPE = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"
TOKEN_TTL_S = 3600

_CODES = {
    400: ("E0000001", None),
    401: ("E0000011", "Invalid token provided"),
    403: ("E0000006", "You do not have permission to perform the requested action"),
    404: ("E0000007", None),
    405: ("E0000022", None),
    429: ("E0000047", "API call exceeded rate limit due to too many requests."),
    500: ("E0000009", "Internal Server Error"),
    502: ("E0000009", "Internal Server Error"),
    503: ("E0000010", "Service is in read only mode"),
    504: ("E0000009", "Internal Server Error"),
}


def okta_error(status: int, code: str, summary: str, causes: tuple[str, ...] = ()) -> Response:
    return Response(
        status,
        {
            "errorCode": code,
            "errorSummary": summary,
            "errorLink": code,
            "errorId": "oae" + uuid.uuid4().hex[:22],
            "errorCauses": [{"errorSummary": cause} for cause in causes],
        },
    )


def _oauth_reply(status: int, error: str, description: str) -> Reply:
    return Reply(Response(status, {"error": error, "error_description": description}))


def _validation(field: str, cause: str) -> Reply:
    return Reply(okta_error(400, "E0000001", f"Api validation failed: {field}", (f"{field}: {cause}",)))


class FakeOkta(ServiceAppKeys, FakeVendor):
    service: ClassVar[str] = "okta"
    request_id_header: ClassVar[str] = "X-Okta-Request-Id"

    def reset(self) -> None:
        self.users: dict[str, dict[str, Any]] = {}  # id → record, in creation order
        self.order: list[str] = []  # user ids in listing order
        self.position: dict[str, int] = {}
        self.by_login: dict[str, str] = {}  # lower-cased login → id
        self.has_password: set[str] = set()
        self.groups: dict[str, dict[str, Any]] = {}  # id → record, in creation order
        self.members: dict[str, set[str]] = {}  # group id → user ids
        self.user_groups: dict[str, list[str]] = {}  # user id → group ids
        self.factors: dict[str, list[dict[str, Any]]] = {}
        self.sessions_cleared: list[str] = []
        self.app_keys = {}  # service app id → its public keys (okta_keys.py)
        self.changed: set[str] = set()  # users created or changed since seeding
        # Issued access tokens survive a reset (a reseed of the sandbox), as they would survive a
        # change of the org's data in Okta: adapters keep theirs for the container's life.
        self.tokens: dict[str, dict[str, Any]] = getattr(self, "tokens", {})  # token → {scopes, client_id, expires}
        self.used_jti: set[str] = getattr(self, "used_jti", set())
        self.everyone = ""
        self._window = (0, 0)  # (minute, requests in it), for X-Rate-Limit-Remaining
        self._local = threading.local()
        self._add_group("Everyone", built_in=True)

    # --- seeding and state ----------------------------------------------------------------
    def seed(self, org: dict[str, Any]) -> None:
        with self.lock:
            for name in (org.get("okta") or {}).get("groups") or []:
                if self._group_named(name) is None:
                    self._add_group(name)
            for profile, okta in people(org):
                if profile["login"] in self.by_login:
                    continue
                user = seed_user(profile, okta)
                self._add_user(user, password=user["passwordChanged"] is not None)
                for name in okta.get("groups") or []:
                    group = self._group_named(name) or self._add_group(name)
                    self._join(group["id"], user["id"])
                self.factors[user["id"]] = [new_factor(user, str(kind)) for kind in okta.get("factors") or []]

    def state(self) -> dict[str, Any]:
        with self.lock:
            complete = len(self.users) <= STATE_ALL_USERS_MAX
            shown = self.order if complete else [i for i in self.order if i in self.changed]
            return {
                "user_count": len(self.users),
                "status_counts": dict(Counter(u["status"] for u in self.users.values())),
                "users": {self.users[i]["profile"]["login"]: self._user_state(i) for i in shown},
                "users_complete": complete,
                "groups": {g["profile"]["name"]: len(self.members[g["id"]]) for g in self.groups.values()},
                "sessions_cleared": list(self.sessions_cleared),
            }

    def _user_state(self, user_id: str) -> dict[str, Any]:
        user = self.users[user_id]
        return {
            "id": user_id,
            "status": user["status"],
            "groups": [self.groups[g]["profile"]["name"] for g in self.user_groups[user_id] if g != self.everyone],
            "factors": [f["factorType"] for f in self.factors.get(user_id, [])],
        }

    def _add_user(self, user: dict[str, Any], *, password: bool) -> None:
        user_id = user["id"]
        self.users[user_id] = user
        self.position[user_id] = len(self.order)
        self.order.append(user_id)
        self.by_login[user["profile"]["login"].lower()] = user_id
        self.user_groups[user_id] = []
        if password:
            self.has_password.add(user_id)
        self._join(self.everyone, user_id)

    def _add_group(self, name: str, *, built_in: bool = False) -> dict[str, Any]:
        group = new_group(name, built_in=built_in)
        self.groups[group["id"]] = group
        self.members[group["id"]] = set()
        if built_in:
            self.everyone = group["id"]
        return group

    def _group_named(self, name: str) -> dict[str, Any] | None:
        return next((g for g in self.groups.values() if g["profile"]["name"] == name), None)

    def _join(self, group_id: str, user_id: str) -> None:
        if user_id not in self.members[group_id]:
            self.members[group_id].add(user_id)
            self.user_groups[user_id].append(group_id)

    # --- the HTTP surface shared by all routes ----------------------------------------------
    def error(self, status: int, message: str, request: Request) -> Response:  # noqa: ARG002 - one shape for all
        code, summary = _CODES.get(status, ("E0000009", None))
        if status == 404:
            summary = f"Not found: {message}"
        return okta_error(status, code, summary or message)

    def check_auth(self, request: Request) -> Response | None:
        if request.path == TOKEN_PATH:
            return None  # the client authenticates with its assertion
        scheme, _, value = request.headers.get("authorization", "").partition(" ")
        if scheme == "SSWS" and value == credentials.OKTA_API_TOKEN:
            return None
        token = self.tokens.get(value) if scheme == "Bearer" else None
        if token is not None and token["expires"] > time.time():
            return None
        response = okta_error(401, "E0000011", "Invalid token provided")
        if scheme == "Bearer":
            response.headers["WWW-Authenticate"] = (
                'Bearer realm="IdpRealm", error="invalid_token", error_description="The token is not valid."'
            )
        return response

    def handle(self, request: Request) -> Response:
        if request.path == TOKEN_PATH and request.method == "POST":
            # The assertion is a credential: the handler reads it, the calls log gets a placeholder.
            form = request.body()
            self._local.form = form if isinstance(form, dict) else {}
            if isinstance(form, dict) and "client_assertion" in form:
                request.raw = urlencode({**form, "client_assertion": "[redacted]"}).encode()
        response = super().handle(request)
        self._rate_limit_headers(response)
        return response

    def _rate_limit_headers(self, response: Response) -> None:
        now = time.time()
        minute = int(now // 60)
        with self.lock:
            count = self._window[1] + 1 if self._window[0] == minute else 1
            self._window = (minute, count)
        reset = (minute + 1) * 60
        remaining = max(0, RATE_LIMIT - count)
        if response.status == 429:
            remaining = 0
            retry_after = response.headers.pop("Retry-After", None)
            if retry_after is not None:
                reset = math.ceil(now + float(retry_after))
        response.headers.update(
            {
                "X-Rate-Limit-Limit": str(RATE_LIMIT),
                "X-Rate-Limit-Remaining": str(remaining),
                "X-Rate-Limit-Reset": str(reset),
            }
        )

    def _require(self, request: Request, scope: str) -> None:
        """The spec's oauth2 security requirement; `….manage` grants `….read`."""
        scheme, _, value = request.headers.get("authorization", "").partition(" ")
        if scheme != "Bearer":
            return
        granted = self.tokens.get(value, {}).get("scopes", set())
        if scope in granted or scope.replace(".read", ".manage") in granted:
            return
        response = okta_error(403, "E0000006", "You do not have permission to perform the requested action")
        response.headers["WWW-Authenticate"] = (
            f'Bearer realm="IdpRealm", scope="{scope}", error="insufficient_scope", '
            'error_description="The access token provided does not contain the required scopes."'
        )
        raise Reply(response)

    @staticmethod
    def _base(request: Request) -> str:
        return "http://" + request.headers.get("host", "127.0.0.1")

    # --- OAuth 2.0 token endpoint ------------------------------------------------------------
    @route("POST", TOKEN_PATH)
    def token(self, request: Request) -> Response:
        """Client credentials with a private-key JWT (RFC 7523): the assertion must be signed by
        an active key of the client (its `kid`), name this token URL as audience and the client as iss and sub, and
        be used once."""
        form: dict[str, Any] = getattr(self._local, "form", {})
        if form.get("grant_type") != "client_credentials":
            raise _oauth_reply(400, "unsupported_grant_type", "The authorization grant type is not supported.")
        if form.get("client_assertion_type") != ASSERTION_TYPE or not form.get("client_assertion"):
            raise _oauth_reply(401, "invalid_client", "Client authentication requires a client_assertion JWT.")
        scopes = str(form.get("scope") or "").split()
        if not scopes:
            raise _oauth_reply(400, "invalid_scope", "'scope' must be provided.")
        if any(not s.startswith("okta.") for s in scopes):
            raise _oauth_reply(400, "invalid_scope", "One or more scopes are not configured for the resource.")
        claims = self._assertion_claims(str(form["client_assertion"]), audience=self._base(request) + TOKEN_PATH)
        access_token = "sandbox-at-" + uuid.uuid4().hex
        self.tokens[access_token] = {
            "scopes": set(scopes),
            "client_id": claims["sub"],
            "expires": time.time() + TOKEN_TTL_S,
        }
        body = {
            "token_type": "Bearer",
            "expires_in": TOKEN_TTL_S,
            "access_token": access_token,
            "scope": " ".join(scopes),
        }
        return Response(200, body, {"Cache-Control": "no-cache, no-store", "Pragma": "no-cache"})

    def _assertion_claims(self, assertion: str, *, audience: str) -> dict[str, Any]:
        import jwt

        try:
            kid = jwt.get_unverified_header(assertion).get("kid")
            client = str(jwt.decode(assertion, options={"verify_signature": False}).get("sub") or "")
            keys = self.active_public_keys(client, kid)
            if not keys:
                raise _oauth_reply(
                    401, "invalid_client", f"No active key with kid {kid!r} is registered for the client"
                )
            claims = _verified(assertion, keys, audience)
        except jwt.PyJWTError as exc:
            raise _oauth_reply(401, "invalid_client", f"The client_assertion is invalid: {exc}") from None
        if claims["iss"] != claims["sub"]:
            raise _oauth_reply(401, "invalid_client", "The client_assertion iss and sub must both be the client id.")
        if claims["exp"] > time.time() + TOKEN_TTL_S:
            raise _oauth_reply(401, "invalid_client", "The client_assertion expires more than an hour from now.")
        if claims["jti"] in self.used_jti:
            raise _oauth_reply(401, "invalid_client", "The client_assertion token has already been used.")
        self.used_jti.add(claims["jti"])
        return claims

    # --- users -------------------------------------------------------------------------------
    def _find_user(self, reference: str, *, ids_only: bool = False) -> dict[str, Any]:
        """Okta's `{id}` takes an id, a login or an unambiguous login shortname; `{userId}` an id."""
        reference = unquote(reference)
        user_id: str | None = reference if reference in self.users else None
        if user_id is None and not ids_only:
            user_id = self.by_login.get(reference.lower())
            if user_id is None and "@" not in reference:
                short = [i for login, i in self.by_login.items() if login.split("@", 1)[0] == reference.lower()]
                user_id = short[0] if len(short) == 1 else None
        if user_id is None:
            raise Reply(okta_error(404, "E0000007", f"Not found: Resource not found: {reference} (User)"))
        return self.users[user_id]

    def _render_user(self, user: dict[str, Any], base: str, *, single: bool) -> dict[str, Any]:
        href = f"{base}/api/v1/users/{user['id']}"
        links: dict[str, Any] = {"self": {"href": href}}
        if single:
            status = user["status"]
            if status in ("STAGED", "PROVISIONED", "DEPROVISIONED"):
                links["activate"] = {"href": f"{href}/lifecycle/activate", "method": "POST"}
            if status != "DEPROVISIONED":
                links["deactivate"] = {"href": f"{href}/lifecycle/deactivate", "method": "POST"}
            if status == "ACTIVE":
                links["suspend"] = {"href": f"{href}/lifecycle/suspend", "method": "POST"}
                links["resetPassword"] = {"href": f"{href}/lifecycle/reset_password", "method": "POST"}
                links["resetFactors"] = {"href": f"{href}/lifecycle/reset_factors", "method": "POST"}
        provider = {"type": "OKTA", "name": "OKTA"}
        creds = {"password": {}, "provider": provider} if user["id"] in self.has_password else {"provider": provider}
        return {**user, "credentials": creds, "_links": links}

    @route("GET", r"/api/v1/users")
    def list_users(self, request: Request) -> Response:
        self._require(request, "okta.users.read")
        base = self._base(request)
        query = request.arg("q")
        if query is not None:
            # `q` is a people picker: a prefix match on names and email, no DEPROVISIONED, no paging.
            prefix = query.lower()
            limit = max(1, min(request.int_arg("limit", 10), USERS_PAGE_MAX))
            found = [
                u
                for u in (self.users[i] for i in self.order)
                if u["status"] != "DEPROVISIONED"
                and any(
                    str(u["profile"].get(k) or "").lower().startswith(prefix)
                    for k in ("firstName", "lastName", "email")
                )
            ][:limit]
            return Response(200, [self._render_user(u, base, single=False) for u in found])
        predicate = self._predicate(request)
        return self._page(
            request,
            order=self.order,
            records=self.users,
            predicate=predicate,
            page_max=USERS_PAGE_MAX,
            path="/api/v1/users",
        )

    def _predicate(self, request: Request) -> Predicate:
        search, expression = request.arg("search"), request.arg("filter")
        try:
            if search is not None:
                return compile_search(search)
            if expression is not None:
                return compile_filter(expression)
        except ExpressionError as exc:
            raise Reply(okta_error(400, "E0000031", "Invalid search criteria.", (str(exc),))) from None
        # Without a filter or search, Okta leaves DEPROVISIONED users out.
        return lambda user: user["status"] != "DEPROVISIONED"

    def _page(
        self,
        request: Request,
        *,
        order: list[str],
        records: dict[str, dict[str, Any]],
        predicate: Predicate,
        page_max: int,
        path: str,
    ) -> Response:
        """One page after the `after` cursor (the last id of the previous page), with Okta's Link
        header: `self`, and `next` while more match. Scans only as far as the page needs."""
        limit = max(1, min(request.int_arg("limit", page_max), page_max))
        after = request.arg("after")
        start = 0
        if after:
            index = {i: n for n, i in enumerate(order)} if order is not self.order else self.position
            if after not in index:
                raise Reply(okta_error(400, "E0000001", "Api validation failed: after", ("after: invalid cursor",)))
            start = index[after] + 1
        found: list[dict[str, Any]] = []
        more = False
        for record_id in order[start:] if start else order:
            record = records[record_id]
            if predicate(record):
                if len(found) == limit:
                    more = True
                    break
                found.append(record)
        base = self._base(request)
        pairs = [(k, v) for k, values in request.query.items() if k != "after" for v in values]
        links = [f'<{base}{path}?{urlencode(pairs, quote_via=quote)}>; rel="self"']
        if more:
            next_query = urlencode([*pairs, ("after", found[-1]["id"])], quote_via=quote)
            links.append(f'<{base}{path}?{next_query}>; rel="next"')
        render = self._render_user if path.endswith("users") else self._render_group
        return Response(200, [render(r, base, single=False) for r in found], {"Link": ", ".join(links)})

    @route("POST", r"/api/v1/users")
    def create_user(self, request: Request) -> Response:
        self._require(request, "okta.users.manage")
        body = request.json()
        profile = body.get("profile")
        if not isinstance(profile, dict):
            raise _validation("profile", "The field cannot be left blank")
        for field in ("login", "email", "firstName", "lastName"):
            if not str(profile.get(field) or "").strip():
                raise _validation(field, "The field cannot be left blank")
        login = str(profile["login"])
        if "@" not in login:
            raise _validation("login", "Username must be in the form of an email address")
        if login.lower() in self.by_login:
            raise _validation("login", "An object with this field already exists in the current organization")
        group_ids = body.get("groupIds") or []
        unknown = [g for g in group_ids if g not in self.groups]
        if unknown:
            raise _validation("groupIds", f"Group not found: {unknown[0]}")
        password = bool(((body.get("credentials") or {}).get("password") or {}).get("value"))
        activate = (request.arg("activate", "true") or "true").lower() != "false"
        now = timestamp()
        status = ("ACTIVE" if password else "PROVISIONED") if activate else "STAGED"
        user = new_user(profile, status, created=now, password=password)
        self._add_user(user, password=password)
        for group_id in group_ids:
            self._join(group_id, user["id"])
        self.factors[user["id"]] = []
        self.changed.add(user["id"])
        return Response(200, self._render_user(user, self._base(request), single=True))

    @route("GET", r"/api/v1/users/(?P<id>[^/]+)")
    def get_user(self, request: Request) -> Response:
        self._require(request, "okta.users.read")
        user = self._find_user(request.params["id"])
        return Response(200, self._render_user(user, self._base(request), single=True))

    def _set_status(self, user: dict[str, Any], status: str) -> None:
        now = timestamp()
        user["status"] = status
        user["statusChanged"] = user["lastUpdated"] = now
        if status in ("ACTIVE", "PROVISIONED"):
            user["activated"] = now
        self.changed.add(user["id"])

    @route("POST", r"/api/v1/users/(?P<id>[^/]+)/lifecycle/activate")
    def activate_user(self, request: Request) -> Response:
        self._require(request, "okta.users.manage")
        user = self._find_user(request.params["id"])
        if user["status"] == "ACTIVE":
            return okta_error(403, "E0000016", "Activation failed because the user is already active")
        if user["status"] == "DEPROVISIONED":
            self.has_password.discard(user["id"])  # a reactivated user sets up their credentials again
        has_password = user["id"] in self.has_password
        self._set_status(user, "ACTIVE" if has_password and user["status"] == "STAGED" else "PROVISIONED")
        if (request.arg("sendEmail", "true") or "").lower() == "false":
            token = uuid.uuid4().hex[:20]
            return Response(200, {"activationUrl": f"{self._base(request)}/welcome/{token}", "activationToken": token})
        return Response(200, {})

    @route("POST", r"/api/v1/users/(?P<id>[^/]+)/lifecycle/deactivate")
    def deactivate_user(self, request: Request) -> Response:
        self._require(request, "okta.users.manage")
        user = self._find_user(request.params["id"])
        if user["status"] != "DEPROVISIONED":
            self._set_status(user, "DEPROVISIONED")
        return Response(200, {})

    @route("DELETE", r"/api/v1/users/(?P<userId>[^/]+)/sessions")
    def clear_sessions(self, request: Request) -> Response:
        self._require(request, "okta.users.manage")
        user = self._find_user(request.params["userId"], ids_only=True)
        self.sessions_cleared.append(user["profile"]["login"])
        self.changed.add(user["id"])
        return Response(204)

    @route("GET", r"/api/v1/users/(?P<id>[^/]+)/groups")
    def list_user_groups(self, request: Request) -> Response:
        self._require(request, "okta.users.read")
        user = self._find_user(request.params["id"])
        base = self._base(request)
        return Response(200, [self._render_group(self.groups[g], base) for g in self.user_groups[user["id"]]])

    @route("GET", r"/api/v1/users/(?P<userId>[^/]+)/factors")
    def list_factors(self, request: Request) -> Response:
        self._require(request, "okta.users.read")
        user = self._find_user(request.params["userId"], ids_only=True)
        base = self._base(request)
        out = []
        for factor in self.factors.get(user["id"], []):
            href = f"{base}/api/v1/users/{user['id']}"
            links = {
                "self": {"href": f"{href}/factors/{factor['id']}", "hints": {"allow": ["GET", "DELETE"]}},
                "verify": {"href": f"{href}/factors/{factor['id']}/verify", "hints": {"allow": ["POST"]}},
                "user": {"href": href, "hints": {"allow": ["GET"]}},
            }
            out.append({**factor, "_links": links})
        return Response(200, out)

    # --- groups ------------------------------------------------------------------------------
    def _render_group(self, group: dict[str, Any], base: str, *, single: bool = False) -> dict[str, Any]:  # noqa: ARG002
        href = f"{base}/api/v1/groups/{group['id']}"
        logo = f"{base}/assets/img/logos/groups/okta"
        links = {
            "logo": [
                {"name": "medium", "href": f"{logo}-medium.png", "type": "image/png"},
                {"name": "large", "href": f"{logo}-large.png", "type": "image/png"},
            ],
            "users": {"href": f"{href}/users"},
            "apps": {"href": f"{href}/apps"},
        }
        return {**group, "_links": links}

    @route("GET", r"/api/v1/groups")
    def list_groups(self, request: Request) -> Response:
        self._require(request, "okta.groups.read")
        query = request.arg("q")
        if query is not None:
            # Paging and `q` are mutually exclusive; a query returns at most `limit` (300) groups.
            limit = max(1, min(request.int_arg("limit", 300), GROUPS_PAGE_MAX))
            prefix = query.lower()
            found = [g for g in self.groups.values() if g["profile"]["name"].lower().startswith(prefix)][:limit]
            base = self._base(request)
            return Response(200, [self._render_group(g, base) for g in found])
        try:
            search, expression = request.arg("search"), request.arg("filter")
            predicate: Predicate = (
                compile_search(search)
                if search is not None
                else compile_filter(expression)
                if expression is not None
                else (lambda _group: True)
            )
        except ExpressionError as exc:
            raise Reply(okta_error(400, "E0000031", "Invalid search criteria.", (str(exc),))) from None
        return self._page(
            request,
            order=list(self.groups),
            records=self.groups,
            predicate=predicate,
            page_max=GROUPS_PAGE_MAX,
            path="/api/v1/groups",
        )

    def _membership(self, request: Request) -> tuple[dict[str, Any], dict[str, Any]]:
        self._require(request, "okta.groups.manage")
        group_id = unquote(request.params["groupId"])
        group = self.groups.get(group_id)
        if group is None:
            raise Reply(okta_error(404, "E0000007", f"Not found: Resource not found: {group_id} (UserGroup)"))
        user = self._find_user(request.params["userId"], ids_only=True)
        if group["type"] != "OKTA_GROUP":
            # Only OKTA_GROUP memberships can be changed through the API.
            raise Reply(okta_error(403, "E0000006", "You do not have permission to perform the requested action"))
        return group, user

    def _touch_group(self, group: dict[str, Any], user: dict[str, Any]) -> None:
        group["lastMembershipUpdated"] = timestamp()
        self.changed.add(user["id"])

    @route("GET", r"/api/v1/groups/(?P<groupId>[^/]+)/users")
    def list_group_users(self, request: Request) -> Response:
        self._require(request, "okta.groups.read")
        group = self.groups.get(request.params["groupId"])
        if group is None:
            raise Reply(
                okta_error(404, "E0000007", f"Not found: Resource not found: {request.params['groupId']} (UserGroup)")
            )
        members = [u for u in self.order if u in self.members[group["id"]]]
        path = f"/api/v1/groups/{group['id']}/users"
        return self._page(
            request, order=members, records=self.users, predicate=lambda _user: True, page_max=1000, path=path
        )

    @route("PUT", r"/api/v1/groups/(?P<groupId>[^/]+)/users/(?P<userId>[^/]+)")
    def add_member(self, request: Request) -> Response:
        group, user = self._membership(request)
        if user["id"] not in self.members[group["id"]]:
            self._join(group["id"], user["id"])
            self._touch_group(group, user)
        return Response(204)

    @route("DELETE", r"/api/v1/groups/(?P<groupId>[^/]+)/users/(?P<userId>[^/]+)")
    def remove_member(self, request: Request) -> Response:
        group, user = self._membership(request)
        if user["id"] in self.members[group["id"]]:
            self.members[group["id"]].discard(user["id"])
            self.user_groups[user["id"]].remove(group["id"])
            self._touch_group(group, user)
        return Response(204)


def _verified(assertion: str, keys: list[Any], audience: str) -> dict[str, Any]:
    """The claims of an assertion signed by one of `keys` (without a `kid`, any active key may
    have signed it)."""
    import jwt

    for key in keys[:-1]:
        try:
            return _decode(assertion, key, audience)
        except jwt.InvalidSignatureError:
            continue
    return _decode(assertion, keys[-1], audience)


def _decode(assertion: str, key: Any, audience: str) -> dict[str, Any]:
    import jwt

    required = ["exp", "iss", "sub", "aud", "jti"]
    return dict(jwt.decode(assertion, key, algorithms=["RS256"], audience=audience, options={"require": required}))
