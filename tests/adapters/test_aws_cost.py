"""CostExplorer adapter against moto's Cost Explorer, seeded through moto's documented results queue
(POST /moto-api/static/ce/cost-and-usage-results). moto 5.2.5 has no GetCostForecast (it raises
NotImplementedError): its answers are stubbed through botocore's before-call hook."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import date
from typing import Any

import pytest
import requests
from moto import mock_aws

from functions.adapters.aws_cost import CostExplorer, Period
from functions.adapters.errors import TransientVendorError
from tests.adapters.aws_stubs import STUB_REQUEST_ID, answer, fail

MOTO_API = "http://motoapi.amazonaws.com/moto-api"


@pytest.fixture(scope="module", autouse=True)
def _aws() -> Iterator[None]:
    with mock_aws():
        yield


@pytest.fixture(autouse=True)
def _fresh_results() -> None:
    # moto keeps queued results (and the request each was bound to): start every test empty.
    requests.post(f"{MOTO_API}/reset", timeout=5)


def seed(*results: dict[str, Any]) -> None:
    response = requests.post(f"{MOTO_API}/static/ce/cost-and-usage-results", json={"results": list(results)}, timeout=5)
    assert response.status_code == 201


def by_service(start: str, end: str, amounts: dict[str, str], token: str | None = None) -> dict[str, Any]:
    result: dict[str, Any] = {
        "GroupDefinitions": [{"Type": "DIMENSION", "Key": "SERVICE"}],
        "ResultsByTime": [
            {
                "TimePeriod": {"Start": start, "End": end},
                "Total": {},
                "Groups": [
                    {"Keys": [service], "Metrics": {"UnblendedCost": {"Amount": amount, "Unit": "USD"}}}
                    for service, amount in amounts.items()
                ],
                "Estimated": True,
            }
        ],
        "DimensionValueAttributes": [],
    }
    if token:
        result["NextPageToken"] = token
    return result


def total(start: str, end: str, amount: str) -> dict[str, Any]:
    return {
        "ResultsByTime": [
            {
                "TimePeriod": {"Start": start, "End": end},
                "Total": {"UnblendedCost": {"Amount": amount, "Unit": "USD"}},
                "Groups": [],
                "Estimated": False,
            }
        ],
        "DimensionValueAttributes": [],
    }


def sent_requests(cost: CostExplorer) -> list[dict[str, Any]]:
    seen: list[dict[str, Any]] = []

    def watch(params: dict[str, Any], **_: Any) -> None:
        seen.append(json.loads(params["body"]))

    cost.ce.meta.events.register("before-call.cost-explorer.GetCostAndUsage", watch)
    return seen


SERVICES = {
    "Amazon Elastic Compute Cloud - Compute": "120.50",
    "Amazon Relational Database Service": "80.25",
    "Amazon Simple Storage Service": "10.00",
    "AWS Lambda": "2.00",
    "Amazon DynamoDB": "1.25",
}


def test_month_to_date_by_service_top_n_and_other() -> None:
    cost = CostExplorer()
    sent = sent_requests(cost)
    seed(by_service("2025-03-01", "2025-03-15", SERVICES))

    breakdown = cost.month_to_date_by_service(date(2025, 3, 15), top_n=2)

    assert breakdown.period == Period(date(2025, 3, 1), date(2025, 3, 15))
    assert breakdown.total == pytest.approx(214.0)
    assert breakdown.currency == "USD"
    assert [(s.service, s.amount) for s in breakdown.services] == [
        ("Amazon Elastic Compute Cloud - Compute", 120.5),
        ("Amazon Relational Database Service", 80.25),
    ]
    assert breakdown.other == pytest.approx(13.25)
    assert breakdown.estimated is True
    assert sent == [
        {
            "TimePeriod": {"Start": "2025-03-01", "End": "2025-03-15"},
            "Granularity": "MONTHLY",
            "Metrics": ["UnblendedCost"],
            "GroupBy": [{"Type": "DIMENSION", "Key": "SERVICE"}],
        }
    ]
    assert cost.requests_made == 1
    assert cost.requests_cost_usd == 0.01


def test_month_to_date_follows_next_page_token() -> None:
    cost = CostExplorer()
    sent = sent_requests(cost)
    first = dict(list(SERVICES.items())[:3])
    rest = dict(list(SERVICES.items())[3:])
    seed(by_service("2025-04-01", "2025-04-10", first, token="page-2"), by_service("2025-04-01", "2025-04-10", rest))

    breakdown = cost.month_to_date_by_service(date(2025, 4, 10), top_n=10)

    assert breakdown.total == pytest.approx(214.0)
    assert len(breakdown.services) == 5
    assert breakdown.other == 0
    assert [r.get("NextPageToken") for r in sent] == [None, "page-2"]
    assert cost.requests_made == 2


def test_first_of_the_month_asks_nothing() -> None:
    cost = CostExplorer()

    breakdown = cost.month_to_date_by_service(date(2025, 5, 1))
    last_month = cost.same_point_last_month(date(2025, 5, 1))

    assert (breakdown.total, breakdown.services, breakdown.period.days) == (0.0, (), 0)
    assert (last_month.amount, last_month.period.days) == (0.0, 0)
    assert cost.requests_made == 0


@pytest.mark.parametrize(
    ("today", "start", "end"),
    [
        (date(2025, 3, 15), "2025-02-01", "2025-02-15"),
        (date(2025, 3, 31), "2025-02-01", "2025-03-01"),  # February is shorter: all of it
        (date(2025, 1, 20), "2024-12-01", "2024-12-20"),
    ],
)
def test_same_point_last_month(today: date, start: str, end: str) -> None:
    cost = CostExplorer()
    sent = sent_requests(cost)
    seed(total(start, end, "99.99"))

    last_month = cost.same_point_last_month(today)

    assert last_month.amount == pytest.approx(99.99)
    assert (last_month.period.start.isoformat(), last_month.period.end.isoformat()) == (start, end)
    assert sent[0]["TimePeriod"] == {"Start": start, "End": end}
    assert "GroupBy" not in sent[0]


def test_run_rate_forecast_is_labelled_an_estimate() -> None:
    cost = CostExplorer(forecast="run-rate")
    seed(by_service("2025-03-01", "2025-03-15", {"Amazon Elastic Compute Cloud - Compute": "140.00"}))
    mtd = cost.month_to_date_by_service(date(2025, 3, 15))

    forecast = cost.forecast_to_month_end(date(2025, 3, 15), mtd)

    # 14 days at 10 a day, carried over the 17 days from the 15th to the 31st.
    assert forecast.method == "run-rate-estimate"
    assert forecast.note is not None
    assert "estimate" in forecast.note
    assert (forecast.month_to_date, forecast.remaining, forecast.month_total) == pytest.approx((140, 170, 310))
    assert forecast.period == Period(date(2025, 3, 1), date(2025, 4, 1))
    assert cost.requests_made == 1  # the month-to-date passed in was not fetched again


def test_cost_explorer_forecast() -> None:
    cost = CostExplorer()
    seed(by_service("2025-06-01", "2025-06-11", {"AWS Lambda": "50.00"}))
    sent = answer(cost.ce, "GetCostForecast", {"Total": {"Amount": "95.5", "Unit": "USD"}, "ForecastResultsByTime": []})

    forecast = cost.forecast_to_month_end(date(2025, 6, 11))

    assert forecast.method == "cost-explorer"
    assert forecast.note is None
    assert (forecast.month_to_date, forecast.remaining, forecast.month_total) == pytest.approx((50, 95.5, 145.5))
    assert [json.loads(s["body"]) for s in sent] == [
        {
            "TimePeriod": {"Start": "2025-06-11", "End": "2025-07-01"},
            "Metric": "UNBLENDED_COST",
            "Granularity": "MONTHLY",
        }
    ]
    assert cost.requests_made == 2  # month-to-date, then the forecast


def test_forecast_falls_back_when_cost_explorer_has_too_little_history() -> None:
    cost = CostExplorer()
    seed(by_service("2025-06-01", "2025-06-05", {"AWS Lambda": "8.00"}))
    fail(cost.ce, "GetCostForecast", "DataUnavailableException", 400, "Insufficient amount of historical data")

    forecast = cost.forecast_to_month_end(date(2025, 6, 5))

    assert forecast.method == "run-rate-estimate"
    assert forecast.note == "Cost Explorer has too little history to forecast"
    # 4 days at 2 a day, carried over the 26 days from the 5th to the 30th.
    assert (forecast.remaining, forecast.month_total) == pytest.approx((52, 60))


def test_throttled_request_is_transient_with_request_id() -> None:
    cost = CostExplorer()
    fail(cost.ce, "GetCostAndUsage", "LimitExceededException", 400, "You made too many calls")

    with pytest.raises(TransientVendorError) as caught:
        cost.month_to_date_by_service(date(2025, 7, 9))

    error = caught.value
    assert (error.vendor, error.operation, error.status) == ("aws", "ce GetCostAndUsage", 400)
    assert error.request_id == STUB_REQUEST_ID
    assert error.detail == "LimitExceededException: You made too many calls"


def test_unknown_metric_is_refused() -> None:
    with pytest.raises(ValueError, match="unsupported metric"):
        CostExplorer(metric="Bananas")
