"""The access review's rules on a hand-made snapshot: no vendor, no AWS."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from functions.access_review.findings import find
from functions.access_review.snapshot import Snapshot
from functions.core.config import PlatformConfig, load_config
from sandbox.engine import DEFAULT_CONFIG

NOW = datetime(2026, 11, 29, tzinfo=UTC)


def _config(**review: Any) -> PlatformConfig:
    config = load_config(DEFAULT_CONFIG)
    return config.model_copy(update={"access_review": config.access_review.model_copy(update=review)})


def _okta(
    uid: str, email: str, *, status: str = "ACTIVE", last_login: str = "2026-11-20T00:00:00+00:00", **profile: Any
) -> dict[str, Any]:
    return {
        "kind": "user",
        "id": uid,
        "email": email,
        "status": status,
        "created": "2024-01-01T00:00:00+00:00",
        "last_login": last_login,
        "profile": profile,
        "first_name": email.split(".", maxsplit=1)[0],
        "last_name": "",
    }


def _snapshot(**systems: list[dict[str, Any]]) -> Snapshot:
    base = {
        "okta": [
            _okta("u1", "maria.lopez@example.com", githubUsername="mlopez"),
            _okta("u2", "dev.patel@example.com", githubUsername="devpatel"),
            {"kind": "group", "id": "g1", "name": "Engineering", "members": ["u1", "u2"]},
            {"kind": "group", "id": "g2", "name": "Platform", "members": ["u1", "u2"]},
        ],
        "slack": [
            {"kind": "user", "id": "U1", "email": "maria.lopez@example.com", "deleted": False, "is_bot": False},
            {"kind": "user", "id": "U2", "email": "dev.patel@example.com", "deleted": False, "is_bot": False},
        ],
    }
    for system, records in systems.items():
        base[system] = base.get(system, []) + records
    return Snapshot(base)


def _kinds(found: list[Any]) -> list[tuple[str, str, str]]:
    return sorted((f.kind, f.account, f.grant) for f in found)


def test_an_old_or_unused_iam_key_and_an_unused_password_are_stale() -> None:
    iam = [
        {
            "kind": "user",
            "name": "maria",
            "owner": "maria.lopez@example.com",
            "created": "2024-01-01T00:00:00+00:00",
            "password_enabled": True,
            "password_last_used": "2026-01-01T00:00:00+00:00",
            "mfa_active": True,
            "keys": [
                {"slot": 1, "active": True, "last_rotated": "2025-01-01T00:00:00+00:00", "last_used": None},
                {"slot": 2, "active": False, "last_rotated": "2020-01-01T00:00:00+00:00", "last_used": None},
            ],
        }
    ]
    found = find(_config(), _snapshot(iam=iam), NOW)
    stale = [f for f in found if f.kind == "stale_credential"]
    assert [f.grant for f in stale] == ["IAM user maria access key 1", "IAM user maria console password"]
    assert stale[0].action == {"op": "iam.deactivate_keys", "user": "maria", "created": "2025-01-01T00:00:00+00:00"}
    assert stale[0].reviewer == "dev.patel@example.com"  # Maria's team's other approver, never Maria


def test_a_named_team_explains_okta_groups_and_too_many_owners_is_a_finding() -> None:
    okta = [
        _okta("u3", "ivy.drift@example.com", githubUsername="ivyd", team="product", manager="dev.patel@example.com"),
        {"kind": "group", "id": "g3", "name": "Product", "members": ["u3"]},
    ]
    okta[0]["id"] = "u3"
    snap = _snapshot(okta=okta)
    snap.systems["okta"][2]["members"].append("u3")  # Engineering
    snap.systems["okta"][3]["members"].append("u3")  # Platform: not the product team's
    github = [{"kind": "member", "login": login, "role": "admin", "two_factor": True} for login in ("mlopez", "ivyd")]
    snap.systems["github"] = github
    found = find(_config(max_org_owners=1), snap, NOW)
    assert ("drift", "okta:u3", "Okta group Platform") in _kinds(found)
    owners = [f for f in found if f.kind == "too_many_owners"]
    assert len(owners) == 2
    assert all(f.suggested == "keep" for f in owners)
    ivy = next(f for f in found if f.kind == "drift")
    assert ivy.reviewer == "dev.patel@example.com"  # the manager in her Okta profile


def test_a_rule_left_out_of_the_configuration_finds_nothing() -> None:
    github = [{"kind": "member", "login": "ghost", "role": "member", "two_factor": False}]
    assert [f.kind for f in find(_config(), _snapshot(github=github), NOW)] == ["orphaned"]
    assert find(_config(rules=["inactive"]), _snapshot(github=github), NOW) == []


def test_a_manager_who_is_the_subject_is_skipped() -> None:
    okta = [
        _okta(
            "u1",
            "maria.lopez@example.com",
            githubUsername="mlopez",
            manager="maria.lopez@example.com",
            last_login="2025-01-01T00:00:00+00:00",
        )
    ]
    snap = _snapshot()
    snap.systems["okta"][0] = okta[0]
    found = [f for f in find(_config(), snap, NOW) if f.kind == "inactive"]
    assert found
    assert found[0].reviewer == "dev.patel@example.com"


def _identity_center(*assignments: dict[str, Any]) -> list[dict[str, Any]]:
    users = [
        {"kind": "user", "user_id": "ic-1", "user_name": "maria.lopez@example.com", "email": "maria.lopez@example.com"},
        {"kind": "user", "user_id": "ic-2", "user_name": "dev.patel@example.com", "email": "dev.patel@example.com"},
    ]
    return users + list(assignments)


def test_an_identity_center_assignment_the_team_does_not_explain_is_drift() -> None:
    config = _config()
    staging = config.aws.accounts["staging"]
    found = find(
        config,
        _snapshot(
            identity_center=_identity_center(
                # the platform team's own: explained
                {
                    "kind": "assignment",
                    "account": "staging",
                    "account_id": staging,
                    "permission_set": "AdministratorAccess",
                    "users": ["ic-1", "ic-2"],
                },
                # the product team's: not Maria's
                {
                    "kind": "assignment",
                    "account": "staging",
                    "account_id": staging,
                    "permission_set": "Developer",
                    "users": ["ic-1"],
                },
            )
        ),
        NOW,
    )
    drift = [f for f in found if f.kind == "drift"]
    assert [(f.account, f.grant, f.person) for f in drift] == [
        ("identity_center:ic-1", f"AWS staging ({staging}) Developer", "maria.lopez@example.com")
    ]
    assert drift[0].evidence == "team platform does not include it"
    assert drift[0].action == {
        "op": "identity_center.remove_assignment",
        "account_id": staging,
        "permission_set": "Developer",
        "user_id": "ic-1",
    }
    assert drift[0].reviewer == "dev.patel@example.com"  # Maria's team's other approver, never Maria


def test_slack_guests_are_kept_for_active_people_and_revoked_for_strangers() -> None:
    guests = [
        {"kind": "user", "id": "U9", "email": "val@vendor.example", "deleted": False, "is_bot": False, "guest": True},
        {"kind": "user", "id": "U8", "email": "gone@vendor.example", "deleted": True, "is_bot": False, "guest": True},
    ]
    snapshot = _snapshot(slack=guests)
    snapshot.systems["slack"][1]["guest"] = True  # Dev is a guest too, and active in Okta
    found = [f for f in find(_config(), snapshot, NOW) if f.system == "slack"]
    assert sorted((f.kind, f.account, f.suggested) for f in found) == [
        ("slack_guest", "slack:U2", "keep"),
        ("slack_guest", "slack:U9", "revoke"),  # a deactivated guest holds nothing: not a finding
    ]


def test_a_pagerduty_admin_role_nobody_configured_is_a_privileged_role_finding() -> None:
    pagerduty = [
        {"kind": "user", "id": "P1", "email": "maria.lopez@example.com", "name": "Maria", "role": "owner"},
        {"kind": "user", "id": "P2", "email": "dev.patel@example.com", "name": "Dev", "role": "admin"},
    ]
    found = find(_config(), _snapshot(pagerduty=pagerduty), NOW)
    # Maria is in organization.admins: her owner role is expected.
    assert _kinds([f for f in found if f.kind == "privileged_role"]) == [
        ("privileged_role", "pagerduty:P2", "PagerDuty role admin")
    ]
    allowed = find(_config(pagerduty_admins=["dev.patel@example.com"]), _snapshot(pagerduty=pagerduty), NOW)
    assert not [f for f in allowed if f.kind == "privileged_role"]
    switched_off = find(_config(rules=["orphaned"]), _snapshot(pagerduty=pagerduty), NOW)
    assert not [f for f in switched_off if f.kind == "privileged_role"]


def test_with_saml_links_a_login_is_the_saml_identitys_not_the_one_a_profile_claims() -> None:
    """`identity.github_link: saml`: the snapshot's SAML identities link GitHub logins. Maria's
    Okta profile still names `mlopez`, but the org's identity provider links her as `maria-sso`:
    `mlopez` is nobody's (orphaned), `maria-sso` is hers."""
    config = _config()
    config = config.model_copy(update={"identity": config.identity.model_copy(update={"github_link": "saml"})})
    github = [
        {"kind": "member", "login": login, "role": "member", "two_factor": True}
        for login in ("mlopez", "maria-sso", "devpatel")
    ]
    github += [
        {"kind": "saml_identity", "login": "maria-sso", "name_id": "maria.lopez@example.com"},
        {"kind": "saml_identity", "login": "devpatel", "name_id": "dev.patel@example.com"},
    ]
    found = find(config, _snapshot(github=github), NOW)
    assert [(f.kind, f.account) for f in found if f.system == "github"] == [("orphaned", "github:mlopez")]
    by_attribute = find(_config(), _snapshot(github=github), NOW)
    assert [(f.kind, f.account) for f in by_attribute if f.system == "github"] == [("orphaned", "github:maria-sso")]


def _team_config(team: str, **update: Any) -> PlatformConfig:
    config = _config()
    teams = dict(config.teams)
    teams[team] = teams[team].model_copy(update=update)
    return config.model_copy(update={"teams": teams})


def test_an_identity_center_group_membership_the_team_does_not_explain_is_drift() -> None:
    group = {"kind": "group", "group_id": "grp-1", "name": "Billing Admins", "members": ["ic-1"]}
    found = [f for f in find(_config(), _snapshot(identity_center=_identity_center(group)), NOW) if f.kind == "drift"]
    assert [(f.account, f.grant, f.evidence) for f in found] == [
        ("identity_center:ic-1", "Identity Center group Billing Admins", "team platform does not include it")
    ]
    assert found[0].action == {
        "op": "identity_center.remove_from_group",
        "group_id": "grp-1",
        "group": "Billing Admins",
        "user_id": "ic-1",
    }
    assert found[0].reviewer == "dev.patel@example.com"
    explained = _team_config("platform", aws_groups=["Billing Admins"])
    assert not [
        f for f in find(explained, _snapshot(identity_center=_identity_center(group)), NOW) if f.kind == "drift"
    ]


def _jit(expires_at: str, **target: str) -> dict[str, Any]:
    return {
        "kind": "grant",
        "grant_id": f"g-{expires_at}",
        "grant": "prod-admin",
        "requester": "maria.lopez@example.com",
        "identity_center_user": "ic-1",
        "okta_user": "u1",
        "account_id": "",
        "permission_set": "",
        "okta_group": "",
        "expires_at": expires_at,
        **target,
    }


def test_an_active_jit_grant_is_not_drift_and_an_expired_ones_leftover_is() -> None:
    config = _config()
    production = config.aws.accounts["production"]
    held = {
        "kind": "assignment",
        "account": "production",
        "account_id": production,
        "permission_set": "PlatformAdmin",
        "users": ["ic-1"],
    }
    aws = {"target": "aws", "account_id": production, "permission_set": "PlatformAdmin"}

    def drift(*grants: dict[str, Any]) -> list[tuple[str, str]]:
        snap = _snapshot(identity_center=_identity_center(held), jit=list(grants))
        return [(f.account, f.grant) for f in find(config, snap, NOW) if f.kind == "drift"]

    leftover = [("identity_center:ic-1", f"AWS production ({production}) PlatformAdmin")]
    assert drift(_jit("2026-11-29T01:00:00Z", **aws)) == []  # running until 01:00, NOW is midnight
    assert drift(_jit("2026-11-28T23:00:00Z", **aws)) == leftover  # expired, not yet swept: drift
    assert drift() == leftover
    other = {"target": "aws", "account_id": config.aws.accounts["staging"], "permission_set": "PlatformAdmin"}
    assert drift(_jit("2026-11-29T01:00:00Z", **other)) == leftover  # a grant explains only its own target


def test_an_active_jit_grant_explains_an_okta_group_the_named_team_does_not() -> None:
    snap = _snapshot()
    snap.systems["okta"][0]["profile"]["team"] = "platform"
    snap.systems["okta"].append({"kind": "group", "id": "g3", "name": "Product", "members": ["u1"]})
    okta_drift = ("drift", "okta:u1", "Okta group Product")
    assert okta_drift in _kinds(find(_config(), snap, NOW))
    snap.systems["jit"] = [_jit("2026-11-29T01:00:00Z", target="okta", okta_group="Product")]
    assert okta_drift not in _kinds(find(_config(), Snapshot(snap.systems), NOW))


def test_only_the_inventorys_overdue_credentials_are_findings_and_never_reviewed_by_their_owner() -> None:
    from functions.access_review.collect import credentials

    line = {"kind": "iam_access_key", "owner": "dev.patel@example.com", "age_days": 120, "max_age_days": 90}
    recorded = [
        {**line, "name": "ci-deployer", "status": "overdue", "last_rotated": "2026-08-01", "recorded_at": "x"},
        {**line, "name": "sendgrid-api-key", "status": "ok", "age_days": 10, "recorded_at": "x"},
        {**line, "name": "retired-long-ago", "status": "overdue", "recorded_at": "x"},  # no longer in the inventory
    ]
    config = _config()
    found = find(config, _snapshot(credentials=credentials(config, lambda: recorded).records), NOW)
    (overdue,) = [f for f in found if f.kind == "overdue_credential"]
    assert (overdue.account, overdue.person) == ("credential:ci-deployer", "dev.patel@example.com")
    assert overdue.reviewer not in ("", "dev.patel@example.com")
    assert "rotate: /platform credentials rotate ci-deployer" in overdue.evidence
