"""The Okta service app's key (private-key JWT) through the rotation's steps: the new key pair is
made locally and stored as AWSPENDING (create); its public half is added to the app and activated
(set); a token got with it proves it (test); after the grace period the old key is deactivated and
deleted (retire). A failed test deactivates and deletes the new key, so the old one, still current
and still active, is the only one Okta takes (rollback).

The key operations in Okta are made as the current key: the app must hold the okta.apps.read and
okta.apps.manage scopes. Only public keys go to Okta; the private one lives in the secret alone.
"""

from __future__ import annotations

import secrets
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from functions.adapters.errors import VendorError
from functions.adapters.okta_keys import Signer, new_key_pair, public_jwk

if TYPE_CHECKING:
    from functions.adapters.okta_keys import OktaKeys
    from functions.core.change import ChangeContext
    from functions.credential_rotation.models import Job

KIND = "okta_service_key"


class KeyMissingError(ValueError):
    """The secret does not name its key (`key_id`, the `kid` Okta knows it by)."""


def signer(value: dict[str, Any], secret_name: str) -> Signer:
    if not value.get("private_key") or not value.get("key_id"):
        raise KeyMissingError(
            f"secret {secret_name} needs private_key and key_id (the kid of its key in the Okta service app)"
        )
    return Signer(str(value["private_key"]), str(value["key_id"]))


def new_value(job: Job, current: dict[str, Any]) -> dict[str, Any]:
    """The current secret with a new key pair; nothing reaches Okta before the set step."""
    signer(current, job.secret_name)  # the current key must be known: it manages the new one
    kid = f"platform-{datetime.now(UTC):%Y%m%d}-{secrets.token_hex(4)}"
    made = new_key_pair(kid)
    return {**current, "private_key": made.private_key, "key_id": kid}


def set_key(job: Job, current: dict[str, Any], new: dict[str, Any], changes: ChangeContext, okta: OktaKeys) -> str:
    """The new public key added to the app (inactive), then activated: idempotent, a retried step
    finds the key it added."""
    as_current, fresh = signer(current, job.secret_name), signer(new, job.secret_name)
    key = okta.key(as_current, fresh.key_id)
    if key is None:
        jwk = public_jwk(fresh)
        key = changes.change(
            "okta",
            "apps:add-jwk",
            fresh.key_id,
            lambda: okta.add(as_current, jwk, active=False),
            line=f"added the new public key {fresh.key_id} to the Okta service app",
            after_of=lambda added: {"id": added.id, "kid": added.kid, "status": added.status},
        )
    if key is not None and key.status != "ACTIVE":
        added = key
        changes.change(
            "okta",
            "apps:activate-jwk",
            fresh.key_id,
            lambda: okta.activate(as_current, added),
            line=f"activated the new key {fresh.key_id} of the Okta service app",
            before={"status": added.status},
            after={"status": "ACTIVE"},
        )
    return f"the Okta service app's key {fresh.key_id} is active beside {as_current.key_id}"


def test_key(job: Job, new: dict[str, Any], okta: OktaKeys) -> str:
    """A token got with the new key: Okta takes it."""
    from functions.credential_rotation.steps import CredentialTestFailedError

    fresh = signer(new, job.secret_name)
    try:
        okta.token(fresh)
    except VendorError as exc:
        raise CredentialTestFailedError(f"the new Okta key {fresh.key_id} gets no token: {exc}") from None
    return f"the new key {fresh.key_id} gets a token"


def remove_key(
    job: Job, as_value: dict[str, Any], gone: dict[str, Any], changes: ChangeContext, okta: OktaKeys, *, which: str
) -> str | None:
    """Deactivates and deletes the key of `gone`, made as the key of `as_value` (never itself)."""
    acting, target = signer(as_value, job.secret_name), signer(gone, job.secret_name)
    if acting.key_id == target.key_id:
        return None
    key = okta.key(acting, target.key_id)
    if key is None:
        return None
    if key.status == "ACTIVE":
        changes.change(
            "okta",
            "apps:deactivate-jwk",
            target.key_id,
            lambda: okta.deactivate(acting, key),
            line=f"deactivated the {which} key {target.key_id} of the Okta service app",
            before={"status": "ACTIVE"},
            after={"status": "INACTIVE"},
        )
    changes.change(
        "okta",
        "apps:delete-jwk",
        target.key_id,
        lambda: okta.delete(acting, key),
        line=f"deleted the {which} key {target.key_id} of the Okta service app",
        before={"id": key.id, "kid": key.kid},
        after=None,
    )
    return f"{which} key {target.key_id} deactivated and deleted"
