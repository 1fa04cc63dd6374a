"""The adapters the people workflows use, built on first use and kept for the container's life
(an Okta adapter holds an event loop and a connection pool; a GitHub one its App token)."""

from __future__ import annotations

from functools import cache
from typing import TYPE_CHECKING

from functions.core import clients
from functions.core.runtime import config

if TYPE_CHECKING:
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


def reset() -> None:
    for built in (okta, github, slack, sendgrid, pagerduty, identity_center, iam):
        built.cache_clear()


clients.on_reset(reset)
