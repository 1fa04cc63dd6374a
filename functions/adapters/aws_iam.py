"""IAM users and their access keys, and the account's credential report (for the access review).

IAM is global: the client's region only picks the signing region.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

from functions.adapters import retry
from functions.adapters.aws_common import VENDOR, aws_errors, new_client, page_config
from functions.adapters.errors import TransientVendorError

if TYPE_CHECKING:
    from mypy_boto3_iam.client import IAMClient
    from mypy_boto3_iam.type_defs import UserTypeDef

    from functions.core.config import PlatformConfig

IAM = "iam"
ROOT = "<root_account>"
# Values the credential report writes where a date or flag does not apply.
_NO_VALUE = frozenset({"", "N/A", "no_information", "not_supported"})


@dataclass(frozen=True)
class AccessKey:
    id: str
    status: str
    created: datetime | None
    last_used: datetime | None
    last_used_service: str | None = None


@dataclass(frozen=True)
class IamUser:
    name: str
    arn: str
    created: datetime
    password_last_used: datetime | None
    access_keys: tuple[AccessKey, ...]


@dataclass(frozen=True)
class ReportKey:
    """One access key slot of a credential report row (slot 1 or 2)."""

    slot: int
    active: bool
    last_rotated: datetime | None
    last_used: datetime | None
    last_used_service: str | None


@dataclass(frozen=True)
class CredentialReportRow:
    user: str
    arn: str
    created: datetime | None
    password_enabled: bool | None
    password_last_used: datetime | None
    password_last_changed: datetime | None
    mfa_active: bool
    access_keys: tuple[ReportKey, ...]

    @property
    def is_root(self) -> bool:
        return self.user == ROOT


def _when(value: str | None) -> datetime | None:
    if value is None or value in _NO_VALUE:
        return None
    return datetime.fromisoformat(value.replace("Z", "+00:00"))


def _flag(value: str | None) -> bool | None:
    if value is None or value in _NO_VALUE:
        return None
    return value.lower() == "true"


def parse_credential_report(content: bytes) -> list[CredentialReportRow]:
    rows = []
    for row in csv.DictReader(io.StringIO(content.decode("utf-8"))):
        keys = []
        for slot in (1, 2):
            rotated = _when(row.get(f"access_key_{slot}_last_rotated"))
            if rotated is None:
                continue  # no key in this slot
            service = row.get(f"access_key_{slot}_last_used_service")
            keys.append(
                ReportKey(
                    slot=slot,
                    active=_flag(row.get(f"access_key_{slot}_active")) is True,
                    last_rotated=rotated,
                    last_used=_when(row.get(f"access_key_{slot}_last_used_date")),
                    last_used_service=None if service is None or service in _NO_VALUE else service,
                )
            )
        rows.append(
            CredentialReportRow(
                user=row["user"],
                arn=row["arn"],
                created=_when(row.get("user_creation_time")),
                password_enabled=_flag(row.get("password_enabled")),
                password_last_used=_when(row.get("password_last_used")),
                password_last_changed=_when(row.get("password_last_changed")),
                mfa_active=_flag(row.get("mfa_active")) is True,
                access_keys=tuple(keys),
            )
        )
    return rows


class Iam:
    def __init__(
        self,
        *,
        client: IAMClient | None = None,
        region: str | None = "us-east-1",
        page_size: int | None = None,
        report_polls: int = 10,
        report_poll_s: float = 2.0,
    ) -> None:
        self.region = region
        self.page_size = page_size
        self.report_polls = report_polls
        self.report_poll_s = report_poll_s
        self._client = client

    @classmethod
    def from_config(cls, config: PlatformConfig) -> Iam:
        return cls(region=config.aws.region)

    @property
    def iam(self) -> IAMClient:
        if self._client is None:
            self._client = new_client(IAM, self.region)
        return self._client

    def list_users_with_keys(self) -> list[IamUser]:
        """Every IAM user with its access keys and when each was last used: one ListAccessKeys per
        user and one GetAccessKeyLastUsed per key (the credential report is the bulk alternative)."""
        users: list[UserTypeDef] = []
        with aws_errors(IAM, "ListUsers"):
            for page in self.iam.get_paginator("list_users").paginate(PaginationConfig=page_config(self.page_size)):
                users.extend(page["Users"])
        return [self._with_keys(user) for user in users]

    def owners(self, tag_key: str) -> dict[str, str]:
        """Every IAM user's owner, as the `tag_key` tag names them (user name -> lower-cased email;
        untagged users are absent). One paged GetAccountAuthorizationDetails: it carries the tags,
        where ListUsers would need a ListUserTags per user."""
        owners: dict[str, str] = {}
        with aws_errors(IAM, "GetAccountAuthorizationDetails"):
            pages = self.iam.get_paginator("get_account_authorization_details").paginate(
                Filter=["User"], PaginationConfig=page_config(self.page_size)
            )
            for page in pages:
                for user in page.get("UserDetailList", []):
                    tag = next((t["Value"] for t in user.get("Tags") or [] if t["Key"] == tag_key), None)
                    if tag and "@" in tag:
                        owners[user["UserName"]] = tag.strip().lower()
        return owners

    def find_user(self, name: str) -> IamUser | None:
        with aws_errors(IAM, "GetUser"):
            try:
                user = self.iam.get_user(UserName=name)["User"]
            except self.iam.exceptions.NoSuchEntityException:
                return None
        return self._with_keys(user)

    def _with_keys(self, user: UserTypeDef) -> IamUser:
        return IamUser(
            name=user["UserName"],
            arn=user["Arn"],
            created=user["CreateDate"],
            password_last_used=user.get("PasswordLastUsed"),
            access_keys=tuple(self.access_keys(user["UserName"])),
        )

    def access_keys(self, user_name: str) -> list[AccessKey]:
        keys = []
        with aws_errors(IAM, "ListAccessKeys"):
            pages = self.iam.get_paginator("list_access_keys").paginate(
                UserName=user_name, PaginationConfig=page_config(self.page_size)
            )
            metadata = [key for page in pages for key in page["AccessKeyMetadata"]]
        for key in metadata:
            key_id = key["AccessKeyId"]
            with aws_errors(IAM, "GetAccessKeyLastUsed"):
                used = self.iam.get_access_key_last_used(AccessKeyId=key_id)["AccessKeyLastUsed"]
            service = used.get("ServiceName")
            keys.append(
                AccessKey(
                    id=key_id,
                    status=key["Status"],
                    created=key.get("CreateDate"),
                    last_used=used.get("LastUsedDate"),
                    last_used_service=None if service is None or service in _NO_VALUE else service,
                )
            )
        return keys

    def deactivate_access_key(self, user: str, key_id: str) -> None:
        """Sets the key Inactive (reversible, unlike deleting it). Deactivating an inactive key is a no-op."""
        with aws_errors(IAM, "UpdateAccessKey"):
            self.iam.update_access_key(UserName=user, AccessKeyId=key_id, Status="Inactive")

    def credential_report(self) -> list[CredentialReportRow]:
        """Asks IAM for a fresh report (it reuses one under four hours old) and polls until it is
        ready, at most `report_polls` times `report_poll_s` apart."""
        for attempt in range(1, self.report_polls + 1):
            with aws_errors(IAM, "GenerateCredentialReport"):
                state = self.iam.generate_credential_report().get("State")
            if state == "COMPLETE":
                with aws_errors(IAM, "GetCredentialReport"):
                    try:
                        content = self.iam.get_credential_report()["Content"]
                    except (
                        self.iam.exceptions.CredentialReportNotReadyException,
                        self.iam.exceptions.CredentialReportNotPresentException,
                        self.iam.exceptions.CredentialReportExpiredException,
                    ):
                        content = None
                if content is not None:
                    return parse_credential_report(content)
            if attempt < self.report_polls:
                retry._sleep(self.report_poll_s)
        raise TransientVendorError(
            VENDOR,
            f"{IAM} GenerateCredentialReport",
            None,
            f"credential report not ready after {self.report_polls} checks {self.report_poll_s:g} s apart",
        )
