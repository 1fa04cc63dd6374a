"""The synthesized stack: what CDK builds from the catalog, the definitions and the configuration."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import aws_cdk as cdk
import pytest
from aws_cdk.assertions import Annotations, Match, Template

from cdk_app import build
from functions.catalog import LAMBDAS
from sandbox.engine import STATE_MACHINES, workflows

pytestmark = pytest.mark.infra

# Actions IAM cannot scope to a resource, beyond X-Ray: DR backups listing and the log delivery
# Step Functions uses for execution logs.
UNSCOPED = {
    "dynamodb:ListBackups",
    "logs:CreateLogDelivery",
    "logs:GetLogDelivery",
    "logs:UpdateLogDelivery",
    "logs:DeleteLogDelivery",
    "logs:ListLogDeliveries",
    "logs:PutResourcePolicy",
    "logs:DescribeResourcePolicies",
    "logs:DescribeLogGroups",
    # Task-token calls (the Slack approval buttons) take no resource.
    "states:SendTaskSuccess",
    "states:SendTaskFailure",
    # Offboarding finds a leaver's classic IAM user by name: any user of the account.
    "iam:GetUser",
    "iam:ListAccessKeys",
    "iam:GetAccessKeyLastUsed",
    "iam:UpdateAccessKey",
    # Cost Explorer, and the listing of compute the off-hours tags then select.
    "ce:GetCostAndUsage",
    "ce:GetCostForecast",
    "ec2:DescribeInstances",
    "rds:DescribeDBInstances",
    "autoscaling:DescribeAutoScalingGroups",
}


@pytest.fixture(scope="module")
def stack() -> Any:
    app = cdk.App(context={"config": "platform.example.yaml"})
    stack = build(app)
    app.synth()
    return stack


@pytest.fixture(scope="module")
def template(stack: Any) -> Template:
    return Template.from_stack(stack)


def test_cdk_nag_reports_no_unsuppressed_findings(stack: Any) -> None:
    errors = Annotations.from_stack(stack).find_error("*", Match.string_like_regexp("AwsSolutions-.*"))
    warnings = Annotations.from_stack(stack).find_warning("*", Match.string_like_regexp("AwsSolutions-.*"))
    assert [e.entry.data for e in errors] == []
    assert [w.entry.data for w in warnings] == []


def test_every_catalog_lambda_is_a_python313_arm64_function(template: Template) -> None:
    functions = template.find_resources(
        "AWS::Lambda::Function", {"Properties": {"Runtime": "python3.13", "Architectures": ["arm64"]}}
    )
    handlers = sorted(f["Properties"]["Handler"] for f in functions.values())
    assert handlers == sorted(spec.handler for spec in LAMBDAS)
    for spec in LAMBDAS:
        template.has_resource_properties(
            "AWS::Lambda::Function",
            {
                "Handler": spec.handler,
                "MemorySize": spec.memory_mb,
                "Timeout": spec.timeout_s,
                "TracingConfig": {"Mode": "Active"},
                "Layers": Match.any_value(),
            },
        )


def test_one_state_machine_per_definition_with_every_function_substituted(template: Template) -> None:
    machines = template.find_resources("AWS::StepFunctions::StateMachine")
    assert len(machines) == len(workflows())
    substituted = []
    for machine in machines.values():
        props = machine["Properties"]
        assert props["TracingConfiguration"] == {"Enabled": True}
        assert props["LoggingConfiguration"]["Level"] == "ALL"
        substituted.append(set(props["DefinitionSubstitutions"]))
    for workflow in workflows():
        text = (STATE_MACHINES / f"{workflow}.asl.json").read_text()
        assert set(re.findall(r"\$\{(\w+)\}", text)) in substituted


def test_failed_throttled_aborted_and_timed_out_executions_alarm(template: Template) -> None:
    alarms = template.find_resources("AWS::CloudWatch::Alarm", {"Properties": {"Namespace": "AWS/States"}})
    metrics = sorted(a["Properties"]["MetricName"] for a in alarms.values())
    per_workflow = ["ExecutionThrottled", "ExecutionsAborted", "ExecutionsFailed", "ExecutionsTimedOut"]
    assert metrics == sorted(per_workflow * len(workflows()))
    for alarm in alarms.values():
        assert alarm["Properties"]["AlarmActions"]


def test_schedules_put_events_on_the_bus_in_the_configured_cron_and_time_zone(template: Template) -> None:
    template.has_resource_properties(
        "AWS::Scheduler::Schedule",
        {
            "ScheduleExpression": "cron(0 6 ? * SUN *)",
            "ScheduleExpressionTimezone": "Europe/Berlin",
            "Target": {
                "Arn": Match.any_value(),
                "Input": Match.serialized_json({"targets": [], "dry_run": False}),
                "EventBridgeParameters": {"DetailType": "schedule.dr_drill", "Source": "platform.schedule"},
            },
        },
    )
    schedules = template.find_resources("AWS::Scheduler::Schedule")
    kinds = sorted(s["Properties"]["Target"]["EventBridgeParameters"]["DetailType"] for s in schedules.values())
    assert kinds == sorted(
        f"schedule.{name}"
        for name in ("dr_drill", "access_review", "off_hours_stop", "off_hours_start", "redelivery_sweep")
    )
    for schedule in schedules.values():
        assert schedule["Properties"]["ScheduleExpressionTimezone"] == "Europe/Berlin"


def test_dr_permissions_are_scoped_to_configured_tables(template: Template) -> None:
    policies = template.find_resources("AWS::IAM::Policy")
    text = json.dumps(policies)
    assert "table/orders/backup/*" in text
    assert "table/drill-*" in text
    for policy in policies.values():
        for statement in policy["Properties"]["PolicyDocument"]["Statement"]:
            actions = statement["Action"] if isinstance(statement["Action"], list) else [statement["Action"]]
            if statement["Resource"] == "*":
                # X-Ray, ListBackups and Step Functions' log delivery have no resource-level permissions.
                assert all(a.startswith("xray:") or a in UNSCOPED for a in actions), statement


def test_identity_center_access_is_scoped_to_the_configured_instance_and_accounts(template: Template) -> None:
    text = json.dumps(template.find_resources("AWS::IAM::Policy"))
    assert "arn:aws:sso:::instance/ssoins-72234e1d20e1e68d" in text
    assert "arn:aws:sso:::permissionSet/ssoins-72234e1d20e1e68d/*" in text
    assert "arn:aws:sso:::account/111111111111" in text
    assert "sso:CreateAccountAssignment" in text


def test_audit_table_and_evidence_bucket_are_protected(template: Template) -> None:
    template.has_resource_properties(
        "AWS::DynamoDB::GlobalTable",
        {"TimeToLiveSpecification": {"AttributeName": "expires_at", "Enabled": True}},
    )
    template.has_resource_properties(
        "AWS::S3::Bucket",
        {"VersioningConfiguration": {"Status": "Enabled"}, "LoggingConfiguration": Match.any_value()},
    )


def test_dependency_layer_is_built_for_lambda_arm64() -> None:
    from infra.packaging import layer_dir

    compiled = list((layer_dir() / "python" / "pydantic_core").glob("*.so"))
    assert compiled
    assert all("aarch64" in path.name and "313" in path.name for path in compiled)


def test_template_passes_cfn_lint(template: Template, tmp_path: Any) -> None:
    import subprocess
    import sys

    path = tmp_path / "PlatformAutomation.template.json"
    path.write_text(json.dumps(template.to_json()))
    cfn_lint = Path(sys.executable).parent / "cfn-lint"
    result = subprocess.run(
        [str(cfn_lint), str(path), "--non-zero-exit-code", "error", "--ignore-checks", "W3005"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
