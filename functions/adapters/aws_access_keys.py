"""A machine user's IAM access keys, for their rotation: create the second key, prove it works
(STS GetCallerIdentity signed with it), read when the old one was last used, deactivate, delete.

IAM allows two keys per user, which is what makes a rotation without a gap possible.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

import boto3

from functions.adapters.aws_common import CLIENT_CONFIG, aws_errors, new_client

if TYPE_CHECKING:
    from mypy_boto3_iam.client import IAMClient

    from functions.core.config import PlatformConfig

IAM = "iam"
MAX_KEYS = 2  # IAM's limit per user


@dataclass(frozen=True)
class KeyState:
    id: str
    status: str  # Active | Inactive
    created: datetime | None
    last_used: datetime | None


class AccessKeys:
    def __init__(self, *, client: IAMClient | None = None, region: str | None = "us-east-1") -> None:
        self.region = region
        self._client = client

    @classmethod
    def from_config(cls, config: PlatformConfig) -> AccessKeys:
        return cls(region=config.aws.region)

    @property
    def iam(self) -> IAMClient:
        if self._client is None:
            self._client = new_client(IAM, self.region)
        return self._client

    def keys(self, user: str) -> list[KeyState]:
        with aws_errors(IAM, "ListAccessKeys"):
            metadata = self.iam.list_access_keys(UserName=user)["AccessKeyMetadata"]
        out = []
        for key in metadata:
            with aws_errors(IAM, "GetAccessKeyLastUsed"):
                used = self.iam.get_access_key_last_used(AccessKeyId=key["AccessKeyId"])["AccessKeyLastUsed"]
            out.append(KeyState(key["AccessKeyId"], key["Status"], key.get("CreateDate"), used.get("LastUsedDate")))
        return out

    def key(self, user: str, key_id: str) -> KeyState | None:
        return next((k for k in self.keys(user) if k.id == key_id), None)

    def create(self, user: str) -> tuple[str, str]:
        """A new key: (access key id, secret access key). The secret is never returned again."""
        with aws_errors(IAM, "CreateAccessKey"):
            key = self.iam.create_access_key(UserName=user)["AccessKey"]
        return key["AccessKeyId"], key["SecretAccessKey"]

    def deactivate(self, user: str, key_id: str) -> None:
        with aws_errors(IAM, "UpdateAccessKey"):
            self.iam.update_access_key(UserName=user, AccessKeyId=key_id, Status="Inactive")

    def delete(self, user: str, key_id: str) -> bool:
        """False when the key is gone already (a retried step)."""
        with aws_errors(IAM, "DeleteAccessKey"):
            try:
                self.iam.delete_access_key(UserName=user, AccessKeyId=key_id)
            except self.iam.exceptions.NoSuchEntityException:
                return False
        return True

    def whoami(self, key_id: str, secret: str) -> str:
        """The ARN a key signs as (STS GetCallerIdentity needs no permission)."""
        sts: Any = boto3.client(
            "sts",
            region_name=self.region,
            aws_access_key_id=key_id,
            aws_secret_access_key=secret,
            config=CLIENT_CONFIG,
        )
        with aws_errors("sts", "GetCallerIdentity"):
            return str(sts.get_caller_identity()["Arn"])

    def user_arn(self, user: str) -> str:
        with aws_errors(IAM, "GetUser"):
            return str(self.iam.get_user(UserName=user)["User"]["Arn"])
