"""The one error type every adapter raises, whatever the vendor SDK raised underneath."""

from __future__ import annotations

from typing import Any

# HTTP statuses worth another attempt: throttling and the server's own trouble.
RETRYABLE_STATUSES = frozenset({408, 425, 429, 500, 502, 503, 504})


class VendorError(Exception):
    """A vendor call failed: which vendor, which operation, the HTTP status (None when no
    response came back) and the vendor's request id, so a log line is enough to open a ticket."""

    def __init__(
        self,
        vendor: str,
        operation: str,
        status: int | None,
        message: str,
        request_id: str | None = None,
        *,
        retry_after_s: float | None = None,
    ) -> None:
        self.vendor = vendor
        self.operation = operation
        self.status = status
        self.request_id = request_id
        self.detail = message
        self.retry_after_s = retry_after_s
        where = f"{vendor} {operation}"
        status_text = f"HTTP {status}" if status is not None else "no response"
        request = f" (request id {request_id})" if request_id else ""
        super().__init__(f"{where} failed: {status_text}: {message}{request}")

    @property
    def retryable(self) -> bool:
        return self.status is None or self.status in RETRYABLE_STATUSES

    @property
    def not_found(self) -> bool:
        return self.status == 404

    def as_dict(self) -> dict[str, Any]:
        return {
            "vendor": self.vendor,
            "operation": self.operation,
            "status": self.status,
            "request_id": self.request_id,
            "message": self.detail,
        }


class TransientVendorError(VendorError):
    """A `VendorError` that was still retryable when the adapter's attempts ran out. Its own class
    name lets a state machine's Retry match it (`"ErrorEquals": ["TransientVendorError"]`)."""


def final_error(error: VendorError) -> VendorError:
    """The error to raise once retries are exhausted: transient ones become TransientVendorError."""
    if error.retryable and not isinstance(error, TransientVendorError):
        transient = TransientVendorError(
            error.vendor,
            error.operation,
            error.status,
            error.detail,
            error.request_id,
            retry_after_s=error.retry_after_s,
        )
        transient.__cause__ = error.__cause__
        return transient
    return error
