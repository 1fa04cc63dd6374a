"""Onboarding's Lambdas (the shared people steps are in functions/people/lambdas.py)."""

from __future__ import annotations

from functions.core.spec import LambdaSpec, Resource

_OKTA = ("okta.secret_name",)
_GITHUB = ("github.secret_name",)
# The ledger (who created what) lives in the audit table, read and written.
_LEDGER: tuple[Resource, ...] = ("approvals",)

IDENTITY_CENTER_ACTIONS = (
    "identitystore:GetUserId",
    "identitystore:DescribeUser",
    "identitystore:CreateUser",
    "identitystore:DeleteUser",
    "identitystore:GetGroupId",
    "identitystore:DescribeGroup",
    "identitystore:GetGroupMembershipId",
    "identitystore:CreateGroupMembership",
    "identitystore:DeleteGroupMembership",
    "identitystore:ListGroupMembershipsForMember",
    "sso:ListPermissionSets",
    "sso:DescribePermissionSet",
    "sso:CreateAccountAssignment",
    "sso:DeleteAccountAssignment",
    "sso:ListAccountAssignmentsForPrincipal",
    "sso:DescribeAccountAssignmentCreationStatus",
    "sso:DescribeAccountAssignmentDeletionStatus",
)

LAMBDAS: tuple[LambdaSpec, ...] = (
    LambdaSpec(
        name="OnboardingValidate",
        handler="functions.onboarding.handlers.validate",
        description="Checks an onboarding request (form fields, domain, team, GitHub user, Okta) and plans it",
        timeout_s=60,
        secrets=(*_OKTA, *_GITHUB),
        resources=_LEDGER,
        workflows=("onboarding",),
    ),
    LambdaSpec(
        name="OnboardingCreateOktaUser",
        handler="functions.onboarding.handlers.create_okta_user",
        description="Creates and activates the new hire's Okta user (idempotent)",
        timeout_s=60,
        secrets=_OKTA,
        resources=_LEDGER,
        workflows=("onboarding",),
    ),
    LambdaSpec(
        name="OnboardingAssignOktaGroups",
        handler="functions.onboarding.handlers.assign_okta_groups",
        description="Adds the new hire to the team's Okta groups",
        timeout_s=60,
        secrets=_OKTA,
        resources=_LEDGER,
        workflows=("onboarding",),
    ),
    LambdaSpec(
        name="OnboardingGrantAwsAccess",
        handler="functions.onboarding.handlers.grant_aws_access",
        description="IAM Identity Center user, group memberships and permission-set assignments",
        timeout_s=60,
        resources=_LEDGER,
        aws_actions=IDENTITY_CENTER_ACTIONS,
        aws_scope="identity_center",
        workflows=("onboarding",),
    ),
    LambdaSpec(
        name="OnboardingAddGitHubTeams",
        handler="functions.onboarding.handlers.add_github_teams",
        description="Invites to the GitHub organisation and adds to the team's GitHub teams",
        timeout_s=60,
        secrets=_GITHUB,
        resources=_LEDGER,
        workflows=("onboarding",),
    ),
    LambdaSpec(
        name="OnboardingSendWelcome",
        handler="functions.onboarding.handlers.send_welcome",
        description="Sends the welcome email through SendGrid, once per request",
        secrets=("sendgrid.secret_name",),
        resources=_LEDGER,
        workflows=("onboarding",),
    ),
    LambdaSpec(
        name="OnboardingNotifySlack",
        handler="functions.onboarding.handlers.notify_slack",
        description="Announces the new hire in the team's Slack channel, once per request",
        secrets=("slack.secret_name",),
        resources=_LEDGER,
        workflows=("onboarding",),
    ),
    LambdaSpec(
        name="OnboardingFinish",
        handler="functions.onboarding.handlers.finish",
        description="Comments the summary on the request issue and closes it (or answers in Slack)",
        secrets=_GITHUB,
        resources=_LEDGER,
        workflows=("onboarding",),
    ),
)
