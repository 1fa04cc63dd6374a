"""No secret value reaches a log line: not in the message, its arguments, extra fields or a traceback."""

from __future__ import annotations

import io
import json
import logging

import boto3
import pytest
from moto import mock_aws

from functions.adapters import redaction, secrets
from functions.adapters.errors import VendorError

TOKEN = "xoxb-super-secret-token-123456"
PEM = (
    "-----BEGIN RSA PRIVATE KEY-----\nMIIEowIBAAKCAQEAsecretkeymaterialline1\n"
    "MIIEowsecondlineofsecretmaterial22\n-----END RSA PRIVATE KEY-----"
)


@pytest.fixture
def stream():
    redaction.forget_all()
    out = io.StringIO()
    handler = logging.StreamHandler(out)
    root = logging.getLogger()
    root.addHandler(handler)
    previous = root.level
    root.setLevel(logging.DEBUG)
    yield out
    root.removeHandler(handler)
    root.setLevel(previous)
    redaction.forget_all()


@pytest.fixture
def secret_store():
    with mock_aws():
        client = boto3.client("secretsmanager", region_name="eu-west-1")
        client.create_secret(Name="platform-automation/slack", SecretString=json.dumps({"bot_token": TOKEN}))
        client.create_secret(Name="platform-automation/okta", SecretString=json.dumps({"private_key": PEM}))
        client.create_secret(Name="not-json", SecretString="plain-secret-value-999")
        secrets.clear_cache()
        yield
        secrets.clear_cache()


def test_secret_values_never_reach_a_log_line(secret_store, stream, monkeypatch):
    monkeypatch.setenv("AWS_DEFAULT_REGION", "eu-west-1")
    slack = secrets.get_secret("platform-automation/slack", "slack")
    okta = secrets.get_secret("platform-automation/okta", "okta")
    assert slack["bot_token"] == TOKEN
    log = logging.getLogger("some.vendor.sdk")
    log.debug("sending headers %s", {"Authorization": f"Bearer {TOKEN}"})
    log.info(f"key is {okta['private_key']}")
    log.info("one line of the key: MIIEowsecondlineofsecretmaterial22")
    log.warning("with extra", extra={"token": TOKEN})
    try:
        raise VendorError("slack", "post message", 401, f"invalid_auth for {TOKEN}")
    except VendorError:
        log.exception("call failed")
    text = stream.getvalue()
    assert TOKEN not in text
    assert "secretkeymaterialline1" not in text
    assert "secondlineofsecretmaterial" not in text
    assert text.count(redaction.MASK) >= 5
    assert "call failed" in text
    assert "VendorError" in text  # the traceback is kept, only the secret is masked


def test_a_secret_that_is_not_json_is_an_error_that_does_not_show_it(secret_store, stream, monkeypatch):
    monkeypatch.setenv("AWS_DEFAULT_REGION", "eu-west-1")
    with pytest.raises(VendorError) as caught:
        secrets.get_secret("not-json", "okta")
    assert "plain-secret-value-999" not in str(caught.value)
    logging.getLogger("x").error("value was plain-secret-value-999")
    assert "plain-secret-value-999" not in stream.getvalue()


def test_a_missing_secret_names_the_vendor(secret_store, monkeypatch):
    monkeypatch.setenv("AWS_DEFAULT_REGION", "eu-west-1")
    with pytest.raises(VendorError) as caught:
        secrets.get_secret("platform-automation/nope", "github")
    assert caught.value.vendor == "github"
    assert caught.value.operation == "read credentials"


def test_the_platform_logger_is_redacted_too(secret_store, monkeypatch):
    monkeypatch.setenv("AWS_DEFAULT_REGION", "eu-west-1")
    redaction.forget_all()
    from functions.core.runtime import logger

    out = io.StringIO()
    handler = logging.StreamHandler(out)
    handler.setFormatter(logger.registered_formatter)  # the Powertools JSON formatter
    platform = logging.getLogger("platform-automation")
    platform.addHandler(handler)
    try:
        secrets.get_secret("platform-automation/slack", "slack")
        logger.warning("token %s", TOKEN)
        logger.warning({"message": "structured", "token": TOKEN})
    finally:
        platform.removeHandler(handler)
    text = out.getvalue()
    assert TOKEN not in text
    assert '"message":"token [REDACTED]"' in text
    assert '"token":"[REDACTED]"' in text
