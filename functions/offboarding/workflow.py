"""Offboarding: an issue form or `/platform offboard` -> validate -> approval -> Okta sessions and
user, Okta groups, AWS access, GitHub, PagerDuty -> notices -> the request closed with a summary.
The steps both people workflows share are in functions/people/component.py."""

from __future__ import annotations

from functions.core.manifest import DATE, EMAIL, GITHUB_LOGIN, REQUESTS, Route, SlackCommand, Workflow
from functions.core.spec import IDENTITY_CENTER_REVOKE, LambdaSpec, Resource

# The ledger in the state table, read and written; every change appended to the audit trail.
_LEDGER: tuple[Resource, ...] = ("approvals", "audit_table")

LAMBDAS: tuple[LambdaSpec, ...] = (
    LambdaSpec(
        name="OffboardingValidate",
        handler="functions.offboarding.handlers.validate",
        description="Checks an offboarding request (form fields, domain, Okta user, GitHub user) and plans it",
        timeout_s=60,
        secrets=("okta.secret_name", "github.secret_name"),
        resources=_LEDGER,
        # The identity directory's IAM link: which IAM users are tagged with the leaver's email.
        unscoped_actions=("iam:GetAccountAuthorizationDetails",),
    ),
    LambdaSpec(
        name="OffboardingDeactivateOkta",
        handler="functions.offboarding.handlers.deactivate_okta",
        description="Clears the leaver's Okta sessions and deactivates the user",
        timeout_s=60,
        secrets=("okta.secret_name",),
        resources=_LEDGER,
    ),
    LambdaSpec(
        name="OffboardingRemoveOktaGroups",
        handler="functions.offboarding.handlers.remove_okta_groups",
        description="Removes the leaver from every Okta group",
        timeout_s=60,
        secrets=("okta.secret_name",),
        resources=_LEDGER,
    ),
    LambdaSpec(
        name="OffboardingRemoveAwsAccess",
        handler="functions.offboarding.handlers.remove_aws_access",
        description="Removes Identity Center memberships and assignments; deactivates IAM access keys",
        timeout_s=120,
        resources=_LEDGER,
        # Revokes only: it can remove a membership or assignment, never create one.
        aws_actions=IDENTITY_CENTER_REVOKE,
        aws_scope="identity_center",
        # A leaver's classic IAM users: only users tagged with an organisation email, never CI or
        # break-glass users (infra/functions.py, people_iam_actions).
        people_iam_actions=("iam:GetUser", "iam:ListAccessKeys", "iam:GetAccessKeyLastUsed", "iam:UpdateAccessKey"),
    ),
    LambdaSpec(
        name="OffboardingRemoveGitHub",
        handler="functions.offboarding.handlers.remove_github",
        description="Removes the leaver from the GitHub organisation",
        secrets=("github.secret_name",),
        resources=_LEDGER,
    ),
    LambdaSpec(
        name="OffboardingRemovePagerDuty",
        handler="functions.offboarding.handlers.remove_pagerduty",
        description="Removes the PagerDuty user, or reports the schedules that keep it",
        secrets=("pagerduty.secret_name",),
        resources=_LEDGER,
    ),
    LambdaSpec(
        name="OffboardingNotify",
        handler="functions.offboarding.handlers.notify",
        description="Notice to Slack and a summary email to the manager",
        secrets=("slack.secret_name", "sendgrid.secret_name"),
        resources=_LEDGER,
    ),
    LambdaSpec(
        name="OffboardingFinish",
        handler="functions.offboarding.handlers.finish",
        description="Comments the summary on the request issue and closes it (or answers in Slack)",
        secrets=("github.secret_name",),
        resources=_LEDGER,
    ),
)

WORKFLOW = Workflow(
    name="offboarding",
    description="Offboard a leaver: Okta, AWS, GitHub and PagerDuty access removed, notices sent",
    lambdas=LAMBDAS,
    shares=("people",),
    uses=("RequestApproval", "PeopleReportInvalid", "PeopleReportDecision", "PeopleCompensate", "PeopleReportFailure"),
    routes=(
        Route(
            "OffboardingRequested",
            "An offboarding request, from an issue form or /platform offboard",
            {"source": [REQUESTS], "detail-type": ["offboarding.requested"]},
            workflow="offboarding",
        ),
    ),
    command=SlackCommand(
        name="offboard",
        usage='/platform offboard email=jane@example.com github=janedoe last_day=2026-12-31 reason="moving on"',
        summary="request offboarding of a leaver",
        fields={"email": EMAIL, "github": GITHUB_LOGIN, "last_day": DATE, "reason": None},
        to_input="functions.people.intake.offboarding_input",
    ),
    approval=True,
    samples=("github/issue_opened_offboarding.json",),
    samples_after=("onboarding",),
    intake="github_issue",
    steps=("DeactivateOkta", "RemoveOktaGroups", "RemoveAwsAccess", "RemoveGitHub", "RemovePagerDuty", "Notify"),
    config_section="offboarding",
)
