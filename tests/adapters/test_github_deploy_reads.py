"""What the deployment reads from GitHub, against the GitHub fake over real HTTP: a ref's commit,
a comparison, a container package's tagged versions, a deployment's statuses (and the flags it
sets on them); and ECR's image lookup against moto."""

from __future__ import annotations

import json
from collections.abc import Iterator

import boto3
import httpx
import pytest
from moto import mock_aws

from functions.adapters.aws_ecr import Ecr, parse_image
from functions.adapters.github import GitHub, TokenAuth
from functions.adapters.retry import RetryPolicy
from sandbox import calls
from sandbox.fakes import credentials
from sandbox.fakes.github import FakeGitHub

POLICY = RetryPolicy(max_attempts=3, base_s=0.1, cap_s=1.0, budget_s=10.0, jitter=lambda: 1.0)
LOOPBACK = httpx.HTTPTransport()
ORDERS = "example-corp/orders-api"
C1, C2, C3 = (
    "8bf7530e6f4da0a60a7b6fac53038800b1469d60",
    "be4ddfbed35210755006a179fdcd6a498e618238",
    "83e8a7df13b3f8aec3f82518ea4d06ea00070430",
)


@pytest.fixture(scope="module")
def server() -> Iterator[FakeGitHub]:
    with FakeGitHub() as fake:
        yield fake


@pytest.fixture
def fake(server: FakeGitHub, org) -> FakeGitHub:
    server.reseed(org)
    return server


@pytest.fixture
def gh(fake: FakeGitHub) -> GitHub:
    return GitHub(fake.url, TokenAuth(credentials.GITHUB_TOKEN), policy=POLICY, transport=LOOPBACK)


def test_a_ref_names_a_commit_by_sha_short_sha_tag_or_branch(gh: GitHub):
    commit = gh.get_commit(ORDERS, C3[:7])
    assert commit is not None
    assert (commit.sha, commit.title, commit.author) == (C3, "Paginate the order list", "sokafor")
    assert gh.get_commit("example-corp/web", "1.5.0").title == "Release 1.5.0"  # type: ignore[union-attr]
    assert gh.get_commit(ORDERS, "main").sha == gh.get_commit(ORDERS, "HEAD").sha  # type: ignore[union-attr]
    assert gh.get_commit(ORDERS, "no-such-ref") is None


def test_a_comparison_lists_the_commits_between_and_the_direction(gh: GitHub):
    ahead = gh.compare(ORDERS, C1, C3)
    assert (ahead.status, ahead.ahead_by, ahead.behind_by) == ("ahead", 2, 0)
    assert [c.title for c in ahead.commits] == ["Add order export", "Paginate the order list"]
    behind = gh.compare(ORDERS, C3, C1)
    assert (behind.status, behind.ahead_by, behind.behind_by, behind.commits) == ("behind", 0, 2, ())
    assert gh.compare(ORDERS, C2, C2).status == "identical"


def test_a_container_tag_is_found_among_the_package_versions(gh: GitHub, fake: FakeGitHub):
    found = gh.find_container_version("example-corp", "orders-api", "sha-83e8a7d")
    assert found is not None
    assert found.name.startswith("sha256:")
    assert gh.find_container_version("example-corp", "orders-api", "sha-0000000") is None
    assert gh.find_container_version("example-corp", "no-such-image", "latest") is None
    gh.page_size = 2  # the versions page like any list
    fake.publish_image("orders-api", ["sha-1234567", "latest"])
    assert gh.find_container_version("example-corp", "orders-api", "sha-8bf7530") is not None


def test_statuses_are_listed_newest_first_and_auto_inactive_and_production_flags_are_sent(gh: GitHub):
    mark = calls.mark()
    deployment = gh.create_deployment(
        ORDERS, C3, "production", {"x": 1}, "d", required_contexts=[], production_environment=True
    )
    gh.create_deployment_status(ORDERS, deployment.id, "in_progress")
    gh.create_deployment_status(ORDERS, deployment.id, "success", auto_inactive=False)
    assert [s.state for s in gh.list_deployment_statuses(ORDERS, deployment.id)] == ["success", "in_progress"]
    bodies = [c["body"] for c in calls.since(mark) if c["method"] == "POST"]
    assert bodies[0]["production_environment"] is True
    assert bodies[2] == {"state": "success", "auto_inactive": False}


def test_ecr_finds_a_tag_in_another_accounts_repository():
    image = "111111111111.dkr.ecr.eu-west-1.amazonaws.com/web"
    assert parse_image(image) == ("111111111111", "eu-west-1", "web")
    with pytest.raises(ValueError, match="not an ECR image"):
        parse_image("ghcr.io/example-corp/web")
    with mock_aws():
        ecr = boto3.client("ecr", region_name="eu-west-1")
        ecr.create_repository(repositoryName="web", registryId="111111111111")
        manifest = {
            "schemaVersion": 2,
            "mediaType": "application/vnd.docker.distribution.manifest.v2+json",
            "config": {"digest": "sha256:" + "a" * 64, "size": 1, "mediaType": "x"},
            "layers": [],
        }
        ecr.put_image(
            registryId="111111111111", repositoryName="web", imageManifest=json.dumps(manifest), imageTag="1.5.0"
        )
        found = Ecr().find_image(image, "1.5.0")
        assert found is not None
        assert found.tags == ("1.5.0",)
        assert Ecr().find_image(image, "9.9.9") is None
        assert Ecr().find_image("111111111111.dkr.ecr.eu-west-1.amazonaws.com/nope", "1") is None
