"""Seeds moto with what credentials.inventory names in AWS: each machine user, with one access
key, and the Secrets Manager secret its consumers read (the vendor secrets are seeded with the
fakes, sandbox/fakes/credentials.py)."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

import boto3

from functions.core.config import PlatformConfig


def seed_credentials(config: PlatformConfig, region: str) -> None:
    key_use_follows_virtual_time()
    current_follows_its_label()
    iam = boto3.client("iam", region_name=region)
    sm = boto3.client("secretsmanager", region_name=region)
    for credential in config.credentials.inventory:
        if credential.kind != "iam_access_key" or not credential.user or not credential.secret_name:
            continue
        iam.create_user(UserName=credential.user, Tags=[{"Key": "purpose", "Value": "machine user"}])
        key = iam.create_access_key(UserName=credential.user)["AccessKey"]
        value = {"access_key_id": key["AccessKeyId"], "secret_access_key": key["SecretAccessKey"]}
        sm.create_secret(Name=credential.secret_name, SecretString=json.dumps(value))


_patched = False


def key_use_follows_virtual_time() -> None:
    """moto stamps an access key's last use with the wall clock, and its API shows it to the whole
    second, while the rotation polls it between Wait states that take no real time: two polls a
    virtual hour apart could read the same second although the key was used in between. Stamped
    with virtual time (sandbox.clock), a use after a Wait is always later than one before it, as
    it is in AWS."""
    global _patched  # noqa: PLW0603 - one patch per process
    if _patched:
        return
    _patched = True
    from moto.iam import models

    original = models.mark_account_as_visited

    def visited(account_id: str, access_key: str, service: str, region: str) -> None:
        original(account_id=account_id, access_key=access_key, service=service, region=region)
        _stamp(models, account_id, access_key, service, region)

    models.mark_account_as_visited = visited


def _stamp(models: Any, account_id: str, access_key: str, service: str, region: str) -> None:
    from sandbox import clock

    account = models.iam_backends[account_id][models.get_partition(region)]
    key = account.access_keys.get(access_key)
    if key is not None:
        moment = datetime.fromtimestamp(clock.now(), UTC).replace(tzinfo=None)  # moto keeps naive UTC
        key.last_used = models.AccessKeyLastUsed(timestamp=moment, service=service, region=region)


_current_patched = False


def current_follows_its_label() -> None:
    """moto answers GetSecretValue without a version or stage from the version last put as
    AWSCURRENT, even after UpdateSecretVersionStage moved AWSCURRENT elsewhere; AWS answers from the
    version AWSCURRENT is on. Every consumer of a rotated secret reads it that way (the adapters'
    cached get_secret), so the sandbox follows AWS."""
    global _current_patched  # noqa: PLW0603 - one patch per process
    if _current_patched:
        return
    _current_patched = True
    from moto.secretsmanager import models

    original = models.SecretsManagerBackend.update_secret_version_stage

    def update(
        self: Any, secret_id: str, version_stage: str, remove_from_version_id: str, move_to_version_id: str
    ) -> tuple[str, str]:
        result = original(self, secret_id, version_stage, remove_from_version_id, move_to_version_id)
        if version_stage == "AWSCURRENT" and move_to_version_id:
            secret = self.secrets[secret_id]
            getattr(secret, "source", secret).set_default_version_id(move_to_version_id)
        return result

    models.SecretsManagerBackend.update_secret_version_stage = update  # type: ignore[method-assign]
