"""What each role may touch, read off the synthesized templates of every stack (docs/security.md,
"What each role may touch"). Each test holds one rule and fails when the rule is removed; they
read every policy of every stack, so they hold for workflows added later too."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import aws_cdk as cdk
import pytest
from aws_cdk import aws_iam as iam
from aws_cdk.assertions import Annotations, Match, Template
from cdk_nag import AwsSolutionsChecks

from functions.core.config import load_config
from infra import nag
from infra.functions import DR_COPY_PREFIX, DR_SOURCE_ACTIONS
from infra.storage import AUDIT_TRAIL_DENIED
from tests.infra.conftest import synthesize, write_config

pytestmark = pytest.mark.infra

ROOT = Path(__file__).resolve().parents[2]
CONFIG = load_config(ROOT / "platform.example.yaml")

# DynamoDB actions that change or remove items or tables.
DYNAMODB_WRITES = {
    "dynamodb:PutItem",
    "dynamodb:UpdateItem",
    "dynamodb:DeleteItem",
    "dynamodb:BatchWriteItem",
    "dynamodb:PartiQLInsert",
    "dynamodb:PartiQLUpdate",
    "dynamodb:PartiQLDelete",
    "dynamodb:DeleteTable",
    "dynamodb:UpdateTable",
    "dynamodb:*",
}
# IAM actions whose resource is a user (what a people or rotation role could do to someone's user).
IAM_USER_ACTION = re.compile(
    r"iam:(\*|.*User.*|.*AccessKey.*|.*LoginProfile|.*SSHPublicKey.*|.*ServiceSpecificCredential.*|.*MFADevice.*)"
)


# --- reading the templates ---------------------------------------------------------------------------


def _listed(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


def statements(templates: dict[str, Template]) -> Iterator[tuple[str, dict[str, Any]]]:
    """Every statement of every identity policy (`<stack>/<policy>`, statement), inline or not."""
    for stack, template in templates.items():
        resources = template.to_json()["Resources"]
        for logical, resource in resources.items():
            documents = []
            if resource["Type"] in ("AWS::IAM::Policy", "AWS::IAM::ManagedPolicy"):
                documents.append(resource["Properties"]["PolicyDocument"])
            elif resource["Type"] == "AWS::IAM::Role":
                documents += [p["PolicyDocument"] for p in resource["Properties"].get("Policies", [])]
            for document in documents:
                for statement in document["Statement"]:
                    yield f"{stack}/{logical}", statement


def allows(templates: dict[str, Template]) -> Iterator[tuple[str, dict[str, Any], list[str], list[str]]]:
    """Allow statements: (where, statement, actions, resources flattened as cdk-nag writes them)."""
    for where, statement in statements(templates):
        if statement["Effect"] == "Allow":
            actions = [str(a) for a in _listed(statement["Action"])]
            yield where, statement, actions, [nag._flatten(r) for r in _listed(statement.get("Resource", []))]


def role_statements(template: Template, handler: str) -> list[dict[str, Any]]:
    """The statements of the role of the Lambda with this handler."""
    resources = template.to_json()["Resources"]
    (function,) = [r for r in resources.values() if r["Properties"].get("Handler") == handler]
    role = function["Properties"]["Role"]["Fn::GetAtt"][0]
    return [
        statement
        for resource in resources.values()
        if resource["Type"] == "AWS::IAM::Policy" and {"Ref": role} in resource["Properties"]["Roles"]
        for statement in resource["Properties"]["PolicyDocument"]["Statement"]
    ]


def _table(resource: str) -> str | None:
    """Which of the stack's tables an ARN is ("AuditTable", "StateTable", ...), else None."""
    found = re.search(r"Storage(AuditTable|StateTable|IdempotencyTable)", resource)
    return found.group(1) if found else None


# --- the DR drill never writes to or deletes what it protects ---------------------------------------


def _dr_sources() -> list[str]:
    """The configured DR targets' ARNs as they appear in a flattened resource: table/<name>[/...],
    db:<name>, cluster:<name>."""
    prefix = {"dynamodb": "table/", "rds": "db:", "aurora": "cluster:"}
    return [f"{prefix[t.kind]}{t.resource}" for t in CONFIG.dr.targets]


def test_dr_writes_and_deletes_reach_only_the_drill_copies(templates: dict[str, Template]) -> None:
    sources = _dr_sources()
    assert sources  # the example configuration has DR targets, or this test proves nothing
    seen_copy_writes = False
    for where, _, actions, resources in allows(templates):
        for resource in resources:
            source = next((s for s in sources if resource.endswith(s) or f"{s}/" in resource), None)
            if source is not None:
                # A source (or its backups): a read, a verification or a restore from it, nothing else.
                assert set(actions) <= DR_SOURCE_ACTIONS, (where, resource, sorted(set(actions) - DR_SOURCE_ACTIONS))
            writes = set(actions) & (
                DYNAMODB_WRITES | {"rds:DeleteDBInstance", "rds:ModifyDBInstance", "rds:DeleteDBCluster"}
            )
            if writes and resource.endswith(f":table/{DR_COPY_PREFIX}*"):
                seen_copy_writes = True
    assert seen_copy_writes  # the drill does delete its copies (so the scan above looked at its roles)


def test_no_table_is_written_or_deleted_by_a_role_but_its_own(templates: dict[str, Template]) -> None:
    """DynamoDB writes land on the drill-* copies, the state and idempotency tables, and (PutItem
    only) the audit trail; never on "*", on any other table of the account or on a pattern."""
    for where, _, actions, resources in allows(templates):
        writes = set(actions) & DYNAMODB_WRITES
        if not writes:
            continue
        for resource in resources:
            table = _table(resource)
            if table in ("StateTable", "IdempotencyTable"):
                continue
            if table == "AuditTable":
                assert writes == {"dynamodb:PutItem"}, (where, sorted(writes))
                continue
            assert resource.endswith(f":table/{DR_COPY_PREFIX}*"), (where, resource, sorted(writes))


# --- the audit trail is append-only -------------------------------------------------------------------


def test_no_role_may_update_or_delete_an_audit_record(templates: dict[str, Template]) -> None:
    writers = 0
    for where, _, actions, resources in allows(templates):
        if any(_table(r) == "AuditTable" for r in resources):
            # On the audit table: adding a record, nothing else (not even reading one back to find a key).
            assert set(actions) == {"dynamodb:PutItem"}, (where, actions)
            writers += 1
        if "*" in resources:
            assert not set(actions) & DYNAMODB_WRITES, (where, actions)
    assert writers > 0


def test_the_audit_table_denies_updates_and_deletes_to_everyone(platform: Any, templates: dict[str, Template]) -> None:
    core = templates[platform.core.stack_name]
    tables = core.find_resources("AWS::DynamoDB::GlobalTable")
    (audit,) = [table for logical, table in tables.items() if "AuditTable" in logical]
    (statement,) = audit["Properties"]["Replicas"][0]["ResourcePolicy"]["PolicyDocument"]["Statement"]
    assert statement["Effect"] == "Deny"
    assert statement["Principal"] == {"AWS": "*"}
    assert {"dynamodb:UpdateItem", "dynamodb:DeleteItem", "dynamodb:BatchWriteItem"} <= set(statement["Action"])
    assert set(statement["Action"]) == set(AUDIT_TRAIL_DENIED)


def test_mutable_records_live_apart_from_the_audit_trail(platform: Any, templates: dict[str, Template]) -> None:
    """Approvals, the ledger and off-hours state are in the state table: every function that keeps
    them is told the state table's name, and no function reads the audit table's name but to append."""
    core = templates[platform.core.stack_name]
    tables = set(core.find_resources("AWS::DynamoDB::GlobalTable"))
    assert any("StateTable" in t for t in tables)
    assert any("AuditTable" in t for t in tables)
    approvers = [
        f
        for f in core.find_resources("AWS::Lambda::Function").values()
        if f["Properties"]["Handler"]
        in ("functions.approvals.handlers.request", "functions.ingress.slack_interactions.handler")
    ]
    assert approvers
    for function in approvers:
        variables = function["Properties"]["Environment"]["Variables"]
        assert "StateTable" in json.dumps(variables["STATE_TABLE_NAME"])
        assert "AUDIT_TABLE_NAME" not in variables or "AuditTable" in json.dumps(variables["AUDIT_TABLE_NAME"])


# Where the audit table's variable is named: its definition, the resource that sets it, its one reader.
_DECLARE_AUDIT_TABLE = ("functions/core/constants.py", "functions/core/spec.py", "functions/core/audit.py")


def test_only_the_audit_module_reads_the_audit_tables_name() -> None:
    """Code that keeps state uses the state table: the audit table's name is read in one place, the
    module that appends to it."""
    readers = []
    for path in sorted((ROOT / "functions").rglob("*.py")):
        text = path.read_text(encoding="utf-8")
        reads = re.search(r"constants\.AUDIT_TABLE\b|AUDIT_TABLE_NAME", text)
        if reads and path.relative_to(ROOT).as_posix() not in _DECLARE_AUDIT_TABLE:
            readers.append(path.relative_to(ROOT).as_posix())
    assert readers == []


# --- IAM users: only the people the platform manages ---------------------------------------------------


def test_no_iam_user_action_on_any_user(templates: dict[str, Template]) -> None:
    """No IAM user action on "*"; on every user (user/*) only under the organisation-email tag."""
    for where, statement, actions, resources in allows(templates):
        user_actions = [a for a in actions if IAM_USER_ACTION.fullmatch(a) and a not in nag.UNSCOPED_ACTIONS]
        if not user_actions:
            continue
        for resource in resources:
            assert resource != "*", (where, user_actions)
            if resource.endswith(":user/*"):
                condition = statement.get("Condition", {}).get("StringLike", {})
                tag = f"aws:ResourceTag/{CONFIG.identity.iam_email_tag}"
                assert condition.get(tag), (where, user_actions)
                assert all(v.startswith("*@") for v in _listed(condition[tag])), condition


@pytest.fixture(scope="module")
def protected(tmp_path_factory: pytest.TempPathFactory) -> Any:
    """The people workflows, with break-glass users named and execution data switched on."""
    aws = json.loads(CONFIG.aws.model_dump_json())
    aws["protected_iam_users"] = ["break-glass", "emergency-*"]
    path = write_config(
        tmp_path_factory.mktemp("config"),
        workflows=["onboarding", "offboarding"],
        aws=aws,
        step_functions={"include_execution_data": True, "timeout_hours": {"offboarding": 12}},
    )
    return synthesize(path)


def _denied_users(statements_: list[dict[str, Any]], action: str) -> set[str]:
    return {
        nag._flatten(r).rsplit(":user/", 1)[1]
        for s in statements_
        if s["Effect"] == "Deny" and action in _listed(s["Action"])
        for r in _listed(s["Resource"])
    }


def test_offboarding_cannot_deactivate_ci_or_break_glass_keys(templates: dict[str, Template], protected: Any) -> None:
    handler = "functions.offboarding.handlers.remove_aws_access"
    machine_users = {c.user for c in CONFIG.credentials.inventory if c.user}
    assert machine_users  # the example has a CI user, or this proves nothing
    default = role_statements(templates["PlatformAutomationOffboarding"], handler)
    assert _denied_users(default, "iam:UpdateAccessKey") >= machine_users | {f"*/{u}" for u in machine_users}
    named = role_statements(Template.from_stack(protected.workflows["offboarding"]), handler)
    assert _denied_users(named, "iam:UpdateAccessKey") >= {"break-glass", "*/break-glass", "emergency-*"}


# --- Identity Center: onboarding grants, offboarding revokes -------------------------------------------


def _actions(statements_: list[dict[str, Any]]) -> set[str]:
    return {a for s in statements_ if s["Effect"] == "Allow" for a in _listed(s["Action"])}


def test_onboarding_creates_identity_center_access_and_offboarding_removes_it(templates: dict[str, Template]) -> None:
    onboarding = _actions(
        role_statements(templates["PlatformAutomationOnboarding"], "functions.onboarding.handlers.grant_aws_access")
    )
    offboarding = _actions(
        role_statements(templates["PlatformAutomationOffboarding"], "functions.offboarding.handlers.remove_aws_access")
    )
    assert "sso:CreateAccountAssignment" in onboarding
    assert "sso:DeleteAccountAssignment" in offboarding
    for service in ("sso", "identitystore"):
        assert not {a for a in onboarding if a.startswith(f"{service}:Delete")}, onboarding
        assert not {a for a in offboarding if a.startswith(f"{service}:Create")}, offboarding


# --- AwsSolutions-IAM5: every wildcard listed with its reason -----------------------------------------


def test_every_wildcard_is_listed_with_its_reason(templates: dict[str, Template]) -> None:
    """Any new wildcard action or resource fails here until infra/nag.py lists it with why."""
    unlisted = set()
    for where, statement, _, _ in allows(templates):
        for finding in nag.findings({"Statement": [statement]}):
            if nag.reason_for(finding) is None:
                unlisted.add((where, finding.id, finding.actions if finding.id == "Resource::*" else ()))
    assert sorted(unlisted) == []


def test_iam5_is_suppressed_per_finding_never_for_a_whole_stack(platform: Any, templates: dict[str, Template]) -> None:
    per_finding = 0
    for name, template in templates.items():
        stack_rules = template.to_json().get("Metadata", {}).get("cdk_nag", {}).get("rules_to_suppress", [])
        assert [r for r in stack_rules if r["id"] == nag.IAM5] == [], name
        for resource in template.to_json()["Resources"].values():
            for rule in resource.get("Metadata", {}).get("cdk_nag", {}).get("rules_to_suppress", []):
                if rule["id"] == nag.IAM5:
                    assert len(rule["applies_to"]) == 1, rule
                    assert rule["reason"], rule
                    per_finding += 1
    assert per_finding > 0
    for stack in platform.stacks:
        errors = Annotations.from_stack(stack).find_error("*", Match.string_like_regexp("AwsSolutions-IAM5.*"))
        assert [e.entry.data for e in errors] == [], stack.stack_name


def _nag_errors(actions: list[str], resource: str) -> list[str]:
    """cdk-nag's IAM5 errors for a role allowed `actions` on `resource` (a DynamoDB table name, as
    the stacks format it, or "*"), under this module's suppressions."""
    app = cdk.App()
    stack = cdk.Stack(app, "Probe")
    role = iam.Role(stack, "Role", assumed_by=iam.ServicePrincipal("lambda.amazonaws.com"))
    arn = (
        resource if resource == "*" else stack.format_arn(service="dynamodb", resource="table", resource_name=resource)
    )
    role.add_to_policy(iam.PolicyStatement(actions=actions, resources=[arn]))
    nag.suppress(stack)
    cdk.Aspects.of(app).add(AwsSolutionsChecks())
    assembly = app.synth()
    # Read from the cloud assembly's manifest (plain JSON): asking jsii for the found errors makes it
    # build MetadataEntry objects, which fails in some test orders ("Unknown interface").
    directory = Path(assembly.directory)
    manifest = json.loads((directory / "manifest.json").read_text())
    entries = []
    for artifact in manifest["artifacts"].values():
        metadata = dict(artifact.get("metadata") or {})
        if artifact.get("additionalMetadataFile"):  # where CDK now writes a stack's annotations
            metadata |= json.loads((directory / artifact["additionalMetadataFile"]).read_text())
        entries += [entry for found in metadata.values() for entry in found]
    return [str(e["data"]) for e in entries if e["type"] == "aws:cdk:error" and "AwsSolutions-IAM5" in str(e["data"])]


def test_a_new_wildcard_is_a_cdk_nag_error_and_a_listed_one_is_not() -> None:
    assert _nag_errors(["dynamodb:DeleteTable"], f"{DR_COPY_PREFIX}*") == []
    assert _nag_errors(["xray:PutTraceSegments"], "*") == []
    assert _nag_errors(["dynamodb:DeleteTable"], "*")  # an action on "*" that is not listed
    assert _nag_errors(["dynamodb:DeleteTable"], "prod-*")  # a resource pattern that is not listed
    assert _nag_errors(["dynamodb:Delete*"], f"{DR_COPY_PREFIX}*")  # a wildcard action


# --- Step Functions: a timeout that reaches the template, execution data off by default ------------------


def test_every_state_machine_has_its_timeout_in_its_definition(platform: Any, templates: dict[str, Template]) -> None:
    for workflow, stack in platform.workflows.items():
        (machine,) = templates[stack.stack_name].find_resources("AWS::StepFunctions::StateMachine").values()
        definition = json.loads(machine["Properties"]["DefinitionString"])
        assert definition["TimeoutSeconds"] == CONFIG.step_functions.timeout_for(workflow) * 3600, workflow
        # Longer than the longest approval the configuration allows, so no legitimate run is cut short.
        if workflow in ("onboarding", "offboarding"):
            assert definition["TimeoutSeconds"] > 720 * 3600


def test_execution_data_stays_out_of_the_logs_by_default(platform: Any, templates: dict[str, Template]) -> None:
    for stack in platform.workflows.values():
        (machine,) = templates[stack.stack_name].find_resources("AWS::StepFunctions::StateMachine").values()
        assert machine["Properties"]["LoggingConfiguration"]["IncludeExecutionData"] is False, stack.stack_name


def test_execution_data_and_the_timeout_follow_the_configuration(protected: Any) -> None:
    for workflow, stack in protected.workflows.items():
        (machine,) = Template.from_stack(stack).find_resources("AWS::StepFunctions::StateMachine").values()
        assert machine["Properties"]["LoggingConfiguration"]["IncludeExecutionData"] is True
        definition = json.loads(machine["Properties"]["DefinitionString"])
        assert definition["TimeoutSeconds"] == (12 if workflow == "offboarding" else 744) * 3600


@pytest.mark.parametrize("partition", ["<AWS::Partition>", "aws"], ids=["agnostic", "region-in-cdk-json"])
def test_a_listed_wildcard_is_listed_whatever_the_partition_looks_like(partition: str) -> None:
    """`make synth` names the region (cdk.json), so CDK writes the partition as `aws`, not a token."""
    for resource in (
        f"arn:{partition}:dynamodb:eu-west-1:<AWS::AccountId>:table/drill-*",
        f"arn:{partition}:iam::<AWS::AccountId>:user/*",
        f"arn:{partition}:states:eu-west-1:<AWS::AccountId>:execution:PlatformAutomation-onboarding:*",
    ):
        assert nag.reason_for(nag.Finding(f"Resource::{resource}", ())) is not None, resource
