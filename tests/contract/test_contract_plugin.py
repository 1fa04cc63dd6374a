"""The pytest plugin (tests/contract_plugin.py), run on a small suite in a fresh pytest: a test whose
exchanges break a description fails with the problems listed; exemptions cover only what they say;
teardown exchanges are checked; under xdist the summary adds up the workers."""

from __future__ import annotations

import importlib
import os
import re
import subprocess
import sys
from pathlib import Path
from types import SimpleNamespace

import pytest

ROOT = Path(__file__).resolve().parents[2]

SUITE = """
import pytest
from sandbox import calls
from sandbox.calls import Exchange

USER = {"id": "00u1", "status": "ACTIVE", "profile": {"login": "maria@example.com", "email": "maria@example.com"}}


def record(profile_email="maria@example.com", status=200):
    body = {**USER, "profile": {**USER["profile"], "email": profile_email}}
    call = {"service": "okta", "method": "GET", "path": "/api/v1/users/00u1", "query": {}, "body": None}
    calls.record({**call, "status": status}, Exchange("", body, "application/json"))


def test_good():
    record()


def test_bad():
    record(profile_email=3)


@pytest.mark.contract_exempt("answers a wrong type on purpose")
def test_exempt():
    record(profile_email=3)


@pytest.mark.contract_exempt("only the 404s", match=r" 404$")
def test_exempt_does_not_cover_other_exchanges():
    record(profile_email=3)


def test_block(contract):
    with contract.exempt("answers a wrong type on purpose"):
        record(profile_email=3)
    record()


def test_block_does_not_cover_later_exchanges(contract):
    with contract.exempt("answers a wrong type on purpose"):
        record(profile_email=3)
    record(profile_email=4)


@pytest.fixture
def bad_teardown():
    yield
    record(profile_email=5)


def test_teardown(bad_teardown):
    pass


@pytest.mark.contract_exempt()
def test_exempt_without_a_reason():
    record()


def test_failing_on_its_own_is_not_piled_on():
    record(profile_email=6)
    assert False, "the test's own failure"
"""


def run(tmp_path: Path, *args: str) -> str:
    (tmp_path / "test_suite.py").write_text(SUITE)
    (tmp_path / "pytest.ini").write_text("[pytest]\naddopts = --strict-markers\n")
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    command = [sys.executable, "-m", "pytest", "-p", "tests.contract_plugin", "-rA", "--rootdir", str(tmp_path)]
    command += ["-p", "no:cacheprovider", "-p", "no:hypothesispytest", "-c", str(tmp_path / "pytest.ini")]
    command += [str(tmp_path / "test_suite.py"), *args]
    result = subprocess.run(command, capture_output=True, text=True, cwd=tmp_path, env=env, timeout=120, check=False)
    return result.stdout + result.stderr


@pytest.fixture(scope="module")
def output(tmp_path_factory: pytest.TempPathFactory) -> str:
    return run(tmp_path_factory.mktemp("plugin"))


def outcome(output: str, test: str) -> str:
    found = re.findall(rf"^(PASSED|FAILED|ERROR) test_suite\.py::{test}\b", output, re.MULTILINE)
    return ",".join(found)


@pytest.mark.parametrize(
    ("test", "expected"),
    [
        ("test_good", "PASSED"),
        ("test_bad", "FAILED"),
        ("test_exempt", "PASSED"),
        ("test_exempt_does_not_cover_other_exchanges", "FAILED"),
        ("test_block", "PASSED"),
        ("test_block_does_not_cover_later_exchanges", "FAILED"),
        ("test_teardown", "PASSED,ERROR"),
        ("test_exempt_without_a_reason", "ERROR"),
        ("test_failing_on_its_own_is_not_piled_on", "FAILED"),
    ],
)
def test_outcomes(output: str, test: str, expected: str):
    assert outcome(output, test) == expected, output


def test_the_failure_lists_the_problem_and_the_summary_counts(output: str):
    assert "okta GET /api/v1/users/{id}: response 200: .profile.email: expected string, got integer 3" in output
    assert ".profile.email: expected string, got integer 5" in output  # from the teardown
    assert "the test's own failure" in output
    assert re.search(r"contract: 10 exchanges checked in .*, 8 not \(3 of those exempted by tests\)", output), output


def test_under_xdist_the_controller_adds_up_the_workers():
    """In process (a real `-n 2` run costs seconds): what workers send is summed and reported."""
    plugin = importlib.import_module("tests.contract_plugin")
    saved = dict(plugin._totals)
    plugin._totals.clear()
    try:
        for worker in range(2):
            stats = {
                "exchanges": 5,
                "problems": 1,
                "accepted": 2,
                "seconds": 0.01,
                "loading_seconds": 0.0,
                "validators": 3,
                "exempted": worker,
                "outside": [],
            }
            plugin.pytest_testnodedown(SimpleNamespace(workeroutput={"contract": stats}), None)
        lines: list[str] = []
        plugin.pytest_terminal_summary(SimpleNamespace(write_line=lambda text, **_: lines.append(text)), 0, None)
    finally:
        plugin._totals.clear()
        plugin._totals.update(saved)
    assert len(lines) == 1
    assert lines[0].startswith("contract: 10 exchanges checked in 0.02 s")
    assert lines[0].endswith("4 problems allowed by sandbox/spec_deviations.yaml, 2 not (1 of those exempted by tests)")


def test_exempting_the_exemptions(tmp_path: Path):
    output = run(tmp_path, "--contract-no-exempt")
    assert outcome(output, "test_exempt") == "FAILED", output
    assert outcome(output, "test_block") == "FAILED", output
