"""Contract checks: the sandbox fakes' exchanges against the vendors' own API descriptions.

    from sandbox import calls
    from sandbox.contract import default_checker
    problems = default_checker().check(calls.exchanges_since(mark))

See checker.py for what is checked, sandbox/specs/ for the vendored descriptions and
sandbox/spec_deviations.yaml for the deliberate deviations.
"""

from __future__ import annotations

from functools import cache

from sandbox.contract.checker import ContractChecker, Problem, Stats
from sandbox.contract.deviations import Deviation, DeviationError, load_deviations

__all__ = ["ContractChecker", "Deviation", "DeviationError", "Problem", "Stats", "default_checker", "load_deviations"]


@cache
def default_checker() -> ContractChecker:
    """One checker per process, so the descriptions are loaded and the validators built once."""
    return ContractChecker()
