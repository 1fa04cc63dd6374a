"""IdentityCenter adapter against moto's identitystore and sso-admin (one mock for the module: names
are unique per test)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest
from moto import mock_aws

from functions.adapters.aws_common import CLIENT_CONFIG, PermanentAwsError
from functions.adapters.aws_identity import IcUser, IdentityCenter
from functions.adapters.errors import TransientVendorError, VendorError
from tests.adapters.aws_stubs import STUB_REQUEST_ID, count_requests, fail, http_response

REGION = "eu-west-1"
STORE_ID = "d-1234567890"
ACCOUNT = "111122223333"
OTHER_ACCOUNT = "444455556666"


@pytest.fixture(scope="module")
def world() -> Iterator[dict[str, Any]]:
    with mock_aws():
        probe = IdentityCenter(STORE_ID, "unused", REGION)
        instance_arn = probe.sso.list_instances()["Instances"][0]["InstanceArn"]
        for name in ["ReadOnly", "PowerUser", "Admin", "Billing", "Support"]:
            probe.sso.create_permission_set(Name=name, InstanceArn=instance_arn)
        yield {"instance_arn": instance_arn}


@pytest.fixture
def ic(world: dict[str, Any]) -> IdentityCenter:
    # A fresh adapter per test (its clients created lazily) with tiny pages, so listing crosses pages.
    return IdentityCenter(STORE_ID, world["instance_arn"], REGION, page_size=2)


def new_user(ic: IdentityCenter, name: str) -> IcUser:
    return ic.create_user(name, f"{name.title()} Example", name.title(), "Example", f"{name}@example.com")


def test_create_then_find_by_user_name_and_by_email(ic: IdentityCenter) -> None:
    created = new_user(ic, "ada")

    by_name = ic.find_user("ada")
    by_email = ic.find_user(email="ada@example.com")

    assert by_name == created
    assert by_email == created
    assert created.user_id
    assert (created.given_name, created.family_name, created.email) == ("Ada", "Example", "ada@example.com")


def test_find_missing_user_is_none_and_needs_a_key(ic: IdentityCenter) -> None:
    assert ic.find_user("nobody") is None
    assert ic.find_user(email="nobody@example.com") is None
    with pytest.raises(ValueError, match="user_name or an email"):
        ic.find_user()


def test_duplicate_user_maps_to_vendor_error_with_status_and_request_id(ic: IdentityCenter) -> None:
    new_user(ic, "grace")

    with pytest.raises(VendorError) as caught:
        new_user(ic, "grace")

    error = caught.value
    assert not isinstance(error, TransientVendorError)
    assert (error.vendor, error.operation) == ("aws", "identitystore CreateUser")
    assert error.status == 400
    assert error.detail.startswith("ConflictException: Duplicate UserName")
    assert error.request_id
    assert error.request_id in str(error)


def test_delete_user(ic: IdentityCenter) -> None:
    user = new_user(ic, "linus")

    assert ic.delete_user(user.user_id) is True
    assert ic.find_user("linus") is None


def test_group_membership_is_idempotent_both_ways(ic: IdentityCenter) -> None:
    user = new_user(ic, "barbara")
    group_id = ic.store.create_group(IdentityStoreId=STORE_ID, DisplayName="engineering")["GroupId"]
    group = ic.find_group("engineering")
    assert group is not None
    assert group.group_id == group_id
    assert ic.find_group("no-such-group") is None

    assert ic.add_to_group(group_id, user.user_id) is True
    assert ic.add_to_group(group_id, user.user_id) is False

    members = ic.store.list_group_memberships(IdentityStoreId=STORE_ID, GroupId=group_id)["GroupMemberships"]
    assert len(members) == 1
    assert ic.remove_from_group(group_id, user.user_id) is True
    assert ic.remove_from_group(group_id, user.user_id) is False
    assert ic.store.list_group_memberships(IdentityStoreId=STORE_ID, GroupId=group_id)["GroupMemberships"] == []


def test_memberships_are_listed_across_pages_with_group_names(ic: IdentityCenter) -> None:
    user = new_user(ic, "edsger")
    names = [f"team-{n}" for n in range(5)]
    for name in names:
        group_id = ic.store.create_group(IdentityStoreId=STORE_ID, DisplayName=name)["GroupId"]
        ic.add_to_group(group_id, user.user_id)
    sent = count_requests(ic.store)

    memberships = ic.list_memberships_for_user(user.user_id)

    assert sorted(m.group_name for m in memberships if m.group_name) == names
    assert sent.count("ListGroupMembershipsForMember") == 3  # 5 memberships, 2 a page


def test_groups_and_their_members_are_listed_across_pages(ic: IdentityCenter) -> None:
    users = [new_user(ic, name) for name in ("auditor-a", "auditor-b", "auditor-c")]
    group_id = ic.store.create_group(IdentityStoreId=STORE_ID, DisplayName="auditors")["GroupId"]
    for user in users:
        ic.add_to_group(group_id, user.user_id)
    sent = count_requests(ic.store)

    groups = {g.display_name: g.group_id for g in ic.list_groups()}
    members = ic.list_group_members(group_id)

    assert groups["auditors"] == group_id
    assert sorted(members) == sorted(u.user_id for u in users)
    assert sent.count("ListGroupMemberships") == 2  # 3 members, 2 a page
    assert sent.count("ListGroups") == (len(groups) + 1) // 2
    assert ic.is_member(group_id, users[0].user_id)
    ic.remove_from_group(group_id, users[0].user_id)
    assert not ic.is_member(group_id, users[0].user_id)


def test_permission_sets_by_name_across_pages(ic: IdentityCenter) -> None:
    sets = ic.permission_sets()

    assert {"ReadOnly", "PowerUser", "Admin", "Billing", "Support"} <= set(sets)
    assert ic.permission_set_arn("Admin").startswith(ic.instance_arn)
    with pytest.raises(PermanentAwsError, match="no permission set named 'Nope'") as caught:
        ic.permission_set_arn("Nope")
    assert not caught.value.retryable


def test_assignment_is_started_once_then_reported_already(ic: IdentityCenter) -> None:
    user = new_user(ic, "margaret")

    first = ic.assign_permission_set(ACCOUNT, "ReadOnly", user.user_id)
    again = ic.assign_permission_set(ACCOUNT, "ReadOnly", user.user_id)

    assert first.outcome == "started"
    assert first.request_id
    assert first.status in ("IN_PROGRESS", "SUCCEEDED")
    assert ic.assignment_status(first.request_id) == "SUCCEEDED"
    assert again.outcome == "already"
    assert again.request_id is None
    listed = ic.sso.list_account_assignments(
        InstanceArn=ic.instance_arn, AccountId=ACCOUNT, PermissionSetArn=first.permission_set_arn
    )["AccountAssignments"]
    assert [a["PrincipalId"] for a in listed].count(user.user_id) == 1


def test_assignments_for_user_are_listed_with_names_and_filtered_by_account(ic: IdentityCenter) -> None:
    user = new_user(ic, "alan")
    ic.assign_permission_set(ACCOUNT, "ReadOnly", user.user_id)
    ic.assign_permission_set(ACCOUNT, "Billing", user.user_id)
    ic.assign_permission_set(OTHER_ACCOUNT, "Admin", user.user_id)

    everywhere = ic.list_assignments_for_user(user.user_id)
    only_one = ic.list_assignments_for_user(user.user_id, [ACCOUNT])

    assert sorted((a.account_id, a.permission_set_name) for a in everywhere) == [
        (ACCOUNT, "Billing"),
        (ACCOUNT, "ReadOnly"),
        (OTHER_ACCOUNT, "Admin"),
    ]
    assert sorted(a.permission_set_name or "" for a in only_one) == ["Billing", "ReadOnly"]


def test_remove_assignment_then_absent(ic: IdentityCenter) -> None:
    user = new_user(ic, "donald")
    ic.assign_permission_set(ACCOUNT, "Support", user.user_id)

    removed = ic.remove_assignment(ACCOUNT, "Support", user.user_id)
    again = ic.remove_assignment(ACCOUNT, "Support", user.user_id)

    assert removed.outcome == "started"
    assert removed.request_id
    assert ic.assignment_status(removed.request_id, deletion=True) == "SUCCEEDED"
    assert again.outcome == "absent"
    assert ic.list_assignments_for_user(user.user_id) == []


def test_throttling_that_outlived_botocore_retries_is_transient(ic: IdentityCenter) -> None:
    fail(ic.store, "GetUserId", "ThrottlingException", 400, "Rate exceeded")

    with pytest.raises(TransientVendorError) as caught:
        ic.find_user("anyone")

    error = caught.value
    assert (error.operation, error.status, error.request_id) == ("identitystore GetUserId", 400, STUB_REQUEST_ID)
    assert error.detail == "ThrottlingException: Rate exceeded"


def test_5xx_is_retried_by_botocore_standard_mode_then_transient(ic: IdentityCenter) -> None:
    body = json.dumps({"__type": "InternalServerException", "Message": "try later"}).encode()
    attempts = http_response(
        ic.store, "GetGroupId", 500, body, {"x-amzn-requestid": "req-500", "content-type": "application/x-amz-json-1.1"}
    )

    with pytest.raises(TransientVendorError) as caught:
        ic.find_group("anything")

    assert len(attempts) == CLIENT_CONFIG.retries["total_max_attempts"] == 5
    assert (caught.value.status, caught.value.request_id) == (500, "req-500")
    assert caught.value.detail.startswith("InternalServerException: try later")


def test_clients_use_bounded_standard_retries(ic: IdentityCenter) -> None:
    for client in (ic.store, ic.sso):
        assert client.meta.config.retries == {"mode": "standard", "total_max_attempts": 5}
        assert client.meta.config.read_timeout == 15
