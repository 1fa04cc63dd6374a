"""The composition root of the adapters: each vendor adapter is built on first use and kept for
the container's life, since building one costs more than most calls (an HTTP client's TLS
context, boto3 clients, an Okta event loop and pool, a GitHub App token). The local engine's reset
drops them with its moto world and sandbox."""

from __future__ import annotations

from functools import cache
from typing import TYPE_CHECKING

from functions.core import clients
from functions.core.runtime import config

if TYPE_CHECKING:
    from functions.adapters.aws_compute import Compute
    from functions.adapters.aws_iam import Iam
    from functions.adapters.aws_identity import IdentityCenter
    from functions.adapters.github import GitHub
    from functions.adapters.okta import Okta
    from functions.adapters.pagerduty import PagerDuty
    from functions.adapters.sendgrid import SendGrid
    from functions.adapters.slack import Slack


@cache
def okta() -> Okta:
    from functions.adapters.okta import Okta

    return Okta.from_config(config())


@cache
def github() -> GitHub:
    from functions.adapters.github import GitHub

    return GitHub.from_config(config())


@cache
def slack() -> Slack:
    from functions.adapters.slack import Slack

    return Slack.from_config(config())


@cache
def sendgrid() -> SendGrid:
    from functions.adapters.sendgrid import SendGrid

    return SendGrid.from_config(config())


@cache
def pagerduty() -> PagerDuty:
    from functions.adapters.pagerduty import PagerDuty

    return PagerDuty.from_config(config())


@cache
def identity_center() -> IdentityCenter:
    from functions.adapters.aws_identity import IdentityCenter

    return IdentityCenter.from_config(config())


@cache
def iam() -> Iam:
    from functions.adapters.aws_iam import Iam

    return Iam.from_config(config())


@cache
def compute() -> Compute:
    from functions.adapters.aws_compute import Compute

    return Compute.from_config(config())


def reset() -> None:
    for built in (okta, github, slack, sendgrid, pagerduty, identity_center, iam, compute):
        built.cache_clear()


clients.on_reset(reset)
