"""The platform's own metrics are written as EMF with their own dimensions, and never to a local
run's stdout."""

from __future__ import annotations

import json

from functions.core import metrics


def test_a_count_is_one_emf_record_with_its_dimensions(monkeypatch, capsys) -> None:
    monkeypatch.setenv("POWERTOOLS_METRICS_DISABLED", "false")
    metrics.count(metrics.VENDOR_RETRIES, vendor="okta")
    record = json.loads(capsys.readouterr().out)
    (directive,) = record["_aws"]["CloudWatchMetrics"]
    assert directive["Namespace"] == metrics.NAMESPACE
    assert directive["Metrics"] == [{"Name": metrics.VENDOR_RETRIES, "Unit": "Count"}]
    assert record["vendor"] == "okta"
    assert record[metrics.VENDOR_RETRIES] in (1.0, [1.0])


def test_locally_nothing_is_printed(monkeypatch, capsys) -> None:
    monkeypatch.setenv("POWERTOOLS_METRICS_DISABLED", "true")
    metrics.count(metrics.COMPENSATED, workflow="onboarding")
    assert capsys.readouterr().out == ""
