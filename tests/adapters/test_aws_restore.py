"""RDS restores against moto: newest snapshot, restore into a drill instance, delete only drills."""

from __future__ import annotations

from collections.abc import Iterator

import boto3
import pytest
from moto import mock_aws

from functions.adapters.aws_restore import RdsRestore
from functions.adapters.errors import VendorError

REGION = "eu-west-1"


@pytest.fixture(scope="module")
def rds() -> Iterator[RdsRestore]:
    with mock_aws():
        client = boto3.client("rds", region_name=REGION)
        client.create_db_instance(
            DBInstanceIdentifier="orders-db",
            DBInstanceClass="db.t4g.micro",
            Engine="postgres",
            MasterUsername="admin",
            MasterUserPassword="not-a-real-password-1",
            AllocatedStorage=20,
        )
        for n in range(3):
            client.create_db_snapshot(DBInstanceIdentifier="orders-db", DBSnapshotIdentifier=f"orders-db-snap-{n}")
        yield RdsRestore(REGION, client=client, page_size=20)


def test_the_newest_snapshot_is_found_across_pages(rds):
    snapshot = rds.newest_snapshot("orders-db")
    assert snapshot is not None
    assert snapshot.snapshot_id == "orders-db-snap-2"
    assert (snapshot.instance_id, snapshot.engine) == ("orders-db", "postgres")
    assert rds.newest_snapshot("no-such-db") is None


def test_restore_is_idempotent_and_delete_touches_only_drills(rds):
    restored = rds.restore("orders-db-snap-2", "drill-orders-db-1")
    assert restored.instance_id == "drill-orders-db-1"
    assert rds.restore("orders-db-snap-2", "drill-orders-db-1").instance_id == "drill-orders-db-1"  # a retry
    assert rds.instance("drill-orders-db-1") is not None
    assert rds.delete("drill-orders-db-1") is True
    assert rds.delete("drill-never-existed") is False
    with pytest.raises(VendorError, match="drill instances are named drill-"):
        rds.delete("orders-db")
    with pytest.raises(VendorError, match="drill instances are named drill-"):
        rds.restore("orders-db-snap-2", "orders-db")


def test_a_missing_snapshot_is_a_vendor_error_with_its_details(rds):
    with pytest.raises(VendorError) as caught:
        rds.restore("no-such-snapshot", "drill-x")
    error = caught.value
    assert (error.vendor, error.operation) == ("aws", "rds RestoreDBInstanceFromDBSnapshot")
    assert error.status == 404
    assert "DBSnapshotNotFound" in error.detail
    assert error.request_id
