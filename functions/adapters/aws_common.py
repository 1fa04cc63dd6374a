"""What the AWS adapters share: how a boto3 client is made and how its failures become VendorError.

The retry policy for AWS is botocore's own "standard" retry mode, not `functions.adapters.retry`:
it already retries throttling (Throttling, ThrottlingException, RequestLimitExceeded, ...), 5xx
and dropped connections with truncated exponential backoff and full jitter, honours
`x-amz-retry-after`, knows each service's modelled retryable errors and keeps a client-side retry
quota. A second loop around it would multiply the attempts. `total_max_attempts` bounds it (five
in all, the first included; botocore's `max_attempts` would count retries only, six attempts) and
connect/read timeouts bound each attempt, so a call stays inside a Lambda's timeout. A retryable
error that outlives those attempts surfaces as TransientVendorError, for the state machine's Retry
to take over.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from datetime import date, datetime
from typing import Any, TypedDict

import boto3
from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError, HTTPClientError
from botocore.exceptions import ConnectionError as BotoConnectionError

from functions.adapters.errors import TransientVendorError, VendorError, final_error

VENDOR = "aws"

CLIENT_CONFIG = Config(
    retries={"mode": "standard", "total_max_attempts": 5},
    connect_timeout=5,
    read_timeout=15,
)

# The codes botocore's standard mode treats as throttling or transient: when one still comes back
# after its retries, the caller should try again later, whatever HTTP status carried it (AWS
# throttles with 400 as often as with 429).
RETRYABLE_CODES = frozenset(
    {
        "Throttling",
        "ThrottlingException",
        "ThrottledException",
        "RequestThrottledException",
        "TooManyRequestsException",
        "ProvisionedThroughputExceededException",
        "TransactionInProgressException",
        "RequestLimitExceeded",
        "BandwidthLimitExceeded",
        "LimitExceededException",
        "RequestThrottled",
        "SlowDown",
        "PriorRequestNotComplete",
        "EC2ThrottledException",
        "RequestTimeout",
        "RequestTimeoutException",
    }
)


class PermanentAwsError(VendorError):
    """A failure with no HTTP response that retrying cannot fix: botocore refused to send the
    request (invalid parameters, no credentials or region), or a name we resolve does not exist."""

    @property
    def retryable(self) -> bool:
        return False


def new_client(service: str, region: str | None) -> Any:
    """A boto3 client with the bounded standard retries above. Callers keep it (lazily, per
    adapter instance) and annotate it with its mypy_boto3 type."""
    return boto3.client(service, region_name=region, config=CLIENT_CONFIG)  # type: ignore[call-overload]


def error_code(error: ClientError) -> str:
    return str(error.response.get("Error", {}).get("Code") or "Unknown")


def vendor_error(service: str, error: ClientError, operation: str | None = None) -> VendorError:
    """`ClientError` -> VendorError("aws", "<service> <Operation>", status, "Code: Message", request id);
    throttling and 5xx that survived botocore's retries -> TransientVendorError."""
    response: Mapping[str, Any] = error.response
    body = response.get("Error", {})
    meta = response.get("ResponseMetadata", {})
    code = error_code(error)
    status = meta.get("HTTPStatusCode")
    request_id = meta.get("RequestId") or meta.get("HTTPHeaders", {}).get("x-amzn-requestid")
    name = f"{service} {error.operation_name or operation or 'call'}"
    text = body.get("Message") or body.get("message")
    message = f"{code}: {text}" if text else code
    if code in RETRYABLE_CODES:
        return TransientVendorError(VENDOR, name, status, message, request_id)
    return final_error(VendorError(VENDOR, name, status, message, request_id))


@contextmanager
def aws_errors(service: str, operation: str) -> Iterator[None]:
    """Every botocore failure inside the block leaves it as a VendorError (the original chained)."""
    try:
        yield
    except ClientError as exc:
        raise vendor_error(service, exc, operation) from exc
    except (BotoConnectionError, HTTPClientError) as exc:
        # botocore's retries already ran: no response came back, the next attempt may get one.
        raise TransientVendorError(VENDOR, f"{service} {operation}", None, f"{type(exc).__name__}: {exc}") from exc
    except BotoCoreError as exc:
        raise PermanentAwsError(VENDOR, f"{service} {operation}", None, f"{type(exc).__name__}: {exc}") from exc


class PageConfig(TypedDict, total=False):
    """Shaped like every mypy_boto3 PaginatorConfigTypeDef, so one value fits all paginators."""

    MaxItems: int
    PageSize: int
    StartingToken: str


def page_config(page_size: int | None) -> PageConfig:
    """A paginator's PaginationConfig: the service default unless tests ask for small pages."""
    return PageConfig(PageSize=page_size) if page_size else PageConfig()


def plain(value: Any) -> Any:
    """A result dataclass as JSON-able data (dates as ISO strings) for a step Lambda to return."""
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: plain(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, Mapping):
        return {str(k): plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [plain(v) for v in value]
    return value
