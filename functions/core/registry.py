"""Every package's manifest, found by looking: a new workflow is a new package under functions/
with a `workflow.py`, and nothing else has to name it.

The manifests are discovered (imported by name, the way a plugin host finds its plugins) rather
than listed here, so core depends on no workflow package; each manifest module imports only core.
"""

from __future__ import annotations

import importlib
import importlib.util
import pkgutil
from functools import cache
from typing import TYPE_CHECKING

from functions.core.manifest import Component, Route, Schedule, SlackCommand, Workflow

if TYPE_CHECKING:
    from functions.core.spec import LambdaSpec

_ROOT = "functions"


class RegistryError(Exception):
    """Two manifests disagree (a Lambda or route declared twice, a `uses` of an unknown Lambda)."""


@cache
def manifests() -> tuple[Component, ...]:
    """Every package's manifest, workflows after the shared packages, each group by name."""
    import functions

    found: list[Component] = []
    for info in sorted(pkgutil.iter_modules(functions.__path__), key=lambda m: m.name):
        if not info.ispkg:
            continue
        for module, attribute in (("workflow", "WORKFLOW"), ("component", "COMPONENT")):
            name = f"{_ROOT}.{info.name}.{module}"
            if importlib.util.find_spec(name) is None:
                continue
            manifest = getattr(importlib.import_module(name), attribute, None)
            if not isinstance(manifest, Component):
                raise RegistryError(f"{name} declares no {attribute}")
            found.append(manifest)
    found.sort(key=lambda m: (isinstance(m, Workflow), m.name))
    _check(found)
    return tuple(found)


def _check(found: list[Component]) -> None:
    seen: dict[str, str] = {}
    routes: set[str] = set()
    for manifest in found:
        for spec in manifest.lambdas:
            if spec.name in seen:
                raise RegistryError(f"Lambda {spec.name} declared by {seen[spec.name]} and {manifest.name}")
            seen[spec.name] = manifest.name
        for route in manifest.routes:
            if route.name in routes:
                raise RegistryError(f"route {route.name} declared twice")
            routes.add(route.name)
    for manifest in found:
        if isinstance(manifest, Workflow):
            unknown = [name for name in manifest.uses if name not in seen]
            if unknown:
                raise RegistryError(f"{manifest.name} uses unknown Lambda(s) {', '.join(unknown)}")


def workflows() -> dict[str, Workflow]:
    return {m.name: m for m in manifests() if isinstance(m, Workflow)}


def workflow(name: str) -> Workflow:
    try:
        return workflows()[name]
    except KeyError:
        raise KeyError(f"no workflow {name!r} (known: {', '.join(workflows())})") from None


@cache
def lambdas() -> tuple[LambdaSpec, ...]:
    return tuple(spec for manifest in manifests() for spec in manifest.lambdas)


@cache
def owners() -> dict[str, str]:
    """Lambda name -> the package that declares it."""
    return {spec.name: manifest.name for manifest in manifests() for spec in manifest.lambdas}


def routes() -> tuple[Route, ...]:
    return tuple(route for manifest in manifests() for route in manifest.routes)


def schedules() -> tuple[Schedule, ...]:
    return tuple(schedule for manifest in manifests() for schedule in manifest.schedules)


def commands() -> dict[str, tuple[SlackCommand, str]]:
    """Slack sub-command -> (its grammar, the workflow it starts)."""
    return {wf.command.name: (wf.command, name) for name, wf in workflows().items() if wf.command is not None}
