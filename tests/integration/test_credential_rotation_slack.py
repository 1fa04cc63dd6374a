"""Slack's signing secret has no rotation API: its owner regenerates it in Slack and stores it.
From that moment the ingress (the real `/slack/commands` handler, Secrets Manager in moto) takes
requests signed with the old or the new secret, until the rotation retires the old one or, for a
new secret stored straight as AWSCURRENT, until the grace period has passed."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator

import boto3
import pytest

from functions.adapters import secrets as secret_cache
from functions.adapters import vendors
from functions.adapters.aws_access_keys import AccessKeys
from functions.adapters.aws_secrets import SecretVersions
from functions.core.change import ChangeContext
from functions.credential_rotation import inventory, steps
from functions.credential_rotation.models import RotationRequest
from functions.ingress import slack_commands
from functions.ingress.http import HttpError, HttpRequest
from sandbox.engine import LocalEngine
from sandbox.fakes.credentials import SLACK_SIGNING_SECRET

from .credential_helpers import labels, value
from .ingress_helpers import slack_headers, slash_command

SLACK_SECRET = "platform-automation/slack"
NEW_SECRET = "0123456789abcdef0123456789abcdef"


@pytest.fixture
def engine() -> Iterator[LocalEngine]:
    with LocalEngine() as eng:
        secret_cache.RECHECK_MIN_S = 0.0  # each miss looks at the labels again: no real second passes here
        try:
            yield eng
        finally:
            secret_cache.RECHECK_MIN_S = 1.0


def accepted(secret: str, *, at: float | None = None) -> bool:
    """`/platform help`, signed with `secret` at `at` (default: now), through the real handler."""
    at = time.time() if at is None else at
    body = slash_command("help", "U00000001", "https://hooks.slack.test/commands/1")
    headers = {k.lower(): v for k, v in slack_headers(body, timestamp=int(at), secret=secret).items()}
    try:
        response = slack_commands.handle(HttpRequest("POST", "/slack/commands", headers, body), now=at)
    except HttpError as error:
        if error.status != 401:
            raise
        return False
    return bool(response["statusCode"] == 200)


def _store(engine: LocalEngine, secret: str, *stages: str) -> None:
    sm = boto3.client("secretsmanager", region_name=engine.region)
    current = value(engine, SLACK_SECRET)
    sm.put_secret_value(
        SecretId=SLACK_SECRET,
        SecretString=json.dumps({**current, "signing_secret": secret}),
        VersionStages=list(stages),
    )


def test_old_and_new_signing_secrets_both_pass_while_rotating_and_the_old_fails_after(engine: LocalEngine) -> None:
    assert accepted(SLACK_SIGNING_SECRET)
    assert not accepted(NEW_SECRET)

    # The owner stores the regenerated secret as AWSPENDING (the reminder's steps).
    _store(engine, NEW_SECRET, "AWSPENDING")
    assert accepted(SLACK_SIGNING_SECRET)
    assert accepted(NEW_SECRET)
    assert not accepted("a-secret-nobody-was-given-0000")

    # `/platform credentials rotate slack-signing-secret` carries it on: AWSCURRENT moves to it,
    # the old one is RETIRING through the grace period, then retired.
    plan = inventory.plan(engine.config, RotationRequest(credential="slack-signing-secret", force=True), "x", *_ports())
    (job,) = plan.jobs
    assert job.stage == "resume"
    changes = ChangeContext(execution_id="slack-1", actor=steps.ACTOR)
    steps.create(job, "slack-1", changes, steps.Vendors.live())
    steps.test(job, engine.config, steps.Vendors.live())
    steps.finish(job, changes, steps.Vendors.live())
    assert value(engine, SLACK_SECRET)["signing_secret"] == NEW_SECRET
    secret_cache.clear_cache()  # a new container: the current secret is the new one now
    assert accepted(NEW_SECRET)
    assert accepted(SLACK_SIGNING_SECRET)  # the grace period
    assert not accepted("a-secret-nobody-was-given-0000")
    # The rotation's Grace wait: the old secret stays accepted (RETIRING) until Retire runs.
    after_grace = time.time() + engine.config.credentials.grace_minutes * 60 + 120
    assert accepted(SLACK_SIGNING_SECRET, at=after_grace)

    steps.retire(job, changes, steps.Vendors.live())
    secret_cache.clear_cache()  # the ingress's cache is 5 minutes: every container has re-read since
    assert accepted(NEW_SECRET, at=after_grace)
    assert not accepted(SLACK_SIGNING_SECRET, at=after_grace)
    assert not any("RETIRING" in stages for stages in labels(engine, SLACK_SECRET).values())


def test_a_new_secret_stored_as_current_keeps_the_old_one_for_the_grace_period_only(engine: LocalEngine) -> None:
    assert accepted(SLACK_SIGNING_SECRET)

    _store(engine, NEW_SECRET, "AWSCURRENT")  # the old value is AWSPREVIOUS now
    secret_cache.clear_cache()

    assert accepted(NEW_SECRET)
    assert accepted(SLACK_SIGNING_SECRET)
    assert not accepted("a-secret-nobody-was-given-0000")
    grace = engine.config.credentials.grace_minutes * 60
    later = time.time() + grace + 120
    assert accepted(NEW_SECRET, at=later)
    assert not accepted(SLACK_SIGNING_SECRET, at=later)


def test_a_stale_timestamp_is_refused_whichever_secret_signed_it(engine: LocalEngine) -> None:
    _store(engine, NEW_SECRET, "AWSPENDING")
    stale = time.time() - 301
    body = slash_command("help", "U00000001", "https://hooks.slack.test/commands/1")
    for secret in (SLACK_SIGNING_SECRET, NEW_SECRET):
        headers = {k.lower(): v for k, v in slack_headers(body, timestamp=int(stale), secret=secret).items()}
        with pytest.raises(HttpError) as refused:
            slack_commands.handle(HttpRequest("POST", "/slack/commands", headers, body))
        assert refused.value.status == 401


def _ports() -> tuple[SecretVersions, AccessKeys]:
    return vendors.secret_versions(), vendors.access_keys()
