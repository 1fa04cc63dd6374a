"""Hostile input, the pure rules: escaping for Slack and GitHub, Slack's limits, one-line failure
notes, field limits and the issue-form parser (docs/security.md, "Hostile input")."""

from __future__ import annotations

import json

import pytest
from markdown_it import MarkdownIt

from functions.core import text
from functions.core.text import code, failure_line, fit_blocks, mrkdwn, no_mentions
from functions.ingress import github_events
from functions.ingress.secrets import MIN_SECRET_LENGTH, WeakSecret, strong
from functions.people import forms
from sandbox.fakes.slack import _block_problems

# --- Slack mrkdwn -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "hostile",
    ["<!channel>", "<!here|here>", "<@U0PLATBOT>", "<https://evil.example|Approve here>", "<#C123>", "a & b"],
)
def test_mrkdwn_leaves_no_slack_control_sequence(hostile: str):
    escaped = mrkdwn(hostile)
    assert "<" not in escaped
    assert ">" not in escaped
    assert "&" not in escaped.replace("&amp;", "").replace("&lt;", "").replace("&gt;", "")


def test_mrkdwn_escapes_what_slack_documents_and_nothing_else():
    assert mrkdwn("Jane & <Joe> *O'Brien*") == "Jane &amp; &lt;Joe&gt; *O'Brien*"


# --- GitHub Markdown -------------------------------------------------------------------------------

HOSTILE_VALUES = [
    "x` @everyone [click](https://evil.example) `",
    "``` fenced\n\n# heading\n\n<img src=https://evil.example/t.png>",
    "`leading and trailing`",
    "@octocat/admins please approve",
    "a\r\nb\u2028c\x0bd",
    "`" * 70,
    " ",
]


def _inline_tokens(markdown: str) -> list[object]:
    tokens = MarkdownIt("commonmark").parse(markdown)
    return [child for token in tokens if token.children for child in token.children]


@pytest.mark.parametrize("value", HOSTILE_VALUES)
def test_a_value_cannot_leave_its_code_span(value: str):
    rendered = f"**Team** {code(value)} is not a team"
    tokens = MarkdownIt("commonmark").parse(rendered)
    assert [t.type for t in tokens] == ["paragraph_open", "inline", "paragraph_close"]  # one line, one block
    inline = _inline_tokens(rendered)
    kinds = [t.type for t in inline]  # type: ignore[attr-defined]
    assert kinds.count("code_inline") == 1, kinds
    assert not {"link_open", "image", "html_inline"} & set(kinds)
    (span,) = [t for t in inline if t.type == "code_inline"]  # type: ignore[attr-defined]
    assert span.content.strip() == text.one_line(value).strip()  # type: ignore[attr-defined]
    assert inline[-1].content == " is not a team"  # type: ignore[attr-defined]


def test_a_long_value_is_cut_visibly_in_its_code_span():
    value = "a" * 5000
    rendered = code(value, limit=100)
    assert len(rendered) <= 102
    assert "more characters" in rendered


@pytest.mark.parametrize(
    ("typed", "mentions"),
    [("@octocat", True), ("cc @example-corp/admins", True), ("(@dev)", True), ("jane@example.com", False)],
)
def test_no_mentions_breaks_every_mention_and_leaves_emails(typed: str, mentions: bool):
    broken = no_mentions(typed)
    assert (broken != typed) is mentions
    assert "@" in broken
    import re

    # GitHub mentions need "@" directly followed by the login, not after a word character.
    assert not re.search(r"(?<![\w.+'-])@[A-Za-z0-9]", broken)


# --- Slack limits ------------------------------------------------------------------------------------


def test_long_sections_and_too_many_blocks_are_cut_visibly_within_slacks_limits():
    section = {"type": "section", "text": {"type": "mrkdwn", "text": "x" * 10_000}}
    fields = {"type": "section", "fields": [{"type": "mrkdwn", "text": "y" * 3000}] * 12}
    buttons = {"type": "actions", "elements": [{"type": "button", "text": {"type": "plain_text", "text": "Approve"}}]}
    blocks = [{"type": "header", "text": {"type": "plain_text", "text": "h" * 400}}, section, fields]
    blocks += [{"type": "divider"}] * 60 + [buttons]
    assert _block_problems(blocks)  # the fake refuses these, as Slack does
    fitted = fit_blocks(blocks)
    assert fitted is not None
    assert _block_problems(fitted) == []
    assert len(fitted) == 50
    assert fitted[-1] == buttons  # the approval buttons survive the cut
    assert "more blocks not shown" in json.dumps(fitted[-2])
    assert fitted[1]["text"]["text"].endswith("more characters)")
    assert text.SLACK_SECTION_TEXT - 10 <= len(fitted[1]["text"]["text"]) <= text.SLACK_SECTION_TEXT
    assert "more fields not shown" in fitted[2]["fields"][-1]["text"]


def test_blocks_within_the_limits_are_unchanged():
    blocks = [{"type": "section", "text": {"type": "mrkdwn", "text": "fine"}}, {"type": "divider"}]
    assert fit_blocks(blocks) == blocks


# --- failures: type and one line --------------------------------------------------------------------

LAMBDA_CAUSE = json.dumps(
    {
        "errorType": "VendorError",
        "errorMessage": "okta: create user: 400 E0000001 login: already exists\nmore detail on line two",
        "requestId": "abc",
        "stackTrace": [
            '  File "/var/task/functions/onboarding/steps.py", line 98, in create_okta_user\n    created = ...\n'
        ],
    }
)


def test_a_lambda_failure_becomes_its_type_and_one_line():
    line = failure_line("States.TaskFailed", LAMBDA_CAUSE)
    assert line == "VendorError: okta: create user: 400 E0000001 login: already exists"


@pytest.mark.parametrize(
    "cause",
    [
        'Traceback (most recent call last):\n  File "/work/main/x.py", line 3, in f\nValueError: boom',
        'boom at File "/opt/python/lib/x.py", line 12, in g',
        "cannot open /home/runner/work/platform/secrets.yaml for reading",
        "cannot open C:\\Users\\dev\\platform\\config.yaml",
    ],
)
def test_a_failure_line_holds_no_trace_and_no_file_path(cause: str):
    line = failure_line("RuntimeError", cause)
    assert "\n" not in line
    assert 'File "' not in line
    for fragment in ("/work/", "/opt/python", "/home/runner", "C:\\Users"):
        assert fragment not in line
    assert line.startswith("RuntimeError")


def test_a_failure_line_keeps_urls_and_is_capped():
    line = failure_line("VendorError", "GET https://api.github.com/repos/x/y failed " + "z" * 1000)
    assert "https://api.github.com/repos/x/y" in line
    assert len(line) <= text.FAILURE_LIMIT


# --- field limits -------------------------------------------------------------------------------------

LABELS = {key: label for label, key in forms.ONBOARDING_FIELDS.items()}


def test_a_4000_character_name_is_a_clear_problem_that_does_not_echo_it():
    problems = forms.field_problems({"full_name": "N" * 4000, "team": "platform"}, LABELS)
    assert problems == ["**Full name** is 4,000 characters long; at most 100 are allowed"]


@pytest.mark.parametrize(
    ("key", "value", "problem"),
    [
        ("team", "platform\n\n# heading", "**Team** must be a single line"),
        ("full_name", "Jane \x1b[31mDoe", "**Full name** contains control characters"),
        ("full_name", "<!channel> Doe", "**Full name** may not contain"),
        ("github_username", "a" * 40, "**GitHub username** is 40 characters long; at most 39 are allowed"),
    ],
)
def test_field_shapes_are_checked(key: str, value: str, problem: str):
    (found,) = forms.field_problems({key: value}, LABELS)
    assert found.startswith(problem)


def test_real_names_pass():
    for name in ("José Müller-Lüdenscheidt", "Nguyễn Thị Minh Khai", "Seán O'Brien", "李小龍"):
        assert forms.field_problems({"full_name": name}, LABELS) == []


@pytest.mark.parametrize("email", ["<!channel>@example.com", "a`b@example.com", "a b@example.com", "x<y@example.com"])
def test_an_email_with_markup_is_not_an_email(email: str):
    assert forms.email_problem("Email", email, ["example.com"]) is not None


# --- the issue-form parser ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("heading", "label"),
    [
        ("### Team", "Team"),
        ("###   Team  ###  ", "Team"),
        ("   ### Team", "Team"),
        ("###\tTeam #", "Team"),
        ("### a" + " " * 60_000 + "b", "a" + " " * 60_000 + "b"),
        ("### " + " #" * 30_000 + "x", (" #" * 30_000 + "x").strip()),
    ],
)
def test_headings_are_read_as_github_renders_them(heading: str, label: str):
    assert forms.sections(f"{heading}\n\nvalue") == {label: "value"}


@pytest.mark.parametrize("line", ["#### Team", "###Team", "    ### Team", "text ### Team"])
def test_other_lines_are_not_fields(line: str):
    assert forms.sections(f"{line}\n\nvalue") == {}


def test_a_60000_character_field_is_read_whole():
    body = "### Full name\n\n" + "a" * 60_000 + "\n\n### Email\n\njane@example.com"
    assert forms.parse(body, forms.ONBOARDING_FIELDS)["full_name"] == "a" * 60_000
    assert forms.parse(body, forms.ONBOARDING_FIELDS)["email"] == "jane@example.com"


# --- the bus budget -------------------------------------------------------------------------------------


def _delivery(body: str, title: str = "Onboarding") -> github_events.Delivery:
    issue = {"number": 7, "title": title, "body": body, "state": "open", "labels": [{"name": "onboarding"}]}
    payload = {"action": "opened", "issue": issue, "repository": {"full_name": "o/r"}, "sender": {"login": "a"}}
    return github_events.Delivery("issues", "guid-1", payload)


@pytest.mark.parametrize("char", ["é", "😀", "a", "\u2028"])
def test_a_detail_over_the_bus_budget_is_trimmed_with_a_mark(char: str):
    detail = github_events.normalize(_delivery(char * 65_536))
    assert detail is not None
    size = len(json.dumps(detail, default=str).encode())
    if char == "a":  # 64 KB of ASCII fits as it is
        assert "trimmed" not in detail
        assert detail["issue"]["body"] == "a" * 65_536
        return
    assert size <= github_events.DETAIL_BUDGET
    assert detail["trimmed"] == ["issue.body"]
    assert "trimmed by platform-automation" in detail["issue"]["body"]
    assert detail["issue"]["body"].startswith(char * 1000)
    assert detail["issue"]["labels"] == ["onboarding"]  # what the routes match on is kept


# --- verifying secrets ------------------------------------------------------------------------------------


@pytest.mark.parametrize("secret", ["", "   ", "short", "x" * (MIN_SECRET_LENGTH - 1)])
def test_an_empty_or_short_secret_is_refused(secret: str):
    with pytest.raises(WeakSecret) as refused:
        strong(secret, "Slack signing secret")
    assert refused.value.status == 503
    assert "Slack signing secret" in refused.value.message


def test_a_long_secret_is_used():
    assert strong("s" * MIN_SECRET_LENGTH, "GitHub webhook secret") == "s" * MIN_SECRET_LENGTH
