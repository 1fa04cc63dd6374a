"""Offboarding's Lambdas (the shared people steps are in functions/people/lambdas.py)."""

from __future__ import annotations

from functions.core.spec import LambdaSpec, Resource
from functions.onboarding.lambdas import IDENTITY_CENTER_ACTIONS

_LEDGER: tuple[Resource, ...] = ("approvals",)
_WORKFLOWS = ("offboarding",)

LAMBDAS: tuple[LambdaSpec, ...] = (
    LambdaSpec(
        name="OffboardingValidate",
        handler="functions.offboarding.handlers.validate",
        description="Checks an offboarding request (form fields, domain, Okta user, GitHub user) and plans it",
        timeout_s=60,
        secrets=("okta.secret_name", "github.secret_name"),
        resources=_LEDGER,
        workflows=_WORKFLOWS,
    ),
    LambdaSpec(
        name="OffboardingDeactivateOkta",
        handler="functions.offboarding.handlers.deactivate_okta",
        description="Clears the leaver's Okta sessions and deactivates the user",
        timeout_s=60,
        secrets=("okta.secret_name",),
        resources=_LEDGER,
        workflows=_WORKFLOWS,
    ),
    LambdaSpec(
        name="OffboardingRemoveOktaGroups",
        handler="functions.offboarding.handlers.remove_okta_groups",
        description="Removes the leaver from every Okta group",
        timeout_s=60,
        secrets=("okta.secret_name",),
        resources=_LEDGER,
        workflows=_WORKFLOWS,
    ),
    LambdaSpec(
        name="OffboardingRemoveAwsAccess",
        handler="functions.offboarding.handlers.remove_aws_access",
        description="Removes Identity Center memberships and assignments; deactivates IAM access keys",
        timeout_s=120,
        resources=_LEDGER,
        aws_actions=IDENTITY_CENTER_ACTIONS,
        aws_scope="identity_center",
        # Classic IAM users are found by name: any user of the account may be a leaver's.
        unscoped_actions=("iam:GetUser", "iam:ListAccessKeys", "iam:GetAccessKeyLastUsed", "iam:UpdateAccessKey"),
        workflows=_WORKFLOWS,
    ),
    LambdaSpec(
        name="OffboardingRemoveGitHub",
        handler="functions.offboarding.handlers.remove_github",
        description="Removes the leaver from the GitHub organisation",
        secrets=("github.secret_name",),
        resources=_LEDGER,
        workflows=_WORKFLOWS,
    ),
    LambdaSpec(
        name="OffboardingRemovePagerDuty",
        handler="functions.offboarding.handlers.remove_pagerduty",
        description="Removes the PagerDuty user, or reports the schedules that keep it",
        secrets=("pagerduty.secret_name",),
        resources=_LEDGER,
        workflows=_WORKFLOWS,
    ),
    LambdaSpec(
        name="OffboardingNotify",
        handler="functions.offboarding.handlers.notify",
        description="Notice to Slack and a summary email to the manager",
        secrets=("slack.secret_name", "sendgrid.secret_name"),
        resources=_LEDGER,
        workflows=_WORKFLOWS,
    ),
    LambdaSpec(
        name="OffboardingFinish",
        handler="functions.offboarding.handlers.finish",
        description="Comments the summary on the request issue and closes it (or answers in Slack)",
        secrets=("github.secret_name",),
        resources=_LEDGER,
        workflows=_WORKFLOWS,
    ),
)
