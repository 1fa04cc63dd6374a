"""The synthesized stacks: what CDK builds from the manifests, the definitions and the configuration.

A core stack (bus, storage, ingress, the shared Lambdas) and one stack per deployed workflow, each
well under CloudFormation's 500-resource limit, with references going one way only."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import aws_cdk as cdk
import pytest
import yaml
from aws_cdk.assertions import Annotations, Match, Template

from cdk_app import Platform
from functions.catalog import LAMBDAS
from functions.core import registry
from functions.core.manifest import Workflow
from infra.nag import UNSCOPED_ACTIONS
from infra.stack import state_machine_name, workflow_stack_name
from sandbox.engine import STATE_MACHINES
from tests.infra.conftest import synthesize

pytestmark = pytest.mark.infra

ROOT = Path(__file__).resolve().parents[2]
# CloudFormation refuses 500; this leaves room for a stack to grow before anyone has to split it.
RESOURCE_BUDGET = 300


@pytest.fixture(scope="module")
def core(platform: Platform, templates: dict[str, Template]) -> Template:
    return templates[platform.core.stack_name]


def resources(templates: dict[str, Template], kind: str, props: Any = None) -> dict[str, Any]:
    """`kind` resources of every stack, keyed `<stack>/<logical id>`."""
    return {
        f"{name}/{logical}": resource
        for name, template in templates.items()
        for logical, resource in template.find_resources(kind, props).items()
    }


def test_a_core_stack_and_one_stack_per_workflow(platform: Platform) -> None:
    assert platform.core.stack_name == "PlatformAutomation"
    assert sorted(s.stack_name for s in platform.workflows.values()) == sorted(
        workflow_stack_name("PlatformAutomation", w) for w in registry.workflows()
    )
    assert platform.workflows["onboarding"].stack_name == "PlatformAutomationOnboarding"
    assert platform.workflows["cost_alarm"].stack_name == "PlatformAutomationCostAlarm"


def test_every_stack_stays_well_under_the_resource_limit(platform: Platform) -> None:
    counts = {stack.stack_name: len(Template.from_stack(stack).to_json()["Resources"]) for stack in platform.stacks}
    assert all(count < RESOURCE_BUDGET for count in counts.values()), counts


def test_references_go_from_the_core_stack_to_the_workflow_stacks_only(
    platform: Platform, templates: dict[str, Template]
) -> None:
    assert "Fn::ImportValue" not in json.dumps(templates[platform.core.stack_name].to_json())
    for stack in platform.workflows.values():
        assert platform.core in stack.dependencies
        assert stack not in platform.core.dependencies


def test_cdk_nag_reports_no_unsuppressed_findings(platform: Platform) -> None:
    for stack in platform.stacks:
        errors = Annotations.from_stack(stack).find_error("*", Match.string_like_regexp("AwsSolutions-.*"))
        warnings = Annotations.from_stack(stack).find_warning("*", Match.string_like_regexp("AwsSolutions-.*"))
        assert [e.entry.data for e in errors] == [], stack.stack_name
        assert [w.entry.data for w in warnings] == [], stack.stack_name


def test_every_manifest_lambda_is_a_python313_arm64_function_in_its_packages_stack(
    platform: Platform, templates: dict[str, Template]
) -> None:
    functions = resources(
        templates, "AWS::Lambda::Function", {"Properties": {"Runtime": "python3.13", "Architectures": ["arm64"]}}
    )
    handlers = sorted(f["Properties"]["Handler"] for f in functions.values())
    assert handlers == sorted(spec.handler for spec in LAMBDAS)
    owners = registry.owners()
    for spec in LAMBDAS:
        owner = owners[spec.name]
        stack = platform.workflows[owner].stack_name if owner in platform.workflows else platform.core.stack_name
        templates[stack].has_resource_properties(
            "AWS::Lambda::Function",
            {
                "Handler": spec.handler,
                "MemorySize": spec.memory_mb,
                "Timeout": spec.timeout_s,
                "TracingConfig": {"Mode": "Active"},
                "Layers": Match.any_value(),
            },
        )


def test_each_workflow_stack_has_its_state_machine_with_every_function_substituted(
    platform: Platform, templates: dict[str, Template]
) -> None:
    for workflow, stack in platform.workflows.items():
        machines = templates[stack.stack_name].find_resources("AWS::StepFunctions::StateMachine")
        (machine,) = machines.values()
        props = machine["Properties"]
        assert props["StateMachineName"] == state_machine_name("PlatformAutomation", workflow)
        assert props["TracingConfiguration"] == {"Enabled": True}
        assert props["LoggingConfiguration"]["Level"] == "ALL"
        text = (STATE_MACHINES / f"{workflow}.asl.json").read_text()
        assert set(props["DefinitionSubstitutions"]) == set(re.findall(r"\$\{(\w+)\}", text))


def test_a_machine_may_invoke_exactly_the_lambdas_its_definition_calls(
    platform: Platform, templates: dict[str, Template]
) -> None:
    for stack in platform.workflows.values():
        template = templates[stack.stack_name]
        (machine,) = template.find_resources("AWS::StepFunctions::StateMachine").values()
        role = machine["Properties"]["RoleArn"]["Fn::GetAtt"][0]
        policies = template.find_resources("AWS::IAM::Policy", {"Properties": {"Roles": [{"Ref": role}]}})
        invoked = [
            json.dumps(resource)
            for policy in policies.values()
            for statement in policy["Properties"]["PolicyDocument"]["Statement"]
            if statement["Action"] == "lambda:InvokeFunction"
            for resource in statement["Resource"]
        ]
        substituted = [json.dumps(arn) for arn in machine["Properties"]["DefinitionSubstitutions"].values()]
        assert sorted(i for i in invoked if ":*" not in i) == sorted(substituted)
        assert len(invoked) == 2 * len(substituted)  # each function, and its versions (<arn>:*)


def test_failed_throttled_aborted_and_timed_out_executions_alarm(
    platform: Platform, templates: dict[str, Template]
) -> None:
    per_workflow = ["ExecutionThrottled", "ExecutionsAborted", "ExecutionsFailed", "ExecutionsTimedOut"]
    for stack in platform.workflows.values():
        template = templates[stack.stack_name]
        alarms = template.find_resources("AWS::CloudWatch::Alarm", {"Properties": {"Namespace": "AWS/States"}})
        assert sorted(a["Properties"]["MetricName"] for a in alarms.values()) == per_workflow
        for alarm in alarms.values():
            (action,) = alarm["Properties"]["AlarmActions"]
            assert "Fn::ImportValue" in action  # the core stack's alarm topic


def test_schedules_put_events_on_the_bus_in_the_configured_cron_and_time_zone(
    platform: Platform, templates: dict[str, Template]
) -> None:
    templates[platform.workflows["dr_drill"].stack_name].has_resource_properties(
        "AWS::Scheduler::Schedule",
        {
            "ScheduleExpression": "cron(0 6 ? JAN,APR,JUL,OCT MON#1 *)",
            "ScheduleExpressionTimezone": "Europe/Berlin",
            "Target": {
                "Arn": Match.any_value(),
                "Input": Match.serialized_json({"targets": [], "dry_run": False}),
                "EventBridgeParameters": {"DetailType": "schedule.dr_drill", "Source": "platform.schedule"},
            },
        },
    )
    schedules = resources(templates, "AWS::Scheduler::Schedule")
    kinds = sorted(s["Properties"]["Target"]["EventBridgeParameters"]["DetailType"] for s in schedules.values())
    assert kinds == sorted(f"schedule.{schedule.name}" for schedule in registry.schedules())
    for schedule in schedules.values():
        assert schedule["Properties"]["ScheduleExpressionTimezone"] == "Europe/Berlin"
    # Each in the stack of the manifest that declares it.
    for manifest in registry.manifests():
        # A shared component's schedules are the core stack's, even in a workflow's package (the DR janitor).
        in_workflow = isinstance(manifest, Workflow) and manifest.name in platform.workflows
        stack = (platform.workflows[manifest.name] if in_workflow else platform.core).stack_name
        found = templates[stack].find_resources("AWS::Scheduler::Schedule")
        details = {s["Properties"]["Target"]["EventBridgeParameters"]["DetailType"] for s in found.values()}
        assert {f"schedule.{s.name}" for s in manifest.schedules} <= details, manifest.name


def test_dr_permissions_are_scoped_to_configured_tables(templates: dict[str, Template]) -> None:
    policies = resources(templates, "AWS::IAM::Policy")
    text = json.dumps(policies)
    assert "table/orders/backup/*" in text
    assert "table/drill-*" in text
    for policy in policies.values():
        for statement in policy["Properties"]["PolicyDocument"]["Statement"]:
            actions = statement["Action"] if isinstance(statement["Action"], list) else [statement["Action"]]
            if statement["Resource"] == "*":
                # Only actions IAM cannot scope, each listed with its reason (test_least_privilege.py).
                assert all(a in UNSCOPED_ACTIONS for a in actions), statement


def test_identity_center_access_is_scoped_to_the_configured_instance_and_accounts(
    templates: dict[str, Template],
) -> None:
    text = json.dumps(resources(templates, "AWS::IAM::Policy"))
    assert "arn:aws:sso:::instance/ssoins-72234e1d20e1e68d" in text
    assert "arn:aws:sso:::permissionSet/ssoins-72234e1d20e1e68d/*" in text
    assert "arn:aws:sso:::account/111111111111" in text
    assert "sso:CreateAccountAssignment" in text


def test_audit_table_and_evidence_bucket_are_protected(core: Template) -> None:
    core.has_resource_properties(
        "AWS::DynamoDB::GlobalTable",
        {"TimeToLiveSpecification": {"AttributeName": "expires_at", "Enabled": True}},
    )
    core.has_resource_properties(
        "AWS::S3::Bucket",
        {"VersioningConfiguration": {"Status": "Enabled"}, "LoggingConfiguration": Match.any_value()},
    )


def test_dependency_layer_is_built_for_lambda_arm64() -> None:
    from infra.packaging import layer_dir

    compiled = list((layer_dir() / "python" / "pydantic_core").glob("*.so"))
    assert compiled
    assert all("aarch64" in path.name and "313" in path.name for path in compiled)


def test_every_template_passes_cfn_lint(templates: dict[str, Template], tmp_path: Path) -> None:
    paths = []
    for name, template in templates.items():
        path = tmp_path / f"{name}.template.json"
        path.write_text(json.dumps(template.to_json()))
        paths.append(str(path))
    cfn_lint = Path(sys.executable).parent / "cfn-lint"
    result = subprocess.run(
        [str(cfn_lint), *paths, "--non-zero-exit-code", "error", "--ignore-checks", "W3005"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr


# --- only the workflows an organisation deploys -----------------------------------------------------


@pytest.fixture(scope="module")
def dr_drill_only(tmp_path_factory: pytest.TempPathFactory) -> Platform:
    data = yaml.safe_load((ROOT / "platform.example.yaml").read_text(encoding="utf-8"))
    data["workflows"] = ["dr_drill"]
    path = tmp_path_factory.mktemp("config") / "platform.yaml"
    path.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
    return synthesize(path)


def test_a_configuration_with_one_workflow_gets_the_core_stack_and_that_workflows(dr_drill_only: Platform) -> None:
    app = dr_drill_only.core.node.scope
    assert isinstance(app, cdk.App)
    stacks = sorted(child.stack_name for child in app.node.children if isinstance(child, cdk.Stack))
    assert stacks == ["PlatformAutomation", "PlatformAutomationBilling", "PlatformAutomationDrDrill"]
    assert list(dr_drill_only.workflows) == ["dr_drill"]


def test_no_rule_starts_or_serves_a_workflow_that_is_not_deployed(dr_drill_only: Platform) -> None:
    templates = {
        s.stack_name: Template.from_stack(s) for s in (dr_drill_only.core, dr_drill_only.workflows["dr_drill"])
    }
    rules = resources(templates, "AWS::Events::Rule", {"Properties": {"EventBusName": Match.any_value()}})
    patterns = [rule["Properties"]["EventPattern"] for rule in rules.values()]
    expected = [
        route.pattern
        for route in registry.routes()
        if route.workflow == "dr_drill"
        or route.function in ("SlackCommandWorker", "GitHubRedeliverySweeper", "DrJanitor")
    ]
    assert sorted(map(json.dumps, patterns)) == sorted(map(json.dumps, expected))
    # The people workflows' intake, approvals and the shared compute step are not built either.
    handlers = {f["Properties"]["Handler"] for f in resources(templates, "AWS::Lambda::Function").values()}
    deployed = ("ingress", "dr_drill", "dr_janitor")  # the drill shares its janitor
    assert handlers == {spec.handler for m in registry.manifests() if m.name in deployed for spec in m.lambdas}
    assert len(resources(templates, "AWS::StepFunctions::StateMachine")) == 1


def test_the_ingress_is_told_which_workflows_are_deployed(dr_drill_only: Platform) -> None:
    core = Template.from_stack(dr_drill_only.core)
    functions = core.find_resources("AWS::Lambda::Function")

    def environment(handler: str) -> dict[str, Any]:
        (function,) = [f for f in functions.values() if f["Properties"]["Handler"] == handler]
        variables: dict[str, Any] = function["Properties"]["Environment"]["Variables"]
        return variables

    assert json.loads(environment("functions.ingress.slack_commands.handler")["PLATFORM_WORKFLOWS"]) == ["dr_drill"]
    machines = json.dumps(environment("functions.ingress.slack_worker.handler")["STATE_MACHINE_ARNS"])
    assert ":stateMachine:PlatformAutomation-dr_drill" in machines
    assert "onboarding" not in machines
    assert "cost_alarm" not in machines


def test_the_core_stack_has_a_dashboard_of_every_workflow_and_the_platform_metrics(core: Template) -> None:
    from functions.core import registry

    (dashboard,) = core.find_resources("AWS::CloudWatch::Dashboard").values()
    body = json.dumps(dashboard["Properties"]["DashboardBody"])
    for workflow in registry.workflows():
        assert f"{workflow}: executions" in body
    for metric in ("Compensated", "ApprovalWaitSeconds", "VendorRetries", "ExecutionsFailed"):
        assert metric in body
