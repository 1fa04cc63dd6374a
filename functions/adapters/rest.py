"""A small JSON-over-HTTP client (httpx) for vendors without a Python SDK we want: GitHub (whose
SDKs import slowly or not at all beside our other dependencies) and Argo CD (which has none).
Retries through the shared RetryPolicy, maps every failure to VendorError, follows `Link`
pagination to the end."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from typing import Any

import httpx

from functions.adapters.errors import VendorError
from functions.adapters.retry import DEFAULT_POLICY, RetryPolicy, retry_after_seconds

Headers = Callable[[], Mapping[str, str]]


class RestClient:
    def __init__(
        self,
        vendor: str,
        base_url: str,
        headers: Headers,
        *,
        request_id_header: str,
        policy: RetryPolicy = DEFAULT_POLICY,
        timeout_s: float = 10.0,
        transport: httpx.BaseTransport | None = None,
        on_unauthorized: Callable[[], bool] | None = None,
    ) -> None:
        """`on_unauthorized` is asked once when a call answers 401; returning True (it dropped a
        cached credential, e.g. a rotated GitHub installation token) sends the call once more."""
        self.vendor = vendor
        self._on_unauthorized = on_unauthorized
        self.policy = policy
        self._headers = headers
        self._request_id_header = request_id_header
        self._http = httpx.Client(base_url=base_url, timeout=timeout_s, transport=transport)

    def close(self) -> None:
        self._http.close()

    def request(
        self,
        operation: str,
        method: str,
        path: str,
        *,
        params: Mapping[str, Any] | None = None,
        json: Any = None,
        ok: tuple[int, ...] = (),
    ) -> httpx.Response:
        """One call, retried; a status in `ok` (e.g. 404 for "look before you create") is returned
        instead of raised."""

        def attempt() -> httpx.Response:
            try:
                response = self._http.request(method, path, params=params, json=json, headers=dict(self._headers()))
            except httpx.TimeoutException as exc:
                raise VendorError(self.vendor, operation, None, f"timed out: {type(exc).__name__}") from exc
            except httpx.TransportError as exc:
                raise VendorError(self.vendor, operation, None, f"connection failed: {type(exc).__name__}") from exc
            if response.is_success or response.status_code in ok:
                return response
            raise self.error(operation, response)

        try:
            return self.policy.call(attempt)
        except VendorError as error:
            if error.status == 401 and self._on_unauthorized is not None and self._on_unauthorized():
                return self.policy.call(attempt)
            raise

    def json(self, operation: str, method: str, path: str, **kwargs: Any) -> Any:
        response = self.request(operation, method, path, **kwargs)
        return response.json() if response.content else None

    def paginate(
        self,
        operation: str,
        path: str,
        params: Mapping[str, Any] | None = None,
        *,
        items: str | None = None,
        page_size: int = 100,
    ) -> Iterator[Any]:
        """Every item of a list endpoint, following `Link: <...>; rel="next"` to the last page
        (page numbers or cursors alike). `items` names the key holding the list when the page is
        an object (GitHub's search)."""
        url: str | None = path
        query: Mapping[str, Any] | None = {"per_page": page_size, **(params or {})}
        while url:
            response = self.request(operation, "GET", url, params=query)
            page = response.json()
            yield from page[items] if items else page
            url = response.links.get("next", {}).get("url")
            query = None  # the next link carries the query

    def error(self, operation: str, response: httpx.Response) -> VendorError:
        message = response.reason_phrase or "error"
        try:
            body = response.json()
        except ValueError:
            body = None
        if isinstance(body, dict):
            message = str(body.get("message") or body.get("error") or message)
        return VendorError(
            self.vendor,
            operation,
            response.status_code,
            message,
            response.headers.get(self._request_id_header),
            retry_after_s=retry_after_seconds(response.headers),
        )
