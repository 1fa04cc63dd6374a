"""The Lambda catalog is the one list both engines read: every entry must be real."""

from __future__ import annotations

import importlib
import inspect
import re

import pytest

from functions.catalog import BY_NAME, LAMBDAS, RESOURCE_ENV
from functions.ingress.routes import ALARM_FUNCTION, ROUTES
from sandbox.engine import STATE_MACHINES, workflows


@pytest.mark.parametrize("spec", LAMBDAS, ids=lambda s: s.name)
def test_every_handler_imports_and_takes_event_and_context(spec) -> None:
    handler = getattr(importlib.import_module(spec.module), spec.function)
    assert len(inspect.signature(handler).parameters) == 2
    assert 128 <= spec.memory_mb <= 10240
    assert 1 <= spec.timeout_s <= 900
    assert set(spec.resources) <= set(RESOURCE_ENV)
    assert not spec.aws_actions or spec.aws_scope, "actions on resources the stack does not own need a scope"


def test_names_are_unique_and_pascal_case() -> None:
    assert len(BY_NAME) == len(LAMBDAS)
    assert all(re.fullmatch(r"[A-Z][A-Za-z0-9]+", spec.name) for spec in LAMBDAS)


def test_every_definition_refers_only_to_catalog_functions_and_uses_them_all() -> None:
    referenced: set[str] = set()
    for workflow in workflows():
        text = (STATE_MACHINES / f"{workflow}.asl.json").read_text()
        names = set(re.findall(r"\$\{(\w+)Arn\}", text))
        assert names <= set(BY_NAME), f"{workflow}: {names - set(BY_NAME)}"
        for name in names:
            assert workflow in BY_NAME[name].workflows
        referenced |= names
    triggered = {spec.name for spec in LAMBDAS if spec.http_route}
    triggered |= {route.function for route in ROUTES if route.function} | {ALARM_FUNCTION}
    assert referenced | triggered == set(BY_NAME), "a catalog entry nothing invokes is dead code"
    assert not referenced & triggered, "a workflow task is not also an endpoint or a route target"


def test_routes_name_real_targets() -> None:
    for route in ROUTES:
        assert (route.workflow is None) != (route.function is None), route.name
        if route.workflow:
            assert route.workflow in workflows(), route.name
        if route.function:
            assert route.function in BY_NAME, route.name
