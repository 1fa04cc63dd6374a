"""From a GitHub webhook event (as the ingress normalized it onto the bus) to a deploy request, or
nothing: only a service's own build, finished successfully on its default branch by a push, or
its image published with a tag its build makes, deploys, and only to its first environment.

Every other workflow run and package in the organisation is dropped here, in a small Lambda,
rather than starting an execution that would find it is not a deploy.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

from functions.deployment import versions

if TYPE_CHECKING:
    from functions.core.config import PlatformConfig, Service

DETAIL_TYPE = "deployment.requested"


def _first(service: Service) -> str:
    return next(iter(service.environments))


def _from_run(detail: dict[str, Any], config: PlatformConfig) -> tuple[dict[str, Any] | None, str]:  # noqa: PLR0911
    run = detail.get("workflow_run") or {}
    repo = str(detail.get("repository") or "")
    for name, service in config.services.items():
        if service.repo.lower() != repo.lower() or "workflow_run" not in service.build.triggers:
            continue
        if run.get("name") != service.build.workflow:
            return None, f"{repo}: workflow {run.get('name')!r} is not {name}'s build ({service.build.workflow})"
        if run.get("conclusion") != "success":
            return None, f"{name}: the build concluded {run.get('conclusion')!r}"
        if run.get("head_branch") != service.build.branch or run.get("event") not in (None, "push"):
            return (
                None,
                f"{name}: a {run.get('event')} build of {run.get('head_branch')!r}, "
                f"not a push to {service.build.branch}",
            )
        head_repo = run.get("head_repository")
        if head_repo and str(head_repo).lower() != repo.lower():
            return None, f"{name}: a build of the fork {head_repo}"
        sha = str(run.get("head_sha") or "")
        if not re.fullmatch(r"[0-9a-f]{40}", sha):
            return None, f"{name}: the run names no commit"
        request = {
            "service": name,
            "version": versions.tag_for(service.build.tag, sha, run.get("run_number")),
            "environment": _first(service),
            "commit": sha,
            "trigger": "workflow_run",
        }
        return request, f"{name}: build {run.get('run_number') or run.get('id')} of {sha[:7]}"
    return None, f"{repo}: no service builds here with a workflow_run trigger"


def _from_package(detail: dict[str, Any], config: PlatformConfig) -> tuple[dict[str, Any] | None, str]:
    package = detail.get("package") or {}
    if str(package.get("ecosystem") or "").lower() not in ("container", "docker"):
        return None, f"package {package.get('name')!r} is not a container image"
    owner = str(package.get("namespace") or str(detail.get("repository") or "").partition("/")[0])
    image = f"ghcr.io/{owner}/{package.get('name')}".lower()
    tag = str(package.get("tag") or "")
    for name, service in config.services.items():
        if service.image.lower() != image or "registry_package" not in service.build.triggers:
            continue
        if not tag or not re.search(service.build.tag_pattern, tag):
            return None, f"{name}: tag {tag!r} does not match {service.build.tag_pattern}"
        request = {"service": name, "version": tag, "environment": _first(service), "trigger": "registry_package"}
        commit = str(package.get("commit") or "")
        if re.fullmatch(r"[0-9a-f]{40}", commit):
            request["commit"] = commit
        return request, f"{name}: {image}:{tag} published"
    return None, f"{image}: no service deploys it on registry_package"


def request_from(detail: dict[str, Any], config: PlatformConfig) -> tuple[dict[str, Any] | None, str]:
    """(the deployment's input, why) for a `workflow_run.completed` or `registry_package.published`
    event's detail; (None, why not) when it deploys nothing."""
    event = detail.get("event")
    if event == "workflow_run" and detail.get("action") == "completed":
        request, why = _from_run(detail, config)
    elif event == "registry_package" and detail.get("action") == "published":
        request, why = _from_package(detail, config)
    else:
        return None, f"{event}.{detail.get('action')} starts no deploy"
    if request is not None:
        request |= {
            "requested_by": f"github:{detail.get('sender')}" if detail.get("sender") else "github",
            "delivery_id": detail.get("delivery_id"),
            "dry_run": False,
        }
    return request, why
