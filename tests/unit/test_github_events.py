"""GitHub deliveries: signature, parsing, normalization; no payload of any shape raises anything
but an HttpError with a 4xx."""

from __future__ import annotations

import hashlib
import hmac
import json

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from functions.ingress import github_events
from functions.ingress.http import HttpError, HttpRequest

SECRET = b"s3cret"


def sign(body: bytes, secret: bytes = SECRET, algorithm: str = "sha256") -> str:
    return f"{algorithm}=" + hmac.new(secret, body, getattr(hashlib, algorithm)).hexdigest()


def request(body: bytes, event: str | None = "issues", delivery: str | None = "d-1") -> HttpRequest:
    headers = {}
    if event is not None:
        headers["x-github-event"] = event
    if delivery is not None:
        headers["x-github-delivery"] = delivery
    return HttpRequest("POST", "/github/webhook", headers, body)


@pytest.mark.parametrize(
    ("header", "ok"),
    [
        (sign(b"{}"), True),
        (sign(b"{}", b"other"), False),
        (sign(b"{} "), False),
        (sign(b"{}", algorithm="sha1"), False),  # the legacy algorithm is refused
        ("sha256=", False),
        ("", False),
        (None, False),
        ("sha256=" + "0" * 64, False),
    ],
)
def test_signature(header, ok):
    assert github_events.signature_ok(SECRET, b"{}", header) is ok


@pytest.mark.parametrize(
    ("body", "event", "delivery", "message"),
    [
        (b"{}", None, "d", "missing X-GitHub-Event"),
        (b"{}", "issues", None, "missing X-GitHub-Event or X-GitHub-Delivery"),
        (b"{not json", "issues", "d", "not valid JSON"),
        (b"[1, 2]", "issues", "d", "must be a JSON object"),
        (b"\xff\xfe", "issues", "d", "not valid JSON"),
    ],
)
def test_malformed_deliveries_are_400(body, event, delivery, message):
    with pytest.raises(HttpError) as caught:
        github_events.parse(request(body, event, delivery))
    assert caught.value.status == 400
    assert message in caught.value.message


def test_an_opened_issue_is_normalized(issue_opened):
    delivery = github_events.parse(request(json.dumps(issue_opened).encode(), "issues", "guid-1"))
    assert delivery.detail_type == "issues.opened"
    detail = github_events.normalize(delivery)
    assert detail is not None
    assert detail["repository"] == "example-corp/platform-requests"
    assert detail["issue"]["number"] == 42
    assert detail["issue"]["labels"] == ["onboarding"]
    assert "### Full name" in detail["issue"]["body"]
    assert detail["sender"] == "mlopez"


def test_a_labeled_issue_names_the_label(issue_opened):
    payload = {**issue_opened, "action": "labeled", "label": {"name": "onboarding"}}
    detail = github_events.normalize(github_events.parse(request(json.dumps(payload).encode())))
    assert detail is not None
    assert detail["label"] == "onboarding"


@pytest.mark.parametrize("event", ["push", "star", "pull_request", "check_run", "fork", "member", "ping"])
def test_event_types_no_workflow_uses_are_not_published(event):
    delivery = github_events.parse(request(b'{"action": "created"}', event))
    assert github_events.normalize(delivery) is None


def test_a_huge_issue_body_is_cut_to_fit_an_eventbridge_entry(issue_opened):
    payload = {**issue_opened, "issue": {**issue_opened["issue"], "body": "x" * 300_000}}
    detail = github_events.normalize(github_events.parse(request(json.dumps(payload).encode())))
    assert detail is not None
    assert len(json.dumps(detail)) < 256_000


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=20),
    lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=10), children, max_size=4),
    max_leaves=20,
)


@settings(max_examples=300, deadline=None)
@given(
    event=st.sampled_from(["issues", "issue_comment", "registry_package", "workflow_run", "push", "x"]),
    payload=st.dictionaries(
        st.sampled_from(["action", "issue", "repository", "sender", "label", "comment", "changes", "registry_package"]),
        json_values,
    ),
)
def test_no_json_object_breaks_normalization(event, payload):
    delivery = github_events.parse(request(json.dumps(payload).encode(), event))
    detail = github_events.normalize(delivery)
    if detail is not None:
        json.dumps(detail)


@settings(max_examples=300, deadline=None)
@given(body=st.binary(max_size=200), event=st.text(max_size=80), delivery=st.text(max_size=150))
def test_parse_answers_400_or_a_delivery_for_any_bytes(body, event, delivery):
    status = 200
    try:
        github_events.parse(HttpRequest("POST", "/", {"x-github-event": event, "x-github-delivery": delivery}, body))
    except HttpError as error:
        status = error.status
    assert status in (200, 400)
