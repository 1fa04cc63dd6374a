"""Seeds moto with what credentials.inventory names in AWS: each machine user, with one access
key, and the Secrets Manager secret its consumers read (the vendor secrets are seeded with the
fakes, sandbox/fakes/credentials.py)."""

from __future__ import annotations

import json

import boto3

from functions.core.config import PlatformConfig


def seed_credentials(config: PlatformConfig, region: str) -> None:
    iam = boto3.client("iam", region_name=region)
    sm = boto3.client("secretsmanager", region_name=region)
    for credential in config.credentials.inventory:
        if credential.kind != "iam_access_key" or not credential.user or not credential.secret_name:
            continue
        iam.create_user(UserName=credential.user, Tags=[{"Key": "purpose", "Value": "machine user"}])
        key = iam.create_access_key(UserName=credential.user)["AccessKey"]
        value = {"access_key_id": key["AccessKeyId"], "secret_access_key": key["SecretAccessKey"]}
        sm.create_secret(Name=credential.secret_name, SecretString=json.dumps(value))
