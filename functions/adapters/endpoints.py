"""Where each vendor's API lives. In AWS: the vendor's public address (or the configured one,
e.g. the Okta org URL). Locally the sandbox points every adapter at its fake on loopback by
setting `PLATFORM_<VENDOR>_URL` (documented in docs/configuration.md)."""

from __future__ import annotations

import os

DEFAULTS = {
    "github": "https://api.github.com",
    "slack": "https://slack.com/api/",
    "sendgrid": "https://api.sendgrid.com",
    "pagerduty": "https://api.pagerduty.com",
    "pagerduty_events": "https://events.pagerduty.com",
}


def env_name(vendor: str) -> str:
    return f"PLATFORM_{vendor.upper()}_URL"


def base_url(vendor: str, configured: str | None = None) -> str:
    """The override from the environment, else the configured URL, else the vendor's default."""
    url = os.environ.get(env_name(vendor)) or configured or DEFAULTS.get(vendor)
    if not url:
        raise ValueError(f"no URL for {vendor}: configure it or set {env_name(vendor)}")
    return url.rstrip("/") if vendor != "slack" else url.rstrip("/") + "/"
