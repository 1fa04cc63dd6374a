"""`/platform help` offers only the deployed workflows: the SlackCommands handler reads them from
PLATFORM_WORKFLOWS, which CDK sets from the configuration's `workflows:` and so does the local
engine (beside STATE_MACHINE_ARNS, which the command worker reads)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import yaml

from functions.core import constants
from functions.ingress import secrets, slack_commands
from sandbox.engine import LocalEngine
from sandbox.fakes.credentials import SLACK_SIGNING_SECRET
from tests.conftest import EXAMPLE_CONFIG
from tests.integration.ingress_helpers import slack_headers, slash_command


def slash(text: str) -> dict[str, Any]:
    """The API Gateway (HTTP API, payload 2.0) event of a signed `/platform <text>`."""
    body = slash_command(text, "U00000001", "https://hooks.slack.test/commands/1")
    event = {
        "rawPath": "/slack/commands",
        "requestContext": {"http": {"method": "POST"}},
        "headers": slack_headers(body),
        "body": body.decode(),
    }
    response = slack_commands.handler(event, None)
    assert response["statusCode"] == 200
    answer: dict[str, Any] = json.loads(response["body"])
    assert answer["response_type"] == "ephemeral"
    return answer


@pytest.fixture(autouse=True)
def signing_secret(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(secrets, "slack_signing_secret", lambda: SLACK_SIGNING_SECRET)


def test_help_offers_only_the_deployed_workflows(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(constants.WORKFLOWS, json.dumps(["dr_drill"]))
    text = slash("help")["text"]
    assert "/platform drill" in text
    assert "/platform help" in text
    assert "/platform status" in text
    for other in ("/platform onboard", "/platform offboard", "/platform cost"):
        assert other not in text
    # A mistake is answered with the same, deployed, sub-commands.
    text = slash("launch rockets")["text"]
    assert text.startswith("unknown sub-command `launch`")
    assert "/platform drill" in text
    assert "/platform onboard" not in text


def test_help_offers_every_workflow_when_the_deployment_does_not_say(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(constants.WORKFLOWS, raising=False)
    text = slash("help")["text"]
    for command in ("/platform onboard", "/platform offboard", "/platform cost", "/platform drill"):
        assert command in text


def test_the_local_engine_deploys_the_configured_workflows_only(tmp_path: Path) -> None:
    data = yaml.safe_load(EXAMPLE_CONFIG.read_text(encoding="utf-8"))
    data["workflows"] = ["dr_drill", "cost_alarm"]
    path = tmp_path / "platform.yaml"
    path.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
    environment = LocalEngine(path)._environment()
    assert json.loads(environment[constants.WORKFLOWS]) == ["dr_drill", "cost_alarm"]
    assert sorted(json.loads(environment[constants.STATE_MACHINES])) == ["cost_alarm", "dr_drill"]
