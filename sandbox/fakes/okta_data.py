"""The Okta fake's records and their JSON shapes (the Management API's User, Group and UserFactor
schemas), seeding from the fixture organisation, and Okta's filter/search expressions.

Records are kept as the JSON objects Okta returns, without `_links` and `credentials`, which
depend on the request's host and are added when a record is rendered."""

from __future__ import annotations

import hashlib
import operator as op
import re
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

_B62 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
SEED_CREATED = "2024-03-04T09:00:00.000Z"
USER_TYPE_ID = "oty1sandbox0default0"

# The fixture's factor shorthands → (factorType, provider); Okta's own names map to themselves.
FACTOR_KINDS: dict[str, tuple[str, str]] = {
    "push": ("push", "OKTA"),
    "totp": ("token:software:totp", "GOOGLE"),
    "token:software:totp": ("token:software:totp", "OKTA"),
    "sms": ("sms", "OKTA"),
    "call": ("call", "OKTA"),
    "email": ("email", "OKTA"),
    "question": ("question", "OKTA"),
    "webauthn": ("webauthn", "FIDO"),
    "u2f": ("u2f", "FIDO"),
    "yubikey": ("token:hardware", "YUBICO"),
    "token:hardware": ("token:hardware", "YUBICO"),
}
_FACTOR_PREFIX = {"push": "opf", "token:software:totp": "ost", "sms": "sms", "call": "clf", "email": "emf"}


def okta_id(prefix: str, key: str) -> str:
    """A 20-character Okta-style id (`00u…`, `00g…`), stable for a given key across runs."""
    number = int.from_bytes(hashlib.blake2b(key.encode(), digest_size=13).digest(), "big")
    chars = []
    for _ in range(20 - len(prefix)):
        number, digit = divmod(number, 62)
        chars.append(_B62[digit])
    return prefix + "".join(chars)


def timestamp(when: datetime | None = None) -> str:
    """Okta's timestamp format: milliseconds and a Z."""
    when = when or datetime.now(UTC)
    return when.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.") + f"{when.microsecond // 1000:03d}Z"


def _fixture_time(value: Any) -> str | None:
    if value is None:
        return None
    when = value if isinstance(value, datetime) else datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return timestamp(when)


def new_user(
    profile: dict[str, Any], status: str, *, created: str, last_login: str | None = None, password: bool = False
) -> dict[str, Any]:
    active = status not in ("STAGED", "DEPROVISIONED")
    return {
        "id": okta_id("00u", "user:" + str(profile["login"]).lower()),
        "status": status,
        "created": created,
        "activated": created if active else None,
        "statusChanged": created if status != "STAGED" else None,
        "lastLogin": last_login,
        "lastUpdated": created,
        "passwordChanged": created if password else None,
        "type": {"id": USER_TYPE_ID},
        "profile": {"mobilePhone": None, "secondEmail": None, **profile},
    }


def new_group(name: str, *, built_in: bool = False, created: str = SEED_CREATED) -> dict[str, Any]:
    return {
        "id": okta_id("00g", "group:" + name),
        "created": created,
        "lastUpdated": created,
        "lastMembershipUpdated": created,
        "objectClass": ["okta:user_group"],
        "type": "BUILT_IN" if built_in else "OKTA_GROUP",
        "profile": {
            "name": name,
            "description": "All users in your organization" if built_in else f"{name} (sandbox)",
        },
    }


def new_factor(user: dict[str, Any], kind: str, created: str = SEED_CREATED) -> dict[str, Any]:
    factor_type, provider = FACTOR_KINDS.get(kind, (kind, "OKTA"))
    email = user["profile"]["email"]
    profile: dict[str, Any]
    if factor_type == "push":
        profile = {"credentialId": email, "deviceType": "SmartPhone_IPhone", "name": "iPhone", "platform": "IOS"}
        profile["version"] = "9.0"
    elif factor_type in ("sms", "call"):
        profile = {"phoneNumber": "+15550100100"}
    elif factor_type == "email":
        profile = {"email": email}
    elif factor_type == "webauthn":
        profile = {"authenticatorName": "MacBook Touch ID", "credentialId": okta_id("", "cred:" + email)}
    else:
        profile = {"credentialId": email}
    prefix = _FACTOR_PREFIX.get(factor_type, "fac")
    return {
        "id": okta_id(prefix, f"factor:{user['id']}:{factor_type}:{provider}"),
        "factorType": factor_type,
        "provider": provider,
        "vendorName": provider,
        "status": "ACTIVE",
        "created": created,
        "lastUpdated": created,
        "profile": profile,
    }


def people(org: dict[str, Any]) -> list[tuple[dict[str, Any], dict[str, Any]]]:
    """(profile, okta section) for every fixture person with an Okta account."""
    out = []
    for person in org.get("people") or []:
        okta = person.get("okta")
        if not isinstance(okta, dict):
            continue
        first, _, last = str(person.get("name", "")).partition(" ")
        email = str(person["email"]).lower()
        profile = {"firstName": first or email, "lastName": last or first or email, "email": email, "login": email}
        if person.get("github") and okta.get("github_link", True):
            # The identity directory's link to GitHub (identity.github_attribute).
            profile["githubUsername"] = str(person["github"])
        # More profile attributes as Okta names them (e.g. `manager`, which the access review reads).
        profile = {**{str(k): v for k, v in (okta.get("profile") or {}).items()}, **profile}
        out.append((profile, okta))
    return out


def seed_user(profile: dict[str, Any], okta: dict[str, Any]) -> dict[str, Any]:
    status = str(okta.get("status") or "ACTIVE")
    last_login = _fixture_time(okta.get("last_login"))
    user = new_user(profile, status, created=SEED_CREATED, last_login=last_login, password=status != "STAGED")
    if status == "DEPROVISIONED" and last_login:
        user["statusChanged"] = user["lastUpdated"] = max(last_login, SEED_CREATED)
    return user


# --- filter and search expressions ----------------------------------------------------------
# https://developer.okta.com/docs/api/#filter: `attr op "value"` joined by and/or, with brackets.

Predicate = Callable[[dict[str, Any]], bool]
_TOKEN = re.compile(r'\s*(\(|\)|"(?:[^"\\]|\\.)*"|[^\s()]+)')
_OPERATORS = {"eq", "sw", "co", "gt", "ge", "lt", "le", "pr"}
_ORDER: dict[str, Callable[[Any, Any], Any]] = {"gt": op.gt, "ge": op.ge, "lt": op.lt, "le": op.le}


class ExpressionError(ValueError):
    pass


def _tokens(text: str) -> list[str]:
    tokens, position = [], 0
    text = text.strip()
    while position < len(text):
        match = _TOKEN.match(text, position)
        if not match:
            raise ExpressionError(f"cannot read {text[position:]!r}")
        tokens.append(match.group(1))
        position = match.end()
    return tokens


def attribute(record: dict[str, Any], path: str) -> Any:
    value: Any = record
    for part in path.split("."):
        if not isinstance(value, dict):
            return None
        value = value.get(part)
    return value


def _literal(token: str) -> Any:
    if token.startswith('"'):
        return re.sub(r"\\(.)", r"\1", token[1:-1])
    lowered = token.lower()
    if lowered in ("true", "false"):
        return lowered == "true"
    if lowered == "null":
        return None
    try:
        return float(token) if "." in token else int(token)
    except ValueError:
        raise ExpressionError(f"{token!r} is not a value") from None


def _moment(value: Any) -> Any:
    if isinstance(value, str) and re.match(r"\d{4}-\d{2}-\d{2}T", value):
        try:
            return datetime.fromisoformat(value.replace("Z", "+00:00"))
        except ValueError:
            return value
    return value


def _comparison(path: str, operator: str, expected: Any, *, ignore_case: bool) -> Predicate:
    def fold(value: Any) -> Any:
        return value.lower() if ignore_case and isinstance(value, str) else value

    want = fold(expected)

    def test(record: dict[str, Any]) -> bool:
        actual = attribute(record, path)
        if operator == "pr":
            return actual is not None
        if isinstance(actual, list):  # array properties match when any element does
            return any(_compare(fold(item), operator, want) for item in actual)
        return _compare(fold(actual), operator, want)

    return test


def _compare(actual: Any, operator: str, want: Any) -> bool:
    if operator == "eq":
        return bool(actual == want)
    if actual is None or want is None:
        return False
    if operator == "sw":
        return isinstance(actual, str) and actual.startswith(str(want))
    if operator == "co":
        return isinstance(actual, str) and str(want) in actual
    try:
        return bool(_ORDER[operator](_moment(actual), _moment(want)))
    except TypeError:
        return False


class _Parser:
    def __init__(self, text: str, *, ignore_case: bool, operators: set[str]) -> None:
        self.tokens = _tokens(text)
        self.position = 0
        self.ignore_case = ignore_case
        self.operators = operators

    def next(self) -> str:
        if self.position >= len(self.tokens):
            raise ExpressionError("the expression ends too early")
        token = self.tokens[self.position]
        self.position += 1
        return token

    def peek(self) -> str | None:
        return self.tokens[self.position].lower() if self.position < len(self.tokens) else None

    def parse(self) -> Predicate:
        predicate = self.either()
        if self.position != len(self.tokens):
            raise ExpressionError(f"unexpected {self.tokens[self.position]!r}")
        return predicate

    def either(self) -> Predicate:
        parts = [self.both()]
        while self.peek() == "or":
            self.next()
            parts.append(self.both())
        return parts[0] if len(parts) == 1 else lambda record: any(p(record) for p in parts)

    def both(self) -> Predicate:
        parts = [self.single()]
        while self.peek() == "and":
            self.next()
            parts.append(self.single())
        return parts[0] if len(parts) == 1 else lambda record: all(p(record) for p in parts)

    def single(self) -> Predicate:
        word = self.next()
        if word == "(":
            inner = self.either()
            if self.next() != ")":
                raise ExpressionError("a bracket is not closed")
            return inner
        operator = self.next().lower()
        if operator not in self.operators:
            raise ExpressionError(f"operator {operator!r} is not supported here")
        expected = None if operator == "pr" else _literal(self.next())
        return _comparison(word, operator, expected, ignore_case=self.ignore_case)


def compile_filter(text: str) -> Predicate:
    """`filter=`: eq (and the inequalities, for dates), case-sensitive values."""
    return _Parser(text, ignore_case=False, operators={"eq", "gt", "ge", "lt", "le"}).parse()


def compile_search(text: str) -> Predicate:
    """`search=`: eq, sw, co, the inequalities and pr; string values compare case-insensitively."""
    return _Parser(text, ignore_case=True, operators=_OPERATORS).parse()
