"""Findings: the snapshot joined through the identity directory, and the configured rules. Each
finding names the person, the system, the grant, the evidence and a suggested decision, the one
reviewer who decides it, and how a revocation is made (`action`, None: by hand).

One function per rule family (`RULES`); each reads the snapshot through `Context`, which indexes
it once (Okta users by id and email, group memberships, each person's configured teams)."""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from functools import cached_property
from typing import Any

from functions.access_review.snapshot import Snapshot, when
from functions.adapters.directory import Directory
from functions.core.config import AccessReviewSettings, PlatformConfig
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
class Context:
    """The snapshot, indexed once, and the findings the rules add."""

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
        if kind not in self.settings.rules:
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
    def settings(self) -> AccessReviewSettings:
        return self.config.access_review

    @property
    def org(self) -> str:
        return self.config.github.org

    @property
    def inactive_before(self) -> datetime:
        return self.now - timedelta(days=self.config.thresholds.access_review.inactive_days)

    @cached_property
    def okta_users(self) -> dict[str, dict[str, Any]]:
        return {u["id"]: u for u in self.snapshot.of("okta", "user")}

    @cached_property
    def okta_by_email(self) -> dict[str, dict[str, Any]]:
        return {u["email"]: u for u in self.okta_users.values()}

    @cached_property
    def group_ids(self) -> dict[str, str]:
        return {g["name"]: g["id"] for g in self.snapshot.of("okta", "group")}

    @cached_property
    def groups_of(self) -> dict[str, set[str]]:
        """Okta user id -> the names of their groups."""
        out: dict[str, set[str]] = {}
        for g in self.snapshot.of("okta", "group"):
            for member in g["members"]:
                out.setdefault(member, set()).add(g["name"])
        return out

    def teams_of_user(self, user: dict[str, Any] | None) -> list[str]:
        """The configured teams of an Okta user: the one their profile names, else every team whose
        Okta groups they are all in."""
        if user is None:
            return []
        named = (user.get("profile") or {}).get(self.settings.team_attribute)
        if named in self.config.teams:
            return [str(named)]
        mine = self.groups_of.get(user["id"], set())
        return [n for n, t in self.config.teams.items() if t.okta_groups and set(t.okta_groups) <= mine]

    def teams_of(self, email: str) -> list[str]:
        return self.teams_of_user(self.okta_by_email.get(email))

    @cached_property
    def jit_active(self) -> list[dict[str, Any]]:
        """The just-in-time grants still running now; one whose expiry passed explains nothing,
        even before the sweeper revokes it."""
        return [g for g in self.snapshot.of("jit", "grant") if (end := when(g.get("expires_at"))) and end > self.now]

    def jit_assignment(self, user_id: str, email: str, account_id: str, permission_set: str) -> bool:
        return any(
            g["target"] == "aws"
            and (g["identity_center_user"] == user_id or g["requester"] == email)
            and (g["account_id"], g["permission_set"]) == (account_id, permission_set)
            for g in self.jit_active
        )

    def jit_okta_group(self, user_id: str, email: str, group: str) -> bool:
        return any(
            g["target"] == "okta"
            and (g["okta_user"] == user_id or g["requester"] == email)
            and g["okta_group"] == group
            for g in self.jit_active
        )


def _orphan_evidence(person: Person | None, key: str) -> str:
    if person is None or person.okta_status is None:
        return f"no active Okta user is linked to {key}"
    return f"Okta status {person.okta_status}"


def _gone(person: Person | None) -> bool:
    return person is None or not person.active


def orphaned(c: Context) -> None:
    """Accounts in a system whose person is not active in Okta, or unknown to the directory."""
    for m in c.snapshot.of("github", "member"):
        key = f"github:{m['login']}"
        if _gone(person := c.who(key)):
            action = {"op": "github.remove_member", "org": c.org, "login": m["login"]}
            evidence = _orphan_evidence(person, key)
            c.add("orphaned", "github", key, f"GitHub org {c.org} {m['role']}", evidence, REVOKE, person, action)
    for u in c.snapshot.of("slack", "user"):
        if u["deleted"] or u["is_bot"] or u.get("guest"):
            continue  # a deactivated account holds nothing; guests are slack_guest findings
        key = f"slack:{u['id']}"
        if _gone(person := c.who(key)):
            grant = f"Slack account {u.get('name') or u['id']}"
            c.add("orphaned", "slack", key, grant, _orphan_evidence(person, key), REVOKE, person, None)
    for u in c.snapshot.of("pagerduty", "user"):
        key = f"pagerduty:{u['id']}"
        if _gone(person := c.who(key)):
            action = {"op": "pagerduty.remove_user", "user_id": u["id"]}
            grant = f"PagerDuty user {u['email']}"
            c.add("orphaned", "pagerduty", key, grant, _orphan_evidence(person, key), REVOKE, person, action)
    for u in c.snapshot.of("identity_center", "user"):
        key = f"identity_center:{u['user_id']}"
        if _gone(person := c.who(key)):
            grant = f"Identity Center user {u['user_name']}"
            c.add("orphaned", "identity_center", key, grant, _orphan_evidence(person, key), REVOKE, person, None)
    for u in c.snapshot.of("iam", "user"):
        if not u.get("owner"):
            continue  # a machine user: credential rotation owns it (credentials.inventory)
        key = f"iam:{u['name']}"
        if _gone(person := c.who(key)):
            action = {"op": "iam.deactivate_keys", "user": u["name"]}
            c.add(
                "orphaned", "iam", key, f"IAM user {u['name']}", _orphan_evidence(person, key), REVOKE, person, action
            )


def inactive(c: Context) -> None:
    """Active Okta users with no login for `inactive_days`."""
    for u in c.okta_users.values():
        if u["status"] != "ACTIVE":
            continue
        last = when(u.get("last_login"))
        since = last or when(u.get("created"))
        if since is not None and since < c.inactive_before:
            evidence = f"last Okta login {last:%Y-%m-%d}" if last else "never logged in to Okta"
            action = {"op": "okta.deactivate_user", "user_id": u["id"]}
            c.add("inactive", "okta", f"okta:{u['id']}", "Okta account", evidence, REVOKE, c.who(u["email"]), action)


def stale_credentials(c: Context) -> None:
    """IAM keys older than `access_key_max_age_days` or unused for `inactive_days`; unused passwords."""
    max_age = timedelta(days=c.config.thresholds.access_review.access_key_max_age_days)
    for u in c.snapshot.of("iam", "user"):
        person = c.who(f"iam:{u['name']}") if u.get("owner") else None
        for k in u["keys"]:
            if not k["active"]:
                continue
            rotated, used = when(k["last_rotated"]), when(k.get("last_used"))
            last = used or rotated
            if rotated is not None and rotated < c.now - max_age:
                evidence = f"created {rotated:%Y-%m-%d}, older than {max_age.days} days"
            elif last is not None and last < c.inactive_before:
                evidence = f"last used {used:%Y-%m-%d}" if used else f"never used since {last:%Y-%m-%d}"
            else:
                continue
            grant = f"IAM user {u['name']} access key {k['slot']}"
            action = {"op": "iam.deactivate_keys", "user": u["name"], "created": k["last_rotated"]}
            c.add("stale_credential", "iam", f"iam:{u['name']}", grant, evidence, REVOKE, person, action)
        used = when(u.get("password_last_used")) or when(u.get("created"))
        if u["password_enabled"] and used is not None and used < c.inactive_before:
            grant, evidence = f"IAM user {u['name']} console password", f"password last used {used:%Y-%m-%d}"
            c.add("stale_credential", "iam", f"iam:{u['name']}", grant, evidence, REVOKE, person, None)


def missing_mfa(c: Context) -> None:
    """GitHub members with 2FA off, IAM console users without MFA, privileged Okta users without a factor."""
    for m in c.snapshot.of("github", "member"):
        person = c.who(f"github:{m['login']}")
        if not m["two_factor"] and not _gone(person):
            grant, evidence = f"GitHub org {c.org} {m['role']}", "two-factor authentication disabled"
            action = {"op": "github.remove_member", "org": c.org, "login": m["login"]}
            c.add("missing_mfa", "github", f"github:{m['login']}", grant, evidence, REVOKE, person, action)
    for u in c.snapshot.of("iam", "user"):
        if u["password_enabled"] and not u["mfa_active"]:
            person = c.who(f"iam:{u['name']}") if u.get("owner") else None
            grant, evidence = f"IAM user {u['name']} console access", "console password without MFA"
            c.add("missing_mfa", "iam", f"iam:{u['name']}", grant, evidence, REVOKE, person, None)
    privileged_groups = set(c.settings.privileged_okta_groups)
    for f in c.snapshot.of("okta", "factors"):
        user = c.okta_users.get(f["user_id"])
        if f["factors"] or user is None:
            continue
        privileged = sorted(c.groups_of.get(f["user_id"], set()) & privileged_groups)
        action = {
            "op": "okta.remove_from_groups",
            "user_id": f["user_id"],
            "groups": {g: c.group_ids[g] for g in privileged},
        }
        grant, evidence = f"Okta groups {', '.join(privileged)}", "privileged, no MFA factor enrolled"
        c.add("missing_mfa", "okta", f"okta:{f['user_id']}", grant, evidence, REVOKE, c.who(user["email"]), action)


def _because(teams: list[str]) -> str:
    return f"team {', '.join(teams)} does not include it" if teams else "the person is on no configured team"


def drift(c: Context) -> None:
    """Okta groups, GitHub teams, AWS account assignments and Identity Center groups the person's
    configured team does not explain (an active just-in-time grant explains its own)."""
    team_groups = {g for t in c.config.teams.values() for g in t.okta_groups}
    github_teams_of: dict[str, set[str]] = {}
    for t in c.snapshot.of("github", "team"):
        for login in t["members"]:
            github_teams_of.setdefault(login, set()).add(t["slug"])
    for u in c.okta_users.values():
        if u["status"] != "ACTIVE":
            continue
        person = c.who(u["email"])
        teams = c.teams_of_user(u)
        named = (u.get("profile") or {}).get(c.settings.team_attribute)
        if named in c.config.teams:  # with a named team, Okta groups are checked too
            allowed_groups = set(c.config.teams[str(named)].okta_groups)
            for group in sorted((c.groups_of.get(u["id"], set()) & team_groups) - allowed_groups):
                if c.jit_okta_group(u["id"], u["email"], group):
                    continue  # an approved, time-limited grant explains it while it lasts
                action = {"op": "okta.remove_from_groups", "user_id": u["id"], "groups": {group: c.group_ids[group]}}
                evidence = f"team {named} does not include it"
                c.add("drift", "okta", f"okta:{u['id']}", f"Okta group {group}", evidence, REVOKE, person, action)
        login = person.github if person else None
        allowed_teams = {slug for n in teams for slug in c.config.teams[n].github_teams}
        for slug in sorted(github_teams_of.get(login or "", set()) - allowed_teams):
            action = {"op": "github.remove_team_member", "org": c.org, "team": slug, "login": login}
            c.add("drift", "github", f"github:{login}", f"GitHub team {slug}", _because(teams), REVOKE, person, action)
    _identity_center_drift(c)


def _identity_center_drift(c: Context) -> None:
    accounts = c.config.aws.accounts
    for a in c.snapshot.of("identity_center", "assignment"):
        for user_id in a["users"]:
            person = c.who(f"identity_center:{user_id}")
            if _gone(person):
                continue  # the user itself is an orphaned finding
            assert person is not None
            teams = c.teams_of(person.email)
            allowed = {(accounts[x.account], x.permission_set) for n in teams for x in c.config.teams[n].aws_access}
            if (a["account_id"], a["permission_set"]) in allowed:
                continue
            if c.jit_assignment(user_id, person.email, a["account_id"], a["permission_set"]):
                continue  # an approved, time-limited grant explains it while it lasts
            grant = f"AWS {a['account']} ({a['account_id']}) {a['permission_set']}"
            action = {
                "op": "identity_center.remove_assignment",
                "account_id": a["account_id"],
                "permission_set": a["permission_set"],
                "user_id": user_id,
            }
            key = f"identity_center:{user_id}"
            c.add("drift", "identity_center", key, grant, _because(teams), REVOKE, person, action)
    for g in c.snapshot.of("identity_center", "group"):
        for user_id in g["members"]:
            person = c.who(f"identity_center:{user_id}")
            if _gone(person):
                continue  # the user itself is an orphaned finding
            assert person is not None
            teams = c.teams_of(person.email)
            if g["name"] in {name for n in teams for name in c.config.teams[n].aws_groups}:
                continue
            action = {
                "op": "identity_center.remove_from_group",
                "group_id": g["group_id"],
                "group": g["name"],
                "user_id": user_id,
            }
            key, grant = f"identity_center:{user_id}", f"Identity Center group {g['name']}"
            c.add("drift", "identity_center", key, grant, _because(teams), REVOKE, person, action)


def github_org(c: Context) -> None:
    """Too many org owners, outside collaborators, invitations older than `invitation_max_age_days`."""
    owners = [m for m in c.snapshot.of("github", "member") if m["role"] == "admin"]
    if len(owners) > c.settings.max_org_owners:
        evidence = f"{len(owners)} owners, more than {c.settings.max_org_owners}"
        for m in owners:
            key = f"github:{m['login']}"
            action = {"op": "github.demote_owner", "org": c.org, "login": m["login"]}
            c.add("too_many_owners", "github", key, f"GitHub org {c.org} owner", evidence, KEEP, c.who(key), action)
    for o in c.snapshot.of("github", "outside_collaborator"):
        key = f"github:{o['login']}"
        action = {"op": "github.remove_outside_collaborator", "org": c.org, "login": o["login"]}
        grant, evidence = f"outside collaborator on {c.org}", "has repository access without org membership"
        c.add("outside_collaborator", "github", key, grant, evidence, REVOKE, c.who(key), action)
    limit = timedelta(days=c.settings.invitation_max_age_days)
    for i in c.snapshot.of("github", "invitation"):
        sent = when(i.get("created_at"))
        if sent is not None and sent < c.now - limit and i.get("login"):
            key = f"github:{i['login']}"
            action = {"op": "github.remove_member", "org": c.org, "login": i["login"]}
            grant, evidence = f"invitation to {c.org} ({i['role']})", f"pending since {sent:%Y-%m-%d}"
            c.add("old_invitation", "github", key, grant, evidence, REVOKE, c.who(key), action)


def slack_guests(c: Context) -> None:
    """Every Slack guest account: kept when it is an active person's, else revoked (by hand)."""
    for u in c.snapshot.of("slack", "user"):
        if u["deleted"] or not u.get("guest"):
            continue
        key = f"slack:{u['id']}"
        person = c.who(key)
        if _gone(person):
            evidence, suggested = f"guest; {_orphan_evidence(person, key)}", REVOKE
        else:
            evidence, suggested = "guest account of an active Okta user", KEEP
        c.add("slack_guest", "slack", key, f"Slack guest {u.get('name') or u['id']}", evidence, suggested, person, None)


def privileged_roles(c: Context) -> None:
    """PagerDuty admin and owner roles of people `pagerduty_admins` (or organization.admins) does not name."""
    roles = set(c.settings.pagerduty_privileged_roles)
    expected = {e.lower() for e in (*c.settings.pagerduty_admins, *c.config.organization.admins)}
    for u in c.snapshot.of("pagerduty", "user"):
        if u.get("role") not in roles or u["email"] in expected:
            continue
        key = f"pagerduty:{u['id']}"
        person = c.who(key)
        if _gone(person):
            continue  # the account itself is an orphaned finding
        evidence = "access_review.pagerduty_admins does not name them"
        # A role change is made by hand: the sandbox's PagerDuty description has no PUT /users/{id}.
        c.add("privileged_role", "pagerduty", key, f"PagerDuty role {u['role']}", evidence, REVOKE, person, None)


def overdue_credentials(c: Context) -> None:
    """A credential older than its `max_age_days`, as the credential rotation last recorded it: its
    owner's to rotate (by hand: the review does not rotate, `/platform credentials rotate` does)."""
    for r in c.snapshot.of("credentials", "credential"):
        if r.get("status") != "overdue":
            continue
        person = c.who(str(r.get("owner") or ""))
        evidence = (
            f"{r.get('age_days')} days old, max {r.get('max_age_days')}; last rotated {r.get('last_rotated')} "
            f"(recorded {r.get('recorded_at')}); rotate: /platform credentials rotate {r['name']}"
        )
        grant = f"credential {r['name']} ({r['credential_kind']})"
        c.add("overdue_credential", "credentials", f"credential:{r['name']}", grant, evidence, REVOKE, person, None)


RULES: tuple[Callable[[Context], None], ...] = (
    orphaned,
    inactive,
    stale_credentials,
    missing_mfa,
    drift,
    github_org,
    slack_guests,
    privileged_roles,
    overdue_credentials,
)


def find(config: PlatformConfig, snapshot: Snapshot, now: datetime, team: str | None = None) -> list[Finding]:
    c = Context(config, snapshot, snapshot.directory(config), now)
    for rule in RULES:
        rule(c)
    found = c.found
    if team:
        found = [f for f in found if f.person and team in c.teams_of(f.person)]
    return _with_reviewers(c, found)


def _with_reviewers(c: Context, found: list[Finding]) -> list[Finding]:
    """One reviewer per finding: the person's manager (Okta profile), else their team's approvers,
    else every team's; never the person themself, only people active in Okta with a Slack account."""
    config, directory = c.config, c.directory
    everyone = sorted({a.lower() for t in config.teams.values() for a in t.approvers})
    out = []
    for f in found:
        candidates: list[str] = []
        user = c.okta_by_email.get(f.person)
        manager = (user.get("profile") or {}).get(config.access_review.manager_attribute) if user else None
        if manager:
            candidates.append(str(manager).strip().lower())
        teams = c.teams_of_user(user)
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
        out.append(
            replace(
                f,
                team=teams[0] if teams else "",
                reviewer=chosen.email if chosen else "",
                reviewer_slack_id=chosen.slack or "" if chosen else "",
            )
        )
    return out
