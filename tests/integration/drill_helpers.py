"""What the DR drill integration tests read back from moto and the vendor fakes after a run."""

from __future__ import annotations

import json
from typing import Any

import boto3

from functions.core import audit
from sandbox.engine import Execution, LocalEngine


def ddb(engine: LocalEngine) -> Any:
    return boto3.client("dynamodb", region_name=engine.region)


def table_names(engine: LocalEngine) -> set[str]:
    return set(ddb(engine).list_tables()["TableNames"])


def drill_tables(engine: LocalEngine) -> set[str]:
    return {t for t in table_names(engine) if t.startswith("drill-")}


def drill_instances(engine: LocalEngine) -> set[str]:
    rds = boto3.client("rds", region_name=engine.region)
    names = {d["DBInstanceIdentifier"] for d in rds.describe_db_instances()["DBInstances"]}
    return {n for n in names if n.startswith("drill-")}


def actions(execution: Execution) -> list[str]:
    """The audit trail of one execution: its actions, sorted."""
    return sorted(e["action"] for e in audit.entries(execution.id))


def evidence_of(engine: LocalEngine, execution: Execution) -> dict[str, Any]:
    """The evidence object the Report step stored in the evidence bucket for this execution."""
    s3 = boto3.client("s3", region_name=engine.region)
    listed = s3.list_objects_v2(Bucket=engine.resources.evidence_bucket, Prefix="dr-drills/")
    (key,) = [o["Key"] for o in listed.get("Contents", []) if o["Key"].endswith(f"/{execution.id}.json")]
    return json.loads(s3.get_object(Bucket=engine.resources.evidence_bucket, Key=key)["Body"].read())


def by_target(evidence: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {t["target"]: t for t in evidence["targets"]}


def slack_texts(execution: Execution) -> list[str]:
    return [c["body"]["text"] for c in execution.calls if c["service"] == "slack" and c["path"].endswith("postMessage")]


def pages(execution: Execution) -> list[dict[str, Any]]:
    return [c["body"] for c in execution.calls if c["service"] == "pagerduty"]
