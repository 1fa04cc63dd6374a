"""The approval step's Lambda, shared by the workflows that wait for a person."""

from __future__ import annotations

from functions.core.manifest import Component
from functions.core.spec import LambdaSpec

LAMBDAS: tuple[LambdaSpec, ...] = (
    LambdaSpec(
        name="RequestApproval",
        handler="functions.approvals.handlers.request",
        description="Stores an approval request and posts it with Approve / Deny buttons to Slack",
        # Okta: who the requester is under every account, and which approvers are still active.
        secrets=("slack.secret_name", "okta.secret_name"),
        resources=("approvals",),
    ),
)

# Workflows that wait for a person name RequestApproval in their manifest's `uses`.
COMPONENT = Component(name="approvals", lambdas=LAMBDAS)
