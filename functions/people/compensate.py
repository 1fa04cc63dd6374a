"""Undo, newest first, what a failed execution created (its undo journal, see ledger.journal).

Each undo is best effort and audited; what could not be undone is reported, never hidden.
Objects the platform deleted are released in the ledger once undone, so a re-run creates them
again instead of mistaking them for someone else's; a deactivated Okta user stays the request's.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from functions.adapters import vendors
from functions.adapters.errors import VendorError
from functions.people import ledger
from functions.people.context import Context


def _okta_user_id(email: str) -> str | None:
    user = vendors.okta().find_user(email)
    return user.id if user else None


def _ic_user_id(email: str) -> str | None:
    user = vendors.identity_center().find_user(email)
    return user.user_id if user else None


def _deactivate_okta_user(record: dict[str, Any]) -> None:
    user_id = _okta_user_id(record["email"])
    if user_id is not None:
        vendors.okta().deactivate_user(user_id)
    # Not released: Okta keeps the deactivated user, and a re-run of the request reactivates it
    # instead of mistaking it for someone else's.


def _remove_okta_group(record: dict[str, Any]) -> None:
    user_id = _okta_user_id(record["email"])
    if user_id is not None:
        vendors.okta().remove_from_group(record["group_id"], user_id)


def _delete_ic_user(record: dict[str, Any]) -> None:
    user_id = _ic_user_id(record["email"])
    if user_id is not None:
        vendors.identity_center().delete_user(user_id)
    ledger.release("identity-center-user", record["email"])


def _remove_ic_group(record: dict[str, Any]) -> None:
    user_id = _ic_user_id(record["email"])
    if user_id is not None:
        vendors.identity_center().remove_from_group(record["group_id"], user_id)


def _remove_assignment(record: dict[str, Any]) -> None:
    user_id = _ic_user_id(record["email"])
    if user_id is not None:
        vendors.identity_center().remove_assignment(record["account_id"], record["permission_set"], user_id)


def _remove_github_member(record: dict[str, Any]) -> None:
    vendors.github().remove_member(record["org"], record["login"])


def _remove_github_team_member(record: dict[str, Any]) -> None:
    vendors.github().remove_team_member(record["org"], record["team"], record["login"])


UNDO: dict[str, Callable[[dict[str, Any]], None]] = {
    "okta.deactivate_user": _deactivate_okta_user,
    "okta.remove_from_group": _remove_okta_group,
    "ic.delete_user": _delete_ic_user,
    "ic.remove_from_group": _remove_ic_group,
    "ic.remove_assignment": _remove_assignment,
    "github.remove_member": _remove_github_member,
    "github.remove_team_member": _remove_github_team_member,
}


def compensate(ctx: Context, steps: dict[str, Any], order: list[str]) -> dict[str, Any]:
    """Undo what this execution created, newest first: the journal has it all, including what a
    step that then failed had done (the created records of `steps`, in `order`, are the fallback)."""
    records = ledger.journaled(ctx.execution_id) or [
        record for name in order for record in (steps.get(name) or {}).get("created", [])
    ]
    undone, not_undone = [], []
    for record in reversed(records):
        undo = UNDO.get(record.get("action", ""))
        label = record.get("label", record.get("action", "?"))
        if undo is None:
            not_undone.append(f"{label} (no undo for {record.get('action')})")
            continue
        try:
            ctx.change(
                record["action"].split(".", 1)[0],
                f"undo {record['action']}",
                label,
                lambda u=undo, r=record: u(r),  # type: ignore[misc]
                line=f"undid: {label}",
                before="created",
                after="undone",
            )
            undone.append(label)
        except VendorError as exc:
            not_undone.append(f"{label}: {exc}")
    return {"undone": undone, "not_undone": not_undone}
