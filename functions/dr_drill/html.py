"""The drill's readable report: one HTML page an auditor can open from the evidence bucket."""

from __future__ import annotations

from html import escape
from typing import Any

_STYLE = (
    "body{font-family:sans-serif;margin:2em}table{border-collapse:collapse}td,th{border:1px solid #ccc;"
    "padding:4px 8px;text-align:left;vertical-align:top}.pass{color:#060}.fail{color:#a00}"
)


def _minutes(value: Any) -> str:
    return "-" if value is None else f"{value:g}"


def render(evidence: dict[str, Any]) -> str:
    rows = []
    for t in evidence["targets"]:
        verdict = '<b class="pass">passed</b>' if t["passed"] else '<b class="fail">FAILED</b>'
        runbook = t.get("runbook") or {}
        fresh = (
            [f"runbook {runbook['runbook']} changed {runbook['age_days']:g} days ago"]
            if runbook and not runbook["finding"] and runbook["age_days"] is not None
            else []
        )
        notes = [*t["problems"], *t["findings"], *fresh, *([t["trend"]["text"]] if t.get("trend") else [])]
        rows.append(
            "<tr>"
            + "".join(
                f"<td>{cell}</td>"
                for cell in (
                    escape(t["target"]),
                    escape(t["tier"]),
                    escape(f"{t['kind']} {t['method']}"),
                    escape(t.get("restore_from") or "-"),
                    f"{_minutes(t['rto_achieved_minutes'])} / {t['rto_minutes']}",
                    f"{_minutes(t['rpo_achieved_minutes'])} / {t['rpo_minutes']}",
                    escape(str(t["verified"])),
                    escape(str(t["cleaned_up"])),
                    verdict,
                    "<br>".join(escape(n) for n in notes) or "-",
                )
            )
            + "</tr>"
        )
    tiers = "".join(
        f"<li>{escape(name)}: {tier['passed']}/{len(tier['targets'])} passed"
        + (f" (failed: {escape(', '.join(tier['failed']))})" if tier["failed"] else "")
        + "</li>"
        for name, tier in evidence["tiers"].items()
    )
    head = "<th>" + "</th><th>".join(
        ("target", "tier", "kind / method", "restored from", "RTO min (achieved / target)",
         "RPO min (achieved / target)", "verified", "cleaned up", "result", "problems, findings, trend")
    ) + "</th>"  # fmt: skip
    title = f"DR drill {escape(evidence['execution_id'])}"
    return (
        f"<!doctype html><html><head><meta charset='utf-8'><title>{title}</title><style>{_STYLE}</style></head>"
        f"<body><h1>{title}</h1><p>{escape(evidence['summary'])}. Started {escape(evidence['started'])}, "
        f"finished {escape(evidence['finished_at'])}{' (dry run: nothing restored)' if evidence['dry_run'] else ''}."
        f"</p><h2>Tiers</h2><ul>{tiers}</ul><h2>Targets</h2><table><tr>{head}</tr>{''.join(rows)}</table>"
        "<p>RTO achieved: from the restore request to the copy verified usable, waits included. RPO achieved: "
        "the drill's start minus the restore point.</p></body></html>"
    )
