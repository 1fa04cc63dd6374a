"""Onboarding: an issue form or `/platform onboard` -> validate -> approval -> Okta user and groups,
AWS access, GitHub teams, welcome email, Slack -> the request closed with a summary. The steps
both people workflows share are in functions/people/component.py."""

from __future__ import annotations

from functions.core.manifest import DATE, EMAIL, GITHUB_LOGIN, NAME, REQUESTS, Route, SlackCommand, Workflow
from functions.core.spec import IDENTITY_CENTER_GRANT, LambdaSpec, Resource

_OKTA = ("okta.secret_name",)
_GITHUB = ("github.secret_name",)
# The ledger (who created what) lives in the state table, read and written; every change is
# appended to the audit trail.
_LEDGER: tuple[Resource, ...] = ("approvals", "audit_table")
LAMBDAS: tuple[LambdaSpec, ...] = (
    LambdaSpec(
        name="OnboardingValidate",
        handler="functions.onboarding.handlers.validate",
        description="Checks an onboarding request (form fields, domain, team, GitHub user, Okta) and plans it",
        timeout_s=60,
        secrets=(*_OKTA, *_GITHUB),
        resources=_LEDGER,
    ),
    LambdaSpec(
        name="OnboardingCreateOktaUser",
        handler="functions.onboarding.handlers.create_okta_user",
        description="Creates and activates the new hire's Okta user (idempotent)",
        timeout_s=60,
        secrets=_OKTA,
        resources=_LEDGER,
    ),
    LambdaSpec(
        name="OnboardingAssignOktaGroups",
        handler="functions.onboarding.handlers.assign_okta_groups",
        description="Adds the new hire to the team's Okta groups",
        timeout_s=60,
        secrets=_OKTA,
        resources=_LEDGER,
    ),
    LambdaSpec(
        name="OnboardingGrantAwsAccess",
        handler="functions.onboarding.handlers.grant_aws_access",
        description="IAM Identity Center user, group memberships and permission-set assignments",
        timeout_s=60,
        resources=_LEDGER,
        # Grants only: it can create a user, membership or assignment, never delete one.
        aws_actions=IDENTITY_CENTER_GRANT,
        aws_scope="identity_center",
    ),
    LambdaSpec(
        name="OnboardingAddGitHubTeams",
        handler="functions.onboarding.handlers.add_github_teams",
        description="Invites to the GitHub organisation and adds to the team's GitHub teams",
        timeout_s=60,
        secrets=_GITHUB,
        resources=_LEDGER,
    ),
    LambdaSpec(
        name="OnboardingSendWelcome",
        handler="functions.onboarding.handlers.send_welcome",
        description="Sends the welcome email through SendGrid, once per request",
        secrets=("sendgrid.secret_name",),
        resources=_LEDGER,
    ),
    LambdaSpec(
        name="OnboardingNotifySlack",
        handler="functions.onboarding.handlers.notify_slack",
        description="Announces the new hire in the team's Slack channel, once per request",
        secrets=("slack.secret_name",),
        resources=_LEDGER,
    ),
    LambdaSpec(
        name="OnboardingFinish",
        handler="functions.onboarding.handlers.finish",
        description="Comments the summary on the request issue and closes it (or answers in Slack)",
        secrets=_GITHUB,
        resources=_LEDGER,
    ),
)

WORKFLOW = Workflow(
    name="onboarding",
    description="Onboard a new hire: Okta, AWS, GitHub, welcome email, Slack",
    lambdas=LAMBDAS,
    shares=("people",),
    uses=("RequestApproval", "PeopleReportInvalid", "PeopleReportDecision", "PeopleCompensate", "PeopleReportFailure"),
    routes=(
        Route(
            "OnboardingRequested",
            "An onboarding request, from an issue form or /platform onboard",
            {"source": [REQUESTS], "detail-type": ["onboarding.requested"]},
            workflow="onboarding",
        ),
    ),
    command=SlackCommand(
        name="onboard",
        usage='/platform onboard name="Jane Doe" email=jane@example.com github=janedoe team=platform '
        "manager=boss@example.com start=2026-12-01",
        summary="request onboarding of a new hire",
        fields={"name": None, "email": EMAIL, "github": GITHUB_LOGIN, "team": NAME, "manager": EMAIL, "start": DATE},
        to_input="functions.people.intake.onboarding_input",
    ),
    approval=True,
    samples=("github/issue_opened_onboarding.json",),
    intake="github_issue",
    steps=("CreateOktaUser", "AssignOktaGroups", "GrantAwsAccess", "AddGitHubTeams", "SendWelcome", "NotifySlack"),
    config_section="onboarding",
)
