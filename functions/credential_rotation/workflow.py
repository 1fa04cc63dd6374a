"""Credential rotation: on a schedule (or `/platform credentials rotate <name>`), each credential
that is due is rotated after Secrets Manager's contract: the new value is created as AWSPENDING,
set at the vendor, tested, and made AWSCURRENT (AWSPREVIOUS and RETIRING kept on the old one);
after a grace period (a Wait state) the old one is retired: an old SendGrid key deleted, an old
webhook secret no longer accepted, an old Okta service app key deactivated and deleted, an old
IAM key deactivated once its last use stops moving, and deleted days later. A failing test rolls
back: the old credential stays current, the new one is removed, the security channel is told.
Credentials no API rotates (Slack's signing secret, the GitHub App key) are tracked, and their
owners asked in Slack before they are due. One rotation per credential at a time (lock.py).
`/platform credentials` lists every credential's age, last and next rotation and owner."""

from __future__ import annotations

from functions.core.manifest import (
    NAME,
    REQUESTS,
    SCHEDULE,
    Route,
    Schedule,
    SlackCommand,
    Workflow,
    ended_badly_pattern,
)
from functions.core.spec import LambdaSpec

_READ = ("secretsmanager:ListSecretVersionIds", "secretsmanager:GetSecretValue", "secretsmanager:DescribeSecret")
_WRITE = (*_READ, "secretsmanager:PutSecretValue", "secretsmanager:UpdateSecretVersionStage")
_KEYS = ("iam:ListAccessKeys", "iam:GetAccessKeyLastUsed", "iam:GetUser")
_VENDOR_SECRETS = ("github.secret_name", "sendgrid.secret_name")


def _step(name: str, handler: str, description: str, actions: tuple[str, ...], **extra: object) -> LambdaSpec:
    return LambdaSpec(
        name=f"CredentialRotation{name}",
        handler=f"functions.credential_rotation.handlers.{handler}",
        description=description,
        secrets=_VENDOR_SECRETS,
        aws_actions=actions,
        aws_scope="credentials",
        resources=("audit_table",),
        **extra,  # type: ignore[arg-type]
    )


LAMBDAS: tuple[LambdaSpec, ...] = (
    LambdaSpec(
        name="CredentialRotationPlan",
        handler="functions.credential_rotation.handlers.plan",
        description="Finds what is due, what is half-rotated, and whom to remind",
        aws_actions=(*_READ, *_KEYS),
        aws_scope="credentials",
        resources=("state_table",),  # the lease on each credential it rotates (lock.py)
    ),
    _step("Create", "create", "Creates the new credential as AWSPENDING", (*_WRITE, *_KEYS, "iam:CreateAccessKey")),
    _step("Set", "set_at_vendor", "Sets the new credential where the vendor or consumer reads it", _WRITE),
    _step("Test", "test", "Proves the new credential works", (*_READ, *_KEYS)),
    _step("Finish", "finish", "Moves AWSCURRENT to the new version, marks the old one RETIRING", _WRITE),
    _step("Retire", "retire", "Retires the old credential after its grace period", _WRITE),
    _step("CheckKeyUse", "check_key_use", "Reads when the old IAM key was last used", (*_READ, *_KEYS)),
    _step(
        "DeactivateOldKey",
        "deactivate_old_key",
        "Deactivates the idle old IAM key",
        (*_WRITE, *_KEYS, "iam:UpdateAccessKey"),
    ),
    _step(
        "DeleteOldKey", "delete_old_key", "Deletes the deactivated old IAM key", (*_READ, *_KEYS, "iam:DeleteAccessKey")
    ),
    _step(
        "Rollback",
        "rollback",
        "Removes the new credential; the old one stays current",
        (*_WRITE, *_KEYS, "iam:DeleteAccessKey"),
    ),
    LambdaSpec(
        name="CredentialRotationEnded",
        handler="functions.credential_rotation.handlers.ended",
        description="Gives back the leases of a rotation that was aborted, timed out or failed before its report",
        timeout_s=30,
        resources=("state_table",),
    ),
    LambdaSpec(
        name="CredentialRotationReport",
        handler="functions.credential_rotation.handlers.report",
        description="Reports the run, tells the security channel and reminds owners, keeps the evidence",
        secrets=("slack.secret_name",),
        resources=("audit_table", "evidence_bucket", "state_table"),
    ),
)

WORKFLOW = Workflow(
    name="credential_rotation",
    description="Rotate the platform's own secrets and its machine users' keys without a dropped request",
    lambdas=LAMBDAS,
    routes=(
        Route(
            "CredentialRotationScheduled",
            "The schedule rotates what is due and reminds owners",
            {"source": [SCHEDULE], "detail-type": ["schedule.credential_rotation"]},
            workflow="credential_rotation",
        ),
        Route(
            "CredentialRotationRequested",
            "/platform credentials [rotate <name>]",
            {"source": [REQUESTS], "detail-type": ["credential_rotation.requested"]},
            workflow="credential_rotation",
        ),
        Route(
            "CredentialRotationEnded",
            "A rotation stopped before its report: its credentials are free to rotate again at once",
            ended_badly_pattern("credential_rotation"),
            function="CredentialRotationEnded",
        ),
    ),
    schedules=(Schedule("credential_rotation", event="scheduler/credential_rotation.json"),),
    command=SlackCommand(
        name="credentials",
        usage="/platform credentials [rotate <name>]",
        summary="list every credential's age and next rotation, or rotate one now",
        rest=("args", NAME),
        to_input="functions.credential_rotation.intake.command_input",
    ),
    samples=(
        "scheduler/credential_rotation.json",
        "scheduler/credential_rotation_sendgrid.json",
        "scheduler/credential_rotation_webhook.json",
        "scheduler/credential_rotation_ci_key.json",
        "scheduler/credential_rotation_okta.json",
    ),
    config_section="credentials",
)
