"""The credential rotation's grants, read off the synthesized templates: its Lambdas reach the
secrets named in credentials.inventory and nothing else in Secrets Manager, and IAM key actions
reach the configured machine users and no other user. Each test compares the exact ARNs, so a
grant widened to every secret or every user (or narrowed to nothing) fails it."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest
from aws_cdk.assertions import Template

from functions.core.config import CREDENTIAL_SECTION, load_config
from infra import nag
from tests.infra.conftest import synthesize, write_config

pytestmark = pytest.mark.infra

ROOT = Path(__file__).resolve().parents[2]
CONFIG = load_config(ROOT / "platform.example.yaml")
STACK = "PlatformAutomationCredentialRotation"
HANDLERS = "functions.credential_rotation.handlers."
SECRET = re.compile(r":secret:(?P<name>.+)-\?{6}$")
USER = re.compile(r":user/(?P<name>.+)$")
SECRET_WRITES = {"secretsmanager:PutSecretValue", "secretsmanager:UpdateSecretVersionStage"}
KEY_ACTIONS = {"iam:CreateAccessKey", "iam:UpdateAccessKey", "iam:DeleteAccessKey"}


def _listed(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


def _grants(template: Template) -> dict[str, list[tuple[set[str], list[str]]]]:
    """handler -> its role's Allow statements as (actions, flattened resources)."""
    resources = template.to_json()["Resources"]
    out: dict[str, list[tuple[set[str], list[str]]]] = {}
    for function in resources.values():
        handler = str(function.get("Properties", {}).get("Handler", ""))
        if function["Type"] != "AWS::Lambda::Function" or not handler.startswith(HANDLERS):
            continue
        role = function["Properties"]["Role"]["Fn::GetAtt"][0]
        out[handler.removeprefix(HANDLERS)] = [
            ({str(a) for a in _listed(s["Action"])}, [nag._flatten(r) for r in _listed(s.get("Resource", []))])
            for policy in resources.values()
            if policy["Type"] == "AWS::IAM::Policy" and {"Ref": role} in policy["Properties"]["Roles"]
            for s in policy["Properties"]["PolicyDocument"]["Statement"]
            if s["Effect"] == "Allow"
        ]
    return out


def _names(grants: list[tuple[set[str], list[str]]], service: str, pattern: re.Pattern[str], *only: str) -> set[str]:
    """The secret or user names `service` actions (or just `only` of them) reach; "*" for a wildcard."""
    names: set[str] = set()
    for actions, resources in grants:
        chosen = {a for a in actions if a.startswith(f"{service}:") and (not only or a in only)}
        if not chosen:
            continue
        for resource in resources:
            found = pattern.search(resource)
            names.add(found["name"] if found else "*")
    return names


def _inventory_secrets(config: Any) -> set[str]:
    names = set()
    for credential in config.credentials.inventory:
        names.add(credential.secret_name or getattr(config, CREDENTIAL_SECTION[credential.kind]).secret_name)
    return names


@pytest.fixture(scope="module")
def grants(templates: dict[str, Template]) -> dict[str, list[tuple[set[str], list[str]]]]:
    found = _grants(templates[STACK])
    assert {"plan", "create", "set_at_vendor", "test", "finish", "retire", "rollback", "report"} <= set(found)
    return found


def test_secrets_manager_reaches_only_the_inventorys_secrets(grants: dict[str, Any]) -> None:
    expected = _inventory_secrets(CONFIG)
    assert "platform-automation/iam/ci-deployer" in expected  # the example names a machine user's secret
    for handler, statements in grants.items():
        reached = _names(statements, "secretsmanager", SECRET)
        assert "*" not in reached, handler
        assert reached <= expected, (handler, reached - expected)
    # The steps that rotate write exactly the inventory's secrets: all of them, no other.
    for handler in ("create", "finish", "rollback"):
        assert _names(grants[handler], "secretsmanager", SECRET, *SECRET_WRITES) == expected, handler


def test_iam_key_actions_reach_only_the_configured_machine_users(grants: dict[str, Any]) -> None:
    machine_users = {c.user for c in CONFIG.credentials.inventory if c.user}
    assert machine_users == {"ci-deployer"}
    for handler, statements in grants.items():
        reached = _names(statements, "iam", USER)
        assert "*" not in reached, handler
        assert reached <= machine_users, (handler, reached)
    assert _names(grants["create"], "iam", USER, "iam:CreateAccessKey") == machine_users
    assert _names(grants["deactivate_old_key"], "iam", USER, "iam:UpdateAccessKey") == machine_users
    assert _names(grants["delete_old_key"], "iam", USER, "iam:DeleteAccessKey") == machine_users
    # the steps that never touch a key cannot
    for handler in ("plan", "set_at_vendor", "test", "finish", "retire", "check_key_use", "report"):
        assert not any(KEY_ACTIONS & actions for actions, _ in grants[handler]), handler


def test_the_report_cannot_touch_a_credential(grants: dict[str, Any]) -> None:
    writes = SECRET_WRITES | KEY_ACTIONS
    assert not any(writes & actions for actions, _ in grants["report"])
    assert _names(grants["report"], "iam", USER) == set()


@pytest.fixture(scope="module")
def other_inventory(tmp_path_factory: pytest.TempPathFactory) -> Any:
    """Only the rotation, with another machine user and no SendGrid key in the inventory."""
    credentials = json.loads(CONFIG.credentials.model_dump_json(exclude_none=True))
    credentials["inventory"] = [
        {
            "name": "release-bot",
            "kind": "iam_access_key",
            "owner": "dev.patel@example.com",
            "user": "release-bot",
            "secret_name": "platform-automation/iam/release-bot",
        },
        {"name": "github-webhook-secret", "kind": "github_webhook_secret", "owner": "maria.lopez@example.com"},
    ]
    path = write_config(tmp_path_factory.mktemp("config"), workflows=["credential_rotation"], credentials=credentials)
    return load_config(path), synthesize(path)


def test_the_grants_follow_the_configured_inventory(other_inventory: Any) -> None:
    config, platform = other_inventory
    grants = _grants(Template.from_stack(platform.workflows["credential_rotation"]))
    assert _names(grants["create"], "iam", USER, "iam:CreateAccessKey") == {"release-bot"}
    assert _names(grants["deactivate_old_key"], "iam", USER) == {"release-bot"}  # not ci-deployer any more
    rotated = _names(grants["finish"], "secretsmanager", SECRET, *SECRET_WRITES)
    assert (
        rotated == _inventory_secrets(config) == {"platform-automation/iam/release-bot", "platform-automation/github"}
    )
