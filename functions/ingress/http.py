"""API Gateway HTTP API (payload 2.0) and Lambda Function URL requests and responses."""

from __future__ import annotations

import base64
import binascii
import json
from dataclasses import dataclass
from typing import Any


class HttpError(Exception):
    """Answer the caller with `status` and a short message (never a 5xx for a caller's mistake)."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


@dataclass(frozen=True)
class HttpRequest:
    method: str
    path: str
    headers: dict[str, str]  # names lower-cased
    body: bytes

    @classmethod
    def from_event(cls, event: dict[str, Any]) -> HttpRequest:
        http = (event.get("requestContext") or {}).get("http") or {}
        raw = event.get("body") or ""
        if event.get("isBase64Encoded"):
            try:
                body = base64.b64decode(raw, validate=True)
            except (binascii.Error, ValueError):
                raise HttpError(400, "the body is not valid base64") from None
        else:
            body = raw.encode() if isinstance(raw, str) else bytes(raw)
        headers = {str(k).lower(): str(v) for k, v in (event.get("headers") or {}).items()}
        return cls(str(http.get("method") or "POST"), str(event.get("rawPath") or "/"), headers, body)

    def header(self, name: str) -> str | None:
        return self.headers.get(name.lower())


def respond(status: int, body: Any = None, headers: dict[str, str] | None = None) -> dict[str, Any]:
    if body is None:
        text, content_type = "", "text/plain"
    elif isinstance(body, str):
        text, content_type = body, "text/plain; charset=utf-8"
    else:
        text, content_type = json.dumps(body), "application/json"
    return {"statusCode": status, "headers": {"Content-Type": content_type, **(headers or {})}, "body": text}


def error_response(error: HttpError) -> dict[str, Any]:
    return respond(error.status, {"error": error.message})
