"""The fixture organisation that seeds the vendor fakes: from a YAML/JSON file, or generated at a
given size for scale tests. The format is the one in sandbox/fixtures/org.yaml:

  domain, okta.groups, github.{org, teams, repos[{name, files}], outside_users,
  outside_collaborators, invitations[{login, days_old}], saml_sso (the org's SAML SSO links each
  member by a NameID: their email, or `github_saml` (a NameID, or false: no identity))},
  slack.{channels, guests[{name, email}]}, pagerduty.schedules[{name, members}], argocd.applications[...],
  people[{name, email, github, okta: {status, groups, factors, last_login, profile, github_link
          (default true: the Okta profile's githubUsername names `github`)}, github_teams,
          github_role (member or admin), github_2fa (default true), github_public_email (default
          true: GET /users shows the email), slack (true, guest, single-channel-guest or
          deactivated), pagerduty (true or a role: admin, owner ...),
          aws_iam_user (bool: a classic IAM user with an access key, seeded in moto),
          aws_assignments[{account, permission_set}] (direct Identity Center assignments),
          aws_groups[name] (Identity Center group memberships; the groups are created)}]

Every access review finding kind has an example in sandbox/fixtures/org.yaml (README: Access review).
"""

from __future__ import annotations

import copy
import random
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import yaml

DEFAULT_ORG = Path(__file__).resolve().parent.parent / "fixtures" / "org.yaml"
_FIRST = ["Alex", "Sam", "Maria", "Dev", "Lee", "Priya", "Jon", "Ana", "Kim", "Omar", "Eva", "Li", "Noah", "Zoe"]
_LAST = ["Lopez", "Patel", "Okafor", "Smith", "Kowalski", "Nguyen", "Berg", "Rossi", "Haddad", "Tanaka"]


def load_org(path: str | Path | None = None) -> dict[str, Any]:
    data = yaml.safe_load(Path(path or DEFAULT_ORG).read_text())
    if not isinstance(data, dict) or not isinstance(data.get("people"), list):
        raise TypeError(f"{path}: an organisation needs a 'people' list (see {DEFAULT_ORG})")
    return data


def generate_org(size: int, seed: int = 1, base: dict[str, Any] | None = None) -> dict[str, Any]:
    """`base` (default: the fixture organisation) plus generated people, `size` people in all.
    Deterministic for a given seed; about 5% inactive, 10% without MFA, 3% deprovisioned."""
    org = copy.deepcopy(base if base is not None else load_org())
    rng = random.Random(seed)
    groups = [g for g in org["okta"]["groups"] if g != "Everyone"]
    teams = org["github"]["teams"]
    now = datetime(2026, 11, 25, tzinfo=UTC)
    people = org["people"]
    for n in range(len(people), size):
        first, last = rng.choice(_FIRST), rng.choice(_LAST)
        login = f"{first}.{last}{n}".lower()
        roll = rng.random()
        status = "DEPROVISIONED" if roll < 0.03 else "ACTIVE"
        idle_days = rng.randint(120, 400) if roll < 0.08 else rng.randint(0, 30)
        people.append(
            {
                "name": f"{first} {last}",
                "email": f"{login}@{org['domain']}",
                "github": f"{first[0]}{last}{n}".lower(),
                "okta": {
                    "status": status,
                    "groups": rng.sample(groups, k=min(len(groups), rng.randint(1, 2))),
                    "factors": [] if rng.random() < 0.10 else ["push"],
                    "last_login": (now - timedelta(days=idle_days)).strftime("%Y-%m-%dT%H:%M:%SZ"),
                },
                "github_teams": rng.sample(teams, k=1),
                "github_2fa": rng.random() > 0.05,
                "slack": status == "ACTIVE",
                "pagerduty": rng.random() < 0.2,
            }
        )
    return org
