"""Contract checks for the whole test suite (registered in tests/conftest.py).

Every exchange the sandbox vendor fakes record while a test runs (its setup, its call and its
teardown) is checked against the vendor's API description (sandbox/contract/). A mismatch fails the
test, listing every problem. Deliberately off-contract exchanges (a test that sends a bad body to
see the fake answer 400) are declared with a reason:

    @pytest.mark.contract_exempt("sends an invalid body on purpose", match=r"POST /api/v1/users 400")
    def test_...  # the whole test, or only the exchanges "<service> <METHOD> <path> <status>" matches

    def test_...(contract):
        with contract.exempt("sends an invalid body on purpose"):
            ...  # the exchanges recorded inside the block

Spec bugs are not exempted here but listed, once, in sandbox/spec_deviations.yaml.

The calls log is one list per process: with pytest-xdist each worker checks its own tests, and
the controller adds up the workers' figures for the summary line.
"""

from __future__ import annotations

import re
import sys
from collections import Counter
from collections.abc import Generator, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import pytest

_HINT = (
    "deliberate: @pytest.mark.contract_exempt(reason) or `with contract.exempt(reason):`; "
    "a spec bug: an entry in sandbox/spec_deviations.yaml"
)


@dataclass
class _Exemption:
    reason: str
    match: re.Pattern[str] | None = None
    start: int = 0
    end: int | None = None  # None: to the end of the test

    def covers(self, index: int, call: dict[str, Any]) -> bool:
        if index < self.start or (self.end is not None and index >= self.end):
            return False
        label = f"{call.get('service')} {call.get('method')} {call.get('path')} {call.get('status')}"
        return self.match is None or self.match.search(label) is not None


@dataclass
class _State:
    checked: int = 0  # the calls-log index up to which exchanges have been checked
    exemptions: list[_Exemption] = field(default_factory=list)
    exempted: int = 0
    outside: list[str] = field(default_factory=list)  # problems in exchanges after the last test
    honour_exemptions: bool = True


_state = _State()


class ContractControl:
    """The `contract` fixture: declare exchanges deliberately off-contract, or check now."""

    @contextmanager
    def exempt(self, reason: str, match: str | None = None) -> Iterator[None]:
        if not reason.strip():
            raise ValueError("contract.exempt needs a reason")
        from sandbox import calls

        exemption = _Exemption(reason, re.compile(match) if match else None, start=calls.mark())
        _state.exemptions.append(exemption)
        try:
            yield
        finally:
            exemption.end = calls.mark()

    def check_now(self) -> list[str]:
        """The problems of the exchanges recorded so far in this test (and marks them checked)."""
        return _check_new()


@pytest.fixture
def contract() -> ContractControl:
    return ContractControl()


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--contract-no-exempt",
        action="store_true",
        help="contract checks: fail exchanges that tests declare off-contract too (to review the exemptions)",
    )


def pytest_configure(config: pytest.Config) -> None:
    _state.honour_exemptions = not config.getoption("--contract-no-exempt", default=False)
    config.addinivalue_line(
        "markers",
        "contract_exempt(reason, match=None): the test's vendor exchanges (or those whose "
        "'<service> <METHOD> <path> <status>' the regex `match` finds) are deliberately off-contract",
    )


def _check_new() -> list[str]:
    from sandbox import calls

    end = calls.mark()
    start = _state.checked if _state.checked <= end else 0  # the log was cleared
    _state.checked = end
    if end == start:
        return []
    from sandbox.contract import default_checker

    checker = default_checker()
    problems = []
    for index, (call, exchange) in enumerate(calls.exchanges_since(start)[: end - start], start=start):
        found = checker.check_exchange(call, exchange)
        if not found:
            continue
        if _state.honour_exemptions and any(e.covers(index, call) for e in _state.exemptions):
            _state.exempted += len(found)
            continue
        problems += [str(problem) for problem in found]
    return problems


def _message(problems: list[str]) -> str:
    counted = Counter(problems)
    lines = [f"  {text}" + (f"  (x{n})" if n > 1 else "") for text, n in counted.items()]
    return "\n".join(
        [f"contract: {len(problems)} problems against the vendors' API descriptions:", *lines, f"({_HINT})"]
    )


def _start_item(item: pytest.Item) -> None:
    _state.exemptions = []
    for marker in item.iter_markers("contract_exempt"):
        reason = marker.args[0] if marker.args else marker.kwargs.get("reason", "")
        if not str(reason).strip():
            pytest.fail(
                "@pytest.mark.contract_exempt needs a reason: why are these exchanges off-contract?", pytrace=False
            )
        match = marker.kwargs.get("match")
        _state.exemptions.append(_Exemption(str(reason), re.compile(match) if match else None, start=0))


@pytest.hookimpl(wrapper=True)
def pytest_runtest_setup(item: pytest.Item) -> Generator[None, None, None]:
    _start_item(item)
    return (yield)


@pytest.hookimpl(wrapper=True)
def pytest_runtest_call(item: pytest.Item) -> Generator[None, None, None]:
    try:
        result = yield
    except BaseException:
        problems = _check_new()  # the test failed on its own; show, don't pile on
        if problems:
            item.add_report_section("call", "contract", _message(problems))
        raise
    problems = _check_new()
    if problems:
        pytest.fail(_message(problems), pytrace=False)
    return result


@pytest.hookimpl(wrapper=True)
def pytest_runtest_teardown(item: pytest.Item) -> Generator[None, None, None]:
    result = yield
    problems = _check_new()  # exchanges of fixture teardowns (and of a setup that failed)
    _state.exemptions = []
    if problems:
        pytest.fail(_message(problems), pytrace=False)
    return result


def _stats() -> dict[str, Any]:
    from sandbox.contract import default_checker

    if default_checker.cache_info().currsize == 0:
        return {}
    checker = default_checker()
    stats = checker.stats
    return {
        "exchanges": stats.exchanges,
        "problems": stats.problems,
        "accepted": stats.accepted,
        "seconds": stats.seconds,
        "loading_seconds": stats.loading_seconds,
        "validators": checker.validators_built,
        "exempted": _state.exempted,
        "outside": _state.outside,
    }


_totals: dict[str, Any] = {}


def _add(stats: dict[str, Any]) -> None:
    for key, value in stats.items():
        if key == "outside":
            _totals.setdefault(key, []).extend(value)
        else:
            _totals[key] = _totals.get(key, 0) + value


def pytest_sessionfinish(session: pytest.Session) -> None:
    if "sandbox.contract" in sys.modules:  # else no exchange was ever checked in this process
        _state.outside = _check_new()  # recorded by module and session fixtures' teardowns
        stats = _stats()
        workeroutput = getattr(session.config, "workeroutput", None)
        if workeroutput is not None:  # an xdist worker: the controller reports
            workeroutput["contract"] = stats
            return
        _add(stats)
    if _totals.get("outside"):
        session.exitstatus = pytest.ExitCode.TESTS_FAILED


@pytest.hookimpl(optionalhook=True)
def pytest_testnodedown(node: Any, error: Any) -> None:
    stats = getattr(node, "workeroutput", {}).get("contract")
    if stats:
        _add(stats)


def pytest_terminal_summary(terminalreporter: Any, exitstatus: int, config: pytest.Config) -> None:
    if not _totals.get("exchanges"):
        return
    from sandbox.contract import Stats

    stats = Stats(
        exchanges=_totals["exchanges"],
        problems=_totals["problems"],
        accepted=_totals["accepted"],
        seconds=_totals["seconds"],
        loading_seconds=_totals["loading_seconds"],
    )
    exempted = _totals.get("exempted", 0)
    terminalreporter.write_line(stats.line(_totals["validators"]) + f" ({exempted} of those exempted by tests)")
    if _totals.get("outside"):
        terminalreporter.write_line(_message(_totals["outside"]) + "\n(recorded after the last test)", red=True)
