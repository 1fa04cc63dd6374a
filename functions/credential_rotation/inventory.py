"""What the platform knows about each credential: where its value lives, how old it is, and what
a run should do with it (rotate, resume, retire, remind, nothing)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

from functions.adapters.aws_secrets import CURRENT, PENDING, RETIRING
from functions.core.config import CREDENTIAL_SECTION, Credential, PlatformConfig
from functions.credential_rotation.models import Job, Plan, RotationRequest, Stage

if TYPE_CHECKING:
    from functions.adapters.aws_access_keys import AccessKeys
    from functions.adapters.aws_secrets import SecretVersions, SecretVersionsState

# Kinds a vendor API rotates; the others (Slack's signing secret, the GitHub App's private key) are
# tracked and their owners asked to rotate them by hand.
ROTATED = ("sendgrid_api_key", "github_webhook_secret", "iam_access_key", "okta_service_key")
# The field of the secret that holds the credential (the rest of the secret is carried over).
FIELD = {
    "sendgrid_api_key": "api_key",
    "github_webhook_secret": "webhook_secret",
    "iam_access_key": "secret_access_key",
    "slack_signing_secret": "signing_secret",
    "github_app_key": "app_private_key",
    "okta_service_key": "private_key",
}
# How an owner rotates what no API rotates, step by step (the reminder carries them).
MANUAL_STEPS = {
    "slack_signing_secret": (
        "In api.slack.com/apps → the platform app → Basic Information → App Credentials, regenerate the"
        " Signing Secret. Store it at once as the AWSPENDING version of `{secret}` (field `signing_secret`):"
        " `aws secretsmanager put-secret-value --secret-id {secret} --version-stages AWSPENDING"
        " --secret-string file://new.json`. The ingress accepts it immediately; then run"
        " `/platform credentials rotate {name}` to make it current."
    ),
    "github_app_key": (
        "In GitHub → Settings → Developer settings → GitHub Apps → the platform app → Private keys, generate"
        " a new key. Store it as the AWSPENDING version of `{secret}` (field `app_private_key`), run"
        " `/platform credentials rotate {name}`, then delete the old key in GitHub."
    ),
}
DAY = 86400


@dataclass(frozen=True)
class Found:
    """One credential as it is now."""

    credential: Credential
    secret_name: str
    last_rotated: datetime | None
    stage: Stage | None  # an unfinished rotation: resume or retire
    problem: str | None = None


def now() -> datetime:
    return datetime.now(UTC)


def secret_name(config: PlatformConfig, credential: Credential) -> str:
    if credential.secret_name:
        return credential.secret_name
    section = getattr(config, CREDENTIAL_SECTION[credential.kind])
    return str(section.secret_name)


def find(config: PlatformConfig, credential: Credential, versions: SecretVersions, keys: AccessKeys) -> Found:
    name = secret_name(config, credential)
    state = versions.state(name)
    if state is None or state.version(CURRENT) is None:
        return Found(credential, name, None, None, f"secret {name} does not exist (or has no AWSCURRENT version)")
    return Found(credential, name, _last_rotated(credential, state, versions, keys), _unfinished(state))


def _unfinished(state: SecretVersionsState) -> Stage | None:
    current = state.version(CURRENT)
    pending = state.version(PENDING)
    # A pending version wins: a rotation stopped after marking the old version but before moving
    # AWSCURRENT must finish, not retire the credential still current.
    if pending and pending != current:
        return "resume"
    retiring = state.version(RETIRING)
    if retiring and retiring != current:
        return "retire"
    return None


def _last_rotated(
    credential: Credential, state: SecretVersionsState, versions: SecretVersions, keys: AccessKeys
) -> datetime | None:
    stored = state.created_at(CURRENT)
    if credential.kind == "iam_access_key" and credential.user:
        # The key's own age is what the 90 days are about, whenever its secret was written.
        key_id = versions.value(state.name).get("access_key_id")
        key = keys.key(credential.user, str(key_id)) if key_id else None
        if key is not None and key.created is not None:
            return key.created
    return stored


def due_at(found: Found, rotate_before_days: int) -> datetime | None:
    if found.last_rotated is None:
        return None
    early = rotate_before_days if found.credential.kind in ROTATED else 0
    return found.last_rotated + timedelta(days=found.credential.max_age_days - early)


def entry(found: Found, rotate_before_days: int, at: datetime) -> dict[str, Any]:
    """One line of `/platform credentials`: age, last rotation, next rotation, owner, status."""
    credential = found.credential
    age = (at - found.last_rotated).days if found.last_rotated else None
    due = due_at(found, rotate_before_days)
    if found.problem:
        status = "unknown"
    elif age is not None and age > credential.max_age_days:
        status = "overdue"
    elif found.stage:
        status = {"resume": "rotating", "retire": "retiring"}[found.stage]
    elif due is not None and due <= at:
        status = "due"
    else:
        status = "ok"
    return {
        "name": credential.name,
        "kind": credential.kind,
        "owner": credential.owner,
        "rotated_by": "platform" if credential.kind in ROTATED else "owner",
        "age_days": age,
        "max_age_days": credential.max_age_days,
        "last_rotated": found.last_rotated.isoformat() if found.last_rotated else None,
        "next_rotation": due.date().isoformat() if due else None,
        "status": status,
        "problem": found.problem,
    }


def plan(
    config: PlatformConfig,
    request: RotationRequest,
    execution_id: str,
    versions: SecretVersions,
    keys: AccessKeys,
) -> Plan:
    settings = config.credentials
    known = {c.name: c for c in settings.inventory}
    if request.credential and request.credential not in known:
        raise ValueError(
            f"unknown credential {request.credential!r} (known: {', '.join(sorted(known)) or 'none configured'})"
        )
    at = now()
    chosen = [known[request.credential]] if request.credential else list(known.values())
    found = [find(config, c, versions, keys) for c in chosen]
    jobs: list[Job] = []
    reminders: list[dict[str, Any]] = []
    problems = [f"{f.credential.name}: {f.problem}" for f in found if f.problem]
    if request.action == "rotate":
        for item in found:
            if item.problem:
                continue
            job = _job(config, item, request, at)
            if job is not None:
                jobs.append(job)
            elif _remind(item, settings.remind_before_days, request.force, at):
                reminders.append(_reminder(item, at))
    # The whole inventory, not only what was chosen: the report is the security engineer's view.
    listed = found if not request.credential else [find(config, c, versions, keys) for c in known.values()]
    return Plan(
        execution_id=execution_id,
        action=request.action,
        dry_run=request.dry_run,
        jobs=jobs,
        reminders=reminders,
        inventory=[entry(f, settings.rotate_before_days, at) for f in listed],
        problems=problems,
        requested_by=request.requested_by,
        origin=request.origin,
        credential=request.credential,
    )


def _job(config: PlatformConfig, item: Found, request: RotationRequest, at: datetime) -> Job | None:
    settings = config.credentials
    credential = item.credential
    stage: Stage | None = item.stage
    reason = {"resume": "an unfinished rotation (AWSPENDING) is resumed", "retire": "the old credential is retired"}
    if stage is None:
        if credential.kind not in ROTATED:
            return None
        due = due_at(item, settings.rotate_before_days)
        if request.force:
            why = f"requested by {request.requested_by or 'a person'}"
        elif due is not None and due <= at:
            why = f"{(at - item.last_rotated).days if item.last_rotated else '?'} days old, due {due.date()}"
        else:
            return None
        stage = "rotate"
    else:
        why = reason[stage]
    return Job(
        name=credential.name,
        kind=credential.kind,
        secret_name=item.secret_name,
        owner=credential.owner,
        stage=stage,
        reason=why,
        dry_run=request.dry_run,
        user=credential.user,
        propagation_seconds=settings.propagation_seconds,
        grace_seconds=settings.grace_minutes * 60,
        check_seconds=settings.key_use_check_minutes * 60,
        max_checks=max(1, settings.key_use_grace_hours * 60 // settings.key_use_check_minutes),
        delete_after_seconds=settings.delete_after_days * DAY,
    )


def _remind(item: Found, remind_before_days: int, force: bool, at: datetime) -> bool:
    if item.credential.kind in ROTATED or item.last_rotated is None:
        return False
    deadline = item.last_rotated + timedelta(days=item.credential.max_age_days)
    return force or deadline - timedelta(days=remind_before_days) <= at


def _reminder(item: Found, at: datetime) -> dict[str, Any]:
    credential = item.credential
    deadline = (item.last_rotated or at) + timedelta(days=credential.max_age_days)
    steps = MANUAL_STEPS[credential.kind].format(secret=item.secret_name, name=credential.name)
    return {
        "name": credential.name,
        "kind": credential.kind,
        "owner": credential.owner,
        "age_days": (at - item.last_rotated).days if item.last_rotated else None,
        "rotate_by": deadline.date().isoformat(),
        "overdue": deadline <= at,
        "steps": steps,
    }
