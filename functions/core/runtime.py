"""What every handler shares: the logger, the configuration and AWS clients, created lazily once
per container (so importing a handler costs nothing and tests under moto get moto clients)."""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from aws_lambda_powertools import Logger

from functions.core import clients, constants
from functions.core.config import PlatformConfig, cached_config

if TYPE_CHECKING:
    from mypy_boto3_dynamodb.client import DynamoDBClient
    from mypy_boto3_s3.client import S3Client

# stderr: in Lambda both streams reach CloudWatch; locally stdout stays clean for `run --json`.
logger = Logger(service="platform-automation", stream=sys.stderr)

_BUNDLED = Path(__file__).resolve().parent.parent.parent / constants.BUNDLED_CONFIG


def config() -> PlatformConfig:
    """The organisation's configuration: the file named by PLATFORM_CONFIG_FILE, else the one
    CDK bundled beside the code."""
    return cached_config(os.environ.get(constants.CONFIG_FILE) or str(_BUNDLED))


def env(name: str) -> str:
    value = os.environ.get(name)
    if not value:
        raise RuntimeError(f"environment variable {name} is not set (CDK sets it from the Lambda's manifest entry)")
    return value


def dynamodb() -> DynamoDBClient:
    return clients.client("dynamodb")  # type: ignore[no-any-return]


def s3() -> S3Client:
    return clients.client("s3")  # type: ignore[no-any-return]


def reset_clients() -> None:
    """Tests and the local engine start a fresh moto world; cached clients must follow."""
    clients.reset()
