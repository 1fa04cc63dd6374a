"""IAM Identity Center: users and group memberships (identitystore) and account assignments
(sso-admin), both in the Identity Center instance's home region.

Users and groups are found through GetUserId/GetGroupId (unique attributes) rather than
ListUsers/ListGroups filters, which AWS has deprecated. Account assignments are asynchronous:
creating or deleting one returns a request id whose status `assignment_status` follows.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal

from functions.adapters.aws_common import VENDOR, PermanentAwsError, aws_errors, new_client, page_config

if TYPE_CHECKING:
    from mypy_boto3_identitystore.client import IdentityStoreClient
    from mypy_boto3_identitystore.type_defs import AlternateIdentifierTypeDef, DescribeUserResponseTypeDef
    from mypy_boto3_sso_admin.client import SSOAdminClient
    from mypy_boto3_sso_admin.type_defs import AccountAssignmentOperationStatusTypeDef

    from functions.core.config import PlatformConfig

STORE = "identitystore"
SSO = "sso-admin"


@dataclass(frozen=True)
class IcUser:
    user_id: str
    user_name: str
    display_name: str | None
    email: str | None
    given_name: str | None
    family_name: str | None


@dataclass(frozen=True)
class IcGroup:
    group_id: str
    display_name: str


@dataclass(frozen=True)
class IcMembership:
    membership_id: str
    group_id: str
    group_name: str | None


@dataclass(frozen=True)
class IcAssignment:
    account_id: str
    permission_set_arn: str
    permission_set_name: str | None


@dataclass(frozen=True)
class AssignmentChange:
    """What assign/remove did. `outcome` "already"/"absent" means nothing was requested; otherwise
    `request_id` and `status` (IN_PROGRESS or SUCCEEDED) are what `assignment_status` follows."""

    outcome: Literal["started", "already", "absent"]
    account_id: str
    permission_set_name: str
    permission_set_arn: str
    user_id: str
    request_id: str | None = None
    status: str | None = None


def _unique(path: str, value: str) -> AlternateIdentifierTypeDef:
    # The model types AttributeValue as a JSON document; for userName, emails.value and
    # displayName that document is the plain string.
    return {"UniqueAttribute": {"AttributePath": path, "AttributeValue": value}}  # type: ignore[typeddict-item]


def _user(data: DescribeUserResponseTypeDef) -> IcUser:
    emails = data.get("Emails") or []
    primary = next((e for e in emails if e.get("Primary")), emails[0] if emails else None)
    name = data.get("Name") or {}
    return IcUser(
        user_id=data["UserId"],
        user_name=data["UserName"],
        display_name=data.get("DisplayName"),
        email=primary.get("Value") if primary else None,
        given_name=name.get("GivenName"),
        family_name=name.get("FamilyName"),
    )


class IdentityCenter:
    def __init__(
        self,
        identity_store_id: str,
        instance_arn: str,
        region: str | None = None,
        *,
        identitystore: IdentityStoreClient | None = None,
        sso_admin: SSOAdminClient | None = None,
        page_size: int | None = None,
    ) -> None:
        self.identity_store_id = identity_store_id
        self.instance_arn = instance_arn
        self.region = region
        self.page_size = page_size
        self._store = identitystore
        self._sso = sso_admin
        self._permission_sets: dict[str, str] | None = None  # name -> ARN, read once per instance

    @classmethod
    def from_config(cls, config: PlatformConfig) -> IdentityCenter:
        ic = config.aws.identity_center
        return cls(ic.identity_store_id, ic.instance_arn, config.aws.region)

    @property
    def store(self) -> IdentityStoreClient:
        if self._store is None:
            self._store = new_client(STORE, self.region)
        return self._store

    @property
    def sso(self) -> SSOAdminClient:
        if self._sso is None:
            self._sso = new_client(SSO, self.region)
        return self._sso

    # --- users -------------------------------------------------------------------------------

    def find_user(self, user_name: str | None = None, *, email: str | None = None) -> IcUser | None:
        """By user name, else by email (both are unique attributes in Identity Center)."""
        if not user_name and not email:
            raise ValueError("find_user needs a user_name or an email")
        lookups = [("userName", user_name), ("emails.value", email)]
        for path, value in lookups:
            if not value:
                continue
            with aws_errors(STORE, "GetUserId"):
                try:
                    user_id = self.store.get_user_id(
                        IdentityStoreId=self.identity_store_id,
                        AlternateIdentifier=_unique(path, value),
                    )["UserId"]
                except self.store.exceptions.ResourceNotFoundException:
                    continue
            with aws_errors(STORE, "DescribeUser"):
                return _user(self.store.describe_user(IdentityStoreId=self.identity_store_id, UserId=user_id))
        return None

    def find_user_by_id(self, user_id: str) -> IcUser | None:
        with aws_errors(STORE, "DescribeUser"):
            try:
                return _user(self.store.describe_user(IdentityStoreId=self.identity_store_id, UserId=user_id))
            except self.store.exceptions.ResourceNotFoundException:
                return None

    def list_users(self) -> list[IcUser]:
        """Every user of the identity store (paged)."""
        users: list[IcUser] = []
        with aws_errors(STORE, "ListUsers"):
            pages = self.store.get_paginator("list_users").paginate(
                IdentityStoreId=self.identity_store_id, PaginationConfig=page_config(self.page_size)
            )
            for page in pages:
                users.extend(_user(user) for user in page["Users"])  # type: ignore[arg-type]
        return users

    def create_user(self, user_name: str, display_name: str, given_name: str, family_name: str, email: str) -> IcUser:
        with aws_errors(STORE, "CreateUser"):
            user_id = self.store.create_user(
                IdentityStoreId=self.identity_store_id,
                UserName=user_name,
                DisplayName=display_name,
                Name={"GivenName": given_name, "FamilyName": family_name, "Formatted": display_name},
                Emails=[{"Value": email, "Type": "work", "Primary": True}],
            )["UserId"]
        return IcUser(user_id, user_name, display_name, email, given_name, family_name)

    def delete_user(self, user_id: str) -> bool:
        """True when a user was deleted, False when it was already gone."""
        with aws_errors(STORE, "DeleteUser"):
            try:
                self.store.delete_user(IdentityStoreId=self.identity_store_id, UserId=user_id)
            except self.store.exceptions.ResourceNotFoundException:
                return False
        return True

    # --- groups ------------------------------------------------------------------------------

    def find_group(self, display_name: str) -> IcGroup | None:
        with aws_errors(STORE, "GetGroupId"):
            try:
                group_id = self.store.get_group_id(
                    IdentityStoreId=self.identity_store_id,
                    AlternateIdentifier=_unique("displayName", display_name),
                )["GroupId"]
            except self.store.exceptions.ResourceNotFoundException:
                return None
        return IcGroup(group_id, display_name)

    def _membership_id(self, group_id: str, user_id: str) -> str | None:
        with aws_errors(STORE, "GetGroupMembershipId"):
            try:
                return self.store.get_group_membership_id(
                    IdentityStoreId=self.identity_store_id, GroupId=group_id, MemberId={"UserId": user_id}
                )["MembershipId"]
            except self.store.exceptions.ResourceNotFoundException:
                return None

    def add_to_group(self, group_id: str, user_id: str) -> bool:
        """Looks first: True when a membership was created, False when the user was a member."""
        if self._membership_id(group_id, user_id) is not None:
            return False
        with aws_errors(STORE, "CreateGroupMembership"):
            try:
                self.store.create_group_membership(
                    IdentityStoreId=self.identity_store_id, GroupId=group_id, MemberId={"UserId": user_id}
                )
            except self.store.exceptions.ConflictException:
                # A concurrent run added it between our look and our write: same end state.
                return False
        return True

    def remove_from_group(self, group_id: str, user_id: str) -> bool:
        """True when a membership was deleted, False when the user was not a member."""
        membership_id = self._membership_id(group_id, user_id)
        if membership_id is None:
            return False
        with aws_errors(STORE, "DeleteGroupMembership"):
            self.store.delete_group_membership(IdentityStoreId=self.identity_store_id, MembershipId=membership_id)
        return True

    def is_member(self, group_id: str, user_id: str) -> bool:
        return self._membership_id(group_id, user_id) is not None

    def list_groups(self) -> list[IcGroup]:
        """Every group of the identity store (paged)."""
        groups: list[IcGroup] = []
        with aws_errors(STORE, "ListGroups"):
            pages = self.store.get_paginator("list_groups").paginate(
                IdentityStoreId=self.identity_store_id, PaginationConfig=page_config(self.page_size)
            )
            for page in pages:
                groups.extend(IcGroup(g["GroupId"], g.get("DisplayName") or g["GroupId"]) for g in page["Groups"])
        return groups

    def list_group_members(self, group_id: str) -> list[str]:
        """The user ids of a group's members (paged; members that are not users are left out)."""
        members: list[str] = []
        with aws_errors(STORE, "ListGroupMemberships"):
            pages = self.store.get_paginator("list_group_memberships").paginate(
                IdentityStoreId=self.identity_store_id, GroupId=group_id, PaginationConfig=page_config(self.page_size)
            )
            for page in pages:
                members.extend(m["MemberId"]["UserId"] for m in page["GroupMemberships"] if "UserId" in m["MemberId"])
        return members

    def list_memberships_for_user(self, user_id: str) -> list[IcMembership]:
        memberships: list[tuple[str, str]] = []
        with aws_errors(STORE, "ListGroupMembershipsForMember"):
            pages = self.store.get_paginator("list_group_memberships_for_member").paginate(
                IdentityStoreId=self.identity_store_id,
                MemberId={"UserId": user_id},
                PaginationConfig=page_config(self.page_size),
            )
            for page in pages:
                memberships.extend((m["MembershipId"], m["GroupId"]) for m in page["GroupMemberships"])
        names: dict[str, str | None] = {}
        for _, group_id in memberships:
            if group_id not in names:
                names[group_id] = self._group_name(group_id)
        return [IcMembership(mid, gid, names[gid]) for mid, gid in memberships]

    def _group_name(self, group_id: str) -> str | None:
        with aws_errors(STORE, "DescribeGroup"):
            try:
                return self.store.describe_group(IdentityStoreId=self.identity_store_id, GroupId=group_id).get(
                    "DisplayName"
                )
            except self.store.exceptions.ResourceNotFoundException:
                return None

    # --- account assignments -----------------------------------------------------------------

    def permission_sets(self) -> dict[str, str]:
        """Permission set name -> ARN. sso-admin has no lookup by name: list, describe each, keep."""
        if self._permission_sets is None:
            arns: list[str] = []
            with aws_errors(SSO, "ListPermissionSets"):
                pages = self.sso.get_paginator("list_permission_sets").paginate(
                    InstanceArn=self.instance_arn, PaginationConfig=page_config(self.page_size)
                )
                for page in pages:
                    arns.extend(page["PermissionSets"])
            found: dict[str, str] = {}
            for arn in arns:
                with aws_errors(SSO, "DescribePermissionSet"):
                    described = self.sso.describe_permission_set(InstanceArn=self.instance_arn, PermissionSetArn=arn)
                found[described["PermissionSet"]["Name"]] = arn
            self._permission_sets = found
        return self._permission_sets

    def permission_set_arn(self, name: str) -> str:
        arn = self.permission_sets().get(name)
        if arn is None:
            raise PermanentAwsError(
                VENDOR, f"{SSO} DescribePermissionSet", None, f"no permission set named {name!r} in {self.instance_arn}"
            )
        return arn

    def _user_assignments(self, user_id: str, account_id: str | None = None) -> list[tuple[str, str]]:
        """(account id, permission set ARN) of the user's direct assignments (not via groups)."""
        found: list[tuple[str, str]] = []
        with aws_errors(SSO, "ListAccountAssignmentsForPrincipal"):
            pages = self.sso.get_paginator("list_account_assignments_for_principal").paginate(
                InstanceArn=self.instance_arn,
                PrincipalId=user_id,
                PrincipalType="USER",
                Filter={"AccountId": account_id} if account_id else {},
                PaginationConfig=page_config(self.page_size),
            )
            for page in pages:
                found.extend((a["AccountId"], a["PermissionSetArn"]) for a in page["AccountAssignments"])
        return found

    def list_assignments_for_user(self, user_id: str, accounts: Iterable[str] | None = None) -> list[IcAssignment]:
        """The user's direct assignments, limited to `accounts` when given."""
        wanted = set(accounts) if accounts is not None else None
        names = {arn: name for name, arn in self.permission_sets().items()}
        return [
            IcAssignment(account, arn, names.get(arn))
            for account, arn in self._user_assignments(user_id)
            if wanted is None or account in wanted
        ]

    def list_account_assignments(self, account_id: str, permission_set_arn: str) -> list[tuple[str, str]]:
        """(principal type, principal id) of everyone assigned `permission_set_arn` in the account:
        one listing per account and permission set, instead of one per user."""
        found: list[tuple[str, str]] = []
        with aws_errors(SSO, "ListAccountAssignments"):
            pages = self.sso.get_paginator("list_account_assignments").paginate(
                InstanceArn=self.instance_arn,
                AccountId=account_id,
                PermissionSetArn=permission_set_arn,
                PaginationConfig=page_config(self.page_size),
            )
            for page in pages:
                found.extend((a["PrincipalType"], a["PrincipalId"]) for a in page["AccountAssignments"])
        return found

    def assign_permission_set(self, account_id: str, permission_set_name: str, user_id: str) -> AssignmentChange:
        arn = self.permission_set_arn(permission_set_name)
        change = AssignmentChange("already", account_id, permission_set_name, arn, user_id)
        if (account_id, arn) in self._user_assignments(user_id, account_id):
            return change
        with aws_errors(SSO, "CreateAccountAssignment"):
            status = self.sso.create_account_assignment(
                InstanceArn=self.instance_arn,
                TargetId=account_id,
                TargetType="AWS_ACCOUNT",
                PermissionSetArn=arn,
                PrincipalType="USER",
                PrincipalId=user_id,
            )["AccountAssignmentCreationStatus"]
        return self._started(change, status, "CreateAccountAssignment")

    def remove_assignment(self, account_id: str, permission_set_name: str, user_id: str) -> AssignmentChange:
        arn = self.permission_set_arn(permission_set_name)
        change = AssignmentChange("absent", account_id, permission_set_name, arn, user_id)
        if (account_id, arn) not in self._user_assignments(user_id, account_id):
            return change
        with aws_errors(SSO, "DeleteAccountAssignment"):
            status = self.sso.delete_account_assignment(
                InstanceArn=self.instance_arn,
                TargetId=account_id,
                TargetType="AWS_ACCOUNT",
                PermissionSetArn=arn,
                PrincipalType="USER",
                PrincipalId=user_id,
            )["AccountAssignmentDeletionStatus"]
        return self._started(change, status, "DeleteAccountAssignment")

    def _started(
        self, change: AssignmentChange, status: AccountAssignmentOperationStatusTypeDef, operation: str
    ) -> AssignmentChange:
        _raise_if_failed(status, operation)
        return AssignmentChange(
            "started",
            change.account_id,
            change.permission_set_name,
            change.permission_set_arn,
            change.user_id,
            request_id=status.get("RequestId"),
            status=status.get("Status"),
        )

    def assignment_status(self, request_id: str, *, deletion: bool = False) -> str:
        """IN_PROGRESS or SUCCEEDED; a FAILED request raises with AWS's failure reason."""
        if deletion:
            with aws_errors(SSO, "DescribeAccountAssignmentDeletionStatus"):
                status = self.sso.describe_account_assignment_deletion_status(
                    InstanceArn=self.instance_arn, AccountAssignmentDeletionRequestId=request_id
                )["AccountAssignmentDeletionStatus"]
            _raise_if_failed(status, "DeleteAccountAssignment")
        else:
            with aws_errors(SSO, "DescribeAccountAssignmentCreationStatus"):
                status = self.sso.describe_account_assignment_creation_status(
                    InstanceArn=self.instance_arn, AccountAssignmentCreationRequestId=request_id
                )["AccountAssignmentCreationStatus"]
            _raise_if_failed(status, "CreateAccountAssignment")
        return str(status.get("Status", "IN_PROGRESS"))


def _raise_if_failed(status: AccountAssignmentOperationStatusTypeDef, operation: str) -> None:
    if status.get("Status") == "FAILED":
        raise PermanentAwsError(
            VENDOR,
            f"{SSO} {operation}",
            None,
            f"request {status.get('RequestId')} failed: {status.get('FailureReason', 'no reason given')}",
            status.get("RequestId"),
        )
