"""The Okta adapter (the official `okta` SDK) against the Okta fake over real HTTP."""

from __future__ import annotations

import math
import socket
import subprocess
import sys
import time
from collections.abc import Iterator

import httpx
import pytest

from functions.adapters import secrets as secrets_module
from functions.adapters.errors import TransientVendorError, VendorError
from functions.adapters.okta import Okta, OktaFactor, OktaGroup, OktaUser
from functions.adapters.retry import RetryPolicy
from functions.core.config import PlatformConfig
from sandbox import calls
from sandbox.fakes import credentials
from sandbox.fakes.base import Fault
from sandbox.fakes.okta import FakeOkta
from sandbox.fakes.org import generate_org

POLICY = RetryPolicy(max_attempts=4, base_s=0.5, cap_s=8.0, budget_s=200.0, jitter=lambda: 1.0)
CLIENT_ID = "0oa1example2client3"


@pytest.fixture(scope="module")
def server() -> Iterator[FakeOkta]:
    with FakeOkta() as fake:
        yield fake


@pytest.fixture
def fake(server: FakeOkta, org: dict) -> FakeOkta:
    server.reseed(org)
    return server


@pytest.fixture
def okta(fake: FakeOkta) -> Iterator[Okta]:
    with Okta(fake.url, api_token=credentials.OKTA_API_TOKEN, policy=POLICY) as adapter:
        yield adapter


def service_app(fake: FakeOkta, **kwargs: object) -> Okta:
    options: dict = {
        "client_id": CLIENT_ID,
        "private_key": credentials.private_key_pem(),
        "key_id": credentials.OKTA_KEY_ID,
        "policy": POLICY,
        **kwargs,
    }
    return Okta(fake.url, **options)


def okta_calls(mark: int) -> list[dict]:
    return [c for c in calls.since(mark) if c["service"] == "okta"]


# --- users ---------------------------------------------------------------------------------------
def test_find_user_by_login_shortname_or_email_and_none_when_missing(okta: Okta):
    maria = okta.find_user("maria.lopez@example.com")
    assert isinstance(maria, OktaUser)
    assert (maria.login, maria.first_name, maria.last_name, maria.status) == (
        "maria.lopez@example.com",
        "Maria",
        "Lopez",
        "ACTIVE",
    )
    assert maria.last_login is not None
    assert maria.last_login.isoformat() == "2026-11-20T08:12:00+00:00"
    assert okta.find_user("Maria.Lopez@Example.com") == maria  # logins are looked up without case
    assert okta.find_user("maria.lopez") == maria  # an unambiguous shortname
    assert okta.get_user(maria.id) == maria

    mark = calls.mark()
    assert okta.find_user("nobody@example.com") is None
    looked = [(c["method"], c["path"], c["query"], c["status"]) for c in okta_calls(mark)]
    assert looked == [
        ("GET", "/api/v1/users/nobody@example.com", {}, 404),
        ("GET", "/api/v1/users", {"filter": 'profile.email eq "nobody@example.com"', "limit": "200"}, 200),
    ]


def test_get_user_that_does_not_exist_is_a_404_with_okta_message_and_request_id(okta: Okta, sleeps: list[float]):
    with pytest.raises(VendorError) as caught:
        okta.get_user("00unotthere000000000")
    error = caught.value
    assert (error.vendor, error.operation, error.status) == ("okta", "get user", 404)
    assert error.detail == "E0000007: Not found: Resource not found: 00unotthere000000000 (User)"
    assert error.request_id
    assert len(error.request_id) == 32
    assert not isinstance(error, TransientVendorError)
    assert sleeps == []


def test_create_user_is_provisioned_and_a_second_create_is_okta_e0000001(okta: Okta, fake: FakeOkta, sleeps):
    created = okta.create_user("Nina", "Novak", "nina.novak@example.com")
    assert (created.login, created.email, created.status, created.last_login) == (
        "nina.novak@example.com",
        "nina.novak@example.com",
        "PROVISIONED",
        None,
    )
    assert created.id.startswith("00u")
    assert len(created.id) == 20
    assert fake.state()["users"]["nina.novak@example.com"] == {
        "id": created.id,
        "status": "PROVISIONED",
        "groups": [],
        "factors": [],
    }

    mark = calls.mark()
    with pytest.raises(VendorError) as caught:
        okta.create_user("Nina", "Novak", "nina.novak@example.com")
    assert caught.value.status == 400
    assert caught.value.detail == (
        "E0000001: Api validation failed: login "
        "(login: An object with this field already exists in the current organization)"
    )
    assert len(okta_calls(mark)) == 1  # a 400 is not retried
    assert sleeps == []


def test_create_user_staged_with_its_own_login(okta: Okta):
    staged = okta.create_user("Omar", "Haddad", "omar.haddad@example.com", login="ohaddad@example.com", activate=False)
    assert (staged.login, staged.email, staged.status) == ("ohaddad@example.com", "omar.haddad@example.com", "STAGED")
    mark = calls.mark()
    okta.activate_user(staged.id)
    assert okta.get_user(staged.id).status == "PROVISIONED"
    assert okta_calls(mark)[0]["query"] == {"sendEmail": "true"}


def test_deactivate_and_reactivate_and_clear_sessions(okta: Okta, fake: FakeOkta):
    sam = okta.find_user("sam.okafor@example.com")
    assert sam is not None
    mark = calls.mark()
    okta.clear_sessions(sam.id)
    okta.deactivate_user(sam.id)
    okta.deactivate_user(sam.id)  # deactivating twice changes nothing
    assert okta.get_user(sam.id).status == "DEPROVISIONED"
    okta.activate_user(sam.id, send_email=False)
    assert okta.get_user(sam.id).status == "PROVISIONED"
    sent = [(c["method"], c["path"], c["query"], c["status"]) for c in okta_calls(mark)]
    assert sent[:3] == [
        ("DELETE", f"/api/v1/users/{sam.id}/sessions", {"oauthTokens": "true"}, 204),
        ("POST", f"/api/v1/users/{sam.id}/lifecycle/deactivate", {}, 200),
        ("POST", f"/api/v1/users/{sam.id}/lifecycle/deactivate", {}, 200),
    ]
    state = fake.state()
    assert state["sessions_cleared"] == ["sam.okafor@example.com"]
    assert state["users"]["sam.okafor@example.com"]["status"] == "PROVISIONED"


def test_activating_an_active_user_is_a_403(okta: Okta):
    maria = okta.get_user("maria.lopez@example.com")
    with pytest.raises(VendorError) as caught:
        okta.activate_user(maria.id)
    assert caught.value.status == 403
    assert caught.value.detail.startswith("E0000016: Activation failed")


def test_list_users_leaves_deprovisioned_out_unless_filtered(okta: Okta):
    everyone = okta.list_users()
    assert [u.login for u in everyone] == [
        "maria.lopez@example.com",
        "dev.patel@example.com",
        "sam.okafor@example.com",
        "hana.reyes@example.com",
        "ivy.drift@example.com",
    ]
    gone = okta.list_users(filter='status eq "DEPROVISIONED"')
    assert [(u.login, u.status) for u in gone] == [("lee.former@example.com", "DEPROVISIONED")]
    found = okta.list_users(search='profile.lastName sw "pat" or profile.email co "former"')
    assert sorted(u.login for u in found) == ["dev.patel@example.com", "lee.former@example.com"]


def test_list_users_follows_the_link_header_across_pages(fake: FakeOkta):
    mark = calls.mark()
    with Okta(fake.url, api_token=credentials.OKTA_API_TOKEN, policy=POLICY, page_size=2) as okta:
        active = okta.list_users(filter='status eq "ACTIVE"')
    assert [u.login for u in active] == [
        "maria.lopez@example.com",
        "dev.patel@example.com",
        "sam.okafor@example.com",
        "hana.reyes@example.com",
        "ivy.drift@example.com",
    ]
    pages = [c["query"] for c in okta_calls(mark)]
    assert pages == [
        {"filter": 'status eq "ACTIVE"', "limit": "2"},
        {"filter": 'status eq "ACTIVE"', "after": active[1].id, "limit": "2"},
        {"filter": 'status eq "ACTIVE"', "after": active[3].id, "limit": "2"},
    ]


def test_the_fake_sends_okta_link_and_rate_limit_headers(fake: FakeOkta):
    auth = {"Authorization": f"SSWS {credentials.OKTA_API_TOKEN}"}
    response = httpx.get(f"{fake.url}/api/v1/users", params={"limit": 1}, headers=auth)
    assert response.status_code == 200
    assert set(response.links) == {"self", "next"}
    assert response.links["next"]["url"].endswith(f"/api/v1/users?limit=1&after={response.json()[0]['id']}")
    assert int(response.headers["X-Rate-Limit-Limit"]) >= int(response.headers["X-Rate-Limit-Remaining"])
    assert int(response.headers["X-Rate-Limit-Reset"]) >= time.time()
    assert response.headers["X-Okta-Request-Id"]


# --- groups and factors ------------------------------------------------------------------------
def test_groups_find_add_list_remove(okta: Okta, fake: FakeOkta):
    platform = okta.find_group("Platform")
    assert isinstance(platform, OktaGroup)
    assert (platform.name, platform.group_type) == ("Platform", "OKTA_GROUP")
    assert okta.find_group("Plat") is None  # q is a prefix match; find_group wants the exact name
    assert okta.find_group("Nope") is None

    sam = okta.find_user("sam.okafor@example.com")
    assert sam is not None
    okta.add_to_group(platform.id, sam.id)
    okta.add_to_group(platform.id, sam.id)  # adding again changes nothing
    assert [g.name for g in okta.list_user_groups(sam.id)] == ["Everyone", "Engineering", "Product", "Platform"]
    assert fake.state()["groups"]["Platform"] == 3
    okta.remove_from_group(platform.id, sam.id)
    assert "Platform" not in [g.name for g in okta.list_user_groups(sam.id)]
    assert fake.state()["users"]["sam.okafor@example.com"]["groups"] == ["Engineering", "Product"]


def test_everyone_is_built_in_and_its_members_cannot_be_changed(okta: Okta):
    everyone = okta.find_group("Everyone")
    assert everyone is not None
    assert everyone.group_type == "BUILT_IN"
    dev = okta.get_user("dev.patel@example.com")
    with pytest.raises(VendorError) as caught:
        okta.remove_from_group(everyone.id, dev.id)
    assert caught.value.status == 403


def test_list_factors(okta: Okta):
    maria = okta.get_user("maria.lopez@example.com")
    factors = okta.list_factors(maria.id)
    assert all(isinstance(f, OktaFactor) for f in factors)
    assert [(f.factor_type, f.provider, f.status) for f in factors] == [
        ("push", "OKTA", "ACTIVE"),
        ("token:software:totp", "GOOGLE", "ACTIVE"),
    ]
    sam = okta.get_user("sam.okafor@example.com")
    assert okta.list_factors(sam.id) == []


# --- auth ----------------------------------------------------------------------------------------
def test_api_token_is_sent_as_ssws(okta: Okta, fake: FakeOkta):
    seen: list[str] = []
    check = fake.check_auth
    fake.check_auth = lambda request: seen.append(request.headers["authorization"]) or check(request)  # type: ignore[method-assign]
    try:
        okta.get_user("dev.patel@example.com")
    finally:
        del fake.check_auth
    assert seen == [f"SSWS {credentials.OKTA_API_TOKEN}"]


def test_private_key_service_app_gets_one_token_and_uses_it_as_bearer(fake: FakeOkta):
    mark = calls.mark()
    with service_app(fake) as okta:
        dev = okta.get_user("dev.patel@example.com")
        okta.add_to_group(okta.find_group("Finance").id, dev.id)  # type: ignore[union-attr]
        assert len(okta.list_users()) == 5  # the fixture's active people
    sent = okta_calls(mark)
    assert [c["path"] for c in sent if c["path"] == "/oauth2/v1/token"] == ["/oauth2/v1/token"]
    token_call = sent[0]
    assert token_call["status"] == 200
    assert token_call["body"]["grant_type"] == "client_credentials"
    assert token_call["body"]["scope"] == "okta.users.read okta.users.manage okta.groups.read okta.groups.manage"
    assert token_call["body"]["client_assertion"] == "[redacted]"  # the assertion never reaches the calls log
    assert all(c["status"] < 300 for c in sent)
    assert fake.state()["users"]["dev.patel@example.com"]["groups"] == ["Engineering", "Platform", "Finance"]
    (grant,) = fake.tokens.values()
    assert grant["client_id"] == CLIENT_ID


def test_private_key_signed_by_another_key_is_refused_by_the_token_endpoint(fake: FakeOkta):
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import rsa

    other = rsa.generate_private_key(public_exponent=65537, key_size=2048).private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.TraditionalOpenSSL, serialization.NoEncryption()
    )
    with service_app(fake, private_key=other.decode()) as okta, pytest.raises(VendorError) as caught:
        okta.get_user("dev.patel@example.com")
    assert caught.value.status == 401
    assert caught.value.detail.startswith("invalid_client: The client_assertion is invalid")
    assert caught.value.request_id


def test_a_scope_the_service_app_was_not_granted_is_a_403(fake: FakeOkta):
    with service_app(fake, scopes=("okta.users.read",)) as okta:
        assert okta.find_user("dev.patel@example.com") is not None
        with pytest.raises(VendorError) as caught:
            okta.find_group("Platform")
    assert caught.value.status == 403
    assert caught.value.detail.startswith("E0000006")


def test_bad_api_token_is_a_401_and_not_retried(fake: FakeOkta, sleeps: list[float]):
    mark = calls.mark()
    with Okta(fake.url, api_token="00wrong-token", policy=POLICY) as okta, pytest.raises(VendorError) as caught:
        okta.list_users()
    error = caught.value
    assert (error.vendor, error.operation, error.status) == ("okta", "list users", 401)
    assert error.detail == "E0000011: Invalid token provided"
    assert error.request_id
    assert len(okta_calls(mark)) == 1
    assert sleeps == []


def test_from_config_reads_the_secret_and_the_url_in_both_auth_modes(fake: FakeOkta, example_data, monkeypatch):
    monkeypatch.setenv("PLATFORM_OKTA_URL", fake.url)
    for auth in ("private_key", "api_token"):
        example_data["okta"]["auth"] = auth
        config = PlatformConfig.model_validate(example_data)
        secret = credentials.secrets_for(config)[config.okta.secret_name]
        monkeypatch.setattr(secrets_module, "get_secret", lambda name, vendor, value=secret: value)
        with Okta.from_config(config) as okta:
            assert okta.org_url == fake.url
            assert okta.find_user("dev.patel@example.com") is not None
    monkeypatch.setattr(secrets_module, "get_secret", lambda name, vendor: {"private_key": "x"})
    with pytest.raises(VendorError, match="'api_token'"):
        Okta.from_config(config)


def test_plain_http_only_on_loopback():
    with pytest.raises(ValueError, match="https"):
        Okta("http://example.okta.com", api_token="x")
    Okta("https://example.okta.com", api_token="x").close()
    Okta("http://localhost:8080", api_token="x").close()
    with pytest.raises(ValueError, match="either"):
        Okta("https://example.okta.com")


# --- failures and retries ----------------------------------------------------------------------
def test_a_429_storm_waits_until_x_rate_limit_reset_then_succeeds(okta: Okta, fake: FakeOkta, sleeps: list[float]):
    fake.set_faults([Fault(status=429, count=3, retry_after_s=30)])
    mark = calls.mark()
    started = time.time()
    assert okta.get_user("dev.patel@example.com").login == "dev.patel@example.com"
    assert [c["status"] for c in okta_calls(mark)] == [429, 429, 429, 200]
    # Okta says when to come back as an epoch second in X-Rate-Limit-Reset (no Retry-After).
    assert len(sleeps) == 3
    assert all(28.5 <= wait <= 31.5 + (time.time() - started) for wait in sleeps), sleeps


def test_the_fakes_429_carries_x_rate_limit_reset_not_retry_after(fake: FakeOkta):
    fake.set_faults([Fault(status=429, count=1, retry_after_s=5)])
    response = httpx.get(f"{fake.url}/api/v1/users", headers={"Authorization": f"SSWS {credentials.OKTA_API_TOKEN}"})
    assert response.status_code == 429
    assert "Retry-After" not in response.headers
    assert response.headers["X-Rate-Limit-Remaining"] == "0"
    assert int(response.headers["X-Rate-Limit-Reset"]) == pytest.approx(math.ceil(time.time() + 5), abs=2)
    assert response.json()["errorCode"] == "E0000047"


def test_a_permanent_500_surfaces_a_transient_vendor_error(okta: Okta, fake: FakeOkta, sleeps: list[float]):
    fake.set_faults([Fault(status=500)])
    mark = calls.mark()
    with pytest.raises(TransientVendorError) as caught:
        okta.find_group("Platform")
    error = caught.value
    assert (error.vendor, error.operation, error.status) == ("okta", "find group", 500)
    assert error.detail == "E0000009: Internal Server Error"
    assert error.request_id
    assert len(okta_calls(mark)) == POLICY.max_attempts
    assert sleeps == [0.5, 1.0, 2.0]


def test_no_answer_at_all_is_a_transient_vendor_error_without_status(sleeps: list[float]):
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    with (
        Okta(f"http://127.0.0.1:{port}", api_token="x", policy=POLICY) as okta,
        pytest.raises(TransientVendorError) as caught,
    ):
        okta.get_user("anyone@example.com")
    assert caught.value.status is None
    assert caught.value.detail.startswith("no response: ClientConnectorError")
    assert len(sleeps) == POLICY.max_attempts - 1


# --- scale ---------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def big_org() -> dict:
    return generate_org(10_000)


def test_ten_thousand_users_seed_fast_and_list_to_the_end(big_org: dict):
    fake = FakeOkta()
    fake.seed(big_org)  # its speed is in benchmarks/, not asserted on a shared machine
    state = fake.state()
    assert state["user_count"] == 10_000
    assert state["users"] == {}  # too many to list: only users changed since seeding are shown
    assert state["users_complete"] is False
    fake.start()
    try:
        mark = calls.mark()
        with Okta(fake.url, api_token=credentials.OKTA_API_TOKEN, policy=POLICY) as okta:
            users = okta.list_users()
            sam = okta.find_user("sam.okafor@example.com")
            assert sam is not None
            okta.deactivate_user(sam.id)
        listed = state["status_counts"]["ACTIVE"]
        assert len(users) == listed == len({u.id for u in users})
        pages = [c for c in okta_calls(mark) if c["path"] == "/api/v1/users"]
        assert len(pages) == math.ceil(listed / 200)
        assert all(c["query"]["after"] for c in pages[1:])
        assert fake.state()["users"] == {
            "sam.okafor@example.com": {
                "id": sam.id,
                "status": "DEPROVISIONED",
                "groups": ["Engineering", "Product"],
                "factors": [],
            }
        }
    finally:
        fake.stop()


def test_importing_the_adapter_does_not_import_the_sdk():
    code = "import sys, functions.adapters.okta; sys.exit('okta' in sys.modules or 'aiohttp' in sys.modules)"
    assert subprocess.run([sys.executable, "-c", code], check=False).returncode == 0


def test_a_503_with_retry_after_is_honoured(okta: Okta, fake: FakeOkta, sleeps: list[float]):
    fake.set_faults([Fault(status=503, count=2, retry_after_s=3)])
    assert okta.list_factors(okta.get_user("dev.patel@example.com").id)[0].factor_type == "push"
    assert sleeps == [3.0, 3.0]
