"""Access review: monthly (the first Monday) or `/platform access-review [system|team ...]`, one
campaign across Okta, GitHub, AWS (IAM and Identity Center), Slack and PagerDuty. Collect: each
system's accounts and grants, listed whole at the vendor's largest page, into a snapshot in the
evidence bucket (a Map over systems; the state carries references). Findings: the snapshot joined
through the identity directory, the configured rules (orphaned accounts, inactive people, stale
credentials, missing MFA, drift from the teams' configuration, too many GitHub owners, outside
collaborators and old invitations), each with its person, system, grant, evidence and suggested
decision. Review: one Slack message per reviewer (the person's manager, else their team's
approvers, never the person), Keep / Revoke per item and "revoke all suggested", a reminder
before the deadline, escalation and the configured default after it. Revoke: through the change
primitive, each revocation read again to verify it. Evidence: snapshot, findings, decisions,
revocations, CSV, HTML and a SHA-256 manifest, and a summary in the security channel."""

from __future__ import annotations

from functions.core.manifest import NAME, REQUESTS, SCHEDULE, Route, Schedule, SlackCommand, Workflow
from functions.core.spec import IDENTITY_CENTER_REVOKE, LambdaSpec

_READ_AWS = (
    "iam:GenerateCredentialReport",
    "iam:GetCredentialReport",
    "iam:GetAccountAuthorizationDetails",
    "identitystore:ListUsers",
    "identitystore:ListGroups",
    "identitystore:ListGroupMemberships",  # per group: the memberships a team may not explain (drift)
)
_SAAS = ("okta.secret_name", "github.secret_name", "slack.secret_name", "pagerduty.secret_name")


def _handler(name: str) -> str:
    return f"functions.access_review.handlers.{name}"


LAMBDAS: tuple[LambdaSpec, ...] = (
    LambdaSpec(
        name="AccessReviewStart",
        handler=_handler("start"),
        description="Names the campaign and the systems it reviews",
    ),
    LambdaSpec(
        name="AccessReviewCollect",
        handler=_handler("collect"),
        description="Lists one system's accounts and grants into the campaign's snapshot (S3, JSON lines)",
        timeout_s=600,
        memory_mb=512,
        secrets=_SAAS,
        unscoped_actions=_READ_AWS,
        # Account assignments, listed per account and permission set (Identity Center drift).
        aws_actions=("sso:ListPermissionSets", "sso:DescribePermissionSet", "sso:ListAccountAssignments"),
        aws_scope="identity_center",
        # state_table: what the credential rotation last recorded about each credential, and the
        # just-in-time grants active now (functions/core/jit_grants.py).
        resources=("evidence_bucket", "state_table"),
    ),
    LambdaSpec(
        name="AccessReviewFindings",
        handler=_handler("findings"),
        description="Joins the snapshot through the identity directory and applies the review's rules",
        timeout_s=300,
        memory_mb=512,
        resources=("evidence_bucket",),
    ),
    LambdaSpec(
        name="AccessReviewAsk",
        handler=_handler("ask"),
        description="Stores the review items and posts one Slack message per reviewer",
        timeout_s=300,
        secrets=("okta.secret_name", "slack.secret_name"),
        resources=("audit_table", "state_table", "evidence_bucket"),
    ),
    LambdaSpec(
        name="AccessReviewAwait",
        handler=_handler("await_decisions"),
        description="Keeps the task token the last decision resumes the campaign with",
        resources=("state_table",),
    ),
    LambdaSpec(
        name="AccessReviewRemind",
        handler=_handler("remind"),
        description="Reminds reviewers of their undecided items",
        secrets=("slack.secret_name",),
        resources=("audit_table", "state_table"),
    ),
    LambdaSpec(
        name="AccessReviewClose",
        handler=_handler("close"),
        description="At the deadline: escalates undecided items and applies the configured default",
        secrets=("slack.secret_name",),
        resources=("audit_table", "state_table"),
    ),
    LambdaSpec(
        name="AccessReviewRevoke",
        handler=_handler("revoke"),
        description="Revokes what reviewers revoked and reads each system again to verify it",
        timeout_s=600,
        secrets=("okta.secret_name", "github.secret_name", "pagerduty.secret_name"),
        # Only the IAM users of people the platform manages (tagged with an organisation email),
        # never a CI or break-glass user (infra/functions.py, people_iam_actions).
        people_iam_actions=("iam:ListAccessKeys", "iam:GetAccessKeyLastUsed", "iam:UpdateAccessKey"),
        aws_actions=IDENTITY_CENTER_REVOKE,  # an account assignment the person's team does not explain
        aws_scope="identity_center",
        resources=("audit_table", "state_table", "evidence_bucket"),
    ),
    LambdaSpec(
        name="AccessReviewReport",
        handler=_handler("report"),
        description="Writes the evidence (CSV, HTML, SHA-256 manifest) and the summary in the security channel",
        timeout_s=300,
        secrets=("slack.secret_name",),
        resources=("audit_table", "evidence_bucket"),
    ),
)

WORKFLOW = Workflow(
    name="access_review",
    description="One access review across every system, decided in Slack, revoked, verified, with evidence",
    lambdas=LAMBDAS,
    routes=(
        Route(
            "AccessReviewScheduled",
            "The monthly schedule starts a campaign",
            {"source": [SCHEDULE], "detail-type": ["schedule.access_review"]},
            workflow="access_review",
        ),
        Route(
            "AccessReviewRequested",
            "/platform access-review",
            {"source": [REQUESTS], "detail-type": ["access_review.requested"]},
            workflow="access_review",
        ),
    ),
    schedules=(Schedule("access_review", event="scheduler/access_review.json"),),
    command=SlackCommand(
        name="access-review",
        usage="/platform access-review [system|team ...]",
        summary="start an access review campaign (every system, or the systems or team named)",
        rest=("scope", NAME),
        to_input="functions.access_review.intake.command_input",
    ),
    samples=("scheduler/access_review.json",),
    config_section="access_review",
)
