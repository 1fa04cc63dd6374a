"""Collect: one system's accounts and grants, each list read whole at the vendor's largest page,
as JSON-lines records (`kind` says which). Per-person reads are only the MFA factors of members
of `access_review.privileged_okta_groups`, counted apart (`mfa_checks`)."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

from functions.core.config import PlatformConfig

MFA_READS_AT_ONCE = 8
IDENTITY_CENTER_PAGE = 100  # the largest page ListUsers, ListGroups(Memberships), ListAccountAssignments give


@dataclass
class Collection:
    records: list[dict[str, Any]] = field(default_factory=list)
    identities: int = 0
    mfa_checks: int = 0


def _iso(value: Any) -> str | None:
    return value.isoformat() if value is not None else None


def okta(config: PlatformConfig, client: Any) -> Collection:
    out = Collection()
    users = [*client.iter_users(), *client.iter_users(filter='status eq "DEPROVISIONED"')]
    for u in users:
        out.records.append(
            {
                "kind": "user",
                "id": u.id,
                "login": u.login,
                "email": u.email.lower(),
                "first_name": u.first_name,
                "last_name": u.last_name,
                "status": u.status,
                "created": _iso(u.created),
                "last_login": _iso(u.last_login),
                "profile": dict(u.profile),
            }
        )
    out.identities = len(users)
    privileged = set(config.access_review.privileged_okta_groups)
    checked: dict[str, None] = {}
    active = {u.id for u in users if u.status == "ACTIVE"}
    for group in client.iter_groups():
        if group.group_type == "BUILT_IN":
            continue  # Everyone: every user, nothing to review
        members = [m.id for m in client.iter_group_users(group.id)]
        out.records.append({"kind": "group", "id": group.id, "name": group.name, "members": members})
        if group.name in privileged:
            checked.update((user_id, None) for user_id in members if user_id in active)

    def factors(user_id: str) -> dict[str, Any]:
        enrolled = [f.factor_type for f in client.list_factors(user_id) if f.status == "ACTIVE"]
        return {"kind": "factors", "user_id": user_id, "factors": enrolled}

    # One read per privileged person: a few at a time (the retry policy honours Okta's rate limit).
    with ThreadPoolExecutor(max_workers=MFA_READS_AT_ONCE) as pool:
        out.records.extend(pool.map(factors, checked))
    out.mfa_checks = len(checked)
    return out


def github(config: PlatformConfig, client: Any) -> Collection:
    out = Collection()
    org = config.github.org
    members = client.list_members(org)
    admins = {m.login.lower() for m in client.list_admins(org)}
    no_2fa = {m.login.lower() for m in client.list_members(org, filter="2fa_disabled")}
    for m in members:
        login = m.login.lower()
        out.records.append(
            {
                "kind": "member",
                "login": login,
                "role": "admin" if login in admins else "member",
                "two_factor": login not in no_2fa,
            }
        )
    for c in client.list_outside_collaborators(org):
        out.records.append({"kind": "outside_collaborator", "login": c.login.lower()})
    for i in client.list_invitations(org):
        out.records.append(
            {
                "kind": "invitation",
                "id": i.id,
                "login": (i.login or "").lower() or None,
                "email": i.email,
                "role": i.role,
                "created_at": i.created_at,
            }
        )
    for slug in sorted({t for team in config.teams.values() for t in team.github_teams}):
        logins = [m.login.lower() for m in client.list_team_members(org, slug)]
        out.records.append({"kind": "team", "slug": slug, "members": logins})
    if config.identity.github_link == "saml":  # the directory links logins by these, not by Okta
        for login, name_id in sorted(client.saml_identities(org).items()):
            out.records.append({"kind": "saml_identity", "login": login, "name_id": name_id})
    out.identities = len(members)
    return out


def iam(config: PlatformConfig, client: Any) -> Collection:
    out = Collection()
    owners = client.owners(config.identity.iam_email_tag)
    rows = [r for r in client.credential_report() if not r.is_root]
    for r in rows:
        out.records.append(
            {
                "kind": "user",
                "name": r.user,
                "arn": r.arn,
                "owner": owners.get(r.user),
                "created": _iso(r.created),
                "password_enabled": bool(r.password_enabled),
                "password_last_used": _iso(r.password_last_used),
                "mfa_active": r.mfa_active,
                "keys": [
                    {
                        "slot": k.slot,
                        "active": k.active,
                        "last_rotated": _iso(k.last_rotated),
                        "last_used": _iso(k.last_used),
                    }
                    for k in r.access_keys
                ],
            }
        )
    out.identities = len(rows)
    return out


def identity_center(config: PlatformConfig, client: Any) -> Collection:
    client.page_size = client.page_size or IDENTITY_CENTER_PAGE  # not the service's default of 50
    users = client.list_users()
    records = [{"kind": "user", "user_id": u.user_id, "user_name": u.user_name, "email": u.email} for u in users]
    # Group memberships listed per group (one call a page), not per user.
    for g in client.list_groups():
        members = client.list_group_members(g.group_id)
        records.append({"kind": "group", "group_id": g.group_id, "name": g.display_name, "members": members})
    # Account assignments listed per account and permission set (a few dozen calls), not per user.
    for name, arn in sorted(client.permission_sets().items()):
        for account, account_id in sorted(config.aws.accounts.items()):
            assigned = [pid for kind, pid in client.list_account_assignments(account_id, arn) if kind == "USER"]
            if assigned:
                records.append(
                    {
                        "kind": "assignment",
                        "account": account,
                        "account_id": account_id,
                        "permission_set": name,
                        "users": assigned,
                    }
                )
    return Collection(records, len(users))


def slack(_: PlatformConfig, client: Any) -> Collection:
    users = client.list_users()
    records = [
        {
            "kind": "user",
            "id": u.id,
            "name": u.name,
            "email": (u.email or "").lower() or None,
            "real_name": u.real_name,
            "deleted": u.deleted,
            "is_bot": u.is_bot,
            "guest": u.is_guest,
        }
        for u in users
    ]
    return Collection(records, len(users))


def pagerduty(_: PlatformConfig, client: Any) -> Collection:
    users = client.list_users()
    records = [{"kind": "user", "id": u.id, "name": u.name, "email": u.email.lower(), "role": u.role} for u in users]
    return Collection(records, len(users))


def credentials(config: PlatformConfig, client: Any) -> Collection:
    """The credential rotation's last word on each credential still in `credentials.inventory`
    (one taken out of it is no longer the platform's to report; no secret is read here)."""
    known = {c.name for c in config.credentials.inventory}
    entries = [e for e in client() if e.get("name") in known]
    return Collection([{**e, "kind": "credential", "credential_kind": e["kind"]} for e in entries], len(entries))


def jit(_: PlatformConfig, client: Any) -> Collection:
    """The just-in-time grants recorded as active: approved, time-limited, not drift while they last."""
    grants = client()
    return Collection([{**g, "kind": "grant"} for g in grants], len(grants))


COLLECTORS = {
    "okta": okta,
    "github": github,
    "iam": iam,
    "identity_center": identity_center,
    "slack": slack,
    "pagerduty": pagerduty,
    "credentials": credentials,
    "jit": jit,
}
