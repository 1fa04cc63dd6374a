"""The deployment part of `make demo`: a build on main deploys to staging, its promotion to
production is approved and deployed, then a version whose sync ends Degraded is rolled back in Git.
Between them, what the sandbox holds: the GitOps tags, the GitHub deployments, the Argo CD apps."""

from __future__ import annotations

import json
import time
from typing import Any

from sandbox.engine import ROOT, Execution, LocalEngine, load_event
from sandbox.fakes.argocd import FakeArgoCd
from sandbox.fakes.github import FakeGitHub
from sandbox.intake import as_input
from sandbox.output import HumanReporter

SERVICE, REPO, GITOPS = "orders-api", "example-corp/orders-api", "example-corp/gitops"
BAD = "sha-b7e140c"  # "Switch to the new payments client": its sync ends Degraded


def _state(engine: LocalEngine, out: Any) -> None:
    assert engine.vendors is not None
    fakes = engine.vendors.fakes
    github = fakes["github"]
    assert isinstance(github, FakeGitHub)
    settings = engine.config.services[SERVICE].environments
    tags = {}
    for name, environment in settings.items():
        text = github.file_text(GITOPS, environment.manifest) or ""
        tags[name] = next(
            (line.split(":", 1)[1].split("#")[0].strip() for line in text.splitlines() if "newTag:" in line), None
        )
    apps = fakes["argocd"].state()["applications"]
    state = {
        "gitops tag": tags,
        "github deployments": [
            f"#{d['id']} {d['environment']}: {' -> '.join(d['statuses'])}"
            for d in fakes["github"].state()["deployments"]
            if d["repo"] == REPO
        ],
        "argo cd": {
            name: f"{apps[e.argocd_app]['sync']}, {apps[e.argocd_app]['health']}" for name, e in settings.items()
        },
    }
    print(f"--- sandbox state of {SERVICE}:", file=out)
    print("\n".join("    " + line for line in json.dumps(state, indent=2).splitlines()), file=out)


def _follow(title: str, execution: Execution, out: Any) -> None:
    """Report an execution the bus started (a promotion), once it has finished."""
    print(f"\n=== {title}", file=out)
    reporter = HumanReporter("deployment", dry_run=False, stream=out)
    execution.done.wait(300)
    for step in execution.steps:
        reporter.step(step)
    reporter.finished(execution)


def _run(engine: LocalEngine, title: str, event: dict[str, Any], out: Any) -> Execution:
    print(f"\n=== {title}", file=out)
    reporter = HumanReporter("deployment", dry_run=False, stream=out)
    reporter.started()
    execution = engine.run("deployment", event, on_step=reporter.step)
    reporter.finished(execution)
    return execution


def deploy_promote_and_roll_back(engine: LocalEngine, out: Any) -> bool:
    assert engine.vendors is not None
    sample = "github/workflow_run_completed.json"
    before = set(engine.executions)
    event = as_input(engine, "deployment", load_event(ROOT / "events" / sample))
    staging = _run(engine, f"deployment from events/{sample}: a build on main goes to staging", event, out)
    deadline = time.monotonic() + 60
    promoted = None
    while promoted is None and time.monotonic() < deadline:
        promoted = next(
            (e for e in list(engine.executions.values()) if e.id not in before and e.id != staging.id), None
        )
        time.sleep(0.05)
    ok = staging.status == "SUCCEEDED" and promoted is not None
    if promoted is not None:
        _follow("deployment to production: offered after staging, approved by one of its approvers", promoted, out)
        ok &= promoted.status == "SUCCEEDED"
    _state(engine, out)
    argocd = engine.vendors.fakes["argocd"]
    assert isinstance(argocd, FakeArgoCd)
    argocd.set_next_sync(f"{SERVICE}-staging", "Degraded")
    bad = _run(
        engine,
        f"deployment of {BAD} to staging, whose sync ends Degraded (--argocd {SERVICE}-staging=Degraded): rolled back",
        {"service": SERVICE, "version": BAD, "requested_by": "sam.okafor@example.com", "trigger": "manual"},
        out,
    )
    _state(engine, out)
    return ok and bad.status == "FAILED" and bad.error == "DeploymentFailed"
