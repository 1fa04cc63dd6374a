"""The rotation's steps, after Secrets Manager's rotation contract: create (the new value as
AWSPENDING), set (at the vendor), test (the new value works), finish (AWSCURRENT moves to it,
AWSPREVIOUS and RETIRING stay on the old one), then retire the old one after its grace period.

Each step is idempotent: it looks at the secret's labels first, so a retried step, or the next
execution resuming a rotation stopped half-way, carries on where the last one stopped. Every
change goes through the change context (audited; "would ..." in a dry run). No step returns a
secret value: only version ids and key ids reach the execution's state.
"""

from __future__ import annotations

import secrets
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from functions.adapters.aws_access_keys import MAX_KEYS
from functions.adapters.aws_secrets import CURRENT, PENDING, RETIRING
from functions.adapters.github import Webhook
from functions.adapters.github_credentials import ActionsTarget
from functions.core.change import ChangeContext
from functions.core.config import Credential, PlatformConfig
from functions.credential_rotation import okta_key
from functions.credential_rotation.inventory import FIELD
from functions.credential_rotation.models import Created, Job, Outcome, Usage

if TYPE_CHECKING:
    from functions.adapters.aws_access_keys import AccessKeys
    from functions.adapters.aws_secrets import SecretVersions
    from functions.adapters.github_credentials import GitHubCredentials
    from functions.adapters.okta_keys import OktaKeys
    from functions.adapters.sendgrid_keys import SendGridKeys

ACTOR = "credential-rotation"
_TOKENS = uuid.UUID("5b0c6a52-3f0e-4d7e-9a53-6f1f8f3b2c11")  # namespace of the rotations' version ids


class CredentialTestFailedError(Exception):
    """The new credential does not work: the rotation rolls back, the old one stays current."""


class CredentialNotReadyError(Exception):
    """The new credential is not usable yet (IAM keys take seconds to propagate): retried."""


class RotationConflictError(Exception):
    """The credential is not in a state this step can safely act on; a person must look."""


@dataclass
class Vendors:
    """The adapters the steps use; built lazily, so a step builds only what its kind needs."""

    versions: SecretVersions
    keys: Callable[[], AccessKeys]
    sendgrid: Callable[[], SendGridKeys]
    github: Callable[[], GitHubCredentials]
    okta: Callable[[], OktaKeys]

    @classmethod
    def live(cls) -> Vendors:
        """The adapters of this configuration (functions.adapters.vendors)."""
        from functions.adapters import vendors

        return cls(
            versions=vendors.secret_versions(),
            keys=vendors.access_keys,
            sendgrid=vendors.sendgrid_keys,
            github=vendors.github_credentials,
            okta=vendors.okta_keys,
        )


def token(execution_id: str, job: Job) -> str:
    """The pending version's id: the same for every try of this execution's create step."""
    return str(uuid.uuid5(_TOKENS, f"{execution_id}/{job.name}"))


def _versions(job: Job, vendors: Vendors) -> tuple[str, str | None, str | None]:
    state = vendors.versions.state(job.secret_name)
    if state is None or state.version(CURRENT) is None:
        raise RotationConflictError(f"secret {job.secret_name} has no AWSCURRENT version")
    current = state.version(CURRENT) or ""
    pending = state.version(PENDING)
    retiring = state.version(RETIRING)
    return current, pending if pending != current else None, retiring if retiring != current else None


def _credential(config: PlatformConfig, job: Job) -> Credential:
    return next(c for c in config.credentials.inventory if c.name == job.name)


# --- create --------------------------------------------------------------------------------------
def create(job: Job, execution_id: str, changes: ChangeContext, vendors: Vendors) -> Created:
    current_version, pending, _ = _versions(job, vendors)
    if pending:
        value = vendors.versions.value(job.secret_name, version=pending)
        return Created(version=pending, new_id=_key_id(job, value), resumed=True, note="resumed AWSPENDING")
    if job.stage == "resume":
        raise RotationConflictError(f"{job.name}: no AWSPENDING version to resume")
    current = vendors.versions.value(job.secret_name, version=current_version)
    version = token(execution_id, job)
    if changes.dry_run:
        changes.change("aws", "secretsmanager:PutSecretValue", job.secret_name, lambda: None, line=_line(job))
        return Created(skipped=True, note=changes.summary[-1])
    new = _new_value(job, current, changes, vendors)
    changes.change(
        "aws",
        "secretsmanager:PutSecretValue",
        job.secret_name,
        lambda: vendors.versions.put_pending(job.secret_name, version, new),
        line=_line(job),
        after={"version": version, "stage": PENDING},
    )
    return Created(version=version, new_id=_key_id(job, new))


def _line(job: Job) -> str:
    return f"created the new {job.kind} of {job.name} as AWSPENDING of {job.secret_name}"


def _key_id(job: Job, value: dict[str, Any]) -> str | None:
    key = {"sendgrid_api_key": "api_key_id", "iam_access_key": "access_key_id", okta_key.KIND: "key_id"}.get(job.kind)
    return str(value[key]) if key and value.get(key) else None


def _new_value(job: Job, current: dict[str, Any], changes: ChangeContext, vendors: Vendors) -> dict[str, Any]:
    if job.kind == "github_webhook_secret":
        return {**current, "webhook_secret": secrets.token_hex(32)}
    if job.kind == "sendgrid_api_key":
        return {**current, **_new_sendgrid_key(job, current, changes, vendors)}
    if job.kind == "iam_access_key":
        return {**current, **_new_access_key(job, current, changes, vendors)}
    if job.kind == okta_key.KIND:
        try:
            return okta_key.new_value(job, current)
        except okta_key.KeyMissingError as exc:
            raise RotationConflictError(str(exc)) from None
    raise RotationConflictError(f"{job.name}: a {job.kind} is rotated by its owner, not by the platform")


def _new_sendgrid_key(job: Job, current: dict[str, Any], changes: ChangeContext, vendors: Vendors) -> dict[str, str]:
    old_id = current.get("api_key_id")
    if not old_id:
        raise RotationConflictError(
            f"secret {job.secret_name} has no api_key_id: add the id of its current key (SendGrid → API Keys)"
        )
    sendgrid = vendors.sendgrid()
    old = sendgrid.get(str(current["api_key"]), str(old_id))
    if old is None:
        raise RotationConflictError(f"SendGrid has no key {old_id}, the one {job.secret_name} names")
    name = f"{old.name.split(' (rotated')[0]} (rotated {changes.execution_id[-12:]})"[:100]
    made = changes.change(
        "sendgrid",
        "api_keys:create",
        name,
        lambda: sendgrid.create(str(current["api_key"]), name, old.scopes),
        line=f"created SendGrid key {name!r} with the scopes of key {old_id}",
        after_of=lambda result: {"api_key_id": result[0].id, "scopes": list(result[0].scopes)},
    )
    assert made is not None  # not a dry run: create returned before
    return {"api_key": made[1], "api_key_id": made[0].id}


def _new_access_key(job: Job, current: dict[str, Any], changes: ChangeContext, vendors: Vendors) -> dict[str, str]:
    user = job.user or ""
    keys = vendors.keys()
    existing = keys.keys(user)
    if len(existing) >= MAX_KEYS:
        others = [k.id for k in existing if k.id != current.get("access_key_id")]
        raise RotationConflictError(
            f"IAM user {user} has two access keys already; the one not in {job.secret_name} ({', '.join(others)})"
            " must be deleted before a rotation can create the new one"
        )
    made = changes.change(
        "aws",
        "iam:CreateAccessKey",
        user,
        lambda: keys.create(user),
        line=f"created a second access key for IAM user {user}",
        after_of=lambda result: {"access_key_id": result[0]},
    )
    assert made is not None  # not a dry run: create returned before
    return {"access_key_id": made[0], "secret_access_key": made[1]}


# --- set -----------------------------------------------------------------------------------------
def set_at_vendor(job: Job, config: PlatformConfig, changes: ChangeContext, vendors: Vendors) -> Outcome:
    _, pending, _ = _versions(job, vendors)
    if pending is None:
        return Outcome(done=False, note="nothing pending (finished already)")
    value = vendors.versions.value(job.secret_name, version=pending)
    if job.kind == "github_webhook_secret":
        hook = _hook(config)
        changes.change(
            "github",
            "hooks:update-config",
            f"hook {hook.hook_id}",
            lambda: vendors.github().set_hook_secret(hook, str(value["webhook_secret"])),
            line=f"set the new webhook secret on GitHub hook {hook.hook_id}",
        )
        return Outcome(note=f"GitHub signs deliveries of hook {hook.hook_id} with the new secret")
    if job.kind == "iam_access_key":
        target = _credential(config, job).github_actions
        if target is None:
            return Outcome(note=f"consumers read {job.secret_name} (AWSCURRENT)")
        _put_actions_secrets(job, config, value, changes, vendors)
        return Outcome(note=f"stored as GitHub Actions secrets of {target.repo or config.github.org}")
    if job.kind == okta_key.KIND:
        current = vendors.versions.value(job.secret_name)
        return Outcome(note=okta_key.set_key(job, current, value, changes, vendors.okta()))
    return Outcome(note="the vendor holds it already")


def _put_actions_secrets(
    job: Job, config: PlatformConfig, value: dict[str, Any], changes: ChangeContext, vendors: Vendors
) -> None:
    target = _credential(config, job).github_actions
    if target is None:
        return
    where = ActionsTarget(repo=target.repo, org=None if target.repo else config.github.org)
    for name, key in ((target.access_key_id, "access_key_id"), (target.secret_access_key, "secret_access_key")):
        changes.change(
            "github",
            "actions:set-secret",
            f"{target.repo or config.github.org}/{name}",
            lambda name=name, key=key: vendors.github().put_secret(where, name, str(value[key])),  # type: ignore[misc]
            line=f"stored {name} of {job.name} as a GitHub Actions secret of {target.repo or config.github.org}",
        )


def _hook(config: PlatformConfig) -> Webhook:
    hook = config.github.webhook
    if hook is None:
        raise RotationConflictError("github.webhook is not configured")
    return Webhook(hook.hook_id, repo=hook.repo, org=None if hook.repo else config.github.org)


# --- test ----------------------------------------------------------------------------------------
def test(job: Job, config: PlatformConfig, vendors: Vendors) -> Outcome:
    _, pending, _ = _versions(job, vendors)
    if pending is None:
        return Outcome(done=False, note="nothing pending (finished already)")
    value = vendors.versions.value(job.secret_name, version=pending)
    if not value.get(FIELD[job.kind]):
        raise CredentialTestFailedError(f"the AWSPENDING version of {job.secret_name} has no {FIELD[job.kind]}")
    if job.kind == "sendgrid_api_key":
        from functions.adapters.errors import VendorError

        try:
            found = vendors.sendgrid().get(str(value["api_key"]), str(value["api_key_id"]))
        except VendorError as exc:
            raise CredentialTestFailedError(f"the new SendGrid key does not work: {exc}") from None
        if found is None:
            raise CredentialTestFailedError(f"SendGrid has no key {value['api_key_id']}")
        return Outcome(note=f"the new key {found.id} authenticates, scopes {', '.join(found.scopes)}")
    if job.kind == "iam_access_key":
        return _test_access_key(job, value, vendors)
    if job.kind == okta_key.KIND:
        return Outcome(note=okta_key.test_key(job, value, vendors.okta()))
    if job.kind == "github_webhook_secret":
        from functions.adapters.secrets import accepted_values, recheck_accepted

        recheck_accepted(job.secret_name, "github")
        if str(value["webhook_secret"]) not in accepted_values(job.secret_name, "github", "webhook_secret"):
            raise CredentialTestFailedError("the ingress does not accept the new webhook secret")
        return _ping(_hook(config), vendors)
    return Outcome(note=f"stored by its owner; {FIELD[job.kind]} present")


def _ping(hook: Webhook, vendors: Vendors) -> Outcome:
    """GitHub pings the hook, signing with the secret it holds now (the new one): the ingress
    taking that delivery proves the whole path, GitHub to the signature check."""
    github = vendors.github()
    pinged_at = datetime.now(UTC)
    github.ping(hook)
    delivery = github.ping_delivery(hook, pinged_at)
    if delivery is None:
        raise CredentialNotReadyError(f"GitHub has not delivered the ping of hook {hook.hook_id} yet")
    guid, status = delivery
    if not 200 <= status < 300:
        raise CredentialTestFailedError(
            f"the ingress answered GitHub's ping {guid}, signed with the new secret, with HTTP {status or 'nothing'}"
        )
    return Outcome(note=f"GitHub's ping {guid}, signed with the new secret, was accepted (HTTP {status})")


def _test_access_key(job: Job, value: dict[str, Any], vendors: Vendors) -> Outcome:
    from functions.adapters.errors import VendorError

    keys = vendors.keys()
    try:
        arn = keys.whoami(str(value["access_key_id"]), str(value["secret_access_key"]))
    except VendorError as exc:
        if "InvalidClientTokenId" in str(exc):
            raise CredentialNotReadyError(f"the new key is not valid yet: {exc}") from None
        raise CredentialTestFailedError(f"the new key does not work: {exc}") from None
    expected = keys.user_arn(job.user or "")
    if arn != expected:
        raise CredentialTestFailedError(f"the new key signs as {arn}, not as {expected}")
    return Outcome(note=f"the new key signs as {arn}")


# --- finish --------------------------------------------------------------------------------------
def finish(job: Job, changes: ChangeContext, vendors: Vendors) -> Outcome:
    current, pending, retiring = _versions(job, vendors)
    if pending is None:
        return Outcome(done=False, note="AWSCURRENT is on the new version already")
    versions = vendors.versions
    if retiring is None:
        # First the old version's mark, so a crash here leaves a rotation that is resumed (pending
        # wins over retiring in the plan), never one that retires the credential still current.
        changes.change(
            "aws",
            "secretsmanager:UpdateSecretVersionStage",
            job.secret_name,
            lambda: versions.label(job.secret_name, RETIRING, to=current, away_from=None),
            line=f"marked the old version of {job.secret_name} {RETIRING}",
            after={"version": current, "stage": RETIRING},
        )
    changes.change(
        "aws",
        "secretsmanager:UpdateSecretVersionStage",
        job.secret_name,
        lambda: versions.label(job.secret_name, CURRENT, to=pending, away_from=current),
        line=f"moved AWSCURRENT of {job.secret_name} to the new version",
        before={"version": current},
        after={"version": pending, "stage": CURRENT},
    )
    changes.change(
        "aws",
        "secretsmanager:UpdateSecretVersionStage",
        job.secret_name,
        lambda: versions.label(job.secret_name, PENDING, to=None, away_from=pending),
        line=f"removed AWSPENDING from {job.secret_name}",
    )
    return Outcome(note=f"AWSCURRENT {pending}, AWSPREVIOUS {current}")


# --- retire (after the grace period) -------------------------------------------------------------
def retire(job: Job, changes: ChangeContext, vendors: Vendors) -> Outcome:
    """The old credential stops working: its SendGrid key is deleted; the webhook's old secret is
    no longer accepted once RETIRING leaves its version."""
    _, _, retiring = _versions(job, vendors)
    if retiring is None:
        return Outcome(done=False, note="nothing to retire")
    note = "the old secret is no longer accepted"
    if job.kind == "sendgrid_api_key":
        old = vendors.versions.value(job.secret_name, version=retiring)
        current = vendors.versions.value(job.secret_name)
        old_id = str(old.get("api_key_id") or "")
        if old_id and old_id != current.get("api_key_id"):
            sendgrid = vendors.sendgrid()
            changes.change(
                "sendgrid",
                "api_keys:delete",
                old_id,
                lambda: sendgrid.delete(str(current["api_key"]), old_id),
                line=f"deleted the old SendGrid key {old_id}",
                before={"api_key_id": old_id},
                after=None,
            )
            note = f"deleted the old key {old_id}"
    if job.kind == okta_key.KIND:
        old = vendors.versions.value(job.secret_name, version=retiring)
        current = vendors.versions.value(job.secret_name)
        note = okta_key.remove_key(job, current, old, changes, vendors.okta(), which="old") or note
    _unmark(job, retiring, changes, vendors)
    return Outcome(note=note)


def _unmark(job: Job, retiring: str, changes: ChangeContext, vendors: Vendors) -> None:
    changes.change(
        "aws",
        "secretsmanager:UpdateSecretVersionStage",
        job.secret_name,
        lambda: vendors.versions.label(job.secret_name, RETIRING, to=None, away_from=retiring),
        line=f"removed {RETIRING} from the old version of {job.secret_name}",
    )


# --- the old IAM key: idle, deactivated, deleted ---------------------------------------------------
def check_key_use(job: Job, usage: Usage | None, vendors: Vendors) -> Usage:
    """Is the old key still used? Idle when it was never used, or its last-used time did not move
    since the last check; given up on (reported, left active) after max_checks."""
    _, _, retiring = _versions(job, vendors)
    if retiring is None:
        return Usage(idle=True, polls=(usage.polls if usage else 0) + 1)
    old_id = str(vendors.versions.value(job.secret_name, version=retiring).get("access_key_id") or "")
    key = vendors.keys().key(job.user or "", old_id)
    polls = (usage.polls if usage else 0) + 1
    last = key.last_used.isoformat() if key and key.last_used else None
    previous = usage.last_used if usage else None
    idle = key is None or key.status == "Inactive" or last is None or (usage is not None and last == previous)
    return Usage(key_id=old_id, polls=polls, last_used=last, idle=idle, give_up=not idle and polls >= job.max_checks)


def deactivate_old_key(job: Job, usage: Usage, changes: ChangeContext, vendors: Vendors) -> Outcome:
    _, _, retiring = _versions(job, vendors)
    key_id = usage.key_id
    if key_id:
        keys = vendors.keys()
        key = keys.key(job.user or "", key_id)
        if key is not None and key.status == "Active":
            changes.change(
                "aws",
                "iam:UpdateAccessKey",
                f"{job.user}/{key_id}",
                lambda: keys.deactivate(job.user or "", key_id),
                line=f"deactivated the old access key {key_id} of IAM user {job.user}",
                before={"status": "Active", "last_used": usage.last_used},
                after={"status": "Inactive"},
            )
    if retiring:
        _unmark(job, retiring, changes, vendors)
    return Outcome(note=f"deactivated {key_id}; deleted in {job.delete_after_seconds // 86400} days")


def delete_old_key(job: Job, usage: Usage, changes: ChangeContext, vendors: Vendors) -> Outcome:
    key_id = usage.key_id
    if not key_id:
        return Outcome(done=False, note="no old key")
    keys = vendors.keys()
    key = keys.key(job.user or "", key_id)
    if key is None:
        return Outcome(done=False, note=f"{key_id} is gone already")
    if key.status == "Active":
        # Someone turned it back on: it is in use again, a person decides.
        return Outcome(done=False, note=f"{key_id} was reactivated since; left for its owner")
    changes.change(
        "aws",
        "iam:DeleteAccessKey",
        f"{job.user}/{key_id}",
        lambda: keys.delete(job.user or "", key_id),
        line=f"deleted the old access key {key_id} of IAM user {job.user}",
        before={"status": "Inactive"},
        after=None,
    )
    return Outcome(note=f"deleted {key_id}")


# --- rollback (the test, or an earlier step, failed) -----------------------------------------------
def rollback(job: Job, config: PlatformConfig, changes: ChangeContext, vendors: Vendors) -> Outcome:
    """The old credential stays current (and is put back wherever set put the new one); the new
    one is removed at the vendor and its AWSPENDING label dropped."""
    current_version, pending, _ = _versions(job, vendors)
    if pending is None:
        return Outcome(done=False, note="nothing pending to roll back")
    new = vendors.versions.value(job.secret_name, version=pending)
    current = vendors.versions.value(job.secret_name, version=current_version)
    undone = []
    if job.kind == "github_webhook_secret":
        hook = _hook(config)
        changes.change(
            "github",
            "hooks:update-config",
            f"hook {hook.hook_id}",
            lambda: vendors.github().set_hook_secret(hook, str(current["webhook_secret"])),
            line=f"set the current webhook secret on GitHub hook {hook.hook_id} again",
        )
        undone.append("hook secret restored")
    if job.kind == "sendgrid_api_key" and new.get("api_key_id") and new.get("api_key_id") != current.get("api_key_id"):
        sendgrid = vendors.sendgrid()
        changes.change(
            "sendgrid",
            "api_keys:delete",
            str(new["api_key_id"]),
            lambda: sendgrid.delete(str(current["api_key"]), str(new["api_key_id"])),
            line=f"deleted the new SendGrid key {new['api_key_id']}",
            after=None,
        )
        undone.append(f"new key {new['api_key_id']} deleted")
    if job.kind == "iam_access_key":
        _put_actions_secrets(job, config, current, changes, vendors)
        new_id = str(new.get("access_key_id") or "")
        if new_id and new_id != current.get("access_key_id"):
            keys = vendors.keys()
            changes.change(
                "aws",
                "iam:DeleteAccessKey",
                f"{job.user}/{new_id}",
                lambda: keys.delete(job.user or "", new_id),
                line=f"deleted the new access key {new_id} of IAM user {job.user}",
                after=None,
            )
            undone.append(f"new key {new_id} deleted")
    if job.kind == okta_key.KIND:
        removed = okta_key.remove_key(job, current, new, changes, vendors.okta(), which="new")
        undone += [removed] if removed else []
    changes.change(
        "aws",
        "secretsmanager:UpdateSecretVersionStage",
        job.secret_name,
        lambda: vendors.versions.label(job.secret_name, PENDING, to=None, away_from=pending),
        line=f"removed AWSPENDING from {job.secret_name} (the old value stays AWSCURRENT)",
    )
    return Outcome(note="; ".join([*undone, "the old credential stays current"]))


def iso(value: datetime | None) -> str | None:
    return value.isoformat() if value else None
