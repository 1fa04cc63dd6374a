"""The access review's Okta lists over REST (functions/adapters/okta_lists.py) against the Okta
fake: the same users, groups, members and factors the SDK adapter reads, every page followed,
with an API token and with the service app's private key."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from functions.adapters.okta import Okta
from functions.adapters.okta_lists import OktaLists
from functions.adapters.retry import RetryPolicy
from sandbox import calls
from sandbox.fakes import credentials
from sandbox.fakes.okta import FakeOkta
from sandbox.fakes.org import generate_org

POLICY = RetryPolicy(max_attempts=4, base_s=0.5, cap_s=8.0, budget_s=200.0, jitter=lambda: 1.0)


@pytest.fixture(scope="module")
def fake() -> Iterator[FakeOkta]:
    with FakeOkta() as server:
        server.reseed(generate_org(450, seed=3))
        yield server


def test_the_rest_lists_read_what_the_sdk_adapter_reads(fake: FakeOkta) -> None:
    mark = calls.mark()
    lists = OktaLists(fake.url, api_token=credentials.OKTA_API_TOKEN, policy=POLICY)
    rest_users = [*lists.iter_users(), *lists.iter_users(filter='status eq "DEPROVISIONED"')]
    rest_groups = list(lists.iter_groups())
    pages = [c for c in calls.since(mark) if c["service"] == "okta" and c["path"] == "/api/v1/users"]
    with Okta(fake.url, api_token=credentials.OKTA_API_TOKEN, policy=POLICY) as sdk:
        sdk_users = [*sdk.iter_users(), *sdk.iter_users(filter='status eq "DEPROVISIONED"')]
        assert rest_users == sdk_users
        # The SDK fills every standard attribute in, None when unset; Okta sends the ones set.
        set_only = [{k: v for k, v in u.profile.items() if v is not None} for u in sdk_users]
        assert [{k: v for k, v in u.profile.items() if v is not None} for u in rest_users] == set_only
        assert rest_groups == list(sdk.iter_groups())
        group = next(g for g in rest_groups if g.name == "Platform")
        assert list(lists.iter_group_users(group.id)) == list(sdk.iter_group_users(group.id))
        maria = next(u for u in rest_users if u.email == "maria.lopez@example.com")
        assert lists.list_factors(maria.id) == sdk.list_factors(maria.id)
    lists.close()
    assert len(rest_users) == 450
    assert len(pages) >= 3  # 450 users at Okta's page of 200: the `next` links were followed
    assert all(p["query"].get("limit") in (None, "200") for p in pages)


def test_the_service_app_key_gets_a_read_token(fake: FakeOkta) -> None:
    mark = calls.mark()
    lists = OktaLists(
        fake.url,
        client_id="0oa1example2client3",
        private_key=credentials.private_key_pem(),
        key_id=credentials.OKTA_KEY_ID,
        policy=POLICY,
    )
    assert len(list(lists.iter_groups())) > 1
    assert len(list(lists.iter_users())) > 400
    lists.close()
    tokens = [c for c in calls.since(mark) if c["service"] == "okta" and c["path"] == "/oauth2/v1/token"]
    assert len(tokens) == 1  # one token, reused for every page
