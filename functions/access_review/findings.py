"""Findings: the snapshot joined through the identity directory, and the configured rules. Each
finding names the person, the system, the grant, the evidence and a suggested decision, the one
reviewer who decides it, and how a revocation is made (`action`, None: by hand)."""

from __future__ import annotations

import hashlib
from dataclasses import asdict, dataclass, field
from datetime import datetime, timedelta
from typing import Any

from functions.access_review.snapshot import Snapshot, when
from functions.adapters.directory import Directory
from functions.core.config import PlatformConfig
from functions.core.identity import Person

KEEP, REVOKE = "keep", "revoke"


@dataclass(frozen=True)
class Finding:
    id: str
    kind: str
    system: str
    account: str  # the account's key, e.g. github:leef
    grant: str
    evidence: str
    suggested: str
    person: str = ""  # the person's email, when the directory knows them
    name: str = ""
    subject_ids: tuple[str, ...] = ()
    team: str = ""
    reviewer: str = ""
    reviewer_slack_id: str = ""
    action: dict[str, Any] | None = None

    def summary(self) -> str:
        who = self.name or self.person or self.account
        return f"{who}: {self.grant} ({self.kind.replace('_', ' ')}: {self.evidence})"


def _id(*parts: str) -> str:
    return hashlib.sha256("|".join(parts).encode()).hexdigest()[:16]


@dataclass
class _Rules:
    config: PlatformConfig
    snapshot: Snapshot
    directory: Directory
    now: datetime
    found: list[Finding] = field(default_factory=list)

    def add(  # noqa: PLR0917 - one call per rule, every field named by position in the same order
        self,
        kind: str,
        system: str,
        account: str,
        grant: str,
        evidence: str,
        suggested: str,
        person: Person | None,
        action: dict[str, Any] | None,
    ) -> None:
        if kind not in self.config.access_review.rules:
            return
        self.found.append(
            Finding(
                id=_id(kind, system, account, grant),
                kind=kind,
                system=system,
                account=account,
                grant=grant,
                evidence=evidence,
                suggested=suggested,
                person=person.email if person else "",
                name=person.name if person else "",
                subject_ids=tuple(sorted(person.identifiers())) if person else (account,),
                action=action,
            )
        )

    def who(self, key: str) -> Person | None:
        return self.directory.person(key)

    @property
    def settings(self) -> Any:
        return self.config.access_review

    @property
    def inactive_before(self) -> datetime:
        return self.now - timedelta(days=self.config.thresholds.access_review.inactive_days)


def _orphan_evidence(person: Person | None, key: str) -> str:
    if person is None:
        return f"no active Okta user is linked to {key}"
    return f"Okta status {person.okta_status or 'unknown'}"


def find(  # noqa: PLR0912, PLR0915 - one block per rule; to split into a function per rule
    config: PlatformConfig, snapshot: Snapshot, now: datetime, team: str | None = None
) -> list[Finding]:
    rules = _Rules(config, snapshot, snapshot.directory(config), now)
    org = config.github.org
    okta_users = {u["id"]: u for u in snapshot.of("okta", "user")}
    groups_of: dict[str, set[str]] = {}
    group_ids = {}
    for g in snapshot.of("okta", "group"):
        group_ids[g["name"]] = g["id"]
        for member in g["members"]:
            groups_of.setdefault(member, set()).add(g["name"])

    # -- orphaned accounts: in a system, but nobody active in Okta ----------------------------
    for m in snapshot.of("github", "member"):
        key = f"github:{m['login']}"
        person = rules.who(key)
        if person is None or not person.active:
            rules.add(
                "orphaned",
                "github",
                key,
                f"GitHub org {org} {m['role']}",
                _orphan_evidence(person, key),
                REVOKE,
                person,
                {"op": "github.remove_member", "org": org, "login": m["login"]},
            )
    for u in snapshot.of("slack", "user"):
        if u["deleted"] or u["is_bot"]:
            continue
        key = f"slack:{u['id']}"
        person = rules.who(key)
        if person is None or not person.active:
            rules.add(
                "orphaned",
                "slack",
                key,
                f"Slack account {u.get('name') or u['id']}",
                _orphan_evidence(person, key),
                REVOKE,
                person,
                None,
            )
    for u in snapshot.of("pagerduty", "user"):
        key = f"pagerduty:{u['id']}"
        person = rules.who(key)
        if person is None or not person.active:
            rules.add(
                "orphaned",
                "pagerduty",
                key,
                f"PagerDuty user {u['email']}",
                _orphan_evidence(person, key),
                REVOKE,
                person,
                {"op": "pagerduty.remove_user", "user_id": u["id"]},
            )
    for u in snapshot.of("identity_center", "user"):
        key = f"identity_center:{u['user_id']}"
        person = rules.who(key)
        if person is None or not person.active:
            rules.add(
                "orphaned",
                "identity_center",
                key,
                f"Identity Center user {u['user_name']}",
                _orphan_evidence(person, key),
                REVOKE,
                person,
                None,
            )
    for u in snapshot.of("iam", "user"):
        if not u.get("owner"):
            continue  # a machine user: credential rotation owns it (credentials.inventory)
        key = f"iam:{u['name']}"
        person = rules.who(key)
        if person is None or not person.active:
            rules.add(
                "orphaned",
                "iam",
                key,
                f"IAM user {u['name']}",
                _orphan_evidence(person, key),
                REVOKE,
                person,
                {"op": "iam.deactivate_keys", "user": u["name"]},
            )

    # -- inactive people: no Okta login for inactive_days --------------------------------------
    for u in okta_users.values():
        if u["status"] != "ACTIVE":
            continue
        last = when(u.get("last_login")) or None
        since = last or when(u.get("created"))
        if since is not None and since < rules.inactive_before:
            evidence = f"last Okta login {last:%Y-%m-%d}" if last else "never logged in to Okta"
            rules.add(
                "inactive",
                "okta",
                f"okta:{u['id']}",
                "Okta account",
                evidence,
                REVOKE,
                rules.who(u["email"]),
                {"op": "okta.deactivate_user", "user_id": u["id"]},
            )

    # -- stale credentials: old or unused IAM keys, unused console passwords --------------------
    max_age = timedelta(days=config.thresholds.access_review.access_key_max_age_days)
    for u in snapshot.of("iam", "user"):
        person = rules.who(f"iam:{u['name']}") if u.get("owner") else None
        for k in u["keys"]:
            if not k["active"]:
                continue
            rotated, used = when(k["last_rotated"]), when(k.get("last_used"))
            grant = f"IAM user {u['name']} access key {k['slot']}"
            if rotated is not None and rotated < now - max_age:
                evidence = f"created {rotated:%Y-%m-%d}, older than {max_age.days} days"
            elif (used or rotated) is not None and (used or rotated) < rules.inactive_before:  # type: ignore[operator]
                evidence = f"last used {used:%Y-%m-%d}" if used else f"never used since {rotated:%Y-%m-%d}"
            else:
                continue
            rules.add(
                "stale_credential",
                "iam",
                f"iam:{u['name']}",
                grant,
                evidence,
                REVOKE,
                person,
                {"op": "iam.deactivate_keys", "user": u["name"], "created": k["last_rotated"]},
            )
        used = when(u.get("password_last_used")) or when(u.get("created"))
        if u["password_enabled"] and used is not None and used < rules.inactive_before:
            rules.add(
                "stale_credential",
                "iam",
                f"iam:{u['name']}",
                f"IAM user {u['name']} console password",
                f"password last used {used:%Y-%m-%d}",
                REVOKE,
                person,
                None,
            )

    # -- missing MFA ------------------------------------------------------------------------------
    for m in snapshot.of("github", "member"):
        person = rules.who(f"github:{m['login']}")
        if not m["two_factor"] and person is not None and person.active:
            rules.add(
                "missing_mfa",
                "github",
                f"github:{m['login']}",
                f"GitHub org {org} {m['role']}",
                "two-factor authentication disabled",
                REVOKE,
                person,
                {"op": "github.remove_member", "org": org, "login": m["login"]},
            )
    for u in snapshot.of("iam", "user"):
        if u["password_enabled"] and not u["mfa_active"]:
            person = rules.who(f"iam:{u['name']}") if u.get("owner") else None
            rules.add(
                "missing_mfa",
                "iam",
                f"iam:{u['name']}",
                f"IAM user {u['name']} console access",
                "console password without MFA",
                REVOKE,
                person,
                None,
            )
    for f in snapshot.of("okta", "factors"):
        if not f["factors"] and f["user_id"] in okta_users:
            user = okta_users[f["user_id"]]
            privileged = sorted(groups_of.get(f["user_id"], set()) & set(rules.settings.privileged_okta_groups))
            rules.add(
                "missing_mfa",
                "okta",
                f"okta:{f['user_id']}",
                f"Okta groups {', '.join(privileged)}",
                "privileged, no MFA factor enrolled",
                REVOKE,
                rules.who(user["email"]),
                {
                    "op": "okta.remove_from_groups",
                    "user_id": f["user_id"],
                    "groups": {g: group_ids[g] for g in privileged},
                },
            )

    # -- drift: grants the person's team in the configuration does not explain ----------------
    team_groups = {g for t in config.teams.values() for g in t.okta_groups}
    github_team_members: dict[str, set[str]] = {}
    for t in snapshot.of("github", "team"):
        for login in t["members"]:
            github_team_members.setdefault(login, set()).add(t["slug"])
    for u in okta_users.values():
        if u["status"] != "ACTIVE":
            continue
        person = rules.who(u["email"])
        mine = groups_of.get(u["id"], set())
        named = (u.get("profile") or {}).get(rules.settings.team_attribute)
        teams = (
            [str(named)]
            if named in config.teams
            else [n for n, t in config.teams.items() if t.okta_groups and set(t.okta_groups) <= mine]
        )
        allowed_groups = {g for n in teams for g in config.teams[n].okta_groups}
        allowed_teams = {slug for n in teams for slug in config.teams[n].github_teams}
        if named in config.teams:  # with a named team, Okta groups are checked too
            for group in sorted((mine & team_groups) - allowed_groups):
                rules.add(
                    "drift",
                    "okta",
                    f"okta:{u['id']}",
                    f"Okta group {group}",
                    f"team {named} does not include it",
                    REVOKE,
                    person,
                    {"op": "okta.remove_from_groups", "user_id": u["id"], "groups": {group: group_ids[group]}},
                )
        login = person.github if person else None
        for slug in sorted(github_team_members.get(login or "", set()) - allowed_teams):
            because = f"team {', '.join(teams)} does not include it" if teams else "the person is on no configured team"
            rules.add(
                "drift",
                "github",
                f"github:{login}",
                f"GitHub team {slug}",
                because,
                REVOKE,
                person,
                {"op": "github.remove_team_member", "org": org, "team": slug, "login": login},
            )

    # -- GitHub owners, outside collaborators, old invitations ----------------------------------
    owners = [m for m in snapshot.of("github", "member") if m["role"] == "admin"]
    if len(owners) > rules.settings.max_org_owners:
        for m in owners:
            rules.add(
                "too_many_owners",
                "github",
                f"github:{m['login']}",
                f"GitHub org {org} owner",
                f"{len(owners)} owners, more than {rules.settings.max_org_owners}",
                KEEP,
                rules.who(f"github:{m['login']}"),
                {"op": "github.demote_owner", "org": org, "login": m["login"]},
            )
    for c in snapshot.of("github", "outside_collaborator"):
        rules.add(
            "outside_collaborator",
            "github",
            f"github:{c['login']}",
            f"outside collaborator on {org}",
            "has repository access without org membership",
            REVOKE,
            rules.who(f"github:{c['login']}"),
            {"op": "github.remove_outside_collaborator", "org": org, "login": c["login"]},
        )
    limit = timedelta(days=rules.settings.invitation_max_age_days)
    for i in snapshot.of("github", "invitation"):
        sent = when(i.get("created_at"))
        if sent is not None and sent < now - limit and i.get("login"):
            rules.add(
                "old_invitation",
                "github",
                f"github:{i['login']}",
                f"invitation to {org} ({i['role']})",
                f"pending since {sent:%Y-%m-%d}",
                REVOKE,
                rules.who(f"github:{i['login']}"),
                {"op": "github.remove_member", "org": org, "login": i["login"]},
            )

    found = rules.found
    if team:
        found = [f for f in found if f.person and team in _teams_of(config, f.person, okta_users, groups_of)]
    return _with_reviewers(config, found, rules.directory, okta_users, groups_of)


def _teams_of(
    config: PlatformConfig, email: str, okta_users: dict[str, Any], groups_of: dict[str, set[str]]
) -> list[str]:
    user = next((u for u in okta_users.values() if u["email"] == email), None)
    if user is None:
        return []
    named = (user.get("profile") or {}).get(config.access_review.team_attribute)
    if named in config.teams:
        return [str(named)]
    mine = groups_of.get(user["id"], set())
    return [n for n, t in config.teams.items() if t.okta_groups and set(t.okta_groups) <= mine]


def _with_reviewers(
    config: PlatformConfig,
    found: list[Finding],
    directory: Directory,
    okta_users: dict[str, Any],
    groups_of: dict[str, set[str]],
) -> list[Finding]:
    """One reviewer per finding: the person's manager (Okta profile), else their team's approvers,
    else every team's; never the person themself, only people active in Okta with a Slack account."""
    by_email = {u["email"]: u for u in okta_users.values()}
    everyone = sorted({a.lower() for t in config.teams.values() for a in t.approvers})
    out = []
    for f in found:
        candidates: list[str] = []
        user = by_email.get(f.person)
        manager = (user.get("profile") or {}).get(config.access_review.manager_attribute) if user else None
        if manager:
            candidates.append(str(manager).strip().lower())
        teams = _teams_of(config, f.person, okta_users, groups_of) if f.person else []
        candidates += sorted({a.lower() for n in teams for a in config.teams[n].approvers})
        candidates += everyone
        subject = {i.lower() for i in f.subject_ids} | {f.person.lower()}
        chosen: Person | None = None
        for email in dict.fromkeys(candidates):
            reviewer = directory.person(email)
            if reviewer is None or not reviewer.active or not reviewer.slack:
                continue
            if email in subject or reviewer.identifiers() & subject:
                continue  # never the person under review
            chosen = reviewer
            break
        team = teams[0] if teams else ""
        out.append(
            Finding(
                **{
                    **asdict(f),
                    "subject_ids": f.subject_ids,
                    "team": team,
                    "reviewer": chosen.email if chosen else "",
                    "reviewer_slack_id": chosen.slack or "" if chosen else "",
                }
            )
        )
    return out
