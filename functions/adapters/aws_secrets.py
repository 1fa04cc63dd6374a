"""Secrets Manager versions and staging labels: the rotation contract.

A rotation creates the new value as a version labelled AWSPENDING, sets it at the vendor, tests
it, and finishes by moving AWSCURRENT to it (Secrets Manager then puts AWSPREVIOUS on the version
AWSCURRENT left). Every reader of AWSCURRENT picks the new value up, and the labels show how far a
rotation got. One label is the platform's own: RETIRING marks the old version while the old
credential is still accepted (its grace period); it is removed once the old one is retired.

Values read here are registered with the log redaction before they are returned.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any

from functions.adapters import redaction
from functions.adapters.aws_common import aws_errors, new_client

if TYPE_CHECKING:
    from mypy_boto3_secretsmanager.client import SecretsManagerClient

    from functions.core.config import PlatformConfig

SERVICE = "secretsmanager"
CURRENT, PENDING, PREVIOUS = "AWSCURRENT", "AWSPENDING", "AWSPREVIOUS"
RETIRING = "RETIRING"


@dataclass(frozen=True)
class SecretVersionsState:
    """Which version carries which labels, and when each version was created."""

    name: str
    labels: dict[str, tuple[str, ...]] = field(default_factory=dict)  # version id -> labels
    created: dict[str, datetime] = field(default_factory=dict)

    def version(self, label: str) -> str | None:
        return next((v for v, labels in self.labels.items() if label in labels), None)

    def created_at(self, label: str) -> datetime | None:
        version = self.version(label)
        return self.created.get(version) if version else None


class SecretVersions:
    def __init__(self, *, client: SecretsManagerClient | None = None, region: str | None = None) -> None:
        self.region = region
        self._client = client

    @classmethod
    def from_config(cls, config: PlatformConfig) -> SecretVersions:
        return cls(region=config.aws.region)

    @property
    def sm(self) -> SecretsManagerClient:
        if self._client is None:
            self._client = new_client(SERVICE, self.region)
        return self._client

    def state(self, name: str) -> SecretVersionsState | None:
        """The secret's versions and labels; None when there is no such secret."""
        labels: dict[str, tuple[str, ...]] = {}
        created: dict[str, datetime] = {}
        kwargs: dict[str, Any] = {"SecretId": name, "IncludeDeprecated": False}
        with aws_errors(SERVICE, "ListSecretVersionIds"):
            while True:
                try:
                    page = self.sm.list_secret_version_ids(**kwargs)
                except self.sm.exceptions.ResourceNotFoundException:
                    return None
                for version in page.get("Versions", []):
                    if version.get("VersionStages"):
                        labels[version["VersionId"]] = tuple(version["VersionStages"])
                        if version.get("CreatedDate"):
                            created[version["VersionId"]] = version["CreatedDate"]
                if not page.get("NextToken"):
                    break
                kwargs["NextToken"] = page["NextToken"]
        return SecretVersionsState(name, labels, created)

    def value(self, name: str, *, version: str | None = None, label: str = CURRENT) -> dict[str, Any]:
        """One version's JSON object (by id, else by label)."""
        kwargs: dict[str, Any] = {"SecretId": name}
        if version:
            kwargs["VersionId"] = version
        else:
            kwargs["VersionStage"] = label
        with aws_errors(SERVICE, "GetSecretValue"):
            text = self.sm.get_secret_value(**kwargs)["SecretString"]
        data = json.loads(text)
        if not isinstance(data, dict):
            redaction.register(text)
            raise TypeError(f"secret {name!r} is not a JSON object")
        redaction.register(data)
        return data

    def create(self, name: str, value: dict[str, Any], description: str) -> str:
        """A new secret whose first version is AWSCURRENT; returns that version's id."""
        with aws_errors(SERVICE, "CreateSecret"):
            return str(
                self.sm.create_secret(Name=name, SecretString=json.dumps(value), Description=description)["VersionId"]
            )

    def put_pending(self, name: str, token: str, value: dict[str, Any]) -> str:
        """Store `value` as the AWSPENDING version `token` (Secrets Manager's idempotency token: the
        same token and value again is a no-op, so a retried step stores it once)."""
        with aws_errors(SERVICE, "PutSecretValue"):
            response = self.sm.put_secret_value(
                SecretId=name, ClientRequestToken=token, SecretString=json.dumps(value), VersionStages=[PENDING]
            )
        return str(response["VersionId"])

    def label(self, name: str, label: str, *, to: str | None, away_from: str | None) -> None:
        """Move (or add, or remove) a staging label. Moving AWSCURRENT puts AWSPREVIOUS on the
        version it leaves."""
        kwargs: dict[str, Any] = {"SecretId": name, "VersionStage": label}
        if to:
            kwargs["MoveToVersionId"] = to
        if away_from:
            kwargs["RemoveFromVersionId"] = away_from
        with aws_errors(SERVICE, "UpdateSecretVersionStage"):
            self.sm.update_secret_version_stage(**kwargs)
