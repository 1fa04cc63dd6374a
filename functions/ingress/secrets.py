"""The ingress secrets: GitHub's webhook secret and Slack's signing secret, from Secrets Manager
(through the adapters' cached reader, which also keeps them out of logs)."""

from __future__ import annotations

import logging
import os

from functions.core import constants
from functions.ingress.http import HttpError

# A verifying secret shorter than this is refused, never used: an empty one would make every
# signature "valid" for whoever computes an HMAC with an empty key, and a short one can be
# guessed. Slack's signing secrets are 32 hex characters; GitHub asks for a long random string.
MIN_SECRET_LENGTH = 16
log = logging.getLogger("platform-automation.ingress")


class WeakSecret(HttpError):  # noqa: N818 - the state of the configuration
    """The webhook or signing secret is empty or short: the endpoint accepts nothing (503) until
    it is replaced, and the local server does not start (sandbox/server.py)."""

    def __init__(self, what: str, length: int) -> None:
        super().__init__(503, f"the {what} is not usable (empty or shorter than {MIN_SECRET_LENGTH} characters)")
        self.what, self.length = what, length


def strong(value: str, what: str) -> str:
    """`value`, when it is long enough to verify signatures with; WeakSecret otherwise."""
    if len(value.strip()) < MIN_SECRET_LENGTH:
        log.error("refusing the %s: %d characters, at least %d needed", what, len(value.strip()), MIN_SECRET_LENGTH)
        raise WeakSecret(what, len(value.strip()))
    return value


def _secret_name(section: str) -> str:
    name = os.environ.get(constants.secret_env(section))
    if name:
        return name
    from functions.core.runtime import config

    return str(getattr(config(), section).secret_name)


secret_name = _secret_name  # the GitHub webhook check reads every accepted version of it


def github_webhook_secret() -> bytes:
    from functions.adapters.secrets import get_secret

    return strong(str(get_secret(_secret_name("github"), "github")["webhook_secret"]), "GitHub webhook secret").encode()


def slack_signing_secret() -> str:
    from functions.adapters.secrets import get_secret

    return strong(str(get_secret(_secret_name("slack"), "slack")["signing_secret"]), "Slack signing secret")
