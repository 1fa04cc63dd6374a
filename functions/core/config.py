"""The organisation's configuration: one YAML (or JSON) file, validated here.

CDK reads it to build the stack; the Lambdas read the same file, bundled next to their code,
at run time; `platform-automation config validate FILE` reports every problem in it at once.
"""

from __future__ import annotations

import json
import re
from functools import lru_cache
from pathlib import Path
from typing import Annotated, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import yaml
from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    HttpUrl,
    StringConstraints,
    ValidationError,
    field_validator,
    model_validator,
)

# EventBridge Scheduler cron: six fields, minutes hours day-of-month month day-of-week year.
_CRON = re.compile(r"^cron\((\S+\s+){5}\S+\)$")
_RATE = re.compile(r"^rate\(\d+ (minute|minutes|hour|hours|day|days)\)$")
_EMAIL = re.compile(r"^[^@\s]+@([A-Za-z0-9-]+\.)+[A-Za-z]{2,}$")

Email = Annotated[str, StringConstraints(pattern=_EMAIL.pattern, to_lower=True, strip_whitespace=True)]
Slug = Annotated[str, StringConstraints(pattern=r"^[a-z0-9][a-z0-9-]*$", max_length=63)]
Channel = Annotated[str, StringConstraints(pattern=r"^#[a-z0-9][a-z0-9._-]*$")]
AccountId = Annotated[str, StringConstraints(pattern=r"^\d{12}$")]


class _Model(BaseModel):
    # A typo in a key is a problem to report, not a setting to ignore silently.
    model_config = ConfigDict(extra="forbid", frozen=True)


class Organization(_Model):
    name: str = Field(min_length=1)
    email_domains: list[str] = Field(min_length=1, description="Domains a new hire's email may use")


class OktaSettings(_Model):
    org_url: HttpUrl
    auth: Literal["api_token", "private_key"] = "private_key"
    client_id: str | None = None
    secret_name: str = Field(default="platform-automation/okta", description="Secrets Manager secret")

    @model_validator(mode="after")
    def _client_id_for_private_key(self) -> OktaSettings:
        if self.auth == "private_key" and not self.client_id:
            raise ValueError("client_id is required when auth is private_key")
        return self


class GitHubWebhook(_Model):
    hook_id: int = Field(gt=0, description="The id of the webhook that calls POST /github/webhook")
    repo: str | None = Field(
        default=None, pattern=r"^[\w.-]+/[\w.-]+$", description="owner/repo of a repository hook; absent: an org hook"
    )


class GitHubSettings(_Model):
    org: str = Field(min_length=1)
    webhook: GitHubWebhook | None = Field(
        default=None, description="The webhook whose failed deliveries the redelivery sweeper asks for again"
    )
    requests_repo: str = Field(pattern=r"^[\w.-]+/[\w.-]+$", description="owner/repo of the request issues")
    gitops_repo: str | None = Field(default=None, pattern=r"^[\w.-]+/[\w.-]+$")
    app_id: int | None = None
    secret_name: str = "platform-automation/github"  # noqa: S105 - a secret's name, not its value


class SlackChannels(_Model):
    notifications: Channel
    approvals: Channel
    cost: Channel
    security: Channel


# Who may run each /platform sub-command (`help` is open to all): "*" anyone in the workspace,
# "approvers" any team's approver, "team:<name>" that team's approvers, or an email address.
# The sub-commands are the built-ins and those the workflows' manifests declare.
_PRINCIPAL = re.compile(r"^(\*|approvers|team:[a-z0-9][a-z0-9-]*|[^@\s]+@[^@\s]+\.[A-Za-z]{2,})$")


def default_slack_access() -> dict[str, list[str]]:
    from functions.core import registry
    from functions.core.manifest import STATUS

    commands = [command for command, _ in registry.commands().values()]
    return {command.name: list(command.default_access) for command in (*commands, STATUS)}


class SlackSettings(_Model):
    channels: SlackChannels
    access: dict[str, list[str]] = Field(
        default_factory=default_slack_access, description="Who may run each /platform sub-command"
    )

    @field_validator("access")
    @classmethod
    def _principals(cls, access: dict[str, list[str]]) -> dict[str, list[str]]:
        defaults = default_slack_access()
        problems = [
            f"{command!r} is not a sub-command (known: {', '.join(sorted(defaults))})"
            for command in access
            if command not in defaults
        ]
        problems += [
            f"{command}: {principal!r} is not '*', 'approvers', 'team:<name>' or an email address"
            for command, principals in access.items()
            for principal in principals
            if not _PRINCIPAL.match(principal)
        ]
        if problems:
            raise ValueError("; ".join(problems))
        # Sub-commands left out keep their default.
        return {**defaults, **access}

    secret_name: str = "platform-automation/slack"  # noqa: S105 - a secret's name, not its value


class SendGridSettings(_Model):
    from_email: Email = Field(description="Sender address of the platform's mail")
    from_name: str = "Platform team"
    templates: dict[str, str] = Field(
        default_factory=dict, description="Dynamic template ids by purpose (welcome, offboarding_summary)"
    )
    secret_name: str = "platform-automation/sendgrid"  # noqa: S105 - a secret's name, not its value


class PagerDutySettings(_Model):
    from_email: Email = Field(description="A PagerDuty user's email: REST writes are made on its behalf")
    secret_name: str = "platform-automation/pagerduty"  # noqa: S105 - a secret's name, not its value


class ArgoCdSettings(_Model):
    url: HttpUrl = Field(description="The Argo CD API server")
    secret_name: str = "platform-automation/argocd"  # noqa: S105 - a secret's name, not its value


class AwsAccess(_Model):
    account: str = Field(description="Key in aws.accounts")
    permission_set: str = Field(min_length=1)


class IdentityCenter(_Model):
    instance_arn: str = Field(pattern=r"^arn:aws:sso:::instance/ssoins-[a-f0-9]+$")
    identity_store_id: str = Field(pattern=r"^d-[a-z0-9]{10}$")


class AwsSettings(_Model):
    region: str = Field(pattern=r"^[a-z]{2}(-[a-z]+)+-\d$")
    accounts: dict[Slug, AccountId] = Field(min_length=1)
    identity_center: IdentityCenter


class Team(_Model):
    okta_groups: list[str] = Field(default_factory=list)
    github_teams: list[str] = Field(default_factory=list)
    aws_access: list[AwsAccess] = Field(default_factory=list)
    aws_groups: list[str] = Field(default_factory=list, description="IAM Identity Center groups a member joins")
    approvers: list[Email] = Field(min_length=1)
    requires_approval: bool = True
    slack_channel: Channel | None = None


class OnboardingSettings(_Model):
    approval_timeout_hours: int = Field(default=72, ge=1, le=720, description="How long a request waits")
    compensate_on_failure: bool = Field(
        default=True, description="Undo what a failed execution created, newest first, before reporting"
    )


class OffboardingSettings(_Model):
    requires_approval: bool = True
    approvers: list[Email] = Field(default_factory=list, description="Empty: every team's approvers")
    approval_timeout_hours: int = Field(default=24, ge=1, le=720)


class CostTier(_Model):
    name: Literal["info", "warning", "critical"]
    monthly_usd: float = Field(gt=0)


class CostThresholds(_Model):
    tiers: list[CostTier] = Field(min_length=1)
    top_services: int = Field(default=5, ge=1, le=20)

    @field_validator("tiers")
    @classmethod
    def _ascending(cls, tiers: list[CostTier]) -> list[CostTier]:
        amounts = [t.monthly_usd for t in tiers]
        if amounts != sorted(amounts) or len(set(amounts)) != len(amounts):
            raise ValueError("tiers must be in strictly ascending order of monthly_usd")
        return tiers


ComputeKind = Literal["ec2", "rds", "asg"]
_COMPUTE_KINDS: tuple[ComputeKind, ...] = ("ec2", "rds", "asg")


class CostRemediation(_Model):
    """The billing alarm's optional remediation: the off-hours stop, offered to approvers."""

    enabled: bool = Field(default=True, description="Offer the off-hours stop when a billing alarm fires")
    min_severity: Literal["info", "warning", "critical"] = "warning"
    approvers: list[Email] = Field(default_factory=list, description="Who may apply it; empty: every team's approvers")
    approval_timeout_minutes: int = Field(default=240, ge=5, le=10080)


class OffHoursSettings(_Model):
    """Which resources the off-hours schedules stop and start (schedules.off_hours_stop/start)."""

    enabled: bool = True
    tag_key: str = Field(default="environment", min_length=1, max_length=128)
    tag_values: list[str] = Field(default_factory=lambda: ["dev", "staging"], min_length=1)
    opt_out_tag: str = Field(default="platform-automation:off-hours", min_length=1, max_length=128)
    opt_out_value: str = Field(default="skip", min_length=1)
    kinds: list[ComputeKind] = Field(default_factory=lambda: list(_COMPUTE_KINDS), min_length=1)
    remediation: CostRemediation = CostRemediation()

    @field_validator("kinds")
    @classmethod
    def _unique_kinds(cls, kinds: list[ComputeKind]) -> list[ComputeKind]:
        if len(set(kinds)) != len(kinds):
            raise ValueError("kinds must not repeat")
        return kinds


class AccessReviewThresholds(_Model):
    inactive_days: int = Field(default=90, ge=1)
    access_key_max_age_days: int = Field(default=90, ge=1)


class Thresholds(_Model):
    cost: CostThresholds
    access_review: AccessReviewThresholds = AccessReviewThresholds()


def _check_expression(value: str) -> str:
    if not (_CRON.match(value) or _RATE.match(value)):
        raise ValueError("must be an EventBridge Scheduler expression such as 'cron(0 9 ? * MON *)' or 'rate(1 day)'")
    return value


ScheduleExpression = Annotated[str, Field(description="EventBridge Scheduler cron() or rate() expression")]


class Schedules(_Model):
    timezone: str = Field(description="IANA time zone the cron expressions are read in")
    access_review: ScheduleExpression
    dr_drill: ScheduleExpression
    off_hours_stop: ScheduleExpression
    off_hours_start: ScheduleExpression
    redelivery_sweep: ScheduleExpression = "rate(15 minutes)"
    holidays: list[str] = Field(default_factory=list, description="ISO dates on which off-hours is skipped")

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise ValueError(f"unknown time zone {value!r}") from exc
        return value

    @field_validator("access_review", "dr_drill", "off_hours_stop", "off_hours_start", "redelivery_sweep")
    @classmethod
    def _expression(cls, value: str) -> str:
        return _check_expression(value)

    @field_validator("holidays")
    @classmethod
    def _iso_dates(cls, values: list[str]) -> list[str]:
        for value in values:
            if not re.fullmatch(r"\d{4}-\d{2}-\d{2}", value):
                raise ValueError(f"{value!r} is not an ISO date (YYYY-MM-DD)")
        return values


class DrTarget(_Model):
    name: Slug
    kind: Literal["dynamodb"] = Field(description="What is restored; DynamoDB tables for now")
    resource: str = Field(min_length=3, description="The table name")
    rto_minutes: int = Field(gt=0, description="Longest acceptable restore time")
    rpo_minutes: int = Field(gt=0, description="Oldest acceptable backup age")
    min_items: int = Field(default=1, ge=0, description="Fewest items a restored copy may hold")


class DrSettings(_Model):
    targets: list[DrTarget] = Field(min_length=1)
    restore_poll_seconds: int = Field(default=30, ge=5, le=300)
    max_restore_polls: int = Field(default=120, ge=1)

    @field_validator("targets")
    @classmethod
    def _unique_names(cls, targets: list[DrTarget]) -> list[DrTarget]:
        names = [t.name for t in targets]
        duplicates = sorted({n for n in names if names.count(n) > 1})
        if duplicates:
            raise ValueError(f"duplicate target names: {', '.join(duplicates)}")
        return targets


def _all_workflows() -> list[str]:
    from functions.core import registry

    return list(registry.workflows())


class PlatformConfig(_Model):
    workflows: list[str] = Field(
        default_factory=_all_workflows,
        description="The workflows this organisation deploys (default: all); the others get no stack, "
        "no route and no Slack sub-command",
    )
    organization: Organization
    okta: OktaSettings
    github: GitHubSettings
    slack: SlackSettings
    sendgrid: SendGridSettings | None = None
    pagerduty: PagerDutySettings | None = None
    argocd: ArgoCdSettings | None = None
    aws: AwsSettings
    teams: dict[Slug, Team] = Field(min_length=1)
    thresholds: Thresholds
    schedules: Schedules
    dr: DrSettings
    onboarding: OnboardingSettings = OnboardingSettings()
    offboarding: OffboardingSettings = OffboardingSettings()
    off_hours: OffHoursSettings = OffHoursSettings()

    @field_validator("workflows")
    @classmethod
    def _known_workflows(cls, names: list[str]) -> list[str]:
        known = _all_workflows()
        unknown = [name for name in names if name not in known]
        if unknown:
            raise ValueError(f"unknown workflow(s) {', '.join(unknown)} (known: {', '.join(known)})")
        if len(set(names)) != len(names):
            raise ValueError("workflows must not repeat")
        return names

    @model_validator(mode="after")
    def _cross_references(self) -> PlatformConfig:
        problems = cross_reference_problems(self.model_dump(mode="json"))
        if problems:
            raise ValueError("; ".join(problems))
        return self

    def summary(self) -> str:
        return (
            f"{self.organization.name}: {len(self.teams)} teams, {len(self.aws.accounts)} AWS accounts, "
            f"{len(self.thresholds.cost.tiers)} cost tiers, {len(self.dr.targets)} DR targets, "
            f"schedules in {self.schedules.timezone}"
        )


def cross_reference_problems(data: object) -> list[str]:
    """Checks between sections, on plain data so they run even when other fields are invalid."""
    if not isinstance(data, dict):
        return []
    teams = data.get("teams") if isinstance(data.get("teams"), dict) else {}
    accounts = (data.get("aws") or {}).get("accounts") if isinstance(data.get("aws"), dict) else None
    domains = (
        (data.get("organization") or {}).get("email_domains") if isinstance(data.get("organization"), dict) else None
    )
    problems: list[str] = []
    for team_name, team in (teams or {}).items():
        if not isinstance(team, dict):
            continue
        for i, access in enumerate(team.get("aws_access") or []):
            account = access.get("account") if isinstance(access, dict) else None
            if isinstance(accounts, dict) and account is not None and account not in accounts:
                problems.append(
                    f"teams.{team_name}.aws_access.{i}.account: unknown account {account!r}"
                    f" (known: {', '.join(sorted(accounts))})"
                )
        for i, approver in enumerate(team.get("approvers") or []):
            domain = approver.split("@", 1)[-1].lower() if isinstance(approver, str) else None
            if isinstance(domains, list) and domain is not None and domain not in domains:
                problems.append(f"teams.{team_name}.approvers.{i}: {approver} is outside organization.email_domains")
    slack = data.get("slack")
    access = slack.get("access") if isinstance(slack, dict) else None
    for command, principals in (access if isinstance(access, dict) else {}).items():
        for i, principal in enumerate(principals if isinstance(principals, list) else []):
            if isinstance(principal, str) and principal.startswith("team:") and principal[5:] not in (teams or {}):
                problems.append(f"slack.access.{command}.{i}: unknown team {principal[5:]!r}")
    off_hours = data.get("off_hours")
    remediation = off_hours.get("remediation") if isinstance(off_hours, dict) else None
    for i, approver in enumerate((remediation.get("approvers") if isinstance(remediation, dict) else None) or []):
        domain = approver.split("@", 1)[-1].lower() if isinstance(approver, str) else None
        if isinstance(domains, list) and domain is not None and domain not in domains:
            problems.append(f"off_hours.remediation.approvers.{i}: {approver} is outside organization.email_domains")
    return problems


class ConfigError(Exception):
    """The configuration file is missing, unreadable or invalid; `problems` lists every finding."""

    def __init__(self, path: Path, problems: list[str]) -> None:
        self.path = path
        self.problems = problems
        super().__init__(f"{path}: " + "; ".join(problems))


def _problems(error: ValidationError) -> list[str]:
    out = []
    for item in error.errors():
        where = ".".join(str(part) for part in item["loc"]) or "(top level)"
        message = item["msg"].removeprefix("Value error, ")
        if not item["loc"] and item["type"] == "value_error":
            # Cross-reference problems are found at the top level but carry their own field paths.
            out.extend(message.split("; "))
        else:
            out.append(f"{where}: {message}")
    return out


def parse_config(data: object, path: Path) -> PlatformConfig:
    try:
        return PlatformConfig.model_validate(data)
    except ValidationError as exc:
        problems = _problems(exc)
        problems += [p for p in cross_reference_problems(data) if p not in problems]
        raise ConfigError(path, problems) from None


def load_config(path: str | Path) -> PlatformConfig:
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise ConfigError(path, [f"cannot read: {exc.strerror}"]) from None
    try:
        data = json.loads(text) if path.suffix == ".json" else yaml.safe_load(text)
    except (yaml.YAMLError, json.JSONDecodeError) as exc:
        raise ConfigError(path, [f"not valid {'JSON' if path.suffix == '.json' else 'YAML'}: {exc}"]) from None
    return parse_config(data, path)


@lru_cache(maxsize=4)
def cached_config(path: str) -> PlatformConfig:
    """Lambdas load the bundled file once per container."""
    return load_config(path)
