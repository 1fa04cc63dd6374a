"""Slack request signatures (`X-Slack-Signature`, `X-Slack-Request-Timestamp`), checked with the
SDK's own `slack_sdk.signature.SignatureVerifier` and its five-minute replay window.

The ingress Lambdas import this on every cold start, and their budget is 400 ms. A plain
`import slack_sdk.signature` first runs `slack_sdk/__init__.py`, which imports the whole Web API
client (about 250 ms warm, over 500 ms cold). The signature module itself needs only the standard
library, so it is loaded from its file without running the package's `__init__` (when the Web
client is already loaded, the normal import is free and used instead).
"""

from __future__ import annotations

import importlib.util
import sys
from functools import cache
from types import ModuleType
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from slack_sdk.signature import SignatureVerifier

_PRIVATE_NAME = (
    "_platform_slack_signature"  # not "slack_sdk.signature": a later real import must not find a half-package
)


@cache
def _signature_module() -> ModuleType:
    if "slack_sdk" in sys.modules:
        import slack_sdk.signature

        return slack_sdk.signature
    package = importlib.util.find_spec("slack_sdk")  # finding a top-level package does not execute it
    if package is None or not package.submodule_search_locations:
        raise ModuleNotFoundError("slack_sdk is not installed")
    location = f"{next(iter(package.submodule_search_locations))}/signature/__init__.py"
    spec = importlib.util.spec_from_file_location(_PRIVATE_NAME, location)
    if spec is None or spec.loader is None:
        raise ModuleNotFoundError(f"cannot load {location}")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


class _FixedClock:
    def __init__(self, now: float) -> None:
        self._now = now

    def now(self) -> float:
        return self._now


def verifier(signing_secret: str, now: float | None = None) -> SignatureVerifier:
    module = _signature_module()
    if now is None:
        return module.SignatureVerifier(signing_secret)  # type: ignore[no-any-return]
    return module.SignatureVerifier(signing_secret, clock=_FixedClock(now))  # type: ignore[no-any-return]


def verify_slack_signature(
    signing_secret: str, body: bytes, timestamp: str, signature: str, now: float | None = None
) -> bool:
    """True when `signature` is Slack's `v0=` HMAC-SHA256 of `v0:{timestamp}:{body}` under the
    signing secret and the timestamp is within five minutes of `now` (default: the clock).
    A malformed timestamp or signature is a plain False, never an exception."""
    if not timestamp or not signature or not signing_secret:
        return False
    try:
        return bool(verifier(signing_secret, now).is_valid(body=body, timestamp=timestamp, signature=signature))
    except (ValueError, UnicodeDecodeError):
        # int() of a non-numeric timestamp, or a body that is not UTF-8: not a request Slack signed.
        return False
