"""Versions: an image tag, the commit it was built from, and whether it is newer than another.

A version is an image tag. It must exist in the service's registry (GitHub Packages for
`ghcr.io/<owner>/<name>`, ECR DescribeImages for `<account>.dkr.ecr.<region>.amazonaws.com/<name>`)
and name a commit of the service's repository: through the build's tag template (`sha-{short_sha}`
read backwards), or as a git tag (`1.5.0`, `v1.5.0`) or sha GitHub resolves.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from functions.adapters.aws_ecr import Ecr
    from functions.adapters.github import Commit, GitHub

_FIELDS = {
    "{sha}": r"(?P<sha>[0-9a-f]{40})",
    "{short_sha}": r"(?P<short_sha>[0-9a-f]{7,40})",
    "{run_number}": r"(?P<run_number>\d+)",
}
_SEMVER = re.compile(r"^v?(\d+)\.(\d+)\.(\d+)(?:-([0-9A-Za-z.-]+))?$")


def tag_for(template: str, sha: str, run_number: int | str | None = None) -> str:
    """The tag CI gives the image of commit `sha` (the build's `tag` template)."""
    return template.replace("{sha}", sha).replace("{short_sha}", sha[:7]).replace("{run_number}", str(run_number or ""))


def tag_pattern(template: str) -> re.Pattern[str]:
    pattern = re.escape(template)
    for name, group in _FIELDS.items():
        pattern = pattern.replace(re.escape(name), group)
    return re.compile(f"^{pattern}$")


def commit_refs(version: str, template: str) -> list[str]:
    """What to ask GitHub for, in order: the sha the template puts in the tag, then the tag as a
    git ref (a release tag, or a sha), then with a leading v."""
    refs: list[str] = []
    match = tag_pattern(template).match(version)
    if match is not None:
        sha = match.groupdict().get("sha") or match.groupdict().get("short_sha")
        if sha:
            refs.append(sha)
    refs.append(version)
    if not version.startswith("v"):
        refs.append(f"v{version}")
    return list(dict.fromkeys(refs))


def resolve_commit(github: GitHub, repo: str, version: str, template: str) -> Commit | None:
    for ref in commit_refs(version, template):
        commit = github.get_commit(repo, ref)
        if commit is not None:
            return commit
    return None


def image_exists(image: str, tag: str, github: GitHub, ecr: Ecr) -> bool:
    if image.startswith("ghcr.io/"):
        owner, _, package = image.removeprefix("ghcr.io/").partition("/")
        return github.find_container_version(owner, package, tag) is not None
    return ecr.find_image(image, tag) is not None


def semver(version: str) -> tuple[int, int, int, tuple[int, str]] | None:
    """Sortable semantic version (a pre-release sorts before its release), or None."""
    match = _SEMVER.match(version)
    if match is None:
        return None
    major, minor, patch, pre = match.groups()
    return int(major), int(minor), int(patch), (0, pre) if pre else (1, "")
