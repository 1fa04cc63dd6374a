"""Response bodies of the GitHub fake, shaped like api.github.com's (every field the schemas in
../shared/specs/github-rest.json require, with plausible values), and GitHub's own hashing and
paging conventions. URLs inside bodies point at github.com as the real ones do; only the `Link`
header, which clients follow, points at the fake itself."""

from __future__ import annotations

import base64
import hashlib
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlencode

from sandbox.fakes.base import Request

API = "https://api.github.com"
WEB = "https://github.com"
DOCS = "https://docs.github.com/rest"


def now_iso() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def node_id(kind: str, number: int) -> str:
    return base64.b64encode(f"0{len(kind)}:{kind}{number}".encode()).decode()


def blob_sha(text: str) -> str:
    """Git's blob id, which is what the contents API calls a file's `sha`."""
    data = text.encode()
    return hashlib.sha1(b"blob %d\0" % len(data) + data, usedforsecurity=False).hexdigest()


def commit_sha(*parts: object) -> str:
    return hashlib.sha1("\0".join(map(str, parts)).encode(), usedforsecurity=False).hexdigest()


def b64_lines(text: str) -> str:
    """GitHub wraps a file's base64 content at 60 characters, newline-terminated."""
    encoded = base64.b64encode(text.encode()).decode()
    return "".join(encoded[i : i + 60] + "\n" for i in range(0, len(encoded), 60))


def simple_user(login: str, user_id: int, kind: str = "User") -> dict[str, Any]:
    url = f"{API}/users/{login}"
    return {
        "login": login,
        "id": user_id,
        "node_id": node_id(kind, user_id),
        "avatar_url": f"https://avatars.githubusercontent.com/u/{user_id}?v=4",
        "gravatar_id": "",
        "url": url,
        "html_url": f"{WEB}/{login}",
        "followers_url": f"{url}/followers",
        "following_url": f"{url}/following{{/other_user}}",
        "gists_url": f"{url}/gists{{/gist_id}}",
        "starred_url": f"{url}/starred{{/owner}}{{/repo}}",
        "subscriptions_url": f"{url}/subscriptions",
        "organizations_url": f"{url}/orgs",
        "repos_url": f"{url}/repos",
        "events_url": f"{url}/events{{/privacy}}",
        "received_events_url": f"{url}/received_events",
        "type": kind,
        "user_view_type": "public",
        "site_admin": False,
    }


def public_user(user: dict[str, Any]) -> dict[str, Any]:
    """GET /users/{username}: the public profile (the spec forbids extra fields here)."""
    return simple_user(user["login"], user["id"], user.get("type", "User")) | {
        "name": user.get("name"),
        "company": None,
        "blog": "",
        "location": None,
        "email": user.get("email"),
        "hireable": None,
        "bio": None,
        "twitter_username": None,
        "public_repos": 3,
        "public_gists": 0,
        "followers": 4,
        "following": 2,
        "created_at": user.get("created_at", "2019-03-04T10:00:00Z"),
        "updated_at": user.get("created_at", "2019-03-04T10:00:00Z"),
    }


def organization_simple(org: str, org_id: int) -> dict[str, Any]:
    url = f"{API}/orgs/{org}"
    return {
        "login": org,
        "id": org_id,
        "node_id": node_id("Organization", org_id),
        "url": url,
        "repos_url": f"{url}/repos",
        "events_url": f"{url}/events",
        "hooks_url": f"{url}/hooks",
        "issues_url": f"{url}/issues",
        "members_url": f"{url}/members{{/member}}",
        "public_members_url": f"{url}/public_members{{/member}}",
        "avatar_url": f"https://avatars.githubusercontent.com/u/{org_id}?v=4",
        "description": None,
    }


def team_organization(org: str, org_id: int) -> dict[str, Any]:
    return organization_simple(org, org_id) | {
        "name": org,
        "html_url": f"{WEB}/{org}",
        "has_organization_projects": True,
        "has_repository_projects": True,
        "public_repos": 0,
        "public_gists": 0,
        "followers": 0,
        "following": 0,
        "type": "Organization",
        "created_at": "2018-01-10T09:00:00Z",
        "updated_at": "2026-01-10T09:00:00Z",
        "archived_at": None,
    }


def team_simple(org_id: int, team: dict[str, Any]) -> dict[str, Any]:
    url = f"{API}/organizations/{org_id}/team/{team['id']}"
    return {
        "id": team["id"],
        "node_id": node_id("Team", team["id"]),
        "url": url,
        "html_url": f"{WEB}/orgs/{team['org']}/teams/{team['slug']}",
        "name": team["name"],
        "slug": team["slug"],
        "description": None,
        "privacy": "closed",
        "notification_setting": "notifications_enabled",
        "permission": "pull",
        "members_url": f"{url}/members{{/member}}",
        "repositories_url": f"{url}/repos",
        "parent": None,
        "type": "organization",
        "organization_id": org_id,
    }


def team_full(org: str, org_id: int, team: dict[str, Any]) -> dict[str, Any]:
    return team_simple(org_id, team) | {
        "members_count": sum(1 for m in team["members"].values() if m["state"] == "active"),
        "repos_count": 0,
        "created_at": "2018-01-10T09:00:00Z",
        "updated_at": "2026-01-10T09:00:00Z",
        "organization": team_organization(org, org_id),
    }


def org_membership(org: str, org_id: int, user: dict[str, Any], member: dict[str, Any]) -> dict[str, Any]:
    return {
        "url": f"{API}/orgs/{org}/memberships/{user['login']}",
        "state": member["state"],
        "role": member["role"],
        "direct_membership": True,
        "organization_url": f"{API}/orgs/{org}",
        "organization": organization_simple(org, org_id),
        "user": simple_user(user["login"], user["id"], user.get("type", "User")),
    }


def invitation(org_id: int, item: dict[str, Any], inviter: dict[str, Any]) -> dict[str, Any]:
    return {
        "id": item["id"],
        "node_id": node_id("OrganizationInvitation", item["id"]),
        "login": item["login"],
        "email": None,
        "role": "direct_member",
        "created_at": item["created_at"],
        "failed_at": None,
        "failed_reason": None,
        "inviter": simple_user(inviter["login"], inviter["id"], inviter.get("type", "User")),
        "team_count": item["team_count"],
        "invitation_teams_url": f"{API}/organizations/{org_id}/invitations/{item['id']}/teams",
        "invitation_source": "member",
    }


def label(repo: str, item: dict[str, Any]) -> dict[str, Any]:
    return {
        "id": item["id"],
        "node_id": node_id("Label", item["id"]),
        "url": f"{API}/repos/{repo}/labels/{item['name'].replace(' ', '%20')}",
        "name": item["name"],
        "description": None,
        "color": item["color"],
        "default": False,
    }


def reactions(url: str) -> dict[str, Any]:
    counts = dict.fromkeys(("+1", "-1", "laugh", "confused", "heart", "hooray", "eyes", "rocket"), 0)
    return {"url": f"{url}/reactions", "total_count": 0, **counts}


def issue(repo: str, item: dict[str, Any], labels: list[dict[str, Any]], author: dict[str, Any]) -> dict[str, Any]:
    url = f"{API}/repos/{repo}/issues/{item['number']}"
    out = {
        "id": item["id"],
        "node_id": node_id("Issue", item["id"]),
        "url": url,
        "repository_url": f"{API}/repos/{repo}",
        "labels_url": f"{url}/labels{{/name}}",
        "comments_url": f"{url}/comments",
        "events_url": f"{url}/events",
        "html_url": f"{WEB}/{repo}/issues/{item['number']}",
        "timeline_url": f"{url}/timeline",
        "number": item["number"],
        "state": item["state"],
        "title": item["title"],
        "body": item["body"],
        "user": simple_user(author["login"], author["id"], author.get("type", "User")),
        "labels": [label(repo, x) for x in labels],
        "assignee": None,
        "assignees": [],
        "milestone": None,
        "locked": False,
        "active_lock_reason": None,
        "comments": len(item["comments"]),
        "closed_at": item["closed_at"],
        "created_at": item["created_at"],
        "updated_at": item["updated_at"],
        "closed_by": None,
        "author_association": item["author_association"],
        "reactions": reactions(url),
    }
    # GitHub sends `"state_reason": null` for an open issue, but the spec's enum lacks null (OpenAPI
    # 3.0 wants it listed even when nullable): leave the optional field out instead.
    if item["state_reason"]:
        out["state_reason"] = item["state_reason"]
    return out


def issue_comment(repo: str, number: int, item: dict[str, Any], author: dict[str, Any]) -> dict[str, Any]:
    url = f"{API}/repos/{repo}/issues/comments/{item['id']}"
    return {
        "id": item["id"],
        "node_id": node_id("IssueComment", item["id"]),
        "url": url,
        "html_url": f"{WEB}/{repo}/issues/{number}#issuecomment-{item['id']}",
        "issue_url": f"{API}/repos/{repo}/issues/{number}",
        "body": item["body"],
        "user": simple_user(author["login"], author["id"], author.get("type", "User")),
        "created_at": item["created_at"],
        "updated_at": item["created_at"],
        "author_association": item["author_association"],
        "reactions": reactions(url),
    }


def _file_links(repo: str, path: str, sha: str, ref: str) -> dict[str, Any]:
    url = f"{API}/repos/{repo}/contents/{path}?ref={ref}"
    git_url = f"{API}/repos/{repo}/git/blobs/{sha}"
    html_url = f"{WEB}/{repo}/blob/{ref}/{path}"
    return {
        "url": url,
        "git_url": git_url,
        "html_url": html_url,
        "download_url": f"https://raw.githubusercontent.com/{repo}/{ref}/{path}",
        "_links": {"self": url, "git": git_url, "html": html_url},
    }


def content_file(repo: str, path: str, text: str, ref: str) -> dict[str, Any]:
    sha = blob_sha(text)
    return {
        "type": "file",
        "encoding": "base64",
        "size": len(text.encode()),
        "name": path.rsplit("/", 1)[-1],
        "path": path,
        "content": b64_lines(text),
        "sha": sha,
        **_file_links(repo, path, sha, ref),
    }


def content_directory_item(repo: str, path: str, text: str | None, ref: str) -> dict[str, Any]:
    """One entry of a directory listing: a file (text given) or a sub-directory (text None)."""
    sha = blob_sha(text) if text is not None else commit_sha("tree", repo, path, ref)
    links = _file_links(repo, path, sha, ref)
    if text is None:
        links |= {"download_url": None, "html_url": f"{WEB}/{repo}/tree/{ref}/{path}"}
        links["_links"] = links["_links"] | {"html": links["html_url"]}
    return {
        "type": "file" if text is not None else "dir",
        "size": len(text.encode()) if text is not None else 0,
        "name": path.rsplit("/", 1)[-1],
        "path": path,
        "sha": sha,
        **links,
    }


def file_commit(repo: str, path: str, text: str, branch: str, commit: dict[str, Any]) -> dict[str, Any]:
    content = content_file(repo, path, text, branch)
    del content["content"], content["encoding"]
    person = {"date": commit["date"], "name": "platform-automation[bot]", "email": "bot@users.noreply.github.com"}
    parents = [commit["parent"]] if commit["parent"] else []
    return {
        "content": content,
        "commit": {
            "sha": commit["sha"],
            "node_id": base64.b64encode(f"06:Commit{commit['sha']}".encode()).decode(),
            "url": f"{API}/repos/{repo}/git/commits/{commit['sha']}",
            "html_url": f"{WEB}/{repo}/commit/{commit['sha']}",
            "author": person,
            "committer": person,
            "message": commit["message"],
            "tree": {"url": f"{API}/repos/{repo}/git/trees/{commit['tree']}", "sha": commit["tree"]},
            "parents": [
                {"url": f"{API}/repos/{repo}/git/commits/{p}", "html_url": f"{WEB}/{repo}/commit/{p}", "sha": p}
                for p in parents
            ],
            "verification": {
                "verified": False,
                "reason": "unsigned",
                "signature": None,
                "payload": None,
                "verified_at": None,
            },
        },
    }


def commit(repo: str, item: dict[str, Any], author: dict[str, Any] | None) -> dict[str, Any]:
    """GET /repos/{owner}/{repo}/commits/{ref}: a `commit` (without its files)."""
    sha = item["sha"]
    login = author["login"] if author else "platform-automation[bot]"
    person = {
        "name": item.get("author_name") or login,
        "email": f"{login}@users.noreply.github.com",
        "date": item["date"],
    }
    user = simple_user(author["login"], author["id"], author.get("type", "User")) if author else None
    parents = [item["parent"]] if item["parent"] else []
    return {
        "url": f"{API}/repos/{repo}/commits/{sha}",
        "sha": sha,
        "node_id": base64.b64encode(f"06:Commit{sha}".encode()).decode(),
        "html_url": f"{WEB}/{repo}/commit/{sha}",
        "comments_url": f"{API}/repos/{repo}/commits/{sha}/comments",
        "commit": {
            "url": f"{API}/repos/{repo}/git/commits/{sha}",
            "author": person,
            "committer": person,
            "message": item["message"],
            "comment_count": 0,
            "tree": {"sha": item["tree"], "url": f"{API}/repos/{repo}/git/trees/{item['tree']}"},
        },
        "author": user,
        "committer": user,
        "parents": [
            {"sha": p, "url": f"{API}/repos/{repo}/commits/{p}", "html_url": f"{WEB}/{repo}/commit/{p}"}
            for p in parents
        ],
    }


def comparison(
    repo: str,
    *,
    base: dict[str, Any],
    merge_base: dict[str, Any],
    status: str,
    ahead: list[dict[str, Any]],
    behind: int,
    head_sha: str,
    authors: dict[str, dict[str, Any]],
) -> dict[str, Any]:
    """GET /repos/{owner}/{repo}/compare/{basehead}: a `commit-comparison` (`ahead` oldest first)."""
    spec = f"{base['sha'][:12]}...{head_sha[:12]}"
    owner = repo.split("/", 1)[0]
    return {
        "url": f"{API}/repos/{repo}/compare/{spec}",
        "html_url": f"{WEB}/{repo}/compare/{spec}",
        "permalink_url": f"{WEB}/{repo}/compare/{owner}:{base['sha'][:7]}...{owner}:{head_sha[:7]}",
        "diff_url": f"{WEB}/{repo}/compare/{spec}.diff",
        "patch_url": f"{WEB}/{repo}/compare/{spec}.patch",
        "base_commit": commit(repo, base, authors.get(base["sha"])),
        "merge_base_commit": commit(repo, merge_base, authors.get(merge_base["sha"])),
        "status": status,
        "ahead_by": len(ahead),
        "behind_by": behind,
        "total_commits": len(ahead),
        "commits": [commit(repo, c, authors.get(c["sha"])) for c in ahead[-250:]],
        "files": [],
    }


def package_version(org: str, package: str, item: dict[str, Any]) -> dict[str, Any]:
    """GET /orgs/{org}/packages/container/{package_name}/versions: a container `package-version`."""
    url = f"{API}/orgs/{org}/packages/container/{package}/versions/{item['id']}"
    return {
        "id": item["id"],
        "name": item["digest"],
        "url": url,
        "package_html_url": f"{WEB}/orgs/{org}/packages/container/package/{package}",
        "html_url": f"{WEB}/orgs/{org}/packages/container/{package}/{item['id']}",
        "created_at": item["created_at"],
        "updated_at": item["created_at"],
        "metadata": {"package_type": "container", "container": {"tags": list(item["tags"])}},
    }


def deployment(repo: str, item: dict[str, Any], creator: dict[str, Any]) -> dict[str, Any]:
    url = f"{API}/repos/{repo}/deployments/{item['id']}"
    return {
        "url": url,
        "id": item["id"],
        "node_id": node_id("Deployment", item["id"]),
        "sha": item["sha"],
        "ref": item["ref"],
        "task": item["task"],
        "payload": item["payload"],
        "original_environment": item["environment"],
        "environment": item["environment"],
        "description": item["description"],
        "creator": simple_user(creator["login"], creator["id"], creator.get("type", "User")),
        "created_at": item["created_at"],
        "updated_at": item["updated_at"],
        "statuses_url": f"{url}/statuses",
        "repository_url": f"{API}/repos/{repo}",
        "transient_environment": item["transient_environment"],
        "production_environment": item["production_environment"],
    }


def deployment_status(repo: str, item: dict[str, Any], creator: dict[str, Any]) -> dict[str, Any]:
    deployment_url = f"{API}/repos/{repo}/deployments/{item['deployment_id']}"
    return {
        "url": f"{deployment_url}/statuses/{item['id']}",
        "id": item["id"],
        "node_id": node_id("DeploymentStatus", item["id"]),
        "state": item["state"],
        "creator": simple_user(creator["login"], creator["id"], creator.get("type", "User")),
        "description": item["description"],
        "environment": item["environment"],
        "target_url": item["log_url"],
        "created_at": item["created_at"],
        "updated_at": item["created_at"],
        "deployment_url": deployment_url,
        "repository_url": f"{API}/repos/{repo}",
        "environment_url": item["environment_url"],
        "log_url": item["log_url"],
    }


def hook_delivery(item: dict[str, Any]) -> dict[str, Any]:
    keys = ("id", "guid", "delivered_at", "redelivery", "duration", "status", "status_code", "event", "action")
    return {k: item[k] for k in keys} | {
        "installation_id": item.get("installation_id"),
        "repository_id": item.get("repository_id"),
        "throttled_at": None,
    }


def error_body(status: int, message: str, errors: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    body: dict[str, Any] = {"message": message, "documentation_url": DOCS, "status": str(status)}
    if errors is not None:
        body["errors"] = errors
    return body


def _url(request: Request, **query: Any) -> str:
    merged = {k: v[-1] for k, v in request.query.items()} | {k: str(v) for k, v in query.items()}
    host = request.headers.get("host", "localhost")
    return f"<http://{host}{request.path}?{urlencode(merged)}>"


def page_links(request: Request, total: int, size: int, number: int) -> dict[str, str]:
    """GitHub's `Link` header for page/per_page lists: prev, next, last, first, as it sends them."""
    last = max(1, -(-total // size))
    rels = []
    if number > 1:
        rels.append(f'{_url(request, page=min(number - 1, last))}; rel="prev"')
    if number < last:
        rels.append(f'{_url(request, page=number + 1)}; rel="next"')
        rels.append(f'{_url(request, page=last)}; rel="last"')
    if number > 1:
        rels.append(f'{_url(request, page=1)}; rel="first"')
    return {"Link": ", ".join(rels)} if rels else {}


def cursor_link(request: Request, cursor: str) -> dict[str, str]:
    """The hook deliveries list pages with an opaque cursor instead of page numbers."""
    return {"Link": f'{_url(request, cursor=cursor)}; rel="next"'}
