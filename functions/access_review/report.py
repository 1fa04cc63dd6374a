"""Evidence: per campaign, in the evidence bucket under access-review/<campaign>/: the snapshot
(JSON lines per system, written by Collect), findings.json, decisions.jsonl, revocations.jsonl,
review.csv for auditors, report.html (per system, per reviewer, per finding kind; no JavaScript)
and manifest.json with the SHA-256 of every file. A summary in slack.channels.security."""

from __future__ import annotations

import csv
import hashlib
import html
import io
import json
from collections import Counter
from typing import Any

from functions.access_review.snapshot import key
from functions.core.change import ChangeContext
from functions.core.text import mrkdwn

COLUMNS = (
    "finding_id",
    "kind",
    "system",
    "person",
    "account",
    "grant",
    "evidence",
    "suggested",
    "reviewer",
    "decision",
    "decided_by",
    "decided_at",
    "reason",
    "revocation",
    "revocation_detail",
)


def rows(
    findings: list[dict[str, Any]], decisions: dict[str, dict[str, Any]], revocations: dict[str, dict[str, Any]]
) -> list[dict[str, Any]]:
    out = []
    for f in findings:
        d, r = decisions.get(f["id"], {}), revocations.get(f["id"], {})
        out.append(
            {
                "finding_id": f["id"],
                "kind": f["kind"],
                "system": f["system"],
                "person": f["person"],
                "account": f["account"],
                "grant": f["grant"],
                "evidence": f["evidence"],
                "suggested": f["suggested"],
                "reviewer": f["reviewer"] or "(nobody: no reviewer found)",
                "decision": d.get("status", "not asked"),
                "decided_by": d.get("decided_by", ""),
                "decided_at": d.get("decided_at", ""),
                "reason": d.get("reason", ""),
                "revocation": r.get("status", ""),
                "revocation_detail": r.get("detail", ""),
            }
        )
    return out


def to_csv(table: list[dict[str, Any]]) -> bytes:
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=COLUMNS)
    writer.writeheader()
    for row in table:
        # A cell starting with = + - @ is a formula to a spreadsheet: quote it as text.
        writer.writerow({k: ("'" + str(v)) if str(v)[:1] in "=+-@" else v for k, v in row.items()})
    return buffer.getvalue().encode()


def _table(title: str, table: list[dict[str, Any]], columns: tuple[str, ...]) -> str:
    head = "".join(f"<th>{html.escape(c)}</th>" for c in columns)
    body = "".join(
        "<tr>" + "".join(f"<td>{html.escape(str(r.get(c, '')))}</td>" for c in columns) + "</tr>" for r in table
    )
    return f"<h3>{html.escape(title)}</h3><table><tr>{head}</tr>{body}</table>"


def to_html(campaign: str, table: list[dict[str, Any]], counts: dict[str, Any]) -> bytes:
    parts = [
        f"<!doctype html><html><head><meta charset='utf-8'><title>Access review {html.escape(campaign)}</title>",
        "<style>body{font-family:sans-serif}table{border-collapse:collapse;margin-bottom:1em}"
        "td,th{border:1px solid #999;padding:2px 6px;font-size:13px}</style></head><body>",
        f"<h1>Access review {html.escape(campaign)}</h1>",
        "<p>" + html.escape(", ".join(f"{k}: {v}" for k, v in counts.items())) + "</p>",
    ]
    cols = ("person", "account", "grant", "evidence", "suggested", "decision", "decided_by", "revocation")
    for heading, field in (("By system", "system"), ("By reviewer", "reviewer"), ("By finding kind", "kind")):
        parts.append(f"<h2>{heading}</h2>")
        for value in sorted({r[field] for r in table}):
            parts.append(_table(f"{value}", [r for r in table if r[field] == value], cols))
    parts.append("</body></html>")
    return "".join(parts).encode()


def report(
    campaign: str,
    findings: list[dict[str, Any]],
    decisions: dict[str, dict[str, Any]],
    revocations: dict[str, dict[str, Any]],
    snapshot_keys: list[str],
    *,
    s3: Any,
    bucket: str,
    changes: ChangeContext,
    slack: Any,
    channel: str,
) -> dict[str, Any]:
    table = rows(findings, decisions, revocations)
    status = Counter(r["revocation"] for r in table if r["revocation"])
    counts = {
        "findings": len(findings),
        **{f"kind {k}": v for k, v in sorted(Counter(f["kind"] for f in findings).items())},
        "kept": sum(1 for r in table if r["decision"] == "keep"),
        "revoked": sum(1 for r in table if r["decision"] == "revoke"),
        "defaulted": sum(1 for r in table if r["decided_by"] == "default"),
        **{f"revocations {k}": v for k, v in sorted(status.items())},
    }
    files = {
        "findings.json": json.dumps(findings, indent=2, sort_keys=True).encode(),
        "decisions.jsonl": "".join(json.dumps(d, sort_keys=True) + "\n" for d in decisions.values()).encode(),
        "revocations.jsonl": "".join(json.dumps(r, sort_keys=True) + "\n" for r in revocations.values()).encode(),
        "review.csv": to_csv(table),
        "report.html": to_html(campaign, table, counts),
    }
    for name, body in files.items():
        s3.put_object(Bucket=bucket, Key=key(campaign, name), Body=body)
    hashes = {name: hashlib.sha256(body).hexdigest() for name, body in files.items()}
    for snap in snapshot_keys:
        hashes[snap.removeprefix(key(campaign, ""))] = hashlib.sha256(
            s3.get_object(Bucket=bucket, Key=snap)["Body"].read()
        ).hexdigest()
    manifest = {
        "campaign": campaign,
        "dry_run": changes.dry_run,
        "counts": counts,
        "sha256": dict(sorted(hashes.items())),
    }
    s3.put_object(Bucket=bucket, Key=key(campaign, "manifest.json"), Body=json.dumps(manifest, indent=2).encode())
    location = f"s3://{bucket}/{key(campaign, '')}"
    changes.record("aws", "s3:PutObject", location, after={"files": sorted(hashes)})
    text = (
        f"*Access review {mrkdwn(campaign)}*{' (dry run)' if changes.dry_run else ''}: "
        + mrkdwn(", ".join(f"{k} {v}" for k, v in counts.items()))
        + f"\nEvidence: {mrkdwn(location)}"
    )
    changes.change(
        "slack",
        "chat.postMessage",
        channel,
        lambda: slack.post_message(channel, text),
        line=f"reported the access review to {channel}",
    )
    return {"evidence": location, "counts": counts, "summary": changes.summary[-1] if changes.summary else ""}
