"""Local runs from recorded deliveries, made into a workflow's input by the same code as in AWS:
an issue delivery (`events/github/issue_*`: the issue is opened in the GitHub fake, as GitHub
would have it) through the request intake; a workflow run or a published package
(`events/github/workflow_run_*`, `registry_package_*`) through the deployment's trigger; a slash
command (`events/slack/`) through the command grammar and the command worker's input."""

from __future__ import annotations

from typing import Any

from functions.ingress.github_events import Delivery, normalize
from functions.people.intake import from_issue


class NotARequest(ValueError):  # noqa: N818 - a verdict on the event
    pass


def is_issue_delivery(event: Any) -> bool:
    return (
        isinstance(event, dict) and isinstance(event.get("issue"), dict) and isinstance(event.get("repository"), dict)
    )


def open_issue(delivery: dict[str, Any], github_fake: Any) -> None:
    """GitHub only sends a delivery about an issue it holds: open the delivery's issue in the fake,
    under the delivery's own number, unless the fake holds that issue already (`run` and the local
    server's webhook both come through here)."""
    issue, repo = delivery["issue"], delivery["repository"].get("full_name")
    number, title = issue.get("number"), issue.get("title")
    if not isinstance(repo, str) or not isinstance(number, int) or not isinstance(title, str):
        return  # not a delivery GitHub would send; the webhook handler answers it
    if not github_fake.has_issue(repo, number):
        labels = [label["name"] for label in issue.get("labels", []) if isinstance(label, dict) and "name" in label]
        author = (issue.get("user") or {}).get("login")
        github_fake.add_issue(repo, title, issue.get("body") or "", labels, author, number=number)


def workflow_input(workflow: str, delivery: dict[str, Any], requests_repo: str, github_fake: Any) -> dict[str, Any]:
    open_issue(delivery, github_fake)
    detail = normalize(Delivery("issues", "local-run", delivery))
    found = from_issue(detail or {}, requests_repo)
    if found is None:
        raise NotARequest(f"the delivery is not an onboarding/offboarding request on {requests_repo}")
    started, value = found
    if started != workflow:
        raise NotARequest(f"the delivery is a {started} request, not {workflow}")
    return value.model_dump(mode="json")


def as_input(engine: Any, workflow: str, event: Any) -> Any:
    """A sample in the form its source delivers it becomes the execution input, as the workflow's
    manifest says (`intake`): a GitHub issue delivery goes through the request intake, a CloudWatch
    alarm (SNS or EventBridge form) through the alarm ingest; anything else is the input already."""
    from functions.core import registry
    from sandbox.engine import EngineError

    manifest = registry.workflows().get(workflow)
    intake = manifest.intake if manifest else ""
    if intake == "github_issue" and is_issue_delivery(event):
        assert engine.vendors is not None
        try:
            return workflow_input(workflow, event, engine.config.github.requests_repo, engine.vendors.fakes["github"])
        except NotARequest as exc:
            raise EngineError(str(exc)) from None
    if isinstance(event, dict) and event.get("command") == "/platform" and isinstance(event.get("text"), str):
        return command_input(engine, workflow, event)
    if intake == "github_delivery" and isinstance(event, dict) and _delivery_event(event):
        return delivery_input(engine, workflow, event)
    if (
        intake == "cloudwatch_alarm"
        and isinstance(event, dict)
        and ("Records" in event or event.get("source") == "aws.cloudwatch")
    ):
        from functions.ingress import alarms

        try:
            normalized = alarms.normalize(event)
        except alarms.NotAnAlarm as exc:
            raise EngineError(f"not a CloudWatch alarm: {exc}") from None
        if len(normalized) != 1:
            raise EngineError(f"expected one alarm in the event, found {len(normalized)}")
        return normalized[0]
    return event


def _delivery_event(event: dict[str, Any]) -> str | None:
    """The X-GitHub-Event a recorded delivery came with, told by its payload."""
    for name in ("workflow_run", "registry_package"):
        if isinstance(event.get(name), dict):
            return name
    return None


def delivery_input(engine: Any, workflow: str, delivery: dict[str, Any]) -> dict[str, Any]:
    """A workflow run or a published package, normalized as the webhook does and turned into a
    deploy request as the DeploymentTrigger route target does."""
    from functions.deployment.trigger import request_from
    from sandbox.engine import EngineError

    detail = normalize(Delivery(_delivery_event(delivery) or "", "local-run", delivery))
    request, why = request_from(detail or {}, engine.config)
    if request is None:
        raise EngineError(f"the delivery starts no {workflow}: {why}")
    return request


def command_input(engine: Any, workflow: str, command: dict[str, Any]) -> dict[str, Any]:
    """A `/platform ...` slash command (its form fields), as the command worker makes it the
    workflow's input: who asked (the Slack fake's user), may they, and a response_url on the fake."""
    from functions.ingress import commands
    from functions.ingress.access import may_run
    from functions.ingress.slack_worker import _request
    from sandbox.engine import EngineError

    try:
        parsed = commands.parse(command["text"])
    except commands.UsageError as exc:
        raise EngineError(f"/platform {command['text']}: {exc}") from None
    if commands.workflow_of(parsed.name) != workflow:
        raise EngineError(f"/platform {parsed.name} does not start {workflow}")
    assert engine.vendors is not None
    slack = engine.vendors.fakes["slack"]
    user = next((u for u in slack.users if u["id"] == command.get("user_id")), None)
    email = user["profile"].get("email") if user else None
    if not may_run(engine.config, parsed.name, email):
        raise EngineError(f"{email or command.get('user_id')} may not run /platform {parsed.name} (slack.access)")
    detail = {
        "user_id": command.get("user_id"),
        "channel_id": command.get("channel_id"),
        "response_url": slack.response_url(),  # the recorded one is Slack's; answer on the fake
    }
    return _request(parsed.name, parsed.args, email, detail)
