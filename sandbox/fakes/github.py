"""A stateful fake of the part of GitHub's REST API the platform uses: issues (labels, comments,
close), users, org memberships and invitations, teams, repository contents, deployments and their
statuses, commits (by branch, tag or sha) and comparisons, an organisation's container packages and
their tagged versions, webhook deliveries (list, redeliver, ping: sandbox/fakes/github_pings.py),
hook configs, Actions secrets and GitHub App installation tokens.

It speaks GitHub's paths, status codes, `Link` paging (page/per_page with prev/next/last/first;
the deliveries list pages by cursor), error bodies (`{"message", "documentation_url", "status"}`,
422 with `errors`) and headers (`X-GitHub-Request-Id`, `X-RateLimit-*`). An injected 403 or 429
fault answers like GitHub's rate limits: with `Retry-After` it is the secondary limit, without it
the primary one (`X-RateLimit-Remaining: 0` and a reset time).

Auth: `Bearer`/`token` with the development token, or an installation token this fake issued in
exchange for an RS256 JWT signed with sandbox.fakes.credentials.private_key_pem(). `app_id`
(None: any numeric issuer) restricts which App may ask for one.
"""

from __future__ import annotations

import base64
import binascii
import itertools
import os
import re
import time
import uuid
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any, ClassVar
from urllib.parse import unquote

from sandbox.fakes import credentials
from sandbox.fakes import github_data as body
from sandbox.fakes.base import FakeVendor, Reply, Request, Response, route
from sandbox.fakes.github_pings import Deliver, ping, to_ingress_in_process

OWNER_REPO = r"/repos/(?P<owner>[^/]+)/(?P<repo>[^/]+)"
ISSUE = OWNER_REPO + r"/issues/(?P<number>\d+)"
TEAM = r"/orgs/(?P<org>[^/]+)/teams/(?P<slug>[^/]+)"
HOOK = r"/(?:repos/(?P<owner>[^/]+)/(?P<repo>[^/]+)|orgs/(?P<org>[^/]+))/hooks/(?P<hook_id>\d+)"
ACTIONS_SECRETS = r"/(?:repos/(?P<owner>[^/]+)/(?P<repo>[^/]+)|orgs/(?P<org>[^/]+))/actions/secrets"
ACTIONS_KEY_ID = "3380204578043523366"
DEFAULT_BRANCH = "main"
TOKEN_LIFETIME_S = 3600
JWT_MAX_LIFETIME_S = 600
BOT_LOGIN = "platform-automation[bot]"
ORG_HOOK_ID = 1
_DEPLOYMENT_STATES = ("error", "failure", "inactive", "in_progress", "queued", "pending", "success")


class FakeGitHub(FakeVendor):
    service: ClassVar[str] = "github"
    request_id_header: ClassVar[str] = "X-GitHub-Request-Id"
    # A hook's secret reaches no calls log (an Actions secret arrives sealed to GitHub's key).
    secret_fields: ClassVar[frozenset[str]] = frozenset({"secret"})

    def __init__(self) -> None:
        # Credentials outlive a reseed: an adapter holding a cached installation token keeps working.
        self.issued_tokens: dict[str, float] = {}
        self.app_id: int | None = None
        self._public_key: Any = None
        super().__init__()

    # --- state ------------------------------------------------------------------------------
    def reset(self) -> None:
        self.ids = itertools.count(1001)
        self.org = "example-corp"
        self.org_id = 90001
        self.users: dict[str, dict[str, Any]] = {}
        self.members: dict[str, dict[str, Any]] = {}  # login (lower) -> {state, role, two_factor}
        self.invitations: dict[str, dict[str, Any]] = {}
        self.outside_collaborators: set[str] = set()  # logins (lower) with access to a repo, not members
        # The org's SAML SSO identities, login (lower) -> NameID; None: the org does not use SAML SSO.
        self.saml_identities: dict[str, str] | None = None
        self.teams: dict[str, dict[str, Any]] = {}
        self.repos: dict[str, dict[str, Any]] = {}
        self.packages: dict[str, dict[str, Any]] = {}  # container package name (lower) -> its versions
        self._before: list[tuple[re.Pattern[str], Callable[[], object]]] = []
        self.hooks: dict[int, dict[str, Any]] = {}
        self.redelivery_status_code = 200  # what our endpoint answers when GitHub redelivers
        self.deliver_to: Deliver = getattr(self, "deliver_to", to_ingress_in_process)  # where a ping goes
        # GitHub Actions secrets: (owner kind, owner) -> name -> {value (decrypted), updated_at}.
        self.actions_secrets: dict[tuple[str, str], dict[str, dict[str, Any]]] = {}
        self.served = 0
        self.bot = self._add_user(BOT_LOGIN, name=None, kind="Bot")

    def seed(self, org: dict[str, Any]) -> None:  # noqa: PLR0912 - one branch per fixture section
        gh = org.get("github") or {}
        self.org = gh.get("org", self.org)
        for name in gh.get("teams", []):
            slug = re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-")
            self.teams[slug] = {"id": next(self.ids), "slug": slug, "name": name, "org": self.org, "members": {}}
        for repo in gh.get("repos", []):
            self.add_repo(repo["name"], repo.get("files") or {})
            for commit in repo.get("commits") or []:
                self.add_commit(
                    repo["name"],
                    commit["message"],
                    tags=commit.get("tags"),
                    sha=commit.get("sha"),
                    author=commit.get("author"),
                    files=commit.get("files"),
                    days_old=commit.get("days_old"),
                )
        for package in gh.get("packages", []):
            for tags in package.get("versions") or []:
                self.publish_image(package["name"], tags)
        for login in gh.get("outside_users", []):
            self._add_user(login, name=None)
        for login in gh.get("outside_collaborators", []):
            self._add_user(login, name=None)
            self.outside_collaborators.add(login.lower())
        for invited in gh.get("invitations", []):
            # An invitation sent `days_old` days ago that nobody has accepted yet.
            user = self.users.get(str(invited["login"]).lower()) or self._add_user(invited["login"], name=None)
            self._invite(user)
            when = datetime.now(UTC) - timedelta(days=int(invited.get("days_old", 0)))
            self.invitations[user["login"].lower()]["created_at"] = when.strftime("%Y-%m-%dT%H:%M:%SZ")
        if gh.get("saml_sso"):
            self.saml_identities = {}
        for person in org.get("people", []):
            login = person.get("github")
            if not login:
                continue
            # With SAML SSO, each member's identity names them by their IdP NameID (their email
            # unless `github_saml` says otherwise; `github_saml: false` never linked one).
            name_id = person.get("github_saml", person.get("email"))
            if self.saml_identities is not None and name_id:
                self.saml_identities[login.lower()] = str(name_id)
            # Most fixture people show their work email publicly; `github_public_email: false`
            # ones do not (GET /users/{login} has email null), as many GitHub users choose.
            public = person.get("github_public_email", True)
            self._add_user(login, name=person.get("name"), email=person.get("email") if public else None)
            self.members[login.lower()] = {
                "state": "active",
                "role": str(person.get("github_role", "member")),
                "two_factor": bool(person.get("github_2fa", True)),
            }
            for team in person.get("github_teams", []):
                if team in self.teams:
                    self.teams[team]["members"][login.lower()] = {"role": "member", "state": "active"}
        self.hooks[ORG_HOOK_ID] = {
            "id": ORG_HOOK_ID,
            "scope": ("org", self.org.lower()),
            "deliveries": [],
            "config": _hook_config(os.environ.get("GITHUB_WEBHOOK_SECRET") or credentials.GITHUB_WEBHOOK_SECRET),
        }
        for event, action in (("issues", "opened"), ("issue_comment", "created")):
            self.add_delivery(ORG_HOOK_ID, event=event, action=action)

    def state(self) -> dict[str, Any]:
        with self.lock:
            return {
                "org": self.org,
                "members": {self.users[k]["login"]: dict(v) for k, v in sorted(self.members.items())},
                "invitations": sorted(i["login"] for i in self.invitations.values()),
                "teams": {
                    slug: {self.users[k]["login"]: m["state"] for k, m in sorted(t["members"].items())}
                    for slug, t in sorted(self.teams.items())
                },
                "issues": {
                    f"{r['name']}#{n}": {
                        "title": i["title"],
                        "state": i["state"],
                        "state_reason": i["state_reason"],
                        "labels": [r["labels"][x]["name"] for x in i["labels"]],
                        "comments": [c["body"] for c in i["comments"]],
                    }
                    for r in self.repos.values()
                    for n, i in sorted(r["issues"].items())
                },
                "files": {
                    r["name"]: {path: body.blob_sha(text) for path, text in sorted(self._files(r, None).items())}
                    for r in self.repos.values()
                },
                "deployments": [
                    {
                        "repo": r["name"],
                        "id": d["id"],
                        "ref": d["ref"],
                        "environment": d["environment"],
                        "statuses": [s["state"] for s in d["statuses"]],
                    }
                    for r in self.repos.values()
                    for d in r["deployments"].values()
                ],
                "hooks": {
                    str(h["id"]): {
                        "deliveries": len(h["deliveries"]),
                        # Deliveries none of whose attempts (redeliveries included) got through.
                        "failed": sorted(
                            {d["guid"] for d in h["deliveries"]} - {d["guid"] for d in h["deliveries"] if _delivered(d)}
                        ),
                    }
                    for h in self.hooks.values()
                },
                "tokens_issued": len(self.issued_tokens),
                "packages": {p["name"]: [v["tags"] for v in p["versions"]] for p in self.packages.values()},
            }

    # --- helpers for tests and the sandbox --------------------------------------------------
    def add_repo(self, full_name: str, files: dict[str, str] | None = None) -> dict[str, Any]:
        repo: dict[str, Any] = {
            "name": full_name,
            "id": next(self.ids),
            "branches": {},
            "commits": {},
            "issues": {},
            "labels": {},
            "next_number": 1,
            "deployments": {},
            "tags": {},
            "authors": {},  # commit sha -> the login of its author
        }
        self.repos[full_name.lower()] = repo
        self._commit(repo, DEFAULT_BRANCH, dict(files or {}), "Initial commit")
        return repo

    def add_issue(
        self,
        repo: str,
        title: str,
        body_text: str = "",
        labels: list[str] | None = None,
        user: str | None = None,
        *,
        number: int | None = None,
    ) -> dict[str, Any]:
        """Open an issue as `user` (created on github.com if unknown), numbered `number` when given
        (to match a recorded webhook delivery); returns its API body."""
        with self.lock:
            target = self.repos.get(repo.lower()) or self.add_repo(repo)
            author = self.users.get((user or "").lower()) or (self._add_user(user, None) if user else self.bot)
            number = number if number is not None else target["next_number"]
            target["next_number"] = max(target["next_number"], number + 1)
            stamp = body.now_iso()
            target["issues"][number] = {
                "id": next(self.ids),
                "number": number,
                "title": title,
                "body": body_text,
                "author": author["login"].lower(),
                "author_association": self._association(author),
                "state": "open",
                "state_reason": None,
                "labels": [],
                "comments": [],
                "created_at": stamp,
                "updated_at": stamp,
                "closed_at": None,
            }
            self._label_issue(target, target["issues"][number], labels or [])
            return self._issue_body(target, number)

    def has_issue(self, repo: str, number: int) -> bool:
        with self.lock:
            target = self.repos.get(repo.lower())
            return target is not None and number in target["issues"]

    def add_hook(self, repo: str | None = None) -> int:
        """A webhook on a repository (or, with no repo, on the organisation); returns its id."""
        with self.lock:
            hook_id = next(self.ids)
            scope = ("repo", repo.lower()) if repo else ("org", self.org.lower())
            self.hooks[hook_id] = {
                "id": hook_id,
                "scope": scope,
                "deliveries": [],
                "config": _hook_config(credentials.GITHUB_WEBHOOK_SECRET),
            }
            return hook_id

    def add_delivery(
        self,
        hook_id: int = ORG_HOOK_ID,
        *,
        event: str = "issues",
        action: str | None = "opened",
        status_code: int = 200,
        guid: str | None = None,
        redelivery: bool = False,
    ) -> dict[str, Any]:
        with self.lock:
            item = {
                "id": next(self.ids) * 1000,
                "guid": guid or str(uuid.uuid4()),
                "delivered_at": body.now_iso(),
                "redelivery": redelivery,
                "duration": 0.27 if status_code else 10.0,
                "status": _delivery_status(status_code),
                "status_code": status_code,
                "event": event,
                "action": action,
                "installation_id": credentials.GITHUB_INSTALLATION_ID,
                "repository_id": None,
            }
            self.hooks[hook_id]["deliveries"].append(item)
            return body.hook_delivery(item)

    def add_failed_delivery(
        self,
        hook_id: int = ORG_HOOK_ID,
        *,
        event: str = "issues",
        action: str | None = "opened",
        status_code: int = 502,
    ) -> dict[str, Any]:
        """A delivery our endpoint did not take (`status_code` 0: GitHub timed out)."""
        return self.add_delivery(hook_id, event=event, action=action, status_code=status_code)

    def accept_invitation(self, login: str) -> None:
        """The invited person accepts: the membership and their pending team memberships go active."""
        with self.lock:
            key = login.lower()
            self.invitations.pop(key, None)
            if key in self.members:
                self.members[key]["state"] = "active"
            for team in self.teams.values():
                if key in team["members"]:
                    team["members"][key]["state"] = "active"

    def add_commit(
        self,
        repo: str,
        message: str,
        *,
        tags: list[str] | None = None,
        sha: str | None = None,
        author: str | None = None,
        branch: str = DEFAULT_BRANCH,
        files: dict[str, str] | None = None,
        days_old: float | None = None,
    ) -> str:
        """A commit on `branch` changing `files` (none: its files unchanged), tagged with `tags`,
        dated `days_old` days ago (a runbook nobody touched for a year); returns its sha."""
        with self.lock:
            target = self.repos[repo.lower()]
            changed = self._files(target, branch) | dict(files or {})
            new = self._commit(target, branch, changed, message, sha=sha)
            if days_old is not None:
                when = datetime.now(UTC) - timedelta(days=float(days_old))
                target["commits"][new]["date"] = when.strftime("%Y-%m-%dT%H:%M:%SZ")
            for tag in tags or []:
                target["tags"][tag] = new
            if author:
                target["authors"][new] = author.lower()
            return new

    def publish_image(self, package: str, tags: list[str]) -> dict[str, Any]:
        """A new version of the organisation's container package ghcr.io/<org>/<package>."""
        with self.lock:
            entry = self.packages.setdefault(package.lower(), {"name": package, "versions": []})
            version = {
                "id": next(self.ids),
                "digest": "sha256:" + body.commit_sha(package, *tags, len(entry["versions"])) * 2,
                "tags": list(tags),
                "created_at": body.now_iso(),
            }
            entry["versions"].insert(0, version)  # newest first, as GitHub lists them
            return version

    def file_text(self, repo: str, path: str, ref: str | None = None) -> str | None:
        """A file's content on a branch (default: main) or at a commit, as the repository holds it."""
        with self.lock:
            text = self._files(self.repos[repo.lower()], ref).get(path)
            return None if text is None else str(text)

    def head(self, repo: str, branch: str = DEFAULT_BRANCH) -> str:
        with self.lock:
            return str(self.repos[repo.lower()]["branches"][branch])

    def set_file(self, repo: str, path: str, text: str, branch: str = DEFAULT_BRANCH) -> str:
        """Commit a file as someone else would (e.g. a teammate's change); returns the commit sha."""
        with self.lock:
            target = self.repos[repo.lower()]
            files = self._files(target, branch) | {path: text}
            return self._commit(target, branch, files, f"Update {path}")

    # --- vendor behaviour ---------------------------------------------------------------------
    def error(self, status: int, message: str, request: Request) -> Response:  # noqa: ARG002 - one shape for all
        return Response(status, body.error_body(status, message))

    def before_next(self, match: str, action: Callable[[], object]) -> None:
        """Run `action` once, just before serving the next request whose "METHOD /path" `match`
        finds: what someone else does at exactly that moment (a teammate's commit between our read
        of a file and our write of it)."""
        with self.lock:
            self._before.append((re.compile(match), action))

    def handle(self, request: Request) -> Response:
        with self.lock:
            due = next((b for b in self._before if b[0].search(f"{request.method} {request.path}")), None)
            if due is not None:
                self._before.remove(due)
        if due is not None:
            due[1]()
        response = super().handle(request)
        with self.lock:
            self.served += 1
            served = self.served
        response.headers.setdefault("X-RateLimit-Limit", "5000")
        response.headers.setdefault("X-RateLimit-Remaining", str(max(0, 5000 - served)))
        response.headers.setdefault("X-RateLimit-Used", str(min(5000, served)))
        response.headers.setdefault("X-RateLimit-Reset", str(int(time.time()) + 3600))
        response.headers.setdefault("X-RateLimit-Resource", "core")
        return response

    def _fault(self, request: Request) -> Response | None:
        response = super()._fault(request)
        if response is None or response.status not in (403, 429):
            return response
        if "Retry-After" in response.headers:
            message = (
                "You have exceeded a secondary rate limit. Please wait a few minutes before you try again. "
                "If you reach out to GitHub Support for help, please include the request ID."
            )
        else:
            message = f"API rate limit exceeded for installation ID {credentials.GITHUB_INSTALLATION_ID}."
            response.headers |= {"X-RateLimit-Remaining": "0", "X-RateLimit-Reset": str(int(time.time()) + 60)}
        response.body = body.error_body(response.status, message)
        return response

    def check_auth(self, request: Request) -> Response | None:
        scheme, _, credential = request.headers.get("authorization", "").partition(" ")
        if request.path.startswith("/app/"):
            problem = self._jwt_problem(credential.strip()) if scheme.lower() == "bearer" else "Bad credentials"
            return self.error(401, problem, request) if problem else None
        if scheme.lower() not in ("bearer", "token") or not credential:
            return self.error(401, "Requires authentication", request)
        token = credential.strip()
        with self.lock:
            valid = token == credentials.GITHUB_TOKEN or self.issued_tokens.get(token, 0) > time.time()
        return None if valid else self.error(401, "Bad credentials", request)

    def _jwt_problem(self, token: str) -> str | None:
        """Why GitHub would refuse this App JWT (None: it is fine)."""
        import jwt

        with self.lock:
            if self._public_key is None:
                from cryptography.hazmat.primitives.serialization import load_pem_private_key

                key = load_pem_private_key(credentials.private_key_pem().encode(), password=None)
                self._public_key = key.public_key()
        try:
            claims = jwt.decode(token, self._public_key, algorithms=["RS256"], options={"require": ["iat", "exp"]})
        except jwt.ExpiredSignatureError:
            return "'Expiration time' claim ('exp') must be a numeric value representing the future time"
        except jwt.InvalidTokenError:
            return "A JSON web token could not be decoded"
        issuer = str(claims.get("iss", ""))
        if not issuer.isdigit():
            return "'Issuer' claim ('iss') must be an Integer"
        if claims["exp"] - claims["iat"] > JWT_MAX_LIFETIME_S + 60:
            return "'Expiration time' claim ('exp') is too far in the future"
        if self.app_id is not None and int(issuer) != self.app_id:
            return "Integration not found"
        return None

    # --- internals ------------------------------------------------------------------------------
    def _add_user(self, login: str, name: str | None, kind: str = "User", email: str | None = None) -> dict[str, Any]:
        user = {"login": login, "id": next(self.ids), "name": name, "type": kind, "email": email}
        self.users.setdefault(login.lower(), user)
        return self.users[login.lower()]

    def _association(self, user: dict[str, Any]) -> str:
        member = self.members.get(user["login"].lower())
        return "MEMBER" if member and member["state"] == "active" else "NONE"

    def _commit(
        self, repo: dict[str, Any], branch: str, files: dict[str, str], message: str, sha: str | None = None
    ) -> str:
        parent = repo["branches"].get(branch)
        sha = sha or body.commit_sha(repo["name"], branch, parent, message, len(repo["commits"]))
        tree = body.commit_sha("tree", *sorted(f"{p}\0{body.blob_sha(t)}" for p, t in files.items()))
        repo["commits"][sha] = {
            "sha": sha,
            "parent": parent,
            "message": message,
            "files": files,
            "tree": tree,
            "date": body.now_iso(),
        }
        repo["branches"][branch] = sha
        return sha

    def _resolve(self, repo: dict[str, Any], ref: str) -> str | None:
        """The commit a branch, tag, `HEAD`, sha or unambiguous sha prefix (7+) names."""
        if ref == "HEAD":
            ref = DEFAULT_BRANCH
        for names in (repo["branches"], repo["tags"]):
            if ref in names:
                return str(names[ref])
        if ref in repo["commits"]:
            return ref
        if re.fullmatch(r"[0-9a-f]{7,39}", ref):
            found = [sha for sha in repo["commits"] if sha.startswith(ref)]
            if len(found) == 1:
                return str(found[0])
        return None

    def _author(self, repo: dict[str, Any], sha: str) -> dict[str, Any] | None:
        login = repo["authors"].get(sha)
        return self.users.get(login) if login else None

    def _ancestors(self, repo: dict[str, Any], sha: str) -> list[str]:
        """`sha` and its ancestors, newest first."""
        line = []
        current: str | None = sha
        while current:
            line.append(current)
            current = repo["commits"][current]["parent"]
        return line

    def _files(self, repo: dict[str, Any], ref: str | None) -> dict[str, str]:
        ref = ref or DEFAULT_BRANCH
        sha = self._resolve(repo, ref) or ref
        commit = repo["commits"].get(sha)
        if commit is None:
            raise Reply(Response(404, body.error_body(404, f"No commit found for the ref {ref}")))
        files: dict[str, str] = commit["files"]
        return dict(files)

    def _not_found(self) -> Reply:
        return Reply(Response(404, body.error_body(404, "Not Found")))

    def _invalid(self, resource: str, field: str, code: str = "missing_field", message: str | None = None) -> Reply:
        error: dict[str, Any] = {"resource": resource, "code": code, "field": field}
        if message:
            error["message"] = message
        return Reply(Response(422, body.error_body(422, "Validation Failed", [error])))

    def _repo(self, request: Request) -> dict[str, Any]:
        repo = self.repos.get(f"{request.params['owner']}/{request.params['repo']}".lower())
        if repo is None:
            raise self._not_found()
        return repo

    def _issue(self, request: Request) -> tuple[dict[str, Any], dict[str, Any]]:
        repo = self._repo(request)
        issue = repo["issues"].get(int(request.params["number"]))
        if issue is None:
            raise self._not_found()
        return repo, issue

    def _issue_body(self, repo: dict[str, Any], number: int) -> dict[str, Any]:
        issue = repo["issues"][number]
        labels = [repo["labels"][x] for x in issue["labels"]]
        return body.issue(repo["name"], issue, labels, self.users[issue["author"]])

    def _label_issue(self, repo: dict[str, Any], issue: dict[str, Any], names: list[str]) -> None:
        for name in names:
            key = name.lower()
            if key not in repo["labels"]:
                repo["labels"][key] = {"id": next(self.ids), "name": name, "color": "ededed"}
            if key not in issue["labels"]:
                issue["labels"].append(key)

    def _org(self, request: Request) -> None:
        if request.params["org"].lower() != self.org.lower():
            raise self._not_found()

    def _user(self, username: str) -> dict[str, Any]:
        user = self.users.get(unquote(username).lower())
        if user is None:
            raise self._not_found()
        return user

    def _paged(self, request: Request, items: list[Any], default_size: int = 30) -> Response:
        size = max(1, min(request.int_arg("per_page", default_size), 100))
        number = max(1, request.int_arg("page", 1))
        chunk = items[(number - 1) * size : number * size]
        return Response(200, chunk, body.page_links(request, len(items), size, number))

    def _team(self, request: Request) -> dict[str, Any]:
        self._org(request)
        team = self.teams.get(request.params["slug"].lower())
        if team is None:
            raise self._not_found()
        return team

    def _user_body(self, key: str) -> dict[str, Any]:
        user = self.users[key]
        return body.simple_user(user["login"], user["id"], user["type"])

    # --- GraphQL: only the one query the platform asks (an org's SAML identities) ---------------
    @route("POST", r"/graphql")
    def graphql(self, request: Request) -> Response:
        data = request.json()
        query, variables = str(data.get("query") or ""), data.get("variables") or {}
        if "externalIdentities" not in query or "samlIdentityProvider" not in query:
            return Response(200, {"errors": [{"message": "the sandbox answers only the SAML identities query"}]})
        if str(variables.get("org", "")).lower() != self.org.lower():
            message = f"Could not resolve to an Organization with the login of '{variables.get('org')}'."
            errors = [{"type": "NOT_FOUND", "message": message}]
            return Response(200, {"data": {"organization": None}, "errors": errors})
        if self.saml_identities is None:
            return Response(200, {"data": {"organization": {"samlIdentityProvider": None}}})
        size = max(1, min(int(variables.get("first") or 100), 100))
        start = int(base64.b64decode(variables["after"]).decode()) if variables.get("after") else 0
        linked = sorted(self.saml_identities.items())
        nodes = [
            {"samlIdentity": {"nameId": name_id}, "user": {"login": self.users[login]["login"]}}
            for login, name_id in linked[start : start + size]
        ]
        end = start + len(nodes)
        page_info = {"hasNextPage": end < len(linked), "endCursor": base64.b64encode(str(end).encode()).decode()}
        identities = {"pageInfo": page_info, "nodes": nodes}
        return Response(200, {"data": {"organization": {"samlIdentityProvider": {"externalIdentities": identities}}}})

    # --- users ----------------------------------------------------------------------------------
    @route("GET", r"/users/(?P<username>[^/]+)")
    def get_user(self, request: Request) -> Response:
        return Response(200, body.public_user(self._user(request.params["username"])))

    # --- issues ---------------------------------------------------------------------------------
    @route("POST", OWNER_REPO + r"/issues")
    def create_issue(self, request: Request) -> Response:
        repo = self._repo(request)
        data = request.json()
        title = data.get("title")
        if not isinstance(title, str | int) or title == "":
            raise self._invalid("Issue", "title")
        labels = [x if isinstance(x, str) else str(x.get("name", "")) for x in data.get("labels") or []]
        out = self.add_issue(repo["name"], str(title), str(data.get("body") or ""), labels, BOT_LOGIN)
        return Response(201, out, {"Location": out["url"]})

    @route("GET", ISSUE)
    def get_issue(self, request: Request) -> Response:
        repo, issue = self._issue(request)
        return Response(200, self._issue_body(repo, issue["number"]))

    @route("PATCH", ISSUE)
    def update_issue(self, request: Request) -> Response:
        repo, issue = self._issue(request)
        data = request.json()
        state = data.get("state")
        if state is not None and state not in ("open", "closed"):
            raise self._invalid("Issue", "state", "invalid")
        reason = data.get("state_reason")
        if reason is not None and reason not in ("completed", "not_planned", "duplicate", "reopened"):
            raise self._invalid("Issue", "state_reason", "invalid")
        stamp = body.now_iso()
        if state and state != issue["state"]:
            issue["state"] = state
            issue["closed_at"] = stamp if state == "closed" else None
            issue["state_reason"] = (reason or "completed") if state == "closed" else "reopened"
        for key in ("title", "body"):
            if data.get(key) is not None:
                issue[key] = str(data[key])
        if isinstance(data.get("labels"), list):
            issue["labels"] = []
            self._label_issue(repo, issue, [x if isinstance(x, str) else x.get("name", "") for x in data["labels"]])
        issue["updated_at"] = stamp
        return Response(200, self._issue_body(repo, issue["number"]))

    @route("GET", ISSUE + r"/comments")
    def list_comments(self, request: Request) -> Response:
        repo, issue = self._issue(request)
        items = [
            body.issue_comment(repo["name"], issue["number"], c, self.users[c["author"]]) for c in issue["comments"]
        ]
        return self._paged(request, items)

    @route("POST", ISSUE + r"/comments")
    def create_comment(self, request: Request) -> Response:
        repo, issue = self._issue(request)
        text = request.json().get("body")
        if not isinstance(text, str) or not text:
            raise self._invalid("IssueComment", "body")
        comment = {
            "id": next(self.ids),
            "body": text,
            "author": self.bot["login"].lower(),
            "author_association": "NONE",
            "created_at": body.now_iso(),
        }
        issue["comments"].append(comment)
        issue["updated_at"] = comment["created_at"]
        out = body.issue_comment(repo["name"], issue["number"], comment, self.bot)
        return Response(201, out, {"Location": out["url"]})

    @route("GET", ISSUE + r"/labels")
    def list_labels(self, request: Request) -> Response:
        repo, issue = self._issue(request)
        return self._paged(request, [body.label(repo["name"], repo["labels"][x]) for x in issue["labels"]])

    @route("POST", ISSUE + r"/labels")
    def add_labels(self, request: Request) -> Response:
        repo, issue = self._issue(request)
        data = request.body()
        names = data.get("labels") if isinstance(data, dict) else data
        if not isinstance(names, list) or not names:
            raise self._invalid("Label", "labels")
        self._label_issue(repo, issue, [x if isinstance(x, str) else str(x.get("name", "")) for x in names])
        return Response(200, [body.label(repo["name"], repo["labels"][x]) for x in issue["labels"]])

    @route("DELETE", ISSUE + r"/labels/(?P<name>[^/]+)")
    def remove_label(self, request: Request) -> Response:
        repo, issue = self._issue(request)
        key = unquote(request.params["name"]).lower()
        if key not in issue["labels"]:
            raise Reply(Response(404, body.error_body(404, "Label does not exist")))
        issue["labels"].remove(key)
        return Response(200, [body.label(repo["name"], repo["labels"][x]) for x in issue["labels"]])

    # --- organisation membership ------------------------------------------------------------------
    @route("GET", r"/orgs/(?P<org>[^/]+)/members")
    def list_members(self, request: Request) -> Response:
        self._org(request)
        wanted = request.arg("filter", "all")
        if wanted not in ("all", "2fa_disabled", "2fa_insecure"):
            raise self._invalid("Organization", "filter", "invalid")
        role = request.arg("role", "all")
        if role not in ("all", "admin", "member"):
            raise self._invalid("Organization", "role", "invalid")
        keys = [
            k
            for k, m in self.members.items()
            if m["state"] == "active"
            and (wanted == "all" or not m["two_factor"])
            and role in ("all", m.get("role", "member"))
        ]
        return self._paged(request, [self._user_body(k) for k in sorted(keys, key=lambda k: self.users[k]["id"])])

    @route("GET", r"/orgs/(?P<org>[^/]+)/memberships/(?P<username>[^/]+)")
    def get_membership(self, request: Request) -> Response:
        self._org(request)
        user = self._user(request.params["username"])
        member = self.members.get(user["login"].lower())
        if member is None:
            raise self._not_found()
        return Response(200, body.org_membership(self.org, self.org_id, user, member))

    @route("PUT", r"/orgs/(?P<org>[^/]+)/memberships/(?P<username>[^/]+)")
    def set_membership(self, request: Request) -> Response:
        self._org(request)
        user = self._user(request.params["username"])
        role = request.json().get("role", "member")
        if role not in ("admin", "member"):
            raise self._invalid("Membership", "role", "invalid")
        member = self._invite(user)
        member["role"] = role
        return Response(200, body.org_membership(self.org, self.org_id, user, member))

    def _invite(self, user: dict[str, Any]) -> dict[str, Any]:
        key = user["login"].lower()
        if key not in self.members:
            self.members[key] = {"state": "pending", "role": "member", "two_factor": True}
            self.invitations[key] = {
                "id": next(self.ids),
                "login": user["login"],
                "created_at": body.now_iso(),
                "team_count": 0,
            }
        member: dict[str, Any] = self.members[key]
        return member

    @route("DELETE", r"/orgs/(?P<org>[^/]+)/memberships/(?P<username>[^/]+)")
    def remove_membership(self, request: Request) -> Response:
        self._org(request)
        user = self._user(request.params["username"])
        if user["login"].lower() not in self.members:
            raise self._not_found()
        self._remove(user["login"].lower())
        return Response(204)

    @route("DELETE", r"/orgs/(?P<org>[^/]+)/members/(?P<username>[^/]+)")
    def remove_member(self, request: Request) -> Response:
        self._org(request)
        user = self._user(request.params["username"])
        member = self.members.get(user["login"].lower())
        if member is not None and member["state"] == "active":  # this one leaves invitations alone
            self._remove(user["login"].lower())
        return Response(204)

    def _remove(self, key: str) -> None:
        self.members.pop(key, None)
        self.invitations.pop(key, None)
        for team in self.teams.values():
            team["members"].pop(key, None)

    @route("GET", r"/orgs/(?P<org>[^/]+)/outside_collaborators")
    def list_outside_collaborators(self, request: Request) -> Response:
        self._org(request)
        keys = sorted(self.outside_collaborators, key=lambda k: self.users[k]["id"])
        return self._paged(request, [self._user_body(k) for k in keys])

    @route("DELETE", r"/orgs/(?P<org>[^/]+)/outside_collaborators/(?P<username>[^/]+)")
    def remove_outside_collaborator(self, request: Request) -> Response:
        self._org(request)
        user = self._user(request.params["username"])
        self.outside_collaborators.discard(user["login"].lower())
        return Response(204)

    @route("GET", r"/orgs/(?P<org>[^/]+)/invitations")
    def list_invitations(self, request: Request) -> Response:
        self._org(request)
        items = [body.invitation(self.org_id, i, self.bot) for i in self.invitations.values()]
        return self._paged(request, items)

    # --- teams --------------------------------------------------------------------------------------
    @route("GET", r"/orgs/(?P<org>[^/]+)/teams")
    def list_teams(self, request: Request) -> Response:
        self._org(request)
        items = [body.team_simple(self.org_id, t) for t in sorted(self.teams.values(), key=lambda t: t["id"])]
        return self._paged(request, items)

    @route("GET", TEAM)
    def get_team(self, request: Request) -> Response:
        return Response(200, body.team_full(self.org, self.org_id, self._team(request)))

    @route("GET", TEAM + r"/members")
    def list_team_members(self, request: Request) -> Response:
        team = self._team(request)
        role = request.arg("role", "all")
        keys = [k for k, m in team["members"].items() if m["state"] == "active" and role in ("all", m["role"])]
        return self._paged(request, [self._user_body(k) for k in keys])

    def _team_membership(self, team: dict[str, Any], key: str) -> Response:
        member = team["members"][key]
        url = f"{body.API}/organizations/{self.org_id}/team/{team['id']}/memberships/{self.users[key]['login']}"
        return Response(200, {"url": url, "role": member["role"], "state": member["state"]})

    @route("GET", TEAM + r"/memberships/(?P<username>[^/]+)")
    def get_team_membership(self, request: Request) -> Response:
        team = self._team(request)
        key = self._user(request.params["username"])["login"].lower()
        if key not in team["members"]:
            raise self._not_found()
        return self._team_membership(team, key)

    @route("PUT", TEAM + r"/memberships/(?P<username>[^/]+)")
    def add_team_membership(self, request: Request) -> Response:
        team = self._team(request)
        user = self._user(request.params["username"])
        role = request.json().get("role", "member")
        if role not in ("member", "maintainer"):
            raise self._invalid("TeamMember", "role", "invalid")
        key = user["login"].lower()
        # Someone outside the organisation is invited to it; the team membership waits for them.
        org_member = self._invite(user)
        if key in self.invitations and key not in team["members"]:
            self.invitations[key]["team_count"] += 1
        state = "active" if org_member["state"] == "active" else "pending"
        team["members"][key] = {"role": role, "state": state}
        return self._team_membership(team, key)

    @route("DELETE", TEAM + r"/memberships/(?P<username>[^/]+)")
    def remove_team_membership(self, request: Request) -> Response:
        team = self._team(request)
        team["members"].pop(self._user(request.params["username"])["login"].lower(), None)
        return Response(204)

    # --- contents -----------------------------------------------------------------------------------
    @route("GET", OWNER_REPO + r"/contents/(?P<path>.+)")
    def get_content(self, request: Request) -> Response:
        repo = self._repo(request)
        path = unquote(request.params["path"]).strip("/")
        ref = request.arg("ref") or DEFAULT_BRANCH
        files = self._files(repo, ref)
        if path in files:
            return Response(200, body.content_file(repo["name"], path, files[path], ref))
        prefix = path + "/"
        children: dict[str, str | None] = {}
        for name, text in files.items():
            if name.startswith(prefix):
                head, sep, _ = name[len(prefix) :].partition("/")
                children[prefix + head] = None if sep else text
        if not children:
            raise self._not_found()
        items = [body.content_directory_item(repo["name"], p, t, ref) for p, t in sorted(children.items())]
        return Response(200, items)

    @route("PUT", OWNER_REPO + r"/contents/(?P<path>.+)")
    def put_content(self, request: Request) -> Response:
        repo = self._repo(request)
        path = unquote(request.params["path"]).strip("/")
        data = request.json()
        for field in ("message", "content"):
            if not isinstance(data.get(field), str):
                raise Reply(Response(422, body.error_body(422, f'Invalid request.\n\n"{field}" wasn\'t supplied.')))
        try:
            text = base64.b64decode(data["content"], validate=True).decode()
        except (binascii.Error, UnicodeDecodeError):
            raise Reply(Response(422, body.error_body(422, "content is not valid Base64"))) from None
        branch = data.get("branch") or DEFAULT_BRANCH
        if branch not in repo["branches"]:
            raise Reply(Response(404, body.error_body(404, f"Branch {branch} not found")))
        files = self._files(repo, branch)
        current = body.blob_sha(files[path]) if path in files else None
        if current is not None and not data.get("sha"):
            raise Reply(Response(422, body.error_body(422, 'Invalid request.\n\n"sha" wasn\'t supplied.')))
        if current is not None and data["sha"] != current:
            raise Reply(Response(409, body.error_body(409, f"{path} does not match {data['sha']}")))
        sha = self._commit(repo, branch, files | {path: text}, data["message"])
        out = body.file_commit(repo["name"], path, text, branch, repo["commits"][sha])
        return Response(200 if current else 201, out)

    # --- commits and packages ----------------------------------------------------------------------
    @route("GET", OWNER_REPO + r"/commits")
    def list_commits(self, request: Request) -> Response:
        """The commits reachable from `sha` (default branch), newest first; with `path`, only those
        that changed that file (as `git log -- path`)."""
        repo = self._repo(request)
        ref = request.arg("sha") or DEFAULT_BRANCH
        head = self._resolve(repo, ref)
        if head is None:
            raise self._not_found()
        path = (request.arg("path") or "").strip("/")
        found = []
        for sha in self._ancestors(repo, head):
            commit = repo["commits"][sha]
            parent = repo["commits"][commit["parent"]]["files"] if commit["parent"] else {}
            if path and commit["files"].get(path) == parent.get(path):
                continue
            found.append(body.commit(repo["name"], commit, self._author(repo, sha)))
        return self._paged(request, found)

    @route("GET", OWNER_REPO + r"/commits/(?P<ref>[^/]+)")
    def get_commit(self, request: Request) -> Response:
        repo = self._repo(request)
        ref = unquote(request.params["ref"])
        sha = self._resolve(repo, ref)
        if sha is None:
            raise Reply(Response(422, body.error_body(422, f"No commit found for SHA: {ref}")))
        return Response(200, body.commit(repo["name"], repo["commits"][sha], self._author(repo, sha)))

    @route("GET", OWNER_REPO + r"/compare/(?P<basehead>.+)")
    def compare(self, request: Request) -> Response:
        repo = self._repo(request)
        base_ref, sep, head_ref = unquote(request.params["basehead"]).partition("...")
        base, head = self._resolve(repo, base_ref), self._resolve(repo, head_ref)
        if not sep or base is None or head is None:
            raise self._not_found()
        base_line, head_line = self._ancestors(repo, base), self._ancestors(repo, head)
        merge_base = next((sha for sha in head_line if sha in set(base_line)), base_line[-1])
        ahead = [repo["commits"][sha] for sha in reversed(head_line[: head_line.index(merge_base)])]
        behind = base_line.index(merge_base) if merge_base in base_line else len(base_line)
        status = "identical" if base == head else "ahead" if not behind else "behind" if not ahead else "diverged"
        out = body.comparison(
            repo["name"],
            base=repo["commits"][base],
            merge_base=repo["commits"][merge_base],
            status=status,
            ahead=ahead,
            behind=behind,
            head_sha=head,
            authors={
                sha: user for sha in (base, merge_base, *(c["sha"] for c in ahead)) if (user := self._author(repo, sha))
            },
        )
        return Response(200, out)

    @route("GET", r"/orgs/(?P<org>[^/]+)/packages/(?P<package_type>[^/]+)/(?P<package_name>[^/]+)/versions")
    def list_package_versions(self, request: Request) -> Response:
        self._org(request)
        name = unquote(request.params["package_name"])
        package = self.packages.get(name.lower())
        if package is None or request.params["package_type"] != "container":
            raise Reply(Response(404, body.error_body(404, "Package not found.")))
        items = [body.package_version(self.org, package["name"], v) for v in package["versions"]]
        return self._paged(request, items)

    # --- deployments --------------------------------------------------------------------------------
    @route("GET", OWNER_REPO + r"/deployments")
    def list_deployments(self, request: Request) -> Response:
        repo = self._repo(request)
        wanted = {k: request.arg(k) for k in ("sha", "ref", "task", "environment") if request.arg(k)}
        items = [
            body.deployment(repo["name"], d, self.bot)
            for d in reversed(repo["deployments"].values())
            if all(d[k] == v for k, v in wanted.items())
        ]
        return self._paged(request, items)

    @route("POST", OWNER_REPO + r"/deployments")
    def create_deployment(self, request: Request) -> Response:
        repo = self._repo(request)
        data = request.json()
        ref = data.get("ref")
        if not isinstance(ref, str) or not ref:
            raise self._invalid("Deployment", "ref")
        environment = data.get("environment") or "production"
        sha = repo["branches"].get(ref) or (ref if re.fullmatch(r"[0-9a-f]{40}", ref) else body.commit_sha(ref))
        stamp = body.now_iso()
        item = {
            "id": next(self.ids),
            "sha": sha,
            "ref": ref,
            "task": data.get("task") or "deploy",
            "payload": data.get("payload", {}),
            "environment": environment,
            "description": data.get("description", ""),
            "transient_environment": bool(data.get("transient_environment", False)),
            "production_environment": bool(data.get("production_environment", environment == "production")),
            "created_at": stamp,
            "updated_at": stamp,
            "statuses": [],
        }
        repo["deployments"][item["id"]] = item
        return Response(201, body.deployment(repo["name"], item, self.bot))

    def _deployment(self, request: Request) -> tuple[dict[str, Any], dict[str, Any]]:
        repo = self._repo(request)
        item = repo["deployments"].get(int(request.params["deployment_id"]))
        if item is None:
            raise self._not_found()
        return repo, item

    @route("GET", OWNER_REPO + r"/deployments/(?P<deployment_id>\d+)")
    def get_deployment(self, request: Request) -> Response:
        repo, item = self._deployment(request)
        return Response(200, body.deployment(repo["name"], item, self.bot))

    @route("GET", OWNER_REPO + r"/deployments/(?P<deployment_id>\d+)/statuses")
    def list_deployment_statuses(self, request: Request) -> Response:
        repo, item = self._deployment(request)
        items = [body.deployment_status(repo["name"], s, self.bot) for s in reversed(item["statuses"])]
        return self._paged(request, items)

    @route("POST", OWNER_REPO + r"/deployments/(?P<deployment_id>\d+)/statuses")
    def create_deployment_status(self, request: Request) -> Response:
        repo, item = self._deployment(request)
        data = request.json()
        if data.get("state") not in _DEPLOYMENT_STATES:
            raise self._invalid("DeploymentStatus", "state", "custom", "state is not included in the list")
        previous = item["statuses"][-1]["environment"] if item["statuses"] else item["environment"]
        status = {
            "id": next(self.ids),
            "deployment_id": item["id"],
            "state": data["state"],
            "description": data.get("description", ""),
            "environment": data.get("environment") or previous,
            "environment_url": data.get("environment_url", ""),
            "log_url": data.get("log_url") or data.get("target_url", ""),
            "created_at": body.now_iso(),
        }
        item["statuses"].append(status)
        item["updated_at"] = status["created_at"]
        out = body.deployment_status(repo["name"], status, self.bot)
        return Response(201, out, {"Location": out["url"]})

    # --- webhook deliveries ---------------------------------------------------------------------------
    def _hook(self, request: Request) -> dict[str, Any]:
        hook = self.hooks.get(int(request.params["hook_id"]))
        if request.params.get("org"):
            scope = ("org", request.params["org"].lower())
        else:
            scope = ("repo", f"{request.params['owner']}/{request.params['repo']}".lower())
        if hook is None or hook["scope"] != scope:
            raise self._not_found()
        return hook

    @route("GET", HOOK + r"/deliveries")
    def list_deliveries(self, request: Request) -> Response:
        hook = self._hook(request)
        size = max(1, min(request.int_arg("per_page", 30), 100))
        cursor = request.arg("cursor")
        wanted = request.arg("status")
        items = sorted(hook["deliveries"], key=lambda d: d["id"], reverse=True)  # newest first, as GitHub
        if cursor:
            if not re.fullmatch(r"v1_\d+", cursor):
                raise Reply(Response(400, body.error_body(400, "Invalid cursor")))
            items = [d for d in items if d["id"] < int(cursor[3:])]
        if wanted:
            items = [d for d in items if _delivered(d) == (wanted == "success")]
        chunk = items[:size]
        headers = body.cursor_link(request, f"v1_{chunk[-1]['id']}") if len(items) > size else {}
        return Response(200, [body.hook_delivery(d) for d in chunk], headers)

    def _delivery(self, request: Request) -> tuple[dict[str, Any], dict[str, Any]]:
        hook = self._hook(request)
        item = next((d for d in hook["deliveries"] if d["id"] == int(request.params["delivery_id"])), None)
        if item is None:
            raise self._not_found()
        return hook, item

    @route("GET", HOOK + r"/deliveries/(?P<delivery_id>\d+)")
    def get_delivery(self, request: Request) -> Response:
        _, item = self._delivery(request)
        headers = {"X-GitHub-Event": item["event"], "X-GitHub-Delivery": item["guid"]}
        details = {
            "request": {"headers": headers, "payload": {"action": item["action"]} if item["action"] else {}},
            "response": {"headers": {}, "payload": None},
            "url": "https://platform.example.com/github/webhook",
        }
        return Response(200, body.hook_delivery(item) | details)

    @route("POST", HOOK + r"/deliveries/(?P<delivery_id>\d+)/attempts")
    def redeliver(self, request: Request) -> Response:
        hook, original = self._delivery(request)
        self.add_delivery(
            hook["id"],
            event=original["event"],
            action=original["action"],
            status_code=self.redelivery_status_code,
            guid=original["guid"],
            redelivery=True,
        )
        return Response(202, {})

    @route("POST", HOOK + r"/pings")
    def ping_hook(self, request: Request) -> Response:
        """A `ping` event, signed with the hook's secret, delivered at once and listed with the
        hook's deliveries (with the status the endpoint answered)."""
        hook = self._hook(request)
        guid, status = ping(hook, self.deliver_to)
        self.add_delivery(hook["id"], event="ping", action=None, status_code=status, guid=guid)
        return Response(204)

    # --- webhook config and Actions secrets --------------------------------------------------------------
    def hook_secret(self, hook_id: int = ORG_HOOK_ID) -> str:
        """What GitHub signs this hook's deliveries with now (a test plays GitHub with it)."""
        with self.lock:
            return str(self.hooks[hook_id]["config"]["secret"])

    @route("GET", HOOK + r"/config")
    def get_hook_config(self, request: Request) -> Response:
        config = self._hook(request)["config"]
        return Response(200, {**config, "secret": "********" if config.get("secret") else None})

    @route("PATCH", HOOK + r"/config")
    def update_hook_config(self, request: Request) -> Response:
        hook = self._hook(request)
        body = request.json()
        unknown = sorted(set(body) - {"url", "content_type", "secret", "insecure_ssl"})
        if unknown:
            raise self._invalid("HookConfig", unknown[0], "invalid")
        hook["config"] = {**hook["config"], **body}
        return Response(200, {**hook["config"], "secret": "********" if hook["config"].get("secret") else None})

    def _secrets_owner(self, request: Request) -> tuple[str, str]:
        if request.params.get("org"):
            self._org(request)
            return ("org", request.params["org"].lower())
        self._repo(request)
        return ("repo", f"{request.params['owner']}/{request.params['repo']}".lower())

    def _box_key(self) -> Any:
        from nacl.public import PrivateKey

        with self.lock:
            if getattr(self, "_actions_key", None) is None:
                self._actions_key = PrivateKey.generate()
            return self._actions_key

    @route("GET", ACTIONS_SECRETS + r"/public-key")
    def get_actions_public_key(self, request: Request) -> Response:
        self._secrets_owner(request)
        key = self._box_key().public_key
        return Response(200, {"key_id": ACTIONS_KEY_ID, "key": base64.b64encode(bytes(key)).decode()})

    @route("GET", ACTIONS_SECRETS + r"/(?P<name>[A-Za-z_][A-Za-z0-9_]*)")
    def get_actions_secret(self, request: Request) -> Response:
        item = self.actions_secrets.get(self._secrets_owner(request), {}).get(request.params["name"].upper())
        if item is None:
            raise self._not_found()
        out = {
            "name": request.params["name"].upper(),
            "created_at": item["created_at"],
            "updated_at": item["updated_at"],
        }
        return Response(200, out)

    @route("PUT", ACTIONS_SECRETS + r"/(?P<name>[A-Za-z_][A-Za-z0-9_]*)")
    def put_actions_secret(self, request: Request) -> Response:
        from nacl.exceptions import CryptoError
        from nacl.public import SealedBox

        owner = self._secrets_owner(request)
        body = request.json()
        if body.get("key_id") != ACTIONS_KEY_ID:
            raise self._invalid("Secret", "key_id", "invalid", "key_id does not match the current public key")
        try:
            value = (
                SealedBox(self._box_key()).decrypt(base64.b64decode(str(body.get("encrypted_value") or ""))).decode()
            )
        except (CryptoError, binascii.Error, ValueError):
            raise self._invalid("Secret", "encrypted_value", "invalid", "not sealed with the public key") from None
        name = request.params["name"].upper()
        secrets_of = self.actions_secrets.setdefault(owner, {})
        created = name not in secrets_of
        stamp = body_now()
        previous = secrets_of.get(name, {})
        secrets_of[name] = {"value": value, "created_at": previous.get("created_at", stamp), "updated_at": stamp}
        return Response(201 if created else 204, {} if created else None)

    def actions_secret(self, name: str, repo: str | None = None) -> str | None:
        """The decrypted value a workflow run would see (tests check what CI now holds)."""
        owner = ("repo", repo.lower()) if repo else ("org", self.org.lower())
        with self.lock:
            item = self.actions_secrets.get(owner, {}).get(name.upper())
            return None if item is None else str(item["value"])

    # --- GitHub App -----------------------------------------------------------------------------------
    @route("POST", r"/app/installations/(?P<installation_id>\d+)/access_tokens")
    def create_installation_token(self, request: Request) -> Response:
        if int(request.params["installation_id"]) != credentials.GITHUB_INSTALLATION_ID:
            raise self._not_found()
        token = "ghs_" + uuid.uuid4().hex + uuid.uuid4().hex[:4]
        expires = time.time() + TOKEN_LIFETIME_S
        self.issued_tokens[token] = expires
        out = {
            "token": token,
            "expires_at": datetime.fromtimestamp(expires, UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
            "permissions": {
                "issues": "write",
                "contents": "write",
                "deployments": "write",
                "members": "write",
                "organization_hooks": "write",
            },
            "repository_selection": "all",
        }
        return Response(201, out)


def _hook_config(secret: str) -> dict[str, Any]:
    return {
        "url": "https://platform.example.com/github/webhook",
        "content_type": "json",
        "insecure_ssl": "0",
        "secret": secret,
    }


def body_now() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _delivered(delivery: dict[str, Any]) -> bool:
    return 200 <= int(delivery["status_code"]) < 300


def _delivery_status(status_code: int) -> str:
    if status_code == 0:
        return "timed out"
    if 200 <= status_code < 300:
        return "OK"
    return f"Invalid HTTP Response: {status_code}"
