"""GitHub: issues, users, org membership and invitations, teams, repository contents, commits and
comparisons, container package versions, deployments and webhook deliveries, over GitHub's REST
API (version 2022-11-28).

Client: httpx through the shared RestClient, not an SDK. PyGithub takes 0.88 s to import here
and githubkit fails to import beside hishel 2.0, while RestClient (0.17 s) already gives the one
retry policy, the VendorError mapping and `Link` pagination; the few endpoints we use are plain
JSON, so a typed layer of our own is smaller than either SDK.

Auth: a GitHub App (preferred) signs an RS256 JWT (PyJWT) and exchanges it for an installation
token, cached per process until five minutes before it expires (warm Lambda invocations reuse
it; a 401 drops it and asks once more); or a plain token.

Rate limits: GitHub answers both its primary limit (`X-RateLimit-Remaining: 0`) and its secondary
limits with 403 as well as 429. Those 403s are retried like a 429, waiting as long as
`Retry-After` or `X-RateLimit-Reset` says (one minute when neither is sent, as GitHub asks); when
that wait does not fit the retry budget the caller gets a TransientVendorError (still status 403)
and the state machine's own Retry waits instead. Any other 403 is a real refusal and is raised
at once.
"""

from __future__ import annotations

import base64
import functools
import threading
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any, Literal, NamedTuple
from urllib.parse import quote

from functions.adapters import redaction
from functions.adapters.endpoints import base_url as vendor_url
from functions.adapters.errors import VendorError
from functions.adapters.rest import RestClient
from functions.adapters.retry import DEFAULT_POLICY, RetryPolicy

if TYPE_CHECKING:
    import httpx

    from functions.core.config import PlatformConfig

VENDOR = "github"
API_VERSION = "2022-11-28"
REQUEST_ID_HEADER = "X-GitHub-Request-Id"
TOKEN_REFRESH_MARGIN_S = 300.0
SECONDARY_LIMIT_WAIT_S = 60.0  # GitHub: "wait at least one minute" when it names no time
JWT_LIFETIME_S = 540  # GitHub refuses App JWTs valid for more than ten minutes
JWT_BACKDATE_S = 60  # GitHub's advice against clock drift

DeploymentState = Literal["error", "failure", "inactive", "in_progress", "queued", "pending", "success"]
MemberFilter = Literal["all", "2fa_disabled", "2fa_insecure"]


# The org's SAML identities, a page at a time (GitHub's GraphQL caps `first` at 100).
_SAML_IDENTITIES = """
query($org: String!, $first: Int!, $after: String) {
  organization(login: $org) {
    samlIdentityProvider {
      externalIdentities(first: $first, after: $after) {
        pageInfo { hasNextPage endCursor }
        nodes { samlIdentity { nameId } user { login } }
      }
    }
  }
}
"""


# --- credentials --------------------------------------------------------------------------------
@dataclass(frozen=True)
class TokenAuth:
    token: str = field(repr=False)


@dataclass(frozen=True)
class AppAuth:
    app_id: int
    private_key: str = field(repr=False)
    installation_id: int


Auth = TokenAuth | AppAuth


# --- results ------------------------------------------------------------------------------------
@dataclass(frozen=True)
class GitHubUser:
    login: str
    id: int
    type: str = "User"
    name: str | None = None
    email: str | None = None  # the public email, when the person shows one


@dataclass(frozen=True)
class Issue:
    repo: str
    number: int
    title: str
    body: str | None
    state: str
    state_reason: str | None
    labels: tuple[str, ...]
    author: str | None
    html_url: str


@dataclass(frozen=True)
class IssueComment:
    id: int
    body: str
    author: str | None
    html_url: str
    created_at: datetime


@dataclass(frozen=True)
class OrgMembership:
    org: str
    login: str
    state: str  # "active" or "pending" (invited, not yet accepted)
    role: str


@dataclass(frozen=True)
class Invitation:
    id: int
    login: str | None
    email: str | None
    role: str
    created_at: str


@dataclass(frozen=True)
class Team:
    id: int
    slug: str
    name: str
    members_count: int | None


@dataclass(frozen=True)
class TeamMembership:
    org: str
    team_slug: str
    login: str
    state: str
    role: str


class RepoFile(NamedTuple):
    """A file's text and blob sha (the sha `update_file` needs to replace it)."""

    text: str
    sha: str


@dataclass(frozen=True)
class Deployment:
    id: int
    repo: str
    ref: str
    sha: str
    environment: str
    task: str
    description: str | None
    payload: Mapping[str, Any] | str
    created_at: datetime


@dataclass(frozen=True)
class DeploymentStatus:
    id: int
    deployment_id: int
    state: str
    environment: str | None
    environment_url: str | None
    log_url: str | None
    description: str | None


@dataclass(frozen=True)
class Commit:
    sha: str
    message: str
    author: str | None  # the GitHub login, when the commit's email belongs to an account
    html_url: str
    committed_at: datetime | None = None

    @property
    def title(self) -> str:
        return self.message.split("\n", 1)[0]


@dataclass(frozen=True)
class Comparison:
    """`base...head`: `status` is "ahead" (head has commits base lacks), "behind", "identical" or
    "diverged"; `commits` are head's commits since their merge base, oldest first (GitHub lists
    at most 250)."""

    status: str
    ahead_by: int
    behind_by: int
    commits: tuple[Commit, ...]
    html_url: str


@dataclass(frozen=True)
class PackageVersion:
    id: int
    name: str  # a container image's digest
    tags: tuple[str, ...]
    created_at: datetime


@dataclass(frozen=True)
class HookDelivery:
    id: int
    guid: str  # the same for a delivery and all its redeliveries
    delivered_at: datetime
    redelivery: bool
    status: str
    status_code: int  # 0 when GitHub got no answer at all
    event: str
    action: str | None

    @property
    def succeeded(self) -> bool:
        return 200 <= self.status_code < 300


@dataclass(frozen=True)
class Webhook:
    """A webhook on a repository ("owner/name") or on an organisation."""

    hook_id: int
    repo: str | None = None
    org: str | None = None

    def __post_init__(self) -> None:
        if (self.repo is None) == (self.org is None):
            raise ValueError("a webhook belongs to exactly one of a repo or an org")

    @property
    def path(self) -> str:
        owner = _repo_path(self.repo) if self.repo else f"/orgs/{_seg(self.org or '')}"
        return f"{owner}/hooks/{self.hook_id}"


# --- the client ---------------------------------------------------------------------------------
class _RateLimitedError(VendorError):
    """A 403 that is really GitHub's rate limit: worth waiting for, unlike other 403s."""

    @property
    def retryable(self) -> bool:
        return True


class _GitHubRest(RestClient):
    def error(self, operation: str, response: httpx.Response) -> VendorError:
        error = super().error(operation, response)
        if response.status_code == 403 and _rate_limited(response, error.detail):
            wait = error.retry_after_s if error.retry_after_s is not None else SECONDARY_LIMIT_WAIT_S
            return _RateLimitedError(VENDOR, operation, 403, error.detail, error.request_id, retry_after_s=wait)
        if response.status_code == 429 and error.retry_after_s is None:
            error.retry_after_s = SECONDARY_LIMIT_WAIT_S
        return error


def _rate_limited(response: httpx.Response, message: str) -> bool:
    headers = response.headers
    return "retry-after" in headers or headers.get("x-ratelimit-remaining") == "0" or "rate limit" in message.lower()


class _Token(NamedTuple):
    value: str
    expires_at: float


# Installation tokens by (API URL, app, installation): one exchange per hour per warm container.
_tokens: dict[tuple[str, int, int], _Token] = {}
_tokens_lock = threading.Lock()


class GitHub:
    def __init__(
        self,
        base_url: str,
        auth: Auth,
        *,
        policy: RetryPolicy = DEFAULT_POLICY,
        page_size: int = 100,
        clock: Callable[[], float] = time.time,
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        """`clock` decides when a cached installation token is due for renewal (tests move it);
        `page_size` is the `per_page` asked of list endpoints (GitHub's maximum is 100)."""
        self.auth = auth
        self.page_size = page_size
        self._clock = clock
        self._base_url = base_url.rstrip("/")
        self._rest = _GitHubRest(
            VENDOR,
            self._base_url,
            self._headers,
            request_id_header=REQUEST_ID_HEADER,
            policy=policy,
            transport=transport,
            on_unauthorized=self._forget_token,  # a revoked or rotated installation token: mint a new one, once
        )
        self._transport = transport
        self._token_rest: _GitHubRest | None = None  # made on first exchange: an httpx client costs 0.1 s

    @classmethod
    def from_config(cls, config: PlatformConfig, *, policy: RetryPolicy = DEFAULT_POLICY) -> GitHub:
        from functions.adapters.secrets import get_secret

        secret = get_secret(config.github.secret_name, VENDOR)
        auth: Auth
        if config.github.app_id and secret.get("app_private_key") and secret.get("installation_id"):
            auth = AppAuth(config.github.app_id, str(secret["app_private_key"]), int(secret["installation_id"]))
        elif secret.get("token"):
            auth = TokenAuth(str(secret["token"]))
        else:
            raise VendorError(
                VENDOR,
                "read credentials",
                None,
                f"secret {config.github.secret_name!r} holds neither app_private_key + installation_id "
                "(with github.app_id configured) nor token",
            )
        return cls(vendor_url(VENDOR), auth, policy=policy)

    def close(self) -> None:
        self._rest.close()
        if self._token_rest is not None:
            self._token_rest.close()

    # --- auth -----------------------------------------------------------------------------------
    def _headers(self) -> dict[str, str]:
        token = self.auth.token if isinstance(self.auth, TokenAuth) else self._installation_token()
        return _base_headers() | {"Authorization": f"Bearer {token}"}

    def _app_headers(self) -> dict[str, str]:
        return _base_headers() | {"Authorization": f"Bearer {self._app_jwt()}"}

    def _app_jwt(self) -> str:
        import jwt

        if not isinstance(self.auth, AppAuth):
            raise TypeError("an App JWT needs AppAuth")
        now = int(time.time())  # GitHub checks it against its own clock, never a test's
        claims = {"iat": now - JWT_BACKDATE_S, "exp": now + JWT_LIFETIME_S, "iss": str(self.auth.app_id)}
        return jwt.encode(claims, _signing_key(self.auth.private_key), algorithm="RS256")

    def _token_key(self) -> tuple[str, int, int]:
        if not isinstance(self.auth, AppAuth):
            raise TypeError("installation tokens need AppAuth")
        return (self._base_url, self.auth.app_id, self.auth.installation_id)

    def _installation_token(self) -> str:
        key = self._token_key()
        with _tokens_lock:
            cached = _tokens.get(key)
        if cached and cached.expires_at - TOKEN_REFRESH_MARGIN_S > self._clock():
            return cached.value
        if self._token_rest is None:
            # One attempt: the exchange runs inside an API call's attempt, whose policy retries it.
            self._token_rest = _GitHubRest(
                VENDOR,
                self._base_url,
                self._app_headers,
                request_id_header=REQUEST_ID_HEADER,
                policy=RetryPolicy(max_attempts=1),
                transport=self._transport,
            )
        path = f"/app/installations/{key[2]}/access_tokens"
        data = self._token_rest.json("create installation token", "POST", path)
        token = _Token(str(data["token"]), _parse_time(data["expires_at"]).timestamp())
        redaction.register(token.value)
        with _tokens_lock:
            _tokens[key] = token
        return token.value

    def _forget_token(self) -> bool:
        if not isinstance(self.auth, AppAuth):
            return False
        with _tokens_lock:
            return _tokens.pop(self._token_key(), None) is not None

    def _pages(self, operation: str, path: str, params: Mapping[str, Any] | None = None) -> Iterator[Any]:
        return self._rest.paginate(operation, path, params, page_size=self.page_size)

    # --- issues ---------------------------------------------------------------------------------
    def get_issue(self, repo: str, number: int) -> Issue:
        return _issue(repo, self._rest.json("get issue", "GET", f"{_repo_path(repo)}/issues/{number}"))

    def comment_on_issue(self, repo: str, number: int, body: str) -> IssueComment:
        path = f"{_repo_path(repo)}/issues/{number}/comments"
        return _comment(self._rest.json("comment on issue", "POST", path, json={"body": body}))

    def list_issue_comments(self, repo: str, number: int) -> list[IssueComment]:
        path = f"{_repo_path(repo)}/issues/{number}/comments"
        return [_comment(c) for c in self._pages("list issue comments", path)]

    def find_comment(self, repo: str, number: int, marker: str) -> IssueComment | None:
        """The first comment containing `marker` (a hidden `<!-- id -->`): look before commenting."""
        return next((c for c in self.list_issue_comments(repo, number) if marker in c.body), None)

    def add_labels(self, repo: str, number: int, labels: Sequence[str]) -> tuple[str, ...]:
        """Adds to the issue's labels (GitHub creates unknown ones); returns all labels now on it."""
        path = f"{_repo_path(repo)}/issues/{number}/labels"
        data = self._rest.json("add labels", "POST", path, json={"labels": list(labels)})
        return tuple(str(x["name"]) for x in data)

    def remove_label(self, repo: str, number: int, label: str) -> bool:
        """False when the issue did not carry the label (nothing to do)."""
        path = f"{_repo_path(repo)}/issues/{number}/labels/{_seg(label)}"
        response = self._rest.request("remove label", "DELETE", path, ok=(404,))
        if response.status_code == 404:
            if "label does not exist" in response.text.lower():
                return False
            raise self._rest.error("remove label", response)
        return True

    def close_issue(
        self, repo: str, number: int, state_reason: Literal["completed", "not_planned", "duplicate"] = "completed"
    ) -> Issue:
        path = f"{_repo_path(repo)}/issues/{number}"
        data = self._rest.json("close issue", "PATCH", path, json={"state": "closed", "state_reason": state_reason})
        return _issue(repo, data)

    # --- users and org membership -------------------------------------------------------------------
    def get_user(self, username: str) -> GitHubUser | None:
        """The github.com account, or None when no such login exists."""
        response = self._rest.request("get user", "GET", f"/users/{_seg(username)}", ok=(404,))
        return None if response.status_code == 404 else _user(response.json())

    def get_membership(self, org: str, username: str) -> OrgMembership | None:
        """None when the person is neither a member nor invited."""
        path = f"/orgs/{_seg(org)}/memberships/{_seg(username)}"
        response = self._rest.request("get org membership", "GET", path, ok=(404,))
        return None if response.status_code == 404 else _membership(org, response.json())

    def set_membership(self, org: str, username: str, role: Literal["member", "admin"] = "member") -> OrgMembership:
        """Invites someone outside the org (state "pending" until they accept); idempotent for members."""
        path = f"/orgs/{_seg(org)}/memberships/{_seg(username)}"
        return _membership(org, self._rest.json("set org membership", "PUT", path, json={"role": role}))

    def remove_member(self, org: str, username: str) -> bool:
        """Removes a member or cancels their pending invitation; False when they were neither.

        DELETE /orgs/{org}/memberships/{username} rather than /members/{username}: the latter only
        removes active members, so an offboarding between invitation and acceptance would leave an
        invitation someone could still accept."""
        path = f"/orgs/{_seg(org)}/memberships/{_seg(username)}"
        response = self._rest.request("remove org member", "DELETE", path, ok=(404,))
        return response.status_code != 404

    def list_members(self, org: str, filter: MemberFilter = "all") -> list[GitHubUser]:
        """Active members; `filter="2fa_disabled"` only those without two-factor authentication."""
        members = self._pages("list org members", f"/orgs/{_seg(org)}/members", {"filter": filter})
        return [_user(m) for m in members]

    def list_admins(self, org: str) -> list[GitHubUser]:
        """The org's owners (`role=admin`)."""
        return [_user(m) for m in self._pages("list org owners", f"/orgs/{_seg(org)}/members", {"role": "admin"})]

    def list_outside_collaborators(self, org: str) -> list[GitHubUser]:
        """People with access to one of the org's repositories who are not members."""
        return [_user(m) for m in self._pages("list outside collaborators", f"/orgs/{_seg(org)}/outside_collaborators")]

    def remove_outside_collaborator(self, org: str, username: str) -> bool:
        """Removes them from every repository of the org; False when they were not one."""
        path = f"/orgs/{_seg(org)}/outside_collaborators/{_seg(username)}"
        return self._rest.request("remove outside collaborator", "DELETE", path, ok=(404,)).status_code != 404

    def list_invitations(self, org: str) -> list[Invitation]:
        return [
            Invitation(
                id=int(i["id"]),
                login=i.get("login"),
                email=i.get("email"),
                role=str(i.get("role", "")),
                created_at=str(i.get("created_at", "")),
            )
            for i in self._pages("list invitations", f"/orgs/{_seg(org)}/invitations")
        ]

    def saml_identities(self, org: str) -> dict[str, str]:
        """Login (lower case) -> SAML NameID (lower case) of every member the org's SAML SSO links,
        from GraphQL (REST has no such list); {} when the org does not use SAML SSO. Only an org
        owner's token (or an App with the org's `members` read permission) may see them."""
        linked: dict[str, str] = {}
        after: str | None = None
        while True:
            variables = {"org": org, "first": self.page_size, "after": after}
            body = {"query": _SAML_IDENTITIES, "variables": variables}
            data = self._rest.json("list SAML identities", "POST", "/graphql", json=body)
            if data.get("errors"):
                detail = "; ".join(str(e.get("message", e)) for e in data["errors"])
                raise VendorError(VENDOR, "list SAML identities", 200, detail)
            provider = ((data.get("data") or {}).get("organization") or {}).get("samlIdentityProvider")
            if provider is None:
                return linked
            identities = provider["externalIdentities"]
            for node in identities["nodes"]:
                name_id = (node.get("samlIdentity") or {}).get("nameId")
                login = (node.get("user") or {}).get("login")
                if name_id and login:  # an identity not linked to a GitHub user yet has no login
                    linked[str(login).lower()] = str(name_id).strip().lower()
            if not identities["pageInfo"]["hasNextPage"]:
                return linked
            after = identities["pageInfo"]["endCursor"]

    # --- teams ----------------------------------------------------------------------------------------
    def get_team(self, org: str, team_slug: str) -> Team | None:
        response = self._rest.request("get team", "GET", f"/orgs/{_seg(org)}/teams/{_seg(team_slug)}", ok=(404,))
        if response.status_code == 404:
            return None
        data = response.json()
        return Team(int(data["id"]), str(data["slug"]), str(data["name"]), data.get("members_count"))

    def get_team_membership(self, org: str, team_slug: str, username: str) -> TeamMembership | None:
        path = f"/orgs/{_seg(org)}/teams/{_seg(team_slug)}/memberships/{_seg(username)}"
        response = self._rest.request("get team membership", "GET", path, ok=(404,))
        if response.status_code == 404:
            return None
        return _team_membership(org, team_slug, username, response.json())

    def add_team_member(
        self, org: str, team_slug: str, username: str, role: Literal["member", "maintainer"] = "member"
    ) -> TeamMembership:
        """Someone not yet in the org is invited to it; their team membership stays "pending" until then."""
        path = f"/orgs/{_seg(org)}/teams/{_seg(team_slug)}/memberships/{_seg(username)}"
        data = self._rest.json("add team member", "PUT", path, json={"role": role})
        return _team_membership(org, team_slug, username, data)

    def remove_team_member(self, org: str, team_slug: str, username: str) -> None:
        """Idempotent: a person already off the team (404) is what we wanted."""
        path = f"/orgs/{_seg(org)}/teams/{_seg(team_slug)}/memberships/{_seg(username)}"
        self._rest.request("remove team member", "DELETE", path, ok=(404,))

    def list_team_members(self, org: str, team_slug: str) -> list[GitHubUser]:
        path = f"/orgs/{_seg(org)}/teams/{_seg(team_slug)}/members"
        return [_user(m) for m in self._pages("list team members", path)]

    # --- contents -------------------------------------------------------------------------------------
    def get_file(self, repo: str, path: str, ref: str | None = None) -> RepoFile | None:
        """A text file's content and blob sha; None when there is no such file."""
        url = f"{_repo_path(repo)}/contents/{quote(path.strip('/'), safe='/')}"
        params = {"ref": ref} if ref else None
        response = self._rest.request("get file", "GET", url, params=params, ok=(404,))
        if response.status_code == 404:
            return None
        data = response.json()
        if not isinstance(data, dict) or data.get("type") != "file":
            raise VendorError(VENDOR, "get file", response.status_code, f"{repo}/{path} is not a file")
        text = base64.b64decode(str(data.get("content", ""))).decode()
        return RepoFile(text, str(data["sha"]))

    def update_file(
        self, repo: str, path: str, text: str, sha: str | None, message: str, *, branch: str | None = None
    ) -> str:
        """Commit `text` as the new content; `sha` is the blob being replaced (None: a new file).
        Returns the new commit's sha. A 409 means someone changed the file since it was read."""
        body: dict[str, Any] = {"message": message, "content": base64.b64encode(text.encode()).decode()}
        if sha:
            body["sha"] = sha
        if branch:
            body["branch"] = branch
        url = f"{_repo_path(repo)}/contents/{quote(path.strip('/'), safe='/')}"
        return str(self._rest.json("update file", "PUT", url, json=body)["commit"]["sha"])

    def edit_file(
        self,
        repo: str,
        path: str,
        change: Callable[[str | None], str],
        message: str,
        branch: str | None = None,
        *,
        attempts: int = 3,
    ) -> str | None:
        """Read, change, write; again from a fresh read when someone committed in between (409).
        Returns the commit sha, or None when the change leaves the file as it was."""
        for attempt in range(1, attempts + 1):
            current = self.get_file(repo, path, ref=branch)
            text = change(current.text if current else None)
            if current is not None and text == current.text:
                return None
            try:
                return self.update_file(repo, path, text, current.sha if current else None, message, branch=branch)
            except VendorError as error:
                if error.status != 409 or attempt == attempts:
                    raise
        return None  # unreachable: the last attempt returns or raises

    # --- commits and packages ---------------------------------------------------------------------------
    def get_commit(self, repo: str, ref: str) -> Commit | None:
        """The commit a branch, tag or (short) sha names; None when it names none."""
        path = f"{_repo_path(repo)}/commits/{_seg(ref)}"
        response = self._rest.request("get commit", "GET", path, params={"per_page": 1}, ok=(404, 422))
        return None if response.status_code in (404, 422) else _commit(response.json())

    def last_commit(self, repo: str, path: str, ref: str | None = None) -> Commit | None:
        """The newest commit that changed `path` (on `ref`, default the default branch); None when
        no commit did (the file never existed) or the repository is missing or empty."""
        params: dict[str, Any] = {"path": path, "per_page": 1, **({"sha": ref} if ref else {})}
        response = self._rest.request(
            "list commits", "GET", f"{_repo_path(repo)}/commits", params=params, ok=(404, 409)
        )
        found = [] if response.status_code in (404, 409) else response.json()
        return _commit(found[0]) if found else None

    def compare(self, repo: str, base: str, head: str) -> Comparison:
        """What `head` has that `base` lacks (and the other way round, in `behind_by`)."""
        path = f"{_repo_path(repo)}/compare/{_seg(base)}...{_seg(head)}"
        data = self._rest.json("compare commits", "GET", path, params={"per_page": 100})
        return Comparison(
            status=str(data["status"]),
            ahead_by=int(data["ahead_by"]),
            behind_by=int(data["behind_by"]),
            commits=tuple(_commit(c) for c in data.get("commits") or []),
            html_url=str(data["html_url"]),
        )

    def find_container_version(self, org: str, package: str, tag: str) -> PackageVersion | None:
        """The version of an organisation's container package (ghcr.io/<org>/<package>) that carries
        `tag`; None when no version does (or there is no such package). Newest versions come first,
        so a recent tag is found on the first page."""
        path = f"/orgs/{_seg(org)}/packages/container/{_seg(package)}/versions"
        try:
            for item in self._pages("list package versions", path, {"state": "active"}):
                version = _package_version(item)
                if tag in version.tags:
                    return version
        except VendorError as error:
            if error.status == 404:
                return None
            raise
        return None

    # --- deployments ------------------------------------------------------------------------------------
    def create_deployment(
        self,
        repo: str,
        ref: str,
        environment: str,
        payload: Mapping[str, Any] | None = None,
        description: str | None = None,
        *,
        task: str = "deploy",
        auto_merge: bool = False,
        required_contexts: Sequence[str] | None = None,
        production_environment: bool | None = None,
    ) -> Deployment:
        """`auto_merge` is off by default: deploying an exact ref must not merge branches as a side
        effect. `required_contexts` None lets GitHub check all commit statuses first."""
        body: dict[str, Any] = {
            "ref": ref,
            "environment": environment,
            "task": task,
            "auto_merge": auto_merge,
            "payload": dict(payload or {}),
        }
        if description is not None:
            body["description"] = description
        if required_contexts is not None:
            body["required_contexts"] = list(required_contexts)
        if production_environment is not None:
            body["production_environment"] = production_environment
        data = self._rest.json("create deployment", "POST", f"{_repo_path(repo)}/deployments", json=body)
        if "id" not in data:  # 202: GitHub merged the default branch in first and created nothing
            raise VendorError(VENDOR, "create deployment", 202, str(data.get("message", "no deployment created")))
        return _deployment(repo, data)

    def create_deployment_status(
        self,
        repo: str,
        deployment_id: int,
        state: DeploymentState,
        *,
        environment_url: str | None = None,
        log_url: str | None = None,
        description: str | None = None,
        environment: str | None = None,
        auto_inactive: bool | None = None,
    ) -> DeploymentStatus:
        """`auto_inactive` False: GitHub leaves earlier deployments of the environment as they are
        (by default a success marks the non-production ones inactive)."""
        body: dict[str, Any] = {"state": state}
        if auto_inactive is not None:
            body["auto_inactive"] = auto_inactive
        optional = {
            "environment_url": environment_url,
            "log_url": log_url,
            "description": description,
            "environment": environment,
        }
        body |= {k: v for k, v in optional.items() if v is not None}
        path = f"{_repo_path(repo)}/deployments/{deployment_id}/statuses"
        data = self._rest.json("create deployment status", "POST", path, json=body)
        return _deployment_status(deployment_id, data)

    def list_deployment_statuses(self, repo: str, deployment_id: int) -> list[DeploymentStatus]:
        """Newest first, as GitHub lists them."""
        path = f"{_repo_path(repo)}/deployments/{deployment_id}/statuses"
        return [_deployment_status(deployment_id, s) for s in self._pages("list deployment statuses", path)]

    def list_deployments(
        self,
        repo: str,
        *,
        environment: str | None = None,
        ref: str | None = None,
        sha: str | None = None,
        task: str | None = None,
    ) -> list[Deployment]:
        """Newest first, as GitHub lists them."""
        wanted = {"environment": environment, "ref": ref, "sha": sha, "task": task}
        params = {k: v for k, v in wanted.items() if v is not None}
        return [
            _deployment(repo, d) for d in self._pages("list deployments", f"{_repo_path(repo)}/deployments", params)
        ]

    # --- webhook deliveries -------------------------------------------------------------------------------
    def list_hook_deliveries(self, hook: Webhook, *, since: datetime | None = None) -> list[HookDelivery]:
        """Newest first; with `since`, stops paging at the first older delivery."""
        out = []
        for item in self._pages("list hook deliveries", f"{hook.path}/deliveries"):
            delivery = _delivery(item)
            if since is not None and delivery.delivered_at < since:
                break
            out.append(delivery)
        return out

    def failed_deliveries(self, hook: Webhook, *, since: datetime | None = None) -> list[HookDelivery]:
        """The latest failed attempt of every delivery (guid) none of whose attempts succeeded, in
        the order the events were first delivered: what to redeliver, oldest event first."""
        deliveries = self.list_hook_deliveries(hook, since=since)
        succeeded = {d.guid for d in deliveries if d.succeeded}
        latest: dict[str, HookDelivery] = {}
        first: dict[str, tuple[datetime, int]] = {}
        for delivery in deliveries:  # newest first: the first seen per guid is its latest attempt
            if delivery.guid not in succeeded:
                latest.setdefault(delivery.guid, delivery)
                first[delivery.guid] = (delivery.delivered_at, delivery.id)
        return sorted(latest.values(), key=lambda d: first[d.guid])

    def redeliver(self, hook: Webhook, delivery_id: int) -> None:
        """Asks GitHub to deliver again (202: it does so asynchronously, as a new delivery)."""
        self._rest.request("redeliver hook delivery", "POST", f"{hook.path}/deliveries/{delivery_id}/attempts")


# --- parsing ----------------------------------------------------------------------------------------
@functools.lru_cache(maxsize=4)
def _signing_key(pem: str) -> Any:
    """The App's key, parsed once: loading (and validating) an RSA key takes about 0.1 s."""
    from cryptography.hazmat.primitives.serialization import load_pem_private_key

    return load_pem_private_key(pem.encode(), password=None)


def _base_headers() -> dict[str, str]:
    return {
        "Accept": "application/vnd.github+json",
        "X-GitHub-Api-Version": API_VERSION,
        "User-Agent": "platform-automation",
    }


def _seg(value: str) -> str:
    return quote(value, safe="")


def _repo_path(repo: str) -> str:
    owner, sep, name = repo.partition("/")
    if not sep or not owner or not name or "/" in name:
        raise ValueError(f"repo must be 'owner/name', got {repo!r}")
    return f"/repos/{_seg(owner)}/{_seg(name)}"


def _parse_time(value: str) -> datetime:
    return datetime.fromisoformat(value)


def _login(user: Any) -> str | None:
    return str(user["login"]) if isinstance(user, dict) and user.get("login") else None


def _user(data: Mapping[str, Any]) -> GitHubUser:
    return GitHubUser(
        str(data["login"]), int(data["id"]), str(data.get("type", "User")), data.get("name"), data.get("email")
    )


def _issue(repo: str, data: Mapping[str, Any]) -> Issue:
    labels = tuple(x if isinstance(x, str) else str(x.get("name", "")) for x in data.get("labels", []))
    return Issue(
        repo=repo,
        number=int(data["number"]),
        title=str(data["title"]),
        body=data.get("body"),
        state=str(data["state"]),
        state_reason=data.get("state_reason"),
        labels=labels,
        author=_login(data.get("user")),
        html_url=str(data["html_url"]),
    )


def _comment(data: Mapping[str, Any]) -> IssueComment:
    return IssueComment(
        id=int(data["id"]),
        body=str(data.get("body") or ""),
        author=_login(data.get("user")),
        html_url=str(data["html_url"]),
        created_at=_parse_time(data["created_at"]),
    )


def _membership(org: str, data: Mapping[str, Any]) -> OrgMembership:
    return OrgMembership(org, _login(data.get("user")) or "", str(data["state"]), str(data["role"]))


def _team_membership(org: str, team_slug: str, username: str, data: Mapping[str, Any]) -> TeamMembership:
    return TeamMembership(org, team_slug, username, str(data["state"]), str(data["role"]))


def _deployment(repo: str, data: Mapping[str, Any]) -> Deployment:
    return Deployment(
        id=int(data["id"]),
        repo=repo,
        ref=str(data["ref"]),
        sha=str(data["sha"]),
        environment=str(data["environment"]),
        task=str(data.get("task", "deploy")),
        description=data.get("description"),
        payload=data.get("payload") or {},
        created_at=_parse_time(data["created_at"]),
    )


def _deployment_status(deployment_id: int, data: Mapping[str, Any]) -> DeploymentStatus:
    return DeploymentStatus(
        id=int(data["id"]),
        deployment_id=deployment_id,
        state=str(data["state"]),
        environment=data.get("environment"),
        environment_url=data.get("environment_url") or None,
        log_url=data.get("log_url") or data.get("target_url") or None,
        description=data.get("description"),
    )


def _commit(data: Mapping[str, Any]) -> Commit:
    detail = data.get("commit") or {}
    committed = (detail.get("committer") or {}).get("date")
    return Commit(
        sha=str(data["sha"]),
        message=str(detail.get("message") or ""),
        author=_login(data.get("author")),
        html_url=str(data.get("html_url") or ""),
        committed_at=_parse_time(str(committed)) if committed else None,
    )


def _package_version(data: Mapping[str, Any]) -> PackageVersion:
    container = (data.get("metadata") or {}).get("container") or {}
    return PackageVersion(
        id=int(data["id"]),
        name=str(data["name"]),
        tags=tuple(str(t) for t in container.get("tags") or []),
        created_at=_parse_time(data["created_at"]),
    )


def _delivery(data: Mapping[str, Any]) -> HookDelivery:
    return HookDelivery(
        id=int(data["id"]),
        guid=str(data["guid"]),
        delivered_at=_parse_time(data["delivered_at"]),
        redelivery=bool(data.get("redelivery")),
        status=str(data.get("status", "")),
        status_code=int(data.get("status_code") or 0),
        event=str(data.get("event", "")),
        action=data.get("action"),
    )
