"""The DR drill's grants with an Aurora target and a SQL check, read off a synthesized app: the
source cluster is only read and restored from; creating an instance, the Data API and deleting
reach the drill-* clusters only; the Data API's secret is exactly the configured one; and the
janitor hears Step Functions' status changes of the drill on the account's default bus."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from aws_cdk.assertions import Template

from functions.core.config import load_config
from infra import nag
from infra.functions import DR_SOURCE_ACTIONS
from tests.infra.conftest import synthesize, write_config

pytestmark = pytest.mark.infra

ROOT = Path(__file__).resolve().parents[2]
SECRET = "arn:aws:secretsmanager:eu-west-1:111111111111:secret:ledger-drill-AbCdEf"
COPY_CLUSTERS = ":cluster:drill-*"


def _listed(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


@pytest.fixture(scope="module")
def templates(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Template]:
    dr = load_config(ROOT / "platform.example.yaml").dr.model_dump(mode="json", exclude_none=True)
    dr["targets"].append(
        {
            "name": "ledger",
            "kind": "aurora",
            "resource": "ledger-aurora",
            "tier": "important",
            "sql_check": {"sql": "select count(*) from ledger_entries", "min": 1, "secret_arn": SECRET},
        }
    )
    platform = synthesize(write_config(tmp_path_factory.mktemp("dr"), dr=dr))
    return {s.stack_name: Template.from_stack(s) for s in (platform.core, *platform.workflows.values())}


def _allows(templates: dict[str, Template]) -> Iterator[tuple[set[str], list[str]]]:
    for template in templates.values():
        for resource in template.to_json()["Resources"].values():
            if resource["Type"] != "AWS::IAM::Policy":
                continue
            for statement in resource["Properties"]["PolicyDocument"]["Statement"]:
                if statement["Effect"] == "Allow":
                    actions = {str(a) for a in _listed(statement["Action"])}
                    yield actions, [nag._flatten(r) for r in _listed(statement.get("Resource", []))]


def test_the_source_cluster_is_only_read_and_restored_from(templates: dict[str, Template]) -> None:
    reached = [(actions, r) for actions, resources in _allows(templates) for r in resources]
    on_source = [actions for actions, r in reached if r.endswith(":cluster:ledger-aurora")]
    assert any("rds:RestoreDBClusterToPointInTime" in a for a in on_source)
    for actions in on_source:
        assert actions <= DR_SOURCE_ACTIONS, sorted(actions - DR_SOURCE_ACTIONS)


def test_writes_data_api_and_deletes_reach_only_drill_clusters(templates: dict[str, Template]) -> None:
    writes = {"rds:CreateDBInstance", "rds:DeleteDBCluster", "rds:EnableHttpEndpoint", "rds-data:ExecuteStatement"}
    seen: set[str] = set()
    for actions, resources in _allows(templates):
        chosen = actions & writes
        if not chosen:
            continue
        seen |= chosen
        for resource in resources:
            assert resource.endswith((COPY_CLUSTERS, ":db:drill-*")), (sorted(chosen), resource)
    assert seen == writes


def test_the_data_api_secret_is_exactly_the_configured_one(templates: dict[str, Template]) -> None:
    reached = {
        r for actions, resources in _allows(templates) if "secretsmanager:GetSecretValue" in actions for r in resources
    }
    assert SECRET in reached
    assert not any(r.endswith(":secret:*") or r == "*" for r in reached)


def test_the_janitor_hears_the_drills_status_changes_on_the_default_bus(templates: dict[str, Template]) -> None:
    rules = [
        rule["Properties"]
        for template in templates.values()
        for rule in template.find_resources("AWS::Events::Rule").values()
        if "aws.states" in rule["Properties"].get("EventPattern", {}).get("source", [])
        and {"suffix": "dr_drill"} in rule["Properties"]["EventPattern"]["detail"]["stateMachineArn"]
    ]
    (rule,) = rules
    assert rule["EventBusName"] == "default"
    assert rule["EventPattern"]["detail"]["status"] == ["ABORTED", "TIMED_OUT", "FAILED"]
    assert rule["EventPattern"]["detail-type"] == ["Step Functions Execution Status Change"]
