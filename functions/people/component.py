"""The Lambdas onboarding and offboarding share: intake and the ways a request ends."""

from __future__ import annotations

from functions.core.manifest import GITHUB, Component, Route
from functions.core.spec import IDENTITY_CENTER_ACTIONS, LambdaSpec

LAMBDAS: tuple[LambdaSpec, ...] = (
    LambdaSpec(
        name="RequestIntake",
        handler="functions.people.handlers.intake",
        description="Turns an onboarding/offboarding issue form from a permitted filer into a request event",
        # GitHub and Okta: who filed it, and may they (github.request_filers); the audit of a refusal.
        secrets=("github.secret_name", "okta.secret_name"),
        resources=("event_bus", "audit_table"),
    ),
    LambdaSpec(
        name="PeopleReportInvalid",
        handler="functions.people.handlers.report_invalid",
        description="Comments every validation problem on the request and labels it needs-info",
        secrets=("github.secret_name",),
        resources=("approvals", "audit_table"),
    ),
    LambdaSpec(
        name="PeopleReportDecision",
        handler="functions.people.handlers.report_decision",
        description="Reports a denied or timed-out approval on the request and closes it",
        secrets=("github.secret_name",),
        resources=("approvals", "audit_table"),
    ),
    LambdaSpec(
        name="PeopleCompensate",
        handler="functions.people.handlers.compensate",
        description="Undoes, newest first, what a failed execution created",
        timeout_s=120,
        secrets=("okta.secret_name", "github.secret_name"),
        resources=("approvals", "audit_table"),
        aws_actions=IDENTITY_CENTER_ACTIONS,
        aws_scope="identity_center",
    ),
    LambdaSpec(
        name="PeopleReportFailure",
        handler="functions.people.handlers.report_failure",
        description="Reports what was done, what failed and what was undone, on the request and in Slack",
        secrets=("github.secret_name", "slack.secret_name"),
        resources=("approvals", "audit_table"),
    ),
)

COMPONENT = Component(
    name="people",
    lambdas=LAMBDAS,
    routes=(
        Route(
            "PeopleRequestIssue",
            "An onboarding or offboarding issue form was opened, labelled or edited",
            {
                "source": [GITHUB],
                "detail-type": ["issues.opened", "issues.reopened", "issues.labeled", "issues.edited"],
                "detail": {"issue": {"labels": ["onboarding", "offboarding"]}},
            },
            function="RequestIntake",
        ),
    ),
)
