"""`platform-automation run` and `workflows`: exit codes, one-line errors, the two output forms."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from sandbox.cli import main
from sandbox.engine import ROOT

DR_EVENT = ROOT / "events" / "scheduler" / "dr_drill.json"


@pytest.fixture(autouse=True)
def _default_config(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("PLATFORM_CONFIG", raising=False)


@pytest.fixture
def event_file(tmp_path: Path) -> Path:
    path = tmp_path / "event.json"
    path.write_text(json.dumps({"targets": []}), encoding="utf-8")
    return path


def assert_one_line_error(err: str, *fragments: str) -> None:
    lines = err.splitlines()
    assert len(lines) == 1, err
    assert lines[0].startswith("platform-automation: ")
    assert "Traceback" not in err
    for fragment in fragments:
        assert fragment in lines[0]


def test_unknown_workflow_exits_2_with_one_line(event_file: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["run", "nope", "--event", str(event_file)]) == 2

    out, err = capsys.readouterr()
    assert out == ""
    assert_one_line_error(err, "unknown workflow 'nope'", "dr_drill")


def test_missing_event_file_exits_2(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    missing = tmp_path / "no-such-event.json"

    assert main(["run", "dr_drill", "--event", str(missing)]) == 2

    out, err = capsys.readouterr()
    assert out == ""
    assert_one_line_error(err, "event file not found", str(missing))


def test_malformed_event_json_exits_2(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    bad = tmp_path / "bad.json"
    bad.write_text('{"targets": ["orders",]}', encoding="utf-8")

    assert main(["run", "dr_drill", "--event", str(bad)]) == 2

    out, err = capsys.readouterr()
    assert out == ""
    assert_one_line_error(err, "is not valid JSON", "line 1")


def test_an_invalid_config_exits_2(event_file: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    config = tmp_path / "platform.yaml"
    config.write_text("organization: {name: Example}\n", encoding="utf-8")

    assert main(["--config", str(config), "run", "dr_drill", "--event", str(event_file)]) == 2

    out, err = capsys.readouterr()
    assert out == ""
    assert_one_line_error(err, "invalid configuration", "organization.email_domains")


def test_workflows_lists_the_state_machines(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["workflows"]) == 0

    out = capsys.readouterr().out
    assert "dr_drill" in out.split()
    assert "/platform onboard" in out


def test_run_json_prints_exactly_one_json_object(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["run", "dr_drill", "--event", str(DR_EVENT), "--json"]) == 0

    out, _ = capsys.readouterr()
    result = json.loads(out)  # fails on anything but one JSON document
    assert out.count("\n") == 1
    assert out.endswith("\n")
    assert isinstance(result, dict)
    assert {"workflow", "status", "output", "steps", "calls"} <= result.keys()
    assert result["workflow"] == "dr_drill"
    assert result["status"] == "SUCCEEDED"
    assert result["output"]["passed"] is True
    assert result["output"]["summary"] == "drill: 3/3 targets passed"
    assert isinstance(result["calls"], list)
    assert result["steps"]
    for step in result["steps"]:
        assert {"name", "status", "duration_ms"} <= step.keys()
        assert step["status"] == "SUCCEEDED"
        assert isinstance(step["duration_ms"], int)
    names = [s["name"] for s in result["steps"]]
    assert names[0] == "Plan"
    assert names.count("StartRestore") == 3
    assert names[-1] == "DrillPassed"
    assert sorted(s["path"] for s in result["steps"] if s["name"] == "Verify") == ["Drill[0]", "Drill[1]", "Drill[2]"]


def test_run_prints_steps_and_a_summary_for_people(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["run", "dr_drill", "--event", str(DR_EVENT)]) == 0

    out, _ = capsys.readouterr()
    lines = out.splitlines()
    assert lines[0] == "▶ dr_drill"
    for name in ("Plan", "Drill[0]/StartRestore", "Drill[1]/Verify", "Drill[0]/Cleanup", "Report", "DrillPassed"):
        assert any(line.startswith("  ok ") and f" {name} " in line for line in lines), name
    summary = [line for line in lines if line.startswith("■ ")]
    assert len(summary) == 1
    assert summary[0].startswith("■ dr_drill SUCCEEDED in ")
    assert summary[0].endswith(" 18 steps")
    output_at = next(i for i, line in enumerate(lines) if line.startswith("  output:"))
    assert any('"drill: 3/3 targets passed"' in line for line in lines[output_at:])
    assert lines[-1].startswith("  execution id: dr_drill-")


def test_a_failed_run_exits_1(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    event = tmp_path / "unknown-target.json"
    event.write_text(json.dumps({"targets": ["payroll"]}), encoding="utf-8")

    assert main(["run", "dr_drill", "--event", str(event), "--json"]) == 1

    result = json.loads(capsys.readouterr().out)
    assert result["status"] == "FAILED"
    assert result["error"] == "ValueError"
    assert "unknown DR targets: payroll" in result["cause"]
    assert result["output"] is None
