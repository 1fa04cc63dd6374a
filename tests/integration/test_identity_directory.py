"""The identity directory against the sandbox's Okta, Slack, PagerDuty, IAM and Identity Center:
one person from any of their keys, explicit links only, and why a link is missing."""

from __future__ import annotations

from collections.abc import Iterator

import boto3
import pytest

from functions.adapters import vendors
from functions.adapters.directory import Directory
from functions.core.identity import Person, split_key
from sandbox.engine import LocalEngine
from sandbox.fakes.org import load_org

SAM, MARIA, LEE = "sam.okafor@example.com", "maria.lopez@example.com", "lee.former@example.com"


@pytest.fixture(scope="module")
def engine() -> Iterator[LocalEngine]:
    org = load_org()
    org["people"].append(  # in Okta, but nobody linked a GitHub account to them
        {
            "name": "Una Linked",
            "email": "una.linked@example.com",
            "github": "unalinked",
            "okta": {"status": "ACTIVE", "groups": ["Engineering"], "github_link": False},
            "github_teams": [],
            "slack": False,
        }
    )
    with LocalEngine(seed=True, org=org) as local:
        iam = boto3.client("iam", region_name=local.region)
        # A CI user whose name is the local part of nobody's email, and one that is someone's local part.
        iam.create_user(UserName="deploy", Path="/machines/")
        iam.create_user(UserName="maria.lopez", Path="/machines/")
        yield local


def directory() -> Directory:
    return vendors.directory()


def test_every_key_of_a_person_resolves_to_the_same_person(engine: LocalEngine) -> None:
    sam = directory().person(SAM)
    assert isinstance(sam, Person)
    assert (sam.active, sam.github, sam.iam_users) == (True, "sokafor", ("sam.okafor",))
    assert sam.okta_id
    assert sam.slack
    assert sam.identity_center
    keys = [f"okta:{sam.okta_id}", "github:SOKAFOR", f"slack:{sam.slack}", "iam:sam.okafor"]
    keys.append(f"identity_center:{sam.identity_center}")
    for key in keys:
        found = directory().person(key)
        assert found is not None, key
        assert found.email == SAM, key
    maria = directory().person(MARIA)
    assert maria is not None
    assert maria.pagerduty
    assert directory().person(f"pagerduty:{maria.pagerduty}") == maria


def test_an_iam_user_is_linked_by_its_tag_never_by_an_emails_local_part(engine: LocalEngine) -> None:
    maria = directory().person(MARIA)
    assert maria is not None
    assert maria.iam_users == ()  # the untagged `maria.lopez` CI user is not hers
    assert directory().person("iam:maria.lopez") is None
    assert directory().person("iam:deploy") is None


def test_a_missing_link_says_why(engine: LocalEngine) -> None:
    una = directory().person("una.linked@example.com")
    assert una is not None
    assert una.github is None
    assert una.missing["github"] == "the Okta profile has no githubUsername"
    assert una.missing["slack"] == "no Slack account has the verified email una.linked@example.com"
    assert directory().person("github:unalinked") is None  # the account exists, but is nobody's
    stranger = directory().person("nobody@example.com")
    assert stranger is not None
    assert stranger.okta_status is None
    assert not stranger.active
    assert stranger.missing["okta"] == "no Okta user has the email nobody@example.com"


def test_a_deprovisioned_person_is_known_but_not_active(engine: LocalEngine) -> None:
    lee = directory().person(LEE)
    assert lee is not None
    assert lee.okta_status == "DEPROVISIONED"
    assert not lee.active
    assert not directory().active(LEE)
    assert directory().active(SAM)


def test_answers_are_cached_for_the_directorys_life(engine: LocalEngine) -> None:
    people = directory()
    first = people.person(SAM)
    calls = people.lookups
    assert first is not None
    for key in (SAM, "github:sokafor", f"slack:{first.slack}", f"okta:{first.okta_id}"):
        assert people.person(key) == first
    assert people.lookups == calls


@pytest.mark.parametrize("key", ["", "someone", "jira:42", "github:"])
def test_a_key_that_names_no_system_is_refused(key: str) -> None:
    with pytest.raises(ValueError, match="is not a person's key"):
        split_key(key)


def test_a_github_login_two_people_claim_links_to_nobody(engine: LocalEngine) -> None:
    """(The module's last test: the second claim stays.)"""
    vendors.okta().create_user("Copy", "Cat", "copy.cat@example.com", attributes={"githubUsername": "MLopez"})
    assert directory().person("github:mlopez") is None
    maria = directory().person(MARIA)
    assert maria is not None
    assert maria.github is None
    assert maria.missing["github"] == "more than one Okta user claims the GitHub login mlopez"
