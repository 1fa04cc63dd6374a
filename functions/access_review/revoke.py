"""Revoke and verify: each revoked item through the change primitive (audited; a dry run records
"would ..."), then the system read again. A revocation counts only when the grant is gone; one
the platform cannot make, or cannot verify, is reported as such, never assumed."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from functions.adapters.errors import VendorError
from functions.core.change import ChangeContext

VERIFIED, NOT_VERIFIED, FAILED, MANUAL, WOULD = "verified", "not_verified", "failed", "manual", "would_revoke"


@dataclass
class Vendors:
    okta: Callable[[], Any]
    github: Callable[[], Any]
    iam: Callable[[], Any]
    pagerduty: Callable[[], Any]
    identity_center: Callable[[], Any]


def _keys_to_deactivate(iam: Any, action: dict[str, Any]) -> list[str]:
    created = datetime.fromisoformat(action["created"]) if action.get("created") else None
    out = []
    for key in iam.access_keys(action["user"]):
        if key.status != "Active":
            continue
        if created is None or (key.created is not None and abs((key.created - created).total_seconds()) < 2):
            out.append(key.id)
    return out


def _act(  # noqa: PLR0911 - one return per kind of revocation
    action: dict[str, Any],
    v: Vendors,
) -> tuple[Callable[[], Any], Callable[[], bool], str]:
    """(do, still_granted, line) of one action."""
    op = action["op"]
    if op == "github.remove_member":
        org, login = action["org"], action["login"]
        return (
            lambda: v.github().remove_member(org, login),
            lambda: v.github().get_membership(org, login) is not None,
            f"removed {login} from the GitHub org {org}",
        )
    if op == "github.remove_team_member":
        org, team, login = action["org"], action["team"], action["login"]
        return (
            lambda: v.github().remove_team_member(org, team, login),
            lambda: v.github().get_team_membership(org, team, login) is not None,
            f"removed {login} from the GitHub team {team}",
        )
    if op == "github.remove_outside_collaborator":
        org, login = action["org"], action["login"]
        return (
            lambda: v.github().remove_outside_collaborator(org, login),
            lambda: any(c.login.lower() == login for c in v.github().list_outside_collaborators(org)),
            f"removed the outside collaborator {login} from {org}",
        )
    if op == "github.demote_owner":
        org, login = action["org"], action["login"]
        return (
            lambda: v.github().set_membership(org, login, "member"),
            lambda: (m := v.github().get_membership(org, login)) is not None and m.role == "admin",
            f"removed {login}'s owner role in {org}",
        )
    if op == "okta.deactivate_user":
        user_id = action["user_id"]
        return (
            lambda: v.okta().deactivate_user(user_id),
            lambda: v.okta().get_user(user_id).status != "DEPROVISIONED",
            f"deactivated the Okta user {user_id}",
        )
    if op == "okta.remove_from_groups":
        user_id, groups = action["user_id"], action["groups"]
        return (
            lambda: [v.okta().remove_from_group(g, user_id) for g in groups.values()],
            lambda: bool({g.id for g in v.okta().list_user_groups(user_id)} & set(groups.values())),
            f"removed Okta user {user_id} from {', '.join(groups)}",
        )
    if op == "iam.deactivate_keys":
        return (
            lambda: [v.iam().deactivate_access_key(action["user"], k) for k in _keys_to_deactivate(v.iam(), action)],
            lambda: bool(_keys_to_deactivate(v.iam(), action)),
            f"deactivated access keys of the IAM user {action['user']}",
        )
    if op == "identity_center.remove_assignment":
        account, permission_set, user_id = action["account_id"], action["permission_set"], action["user_id"]
        return (
            lambda: v.identity_center().remove_assignment(account, permission_set, user_id),
            lambda: any(
                a.permission_set_name == permission_set
                for a in v.identity_center().list_assignments_for_user(user_id, [account])
            ),
            f"removed the {permission_set} assignment in {account} from the Identity Center user {user_id}",
        )
    if op == "identity_center.remove_from_group":
        group_id, group, user_id = action["group_id"], action["group"], action["user_id"]
        return (
            lambda: v.identity_center().remove_from_group(group_id, user_id),
            lambda: v.identity_center().is_member(group_id, user_id),
            f"removed the Identity Center user {user_id} from the group {group}",
        )
    if op == "pagerduty.remove_user":
        user_id = action["user_id"]
        return (
            lambda: v.pagerduty().remove_user(user_id),
            lambda: v.pagerduty().get_user(user_id) is not None,
            f"removed the PagerDuty user {user_id}",
        )
    raise ValueError(f"unknown revocation {op!r}")


def revoke(finding: dict[str, Any], decision: dict[str, Any], changes: ChangeContext, v: Vendors) -> dict[str, Any]:
    out = {
        "finding_id": finding["id"],
        "account": finding["account"],
        "grant": finding["grant"],
        "decided_by": decision.get("decided_by", ""),
        "at": datetime.now().astimezone().isoformat(),
    }
    action = finding.get("action")
    if not action:
        return {
            **out,
            "status": MANUAL,
            "detail": f"{finding['system']} is not revoked by the platform: revoke by hand",
        }
    try:
        do, still_granted, line = _act(action, v)
        changes.change(
            finding["system"],
            action["op"],
            finding["account"],
            do,
            line=line,
            before={"grant": finding["grant"]},
            after={"grant": "revoked"},
        )
        if changes.dry_run:
            return {**out, "status": WOULD, "detail": changes.summary[-1]}
        granted = still_granted()
    except VendorError as exc:
        return {**out, "status": FAILED, "detail": str(exc)}
    if granted:
        return {**out, "status": NOT_VERIFIED, "detail": f"{finding['system']} still shows the grant after: {line}"}
    return {**out, "status": VERIFIED, "detail": line}
