"""The access review through the local server's real Slack routes: Keep opens a modal for the
reason (views.open on the Slack fake), the submission decides with that reason (in the evidence),
and `/platform status <campaign>` shows the campaign's progress to its requester, its reviewers
and the admins only."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterator
from typing import Any
from urllib.parse import urlencode

import boto3
import pytest

from functions.core import reviews
from functions.ingress.slack_interactions import review
from sandbox.engine import LocalEngine, manual_policy
from sandbox.server import serve_in_background
from tests.integration.ingress_helpers import button_click, post, slack_headers, slash_command, wait_until

REQUESTER, REVIEWER, STRANGER = "dev.patel@example.com", "maria.lopez@example.com", "hana.reyes@example.com"
REASON = "Ivy covers platform on-call until January"


@pytest.fixture(scope="module")
def local() -> Iterator[tuple[LocalEngine, str]]:
    with LocalEngine(approvals=manual_policy) as engine:
        server, url = serve_in_background(engine)
        yield engine, url
        server.shutdown()


def slack(engine: LocalEngine) -> Any:
    return engine.vendors.fakes["slack"]  # type: ignore[union-attr]


def replies(engine: LocalEngine, response_url: str) -> list[dict[str, Any]]:
    path = "/" + response_url.split("://", 1)[1].split("/", 1)[1]
    return [r for r in slack(engine).state()["responses"] if r["url"] == path]


def command(engine: LocalEngine, url: str, text: str, email: str) -> str:
    response_url = slack(engine).response_url()
    body = slash_command(text, slack(engine).user_id(email), response_url)
    status, answer = post(url + "/slack/commands", body, slack_headers(body))
    assert status == 200, answer
    (reply,) = wait_until(lambda: replies(engine, response_url), what="the worker's reply")
    return str(reply["text"])


def interaction(url: str, payload: dict[str, Any]) -> tuple[int, Any]:
    body = urlencode({"payload": json.dumps(payload)}).encode()
    return post(url + "/slack/interactions", body, slack_headers(body))


@pytest.fixture(scope="module")
def campaign(local: tuple[LocalEngine, str]) -> Any:
    engine, url = local
    before = set(engine.executions)
    assert command(engine, url, "access-review", REQUESTER).startswith("Started access_review")
    (execution,) = wait_until(lambda: [e for e in engine.executions.values() if e.id not in before], what="a campaign")
    wait_until(lambda: execution.pending, timeout=120, what="the review to wait for decisions")
    return execution


def test_status_shows_the_campaign_to_its_requester_reviewers_and_nobody_else(local, campaign) -> None:
    engine, url = local
    items = reviews.items(campaign.id)
    mine = [i for i in items if i.reviewer == REVIEWER]
    text = command(engine, url, f"status {campaign.id}", REQUESTER)
    assert f"`{campaign.id}` (access_review)" in text
    assert f"Review items: 0 decided, {len(items)} pending" in text
    assert f"• {REVIEWER}: 0 decided, {len(mine)} pending" in text
    assert "Deadline: " in text
    assert f"Review items: 0 decided, {len(items)} pending" in command(engine, url, f"status {campaign.id}", REVIEWER)
    refused = command(engine, url, f"status {campaign.id}", STRANGER)
    assert refused.startswith(f"No execution named `{campaign.id}` that you may see")


def test_keep_asks_for_a_reason_which_decides_and_lands_in_the_evidence(local, campaign) -> None:
    engine, url = local
    ivy = next(
        i
        for i in reviews.items(campaign.id)
        if i.subject == "ivy.drift@example.com" and i.details.get("system") == "github" and i.reviewer == REVIEWER
    )
    reviewer_id = slack(engine).user_id(REVIEWER)
    response_url = slack(engine).response_url()
    body = button_click(reviews.KEEP_ACTION, f"{campaign.id}|{ivy.finding_id}", reviewer_id, response_url)
    status, _ = post(url + "/slack/interactions", body, slack_headers(body))
    assert status == 200
    assert reviews.get(campaign.id, ivy.finding_id).status == reviews.PENDING  # nothing decided by the click
    modal = slack(engine).state()["modals"][-1]
    assert modal["view"]["callback_id"] == reviews.KEEP_REASON_CALLBACK

    empty = slack(engine).view_submission(modal["id"], reviewer_id, {reviews.REASON_BLOCK: {"reason": "  "}})
    status, answer = interaction(url, empty)
    assert (status, answer["response_action"]) == (200, "errors")
    assert reviews.get(campaign.id, ivy.finding_id).status == reviews.PENDING

    stranger = slack(engine).view_submission(modal["id"], slack(engine).user_id(STRANGER), {"reason": {"reason": "x"}})
    assert interaction(url, stranger)[0] == 200
    assert reviews.get(campaign.id, ivy.finding_id).status == reviews.PENDING  # only the reviewer decides

    submitted = slack(engine).view_submission(modal["id"], reviewer_id, {reviews.REASON_BLOCK: {"reason": REASON}})
    status, answer = interaction(url, submitted)
    assert (status, answer) == (200, {"response_action": "clear"})
    decided = reviews.get(campaign.id, ivy.finding_id)
    assert (decided.status, decided.reason, decided.decided_by) == ("keep", REASON, REVIEWER)
    assert any(REASON in r["text"] for r in replies(engine, response_url))

    for item in reviews.items(campaign.id):  # everybody else answers with the buttons
        if item.status == reviews.PENDING:
            action = reviews.REVOKE_ACTION if item.subject == "lee.former@example.com" else reviews.KEEP_ACTION
            review(f"{item.campaign}|{item.finding_id}", action, item.reviewer_slack_id)
    assert campaign.done.wait(120)
    assert campaign.status == "SUCCEEDED", campaign.cause

    s3 = boto3.client("s3", region_name=engine.region)
    csv_key = f"access-review/{campaign.id}/review.csv"
    body = s3.get_object(Bucket=engine.resources.evidence_bucket, Key=csv_key)["Body"].read().decode()
    row = next(r for r in csv.DictReader(io.StringIO(body)) if r["finding_id"] == ivy.finding_id)
    assert (row["decision"], row["reason"], row["decided_by"]) == ("keep", REASON, REVIEWER)

    text = command(engine, url, f"status {campaign.id}", REVIEWER)
    assert "*SUCCEEDED*" in text
    assert "0 pending" in text
    assert "Revocations: verified 1" in text
