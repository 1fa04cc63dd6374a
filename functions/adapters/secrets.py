"""Vendor credentials from Secrets Manager, through Powertools Parameters (cached per container).

A secret is a JSON object (see docs/configuration.md for each vendor's keys). Every value read is
registered with the log redaction before it is returned, so it cannot reach a log line.
"""

from __future__ import annotations

import json
import logging
import threading
import time
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


# The versions a verifier accepts: the current one, and during a rotation the new one before it
# becomes current (AWSPENDING) and the old one during its grace period (RETIRING, the platform's
# own label; functions/adapters/aws_secrets.py). A secret never rotated has AWSCURRENT alone.
ACCEPTED_LABELS = ("AWSCURRENT", "AWSPENDING", "RETIRING")
RECHECK_MIN_S = 1.0  # a signature that matches none re-reads the labels at most this often
_accepted: dict[str, tuple[float, tuple[tuple[str, str], ...], list[dict[str, Any]]]] = {}
_checked: dict[str, float] = {}
_accepted_lock = threading.Lock()


def accepted_values(name: str, vendor: str, key: str) -> list[str]:
    """`key` of every version a signature may be made with (see ACCEPTED_LABELS), AWSCURRENT
    first, cached like get_secret. With one version this is [the current value], as before."""
    with _accepted_lock:
        cached = _accepted.get(name)
    if cached is None or time.monotonic() - cached[0] > SECRET_MAX_AGE_S:
        cached = _read_accepted(name, vendor)
    return [str(v[key]) for v in cached[2] if v.get(key)]


def recheck_accepted(name: str, vendor: str) -> bool:
    """After a signature matched no accepted value: were the labels moved since they were read
    (a rotation stored its new secret a moment ago)? Re-reads them when so; at most one look per
    RECHECK_MIN_S, so unsigned junk cannot hammer Secrets Manager."""
    now = time.monotonic()
    with _accepted_lock:
        if now - _checked.get(name, -RECHECK_MIN_S) < RECHECK_MIN_S:
            return False
        _checked[name] = now
        cached = _accepted.get(name)
    if cached is not None and _labels(name, vendor) == cached[1]:
        return False
    _read_accepted(name, vendor)
    return True


def _labels(name: str, vendor: str) -> tuple[tuple[str, str], ...]:
    from functions.core import clients

    sm = clients.client("secretsmanager")
    try:
        stages = sm.describe_secret(SecretId=name).get("VersionIdsToStages") or {}
    except Exception as exc:  # noqa: BLE001 - botocore's errors, reported as the vendor's
        raise VendorError(vendor, "read credentials", None, f"cannot describe secret {name!r}: {exc}") from None
    return tuple(sorted((v, label) for v, labels in stages.items() for label in labels if label in ACCEPTED_LABELS))


def _read_accepted(name: str, vendor: str) -> tuple[float, tuple[tuple[str, str], ...], list[dict[str, Any]]]:
    from functions.core import clients

    redaction.install([logging.getLogger("platform-automation")])
    labels = _labels(name, vendor)
    order = {label: i for i, label in enumerate(ACCEPTED_LABELS)}
    rank: dict[str, int] = {}
    for version, label in labels:
        rank[version] = min(rank.get(version, len(order)), order[label])
    versions = sorted(rank, key=rank.__getitem__)  # AWSCURRENT's version first
    sm = clients.client("secretsmanager")
    values = []
    for version in versions:
        try:
            text = sm.get_secret_value(SecretId=name, VersionId=version)["SecretString"]
        except Exception as exc:  # noqa: BLE001 - botocore's errors, reported as the vendor's
            raise VendorError(vendor, "read credentials", None, f"cannot read secret {name!r}: {exc}") from None
        try:
            value = json.loads(text)
        except json.JSONDecodeError:
            value = None
        if not isinstance(value, dict):
            redaction.register(text)
            raise VendorError(vendor, "read credentials", None, f"secret {name!r} is not a JSON object")
        redaction.register(value)
        values.append(value)
    entry = (time.monotonic(), labels, values)
    with _accepted_lock:
        _accepted[name] = entry
    return entry


_previous: dict[str, tuple[float, float | None, list[dict[str, Any]]]] = {}
PREVIOUS_RECHECK_S = 60.0  # how long what AWSPREVIOUS holds, and since when, is kept


def replaced_at(name: str, vendor: str) -> tuple[float | None, list[dict[str, Any]]]:
    """(when AWSCURRENT's version was created, epoch seconds; the AWSPREVIOUS version's value):
    for a secret replaced by storing the new value as AWSCURRENT directly, whose old value a
    verifier keeps accepting for a grace period. Read at most once a minute per secret."""
    now = time.monotonic()
    with _accepted_lock:
        cached = _previous.get(name)
    if cached is not None and now - cached[0] < PREVIOUS_RECHECK_S:
        return cached[1], cached[2]
    from functions.core import clients

    sm = clients.client("secretsmanager")
    created: float | None = None
    previous: list[dict[str, Any]] = []
    try:
        # DescribeSecret and GetSecretValue only: what a grant to read one secret allows.
        stages = sm.describe_secret(SecretId=name).get("VersionIdsToStages") or {}
        for version, labels in stages.items():
            if "AWSCURRENT" in labels:
                created = sm.get_secret_value(SecretId=name, VersionId=version)["CreatedDate"].timestamp()
            elif "AWSPREVIOUS" in labels:
                value = json.loads(sm.get_secret_value(SecretId=name, VersionId=version)["SecretString"])
                if isinstance(value, dict):
                    redaction.register(value)
                    previous.append(value)
    except Exception as exc:  # noqa: BLE001 - botocore's errors, reported as the vendor's
        raise VendorError(vendor, "read credentials", None, f"cannot read secret {name!r}: {exc}") from None
    with _accepted_lock:
        _previous[name] = (now, created, previous)
    return created, previous


def clear_cache() -> None:
    """The local engine starts a fresh moto world; cached secrets and clients must follow."""
    from aws_lambda_powertools.utilities import parameters

    parameters.clear_caches()  # type: ignore[no-untyped-call]
    with _accepted_lock:
        _accepted.clear()
        _checked.clear()
        _previous.clear()
