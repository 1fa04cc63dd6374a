"""`identity.github_link: saml`: a GitHub login is linked to a person by the org's SAML SSO
identities (GitHub's GraphQL), not by an Okta profile attribute anyone with profile rights can
edit. Against the sandbox's GitHub, whose org uses SAML SSO here."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml

from functions.adapters import vendors
from functions.adapters.github import GitHub
from sandbox import calls
from sandbox.engine import LocalEngine, fixed_policy
from sandbox.fakes.org import load_org
from tests.conftest import EXAMPLE_CONFIG
from tests.integration.test_offboarding import offboarding_input

SAM, UNA = "sam.okafor@example.com", "una.saml@example.com"
IVO, NOEL = "ivo.claims@example.com", "noel.nolink@example.com"


def _person(name: str, email: str, login: str, **extra: object) -> dict[str, object]:
    return {
        "name": name,
        "email": email,
        "github": login,
        "okta": {"status": "ACTIVE", "groups": ["Engineering"], "factors": ["push"]},
        "github_teams": ["engineering"],
        "slack": True,
        "pagerduty": False,
        **extra,
    }


@pytest.fixture(scope="module")
def engine(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalEngine]:
    data = yaml.safe_load(EXAMPLE_CONFIG.read_text(encoding="utf-8"))
    data["identity"]["github_link"] = "saml"
    path: Path = tmp_path_factory.mktemp("saml") / "platform.yaml"
    path.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
    org = load_org()
    org["github"]["saml_sso"] = True
    una = _person("Una Saml", UNA, "una-gh")
    una["okta"] = {"status": "ACTIVE", "groups": ["Engineering"], "github_link": False}  # no profile attribute
    # Ivo's Okta profile claims `noel-gh`, but the org's SAML identity of that login is Noel's;
    # Noel's own profile names no login and only SAML links him.
    ivo = _person("Ivo Claims", IVO, "ivo-gh", github_saml=False)
    ivo["okta"] = {"status": "ACTIVE", "groups": ["Engineering"], "github_link": False}
    ivo["okta"]["profile"] = {"githubUsername": "noel-gh"}
    noel = _person("Noel Nolink", NOEL, "noel-gh")
    noel["okta"] = {"status": "ACTIVE", "groups": ["Engineering"], "github_link": False}
    org["people"] += [una, ivo, noel]
    with LocalEngine(path, approvals=fixed_policy("approved", "dev.patel@example.com"), org=org) as local:
        yield local


def test_a_login_is_linked_by_its_saml_identity_not_by_a_profile_attribute(engine: LocalEngine) -> None:
    directory = vendors.directory()
    una = directory.person(UNA)
    assert una is not None
    assert una.github == "una-gh"  # her Okta profile names no login: SAML links her
    assert directory.person("github:UNA-GH") == una
    sam = directory.person(SAM)
    assert sam is not None
    assert sam.github == "sokafor"
    # Ivo's profile claims Noel's login; the identity provider says it is Noel's.
    noel = vendors.directory().person("github:noel-gh")
    assert noel is not None
    assert noel.email == NOEL
    ivo = vendors.directory().person(IVO)
    assert ivo is not None
    assert ivo.github is None
    assert ivo.missing["github"] == f"no GitHub login in the org has a SAML identity for {IVO}"


def test_the_bulk_load_links_the_same_way_with_one_read_of_the_identities(engine: LocalEngine) -> None:
    directory = vendors.directory(links=())
    people = directory.people([UNA, IVO, NOEL, SAM, *(f"filler{i}@example.com" for i in range(30))])
    assert (people[UNA].github, people[NOEL].github, people[IVO].github) == ("una-gh", "noel-gh", None)  # type: ignore[union-attr]
    mark = calls.mark()
    assert directory.person("github:una-gh") == people[UNA]
    assert calls.since(mark) == []  # answered from what load() read


def test_every_page_of_identities_is_read(engine: LocalEngine) -> None:
    github = GitHub.from_config(engine.config)
    github.page_size = 2
    mark = calls.mark()
    linked = github.saml_identities(engine.config.github.org)
    pages = [c for c in calls.since(mark) if c["path"] == "/graphql"]
    assert linked["una-gh"] == UNA
    assert linked["sokafor"] == SAM
    assert "ivo-gh" not in linked
    assert len(pages) == -(-len(linked) // 2)


def test_offboarding_refuses_a_login_the_saml_identity_gives_to_someone_else(engine: LocalEngine) -> None:
    execution = engine.run("offboarding", offboarding_input(engine, IVO, "noel-gh"))
    assert execution.status == "SUCCEEDED", execution.cause
    assert execution.output["status"] == "needs-info"
    (problem,) = execution.output["problems"]
    assert "cannot be checked" in problem
    assert "the GitHub org's SAML SSO identities" in problem
    assert "noel-gh" in engine.vendors.fakes["github"].state()["members"]


def test_the_access_review_snapshot_keeps_the_saml_identities_it_links_by(engine: LocalEngine) -> None:
    from functions.access_review import collect

    got = collect.github(engine.config, GitHub.from_config(engine.config))
    linked = {r["login"]: r["name_id"] for r in got.records if r["kind"] == "saml_identity"}
    assert linked["una-gh"] == UNA
    assert linked["noel-gh"] == NOEL
    assert "ivo-gh" not in linked
