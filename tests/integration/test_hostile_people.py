"""Hostile request values on the real onboarding definition: what reaches the issue comment
mentions nobody and stays in its code spans, a name is not 4,000 characters, a failure is posted
as its type and one line, and the Slack reply is escaped (docs/security.md, "Hostile input")."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from markdown_it import MarkdownIt

from functions.people.intake import from_command
from sandbox.engine import LocalEngine, fixed_policy
from sandbox.fakes.base import Fault
from tests.integration.onboarding_helpers import (
    DEV,
    delivery,
    explain,
    fake,
    form,
    issue,
    messages,
    new_hire,
    org,
    start_input,
)

MENTION = re.compile(r"(?<![\w.+'-])@[A-Za-z0-9]")


@pytest.fixture(scope="module")
def engine() -> Iterator[LocalEngine]:
    with LocalEngine(approvals=fixed_policy("approved", DEV), org=org()) as eng:
        yield eng


@pytest.fixture(autouse=True)
def no_faults_after(engine: LocalEngine) -> Iterator[None]:
    yield
    assert engine.vendors is not None
    engine.vendors.clear_faults()


def comment_of(engine: LocalEngine, number: int) -> str:
    (comment,) = issue(engine, number)["comments"]
    return str(comment)


def test_hostile_form_values_mention_nobody_and_stay_in_their_code_spans(engine: LocalEngine):
    hire = new_hire()
    values = {
        **hire.values(),
        "Full name": "N" * 4000,
        "Team": "`x` @everyone [click to approve](https://evil.example) <img src=https://evil.example/t.png> `",
        "Start date": "@octocat ``` \n\n# not a date",
    }
    event = start_input(engine, delivery(hire.issue, form(values), author=hire.author))
    execution = engine.run("onboarding", event)
    assert execution.output["status"] == "needs-info", explain(execution)
    comment = comment_of(engine, hire.issue)
    assert "**Full name** is 4,000 characters long; at most 100 are allowed" in comment
    assert "N" * 200 not in comment  # the 4,000 characters are not echoed back
    assert re.search(r"\*\*Team\*\* is \d+ characters long; at most 63 are allowed", comment)
    assert re.search(r"\*\*Start date\*\* is \d+ characters long; at most 10 are allowed", comment)
    assert not MENTION.search(comment), comment
    kinds = {child.type for token in MarkdownIt("commonmark").parse(comment) for child in (token.children or [])}
    assert not {"link_open", "image", "html_inline"} & kinds, kinds
    # The Team value is shown, inside one code span, whole (on one line).
    spans = [
        child.content
        for token in MarkdownIt("commonmark").parse(comment)
        for child in (token.children or [])
        if child.type == "code_inline"
    ]
    assert any("[click to approve](https://evil.example)" in span for span in spans), spans


def test_a_failure_is_reported_as_its_type_and_one_line(engine: LocalEngine):
    hire = new_hire()
    event = start_input(engine, delivery(hire.issue, form(dict(hire.values())), author=hire.author))
    assert engine.vendors is not None
    engine.vendors.set_faults("okta", [Fault(500, match=r"^POST /api/v1/users$")])
    execution = engine.run("onboarding", event)
    assert execution.status == "FAILED", explain(execution)
    comment = comment_of(engine, hire.issue)
    (line,) = [x for x in comment.splitlines() if "failed at **CreateOktaUser**" in x]
    assert re.fullmatch(
        r"This onboarding request failed at \*\*CreateOktaUser\*\*: `\w*VendorError: okta create user failed: .+`", line
    ), line
    (notice,) = [m for m in messages(engine, "#platform-notices") if execution.id in m["text"]]
    for posted in (comment, notice["text"], execution.cause or ""):
        for leak in ("Traceback", 'File "', "stackTrace", "/work/", "site-packages", ".py"):
            assert leak not in posted, (leak, posted)


def test_a_slack_reply_is_escaped_for_mrkdwn(engine: LocalEngine):
    slack = fake(engine, "slack")
    response_url = slack.response_url()
    args = {
        "name": "<!channel> <https://evil.example|Doe>",
        "email": "new.person@example.com",
        "github": "hire-39",
        "team": "product",
        "manager": "sam.taylor@example.com",
        "start": "2026-12-07",
    }
    detail = {"user_id": slack.user_id(DEV), "channel_id": "C1", "response_url": response_url}
    event = from_command("onboarding", args, DEV, detail).model_dump(mode="json")
    execution = engine.run("onboarding", event)
    assert execution.output["status"] == "needs-info", explain(execution)
    path = "/" + response_url.split("://", 1)[1].split("/", 1)[1]
    (reply,) = [r for r in slack.state()["responses"] if r["url"] == path]
    assert "**Full name** may not contain" in reply["text"]
    assert "<" not in reply["text"]
    assert ">" not in reply["text"]
