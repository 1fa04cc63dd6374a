"""The /platform grammar and who may run what."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from functions.core.config import load_config
from functions.ingress import commands
from functions.ingress.access import may_run
from tests.conftest import EXAMPLE_CONFIG

ONBOARD = (
    'onboard name="Jane Doe" email=jane.doe@example.com github=jdoe-dev team=platform '
    "manager=maria.lopez@example.com start=2026-12-01"
)


@pytest.mark.parametrize(
    ("text", "name", "args"),
    [
        ("", "help", {}),
        ("help", "help", {}),
        ("HELP", "help", {}),
        ("cost", "cost", {}),
        ("drill", "drill", {"targets": []}),
        ("drill orders customers", "drill", {"targets": ["orders", "customers"]}),
        ("status dr_drill-20261125T100000-abc123", "status", {"execution": "dr_drill-20261125T100000-abc123"}),
        (
            ONBOARD,
            "onboard",
            {
                "name": "Jane Doe",
                "email": "jane.doe@example.com",
                "github": "jdoe-dev",
                "team": "platform",
                "manager": "maria.lopez@example.com",
                "start": "2026-12-01",
            },
        ),
        (
            'offboard email=lee.former@example.com github=leef last_day=2026-12-31 reason="moving on"',
            "offboard",
            {"email": "lee.former@example.com", "github": "leef", "last_day": "2026-12-31", "reason": "moving on"},
        ),
    ],
)
def test_good_commands(text, name, args):
    command = commands.parse(text)
    assert (command.name, command.args) == (name, args)


@pytest.mark.parametrize(
    ("text", "subcommand", "message"),
    [
        ("launch rockets", None, "unknown sub-command `launch`"),
        ("status", "status", "expected 1 argument(s), got 0"),
        ("status a b", "status", "expected 1 argument(s), got 2"),
        ("drill ../etc", "drill", "is not a valid target"),
        ("onboard email=jane@example.com", "onboard", "missing name, github, team, manager, start"),
        (ONBOARD.replace("email=jane.doe@example.com", "email=jane"), "onboard", "`email=jane` is not valid"),
        (ONBOARD + " shoe=42", "onboard", "unknown argument `shoe`"),
        (ONBOARD.replace("start=2026-12-01", "start=soon"), "onboard", "`start=soon` is not valid"),
        ("onboard jane", "onboard", "`jane` is not key=value"),
        ('onboard name="Jane', None, "cannot read the arguments"),
    ],
)
def test_bad_commands_say_what_is_wrong(text, subcommand, message):
    with pytest.raises(commands.UsageError) as caught:
        commands.parse(text)
    assert message in str(caught.value)
    assert caught.value.subcommand == subcommand


def test_usage_lists_every_subcommand():
    text = commands.usage()
    for name in commands.subcommands():
        assert f"/platform {name}" in text
    assert commands.usage("drill") == "Usage: `/platform drill [target ...]`"


def test_the_subcommands_are_the_builtins_and_the_manifests():
    from functions.core import registry

    declared = {wf.command.name for wf in registry.workflows().values() if wf.command}
    assert set(commands.subcommands()) == {"help", "status"} | declared
    assert {"onboard", "offboard", "cost", "drill"} <= declared


def test_help_offers_only_the_deployed_workflows():
    text = commands.usage(deployed={"dr_drill"})
    assert "/platform drill" in text
    assert "/platform onboard" not in text
    assert "/platform status" in text
    assert "/platform help" in text


@settings(max_examples=400, deadline=None)
@given(st.text(max_size=120))
def test_any_text_parses_or_is_a_usage_error(text):
    try:
        command = commands.parse(text)
    except commands.UsageError:
        return
    assert command.name in commands.subcommands()


@pytest.fixture(scope="module")
def config():
    return load_config(EXAMPLE_CONFIG)


@pytest.mark.parametrize(
    ("subcommand", "email", "allowed"),
    [
        ("help", None, True),
        ("status", None, True),
        ("status", "anyone@example.com", True),
        ("drill", "maria.lopez@example.com", True),  # an approver (default: approvers)
        ("drill", "sam.okafor@example.com", True),
        ("drill", "new.hire@example.com", False),
        ("drill", None, False),
        ("onboard", "MARIA.LOPEZ@example.com", True),
    ],
)
def test_default_access(config, subcommand, email, allowed):
    assert may_run(config, subcommand, email) is allowed


def test_access_by_team_and_email(example_data, write_config):
    example_data["slack"]["access"] = {"onboard": ["team:product", "ops@example.com"], "cost": ["*"]}
    config = load_config(write_config(example_data))
    assert may_run(config, "onboard", "sam.okafor@example.com")
    assert may_run(config, "onboard", "ops@example.com")
    assert not may_run(config, "onboard", "maria.lopez@example.com")  # approver of another team
    assert may_run(config, "cost", "whoever@example.com")
    assert may_run(config, "drill", "maria.lopez@example.com")  # not listed: keeps its default


def test_access_entries_are_checked(example_data, write_config):
    from functions.core.config import ConfigError

    example_data["slack"]["access"] = {"drill": ["team:nope", "not a principal"], "launch": ["*"]}
    with pytest.raises(ConfigError) as caught:
        load_config(write_config(example_data))
    text = "\n".join(caught.value.problems)
    assert "slack.access.drill.0: unknown team 'nope'" in text
    assert "slack.access" in text
    assert "'launch' is not a sub-command" in text
    example_data["slack"]["access"] = {"drill": ["not a principal"]}
    with pytest.raises(ConfigError) as caught:
        load_config(write_config(example_data))
    assert "'not a principal' is not '*', 'approvers', 'team:<name>' or an email address" in caught.value.problems[0]
