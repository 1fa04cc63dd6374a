"""What every handler shares: the logger, the configuration and AWS clients, created lazily once
per container (so importing a handler costs nothing and tests under moto get moto clients)."""

from __future__ import annotations

import os
import sys
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

import boto3
from aws_lambda_powertools import Logger

from functions.core import constants
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
        raise RuntimeError(f"environment variable {name} is not set (CDK sets it; see functions/catalog.py)")
    return value


@cache
def _client(service: str, region: str | None) -> Any:
    return boto3.client(service, region_name=region)  # type: ignore[call-overload]


def dynamodb() -> DynamoDBClient:
    return _client("dynamodb", os.environ.get("AWS_REGION") or os.environ.get("AWS_DEFAULT_REGION"))  # type: ignore[no-any-return]


def s3() -> S3Client:
    return _client("s3", os.environ.get("AWS_REGION") or os.environ.get("AWS_DEFAULT_REGION"))  # type: ignore[no-any-return]


def reset_clients() -> None:
    """Tests and the local engine start a fresh moto world; cached clients must follow."""
    _client.cache_clear()
