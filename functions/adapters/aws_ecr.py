"""ECR: does an image tag exist? (The deployment workflow refuses a version that was never pushed.)

An image `<account>.dkr.ecr.<region>.amazonaws.com/<repository>:<tag>` is looked up with
DescribeImages in that account's registry and region: a repository in another account needs a
repository policy that lets the platform's role call `ecr:DescribeImages`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from botocore.exceptions import ClientError

from functions.adapters.aws_common import aws_errors, error_code, new_client

ECR = "ecr"
IMAGE = re.compile(r"^(?P<registry>\d{12})\.dkr\.ecr\.(?P<region>[a-z0-9-]+)\.amazonaws\.com/(?P<repository>.+)$")
MISSING = frozenset({"ImageNotFoundException", "RepositoryNotFoundException"})


@dataclass(frozen=True)
class EcrImage:
    digest: str
    tags: tuple[str, ...]
    pushed_at: datetime | None


def parse_image(image: str) -> tuple[str, str, str]:
    """(registry id, region, repository) of an ECR image name; ValueError for any other."""
    match = IMAGE.match(image)
    if match is None:
        raise ValueError(f"{image!r} is not an ECR image (<account>.dkr.ecr.<region>.amazonaws.com/<name>)")
    return match["registry"], match["region"], match["repository"]


class Ecr:
    def __init__(self) -> None:
        self._clients: dict[str, Any] = {}

    def _client(self, region: str) -> Any:
        if region not in self._clients:
            self._clients[region] = new_client(ECR, region)
        return self._clients[region]

    def find_image(self, image: str, tag: str) -> EcrImage | None:
        """The image `tag` names in the repository of `image`; None when there is none (or no such
        repository)."""
        registry, region, repository = parse_image(image)
        with aws_errors(ECR, "DescribeImages"):
            try:
                found = self._client(region).describe_images(
                    registryId=registry, repositoryName=repository, imageIds=[{"imageTag": tag}]
                )
            except ClientError as exc:
                if error_code(exc) in MISSING:
                    return None
                raise
        details = found.get("imageDetails") or []
        if not details:
            return None
        detail = details[0]
        return EcrImage(str(detail["imageDigest"]), tuple(detail.get("imageTags") or ()), detail.get("imagePushedAt"))
