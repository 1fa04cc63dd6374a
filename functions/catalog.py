"""Which Lambdas exist, written down once.

CDK builds one function per entry (handler, memory, timeout, environment, grants); the local
engine dispatches Task states to the same handlers in-process. State machine definitions refer to
a function as `${<Name>Arn}`, which both engines substitute. Each workflow folder declares its own
entries in `lambdas.py`; this module lists the folders.
"""

from __future__ import annotations

from functions.approvals import lambdas as approvals
from functions.core.spec import RESOURCE_ENV, LambdaSpec, Resource
from functions.cost_alarm import lambdas as cost_alarm
from functions.dr_drill import lambdas as dr_drill
from functions.ingress import lambdas as ingress
from functions.off_hours import lambdas as off_hours
from functions.offboarding import lambdas as offboarding
from functions.onboarding import lambdas as onboarding
from functions.people import lambdas as people

LAMBDAS: tuple[LambdaSpec, ...] = (
    *dr_drill.LAMBDAS,
    *ingress.LAMBDAS,
    *approvals.LAMBDAS,
    *people.LAMBDAS,
    *onboarding.LAMBDAS,
    *offboarding.LAMBDAS,
    *off_hours.LAMBDAS,
    *cost_alarm.LAMBDAS,
)

BY_NAME: dict[str, LambdaSpec] = {spec.name: spec for spec in LAMBDAS}

__all__ = ["BY_NAME", "LAMBDAS", "RESOURCE_ENV", "LambdaSpec", "Resource", "for_workflow"]


def for_workflow(workflow: str) -> tuple[LambdaSpec, ...]:
    return tuple(spec for spec in LAMBDAS if workflow in spec.workflows)
