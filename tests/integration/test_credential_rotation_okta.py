"""The Okta service app's key (private-key JWT) rotated by the real workflow on the local engine:
the key pair in moto's Secrets Manager, its public half in the Okta fake, which only hands tokens
to assertions signed by an active key of the app."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from functions.adapters import secrets as secret_cache
from functions.adapters import vendors
from functions.adapters.errors import VendorError
from functions.adapters.okta_keys import OktaKeys, Signer
from sandbox.engine import ROOT, LocalEngine, load_event
from sandbox.fakes.base import Fault
from sandbox.fakes.credentials import OKTA_KEY_ID

from .credential_helpers import actions, everything_recorded, labels, value

EVENT = ROOT / "events" / "scheduler" / "credential_rotation_okta.json"
OKTA_SECRET = "platform-automation/okta"


@pytest.fixture
def engine() -> Iterator[LocalEngine]:
    with LocalEngine() as eng:
        yield eng


def _okta(engine: LocalEngine):  # type: ignore[no-untyped-def]
    assert engine.vendors is not None
    return engine.vendors.fakes["okta"]


def _app_keys(engine: LocalEngine) -> dict[str, str]:
    """kid -> status of the service app's keys, as Okta lists them."""
    current = value(engine, OKTA_SECRET)
    keys = OktaKeys(_okta(engine).url, engine.config.okta.client_id or "")
    return {k.kid: k.status for k in keys.keys(Signer(current["private_key"], current["key_id"]))}


def _gets_token(engine: LocalEngine, secret: dict[str, str]) -> bool:
    keys = OktaKeys(_okta(engine).url, engine.config.okta.client_id or "")
    try:
        keys.token(Signer(secret["private_key"], secret["key_id"]))
    except VendorError as error:
        if error.status != 401:
            raise
        return False
    return True


def test_the_service_app_key_is_replaced_and_the_old_one_deleted(engine: LocalEngine) -> None:
    old = value(engine, OKTA_SECRET)
    (old_version,) = labels(engine, OKTA_SECRET)
    assert old["key_id"] == OKTA_KEY_ID
    assert _gets_token(engine, old)
    before = vendors.okta()  # the adapter a warm Lambda container holds, signing with the old key
    assert before.find_user("maria.lopez@example.com") is not None

    execution = engine.run("credential_rotation", load_event(EVENT))

    assert execution.status == "SUCCEEDED", (execution.error, execution.cause)
    (outcome,) = execution.output["outcomes"]
    assert (outcome["name"], outcome["status"]) == ("okta-service-key", "rotated")
    new = value(engine, OKTA_SECRET)
    assert new["key_id"] != old["key_id"]
    assert new["private_key"] != old["private_key"]
    assert labels(engine, OKTA_SECRET)[old_version] == ["AWSPREVIOUS"]
    assert labels(engine, OKTA_SECRET)[outcome["version"]] == ["AWSCURRENT"]
    # Okta holds the new public key alone, active; the old key gets no token any more
    assert _app_keys(engine) == {new["key_id"]: "ACTIVE"}
    assert _gets_token(engine, new)
    assert not _gets_token(engine, old)
    # Once its 5-minute secret cache has passed, the platform's Okta adapter is built again, with
    # the new key, and works with the org.
    secret_cache.clear_cache()
    after = vendors.okta()
    assert after is not before
    assert after.find_user("maria.lopez@example.com") is not None
    steps = actions(execution)
    assert {"apps:activate-jwk", "apps:deactivate-jwk", "apps:delete-jwk"} <= set(steps)
    recorded = everything_recorded(engine, execution)
    assert new["private_key"] not in recorded
    assert new["private_key"].splitlines()[1] not in recorded  # nor a line of it


def test_a_new_key_that_gets_no_token_is_removed_and_the_old_one_stays(engine: LocalEngine) -> None:
    old = value(engine, OKTA_SECRET)
    before = labels(engine, OKTA_SECRET)
    # The set step's token (made with the current key, kept for the run) passes; the test step's,
    # made with the new key, is refused as Okta refuses a key it does not take.
    engine.vendors.set_faults(  # type: ignore[union-attr]
        "okta",
        [Fault(status=None, count=1, match="POST /oauth2/v1/token"), Fault(status=401, match="POST /oauth2/v1/token")],
    )
    try:
        execution = engine.run("credential_rotation", load_event(EVENT))
    finally:
        engine.vendors.clear_faults()  # type: ignore[union-attr]

    assert execution.status == "FAILED"
    assert execution.error == "RotationFailed"
    assert "gets no token" in (execution.cause or "")
    # the old key is still current, still the app's only key, and still gets a token
    assert labels(engine, OKTA_SECRET) == before
    assert value(engine, OKTA_SECRET)["key_id"] == old["key_id"]
    assert _app_keys(engine) == {old["key_id"]: "ACTIVE"}
    assert _gets_token(engine, old)
    assert {"apps:add-jwk", "apps:activate-jwk", "apps:deactivate-jwk", "apps:delete-jwk"} <= set(actions(execution))
    security = _okta_security_messages(engine)
    assert any("okta-service-key" in m and "rolled back" in m for m in security)


def _okta_security_messages(engine: LocalEngine) -> list[str]:
    assert engine.vendors is not None
    messages = engine.vendors.fakes["slack"].state()["messages"].get("#security-reviews", [])
    return [str(m["text"]) for m in messages]
