"""AWS answers moto cannot give (throttling, 5xx, capacity errors, Cost Explorer forecasts), injected
through botocore's own event hooks on one client, and a counter of the requests a client sends."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from botocore.awsrequest import AWSResponse
from botocore.compat import HTTPHeaders

STUB_REQUEST_ID = "stub-request-0001"


def _service_id(client: Any) -> str:
    return str(client.meta.service_model.service_id.hyphenize())


def _on_call(client: Any, handler: Callable[..., Any]) -> None:
    # On the service-wide event, not the operation's: botocore calls more specific handlers first,
    # and the adapter's own before-call observers (e.g. request counting) must still see the call.
    client.meta.events.register(f"before-call.{_service_id(client)}", handler)


def answer(client: Any, operation: str, parsed: dict[str, Any], status: int = 200) -> list[dict[str, Any]]:
    """`operation` returns `parsed` without reaching moto (no botocore retries either)."""
    calls: list[dict[str, Any]] = []

    def before_call(params: dict[str, Any], model: Any, **_: Any) -> tuple[AWSResponse, dict[str, Any]] | None:
        if model.name != operation:
            return None
        calls.append(params)
        response = dict(parsed)
        response.setdefault("ResponseMetadata", {"RequestId": STUB_REQUEST_ID, "HTTPStatusCode": status})
        return AWSResponse("https://stub.invalid/", status, HTTPHeaders(), None), response

    _on_call(client, before_call)
    return calls


def fail(
    client: Any,
    operation: str,
    code: str,
    status: int,
    message: str = "stubbed failure",
    when: Callable[[dict[str, Any]], bool] | None = None,
) -> list[dict[str, Any]]:
    """`operation` fails with an AWS error (for the requests `when` accepts), before any HTTP is
    sent. Returns the serialized requests it failed."""
    calls: list[dict[str, Any]] = []

    def before_call(params: dict[str, Any], model: Any, **_: Any) -> tuple[AWSResponse, dict[str, Any]] | None:
        if model.name != operation or (when is not None and not when(params)):
            return None
        calls.append(params)
        parsed = {
            "Error": {"Code": code, "Message": message},
            "ResponseMetadata": {"RequestId": STUB_REQUEST_ID, "HTTPStatusCode": status},
        }
        return AWSResponse("https://stub.invalid/", status, HTTPHeaders(), None), parsed

    _on_call(client, before_call)
    return calls


def http_response(client: Any, operation: str, status: int, body: bytes, headers: dict[str, str]) -> list[int]:
    """Every HTTP attempt of `operation` gets this raw response (registered first, ahead of moto's
    responder), so botocore parses it and its own retry logic runs. Returns one entry per attempt."""
    attempts: list[int] = []

    def before_send(request: Any, **_: Any) -> AWSResponse:
        attempts.append(status)
        raw = _Raw(body)
        return AWSResponse(request.url, status, HTTPHeaders.from_dict(headers), raw)

    client.meta.events.register_first(f"before-send.{_service_id(client)}.{operation}", before_send)
    return attempts


def count_requests(client: Any) -> list[str]:
    """The operation name of every HTTP request the client creates (retries and pages included)."""
    sent: list[str] = []

    def created(request: Any, operation_name: str, **_: Any) -> None:
        sent.append(operation_name)

    client.meta.events.register(f"request-created.{_service_id(client)}", created)
    return sent


class _Raw:
    """Just enough of urllib3's response for AWSResponse.content."""

    def __init__(self, body: bytes) -> None:
        self._body = body

    def stream(self, *_: Any, **__: Any) -> Any:
        yield self._body
