"""Cost Explorer: month-to-date spend by service, the same point last month, and a month-end forecast.

Cost Explorer is global (its endpoint is in us-east-1) and bills every API request, $0.01 each,
every page included: `requests_made` counts the calls this instance made so a workflow can report
(and bound) what its own cost checks cost.

Periods are end-exclusive, as in Cost Explorer. Month-to-date stops before `today`: today's data
is partial, and on the first of a month there is nothing to ask for (no request is made).

The forecast comes from GetCostForecast. AWS refuses it (DataUnavailableException) while an
account has too little history; then, or when built with `forecast="run-rate"`, the forecast is
the month-to-date daily run rate carried to the month's end, labelled
`method="run-rate-estimate"`. moto 5.2.5 does not implement GetCostForecast (it raises
NotImplementedError), so the local stack builds this adapter with `forecast="run-rate"`.
"""

from __future__ import annotations

import calendar
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from typing import TYPE_CHECKING, Any, Literal

from functions.adapters.aws_common import aws_errors, new_client

if TYPE_CHECKING:
    from mypy_boto3_ce.client import CostExplorerClient
    from mypy_boto3_ce.literals import MetricType
    from mypy_boto3_ce.type_defs import GetCostAndUsageRequestTypeDef, GroupDefinitionTypeDef

    from functions.core.config import PlatformConfig

CE = "ce"
REGION = "us-east-1"
PRICE_PER_REQUEST_USD = 0.01
# GetCostAndUsage names metrics in CamelCase, GetCostForecast in UPPER_SNAKE.
_FORECAST_METRIC: dict[str, MetricType] = {
    "UnblendedCost": "UNBLENDED_COST",
    "NetUnblendedCost": "NET_UNBLENDED_COST",
    "AmortizedCost": "AMORTIZED_COST",
    "NetAmortizedCost": "NET_AMORTIZED_COST",
    "BlendedCost": "BLENDED_COST",
}
ForecastMethod = Literal["cost-explorer", "run-rate"]


@dataclass(frozen=True)
class Period:
    start: date
    end: date  # exclusive

    @property
    def days(self) -> int:
        return (self.end - self.start).days


@dataclass(frozen=True)
class ServiceCost:
    service: str
    amount: float


@dataclass(frozen=True)
class CostBreakdown:
    total: float
    currency: str
    services: tuple[ServiceCost, ...]  # the top N, largest first
    other: float  # everything outside the top N
    period: Period
    estimated: bool  # Cost Explorer marks recent, not yet final, figures as estimated


@dataclass(frozen=True)
class PeriodCost:
    amount: float
    currency: str
    period: Period
    estimated: bool


@dataclass(frozen=True)
class Forecast:
    month_total: float  # month_to_date + remaining
    month_to_date: float
    remaining: float  # from `today` to the month's end
    currency: str
    period: Period  # the whole month
    method: Literal["cost-explorer", "run-rate-estimate"]
    note: str | None = None


def month_start(day: date) -> date:
    return day.replace(day=1)


def next_month_start(day: date) -> date:
    return month_start(day) + timedelta(days=calendar.monthrange(day.year, day.month)[1])


class CostExplorer:
    def __init__(
        self,
        *,
        client: CostExplorerClient | None = None,
        metric: str = "UnblendedCost",
        forecast: ForecastMethod = "cost-explorer",
    ) -> None:
        if metric not in _FORECAST_METRIC:
            raise ValueError(f"unsupported metric {metric!r}: one of {', '.join(_FORECAST_METRIC)}")
        self.metric = metric
        self.forecast_method = forecast
        self.requests_made = 0
        self._client: CostExplorerClient | None = None
        if client is not None:
            self._attach(client)

    @classmethod
    def from_config(cls, config: PlatformConfig, *, forecast: ForecastMethod = "cost-explorer") -> CostExplorer:
        del config  # Cost Explorer needs no settings of ours: one global endpoint, the Lambda role's account
        return cls(forecast=forecast)

    def _attach(self, client: CostExplorerClient) -> None:
        # before-call fires once per API call (each page is one). botocore's retries of a throttled
        # or failed call are not counted: AWS bills the requests it serves.
        client.meta.events.register("before-call.cost-explorer", self._count)
        self._client = client

    def _count(self, **_: Any) -> None:
        self.requests_made += 1

    @property
    def ce(self) -> CostExplorerClient:
        client = self._client
        if client is None:
            client = new_client(CE, REGION)
            self._attach(client)
        return client

    @property
    def requests_cost_usd(self) -> float:
        return round(self.requests_made * PRICE_PER_REQUEST_USD, 2)

    def _query(self, period: Period, group_by: list[GroupDefinitionTypeDef]) -> tuple[dict[str, Decimal], str, bool]:
        """Amounts by group key ("" when ungrouped), currency, estimated; every page."""
        request: GetCostAndUsageRequestTypeDef = {
            "TimePeriod": {"Start": period.start.isoformat(), "End": period.end.isoformat()},
            "Granularity": "MONTHLY",
            "Metrics": [self.metric],
        }
        if group_by:
            request["GroupBy"] = group_by
        amounts: dict[str, Decimal] = {}
        currency = "USD"
        estimated = False
        while True:
            with aws_errors(CE, "GetCostAndUsage"):
                page = self.ce.get_cost_and_usage(**request)
            for result in page.get("ResultsByTime", []):
                estimated = estimated or bool(result.get("Estimated"))
                # Grouped results carry their amounts in Groups and leave Total empty.
                if group_by:
                    rows = [(g.get("Keys", [""])[0], g.get("Metrics", {})) for g in result.get("Groups", [])]
                else:
                    rows = [("", result.get("Total", {}))]
                for key, metrics in rows:
                    value = metrics.get(self.metric, {})
                    amounts[key] = amounts.get(key, Decimal(0)) + Decimal(value.get("Amount", "0"))
                    currency = value.get("Unit") or currency
            token = page.get("NextPageToken")
            if not token:
                return amounts, currency, estimated
            request["NextPageToken"] = token

    def month_to_date_by_service(self, today: date, top_n: int = 5) -> CostBreakdown:
        period = Period(month_start(today), today)
        if period.days == 0:
            return CostBreakdown(0.0, "USD", (), 0.0, period, estimated=False)
        amounts, currency, estimated = self._query(period, [{"Type": "DIMENSION", "Key": "SERVICE"}])
        ranked = sorted(amounts.items(), key=lambda item: item[1], reverse=True)
        top = tuple(ServiceCost(service, float(amount)) for service, amount in ranked[:top_n])
        other = sum((amount for _, amount in ranked[top_n:]), Decimal(0))
        total = sum(amounts.values(), Decimal(0))
        return CostBreakdown(float(total), currency, top, float(other), period, estimated)

    def same_point_last_month(self, today: date) -> PeriodCost:
        """Last month's spend over as many days as this month has had (clamped to its length)."""
        start = month_start(month_start(today) - timedelta(days=1))
        period = Period(start, min(start + timedelta(days=today.day - 1), month_start(today)))
        if period.days == 0:
            return PeriodCost(0.0, "USD", period, estimated=False)
        amounts, currency, estimated = self._query(period, [])
        return PeriodCost(float(sum(amounts.values(), Decimal(0))), currency, period, estimated)

    def forecast_to_month_end(self, today: date, month_to_date: CostBreakdown | None = None) -> Forecast:
        """The month's expected total. Pass the month-to-date breakdown already fetched to save a request."""
        mtd = month_to_date if month_to_date is not None else self.month_to_date_by_service(today, top_n=0)
        if self.forecast_method == "run-rate":
            return self._run_rate(today, mtd, note=None)
        month = Period(month_start(today), next_month_start(today))
        with aws_errors(CE, "GetCostForecast"):
            try:
                response = self.ce.get_cost_forecast(
                    TimePeriod={"Start": today.isoformat(), "End": month.end.isoformat()},
                    Metric=_FORECAST_METRIC[self.metric],
                    Granularity="MONTHLY",
                )
            except self.ce.exceptions.DataUnavailableException:
                return self._run_rate(today, mtd, note="Cost Explorer has too little history to forecast")
        remaining = Decimal(response["Total"].get("Amount", "0"))
        return Forecast(
            month_total=float(Decimal(str(mtd.total)) + remaining),
            month_to_date=mtd.total,
            remaining=float(remaining),
            currency=response["Total"].get("Unit") or mtd.currency,
            period=month,
            method="cost-explorer",
        )

    def _run_rate(self, today: date, mtd: CostBreakdown, note: str | None) -> Forecast:
        month = Period(month_start(today), next_month_start(today))
        elapsed = mtd.period.days
        left = (month.end - today).days
        if elapsed == 0:
            remaining = Decimal(0)
            note = "; ".join(filter(None, [note, "no spend recorded yet this month: nothing to extrapolate"]))
        else:
            remaining = Decimal(str(mtd.total)) / elapsed * left
        return Forecast(
            month_total=float(Decimal(str(mtd.total)) + remaining),
            month_to_date=mtd.total,
            remaining=float(remaining),
            currency=mtd.currency,
            period=month,
            method="run-rate-estimate",
            note=note or f"estimate: {elapsed} days' average carried over the {left} days left",
        )
