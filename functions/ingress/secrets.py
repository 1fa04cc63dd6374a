"""The ingress secrets: GitHub's webhook secret and Slack's signing secret, from Secrets Manager
(through the adapters' cached reader, which also keeps them out of logs)."""

from __future__ import annotations

import os

from functions.core import constants


def _secret_name(section: str) -> str:
    name = os.environ.get(constants.secret_env(section))
    if name:
        return name
    from functions.core.runtime import config

    return str(getattr(config(), section).secret_name)


def github_webhook_secret() -> bytes:
    from functions.adapters.secrets import get_secret

    return str(get_secret(_secret_name("github"), "github")["webhook_secret"]).encode()


def slack_signing_secret() -> str:
    from functions.adapters.secrets import get_secret

    return str(get_secret(_secret_name("slack"), "slack")["signing_secret"])
