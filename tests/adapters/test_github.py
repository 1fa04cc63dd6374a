"""The GitHub adapter against the GitHub fake over real HTTP: every operation, Link and cursor
paging, App installation tokens, rate limits (429 and GitHub's 403s) and error mapping."""

from __future__ import annotations

import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from functions.adapters import github as github_module
from functions.adapters import redaction
from functions.adapters import secrets as secrets_module
from functions.adapters.errors import TransientVendorError, VendorError
from functions.adapters.github import AppAuth, GitHub, RepoFile, TokenAuth, Webhook
from functions.adapters.retry import RetryPolicy
from functions.core.config import PlatformConfig
from sandbox import calls
from sandbox.fakes import credentials
from sandbox.fakes.base import Fault
from sandbox.fakes.github import ORG_HOOK_ID, FakeGitHub
from sandbox.fakes.github_data import blob_sha
from sandbox.fakes.org import generate_org

POLICY = RetryPolicy(max_attempts=4, base_s=0.5, cap_s=8.0, budget_s=120.0, jitter=lambda: 1.0)
ORG = "example-corp"
REQUESTS = "example-corp/platform-requests"
GITOPS = "example-corp/gitops"
VALUES = "apps/web/values.yaml"
APP_ID = 123456
# One loopback transport for every adapter here: each httpx client would otherwise build its own
# TLS context (about 0.1 s) for connections that are plain HTTP anyway.
LOOPBACK = httpx.HTTPTransport()


@pytest.fixture(scope="module")
def server() -> Iterator[FakeGitHub]:
    with FakeGitHub() as fake:
        yield fake


@pytest.fixture
def fake(server: FakeGitHub, org) -> FakeGitHub:
    server.reseed(org)
    with server.lock:
        server.app_id = None
        server.issued_tokens.clear()
    github_module._tokens.clear()  # the per-process token cache would carry over between tests
    return server


@pytest.fixture
def gh(fake: FakeGitHub) -> GitHub:
    return GitHub(fake.url, TokenAuth(credentials.GITHUB_TOKEN), policy=POLICY, transport=LOOPBACK)


def app_auth() -> AppAuth:
    return AppAuth(APP_ID, credentials.private_key_pem(), credentials.GITHUB_INSTALLATION_ID)


def github_calls(mark: int, method: str | None = None, path: str = "") -> list[dict[str, Any]]:
    return [
        c
        for c in calls.since(mark)
        if c["service"] == "github" and (method is None or c["method"] == method) and path in c["path"]
    ]


# --- issues -----------------------------------------------------------------------------------------
def test_read_comment_label_and_close_an_issue(gh: GitHub, fake: FakeGitHub):
    fake.add_issue(REQUESTS, "Onboard Jane Doe", "github: jdoe-dev", ["onboarding"], "mlopez")

    issue = gh.get_issue(REQUESTS, 1)
    assert (issue.title, issue.state, issue.labels, issue.author) == (
        "Onboard Jane Doe",
        "open",
        ("onboarding",),
        "mlopez",
    )
    assert issue.state_reason is None

    comment = gh.comment_on_issue(REQUESTS, 1, "Approved by @devpatel <!-- platform:approved -->")
    assert comment.author == "platform-automation[bot]"
    assert gh.find_comment(REQUESTS, 1, "<!-- platform:approved -->") == comment
    assert gh.find_comment(REQUESTS, 1, "<!-- platform:other -->") is None

    assert gh.add_labels(REQUESTS, 1, ["approved", "status: in progress"]) == (
        "onboarding",
        "approved",
        "status: in progress",
    )
    assert gh.remove_label(REQUESTS, 1, "status: in progress") is True
    assert gh.remove_label(REQUESTS, 1, "status: in progress") is False  # already gone: fine

    closed = gh.close_issue(REQUESTS, 1, state_reason="not_planned")
    assert (closed.state, closed.state_reason, closed.labels) == ("closed", "not_planned", ("onboarding", "approved"))
    assert fake.state()["issues"][f"{REQUESTS}#1"] == {
        "title": "Onboard Jane Doe",
        "state": "closed",
        "state_reason": "not_planned",
        "labels": ["onboarding", "approved"],
        "comments": ["Approved by @devpatel <!-- platform:approved -->"],
    }


def test_issue_comments_are_read_across_pages(fake: FakeGitHub):
    fake.add_issue(REQUESTS, "Busy thread")
    gh = GitHub(fake.url, TokenAuth(credentials.GITHUB_TOKEN), policy=POLICY, page_size=2, transport=LOOPBACK)
    for n in range(5):
        gh.comment_on_issue(REQUESTS, 1, f"comment {n}")
    mark = calls.mark()

    comments = gh.list_issue_comments(REQUESTS, 1)

    assert [c.body for c in comments] == [f"comment {n}" for n in range(5)]
    pages = github_calls(mark, "GET", "/comments")
    assert [c["query"].get("page", "1") for c in pages] == ["1", "2", "3"]


def test_an_unknown_issue_is_a_404_raised_at_once(gh: GitHub, sleeps):
    mark = calls.mark()
    with pytest.raises(VendorError) as caught:
        gh.get_issue(REQUESTS, 999)
    error = caught.value
    assert (error.vendor, error.operation, error.status, error.detail) == ("github", "get issue", 404, "Not Found")
    assert error.request_id
    assert not isinstance(error, TransientVendorError)
    assert len(github_calls(mark)) == 1
    assert sleeps == []


def test_a_validation_failure_is_a_422(gh: GitHub, fake: FakeGitHub):
    fake.add_issue(REQUESTS, "Empty comment")
    with pytest.raises(VendorError) as caught:
        gh.comment_on_issue(REQUESTS, 1, "")
    assert (caught.value.status, caught.value.detail, caught.value.operation) == (
        422,
        "Validation Failed",
        "comment on issue",
    )


# --- users and organisation membership ------------------------------------------------------------
def test_get_user_tells_whether_a_login_exists(gh: GitHub):
    user = gh.get_user("jdoe-dev")
    assert user is not None
    assert (user.login, user.type) == ("jdoe-dev", "User")
    assert gh.get_user("no-such-person-here") is None


def test_invite_accept_and_remove_a_member(gh: GitHub, fake: FakeGitHub):
    assert gh.get_membership(ORG, "jdoe-dev") is None
    assert gh.get_membership(ORG, "mlopez").state == "active"  # type: ignore[union-attr]

    invited = gh.set_membership(ORG, "jdoe-dev")
    assert (invited.login, invited.state, invited.role) == ("jdoe-dev", "pending", "member")
    # The fixture org has one invitation of its own, a month old (the access review's finding).
    assert [i.login for i in gh.list_invitations(ORG)] == ["old-invitee", "jdoe-dev"]
    assert gh.set_membership(ORG, "jdoe-dev").state == "pending"  # asking again changes nothing
    assert len(gh.list_invitations(ORG)) == 2

    fake.accept_invitation("jdoe-dev")
    assert gh.get_membership(ORG, "jdoe-dev").state == "active"  # type: ignore[union-attr]
    assert [i.login for i in gh.list_invitations(ORG)] == ["old-invitee"]

    assert gh.remove_member(ORG, "jdoe-dev") is True
    assert gh.remove_member(ORG, "jdoe-dev") is False
    assert "jdoe-dev" not in fake.state()["members"]


def test_removing_an_invited_person_cancels_the_invitation(gh: GitHub, fake: FakeGitHub):
    gh.set_membership(ORG, "alex-new")
    assert gh.remove_member(ORG, "alex-new") is True
    assert fake.state()["invitations"] == ["old-invitee"]
    assert gh.get_membership(ORG, "alex-new") is None


def test_members_are_listed_across_pages_and_filtered_by_2fa(fake: FakeGitHub):
    org = generate_org(25, seed=3)
    with fake.lock:
        fake.reset()
        fake.seed(org)
    gh = GitHub(fake.url, TokenAuth(credentials.GITHUB_TOKEN), policy=POLICY, page_size=10, transport=LOOPBACK)
    mark = calls.mark()

    members = gh.list_members(ORG)

    expected = {p["github"] for p in org["people"]}
    assert {m.login for m in members} == expected
    assert len(members) == 25
    pages = github_calls(mark, "GET", "/members")
    assert [c["query"].get("page", "1") for c in pages] == ["1", "2", "3"]

    no_2fa = {m.login for m in gh.list_members(ORG, filter="2fa_disabled")}
    assert no_2fa == {p["github"] for p in org["people"] if not p.get("github_2fa", True)}
    assert "sokafor" in no_2fa


# --- teams ----------------------------------------------------------------------------------------------
def test_team_membership_for_members_and_for_people_not_yet_in_the_org(gh: GitHub, fake: FakeGitHub):
    team = gh.get_team(ORG, "platform")
    assert team is not None
    assert (team.slug, team.members_count) == ("platform", 3)
    assert gh.get_team(ORG, "no-such-team") is None

    assert gh.add_team_member(ORG, "platform", "sokafor").state == "active"
    outsider = gh.add_team_member(ORG, "platform", "jdoe-dev")
    assert (outsider.state, outsider.role) == ("pending", "member")
    assert gh.get_membership(ORG, "jdoe-dev").state == "pending"  # type: ignore[union-attr]
    assert {u.login for u in gh.list_team_members(ORG, "platform")} == {"mlopez", "devpatel", "ivyd", "sokafor"}

    fake.accept_invitation("jdoe-dev")
    assert gh.get_team_membership(ORG, "platform", "jdoe-dev").state == "active"  # type: ignore[union-attr]

    gh.remove_team_member(ORG, "platform", "devpatel")
    gh.remove_team_member(ORG, "platform", "devpatel")  # idempotent
    assert gh.get_team_membership(ORG, "platform", "devpatel") is None
    assert set(fake.state()["teams"]["platform"]) == {"mlopez", "ivyd", "sokafor", "jdoe-dev"}


def test_team_members_are_listed_across_pages(fake: FakeGitHub):
    gh = GitHub(fake.url, TokenAuth(credentials.GITHUB_TOKEN), policy=POLICY, page_size=1, transport=LOOPBACK)
    mark = calls.mark()
    assert {u.login for u in gh.list_team_members(ORG, "engineering")} == {"mlopez", "devpatel", "sokafor", "ivyd"}
    assert len(github_calls(mark, "GET", "/teams/engineering/members")) == 4


# --- contents -------------------------------------------------------------------------------------------
def test_read_and_update_a_file(gh: GitHub, fake: FakeGitHub):
    current = gh.get_file(GITOPS, VALUES)
    assert isinstance(current, RepoFile)
    text, sha = current
    assert 'tag: "1.4.0"' in text
    assert sha == fake.state()["files"][GITOPS][VALUES]

    mark = calls.mark()
    commit = gh.update_file(GITOPS, VALUES, text.replace("1.4.0", "1.5.0"), sha, "web: 1.5.0")

    put = github_calls(mark, "PUT")[0]
    assert put["body"]["sha"] == sha
    assert put["body"]["message"] == "web: 1.5.0"
    assert len(commit) == 40
    updated = gh.get_file(GITOPS, VALUES)
    assert updated is not None
    assert 'tag: "1.5.0"' in updated.text
    assert gh.get_file(GITOPS, VALUES, ref=commit) == updated
    assert gh.get_file(GITOPS, "apps/missing.yaml") is None


def test_creating_a_new_file_needs_no_sha(gh: GitHub):
    gh.update_file(GITOPS, "apps/api/values.yaml", "image:\n  tag: 2.0.0\n", None, "add api")
    text = "image:\n  tag: 2.0.0\n"
    assert gh.get_file(GITOPS, "apps/api/values.yaml") == RepoFile(text, blob_sha(text))


def test_a_stale_sha_is_a_409_conflict(gh: GitHub, fake: FakeGitHub, sleeps):
    stale = gh.get_file(GITOPS, VALUES)
    assert stale is not None
    fake.set_file(GITOPS, VALUES, "image:\n  tag: changed-by-someone\n")

    with pytest.raises(VendorError) as caught:
        gh.update_file(GITOPS, VALUES, "image:\n  tag: mine\n", stale.sha, "mine")
    assert caught.value.status == 409
    assert stale.sha in caught.value.detail
    assert sleeps == []


def test_edit_file_reads_again_after_a_concurrent_commit(gh: GitHub, fake: FakeGitHub):
    seen: list[str | None] = []

    def bump(text: str | None) -> str:
        seen.append(text)
        if len(seen) == 1:  # someone commits between our read and our write
            fake.set_file(GITOPS, VALUES, (text or "") + "# touched\n")
        return (text or "").replace("1.4.0", "1.6.0")

    commit = gh.edit_file(GITOPS, VALUES, bump, "web: 1.6.0")

    assert commit is not None
    assert len(seen) == 2
    assert "# touched" in (seen[1] or "")
    final = gh.get_file(GITOPS, VALUES)
    assert final is not None
    assert 'tag: "1.6.0"' in final.text
    assert "# touched" in final.text
    assert gh.edit_file(GITOPS, VALUES, lambda t: t or "", "nothing to do") is None


# --- deployments ------------------------------------------------------------------------------------------
def test_deployments_and_their_statuses(gh: GitHub, fake: FakeGitHub):
    head = gh.update_file(GITOPS, "apps/web/VERSION", "1.5.0\n", None, "web 1.5.0")
    deployment = gh.create_deployment(GITOPS, "main", "production", {"app": "web", "version": "1.5.0"}, "web 1.5.0")
    assert (deployment.ref, deployment.sha, deployment.environment) == ("main", head, "production")
    assert deployment.payload == {"app": "web", "version": "1.5.0"}

    running = gh.create_deployment_status(GITOPS, deployment.id, "in_progress", log_url="https://ci.example.com/run/1")
    assert (running.state, running.log_url) == ("in_progress", "https://ci.example.com/run/1")
    done = gh.create_deployment_status(
        GITOPS, deployment.id, "success", environment_url="https://web.example.com", description="healthy"
    )
    assert (done.state, done.environment, done.environment_url) == ("success", "production", "https://web.example.com")

    staging = gh.create_deployment(GITOPS, "main", "staging")
    assert [d.id for d in gh.list_deployments(GITOPS)] == [staging.id, deployment.id]  # newest first
    assert [d.id for d in gh.list_deployments(GITOPS, environment="production")] == [deployment.id]
    assert fake.state()["deployments"][0]["statuses"] == ["in_progress", "success"]


# --- webhook deliveries -----------------------------------------------------------------------------------
def test_deliveries_are_paged_by_cursor_and_failed_ones_redelivered(fake: FakeGitHub):
    gh = GitHub(fake.url, TokenAuth(credentials.GITHUB_TOKEN), policy=POLICY, page_size=2, transport=LOOPBACK)
    hook = Webhook(ORG_HOOK_ID, org=ORG)
    failed = [fake.add_failed_delivery(status_code=code) for code in (502, 0, 500)]
    mark = calls.mark()

    deliveries = gh.list_hook_deliveries(hook)

    assert len(deliveries) == 5  # two seeded successes and three failures, newest first
    assert [d.id for d in deliveries] == sorted((d.id for d in deliveries), reverse=True)
    pages = github_calls(mark, "GET", "/deliveries")
    assert len(pages) == 3
    assert "cursor" not in pages[0]["query"]
    assert all(p["query"]["cursor"].startswith("v1_") for p in pages[1:])

    todo = gh.failed_deliveries(hook)
    assert [d.guid for d in todo] == [f["guid"] for f in failed]  # oldest first
    assert [d.status_code for d in todo] == [502, 0, 500]

    gh.redeliver(hook, todo[0].id)
    fake.redelivery_status_code = 503  # our endpoint is still down for the next one
    gh.redeliver(hook, todo[1].id)

    left = gh.failed_deliveries(hook)
    assert [d.guid for d in left] == [failed[1]["guid"], failed[2]["guid"]]
    assert left[0].redelivery is True  # the latest attempt, which failed again
    assert left[0].status_code == 503


def test_deliveries_since_stop_paging_early(fake: FakeGitHub):
    gh = GitHub(fake.url, TokenAuth(credentials.GITHUB_TOKEN), policy=POLICY, page_size=2, transport=LOOPBACK)
    hook = Webhook(ORG_HOOK_ID, org=ORG)
    mark = calls.mark()
    assert gh.list_hook_deliveries(hook, since=datetime.now(UTC) + timedelta(hours=1)) == []
    assert len(github_calls(mark, "GET", "/deliveries")) == 1


def test_repository_hooks_and_unknown_hooks(gh: GitHub, fake: FakeGitHub):
    hook_id = fake.add_hook(REQUESTS)
    fake.add_failed_delivery(hook_id, event="issue_comment", action="created")
    repo_hook = Webhook(hook_id, repo=REQUESTS)
    [delivery] = gh.failed_deliveries(repo_hook)
    assert (delivery.event, delivery.action) == ("issue_comment", "created")

    with pytest.raises(VendorError) as caught:
        gh.list_hook_deliveries(Webhook(hook_id, org=ORG))  # the hook is not the org's
    assert caught.value.status == 404
    with pytest.raises(ValueError, match="exactly one"):
        Webhook(1)


# --- GitHub App auth --------------------------------------------------------------------------------------
def test_app_auth_exchanges_a_jwt_once_and_reuses_the_token(fake: FakeGitHub):
    fake.app_id = APP_ID
    mark = calls.mark()
    gh = GitHub(fake.url, app_auth(), policy=POLICY, transport=LOOPBACK)

    gh.get_user("mlopez")
    gh.get_membership(ORG, "mlopez")
    GitHub(fake.url, app_auth(), policy=POLICY, transport=LOOPBACK).get_team(
        ORG, "platform"
    )  # a warm Lambda's next adapter

    exchanges = github_calls(mark, "POST", f"/app/installations/{credentials.GITHUB_INSTALLATION_ID}/access_tokens")
    assert len(exchanges) == 1
    assert [c["status"] for c in github_calls(mark)] == [201, 200, 200, 200]
    assert fake.state()["tokens_issued"] == 1
    [token] = fake.issued_tokens
    assert token not in redaction.redact(f"installation token {token} in a log line")


def test_app_token_is_renewed_shortly_before_it_expires(fake: FakeGitHub):
    now = [time.time()]
    gh = GitHub(fake.url, app_auth(), policy=POLICY, clock=lambda: now[0], transport=LOOPBACK)
    mark = calls.mark()

    gh.get_user("mlopez")
    now[0] += 3600 - github_module.TOKEN_REFRESH_MARGIN_S - 30  # still valid long enough
    gh.get_user("mlopez")
    now[0] += 60  # inside the refresh margin
    gh.get_user("mlopez")

    assert len(github_calls(mark, "POST", "/access_tokens")) == 2


def test_a_revoked_installation_token_is_replaced_once(fake: FakeGitHub):
    gh = GitHub(fake.url, app_auth(), policy=POLICY, transport=LOOPBACK)
    gh.get_user("mlopez")
    fake.issued_tokens.clear()  # revoked on GitHub's side
    mark = calls.mark()

    assert gh.get_user("mlopez") is not None
    assert [(c["method"], c["status"]) for c in github_calls(mark)] == [("GET", 401), ("POST", 201), ("GET", 200)]


def test_a_jwt_signed_with_another_key_is_refused(fake: FakeGitHub, sleeps):
    other = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    pem = other.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    ).decode()
    gh = GitHub(fake.url, AppAuth(APP_ID, pem, credentials.GITHUB_INSTALLATION_ID), policy=POLICY, transport=LOOPBACK)

    with pytest.raises(VendorError) as caught:
        gh.get_user("mlopez")
    assert (caught.value.status, caught.value.operation) == (401, "create installation token")
    assert "JSON web token" in caught.value.detail
    assert sleeps == []


def test_a_jwt_from_another_app_is_refused(fake: FakeGitHub):
    fake.app_id = APP_ID
    gh = GitHub(
        fake.url, AppAuth(999, credentials.private_key_pem(), credentials.GITHUB_INSTALLATION_ID), transport=LOOPBACK
    )
    with pytest.raises(VendorError) as caught:
        gh.get_user("mlopez")
    assert (caught.value.status, caught.value.detail) == (401, "Integration not found")


def test_an_unknown_installation_is_a_404(fake: FakeGitHub):
    gh = GitHub(fake.url, AppAuth(APP_ID, credentials.private_key_pem(), 1), policy=POLICY, transport=LOOPBACK)
    with pytest.raises(VendorError) as caught:
        gh.get_user("mlopez")
    assert (caught.value.status, caught.value.operation) == (404, "create installation token")


def test_requests_carry_githubs_headers():
    seen: list[httpx.Request] = []

    def answer(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(200, json={"login": "mlopez", "id": 1, "type": "User"})

    gh = GitHub("https://api.github.test", TokenAuth("t0ken-value"), transport=httpx.MockTransport(answer))
    gh.get_user("mlopez")
    headers = seen[0].headers
    assert headers["accept"] == "application/vnd.github+json"
    assert headers["x-github-api-version"] == "2022-11-28"
    assert headers["authorization"] == "Bearer t0ken-value"


# --- failures -----------------------------------------------------------------------------------------------
def test_bad_credentials_are_a_401_not_retried(fake: FakeGitHub, sleeps):
    gh = GitHub(fake.url, TokenAuth("ghs_not-a-real-token"), policy=POLICY, transport=LOOPBACK)
    mark = calls.mark()
    with pytest.raises(VendorError) as caught:
        gh.get_issue(REQUESTS, 1)
    assert (caught.value.status, caught.value.detail) == (401, "Bad credentials")
    assert len(github_calls(mark)) == 1
    assert sleeps == []


def test_a_429_storm_ends_in_success_after_the_waits_github_asked_for(gh: GitHub, fake: FakeGitHub, sleeps):
    fake.set_faults([Fault(status=429, count=3, retry_after_s=2)])
    mark = calls.mark()
    assert gh.get_user("mlopez") is not None
    assert [c["status"] for c in github_calls(mark)] == [429, 429, 429, 200]
    assert sleeps == [2.0, 2.0, 2.0]


def test_a_secondary_rate_limit_403_is_retried_after_retry_after(gh: GitHub, fake: FakeGitHub, sleeps):
    fake.set_faults([Fault(status=403, count=2, retry_after_s=5)])
    mark = calls.mark()
    assert gh.get_team(ORG, "platform") is not None
    assert [c["status"] for c in github_calls(mark)] == [403, 403, 200]
    assert sleeps == [5.0, 5.0]


def test_a_primary_rate_limit_403_waits_for_the_reset(gh: GitHub, fake: FakeGitHub, sleeps):
    fake.set_faults([Fault(status=403, count=1)])  # X-RateLimit-Remaining: 0, reset in a minute
    assert gh.get_user("mlopez") is not None
    assert len(sleeps) == 1
    assert 50 <= sleeps[0] <= 61


def test_a_rate_limit_longer_than_the_budget_is_left_to_the_state_machine(fake: FakeGitHub, sleeps):
    gh = GitHub(fake.url, TokenAuth(credentials.GITHUB_TOKEN), policy=RetryPolicy(budget_s=25.0), transport=LOOPBACK)
    fake.set_faults([Fault(status=403, count=1)])
    with pytest.raises(TransientVendorError) as caught:
        gh.get_user("mlopez")
    assert caught.value.status == 403
    assert "rate limit" in caught.value.detail
    assert sleeps == []


def test_any_other_403_is_raised_at_once(sleeps):
    def forbidden(request: httpx.Request) -> httpx.Response:
        return httpx.Response(
            403,
            json={"message": "Resource not accessible by integration", "documentation_url": "https://docs.github.com"},
            headers={"X-GitHub-Request-Id": "ABCD:1234", "X-RateLimit-Remaining": "4999"},
        )

    gh = GitHub("https://api.github.test", TokenAuth("t0ken-value"), transport=httpx.MockTransport(forbidden))
    with pytest.raises(VendorError) as caught:
        gh.set_membership(ORG, "jdoe-dev")
    error = caught.value
    assert (error.status, error.detail, error.request_id) == (
        403,
        "Resource not accessible by integration",
        "ABCD:1234",
    )
    assert not isinstance(error, TransientVendorError)
    assert sleeps == []


def test_a_permanent_500_surfaces_as_a_transient_vendor_error(gh: GitHub, fake: FakeGitHub, sleeps):
    fake.set_faults([Fault(status=500)])
    mark = calls.mark()
    with pytest.raises(TransientVendorError) as caught:
        gh.add_labels(REQUESTS, 1, ["approved"])
    error = caught.value
    assert (error.vendor, error.operation, error.status) == ("github", "add labels", 500)
    assert error.request_id
    assert len(github_calls(mark)) == POLICY.max_attempts
    assert sleeps == [0.5, 1.0, 2.0]


# --- configuration ------------------------------------------------------------------------------------------
def test_from_config_prefers_the_app_and_falls_back_to_a_token(fake: FakeGitHub, example_data, monkeypatch):
    config = PlatformConfig.model_validate(example_data)
    monkeypatch.setenv("PLATFORM_GITHUB_URL", fake.url)
    secret: dict[str, Any] = credentials.secrets_for(config)[config.github.secret_name]
    monkeypatch.setattr(secrets_module, "get_secret", lambda name, vendor: secret)

    app = GitHub.from_config(config)
    assert isinstance(app.auth, AppAuth)
    assert app.auth.app_id == config.github.app_id
    assert app.get_membership(ORG, "mlopez") is not None

    secret = {"token": credentials.GITHUB_TOKEN}
    token = GitHub.from_config(config)
    assert isinstance(token.auth, TokenAuth)
    assert token.get_user("mlopez") is not None

    secret = {"webhook_secret": "x"}
    with pytest.raises(VendorError, match="neither"):
        GitHub.from_config(config)
