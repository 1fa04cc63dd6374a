"""Which Lambdas exist, read from the packages' manifests (functions/core/registry.py).

CDK builds one function per entry (handler, memory, timeout, environment, grants); the local
engine dispatches Task states to the same handlers in-process. State machine definitions refer to
a function as `${<Name>Arn}`, which both engines substitute.
"""

from __future__ import annotations

from functions.core import registry
from functions.core.spec import RESOURCE_ENV, LambdaSpec, Resource

LAMBDAS: tuple[LambdaSpec, ...] = registry.lambdas()

BY_NAME: dict[str, LambdaSpec] = {spec.name: spec for spec in LAMBDAS}

__all__ = ["BY_NAME", "LAMBDAS", "RESOURCE_ENV", "LambdaSpec", "Resource"]
