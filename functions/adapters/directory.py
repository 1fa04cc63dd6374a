"""The identity directory: a person from any of their keys, with every account the stack holds
for them (functions/core/identity.py has the record and the key syntax).

Okta is the source of truth. Each other link is explicit (docs/security.md):
- GitHub: the Okta profile attribute `identity.github_attribute` (default `githubUsername`), or,
  with `identity.github_link: saml`, the GitHub org's SAML SSO identities (the login whose
  identity's NameID is the person's Okta login or email);
- Slack and PagerDuty: the account whose (verified) email is the person's Okta email;
- IAM users: the tag `identity.iam_email_tag` (default `email`) — never an email's local part;
- Identity Center: the user whose UserName, else primary email, is the person's email.

One Directory lives for one execution (or one request): it caches every answer, under every key
of the person it found. `load()` reads each system's whole list once, so the access review can
resolve tens of thousands of keys without a call per key.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, TypeVar

from functions.adapters.okta import OktaUser
from functions.core.identity import ACTIVE, Person, split_key

if TYPE_CHECKING:
    from functions.adapters.aws_iam import Iam
    from functions.adapters.aws_identity import IdentityCenter
    from functions.adapters.okta import Okta
    from functions.adapters.pagerduty import PagerDuty
    from functions.adapters.slack import Slack
    from functions.core.config import PlatformConfig

T = TypeVar("T")
Provider = Callable[[], T]


def _quoted(value: str) -> str:
    return value.replace("\\", "\\\\").replace('"', '\\"')


@dataclass
class _Indexes:
    """What `load()` read: every account of every system, by the key the links use."""

    okta_by_email: dict[str, OktaUser] = field(default_factory=dict)
    okta_by_github: dict[str, list[OktaUser]] = field(default_factory=dict)
    slack_by_email: dict[str, Any] = field(default_factory=dict)
    pagerduty_by_email: dict[str, Any] = field(default_factory=dict)
    identity_center_by_email: dict[str, str] | None = None  # user name or email -> user id


class Directory:
    """Resolves people through the vendors the configuration has. A system left out (None) is a
    missing link with that reason, never a guess."""

    def __init__(
        self,
        *,
        okta: Provider[Okta],
        github_attribute: str = "githubUsername",
        github_saml: Provider[dict[str, str]] | None = None,
        iam_email_tag: str = "email",
        slack: Provider[Slack] | None = None,
        pagerduty: Provider[PagerDuty] | None = None,
        iam: Provider[Iam] | None = None,
        identity_center: Provider[IdentityCenter] | None = None,
    ) -> None:
        self._okta, self._slack, self._pagerduty = okta, slack, pagerduty
        self._iam, self._identity_center = iam, identity_center
        self.github_attribute, self.iam_email_tag = github_attribute, iam_email_tag
        self._github_saml = github_saml
        self._saml: dict[str, str] | None = None  # GitHub login -> NameID, read once
        self._saml_logins: dict[str, list[str]] = {}  # NameID -> the logins it names
        self._cache: dict[str, Person | None] = {}
        self._iam_owners: dict[str, str] | None = None  # IAM user -> email, read once
        self._iam_by_owner: tuple[dict[str, str], dict[str, list[str]]] | None = None  # its inverse
        self._claims: dict[str, list[OktaUser]] = {}  # GitHub login -> the Okta users claiming it
        self._loaded: _Indexes | None = None
        self.lookups = 0  # vendor calls made, for the benchmarks and the tests

    @classmethod
    def from_config(cls, config: PlatformConfig, vendors: Any, links: Iterable[str]) -> Directory:
        """`vendors` is functions.adapters.vendors (passed in: it imports this module's callers);
        `links` the systems beside Okta to read."""
        wanted = set(links)
        return cls(
            okta=vendors.okta,
            github_attribute=config.identity.github_attribute,
            github_saml=(lambda: vendors.github().saml_identities(config.github.org))
            if config.identity.github_link == "saml"
            else None,
            iam_email_tag=config.identity.iam_email_tag,
            slack=vendors.slack if "slack" in wanted else None,
            pagerduty=vendors.pagerduty if "pagerduty" in wanted and config.pagerduty else None,
            iam=vendors.iam if "iam" in wanted else None,
            identity_center=vendors.identity_center if "identity_center" in wanted else None,
        )

    @property
    def github_link(self) -> str:
        """Where a person's GitHub login comes from, for messages that say why one is missing."""
        if self._github_saml is not None:
            return "the GitHub org's SAML SSO identities"
        return f"the Okta profile attribute `{self.github_attribute}`"

    # --- lookups -------------------------------------------------------------------------------

    def person(self, key: str) -> Person | None:
        system, value = split_key(key)
        cache_key = value if system == "email" else f"{system}:{value}"
        if cache_key in self._cache:
            return self._cache[cache_key]
        found = self._resolve(system, value)
        self._cache[cache_key] = found
        if found is not None:
            for other in found.identifiers():
                self._cache.setdefault(other, found)
        return found

    def active(self, key: str) -> bool:
        """Whether `key` is a person active in Okta now. Reads Okta only (no other system, no
        cache): a decision must see a deactivation that happened a second ago."""
        system, value = split_key(key)
        if system not in ("email", "okta"):
            person = self.person(key)
            return person is not None and self.active(person.email)
        self.lookups += 1
        user = self._okta().find_user(value) if system == "email" else self._okta().get_user(value)
        return user is not None and user.status == ACTIVE

    def people(self, keys: Iterable[str]) -> dict[str, Person | None]:
        """Many at once: above a handful, every system's list is read once instead."""
        wanted = list(dict.fromkeys(keys))
        if len(wanted) > 20 and self._loaded is None:
            self.load()
        return {key: self.person(key) for key in wanted}

    def load(self) -> None:
        """Read every system's accounts once (paged at each vendor's largest page)."""
        okta = self._okta()
        indexes = _Indexes()
        users = [*okta.iter_users(), *okta.iter_users(filter='status eq "DEPROVISIONED"')]
        self.lookups += 2
        for user in users:
            indexes.okta_by_email.setdefault(user.email.lower(), user)
            login = self._github_of(user)
            if login:
                indexes.okta_by_github.setdefault(login, []).append(user)
        if self._slack is not None:
            self.lookups += 1
            for account in self._slack().list_users():
                if account.email and not account.is_bot:
                    indexes.slack_by_email[account.email.lower()] = account
        if self._pagerduty is not None:
            self.lookups += 1
            indexes.pagerduty_by_email = {u.email.lower(): u for u in self._pagerduty().list_users()}
        if self._identity_center is not None:
            self.lookups += 1
            indexes.identity_center_by_email = {}
            for ic_user in self._identity_center().list_users():
                for name in (ic_user.user_name, ic_user.email):
                    if name:
                        indexes.identity_center_by_email.setdefault(name.lower(), ic_user.user_id)
        self._iam_index()
        self._loaded = indexes

    # --- resolution ----------------------------------------------------------------------------

    def _resolve(self, system: str, value: str) -> Person | None:
        if system == "email":
            return self._build(value, self._okta_by_email(value))
        if system == "okta":
            self.lookups += 1
            user = self._okta().get_user(value)
            return self._build(user.email.lower(), user)
        if system == "github":
            users = self._okta_by_github(value)
            if len(users) != 1:
                return None  # nobody, or two people claim one login: no link is better than a wrong one
            return self._build(users[0].email.lower(), users[0])
        email = self._email_from(system, value)
        if email is None:
            return None
        person = self.person(email)
        # The account must be one the person's record links back to, not just share an address.
        return person if person is not None and person.is_(f"{system}:{value}") else None

    def _email_from(self, system: str, value: str) -> str | None:
        """The email another system's account belongs to, as that system says it."""
        self.lookups += 1
        if system == "slack" and self._slack is not None:
            account = self._slack().user_by_id(value)
            return account.email.lower() if account and account.email else None
        if system == "iam" and self._iam is not None:
            return self._iam_index().get(value)
        if system == "identity_center" and self._identity_center is not None:
            user = self._identity_center().find_user_by_id(value)
            return user.email.lower() if user and user.email else None
        if system == "pagerduty" and self._pagerduty is not None:
            pd_user = self._pagerduty().get_user(value)
            return pd_user.email.lower() if pd_user else None
        return None

    def _okta_by_email(self, email: str) -> OktaUser | None:
        if self._loaded is not None:
            return self._loaded.okta_by_email.get(email)
        self.lookups += 1
        return self._okta().find_user(email)

    def _okta_by_github(self, login: str) -> list[OktaUser]:
        """Every Okta user who claims `login`: asked once per login, since resolving `github:<login>`
        and building that person's record (which checks the claim is theirs alone) both need it."""
        if self._github_saml is not None:
            # One identity per login: the claim is the identity provider's, never a profile's.
            name_id = self._saml_index().get(login)
            user = self._okta_by_email(name_id) if name_id else None
            return [user] if user is not None else []
        if self._loaded is not None:
            return self._loaded.okta_by_github.get(login, [])
        if login not in self._claims:
            self.lookups += 1
            search = f'profile.{self.github_attribute} eq "{_quoted(login)}"'
            found = self._okta().list_users(search=search)
            self._claims[login] = [user for user in found if self._github_of(user) == login]
        return self._claims[login]

    def _github_of(self, user: OktaUser) -> str | None:
        if self._github_saml is not None:
            self._saml_index()
            logins = {*self._saml_logins.get(user.login.lower(), ()), *self._saml_logins.get(user.email.lower(), ())}
            return logins.pop() if len(logins) == 1 else None
        login = user.profile.get(self.github_attribute)
        return str(login).strip().lower() if login else None

    def _saml_index(self) -> dict[str, str]:
        if self._saml is None:
            assert self._github_saml is not None
            self.lookups += 1
            self._saml = self._github_saml()
            for login, name_id in self._saml.items():
                self._saml_logins.setdefault(name_id, []).append(login)
        return self._saml

    def _github_missing(self, user: OktaUser) -> str:
        if self._github_saml is None:
            return f"the Okta profile has no {self.github_attribute}"
        names = {user.login.lower(), user.email.lower()}
        if sum(len(self._saml_logins.get(name, ())) for name in names) > 1:
            return f"more than one GitHub login has a SAML identity for {user.email}"
        return f"no GitHub login in the org has a SAML identity for {user.email}"

    def _iam_index(self) -> dict[str, str]:
        if self._iam_owners is None:
            self._iam_owners = self._iam().owners(self.iam_email_tag) if self._iam is not None else {}
            self.lookups += 1
        return self._iam_owners

    def _iam_users_of(self, email: str) -> tuple[str, ...]:
        """The IAM users tagged with `email`, from an inverse index (one scan, not one per person)."""
        index = self._iam_index()
        if self._iam_by_owner is None or self._iam_by_owner[0] is not index:
            by_owner: dict[str, list[str]] = {}
            for name, owner in index.items():
                by_owner.setdefault(owner, []).append(name)
            self._iam_by_owner = (index, by_owner)
        return tuple(sorted(self._iam_by_owner[1].get(email, ())))

    def _build(self, email: str, user: OktaUser | None) -> Person:
        missing: dict[str, str] = {}
        if user is None:
            missing["okta"] = f"no Okta user has the email {email}"
        github = self._github_of(user) if user is not None else None
        if user is not None and not github:
            missing["github"] = self._github_missing(user)
        elif github and len(self._okta_by_github(github)) > 1:
            missing["github"] = f"more than one Okta user claims the GitHub login {github}"
            github = None
        slack = self._slack_of(email, missing)
        pagerduty = self._pagerduty_of(email, missing)
        iam_users = self._iam_users_of(email)
        identity_center = self._identity_center_of(email, missing)
        name = f"{user.first_name} {user.last_name}".strip() if user is not None else ""
        return Person(
            email=email,
            name=name,
            okta_id=user.id if user is not None else None,
            okta_status=user.status if user is not None else None,
            github=github,
            slack=slack,
            iam_users=iam_users,
            identity_center=identity_center,
            pagerduty=pagerduty,
            missing=missing,
        )

    def _slack_of(self, email: str, missing: dict[str, str]) -> str | None:
        if self._slack is None:
            missing["slack"] = "Slack is not configured"
            return None
        if self._loaded is not None:
            account = self._loaded.slack_by_email.get(email)
        else:
            self.lookups += 1
            account = self._slack().user_by_email(email)
        if account is None:
            missing["slack"] = f"no Slack account has the verified email {email}"
            return None
        if account.deleted:
            missing["slack"] = "the Slack account is deactivated"
            return None
        return str(account.id)

    def _pagerduty_of(self, email: str, missing: dict[str, str]) -> str | None:
        if self._pagerduty is None:
            missing["pagerduty"] = "PagerDuty is not configured"
            return None
        if self._loaded is not None:
            pd_user = self._loaded.pagerduty_by_email.get(email)
        else:
            self.lookups += 1
            pd_user = self._pagerduty().find_user_by_email(email)
        if pd_user is None:
            missing["pagerduty"] = f"no PagerDuty user has the email {email}"
            return None
        return str(pd_user.id)

    def _identity_center_of(self, email: str, missing: dict[str, str]) -> str | None:
        if self._identity_center is None:
            missing["identity_center"] = "Identity Center is not configured"
            return None
        if self._loaded is not None and self._loaded.identity_center_by_email is not None:
            user_id = self._loaded.identity_center_by_email.get(email)
        else:
            self.lookups += 1
            user = self._identity_center().find_user(email, email=email)
            user_id = user.user_id if user is not None else None
        if user_id is None:
            missing["identity_center"] = f"no Identity Center user has the user name or email {email}"
        return user_id
