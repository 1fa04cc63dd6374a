"""Vendor credentials from Secrets Manager, through Powertools Parameters (cached per container).

A secret is a JSON object (see docs/configuration.md for each vendor's keys). Every value read is
registered with the log redaction before it is returned, so it cannot reach a log line.
"""

from __future__ import annotations

import json
import logging
from typing import Any

from functions.adapters import redaction
from functions.adapters.errors import VendorError

SECRET_MAX_AGE_S = 300  # a rotated secret is picked up within five minutes


def get_secret(name: str, vendor: str) -> dict[str, Any]:
    from aws_lambda_powertools.utilities import parameters

    # Before the fetch: an SDK logging at DEBUG prints the response that carries the secret.
    redaction.install([logging.getLogger("platform-automation")])
    try:
        raw = parameters.get_secret(name, max_age=SECRET_MAX_AGE_S)
    except parameters.GetParameterError as exc:
        raise VendorError(vendor, "read credentials", None, f"cannot read secret {name!r}: {exc}") from None
    text = raw.decode() if isinstance(raw, bytes) else str(raw)
    try:
        value = json.loads(text)
    except json.JSONDecodeError:
        value = None
    if not isinstance(value, dict):
        redaction.register(text)
        raise VendorError(vendor, "read credentials", None, f"secret {name!r} is not a JSON object")
    redaction.register(value)
    return value


def clear_cache() -> None:
    """The local engine starts a fresh moto world; cached secrets and clients must follow."""
    from aws_lambda_powertools.utilities import parameters

    parameters.clear_caches()  # type: ignore[no-untyped-call]
