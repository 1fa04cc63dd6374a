"""What onboarding and offboarding executions take: the same input whichever road the request
came by (a GitHub issue form, `/platform onboard` in Slack, or an API call)."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field


class _Model(BaseModel):
    model_config = ConfigDict(extra="ignore")


class Origin(_Model):
    """Where the request came from, and so where to answer."""

    kind: Literal["github", "slack", "api"]
    repo: str | None = None  # github: owner/repo of the issue
    issue: int | None = None
    author: str | None = None  # github: the issue author's login
    user_id: str | None = None  # slack: who ran the command
    channel_id: str | None = None
    response_url: str | None = None

    def issue_ref(self) -> tuple[str, int]:
        if self.kind != "github" or self.repo is None or self.issue is None:
            raise ValueError(f"a {self.kind} request has no issue")
        return self.repo, self.issue

    @property
    def where(self) -> str:
        if self.kind == "github":
            return f"{self.repo}#{self.issue}"
        return self.kind


class OnboardingRequest(_Model):
    # Every field is optional here: validation reports all that are missing at once.
    full_name: str | None = None
    email: str | None = None
    github_username: str | None = None
    team: str | None = None
    manager: str | None = None
    start_date: str | None = None


class OffboardingRequest(_Model):
    email: str | None = None
    github_username: str | None = None
    last_day: str | None = None
    reason: str | None = None


class WorkflowInput(_Model):
    """The state machine input of onboarding and offboarding."""

    request: dict[str, Any]
    origin: Origin
    request_key: str = Field(description="Identifies the request across re-runs: github:<repo>#<issue>, slack:...")
    requested_by: str | None = Field(default=None, description="Email of who asked, when known")
    dry_run: bool = False


class Validation(_Model):
    """What the Validate step found (`$.validation`): the problems, or the person to work on."""

    ok: bool = False
    problems: list[str] = Field(default_factory=list)
    person: dict[str, Any] = Field(default_factory=dict)
    requester: str | None = None


class Decision(_Model):
    """The approval's answer (`$.approval`), when the request needed one."""

    decision: str | None = None
    approver: str | None = None


class StepState(WorkflowInput):
    """The execution's state as every step reads it (each adds its result under its own key)."""

    validation: Validation | None = None
    approval: Decision | None = None
    steps: dict[str, dict[str, Any]] = Field(default_factory=dict, description="Each step's result, by state name")
    failure: dict[str, Any] | None = None  # the Catch's {Error, Cause}
    compensation: dict[str, Any] | None = None
    compensation_error: dict[str, Any] | None = None

    @property
    def person(self) -> dict[str, Any]:
        if self.validation is None:
            raise ValueError("the state has no validation: a step ran before Validate")
        return dict(self.validation.person)
