"""Onboarding end to end on the local engine: new hires, real-shaped issue deliveries, and readers
of the sandbox's state (vendor fakes, moto's Identity Center, the audit trail, the calls log)."""

from __future__ import annotations

import copy
import itertools
import json
import urllib.request
import uuid
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, cast

import boto3
from botocore.awsrequest import AWSResponse
from botocore.compat import HTTPHeaders

from functions.core import audit, constants
from functions.people.forms import NO_RESPONSE, ONBOARDING_FIELDS
from sandbox.engine import ROOT, Execution, LocalEngine
from sandbox.fakes.credentials import GITHUB_TOKEN
from sandbox.fakes.org import load_org
from sandbox.intake import workflow_input
from tests.integration.ingress_helpers import button_click, github_headers, post, slack_headers, wait_until

REPO = "example-corp/platform-requests"
MARIA, DEV, SAM = "maria.lopez@example.com", "dev.patel@example.com", "sam.okafor@example.com"
ISSUE_OPENED = ROOT / "events" / "github" / "issue_opened_onboarding.json"
ONBOARDING_STEPS = [
    "CreateOktaUser",
    "AssignOktaGroups",
    "GrantAwsAccess",
    "AddGitHubTeams",
    "SendWelcome",
    "NotifySlack",
]
# GitHub accounts that exist on github.com, not in the org: one per new hire of a test process.
HIRE_LOGINS = [f"hire-{n:02d}" for n in range(1, 41)]
_FIRST = ["Ada", "Ben", "Cleo", "Dara", "Eli", "Fay", "Gus", "Hana", "Ivo", "Jill", "Kai", "Lena"]
_numbers = itertools.count(1)


def org() -> dict[str, Any]:
    """The fixture organisation, plus the GitHub accounts of the new hires the tests onboard."""
    data = load_org()
    data["github"]["outside_users"] = [*data["github"]["outside_users"], *HIRE_LOGINS]
    return data


@dataclass(frozen=True)
class Hire:
    """One request: the form's values and the issue it is filed as."""

    full_name: str
    email: str
    github: str
    team: str
    manager: str
    start_date: str
    issue: int
    author: str = "mlopez"

    def values(self) -> dict[str, str]:
        return {
            "Full name": self.full_name,
            "Email": self.email,
            "GitHub username": self.github,
            "Team": self.team,
            "Manager": self.manager,
            "Start date": self.start_date,
        }


def new_hire(team: str = "product", **changes: Any) -> Hire:
    """A person nobody has onboarded yet in this process (own email, GitHub login, issue)."""
    n = next(_numbers)
    first = _FIRST[n % len(_FIRST)]
    hire = Hire(
        full_name=f"{first} Newhire{n:02d}",
        email=f"{first.lower()}.newhire{n:02d}@example.com",
        github=HIRE_LOGINS[n - 1],
        team=team,
        manager=MARIA if team == "platform" else SAM,
        start_date="2026-12-07",
        issue=100 + n,
    )
    return Hire(**{**hire.__dict__, **changes})


def form(values: dict[str, str | None]) -> str:
    """An issue body as GitHub renders the onboarding form (`_No response_` for an empty field)."""
    assert set(values) <= set(ONBOARDING_FIELDS), set(values) - set(ONBOARDING_FIELDS)
    return "\n\n".join(f"### {label}\n\n{values.get(label) or NO_RESPONSE}" for label in ONBOARDING_FIELDS)


def delivery(
    number: int,
    body: str,
    *,
    action: str = "opened",
    author: str = "mlopez",
    labels: Iterable[str] = ("onboarding",),
    changes: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """An `issues.<action>` webhook payload shaped like the recorded one in events/github/."""
    payload: dict[str, Any] = copy.deepcopy(json.loads(ISSUE_OPENED.read_text(encoding="utf-8")))
    issue = payload["issue"]
    issue.update(
        number=number,
        id=2000 + number,
        title=f"Onboarding request #{number}",
        body=body,
        url=f"https://api.github.com/repos/{REPO}/issues/{number}",
        html_url=f"https://github.com/{REPO}/issues/{number}",
        user={**issue["user"], "login": author},
        labels=[{"id": i + 1, "name": name, "color": "0e8a16", "default": False} for i, name in enumerate(labels)],
    )
    payload.update(action=action, sender={**payload["sender"], "login": author})
    if changes is not None:
        payload["changes"] = changes
    return payload


def hire_delivery(hire: Hire, **kwargs: Any) -> dict[str, Any]:
    return delivery(hire.issue, form(dict(hire.values())), author=hire.author, **kwargs)


def start_input(engine: LocalEngine, payload: dict[str, Any]) -> dict[str, Any]:
    """The workflow input of a delivery, through the intake code (opens the issue in the fake)."""
    return workflow_input("onboarding", payload, engine.config.github.requests_repo, fake(engine, "github"))


# --- the sandbox's state ---------------------------------------------------------------------------


def fake(engine: LocalEngine, service: str) -> Any:
    assert engine.vendors is not None
    return engine.vendors.fakes[service]


def okta_user(engine: LocalEngine, email: str) -> dict[str, Any] | None:
    user: dict[str, Any] | None = fake(engine, "okta").state()["users"].get(email)
    return user


def issue(engine: LocalEngine, number: int) -> dict[str, Any]:
    found: dict[str, Any] = fake(engine, "github").state()["issues"][f"{REPO}#{number}"]
    return found


def github_teams_of(engine: LocalEngine, login: str) -> dict[str, str]:
    """Team slug -> membership state of `login`."""
    teams = fake(engine, "github").state()["teams"]
    return {slug: members[login] for slug, members in teams.items() if login in members}


def github_member(engine: LocalEngine, login: str) -> dict[str, Any] | None:
    member: dict[str, Any] | None = fake(engine, "github").state()["members"].get(login)
    return member


def messages(engine: LocalEngine, channel: str) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = fake(engine, "slack").state()["messages"].get(channel, [])
    return found


def mails_to(engine: LocalEngine, email: str) -> list[dict[str, Any]]:
    return [m for m in fake(engine, "sendgrid").state()["outbox"] if email in m["to"]]


@dataclass
class Snapshot:
    """Every vendor fake's state and the AWS side of the people workflows, to compare."""

    vendors: dict[str, Any]
    ic_users: list[str]
    aws_access: set[tuple[str, str, str]]


def snapshot(engine: LocalEngine) -> Snapshot:
    assert engine.vendors is not None
    state = engine.vendors.state()
    for service in ("okta", "github"):
        state[service].pop("tokens_issued", None)
    return Snapshot(state, sorted(ic_users(engine)), aws_access(engine))


# --- AWS IAM Identity Center in moto ---------------------------------------------------------------


def _store(engine: LocalEngine) -> Any:
    return boto3.client("identitystore", region_name=engine.region)


def ic_users(engine: LocalEngine) -> list[str]:
    store_id = engine.config.aws.identity_center.identity_store_id
    pages = _store(engine).get_paginator("list_users").paginate(IdentityStoreId=store_id)
    return [user["UserName"] for page in pages for user in page["Users"]]


def ic_user_id(engine: LocalEngine, email: str) -> str | None:
    store_id = engine.config.aws.identity_center.identity_store_id
    users = _store(engine).list_users(
        IdentityStoreId=store_id, Filters=[{"AttributePath": "UserName", "AttributeValue": email}]
    )["Users"]
    return str(users[0]["UserId"]) if users else None


def _permission_sets(engine: LocalEngine) -> tuple[Any, str, dict[str, str]]:
    """The sso-admin client, the instance and its permission sets (ARN -> name)."""
    instance = engine.config.aws.identity_center.instance_arn
    sso = boto3.client("sso-admin", region_name=engine.region)
    names = {
        arn: sso.describe_permission_set(InstanceArn=instance, PermissionSetArn=arn)["PermissionSet"]["Name"]
        for arn in sso.list_permission_sets(InstanceArn=instance)["PermissionSets"]
    }
    return sso, instance, names


def ic_assignments(engine: LocalEngine, user_id: str) -> set[tuple[str, str]]:
    """(account id, permission set name) of the user's account assignments."""
    sso, instance, names = _permission_sets(engine)
    found = sso.list_account_assignments_for_principal(InstanceArn=instance, PrincipalId=user_id, PrincipalType="USER")[
        "AccountAssignments"
    ]
    return {(a["AccountId"], names[a["PermissionSetArn"]]) for a in found}


def aws_access(engine: LocalEngine) -> set[tuple[str, str, str]]:
    """Every account assignment in the configured accounts: (account id, permission set, principal)."""
    sso, instance, names = _permission_sets(engine)
    return {
        (account, name, assignment["PrincipalId"])
        for account in engine.config.aws.accounts.values()
        for arn, name in names.items()
        for assignment in sso.list_account_assignments(InstanceArn=instance, AccountId=account, PermissionSetArn=arn)[
            "AccountAssignments"
        ]
    }


# --- the calls log and the execution -------------------------------------------------------------

# Requests that change nothing at the vendor although they are not GETs.
_READS = {
    ("okta", "/oauth2/v1/token"),
    ("slack", "/api/users.lookupByEmail"),
    ("slack", "/api/users.info"),
    ("slack", "/api/users.list"),
    ("slack", "/api/auth.test"),
}


def label(call: dict[str, Any]) -> str:
    return f"{call['service']} {call['method']} {call['path']} {call['status']}"


def mutations(calls: Iterable[dict[str, Any]]) -> list[str]:
    """The calls that asked a vendor to change something (whatever it answered)."""
    return [
        label(c)
        for c in calls
        if c["method"] != "GET"
        and (c["service"], c["path"]) not in _READS
        and not (c["service"] == "github" and c["path"].startswith("/app/"))
    ]


def transitions(engine: LocalEngine, execution: Execution) -> int:
    """State transitions (what Standard workflows are billed by): the states entered."""
    events, kwargs = [], {"executionArn": execution.arn, "maxResults": 1000}
    while True:
        page = engine.sfn.get_execution_history(**kwargs)
        events.extend(page["events"])
        if not page.get("nextToken"):
            break
        kwargs["nextToken"] = page["nextToken"]
    return sum(1 for e in events if e["type"].endswith("StateEntered"))


def audit_of(execution: Execution) -> list[dict[str, Any]]:
    return audit.entries(execution.id)


def step_names(execution: Execution) -> list[str]:
    return [s.name for s in execution.steps]


def explain(execution: Execution) -> str:
    """What to print when an assertion on an execution fails."""
    steps = [f"{s.name}:{s.status}" + (f"({s.error})" if s.error else "") for s in execution.steps]
    return f"{execution.status} {execution.error}: {execution.cause}\nsteps: {steps}\noutput: {execution.output}"


# --- the ingress road (POST /github/webhook, /slack/interactions on the dev server) ---------------


@dataclass(frozen=True)
class Local:
    engine: LocalEngine
    url: str


def deliver(local: Local, payload: dict[str, Any], guid: str | None = None) -> tuple[int, Any]:
    """POST a signed `issues` delivery to the webhook endpoint."""
    body = json.dumps(payload).encode()
    return post(local.url + "/github/webhook", body, github_headers(body, "issues", guid or str(uuid.uuid4())))


def executions_after(engine: LocalEngine, before: set[str], count: int = 1, timeout: float = 30) -> list[Execution]:
    """The `count` executions started since `before` (ids), once they have all finished."""

    def started() -> list[Execution]:
        new = [e for e in list(engine.executions.values()) if e.id not in before]
        return new if len(new) >= count else []

    found: list[Execution] = wait_until(started, timeout=timeout, what=f"{count} new execution(s)")
    for execution in found:
        assert execution.done.wait(timeout), f"{execution.id} did not finish"
    return sorted(found, key=lambda e: e.started)


def edit_issue_body(engine: LocalEngine, number: int, body: str) -> None:
    """The requester edits the issue on GitHub (a PATCH to the fake, as a person's token)."""
    request = urllib.request.Request(
        f"{fake(engine, 'github').url}/repos/{REPO}/issues/{number}",
        data=json.dumps({"body": body}).encode(),
        method="PATCH",
        headers={"Authorization": f"token {GITHUB_TOKEN}", "Content-Type": "application/json"},
    )
    with urllib.request.urlopen(request, timeout=10) as response:
        assert response.status == 200


def approval_buttons(message: dict[str, Any]) -> dict[str, str]:
    """action_id -> value of the buttons of an approval message."""
    return {
        element["action_id"]: element["value"]
        for block in message.get("blocks") or []
        if block["type"] == "actions"
        for element in block["elements"]
    }


def click(local: Local, approval_id: str, email: str, action: str = "approval.approve") -> tuple[int, Any]:
    slack = fake(local.engine, "slack")
    body = button_click(action, approval_id, slack.user_id(email), slack.response_url())
    return post(local.url + "/slack/interactions", body, slack_headers(body))


# --- faults moto cannot inject, and configuration changes ----------------------------------------


@contextmanager
def aws_failure(operation: str, code: str = "InternalServerException", status: int = 500) -> Iterator[list[str]]:
    """Every `sso-admin <operation>` of the people workflows' Identity Center adapter fails with an
    AWS error (before any HTTP is sent, so botocore does not retry it). Yields the calls it failed."""
    from functions.adapters import vendors

    client = vendors.identity_center().sso
    failed: list[str] = []

    def before_call(model: Any, **_: Any) -> tuple[AWSResponse, dict[str, Any]] | None:
        if model.name != operation:
            return None
        failed.append(model.name)
        parsed = {
            "Error": {"Code": code, "Message": "injected by the test"},
            "ResponseMetadata": {"RequestId": "injected-0001", "HTTPStatusCode": status},
        }
        return AWSResponse("https://sso.invalid/", status, HTTPHeaders(), None), parsed

    event, hook = "before-call.sso-admin", before_call  # botocore types hooks as returning None
    client.meta.events.register(event, cast(Any, hook), unique_id="onboarding-test-failure")
    try:
        yield failed
    finally:
        client.meta.events.unregister(event, unique_id="onboarding-test-failure")


@contextmanager
def configured(engine: LocalEngine, path: Path) -> Iterator[None]:
    """The step Lambdas read the configuration at `path` (as after a deploy with it) meanwhile."""
    previous = engine.dispatcher.environment[constants.CONFIG_FILE]
    engine.dispatcher.environment[constants.CONFIG_FILE] = str(path)
    try:
        yield
    finally:
        engine.dispatcher.environment[constants.CONFIG_FILE] = previous
