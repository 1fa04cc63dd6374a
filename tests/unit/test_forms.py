"""Issue forms as GitHub renders them, and requests from either road."""

from __future__ import annotations

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from functions.people import forms
from functions.people.intake import from_command, from_issue
from tests.conftest import ROOT

TEMPLATES = ROOT / ".github" / "ISSUE_TEMPLATE"
BODY = (
    "### Full name\n\nJane Doe\n\n### Email\n\njane.doe@example.com\n\n### GitHub username\n\n@jdoe-dev\n\n"
    "### Team\n\nplatform\n\n### Manager\n\nMaria.Lopez@example.com\n\n### Start date\n\n2026-12-01"
)


@pytest.mark.parametrize(
    ("name", "fields"), [("onboarding", forms.ONBOARDING_FIELDS), ("offboarding", forms.OFFBOARDING_FIELDS)]
)
def test_the_issue_templates_have_exactly_the_fields_the_parser_reads(name: str, fields: dict[str, str]):
    template = yaml.safe_load((TEMPLATES / f"{name}.yml").read_text())
    assert template["labels"] == [name]
    labels = [item["attributes"]["label"] for item in template["body"] if item["type"] != "markdown"]
    assert labels == list(fields)
    assert all(item["validations"]["required"] for item in template["body"] if item["type"] != "markdown")


def test_a_rendered_form_is_parsed():
    assert forms.parse(BODY, forms.ONBOARDING_FIELDS) == {
        "full_name": "Jane Doe",
        "email": "jane.doe@example.com",
        "github_username": "jdoe-dev",
        "team": "platform",
        "manager": "maria.lopez@example.com",
        "start_date": "2026-12-01",
    }


def test_crlf_extra_whitespace_no_response_and_edits():
    body = BODY.replace("\n", "\r\n").replace("### Team\r\n\r\nplatform", "###   Team  \r\n\r\n   _No response_  ")
    body = "Some text the requester added above\r\n\r\n" + body + "\r\n\r\n### Notes\r\n\r\nnot a field\r\n"
    parsed = forms.parse(body, forms.ONBOARDING_FIELDS)
    assert parsed["team"] is None
    assert parsed["full_name"] == "Jane Doe"
    assert parsed["start_date"] == "2026-12-01"


def test_a_missing_heading_is_none():
    assert forms.parse("### Email\n\nx@example.com", forms.OFFBOARDING_FIELDS)["reason"] is None


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=400))
def test_any_body_parses_to_the_form_keys(body: str):
    parsed = forms.parse(body, forms.ONBOARDING_FIELDS)
    assert set(parsed) == set(forms.ONBOARDING_FIELDS.values())


def issue_event(action: str = "opened", labels: tuple[str, ...] = ("onboarding",), **extra):
    detail = {
        "action": action,
        "repository": "example-corp/platform-requests",
        "sender": "mlopez",
        "issue": {
            "number": 42,
            "title": "x",
            "body": BODY,
            "state": "open",
            "labels": list(labels),
            "author": "mlopez",
        },
    }
    return {**detail, **extra}


def test_an_opened_issue_form_becomes_the_workflow_input():
    workflow, value = from_issue(issue_event(), "example-corp/platform-requests")  # type: ignore[misc]
    assert workflow == "onboarding"
    assert value.request["email"] == "jane.doe@example.com"
    assert value.origin.kind == "github"
    assert value.origin.author == "mlopez"
    assert value.request_key == "github:example-corp/platform-requests#42"


@pytest.mark.parametrize(
    "event",
    [
        issue_event(labels=()),
        issue_event(labels=("onboarding", "offboarding")),
        issue_event(action="labeled", label="needs-info"),
        issue_event(action="edited", changed=["title"]),
        issue_event(action="closed"),
        {**issue_event(), "repository": "example-corp/other"},
        {**issue_event(), "issue": {**issue_event()["issue"], "state": "closed"}},
    ],
)
def test_issue_events_that_start_nothing(event):
    assert from_issue(event, "example-corp/platform-requests") is None


def test_edits_to_the_body_and_the_label_added_start_it_again():
    assert from_issue(issue_event(action="edited", changed=["body"]), "example-corp/platform-requests")
    assert from_issue(issue_event(action="labeled", label="onboarding"), "example-corp/platform-requests")


def test_a_slash_command_ends_in_the_same_input():
    args = {
        "name": "Jane Doe",
        "email": "jane.doe@example.com",
        "github": "jdoe-dev",
        "team": "platform",
        "manager": "maria.lopez@example.com",
        "start": "2026-12-01",
    }
    value = from_command("onboarding", args, "maria.lopez@example.com", {"user_id": "U1", "response_url": "https://x"})
    _, from_form = from_issue(issue_event(), "example-corp/platform-requests")  # type: ignore[misc]
    assert value.request == from_form.request
    assert value.origin.kind == "slack"
    assert value.requested_by == "maria.lopez@example.com"
