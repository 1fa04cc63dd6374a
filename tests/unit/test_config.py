"""The configuration model and `platform-automation config validate`."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from functions.core.config import ConfigError, PlatformConfig, load_config
from sandbox.cli import main
from sandbox.engine import DEFAULT_CONFIG as EXAMPLE_CONFIG

WriteConfig = Callable[..., Path]


def problems_of(path: Path) -> list[str]:
    with pytest.raises(ConfigError) as caught:
        load_config(path)
    assert caught.value.path == path
    return caught.value.problems


def test_the_example_config_validates() -> None:
    config = load_config(EXAMPLE_CONFIG)

    assert isinstance(config, PlatformConfig)
    assert config.aws.region == "eu-west-1"
    assert [t.name for t in config.dr.targets] == ["orders", "customers", "billing-db"]
    assert config.summary() == (
        "Example Corp: 2 teams, 3 AWS accounts, 3 cost tiers, 3 DR targets, schedules in Europe/Berlin"
    )


def test_the_same_config_as_json_validates(example_data: dict[str, Any], tmp_path: Path) -> None:
    path = tmp_path / "platform.json"
    path.write_text(json.dumps(example_data), encoding="utf-8")

    assert load_config(path) == load_config(EXAMPLE_CONFIG)


def test_approver_emails_are_normalised(example_data: dict[str, Any], write_config: WriteConfig) -> None:
    example_data["teams"]["product"]["approvers"] = ["  Sam.Okafor@Example.COM "]

    config = load_config(write_config(example_data))

    assert config.teams["product"].approvers == ["sam.okafor@example.com"]


def test_a_broken_config_reports_every_problem_with_its_field_path(
    example_data: dict[str, Any], write_config: WriteConfig
) -> None:
    data = example_data
    data["organization"]["nmae"] = "typo"
    data["schedules"]["timezone"] = "Mars/Olympus_Mons"
    data["schedules"]["dr_drill"] = "cron(0 6 * *)"
    data["teams"]["platform"]["aws_access"][0]["account"] = "prod"
    data["teams"]["product"]["approvers"] = ["sam.okafor@gmail.com"]
    data["dr"]["targets"].append({**data["dr"]["targets"][0], "resource": "orders-copy"})
    data["thresholds"]["cost"]["tiers"][2]["monthly_usd"] = 6000  # critical below warning

    problems = problems_of(write_config(data))

    expected = {
        "organization.nmae": "Extra inputs are not permitted",
        "schedules.timezone": "unknown time zone 'Mars/Olympus_Mons'",
        "schedules.dr_drill": "must be an EventBridge Scheduler expression",
        "teams.platform.aws_access.0.account": "unknown account 'prod' (known: production, sandbox, staging)",
        "teams.product.approvers.0": "sam.okafor@gmail.com is outside organization.email_domains",
        "dr.targets": "duplicate target names: orders",
        "thresholds.cost.tiers": "strictly ascending order of monthly_usd",
    }
    assert len(problems) == len(expected), problems
    for field, message in expected.items():
        matching = [p for p in problems if p.startswith(f"{field}: ")]
        assert len(matching) == 1, (field, problems)
        assert message in matching[0]


def test_a_cross_reference_problem_alone_is_reported_once(
    example_data: dict[str, Any], write_config: WriteConfig
) -> None:
    example_data["teams"]["product"]["aws_access"][0]["account"] = "qa"

    problems = problems_of(write_config(example_data))

    assert problems == [
        "teams.product.aws_access.0.account: unknown account 'qa' (known: production, sandbox, staging)"
    ]


@pytest.mark.parametrize(
    ("section", "key", "value", "field", "message"),
    [
        ("aws", "region", "Europe", "aws.region", "should match pattern"),
        ("okta", "client_id", None, "okta", "client_id is required when auth is private_key"),
        ("schedules", "off_hours_stop", "rate(5 fortnights)", "schedules.off_hours_stop", "EventBridge"),
        ("schedules", "holidays", ["24.12.2026"], "schedules.holidays", "is not an ISO date"),
        ("dr", "restore_poll_seconds", 1, "dr.restore_poll_seconds", "greater than or equal to 5"),
    ],
)
def test_single_problems_name_their_field(
    example_data: dict[str, Any],
    write_config: WriteConfig,
    section: str,
    key: str,
    value: Any,
    field: str,
    message: str,
) -> None:
    example_data[section][key] = value

    (problem,) = problems_of(write_config(example_data))

    assert problem.startswith(f"{field}: ")
    assert message in problem


def test_a_missing_file_is_one_clear_problem(tmp_path: Path) -> None:
    missing = tmp_path / "nowhere.yaml"

    assert problems_of(missing) == ["cannot read: No such file or directory"]


def test_invalid_yaml_is_one_clear_problem(tmp_path: Path) -> None:
    path = tmp_path / "broken.yaml"
    path.write_text("organization: {name: [Example\n", encoding="utf-8")

    (problem,) = problems_of(path)

    assert problem.startswith("not valid YAML: ")


def test_invalid_json_is_one_clear_problem(tmp_path: Path) -> None:
    path = tmp_path / "broken.json"
    path.write_text('{"organization": ', encoding="utf-8")

    (problem,) = problems_of(path)

    assert problem.startswith("not valid JSON: ")


def test_a_yaml_file_that_is_not_a_mapping_is_one_problem(tmp_path: Path) -> None:
    path = tmp_path / "list.yaml"
    path.write_text("- organization\n- teams\n", encoding="utf-8")

    (problem,) = problems_of(path)

    assert problem.startswith("(top level): ")


# -- platform-automation config validate ---------------------------------------------------------


def test_validate_the_example_exits_0(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["config", "validate", str(EXAMPLE_CONFIG)]) == 0

    out, err = capsys.readouterr()
    assert out.strip() == (
        f"{EXAMPLE_CONFIG}: valid. Example Corp: 2 teams, 3 AWS accounts, 3 cost tiers, 3 DR targets, "
        "schedules in Europe/Berlin"
    )
    assert err == ""


def test_validate_a_broken_config_exits_1_and_lists_each_problem(
    example_data: dict[str, Any], write_config: WriteConfig, capsys: pytest.CaptureFixture[str]
) -> None:
    example_data["schedules"]["timezone"] = "Nowhere/Special"
    example_data["teams"]["platform"]["approvers"].append("eve@evil.example.org")
    path = write_config(example_data)

    assert main(["config", "validate", str(path)]) == 1

    out, err = capsys.readouterr()
    assert out == ""
    lines = err.splitlines()
    assert lines[0] == f"{path}: 2 problem(s)"
    assert sorted(lines[1:]) == [
        "  schedules.timezone: unknown time zone 'Nowhere/Special'",
        "  teams.platform.approvers.2: eve@evil.example.org is outside organization.email_domains",
    ]


def test_validate_a_missing_file_exits_1(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    missing = tmp_path / "absent.yaml"

    assert main(["config", "validate", str(missing)]) == 1

    out, err = capsys.readouterr()
    assert out == ""
    assert err.splitlines() == [f"{missing}: 1 problem(s)", "  cannot read: No such file or directory"]


def test_validate_without_a_file_is_a_usage_error(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exited:
        main(["config", "validate"])

    assert exited.value.code == 2
    assert "the following arguments are required: file" in capsys.readouterr().err
