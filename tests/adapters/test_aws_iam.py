"""Iam adapter against moto's IAM (one mock for the module: user names are unique per test)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest
from botocore.awsrequest import AWSResponse
from botocore.compat import HTTPHeaders
from botocore.exceptions import ConnectTimeoutError
from moto import mock_aws

from functions.adapters.aws_common import PermanentAwsError, plain
from functions.adapters.aws_iam import Iam, parse_credential_report
from functions.adapters.errors import TransientVendorError, VendorError
from tests.adapters.aws_stubs import answer


@pytest.fixture(scope="module", autouse=True)
def _aws() -> Iterator[None]:
    with mock_aws():
        yield


@pytest.fixture
def iam() -> Iam:
    return Iam(page_size=2, report_poll_s=3.0)


def serve_users_in_pages(iam: Iam) -> list[dict[str, Any]]:
    """moto's ListUsers ignores MaxItems/Marker: serve moto's own users the way IAM pages them."""
    everyone = iam.iam.list_users()["Users"]
    requests: list[dict[str, Any]] = []

    def list_users(params: dict[str, Any], **_: Any) -> tuple[AWSResponse, dict[str, Any]]:
        body = params["body"]
        requests.append(dict(body))
        start, size = int(body.get("Marker", 0)), int(body["MaxItems"])
        more = start + size < len(everyone)
        page: dict[str, Any] = {"Users": everyone[start : start + size], "IsTruncated": more}
        if more:
            page["Marker"] = str(start + size)
        page["ResponseMetadata"] = {"RequestId": "paged", "HTTPStatusCode": 200}
        return AWSResponse("https://stub.invalid/", 200, HTTPHeaders(), None), page

    iam.iam.meta.events.register("before-call.iam.ListUsers", list_users)
    return requests


def test_users_with_keys_across_pages(iam: Iam) -> None:
    for n in range(5):
        iam.iam.create_user(UserName=f"page-user-{n}")
    key = iam.iam.create_access_key(UserName="page-user-0")["AccessKey"]
    iam.iam.create_access_key(UserName="page-user-0")
    pages = serve_users_in_pages(iam)

    users = {u.name: u for u in iam.list_users_with_keys()}

    assert {f"page-user-{n}" for n in range(5)} <= set(users)
    assert len(pages) >= 3  # at least five users, two a page
    assert [p.get("Marker") for p in pages[:3]] == [None, "2", "4"]
    alice = users["page-user-0"]
    assert alice.arn.endswith(":user/page-user-0")
    assert len(alice.access_keys) == 2
    first = next(k for k in alice.access_keys if k.id == key["AccessKeyId"])
    assert first.status == "Active"
    assert first.created is not None
    assert first.last_used is None  # never used, and moto reports the service as N/A
    assert first.last_used_service is None
    assert users["page-user-1"].access_keys == ()


def test_find_user(iam: Iam) -> None:
    iam.iam.create_user(UserName="finder")

    found = iam.find_user("finder")

    assert found is not None
    assert found.name == "finder"
    assert found.password_last_used is None
    assert iam.find_user("ghost") is None


def test_deactivate_access_key(iam: Iam) -> None:
    iam.iam.create_user(UserName="leaver")
    key_id = iam.iam.create_access_key(UserName="leaver")["AccessKey"]["AccessKeyId"]

    iam.deactivate_access_key("leaver", key_id)
    iam.deactivate_access_key("leaver", key_id)  # a retried step: no harm

    found = iam.find_user("leaver")
    assert found is not None
    assert [(k.id, k.status) for k in found.access_keys] == [(key_id, "Inactive")]


def test_unknown_key_is_a_vendor_error_with_status_and_request_id(iam: Iam) -> None:
    iam.iam.create_user(UserName="keyless")

    with pytest.raises(VendorError) as caught:
        iam.deactivate_access_key("keyless", "AKIAIOSFODNN7EXAMPLE")

    error = caught.value
    assert not isinstance(error, TransientVendorError)
    assert (error.vendor, error.operation, error.status) == ("aws", "iam UpdateAccessKey", 404)
    assert error.detail == "NoSuchEntity: The Access Key with id AKIAIOSFODNN7EXAMPLE cannot be found"
    assert error.request_id
    assert error.not_found


def test_credential_report_polls_until_complete(iam: Iam, sleeps: list[float]) -> None:
    iam.iam.create_user(UserName="reported")
    iam.iam.create_access_key(UserName="reported")

    rows = {r.user: r for r in iam.credential_report()}

    # moto says STARTED for the first request and COMPLETE after, as AWS does for a fresh account.
    assert sleeps == [3.0]
    row = rows["reported"]
    assert row.arn.endswith(":user/reported")
    assert row.created is not None
    assert row.password_enabled is False
    assert row.password_last_used is None
    assert row.mfa_active is False
    assert len(row.access_keys) == 1
    assert row.access_keys[0].active is True
    assert row.access_keys[0].last_used is None


def test_credential_report_polling_is_bounded(sleeps: list[float]) -> None:
    iam = Iam(report_polls=3, report_poll_s=1.5)
    calls = answer(iam.iam, "GenerateCredentialReport", {"State": "INPROGRESS"})

    with pytest.raises(TransientVendorError, match="not ready after 3 checks"):
        iam.credential_report()

    assert len(calls) == 3
    assert sleeps == [1.5, 1.5]


def test_credential_report_parsing_of_root_and_two_keys() -> None:
    content = (
        b"user,arn,user_creation_time,password_enabled,password_last_used,password_last_changed,"
        b"password_next_rotation,mfa_active,access_key_1_active,access_key_1_last_rotated,"
        b"access_key_1_last_used_date,access_key_1_last_used_region,access_key_1_last_used_service,"
        b"access_key_2_active,access_key_2_last_rotated,access_key_2_last_used_date,"
        b"access_key_2_last_used_region,access_key_2_last_used_service,cert_1_active,cert_1_last_rotated,"
        b"cert_2_active,cert_2_last_rotated\n"
        b"<root_account>,arn:aws:iam::123456789012:root,2020-01-01T00:00:00+00:00,not_supported,"
        b"2024-05-01T10:00:00+00:00,not_supported,not_supported,true,false,N/A,N/A,N/A,N/A,false,N/A,N/A,N/A,N/A,"
        b"false,N/A,false,N/A\n"
        b"bob,arn:aws:iam::123456789012:user/bob,2021-02-03T04:05:06+00:00,true,no_information,"
        b"2021-02-03T04:05:06+00:00,N/A,false,true,2021-02-03T04:05:06+00:00,2024-06-01T08:00:00+00:00,"
        b"eu-west-1,s3,false,2022-01-01T00:00:00+00:00,N/A,N/A,N/A,false,N/A,false,N/A\n"
    )

    root, bob = parse_credential_report(content)

    assert root.is_root
    assert root.password_enabled is None
    assert root.mfa_active is True
    assert root.password_last_used is not None
    assert root.access_keys == ()
    assert not bob.is_root
    assert bob.password_enabled is True
    assert bob.password_last_used is None
    assert [(k.slot, k.active, k.last_used_service) for k in bob.access_keys] == [(1, True, "s3"), (2, False, None)]
    assert bob.access_keys[0].last_used is not None
    assert bob.access_keys[0].last_used.year == 2024


def test_unreachable_endpoint_is_retried_by_botocore_then_transient(iam: Iam) -> None:
    attempts: list[str] = []

    def unreachable(request: Any, **_: Any) -> None:
        attempts.append(request.url)
        raise ConnectTimeoutError(endpoint_url=request.url)

    iam.iam.meta.events.register_first("before-send.iam.GetUser", unreachable)

    with pytest.raises(TransientVendorError) as caught:
        iam.find_user("anyone")

    assert len(attempts) == 5
    assert (caught.value.operation, caught.value.status, caught.value.request_id) == ("iam GetUser", None, None)
    assert caught.value.detail.startswith("ConnectTimeoutError")


def test_a_request_botocore_refuses_to_send_is_permanent(iam: Iam) -> None:
    with pytest.raises(PermanentAwsError) as caught:
        iam.find_user("")  # UserName has a minimum length of 1

    assert not caught.value.retryable
    assert (caught.value.operation, caught.value.status) == ("iam GetUser", None)
    assert caught.value.detail.startswith("ParamValidationError")


def test_results_become_json_ready_data(iam: Iam) -> None:
    iam.iam.create_user(UserName="plain")

    data = plain(iam.find_user("plain"))

    assert json.loads(json.dumps(data)) == data
    assert data["name"] == "plain"
    assert isinstance(data["created"], str)
    assert data["access_keys"] == []
