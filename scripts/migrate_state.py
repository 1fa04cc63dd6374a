"""Copy the records that change out of the audit table into the state table, once, after upgrading
a stack deployed before they were split (approvals, the people workflows' ledger, off-hours state).

    python scripts/migrate_state.py --audit-table NAME --state-table NAME [--region R] [--dry-run]

Until it runs, a request that was pending approval at the upgrade cannot be decided (its record is
not where the ingress looks), and the ledger does not know who owns what it created. Every item
whose key is not an audit record (`execution#...`) is copied with a conditional put, so a record
the upgraded stack already wrote is never overwritten and running it twice copies nothing more.
The copies are left in the audit table: its policy denies deletes to everyone, nothing reads them
there, and their TTL expires them.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from functions.core import audit

if TYPE_CHECKING:
    from mypy_boto3_dynamodb.client import DynamoDBClient

AUDIT_PREFIX = "execution#"


@dataclass
class Migration:
    copied: int = 0
    present: int = 0  # already in the state table: left as the upgraded stack wrote it
    audit_records: int = 0

    def line(self, dry_run: bool) -> str:
        verb = "would copy" if dry_run else "copied"
        return (
            f"{verb} {self.copied} state records; {self.present} were in the state table already; "
            f"{self.audit_records} audit records stay where they are"
        )


def _items(ddb: DynamoDBClient, table: str) -> Iterator[dict[str, Any]]:
    for page in ddb.get_paginator("scan").paginate(TableName=table, ConsistentRead=True):
        yield from page["Items"]


def migrate(ddb: DynamoDBClient, audit_table: str, state_table: str, *, dry_run: bool = False) -> Migration:
    result = Migration()
    for item in _items(ddb, audit_table):
        if item[audit.PARTITION_KEY]["S"].startswith(AUDIT_PREFIX):
            result.audit_records += 1
            continue
        key = {name: item[name] for name in (audit.PARTITION_KEY, audit.SORT_KEY)}
        if dry_run:
            exists = "Item" in ddb.get_item(TableName=state_table, Key=key, ConsistentRead=True)
        else:
            try:
                ddb.put_item(
                    TableName=state_table,
                    Item=item,
                    ConditionExpression="attribute_not_exists(#pk)",
                    ExpressionAttributeNames={"#pk": audit.PARTITION_KEY},
                )
                exists = False
            except ddb.exceptions.ConditionalCheckFailedException:
                exists = True
        if exists:
            result.present += 1
        else:
            result.copied += 1
    return result


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n", 1)[0])
    parser.add_argument("--audit-table", required=True)
    parser.add_argument("--state-table", required=True)
    parser.add_argument("--region")
    parser.add_argument("--dry-run", action="store_true", help="count what would be copied, write nothing")
    args = parser.parse_args(argv)
    import boto3

    ddb = boto3.client("dynamodb", region_name=args.region)
    print(migrate(ddb, args.audit_table, args.state_table, dry_run=args.dry_run).line(args.dry_run))
    return 0


if __name__ == "__main__":
    sys.exit(main())
