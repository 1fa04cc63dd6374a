"""The composition root of the adapters: each vendor adapter is built on first use and kept for
the container's life, since building one costs more than most calls (an HTTP client's TLS
context, boto3 clients, an Okta event loop and pool, a GitHub App token). The local engine's reset
drops them with its moto world and sandbox."""

from __future__ import annotations

from functools import cache, lru_cache
from typing import TYPE_CHECKING

from functions.core import clients
from functions.core.runtime import config

if TYPE_CHECKING:
    from functions.adapters.argocd import ArgoCd
    from functions.adapters.aws_access_keys import AccessKeys
    from functions.adapters.aws_compute import Compute
    from functions.adapters.aws_ecr import Ecr
    from functions.adapters.aws_iam import Iam
    from functions.adapters.aws_identity import IdentityCenter
    from functions.adapters.aws_secrets import SecretVersions
    from functions.adapters.directory import Directory
    from functions.adapters.github import GitHub
    from functions.adapters.github_credentials import GitHubCredentials
    from functions.adapters.okta import Okta
    from functions.adapters.okta_keys import OktaKeys
    from functions.adapters.pagerduty import PagerDuty
    from functions.adapters.sendgrid import SendGrid
    from functions.adapters.sendgrid_keys import SendGridKeys
    from functions.adapters.slack import Slack


def okta() -> Okta:
    """Built again when the service app's key in the Okta secret changes: an adapter kept from
    before a rotation would sign with the old key, which Okta refuses once the rotation retires it
    (the secret itself is read through the 5-minute cache, so this costs no call)."""
    settings = config().okta
    if settings.auth != "private_key":
        return _okta(None)
    from functions.adapters import secrets

    return _okta(str(secrets.get_secret(settings.secret_name, "okta").get("key_id") or ""))


@lru_cache(maxsize=1)  # the adapter of a retired key is dropped (and closes) when the key changes
def _okta(key_id: str | None) -> Okta:  # noqa: ARG001 - the cache's key
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
def argocd() -> ArgoCd:
    from functions.adapters.argocd import ArgoCd

    return ArgoCd.from_config(config())


@cache
def ecr() -> Ecr:
    from functions.adapters.aws_ecr import Ecr

    return Ecr()


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


@cache
def secret_versions() -> SecretVersions:
    from functions.adapters.aws_secrets import SecretVersions

    return SecretVersions.from_config(config())


@cache
def access_keys() -> AccessKeys:
    from functions.adapters.aws_access_keys import AccessKeys

    return AccessKeys.from_config(config())


@cache
def sendgrid_keys() -> SendGridKeys:
    from functions.adapters.sendgrid_keys import SendGridKeys

    return SendGridKeys()


@cache
def github_credentials() -> GitHubCredentials:
    from functions.adapters.github_credentials import GitHubCredentials

    return GitHubCredentials(github()._rest)  # shares the adapter's App token and retries


@cache
def okta_keys() -> OktaKeys:
    from functions.adapters.okta_keys import OktaKeys

    return OktaKeys.from_config(config())


_ROTATION = (secret_versions, access_keys, sendgrid_keys, github_credentials, okta_keys)


def directory(links: tuple[str, ...] = ("slack", "pagerduty", "iam", "identity_center")) -> Directory:
    """A new identity directory over the adapters above: one per execution or request, so its
    cache never outlives what it was asked for. `links`: the systems beside Okta it may read (a
    Lambda that only compares people passes fewer, and needs fewer grants)."""
    import sys

    from functions.adapters.directory import Directory

    return Directory.from_config(config(), sys.modules[__name__], links=links)


def reset() -> None:
    for built in (_okta, github, slack, sendgrid, pagerduty, argocd, ecr, identity_center, iam, compute, *_ROTATION):
        built.cache_clear()


clients.on_reset(reset)
