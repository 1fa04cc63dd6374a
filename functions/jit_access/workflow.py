"""Just-in-time privileged access: `/platform access <grant> <duration> <reason>` -> the requester
resolved through the identity directory (active in Okta, member of the grant's team; on call for
break-glass) -> approval in Slack (outside jit.single_approver_hours a second, different approver
too; break-glass: none, the on-call is paged) -> the Identity Center
account assignment (followed until it succeeded) or the Okta group membership -> the requester
told where and until when -> Wait states until the reminder (with an Extend button) and the
expiry (an extension moves it) -> revocation, verified gone, on every path (a failure after the grant included) -> the
session's CloudTrail activity summarised, kept as evidence, break-glass sent for review.
`list`, `revoke <id>` and `extend <id> <duration>` act on live grants; the jit_sweep schedule
revokes any grant past its expiry or whose execution no longer runs."""

from __future__ import annotations

import re

from functions.core.manifest import REQUESTS, SCHEDULE, Route, Schedule, SlackCommand, Workflow
from functions.core.spec import IDENTITY_CENTER_READ, LambdaSpec

WORD = re.compile(r"^\S{1,200}$")
OKTA_SLACK = ("slack.secret_name", "okta.secret_name")

LAMBDAS: tuple[LambdaSpec, ...] = (
    LambdaSpec(
        name="JitAccessPlan",
        handler="functions.jit_access.handlers.plan",
        description="Resolves the requester, checks eligibility, duration and reason; plans lists, revokes, extensions",
        secrets=(*OKTA_SLACK, "pagerduty.secret_name"),
        resources=("state_table", "state_machines"),
        aws_actions=(*IDENTITY_CENTER_READ, "states:DescribeExecution"),
        aws_scope="identity_center",
    ),
    LambdaSpec(
        name="JitAccessNotify",
        handler="functions.jit_access.handlers.notify",
        description="Tells the requester (granted, denied, timed out, extended); pages and reports break-glass",
        secrets=("slack.secret_name", "pagerduty.secret_name"),
        resources=("audit_table",),
    ),
    LambdaSpec(
        name="JitAccessGrant",
        handler="functions.jit_access.handlers.grant",
        description="Records the grant, then creates the account assignment or the Okta group membership",
        secrets=("okta.secret_name",),
        resources=("audit_table", "state_table"),
        aws_actions=(*IDENTITY_CENTER_READ, "sso:CreateAccountAssignment"),
        aws_scope="identity_center",
    ),
    LambdaSpec(
        name="JitAccessCheckGrant",
        handler="functions.jit_access.handlers.check_grant",
        description="Follows CreateAccountAssignment until it succeeded",
        aws_actions=IDENTITY_CENTER_READ,
        aws_scope="identity_center",
    ),
    LambdaSpec(
        name="JitAccessWatch",
        handler="functions.jit_access.handlers.watch",
        description="Reads the live grant: wait until the reminder or the expiry, remind, or revoke",
        secrets=("slack.secret_name",),
        resources=("state_table",),
    ),
    LambdaSpec(
        name="JitAccessExtend",
        handler="functions.jit_access.handlers.extend",
        description="Moves a live grant's expiry (within its maximum, or as approved)",
        resources=("audit_table", "state_table"),
    ),
    LambdaSpec(
        name="JitAccessRevoke",
        handler="functions.jit_access.handlers.revoke",
        description="Deletes the account assignment or the Okta group membership and marks the grant revoked",
        secrets=("okta.secret_name",),
        resources=("audit_table", "state_table"),
        aws_actions=(*IDENTITY_CENTER_READ, "sso:DeleteAccountAssignment"),
        aws_scope="identity_center",
    ),
    LambdaSpec(
        name="JitAccessCheckRevoke",
        handler="functions.jit_access.handlers.check_revoke",
        description="Reads the assignment (or membership) again until it is gone",
        secrets=("okta.secret_name",),
        aws_actions=IDENTITY_CENTER_READ,
        aws_scope="identity_center",
    ),
    LambdaSpec(
        name="JitAccessSummarize",
        handler="functions.jit_access.handlers.summarize",
        description="Summarises the session's CloudTrail activity, keeps it as evidence, posts it",
        timeout_s=120,
        secrets=("slack.secret_name",),
        resources=("audit_table", "evidence_bucket"),
        # LookupEvents has no resource-level permissions.
        unscoped_actions=("cloudtrail:LookupEvents",),
    ),
    LambdaSpec(
        name="JitAccessFinish",
        handler="functions.jit_access.handlers.finish",
        description="Reports revocations that could not be verified; ends the execution failed when one did",
        secrets=("slack.secret_name",),
    ),
)

WORKFLOW = Workflow(
    name="jit_access",
    description="Just-in-time privileged access: approved in Slack, granted for a while, revoked for sure",
    lambdas=LAMBDAS,
    uses=("RequestApproval",),
    routes=(
        Route(
            "JitAccessRequested",
            "/platform access ...",
            {"source": [REQUESTS], "detail-type": ["jit_access.requested"]},
            workflow="jit_access",
        ),
        Route(
            "JitAccessSweep",
            "The sweeper revokes grants past their expiry, or whose execution no longer runs",
            {"source": [SCHEDULE], "detail-type": ["schedule.jit_sweep"]},
            workflow="jit_access",
        ),
    ),
    schedules=(Schedule("jit_sweep", event="scheduler/jit_sweep.json"),),
    command=SlackCommand(
        name="access",
        usage="/platform access <grant> <duration> <reason> | list | revoke <id> | extend <id> <duration>",
        summary="just-in-time privileged access: approved (by two outside jit.single_approver_hours), "
        "an Extend button before expiry, revoked at expiry",
        rest=("args", WORD),
        to_input="functions.jit_access.intake.command_input",
        default_access=("*",),
    ),
    approval=True,
    samples=(
        "slack/access_request.json",
        "slack/access_extend.json",
        "slack/access_revoke.json",
        "scheduler/jit_sweep.json",
    ),
    config_section="jit",
)
