"""Who may ask by opening an issue (`github.request_filers`): the issue's author must be a person
the identity directory knows, active in Okta, and a member of one of the configured GitHub teams
or Okta groups (both empty: one of the teams' approvers). Anyone else gets one comment saying so,
and nothing starts."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from functions.core.change import ChangeContext

if TYPE_CHECKING:
    from functions.adapters.github import GitHub
    from functions.adapters.okta import Okta
    from functions.core.config import PlatformConfig
    from functions.core.identity import Directory, Person
    from functions.people.models import WorkflowInput

ACTOR = "platform-automation:intake"


def marker(workflow: str) -> str:
    return f"<!-- platform-automation:{workflow}:refused -->"


@dataclass(frozen=True)
class Filers:
    """The rule, over the systems it reads."""

    config: PlatformConfig
    directory: Directory
    github: GitHub
    okta: Okta

    def refusal(self, workflow: str, author: str) -> str | None:
        """Why `author` (a GitHub login) may not file a `workflow` request (None: they may)."""
        person = self.directory.person(f"github:{author}")
        if person is None:
            return (
                f"@{author} is not linked to anyone in Okta ({self.directory.github_link}), so this "
                f"{workflow} request cannot be accepted. Ask your Okta admin to link your GitHub account, then "
                "edit the issue to try again. Nothing was done."
            )
        if not person.active:
            return f"The Okta account linked to @{author} is not active, so this {workflow} request cannot be accepted."
        return None if self._may_file(person, author) else self._only(workflow)

    def _may_file(self, person: Person, author: str) -> bool:
        filers = self.config.github.request_filers
        if not filers.github_teams and not filers.okta_groups:
            return person.email in {e.lower() for team in self.config.teams.values() for e in team.approvers}
        for team in filers.github_teams:
            membership = self.github.get_team_membership(self.config.github.org, team, author)
            if membership is not None and membership.state == "active":
                return True
        if filers.okta_groups and person.okta_id:
            groups = {group.name for group in self.okta.list_user_groups(person.okta_id)}
            return bool(groups & set(filers.okta_groups))
        return False

    def _only(self, workflow: str) -> str:
        filers = self.config.github.request_filers
        who = [f"GitHub team {self.config.github.org}/{t}" for t in filers.github_teams]
        who += [f"Okta group {g}" for g in filers.okta_groups]
        if not who:
            return f"Only the teams' approvers may file {workflow} requests here, so nothing was done."
        return f"Only members of {' or '.join(who)} may file {workflow} requests here, so nothing was done."


def refuse(workflow: str, request: WorkflowInput, reason: str, github: GitHub, changes: ChangeContext) -> None:
    """Say so on the issue, once (a replayed or edited issue finds its comment), and audit it."""
    repo, number = request.origin.issue_ref()
    body = f"{marker(workflow)}\n{reason}"
    existing = github.find_comment(repo, number, marker(workflow))
    if existing is not None and existing.body.strip() == body.strip():
        return
    changes.change(
        "github",
        "refuse request",
        f"github:{repo}#{number}",
        lambda: github.comment_on_issue(repo, number, body),
        line=f"refused the {workflow} request on {repo}#{number}",
        after={"author": request.origin.author, "reason": reason},
    )
