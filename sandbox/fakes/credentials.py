"""Development credentials: what the sandbox stores in (moto's) Secrets Manager under each
vendor's configured secret name, and what the fakes accept. Never valid anywhere else.

The secret layouts are the production ones (docs/configuration.md, "Secrets"):
  okta       {"api_token"} or {"private_key", "key_id"}        (okta.auth decides)
  github     {"app_private_key", "installation_id"} or {"token"}; {"webhook_secret"}
  slack      {"bot_token", "signing_secret"}
  sendgrid   {"api_key", "api_key_id"}
  pagerduty  {"api_token", "routing_key"}
  argocd     {"token"}
"""

from __future__ import annotations

import json
import os
from functools import cache
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from functions.core.config import PlatformConfig

OKTA_API_TOKEN = "00sandbox-okta-api-token-0000000000000000"  # noqa: S105 - a fake's credential
OKTA_KEY_ID = "sandbox-key-1"
GITHUB_TOKEN = "ghs_sandboxinstallationtoken000000000000"  # noqa: S105
GITHUB_INSTALLATION_ID = 4242
GITHUB_WEBHOOK_SECRET = "sandbox-github-webhook-secret"  # noqa: S105
SLACK_BOT_TOKEN = "xoxb-0000000000-sandbox-bot-token"  # noqa: S105
SLACK_SIGNING_SECRET = "sandbox-slack-signing-secret-0000"  # noqa: S105
SENDGRID_API_KEY = "SG.sandbox-sendgrid-key.000000000000000000000"
SENDGRID_API_KEY_ID = "sandbox-sendgrid-key"  # its id: the rotation finds its scopes by it
PAGERDUTY_API_TOKEN = "y_NbAkKc66ryYTWUXYEu"  # noqa: S105 - PagerDuty's documented sample token
PAGERDUTY_ROUTING_KEY = "R0UT1NGKEYSANDB0X000000000000000"
ARGOCD_TOKEN = "argocd-sandbox-token-000000000000"  # noqa: S105


@cache
def private_key_pem() -> str:
    """An RSA key generated once per process: Okta's private-key JWT and the GitHub App sign with it."""
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import rsa

    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    return key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.TraditionalOpenSSL, serialization.NoEncryption()
    ).decode()


def secrets_for(config: PlatformConfig) -> dict[str, dict[str, Any]]:
    """Secret name → value, for every vendor the configuration uses."""
    okta: dict[str, Any] = (
        {"api_token": OKTA_API_TOKEN}
        if config.okta.auth == "api_token"
        else {"private_key": private_key_pem(), "key_id": OKTA_KEY_ID}
    )
    # The two secrets a real GitHub / Slack would sign with can be set, so a tunnel from the real
    # service to `platform-automation serve` verifies (docs/configuration.md, "Local secrets").
    github: dict[str, Any] = {"webhook_secret": os.environ.get("GITHUB_WEBHOOK_SECRET") or GITHUB_WEBHOOK_SECRET}
    if config.github.app_id:
        github |= {"app_private_key": private_key_pem(), "installation_id": GITHUB_INSTALLATION_ID}
    else:
        github |= {"token": GITHUB_TOKEN}
    out = {
        config.okta.secret_name: okta,
        config.github.secret_name: github,
        config.slack.secret_name: {
            "bot_token": SLACK_BOT_TOKEN,
            "signing_secret": os.environ.get("SLACK_SIGNING_SECRET") or SLACK_SIGNING_SECRET,
        },
    }
    if config.sendgrid:
        out[config.sendgrid.secret_name] = {"api_key": SENDGRID_API_KEY, "api_key_id": SENDGRID_API_KEY_ID}
    if config.pagerduty:
        out[config.pagerduty.secret_name] = {"api_token": PAGERDUTY_API_TOKEN, "routing_key": PAGERDUTY_ROUTING_KEY}
    if config.argocd:
        out[config.argocd.secret_name] = {"token": ARGOCD_TOKEN}
    return out


def seed_secrets(config: PlatformConfig, region: str) -> None:
    """Store the development secrets in Secrets Manager (moto, inside the local engine)."""
    import boto3

    client = boto3.client("secretsmanager", region_name=region)
    for name, value in secrets_for(config).items():
        client.create_secret(Name=name, SecretString=json.dumps(value))
