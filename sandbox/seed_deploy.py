"""Seeds moto's ECR with the images the fixture organisation lists (`ecr:`), in their own
registries (another account's, as a production registry often is): what the deployment workflow
finds when it checks that an ECR image tag exists."""

from __future__ import annotations

import hashlib
import json
from typing import Any

import boto3

from functions.adapters.aws_ecr import parse_image


def _manifest(image: str, tags: list[str]) -> str:
    digest = hashlib.sha256(f"{image}:{','.join(tags)}".encode()).hexdigest()
    return json.dumps(
        {
            "schemaVersion": 2,
            "mediaType": "application/vnd.docker.distribution.manifest.v2+json",
            "config": {
                "mediaType": "application/vnd.docker.container.image.v1+json",
                "size": 1469,
                "digest": f"sha256:{digest}",
            },
            "layers": [],
        }
    )


def seed_images(org: dict[str, Any]) -> None:
    for image, versions in (org.get("ecr") or {}).items():
        registry, region, repository = parse_image(image)
        ecr = boto3.client("ecr", region_name=region)
        ecr.create_repository(repositoryName=repository, registryId=registry)
        for tags in versions:
            first, *others = [str(tag) for tag in tags]
            ecr.put_image(
                registryId=registry, repositoryName=repository, imageManifest=_manifest(image, tags), imageTag=first
            )
            for tag in others:
                ecr.put_image(
                    registryId=registry, repositoryName=repository, imageManifest=_manifest(image, tags), imageTag=tag
                )
