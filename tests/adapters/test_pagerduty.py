"""The PagerDuty adapter (Events API v2 and REST API v2) against the PagerDuty fake over real HTTP."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from functions.adapters.errors import TransientVendorError, VendorError
from functions.adapters.pagerduty import PagerDuty, PdUser, RemoveResult
from functions.adapters.retry import RetryPolicy
from sandbox import calls
from sandbox.fakes.base import Fault
from sandbox.fakes.credentials import PAGERDUTY_API_TOKEN, PAGERDUTY_ROUTING_KEY
from sandbox.fakes.org import generate_org
from sandbox.fakes.pagerduty import FakePagerDuty

POLICY = RetryPolicy(max_attempts=4, base_s=0.5, cap_s=8.0, budget_s=60.0, jitter=lambda: 1.0)


@pytest.fixture(scope="module")
def server() -> Iterator[FakePagerDuty]:
    with FakePagerDuty() as fake:
        yield fake


@pytest.fixture
def fake(server: FakePagerDuty, org) -> FakePagerDuty:
    server.reseed(org)
    return server


def adapter(
    fake: FakePagerDuty, *, api_token: str = PAGERDUTY_API_TOKEN, routing_key: str = PAGERDUTY_ROUTING_KEY, **kw
):
    return PagerDuty(
        api_token,
        routing_key,
        from_email="platform@example.com",
        base_url=fake.url,
        events_url=fake.url,
        policy=POLICY,
        **kw,
    )


def pd_calls(mark: int, method: str, path: str) -> list[dict]:
    return [c for c in calls.since(mark) if c["service"] == "pagerduty" and c["method"] == method and c["path"] == path]


# --- Events API v2 ------------------------------------------------------------------------------
def test_an_incident_is_triggered_deduplicated_acknowledged_and_resolved(fake: FakePagerDuty):
    pd = adapter(fake)
    mark = calls.mark()

    key = pd.trigger(
        "cost-2026-11",
        "AWS spend 140% of forecast",
        "platform-automation",
        "warning",
        custom_details={"account": "prod"},
        links=[{"href": "https://example.com/cost", "text": "report"}],
    )
    assert key == "cost-2026-11"
    pd.trigger("cost-2026-11", "AWS spend 150% of forecast", "platform-automation", "warning")
    assert fake.state()["incidents"]["cost-2026-11"] == {
        "status": "triggered",
        "summary": "AWS spend 140% of forecast",
        "severity": "warning",
        "events": 2,
    }
    assert pd.acknowledge(key) == key
    assert fake.state()["incidents"][key]["status"] == "acknowledged"
    pd.resolve(key)
    assert fake.state()["incidents"][key]["status"] == "resolved"
    pd.trigger(key, "AWS spend again", "platform-automation", "critical")  # a resolved key opens a new incident
    assert fake.state()["incidents"][key] == {
        "status": "triggered",
        "summary": "AWS spend again",
        "severity": "critical",
        "events": 1,
    }

    events = pd_calls(mark, "POST", "/v2/enqueue")
    assert [e["body"]["event_action"] for e in events] == ["trigger", "trigger", "acknowledge", "resolve", "trigger"]
    assert events[0]["body"]["payload"]["custom_details"] == {"account": "prod"}
    assert all(e["status"] == 202 for e in events)


def test_a_bad_severity_is_refused_before_calling(fake: FakePagerDuty):
    mark = calls.mark()
    with pytest.raises(ValueError, match="severity must be one of"):
        adapter(fake).trigger("k", "summary", "source", "sev1")
    assert pd_calls(mark, "POST", "/v2/enqueue") == []


def test_a_wrong_routing_key_is_an_invalid_event(fake: FakePagerDuty, sleeps):
    with pytest.raises(VendorError) as caught:
        adapter(fake, routing_key="R0UT1NGKEYWR0NG0000000000000000").trigger("k", "s", "src", "info")
    error = caught.value
    assert not isinstance(error, TransientVendorError)
    assert (error.vendor, error.operation, error.status) == ("pagerduty", "trigger incident", 400)
    assert error.detail == "Event object is invalid: Invalid routing key"
    assert error.request_id
    assert sleeps == []


def test_an_events_rate_limit_storm_is_waited_out(fake: FakePagerDuty, sleeps):
    fake.set_faults([Fault(status=429, count=3, retry_after_s=2, match="/v2/enqueue")])
    mark = calls.mark()
    assert adapter(fake).trigger("storm", "s", "src", "error") == "storm"
    assert sleeps == [2.0, 2.0, 2.0]  # and none of the SDK's own 1.5 s, 3 s, ... sleeps
    assert [c["status"] for c in pd_calls(mark, "POST", "/v2/enqueue")] == [429, 429, 429, 202]


def test_a_permanent_events_server_error_surfaces_as_transient(fake: FakePagerDuty, sleeps):
    fake.set_faults([Fault(status=503, match="/v2/enqueue")])
    mark = calls.mark()
    with pytest.raises(TransientVendorError) as caught:
        adapter(fake).resolve("k")
    error = caught.value
    assert (error.vendor, error.operation, error.status) == ("pagerduty", "resolve incident", 503)
    assert error.request_id
    # The SDK would retry a 503 six times on its own: only the policy's attempts reach the API.
    assert len(pd_calls(mark, "POST", "/v2/enqueue")) == POLICY.max_attempts
    assert len(sleeps) == POLICY.max_attempts - 1


# --- REST API v2 --------------------------------------------------------------------------------
def test_find_user_by_email_matches_exactly(fake: FakePagerDuty):
    pd = adapter(fake)
    dev = pd.find_user_by_email("Dev.Patel@example.com")
    assert isinstance(dev, PdUser)
    # org.yaml seeds Dev as a PagerDuty admin (`pagerduty: admin`): the access review's example
    assert (dev.name, dev.email, dev.role) == ("Dev Patel", "dev.patel@example.com", "admin")
    assert pd.find_user_by_email("patel@example.com") is None  # a substring of dev's address is not dev
    assert pd.find_user_by_email("sam.okafor@example.com") is None  # not in PagerDuty


def test_users_are_listed_across_every_page(fake: FakePagerDuty):
    org = generate_org(400)
    fake.reset()
    fake.seed(org)
    expected = [p["email"] for p in org["people"] if p["pagerduty"]]
    assert len(expected) > 50
    mark = calls.mark()

    users = adapter(fake, page_size=25).list_users()

    assert [u.email for u in users] == expected
    pages = pd_calls(mark, "GET", "/users")
    assert [p["query"]["offset"] for p in pages] == [str(n) for n in range(0, len(expected), 25)]
    assert {p["query"]["limit"] for p in pages} == {"25"}


def test_find_user_by_email_reads_every_page_of_a_broad_query(fake: FakePagerDuty):
    org = generate_org(400)
    fake.reset()
    fake.seed(org)
    last = [p for p in org["people"] if p["pagerduty"]][-1]
    mark = calls.mark()
    user = adapter(fake, page_size=5).find_user_by_email(last["email"])
    assert user is not None
    assert user.email == last["email"]
    assert len(pd_calls(mark, "GET", "/users")) >= 1


def test_a_rest_rate_limit_storm_in_the_middle_of_paging_retries_that_page(fake: FakePagerDuty, sleeps):
    fake.reset()
    fake.seed(generate_org(400))
    pd = adapter(fake, page_size=25)
    expected = pd.list_users()
    fake.set_faults([Fault(status=429, count=3, retry_after_s=1)])
    mark = calls.mark()
    # The fault hits the first request only; offsets show page 1 retried, then the rest once each.
    assert pd.list_users() == expected
    offsets = [(c["query"]["offset"], c["status"]) for c in pd_calls(mark, "GET", "/users")]
    assert offsets[:4] == [("0", 429), ("0", 429), ("0", 429), ("0", 200)]
    assert [o for o, _ in offsets[4:]] == [str(n) for n in range(25, len(expected), 25)]
    assert sleeps == [1.0, 1.0, 1.0]


def test_the_schedules_a_user_is_in(fake: FakePagerDuty):
    pd = adapter(fake)
    dev = pd.find_user_by_email("dev.patel@example.com")
    maria = pd.find_user_by_email("maria.lopez@example.com")
    assert dev is not None
    assert maria is not None
    assert pd.oncall_schedules_for_user(dev.id) == ["Platform primary"]
    assert pd.oncall_schedules_for_user(maria.id) == []


def test_remove_a_user_and_again(fake: FakePagerDuty):
    pd = adapter(fake)
    maria = pd.find_user_by_email("maria.lopez@example.com")
    assert maria is not None

    assert pd.remove_user(maria.id) == RemoveResult(removed=True)
    again = pd.remove_user(maria.id)

    assert again == RemoveResult(removed=False, already_absent=True)
    assert again.done
    assert fake.state()["removed_users"] == ["maria.lopez@example.com"]
    assert pd.find_user_by_email("maria.lopez@example.com") is None


def test_a_refused_removal_is_reported_with_the_blocking_schedules(fake: FakePagerDuty, sleeps):
    pd = adapter(fake)
    dev = pd.find_user_by_email("dev.patel@example.com")
    assert dev is not None

    result = pd.remove_user(dev.id)

    assert not result.removed
    assert not result.done
    assert result.blocking_schedules == ("Platform primary",)
    assert result.reason is not None
    assert result.reason.startswith("Invalid Input Provided (code 2001): User cannot be deleted")
    assert "dev.patel@example.com" in fake.state()["users"]
    assert sleeps == []


def test_a_permanent_rest_server_error_surfaces_as_transient(fake: FakePagerDuty, sleeps):
    fake.set_faults([Fault(status=500, match="GET /schedules")])
    with pytest.raises(TransientVendorError) as caught:
        adapter(fake).oncall_schedules_for_user("PU00001")
    error = caught.value
    assert (error.vendor, error.operation, error.status) == ("pagerduty", "list schedules", 500)
    assert error.request_id
    assert len(sleeps) == POLICY.max_attempts - 1


def test_a_wrong_api_token_is_401(fake: FakePagerDuty, sleeps):
    with pytest.raises(VendorError) as caught:
        adapter(fake, api_token="not-the-token").list_users()
    error = caught.value
    assert (error.status, error.detail) == (401, "Authentication failed (code 2006)")
    assert not error.retryable
    assert sleeps == []


def test_plain_http_is_allowed_on_loopback_only():
    with pytest.raises(ValueError, match="must be https"):
        PagerDuty("t", "r", from_email="platform@example.com", base_url="http://api.example.com")
