"""The organisation's configuration: one YAML (or JSON) file, validated here.

CDK reads it to build the stack; the Lambdas read the same file, bundled next to their code,
at run time; `platform-automation config validate FILE` reports every problem in it at once.
"""

from __future__ import annotations

import json
import re
import typing
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
    admins: list[Email] = Field(
        default_factory=list,
        description="Platform admins (emails): `/platform status` shows them every execution; everyone "
        "else sees only the executions they asked for or may approve",
    )


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


class RequestFilers(_Model):
    """Who may ask by opening an issue: members of these GitHub teams (slugs in github.org) or of
    these Okta groups. Both empty: only the teams' approvers. Anyone else gets a comment saying so
    and nothing happens."""

    github_teams: list[Slug] = Field(default_factory=list)
    okta_groups: list[str] = Field(default_factory=list)


class IdentitySettings(_Model):
    """How the identity directory links a person (Okta, the source of truth) to the other systems
    (docs/security.md)."""

    github_attribute: str = Field(
        default="githubUsername",
        pattern=r"^[A-Za-z][A-Za-z0-9_]*$",
        description="The Okta profile attribute that holds a person's GitHub login",
    )
    github_link: Literal["okta_attribute", "saml"] = Field(
        default="okta_attribute",
        description="How a GitHub login is linked to a person: the Okta profile attribute `github_attribute`, or the "
        "GitHub org's SAML SSO identities (GraphQL; the identity's NameID is the person's Okta login or email)",
    )
    iam_email_tag: str = Field(
        default="email", min_length=1, description="The IAM user tag that holds its owner's email"
    )


class GitHubSettings(_Model):
    org: str = Field(min_length=1)
    webhook: GitHubWebhook | None = Field(
        default=None, description="The webhook whose failed deliveries the redelivery sweeper asks for again"
    )
    requests_repo: str = Field(pattern=r"^[\w.-]+/[\w.-]+$", description="owner/repo of the request issues")
    gitops_repo: str | None = Field(default=None, pattern=r"^[\w.-]+/[\w.-]+$")
    request_filers: RequestFilers = Field(
        default_factory=RequestFilers,
        description="Who may file onboarding/offboarding requests as issues in requests_repo",
    )
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


# --- services: what the deployment workflow deploys ------------------------------------------------
# An OCI tag: what `<image>:<tag>` may carry.
ImageTag = Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9_][A-Za-z0-9._-]{0,127}$")]
_TAG_FIELDS = ("{sha}", "{short_sha}", "{run_number}")


class ServiceOwners(_Model):
    team: Slug = Field(description="Key in teams: whose approvers approve by default")
    slack_channel: Channel = Field(description="Where each deploy's one message goes (updated in place)")
    pagerduty_service: str | None = Field(
        default=None,
        pattern=r"^P[A-Z0-9]{5,}$",
        description="PagerDuty service id, sent with the page of a failed production rollback",
    )


class ServiceBuild(_Model):
    """What starts a deploy to the first environment: the build workflow finishing on the default
    branch (`workflow_run`), the image being published to GitHub Packages (`registry_package`)."""

    triggers: list[Literal["workflow_run", "registry_package"]] = Field(
        default_factory=lambda: ["workflow_run"]  # type: ignore[arg-type]  # mypy reads the lambda as list[str]
    )
    workflow: str = Field(default="build", min_length=1, description="The build workflow's name (workflow_run.name)")
    branch: str = Field(default="main", min_length=1, description="The default branch: runs elsewhere deploy nothing")
    tag: str = Field(
        default="{sha}",
        description="The image tag CI pushes for a commit: a template of {sha}, {short_sha} (7) and {run_number}",
    )
    tag_pattern: str = Field(
        default=r"^.+$", description="registry_package: the published tags that deploy (a regular expression)"
    )

    @model_validator(mode="after")
    def _template(self) -> ServiceBuild:
        rest = self.tag
        for name in _TAG_FIELDS:
            rest = rest.replace(name, "x")
        if not re.fullmatch(r"[A-Za-z0-9_][A-Za-z0-9._-]*", rest):
            raise ValueError(f"tag: {self.tag!r} is not an image tag template ({', '.join(_TAG_FIELDS)})")
        if "workflow_run" in self.triggers and "{sha}" not in self.tag and "{short_sha}" not in self.tag:
            raise ValueError("tag: a workflow_run trigger needs the commit in the tag ({sha} or {short_sha})")
        return self

    @field_validator("tag_pattern")
    @classmethod
    def _regex(cls, value: str) -> str:
        try:
            re.compile(value)
        except re.error as exc:
            raise ValueError(f"not a regular expression: {exc}") from None
        return value


class ServiceEnvironment(_Model):
    manifest: str = Field(
        pattern=r"^[\w.-]+(/[\w.-]+)*\.ya?ml$", description="Path in github.gitops_repo of the file holding the tag"
    )
    format: Literal["kustomize", "helm"] | None = Field(
        default=None, description="kustomize: an images: entry; helm: a values key. Default: by the file name"
    )
    key: str = Field(default="image.tag", pattern=r"^[\w-]+(\.[\w-]+)*$", description="helm: the dotted key of the tag")
    argocd_app: str = Field(pattern=r"^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$", max_length=253)
    url: HttpUrl | None = Field(default=None, description="The environment's URL, on the success status")
    production: bool | None = Field(default=None, description="Default: named production")
    requires_approval: bool = False
    approvers: list[Email] = Field(default_factory=list, description="Empty: the owning team's approvers")
    approval_timeout_minutes: int = Field(default=240, ge=5, le=10080)
    promote_from: Slug | None = Field(default=None, description="After a healthy deploy there, this one is offered")
    health_timeout_minutes: int = Field(default=15, ge=1, le=180, description="Synced and Healthy within this")
    stability_window_seconds: int = Field(default=120, ge=0, le=3600, description="Then Healthy for this long")
    poll_seconds: int = Field(default=15, ge=5, le=300, description="Between looks at the Argo CD application")
    lock_wait_minutes: int = Field(default=30, ge=0, le=720, description="A second deploy waits this long, 0: refused")

    @property
    def manifest_format(self) -> Literal["kustomize", "helm"]:
        if self.format is not None:
            return self.format
        kustomization = self.manifest.rsplit("/", 1)[-1] in ("kustomization.yaml", "kustomization.yml")
        return "kustomize" if kustomization else "helm"


class Service(_Model):
    repo: str = Field(pattern=r"^[\w.-]+/[\w.-]+$", description="owner/repo of the source; deployments are made there")
    image: str = Field(
        pattern=r"^(ghcr\.io/[\w.-]+/[\w./-]+|\d{12}\.dkr\.ecr\.[a-z0-9-]+\.amazonaws\.com/[\w./-]+)$",
        description="ghcr.io/<owner>/<name> (GitHub Packages) or <account>.dkr.ecr.<region>.amazonaws.com/<name>",
    )
    owners: ServiceOwners
    build: ServiceBuild = ServiceBuild()
    environments: dict[Slug, ServiceEnvironment] = Field(
        min_length=1, description="In promotion order: the first is where new builds go"
    )

    @model_validator(mode="after")
    def _promotion_order(self) -> Service:
        names = list(self.environments)
        if self.environments[names[0]].promote_from is not None:
            raise ValueError(f"the first environment ({names[0]}) is where builds go: it cannot be promoted to")
        for index, (name, environment) in enumerate(self.environments.items()):
            source = environment.promote_from
            if source is not None and source not in names[:index]:
                raise ValueError(f"environments.{name}.promote_from: {source!r} is not an environment listed before it")
        return self

    def is_production(self, environment: str) -> bool:
        settings = self.environments[environment]
        return settings.production if settings.production is not None else environment == "production"


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
    protected_iam_users: list[Annotated[str, StringConstraints(pattern=r"^[\w+=,.@*-]{1,64}$")]] = Field(
        default_factory=list,
        description="IAM users (break-glass, CI; * allowed) no people workflow may touch: denied outright in their "
        "roles, beside every machine user of credentials.inventory",
    )


class Team(_Model):
    okta_groups: list[str] = Field(default_factory=list)
    github_teams: list[str] = Field(default_factory=list)
    aws_access: list[AwsAccess] = Field(default_factory=list)
    aws_groups: list[str] = Field(default_factory=list, description="IAM Identity Center groups a member joins")
    approvers: list[Email] = Field(min_length=1)
    requires_approval: bool = True
    slack_channel: Channel | None = None


class JitGrant(_Model):
    """One privileged grant people may ask for, for a while: `/platform access <name> <duration> <reason>`."""

    description: str = Field(default="", description="One line shown in the approval request and `list`")
    teams: list[Slug] = Field(min_length=1, description="Whose members (every Okta group of the team) may ask")
    aws: AwsAccess | None = Field(default=None, description="An Identity Center account assignment")
    okta_group: str | None = Field(default=None, description="Or an Okta group (an admin role in a SaaS app)")
    max_minutes: int = Field(default=60, ge=5, le=1440, description="Longest grant, extensions included")
    approvers: list[Email] = Field(default_factory=list, description="Empty: the first team's approvers")
    reason_required: bool = Field(default=True, description="A reason must be given")
    ticket_pattern: str | None = Field(
        default=None, description="A regular expression the reason must contain (a ticket id), e.g. [A-Z]+-[0-9]+"
    )
    break_glass: bool = Field(
        default=False, description="For whoever is on call in PagerDuty: granted at once, paged, reviewed afterwards"
    )

    @model_validator(mode="after")
    def _one_target(self) -> JitGrant:
        if (self.aws is None) == (self.okta_group is None):
            raise ValueError("a grant is either aws (account + permission set) or okta_group")
        if self.ticket_pattern is not None:
            try:
                re.compile(self.ticket_pattern)
            except re.error as exc:
                raise ValueError(f"ticket_pattern: {exc}") from None
        return self


Weekday = Literal["mon", "tue", "wed", "thu", "fri", "sat", "sun"]
_WORKDAYS: tuple[Weekday, ...] = ("mon", "tue", "wed", "thu", "fri")
_HHMM = r"^([01][0-9]|2[0-3]):[0-5][0-9]$|^24:00$"


class ApprovalHours(_Model):
    """When one approver is enough for a grant (in schedules.timezone, from `start` up to `end`);
    outside them a second, different approver must approve too. No days: always two."""

    days: list[Weekday] = Field(default_factory=lambda: list(_WORKDAYS))
    start: str = Field(default="08:00", pattern=_HHMM, description="HH:MM, local time")
    end: str = Field(default="18:00", pattern=_HHMM, description="HH:MM, local time (24:00: midnight)")

    @model_validator(mode="after")
    def _start_before_end(self) -> ApprovalHours:
        if self.start >= self.end:
            raise ValueError("start must be before end")
        return self


class JitSettings(_Model):
    grants: dict[Slug, JitGrant] = Field(default_factory=dict, description="What may be asked for, by name")
    single_approver_hours: ApprovalHours | None = Field(
        default=None,
        description="When one approver suffices; outside them a second, different approver must approve as well "
        "(absent: one approver at any hour)",
    )
    approval_timeout_minutes: int = Field(default=30, ge=1, le=1440)
    reminder_minutes: int = Field(default=10, ge=1, le=120, description="The reminder comes this long before expiry")
    channel: Channel | None = Field(
        default=None, description="Where requests are asked; default slack.channels.approvals"
    )
    sign_in_url: HttpUrl | None = Field(default=None, description="The AWS access portal, told with an AWS grant")
    sweep_grace_minutes: int = Field(default=5, ge=0, le=120, description="The sweeper revokes past expiry + this")


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


FindingKind = Literal[
    "orphaned",
    "inactive",
    "stale_credential",
    "missing_mfa",
    "drift",
    "too_many_owners",
    "outside_collaborator",
    "old_invitation",
    "slack_guest",
    "privileged_role",
    "overdue_credential",
]
FINDING_KINDS: tuple[FindingKind, ...] = typing.get_args(FindingKind)


class AccessReviewSettings(_Model):
    """The monthly access review (schedules.access_review, `/platform access-review`). Its ages are
    thresholds.access_review's `inactive_days` and `access_key_max_age_days`."""

    rules: list[FindingKind] = Field(
        default_factory=lambda: list(FINDING_KINDS), description="The finding kinds the review looks for"
    )
    privileged_okta_groups: list[str] = Field(
        default_factory=list,
        description="Okta groups whose members' MFA enrollment is checked (one factors read per member)",
    )
    team_attribute: str = Field(
        default="team",
        description="Okta profile attribute naming a person's team; without it, their teams are those whose "
        "every Okta group they are in",
    )
    manager_attribute: str = Field(default="manager", description="Okta profile attribute with the manager's email")
    max_org_owners: int = Field(default=3, ge=1, description="More GitHub org owners than this is a finding")
    invitation_max_age_days: int = Field(default=14, ge=1, description="Older pending GitHub invitations are findings")
    pagerduty_privileged_roles: list[str] = Field(
        default_factory=lambda: ["admin", "owner"],
        description="PagerDuty roles reviewed as privileged_role findings unless pagerduty_admins names the person",
    )
    pagerduty_admins: list[str] = Field(
        default_factory=list,
        description="Emails whose PagerDuty admin or owner role is expected (organization.admins are too)",
    )
    deadline_hours: int = Field(default=120, ge=1, le=720, description="How long reviewers have to decide")
    remind_hours_before: int = Field(
        default=24, ge=0, le=719, description="The reminder, this long before the deadline"
    )
    default_decision: Literal["keep", "revoke"] = Field(
        default="keep", description="For items nobody decided by the deadline: keep (flagged in the report) or revoke"
    )
    escalate: bool = Field(
        default=True, description="Tell slack.channels.security about undecided items at the deadline"
    )

    @model_validator(mode="after")
    def _reminder_before_deadline(self) -> AccessReviewSettings:
        if self.remind_hours_before >= self.deadline_hours:
            raise ValueError("remind_hours_before must be less than deadline_hours")
        return self


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
    credential_rotation: ScheduleExpression = "cron(0 6 * * ? *)"
    dr_janitor: ScheduleExpression = "rate(6 hours)"
    jit_sweep: ScheduleExpression = "rate(5 minutes)"
    holidays: list[str] = Field(default_factory=list, description="ISO dates on which off-hours is skipped")

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise ValueError(f"unknown time zone {value!r}") from exc
        return value

    @field_validator("access_review", "dr_drill", "off_hours_stop", "off_hours_start", "redelivery_sweep", "dr_janitor")
    @classmethod
    def _expression(cls, value: str) -> str:
        return _check_expression(value)

    @field_validator("credential_rotation")
    @classmethod
    def _rotation_expression(cls, value: str) -> str:
        return _check_expression(value)

    @field_validator("holidays")
    @classmethod
    def _iso_dates(cls, values: list[str]) -> list[str]:
        for value in values:
            if not re.fullmatch(r"\d{4}-\d{2}-\d{2}", value):
                raise ValueError(f"{value!r} is not an ISO date (YYYY-MM-DD)")
        return values


class DrTier(_Model):
    rto_minutes: int = Field(gt=0, description="Longest acceptable time from restore request to verified copy")
    rpo_minutes: int = Field(gt=0, description="Oldest acceptable restore point at the drill's start")


# The platform plan's recovery targets; `dr.tiers` overrides or adds to them.
DEFAULT_DR_TIERS: dict[str, DrTier] = {
    "critical": DrTier(rto_minutes=60, rpo_minutes=15),
    "important": DrTier(rto_minutes=240, rpo_minutes=60),
    "standard": DrTier(rto_minutes=1440, rpo_minutes=240),
}

SampleKey = dict[str, str | int]


class DrSqlCheck(_Model):
    """A query the restored copy must answer through the RDS Data API (Aurora with its HTTP
    endpoint enabled), e.g. `select count(*) from orders` at least 1."""

    sql: str = Field(min_length=1, description="Run on the restored copy; the first column of its first row is checked")
    min: float = Field(default=1, description="Smallest acceptable value of that column")
    database: str | None = Field(default=None, description="The database to run it in (default: the cluster's)")
    secret_arn: str = Field(
        pattern=r"^arn:aws[a-z-]*:secretsmanager:",
        description="Secrets Manager ARN of the credentials the Data API uses",
    )


class DrTarget(_Model):
    name: Slug
    kind: Literal["dynamodb", "rds", "aurora"] = Field(
        description="dynamodb: a table; rds: a DB instance; aurora: a DB cluster (restored with one instance)"
    )
    resource: str = Field(min_length=3, description="The table name, DB instance or DB cluster identifier")
    tier: Slug = Field(default="standard", description="A key of dr.tiers: its RTO and RPO")
    method: Literal["auto", "pitr", "backup"] = Field(
        default="auto",
        description="pitr: point-in-time recovery to the latest restorable time; backup: the newest backup "
        "(DynamoDB on-demand or AWS Backup) or snapshot (RDS automated or manual); auto: pitr where enabled",
    )
    rto_minutes: int | None = Field(default=None, gt=0, description="Overrides the tier's RTO for this target")
    rpo_minutes: int | None = Field(default=None, gt=0, description="Overrides the tier's RPO for this target")
    min_items: int = Field(default=1, ge=0, description="DynamoDB: fewest items a restored copy may hold")
    sample_keys: list[SampleKey] = Field(
        default_factory=list, description="DynamoDB: keys ({attribute: value}) that must exist in the restored copy"
    )
    instance_class: str | None = Field(default=None, description="RDS/Aurora: the restored copy's class")
    cross_region: bool = Field(default=False, description="The newest recovery point must have a copy in dr.dr_region")
    runbook: str | None = Field(
        default=None, pattern=r"^[A-Za-z0-9_.-]+/[A-Za-z0-9_.-]+:.+$", description="owner/repo:path of its runbook"
    )
    sql_check: DrSqlCheck | None = Field(
        default=None, description="RDS/Aurora: a query the copy must answer (Data API: Aurora only)"
    )

    @model_validator(mode="after")
    def _kind_settings(self) -> DrTarget:
        if self.kind != "dynamodb" and self.sample_keys:
            raise ValueError(f"sample_keys are for dynamodb targets, not {self.kind}")
        if self.kind == "dynamodb" and (self.instance_class or self.sql_check):
            raise ValueError("instance_class and sql_check are for rds and aurora targets")
        if self.kind == "aurora" and self.method == "backup":
            raise ValueError("aurora targets are drilled by point-in-time restore (method pitr or auto)")
        return self


class DrSettings(_Model):
    tiers: dict[Slug, DrTier] = Field(
        default_factory=lambda: dict(DEFAULT_DR_TIERS),
        description="Recovery targets per tier; the plan's critical, important and standard unless overridden",
    )
    targets: list[DrTarget] = Field(min_length=1)
    dr_region: str | None = Field(default=None, description="Where cross-region copies must exist")
    restore_poll_seconds: int = Field(default=30, ge=5, le=300, description="First wait between status checks")
    max_poll_seconds: int = Field(default=600, ge=5, le=3600, description="Longest wait between status checks")
    max_restore_polls: int = Field(default=500, ge=1)
    restore_timeout_factor: float = Field(
        default=2.0, ge=1.0, le=10.0, description="A restore not usable after this many times its RTO has timed out"
    )
    janitor_min_age_minutes: int = Field(
        default=360, ge=0, description="The janitor deletes drill-* copies older than this that no running drill owns"
    )
    runbook_max_age_days: int = Field(default=180, ge=1)

    @field_validator("tiers", mode="before")
    @classmethod
    def _over_defaults(cls, tiers: object) -> object:
        # Overrides, not a replacement: a file naming only `critical` keeps important and standard.
        if isinstance(tiers, dict):
            return {**{k: v.model_dump() for k, v in DEFAULT_DR_TIERS.items()}, **tiers}
        return tiers

    @field_validator("targets")
    @classmethod
    def _unique_names(cls, targets: list[DrTarget]) -> list[DrTarget]:
        names = [t.name for t in targets]
        duplicates = sorted({n for n in names if names.count(n) > 1})
        if duplicates:
            raise ValueError(f"duplicate target names: {', '.join(duplicates)}")
        return targets

    @model_validator(mode="after")
    def _known_tiers(self) -> DrSettings:
        for target in self.targets:
            if target.tier not in self.tiers:
                known = ", ".join(self.tiers)
                raise ValueError(f"target {target.name}: unknown tier {target.tier!r} (known: {known})")
            if target.cross_region and not self.dr_region:
                raise ValueError(f"target {target.name} requires a cross-region copy: set dr.dr_region")
        return self

    def targets_of(self, target: DrTarget) -> DrTier:
        """The RTO and RPO a target is held to: its tier's, or its own overrides."""
        tier = self.tiers[target.tier]
        return DrTier(
            rto_minutes=target.rto_minutes or tier.rto_minutes, rpo_minutes=target.rpo_minutes or tier.rpo_minutes
        )


CredentialKind = Literal[
    "sendgrid_api_key",
    "github_webhook_secret",
    "iam_access_key",
    "okta_service_key",
    "slack_signing_secret",
    "github_app_key",
]


class GitHubActionsSecrets(_Model):
    """Where a CI reads a machine user's key: GitHub Actions secrets of a repository or the org."""

    repo: str | None = Field(default=None, pattern=r"^[\w.-]+/[\w.-]+$", description="owner/repo; absent: the org")
    access_key_id: str = Field(default="AWS_ACCESS_KEY_ID", pattern=r"^[A-Za-z_][A-Za-z0-9_]*$")
    secret_access_key: str = Field(default="AWS_SECRET_ACCESS_KEY", pattern=r"^[A-Za-z_][A-Za-z0-9_]*$")


class Credential(_Model):
    """One credential the platform knows: what it is, where its value lives, who owns it."""

    name: Slug
    kind: CredentialKind
    owner: Email = Field(description="Who is told about it (rotated, failed, due for a manual rotation)")
    secret_name: str | None = Field(
        default=None, description="Its Secrets Manager secret; default: the vendor section's secret_name"
    )
    max_age_days: int = Field(default=90, ge=1, le=365)
    user: str | None = Field(default=None, description="iam_access_key: the IAM machine user")
    github_actions: GitHubActionsSecrets | None = Field(
        default=None, description="iam_access_key: also store the key as these GitHub Actions secrets"
    )

    @model_validator(mode="after")
    def _kind_settings(self) -> Credential:
        if self.kind == "iam_access_key" and (not self.user or not self.secret_name):
            raise ValueError(f"{self.name}: an iam_access_key needs user and secret_name")
        if self.kind != "iam_access_key" and (self.user or self.github_actions):
            raise ValueError(f"{self.name}: user and github_actions are for iam_access_key only")
        return self


class CredentialSettings(_Model):
    """Credential rotation (schedules.credential_rotation): what is rotated, and how patiently."""

    inventory: list[Credential] = Field(default_factory=list)
    rotate_before_days: int = Field(default=7, ge=0, le=60, description="Rotate this long before max_age_days")
    remind_before_days: int = Field(default=14, ge=1, le=60, description="Ask owners this long before max age")
    propagation_seconds: int = Field(
        default=300, ge=0, le=3600, description="Wait after storing AWSPENDING until every cached reader has it"
    )
    grace_minutes: int = Field(default=60, ge=0, le=10080, description="Old and new both valid after the switch")
    key_use_check_minutes: int = Field(default=60, ge=1, le=1440, description="How often an old IAM key's use is read")
    key_use_grace_hours: int = Field(default=24, ge=1, le=720, description="Longest wait for an old IAM key to idle")
    delete_after_days: int = Field(default=7, ge=0, le=90, description="A deactivated IAM key is deleted after")

    @field_validator("inventory")
    @classmethod
    def _unique_names(cls, inventory: list[Credential]) -> list[Credential]:
        names = [c.name for c in inventory]
        duplicates = sorted({n for n in names if names.count(n) > 1})
        if duplicates:
            raise ValueError(f"duplicate credential names: {', '.join(duplicates)}")
        return inventory


def _all_workflows() -> list[str]:
    from functions.core import registry

    return list(registry.workflows())


# How long an execution may run before Step Functions stops it (TimedOut, which alarms): past the
# longest wait each workflow's settings allow, so that a legitimate run is never cut short.
DEFAULT_EXECUTION_TIMEOUT_HOURS: dict[str, int] = {
    "default": 24,
    "onboarding": 744,  # an approval may wait 720 hours
    "offboarding": 744,
    "cost_alarm": 192,  # a remediation approval may wait 7 days
    "deployment": 192,  # an approval may wait 7 days, a deploy lock 12 hours
    "access_review": 744,  # reviewers may have up to 720 hours
    "dr_drill": 168,  # each restore may take its tier's RTO x restore_timeout_factor
    "credential_rotation": 3240,  # an old key is deleted up to 90 days after it idles (up to 30 days)
    "jit_access": 72,  # an approval (up to a day, twice) and a grant of up to a day, extensions included
}


class StepFunctionsSettings(_Model):
    include_execution_data: bool = Field(
        default=False,
        description="Log each state's input and output (task tokens, Slack response_urls, personal data): "
        "for debugging only",
    )
    timeout_hours: dict[str, int] = Field(
        default_factory=dict,
        description="An execution's longest run, by workflow (or `default`), over DEFAULT_EXECUTION_TIMEOUT_HOURS",
    )

    @field_validator("timeout_hours")
    @classmethod
    def _known(cls, hours: dict[str, int]) -> dict[str, int]:
        unknown = sorted(set(hours) - {"default", *_all_workflows()})
        if unknown:
            raise ValueError(f"unknown workflow(s) {', '.join(unknown)}")
        # Step Functions' own limit for a standard workflow is a year.
        bad = sorted(name for name, value in hours.items() if not 1 <= value <= 8760)
        if bad:
            raise ValueError(f"{', '.join(bad)}: between 1 and 8760 hours")
        return hours

    def timeout_for(self, workflow: str) -> int:
        """The workflow's execution timeout in hours."""
        table = {**DEFAULT_EXECUTION_TIMEOUT_HOURS, **self.timeout_hours}
        return table.get(workflow, table["default"])


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
    identity: IdentitySettings = IdentitySettings()
    sendgrid: SendGridSettings | None = None
    pagerduty: PagerDutySettings | None = None
    argocd: ArgoCdSettings | None = None
    aws: AwsSettings
    services: dict[Slug, Service] = Field(
        default_factory=dict, description="What the deployment workflow deploys, by service name"
    )
    teams: dict[Slug, Team] = Field(min_length=1)
    thresholds: Thresholds
    schedules: Schedules
    dr: DrSettings
    onboarding: OnboardingSettings = OnboardingSettings()
    offboarding: OffboardingSettings = OffboardingSettings()
    off_hours: OffHoursSettings = OffHoursSettings()
    credentials: CredentialSettings = CredentialSettings()
    jit: JitSettings = JitSettings()
    access_review: AccessReviewSettings = AccessReviewSettings()
    step_functions: StepFunctionsSettings = StepFunctionsSettings()

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
    problems += _credential_problems(data)
    problems += _jit_problems(data)
    problems += _service_problems(data)
    return problems


def _jit_problems(data: dict[str, object]) -> list[str]:
    """jit.grants: known teams and accounts, approvers in the organisation, PagerDuty for break-glass."""
    jit = data.get("jit")
    grants = jit.get("grants") if isinstance(jit, dict) else None
    teams = data.get("teams") if isinstance(data.get("teams"), dict) else {}
    aws = data.get("aws")
    accounts = aws.get("accounts") if isinstance(aws, dict) else None
    organization = data.get("organization")
    domains = organization.get("email_domains") if isinstance(organization, dict) else None
    problems = []
    for name, grant in (grants if isinstance(grants, dict) else {}).items():
        if not isinstance(grant, dict):
            continue
        for i, team in enumerate(grant.get("teams") or []):
            if isinstance(teams, dict) and team not in teams:
                problems.append(f"jit.grants.{name}.teams.{i}: unknown team {team!r}")
        target = grant.get("aws")
        account = target.get("account") if isinstance(target, dict) else None
        if isinstance(accounts, dict) and account is not None and account not in accounts:
            problems.append(f"jit.grants.{name}.aws.account: unknown account {account!r}")
        for i, approver in enumerate(grant.get("approvers") or []):
            domain = approver.split("@", 1)[-1].lower() if isinstance(approver, str) else None
            if isinstance(domains, list) and domain is not None and domain not in domains:
                problems.append(f"jit.grants.{name}.approvers.{i}: {approver} is outside organization.email_domains")
        if grant.get("break_glass") and not data.get("pagerduty"):
            problems.append(f"jit.grants.{name}: a break_glass grant needs the pagerduty section (on call, paged)")
    return problems


# The section each vendor credential kind needs (and whose secret_name it defaults to).
CREDENTIAL_SECTION = {
    "sendgrid_api_key": "sendgrid",
    "github_webhook_secret": "github",
    "github_app_key": "github",
    "okta_service_key": "okta",
    "slack_signing_secret": "slack",
}


def _credential_problems(data: dict[str, object]) -> list[str]:
    section = data.get("credentials")
    inventory = section.get("inventory") if isinstance(section, dict) else None
    github = data.get("github")
    problems = []
    for i, item in enumerate(inventory if isinstance(inventory, list) else []):
        kind = item.get("kind") if isinstance(item, dict) else None
        needs = CREDENTIAL_SECTION.get(str(kind))
        if needs and not data.get(needs):
            problems.append(f"credentials.inventory.{i}: a {kind} needs the {needs} section")
        if kind == "github_webhook_secret" and isinstance(github, dict) and not github.get("webhook"):
            problems.append(f"credentials.inventory.{i}: a github_webhook_secret needs github.webhook (the hook)")
    return problems


def _service_problems(data: dict[str, object]) -> list[str]:
    """services: owners' teams exist, approvers are in the organisation, every Argo CD application
    is deployed by one service and environment only, and what deploying needs is configured."""
    services = data.get("services")
    if not isinstance(services, dict) or not services:
        return []
    teams = data.get("teams") if isinstance(data.get("teams"), dict) else {}
    organization = data.get("organization")
    domains = organization.get("email_domains") if isinstance(organization, dict) else None
    github = data.get("github")
    problems = []
    if not data.get("argocd"):
        problems.append("services: deploying needs the argocd section")
    if isinstance(github, dict) and not github.get("gitops_repo"):
        problems.append("services: deploying needs github.gitops_repo (where the manifests are)")
    apps: dict[str, str] = {}
    for name, service in services.items():
        if not isinstance(service, dict):
            continue
        owners = service.get("owners")
        team = owners.get("team") if isinstance(owners, dict) else None
        if isinstance(team, str) and isinstance(teams, dict) and team not in teams:
            problems.append(f"services.{name}.owners.team: unknown team {team!r}")
        environments = service.get("environments")
        for env, settings in (environments if isinstance(environments, dict) else {}).items():
            if not isinstance(settings, dict):
                continue
            app = settings.get("argocd_app")
            if isinstance(app, str):
                where = f"services.{name}.environments.{env}"
                if app in apps:
                    problems.append(f"{where}.argocd_app: {app!r} is deployed by {apps[app]} too")
                apps.setdefault(app, where)
            for i, approver in enumerate(settings.get("approvers") or []):
                domain = approver.split("@", 1)[-1].lower() if isinstance(approver, str) else None
                if isinstance(domains, list) and domain is not None and domain not in domains:
                    problems.append(
                        f"services.{name}.environments.{env}.approvers.{i}: {approver} is outside "
                        "organization.email_domains"
                    )
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
