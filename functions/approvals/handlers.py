"""The RequestApproval step, shared by every workflow that waits for a person."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.utilities.typing import LambdaContext

from functions.adapters import vendors
from functions.approvals.request import ApprovalAsk, request_approval
from functions.core.envelope import Task
from functions.core.observability import step
from functions.core.runtime import config, logger


@step(ApprovalAsk)
def request(task: Task[ApprovalAsk], _: LambdaContext) -> dict[str, Any]:
    directory = vendors.directory(links=("slack",))
    posted = request_approval(task, vendors.slack(), directory, config().slack.channels.approvals)
    logger.info(
        "approval requested", extra={"approval_id": posted["approval_id"], "approvers": len(posted["approvers"])}
    )
    return posted
