"""state_machines/cost_alarm.asl.json on the local engine: billing alarms delivered as SNS and
EventBridge deliver them (through the AlarmIngest Lambda and the platform bus), Cost Explorer
answering from the seeded spend (sandbox/seed_cost.py), the Slack and PagerDuty fakes, moto's
tagged compute, and approvals answered by a policy that never approves (so the compute this
module's engine shares stays as seeded; test_cost_alarm_remediation.py applies remediations)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import date, timedelta
from typing import Any

import pytest

from functions.core import audit
from functions.ingress import alarms
from sandbox.engine import Decision, LocalEngine, PendingApproval
from sandbox.seed_cost import DAILY_USD, spend

from .cost_helpers import (
    CLOUDWATCH,
    SEEDED,
    compute_state,
    cost_explorer_requests,
    deliver_alarm,
    instances,
    load,
    pending_records,
)

CRITICAL_KEY = "platform-automation/cost-alarm/arn:aws:cloudwatch:us-east-1:111111111111:alarm:billing-critical/2026-11"
APPROVER = "maria.lopez@example.com"


def usd(amount: Any) -> float:
    return float(round(amount, 2))


def expected_figures(as_of: date) -> dict[str, float]:
    """What Cost Explorer says for `as_of`, from the seeded spend table."""
    start = as_of.replace(day=1)
    last_start = (start - timedelta(days=1)).replace(day=1)
    mtd = spend(start, as_of)
    last = spend(last_start, last_start + (as_of - start))
    days_in_month = ((start + timedelta(days=32)).replace(day=1) - start).days
    return {
        "month_to_date": usd(mtd),
        "last_month_same_point": usd(last),
        "forecast": usd(mtd / (as_of - start).days * days_in_month),
        "change_pct": float(round((mtd - last) / last * 100, 1)),
    }


class SwitchablePolicy:
    """The module engine's approvals: denied unless a test asks otherwise (never approved here, so
    the shared engine's compute stays as seeded)."""

    def __init__(self) -> None:
        self.outcome = "denied"
        self.asked: list[PendingApproval] = []

    def __call__(self, pending: PendingApproval) -> Decision:
        self.asked.append(pending)
        return Decision(self.outcome, APPROVER, f"{self.outcome} by the test")


POLICY = SwitchablePolicy()


@pytest.fixture(scope="module")
def engine() -> Iterator[LocalEngine]:
    with LocalEngine(approvals=POLICY) as eng:
        yield eng


@pytest.fixture(autouse=True)
def fresh_vendors(request: pytest.FixtureRequest) -> None:
    """Each test starts with empty Slack channels and no PagerDuty incidents."""
    if "engine" in request.fixturenames:
        engine = request.getfixturevalue("engine")
        engine.vendors.reseed()
        POLICY.outcome = "denied"
        POLICY.asked.clear()


def slack(engine: LocalEngine) -> Any:
    return engine.vendors.fakes["slack"]  # type: ignore[union-attr]


def messages(engine: LocalEngine, channel: str) -> list[dict[str, Any]]:
    return slack(engine).state()["messages"].get(channel, [])


def reports(engine: LocalEngine) -> list[dict[str, Any]]:
    """The cost channel's messages, without the replies in their threads."""
    return [m for m in messages(engine, "#finops") if not m.get("thread_ts")]


def incidents(engine: LocalEngine) -> dict[str, dict[str, Any]]:
    return engine.vendors.fakes["pagerduty"].state()["incidents"]  # type: ignore[union-attr]


def block_texts(message: dict[str, Any]) -> str:
    return json.dumps(message.get("blocks", []), ensure_ascii=False)


def pagerduty_calls(execution: Any) -> list[dict[str, Any]]:
    return [c["body"] for c in execution.calls if c["service"] == "pagerduty"]


# -- the two forms of the alarm ---------------------------------------------------------------------


def test_sns_and_eventbridge_forms_start_the_same_report(engine: LocalEngine) -> None:
    with cost_explorer_requests() as sent:
        via_sns = deliver_alarm(engine, load(CLOUDWATCH / "billing_alarm_sns.json"))
    via_eventbridge = deliver_alarm(engine, load(CLOUDWATCH / "billing_alarm_eventbridge.json"))

    expected = expected_figures(date(2026, 11, 25))
    for execution in (via_sns, via_eventbridge):
        assert execution.status == "SUCCEEDED", (execution.error, execution.cause)
        output = execution.output
        assert (output["alarm"], output["state"], output["severity"]) == ("billing-warning", "ALARM", "warning")
        assert {k: output[k] for k in expected} == expected
        assert output["tier"] == {"name": "warning", "monthly_usd": 8000.0}
        biggest = sorted(DAILY_USD, key=DAILY_USD.__getitem__, reverse=True)[:5]
        assert list(output["top_services"]) == biggest
        assert output["top_services"][biggest[0]] == usd(spend(date(2026, 11, 1), date(2026, 11, 25), biggest[0]))
        assert output["cost_explorer_requests"] == 2
        assert pagerduty_calls(execution) == []  # warning: nobody is paged
    # the adapter's count is what really reached Cost Explorer: month to date by service, last month
    assert sent == ["GetCostAndUsage", "GetCostAndUsage"]
    assert [d for d in engine.bus.deliveries if d["source"] == "platform.alarms"][-2:] == [
        {"source": "platform.alarms", "detail_type": "alarm.state_change", "routed_to": ["workflow:cost_alarm"]}
    ] * 2

    first, second = reports(engine)
    assert first["text"] == second["text"]
    assert first["text"] == "AWS cost warning: $8,160.00 month to date, forecast $10,200.00 (billing-warning)"
    text = block_texts(first)
    for fact in (
        "AWS cost alarm: warning",
        "*Month to date*\\n$8,160.00 (Nov 1-24, estimated)",
        "*Forecast, month end*\\n$10,200.00 (run-rate-estimate)",
        "*Same point last month*\\n$7,095.65 (+15.0 %)",
        "*warning* from $8,000.00\\nnext: critical at $12,000.00",
        f"• {biggest[0]}: $3,148.80",
        "• everything else: $998.40",
        "Cost Explorer: 2 request(s), $0.02",
    ):
        assert fact in text, fact
    assert [b["type"] for b in first["blocks"]] == ["header", "section", "section", "section", "section", "context"]


@pytest.mark.parametrize(
    ("sample", "severity", "as_of"),
    [
        ("billing_alarm_info_sns.json", "info", date(2026, 11, 15)),
        ("billing_alarm_sns.json", "warning", date(2026, 11, 25)),
        ("billing_alarm_critical_sns.json", "critical", date(2026, 11, 25)),
    ],
)
def test_each_severity_tier(engine: LocalEngine, sample: str, severity: str, as_of: date) -> None:
    execution = deliver_alarm(engine, load(CLOUDWATCH / sample))

    assert execution.status == "SUCCEEDED", (execution.error, execution.cause)
    output = execution.output
    assert output["severity"] == severity
    assert output["as_of"] == as_of.isoformat()
    assert output["month_to_date"] == expected_figures(as_of)["month_to_date"]
    (message,) = reports(engine)
    assert message["blocks"][0]["text"]["text"].endswith(f"AWS cost alarm: {severity}")
    if severity == "critical":
        assert incidents(engine) == {
            CRITICAL_KEY: {
                "status": "triggered",
                "severity": "critical",
                "events": 1,
                "summary": "AWS cost critical: $8,160.00 month to date, forecast $10,200.00 (tier $12,000.00)"
                " - billing-critical",
            }
        }
        assert output["pagerduty"]["action"] == "trigger"
        assert f"PagerDuty incident `{CRITICAL_KEY}`" in block_texts(message)
    else:
        assert incidents(engine) == {}
        assert pagerduty_calls(execution) == []
    if severity == "info":  # below remediation.min_severity: no remediation offered
        assert output["remediation"] == {"status": "none", "note": "remediation is offered from the warning tier on"}
        assert POLICY.asked == []
    else:  # offered, and the approver (here, the test's policy) said no: nothing stopped
        assert output["remediation"]["status"] == "denied"
        assert len(POLICY.asked) == 1
    assert compute_state(engine) == SEEDED


def test_cost_explorer_can_raise_what_the_alarm_says(engine: LocalEngine) -> None:
    """The info alarm on the 25th: the month to date is already past the warning tier."""
    event = load(CLOUDWATCH / "billing_alarm_info_sns.json")
    message = json.loads(event["Records"][0]["Sns"]["Message"])
    message["StateChangeTime"] = "2026-11-25T06:05:00.000+0000"
    event["Records"][0]["Sns"]["Message"] = json.dumps(message)

    execution = deliver_alarm(engine, event)

    assert execution.output["severity"] == "warning"
    assert execution.output["month_to_date"] == 8160.0
    assert "(the alarm stands for info)" in block_texts(reports(engine)[0])


# -- PagerDuty: one incident per alarm and month; OK resolves it ----------------------------------


def test_a_critical_re_alarm_does_not_open_a_second_incident(engine: LocalEngine) -> None:
    runs = [
        deliver_alarm(engine, load(CLOUDWATCH / "billing_alarm_critical_sns.json")),
        deliver_alarm(engine, load(CLOUDWATCH / "billing_alarm_critical_eventbridge.json")),
        deliver_alarm(engine, load(CLOUDWATCH / "billing_alarm_critical_sns.json")),
    ]

    assert [r.status for r in runs] == ["SUCCEEDED"] * 3
    assert [r.output["pagerduty"]["dedup_key"] for r in runs] == [CRITICAL_KEY] * 3
    for run in runs:
        (event,) = pagerduty_calls(run)
        assert (event["event_action"], event["dedup_key"], event["payload"]["severity"]) == (
            "trigger",
            CRITICAL_KEY,
            "critical",
        )
    assert list(incidents(engine)) == [CRITICAL_KEY]
    assert incidents(engine)[CRITICAL_KEY]["events"] == 3
    assert incidents(engine)[CRITICAL_KEY]["status"] == "triggered"
    assert len(reports(engine)) == 3  # every alarm is still reported
    (paged,) = [e for e in audit.entries(runs[0].id) if e["vendor"] == "pagerduty"]
    assert (paged["action"], paged["target"], paged["actor"], paged["requester"]) == (
        "events.trigger",
        CRITICAL_KEY,
        "cost-alarm",
        "alarm:billing-critical",
    )
    assert json.loads(paged["after"])["severity"] == "critical"


def test_the_alarm_back_to_ok_resolves_the_incident(engine: LocalEngine) -> None:
    deliver_alarm(engine, load(CLOUDWATCH / "billing_alarm_critical_sns.json"))
    assert incidents(engine)[CRITICAL_KEY]["status"] == "triggered"

    with cost_explorer_requests() as sent:
        ok = deliver_alarm(engine, load(CLOUDWATCH / "billing_alarm_critical_ok_sns.json"))

    assert ok.status == "SUCCEEDED", (ok.error, ok.cause)
    assert incidents(engine)[CRITICAL_KEY]["status"] == "resolved"
    assert ok.output["pagerduty"]["action"] == "resolve"
    assert CRITICAL_KEY in ok.output["pagerduty"]["dedup_keys"]  # the month it fired, whatever month it is now
    assert sent == []  # an OK costs no Cost Explorer request
    assert [(e["event_action"], e["dedup_key"]) for e in pagerduty_calls(ok)][-1][0] == "resolve"
    (resolved,) = [e for e in audit.entries(ok.id) if e["vendor"] == "pagerduty"]
    assert (resolved["action"], resolved["requester"]) == ("events.resolve", "alarm:billing-critical")
    assert CRITICAL_KEY in resolved["target"]
    last = reports(engine)[-1]
    assert last["text"] == "AWS cost alarm billing-critical is back to OK"
    assert "Remediate?" in [s.name for s in ok.steps]
    assert "AskApproval" not in [s.name for s in ok.steps]


# -- remediation ----------------------------------------------------------------------------------


def test_dry_run_lists_what_would_be_stopped_and_stops_nothing(engine: LocalEngine) -> None:
    (detail,) = alarms.normalize(load(CLOUDWATCH / "billing_alarm_critical_sns.json"))

    execution = engine.run("cost_alarm", detail, dry_run=True)

    assert execution.status == "SUCCEEDED", (execution.error, execution.cause)
    ids = {name: i["id"] for name, i in instances(engine).items()}
    remediation = execution.output["remediation"]
    assert remediation["status"] == "dry run"
    assert sorted(remediation["would_stop"]) == sorted(
        [
            f"stop ec2 dev-api ({ids['dev-api']}): running",
            f"stop ec2 staging-worker ({ids['staging-worker']}): running",
            "stop rds dev-db: available",
            "stop rds staging-db: available",
            "stop asg dev-workers: desired=2 min=1 max=4",
        ]
    )
    text = block_texts(reports(engine)[0])
    assert "Remediation: would stop 5 non-production resource(s)" in text
    assert "dry run: this lists what would be stopped; nobody is asked" in text
    assert compute_state(engine) == SEEDED
    assert pending_records(engine) == {}
    assert messages(engine, "#platform-approvals") == []
    assert POLICY.asked == []
    assert incidents(engine) == {}  # a dry run pages nobody
    assert execution.output["pagerduty"]["note"] == f"dry run: would trigger {CRITICAL_KEY}"
    assert not {"AskApproval", "Stop", "StopOne"} & {s.name for s in execution.steps}


def test_no_decision_in_time_stops_nothing(engine: LocalEngine) -> None:
    POLICY.outcome = "timeout"

    execution = deliver_alarm(engine, load(CLOUDWATCH / "billing_alarm_critical_sns.json"))

    assert execution.status == "SUCCEEDED"
    assert execution.output["remediation"]["status"] == "expired"
    assert compute_state(engine) == SEEDED
    (reply,) = [m for m in messages(engine, "#finops") if m.get("thread_ts")]
    assert reply["text"] == "Remediation not applied: no approver decided in time. Nothing was stopped."
