"""The layers show in the imports, checked by import-linter with contracts made from the manifests
(so a new workflow package is held to them without anyone writing a contract):

- functions.core imports nothing else of functions/;
- functions.adapters imports only core;
- a workflow package imports core, adapters and the shared packages its manifest `shares`,
  never another workflow;
- the shared packages (ingress, approvals, compute, people) import core and adapters only.

The ingress may use adapters (the Slack signature check, secrets, the response_url reply); what it
must never load is a workflow's code, which is what keeps its cold start short.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from functions.core import registry

ROOT = Path(__file__).resolve().parents[2]
LINT = Path(sys.executable).parent / "lint-imports"


def contracts() -> str:
    workflows = sorted(registry.workflows())
    shared = sorted(m.name for m in registry.manifests() if m.name not in workflows)
    packages = [f"functions.{name}" for name in (*shared, *workflows)]
    lines = ["[importlinter]", "root_package = functions", "include_external_packages = False", ""]

    def forbidden(key: str, name: str, source: str, forbid: list[str]) -> None:
        lines.extend(
            [
                f"[importlinter:contract:{key}]",
                f"name = {name}",
                "type = forbidden",
                f"source_modules = {source}",
                "forbidden_modules =",
                *(f"    {module}" for module in forbid),
                "",
            ]
        )

    forbidden(
        "core", "core is the bottom layer", "functions.core", ["functions.adapters", "functions.catalog", *packages]
    )
    forbidden("adapters", "adapters import only core", "functions.adapters", ["functions.catalog", *packages])
    for name in shared:
        others = [p for p in packages if p != f"functions.{name}"]
        forbidden(f"shared-{name}", f"{name} imports core and adapters only", f"functions.{name}", others)
    for name in workflows:
        allowed = {f"functions.{name}", *(f"functions.{s}" for s in registry.workflow(name).shares)}
        others = [p for p in packages if p not in allowed]
        forbidden(f"workflow-{name}", f"{name} imports no other workflow", f"functions.{name}", others)
    return "\n".join(lines)


def lint(tree: Path, tmp_path: Path) -> subprocess.CompletedProcess[str]:
    config = tmp_path / "contracts.ini"
    config.write_text(contracts())
    return subprocess.run(
        [str(LINT), "--no-cache", str(config)],
        cwd=tree,
        env={"PYTHONPATH": str(tree), "PATH": "/usr/bin:/bin"},
        capture_output=True,
        text=True,
        check=False,
    )


def test_the_layers_hold(tmp_path: Path) -> None:
    result = lint(ROOT, tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr


# The seven crossings the structure issue removed: each must be caught if it comes back.
CROSSINGS = [
    ("core/registry.py", "from functions.adapters import vendors"),
    ("people/component.py", "from functions.onboarding import workflow"),
    ("offboarding/validate.py", "from functions.onboarding.validate import validate"),
    ("people/handlers.py", "from functions.ingress import github_webhook"),
    ("ingress/slack_worker.py", "from functions.people.intake import from_command"),
    ("approvals/request.py", "from functions.ingress.slack_interactions import handle"),
    ("cost_alarm/assess.py", "from functions.off_hours.schedule import plan"),
]


@pytest.mark.parametrize(("module", "line"), CROSSINGS, ids=[c[0] for c in CROSSINGS])
def test_a_crossing_that_comes_back_fails(module: str, line: str, tmp_path: Path) -> None:
    tree = tmp_path / "tree"
    shutil.copytree(ROOT / "functions", tree / "functions", ignore=shutil.ignore_patterns("__pycache__"))
    target = tree / "functions" / module
    target.write_text(target.read_text() + f"\n{line}  # noqa\n")
    result = lint(tree, tmp_path)
    assert result.returncode != 0
    assert "BROKEN" in result.stdout or "broken" in result.stdout.lower(), result.stdout
