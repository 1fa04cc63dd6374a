"""Evidence documents: one JSON object per execution in the evidence bucket, at
`<kind>/YYYY/MM/DD/<execution id>.json`, where reviews and audits look for them."""

from __future__ import annotations

import json
from datetime import datetime
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from mypy_boto3_s3.client import S3Client


def store(s3: S3Client, bucket: str, kind: str, execution_id: str, evidence: dict[str, Any], *, at: datetime) -> str:
    """Write the evidence and return its key."""
    key = f"{kind}/{at:%Y/%m/%d}/{execution_id}.json"
    s3.put_object(Bucket=bucket, Key=key, Body=json.dumps(evidence, indent=2).encode(), ContentType="application/json")
    return key
