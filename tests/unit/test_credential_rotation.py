"""The rotation's rules, with in-memory stand-ins for Secrets Manager and IAM (the ports the plan
reads), and the ingress's dual-secret acceptance against moto."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

import boto3
import pytest
from moto import mock_aws

from functions.adapters import secrets as secret_cache
from functions.adapters.aws_access_keys import KeyState
from functions.adapters.aws_secrets import SecretVersionsState
from functions.core.config import ConfigError, load_config, parse_config
from functions.credential_rotation import inventory, lock
from functions.credential_rotation.intake import UsageError, command_input
from functions.credential_rotation.models import RotationRequest
from sandbox.engine import DEFAULT_CONFIG

NOW = datetime.now(UTC)


class Versions:
    """Secret name -> (labels by version, created by version, values by version)."""

    def __init__(self) -> None:
        self.secrets: dict[str, tuple[dict[str, tuple[str, ...]], dict[str, datetime], dict[str, dict[str, Any]]]] = {}

    def add(self, name: str, age_days: int, *labels: tuple[str, str], value: dict[str, Any] | None = None) -> None:
        by_version: dict[str, tuple[str, ...]] = {}
        for version, label in labels or (("v1", "AWSCURRENT"),):
            by_version[version] = (*by_version.get(version, ()), label)
        created = dict.fromkeys(by_version, NOW - timedelta(days=age_days))
        self.secrets[name] = (by_version, created, dict.fromkeys(by_version, value or {}))

    def state(self, name: str) -> SecretVersionsState | None:
        if name not in self.secrets:
            return None
        labels, created, _ = self.secrets[name]
        return SecretVersionsState(name, labels, created)

    def value(self, name: str, *, version: str | None = None, label: str = "AWSCURRENT") -> dict[str, Any]:
        labels, _, values = self.secrets[name]
        chosen = version or next(v for v, ls in labels.items() if label in ls)
        return values[chosen]


class Keys:
    def __init__(self, created: dict[str, datetime]) -> None:
        self.created = created

    def key(self, user: str, key_id: str) -> KeyState | None:
        when = self.created.get(key_id)
        return KeyState(key_id, "Active", when, None) if when else None


@pytest.fixture
def config():  # type: ignore[no-untyped-def]
    return load_config(DEFAULT_CONFIG)


def _world(ages: dict[str, int], key_age: int = 1) -> tuple[Versions, Keys]:
    versions = Versions()
    names = {
        "platform-automation/sendgrid": ages.get("sendgrid", 1),
        "platform-automation/github": ages.get("github", 1),
        "platform-automation/okta": ages.get("okta", 1),
        "platform-automation/slack": ages.get("slack", 1),
    }
    for name, age in names.items():
        versions.add(name, age)
    versions.add("platform-automation/iam/ci-deployer", 1, value={"access_key_id": "AKIAOLD"})
    return versions, Keys({"AKIAOLD": NOW - timedelta(days=key_age)})


def _plan(config, versions, keys, **request: Any):  # type: ignore[no-untyped-def]
    return inventory.plan(config, RotationRequest(**request), "exec-1", versions, keys)  # type: ignore[arg-type]


def test_nothing_is_rotated_before_max_age_minus_rotate_before_days(config) -> None:  # type: ignore[no-untyped-def]
    versions, keys = _world({"sendgrid": 90 - 7 - 1})
    assert _plan(config, versions, keys).jobs == []


def test_a_credential_is_rotated_rotate_before_days_before_its_max_age(config) -> None:  # type: ignore[no-untyped-def]
    versions, keys = _world({"sendgrid": 90 - 7})
    (job,) = _plan(config, versions, keys).jobs
    assert (job.name, job.stage) == ("sendgrid-api-key", "rotate")
    assert job.grace_seconds == 3600
    assert job.max_checks == 24


def test_an_iam_key_is_aged_by_the_key_not_by_its_secret(config) -> None:  # type: ignore[no-untyped-def]
    versions, keys = _world({}, key_age=95)
    plan = _plan(config, versions, keys)
    assert [j.name for j in plan.jobs] == ["ci-deployer"]
    (entry,) = [i for i in plan.inventory if i["name"] == "ci-deployer"]
    assert entry["status"] == "overdue"
    assert entry["age_days"] == 95


def test_a_forced_rotation_rotates_one_credential_whatever_its_age(config) -> None:  # type: ignore[no-untyped-def]
    versions, keys = _world({})
    plan = _plan(config, versions, keys, credential="github-webhook-secret", force=True)
    assert [(j.name, j.kind) for j in plan.jobs] == [("github-webhook-secret", "github_webhook_secret")]
    assert len(plan.inventory) == len(config.credentials.inventory)  # the report still lists all


def test_an_unknown_credential_is_a_clear_error(config) -> None:  # type: ignore[no-untyped-def]
    versions, keys = _world({})
    with pytest.raises(ValueError, match="unknown credential 'nope' \\(known: ci-deployer, github-app-key"):
        _plan(config, versions, keys, credential="nope")


def test_pending_wins_over_retiring_so_the_current_credential_is_never_retired(config) -> None:  # type: ignore[no-untyped-def]
    versions, keys = _world({})
    versions.add("platform-automation/sendgrid", 1, ("v1", "AWSCURRENT"), ("v1", "RETIRING"), ("v2", "AWSPENDING"))
    (job,) = _plan(config, versions, keys).jobs
    assert job.stage == "resume"
    versions.add("platform-automation/sendgrid", 1, ("v2", "AWSCURRENT"), ("v1", "AWSPREVIOUS"), ("v1", "RETIRING"))
    (job,) = _plan(config, versions, keys).jobs
    assert job.stage == "retire"


def test_owners_are_reminded_remind_before_days_before_max_age(config) -> None:  # type: ignore[no-untyped-def]
    versions, keys = _world({"slack": 90 - 14 - 1})
    assert _plan(config, versions, keys).reminders == []
    versions, keys = _world({"slack": 90 - 14})
    (reminder,) = _plan(config, versions, keys).reminders
    assert reminder["name"] == "slack-signing-secret"
    assert reminder["owner"] == "maria.lopez@example.com"
    assert "AWSPENDING" in reminder["steps"]
    assert reminder["overdue"] is False


def test_the_okta_service_key_is_rotated_by_the_platform_not_reminded(config) -> None:  # type: ignore[no-untyped-def]
    versions, keys = _world({"okta": 90 - 7})
    plan = _plan(config, versions, keys)
    assert [(j.name, j.kind, j.stage) for j in plan.jobs] == [("okta-service-key", "okta_service_key", "rotate")]
    assert plan.reminders == []
    (entry,) = [i for i in plan.inventory if i["name"] == "okta-service-key"]
    assert entry["rotated_by"] == "platform"


def test_a_lease_lasts_the_longest_path_of_its_job(config) -> None:  # type: ignore[no-untyped-def]
    versions, keys = _world({}, key_age=95)
    versions.add("platform-automation/sendgrid", 90)
    jobs = {j.name: j for j in _plan(config, versions, keys).jobs}
    settings = config.credentials
    sendgrid = settings.propagation_seconds + settings.grace_minutes * 60
    assert lock.lease_seconds(jobs["sendgrid-api-key"]) == sendgrid + lock.MARGIN_S
    # an IAM key is held through every check of the old key's use and the wait before its deletion
    iam = settings.propagation_seconds + settings.grace_minutes * 60 + settings.key_use_grace_hours * 3600
    iam += settings.delete_after_days * 86400
    assert lock.lease_seconds(jobs["ci-deployer"]) == iam + lock.MARGIN_S


def test_a_secret_stored_by_its_owner_as_awspending_is_finished(config) -> None:  # type: ignore[no-untyped-def]
    versions, keys = _world({})
    versions.add("platform-automation/slack", 1, ("v1", "AWSCURRENT"), ("v2", "AWSPENDING"))
    (job,) = _plan(config, versions, keys).jobs
    assert (job.name, job.stage) == ("slack-signing-secret", "resume")


def test_a_missing_secret_is_a_problem_not_a_crash(config) -> None:  # type: ignore[no-untyped-def]
    versions, keys = _world({})
    del versions.secrets["platform-automation/iam/ci-deployer"]
    plan = _plan(config, versions, keys)
    assert plan.problems == [
        "ci-deployer: secret platform-automation/iam/ci-deployer does not exist (or has no AWSCURRENT version)"
    ]


# -- configuration ----------------------------------------------------------------------------------


def _with_inventory(items: list[dict[str, Any]], **drop: bool) -> dict[str, Any]:
    import yaml

    data = yaml.safe_load(DEFAULT_CONFIG.read_text())
    data["credentials"] = {"inventory": items}
    for section in drop:
        data[section] = None
    return data  # type: ignore[no-any-return]


def test_config_problems_are_reported_per_credential() -> None:
    items = [
        {"name": "ci", "kind": "iam_access_key", "owner": "a@example.com"},
        {"name": "sg", "kind": "sendgrid_api_key", "owner": "a@example.com"},
        {"name": "sg", "kind": "slack_signing_secret", "owner": "a@example.com"},
    ]
    with pytest.raises(ConfigError) as error:
        parse_config(_with_inventory(items, sendgrid=True), DEFAULT_CONFIG)
    text = "; ".join(error.value.problems)
    assert "ci: an iam_access_key needs user and secret_name" in text
    assert "credentials.inventory.1: a sendgrid_api_key needs the sendgrid section" in text


def test_a_webhook_secret_needs_the_hook() -> None:
    data = _with_inventory([{"name": "hook", "kind": "github_webhook_secret", "owner": "a@example.com"}])
    data["github"].pop("webhook")
    with pytest.raises(ConfigError, match=r"needs github\.webhook"):
        parse_config(data, DEFAULT_CONFIG)


# -- the Slack command ------------------------------------------------------------------------------


def test_the_command_lists_or_rotates() -> None:
    detail = {"user_id": "U1", "response_url": "https://hooks.slack.com/x"}
    assert command_input({}, "a@example.com", detail)["action"] == "report"
    rotate = command_input({"args": ["rotate", "ci-deployer"]}, "a@example.com", detail)
    assert (rotate["action"], rotate["credential"], rotate["force"]) == ("rotate", "ci-deployer", True)
    with pytest.raises(UsageError, match="usage: /platform credentials \\[rotate <name>\\]"):
        command_input({"args": ["delete", "ci-deployer"]}, "a@example.com", detail)


# -- the ingress's dual-secret window -----------------------------------------------------------------


@mock_aws
def test_accepted_values_follow_the_staging_labels(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AWS_DEFAULT_REGION", "eu-west-1")
    secret_cache.clear_cache()
    from functions.core import clients

    clients.reset()
    sm = boto3.client("secretsmanager", region_name="eu-west-1")
    name = "platform-automation/github"
    sm.create_secret(Name=name, SecretString=json.dumps({"webhook_secret": "old-secret-0000000"}))
    assert secret_cache.accepted_values(name, "github", "webhook_secret") == ["old-secret-0000000"]

    sm.put_secret_value(
        SecretId=name,
        ClientRequestToken="11111111-1111-1111-1111-111111111111",
        SecretString=json.dumps({"webhook_secret": "new-secret-1111111"}),
        VersionStages=["AWSPENDING"],
    )
    assert secret_cache.accepted_values(name, "github", "webhook_secret") == ["old-secret-0000000"]  # cached
    assert secret_cache.recheck_accepted(name, "github")  # the labels moved: read again
    assert secret_cache.accepted_values(name, "github", "webhook_secret") == [
        "old-secret-0000000",
        "new-secret-1111111",
    ]
    secret_cache.clear_cache()
    clients.reset()
