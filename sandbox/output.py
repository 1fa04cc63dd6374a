"""What `platform-automation run` prints: steps as they finish, then a summary; or one JSON object."""

from __future__ import annotations

import json
import sys
import time
from typing import Any

from sandbox.engine import ANY_APPROVER, Decision, Execution, PendingApproval
from sandbox.history import Step

_OUTPUT_LINES = 80
_MARKS = {"SUCCEEDED": "ok ", "FAILED": "ERR", "RUNNING": "..."}


class HumanReporter:
    def __init__(self, workflow: str, dry_run: bool, stream: Any = None) -> None:
        self.workflow = workflow
        self.dry_run = dry_run
        self.stream = stream or sys.stdout
        self._started = time.perf_counter()

    def _print(self, text: str) -> None:
        print(text, file=self.stream, flush=True)

    def started(self) -> None:
        self._started = time.perf_counter()
        mode = " (dry run: nothing will be changed)" if self.dry_run else ""
        self._print(f"▶ {self.workflow}{mode}")

    def step(self, step: Step) -> None:
        where = f"{step.path}/" if step.path else ""
        retries = f"  after {step.attempts - 1} retries" if step.attempts > 1 else ""
        name = f"{where}{step.name}"
        line = f"  {_MARKS.get(step.status, step.status)} {name:<32} {step.duration_ms:>6} ms{retries}"
        if step.status == "FAILED" and step.error:
            line += f"  {step.error}: {_short(step.cause)}"
        self._print(line)

    def finished(self, execution: Execution) -> None:
        wall = time.perf_counter() - self._started
        self._print(
            f"■ {execution.workflow} {execution.status} in {wall:.2f} s, {len(execution.steps)} steps"
            + (f", {execution.virtual_wait_s:.0f} s of waits compressed" if execution.virtual_wait_s else "")
        )
        if execution.error:
            self._print(f"  error: {execution.error}: {_short(execution.cause, 300)}")
        if execution.output is not None:
            lines = json.dumps(execution.output, indent=2, default=str).splitlines()
            shown = lines[:_OUTPUT_LINES] + (
                [f"… {len(lines) - _OUTPUT_LINES} more lines (--json for all)"] if len(lines) > _OUTPUT_LINES else []
            )
            self._print("  output:\n" + "\n".join("    " + line for line in shown))
        sent = sent_messages(execution.calls)
        if sent:
            self._print("  sent:\n" + "\n".join("    " + line for line in sent))
        self._print(f"  execution id: {execution.id}")


_MESSAGE_LINES = 40


def sent_messages(calls: list[dict[str, Any]]) -> list[str]:
    """What the execution told people, from the calls log: Slack messages (Block Kit shown as text)
    and PagerDuty events."""
    lines: list[str] = []
    for call in calls:
        raw = call.get("body")
        body: dict[str, Any] = raw if isinstance(raw, dict) else {}
        path, failed = str(call.get("path", "")), int(call.get("status") or 0) >= 400
        status = f" [HTTP {call.get('status')}]" if failed else ""
        if call.get("service") == "slack" and path in ("/api/chat.postMessage", "/api/chat.update"):
            where = str(body.get("channel", "?")) + (" (thread)" if body.get("thread_ts") else "")
            lines.extend(_message(f"slack {where}{status}", body))
        elif call.get("service") == "slack" and path.startswith("/commands/"):
            lines.extend(_message(f"slack reply to the command{status}", body))
        elif call.get("service") == "pagerduty" and path == "/v2/enqueue":
            payload = body.get("payload") if isinstance(body.get("payload"), dict) else {}
            event = f"pagerduty {body.get('event_action', '?')} {body.get('dedup_key', '')}{status}"
            if payload:
                event += f" ({payload.get('severity')}): {_short(str(payload.get('summary', '')), 300)}"
            lines.append(event)
    return lines


def _message(where: str, body: dict[str, Any]) -> list[str]:
    """The notification text, then the blocks as text (or the rest of a plain text message)."""
    first, *rest = str(body.get("text", "")).splitlines() or [""]
    details = _blocks_text(body.get("blocks")) if body.get("blocks") else rest
    return [f"{where}: {_short(first, 300)}", *(f"  | {line}" for line in details[:_MESSAGE_LINES])]


def _blocks_text(blocks: Any) -> list[str]:
    if isinstance(blocks, str):
        try:
            blocks = json.loads(blocks)
        except json.JSONDecodeError:
            return []
    out: list[str] = []
    for block in blocks if isinstance(blocks, list) else []:
        if not isinstance(block, dict):
            continue
        texts = [block.get("text"), *(block.get("fields") or []), *(block.get("elements") or [])]
        for item in texts:
            if isinstance(item, dict) and item.get("type") == "button":
                out.append(f"[{(item.get('text') or {}).get('text', '')}]")
            elif isinstance(item, dict) and item.get("text"):
                out.extend(str(item["text"]).splitlines())
    return out


def _short(text: str | None, limit: int = 160) -> str:
    text = (text or "").replace("\n", " ")
    return text if len(text) <= limit else text[: limit - 1] + "…"


def ask_policy(pending: PendingApproval) -> Decision:
    """Answer an approval on the terminal (stderr for the prompt, so --json output stays clean), as
    one of the request's approvers: the approval rules still refuse the requester."""
    print(
        f"\nApproval requested by {pending.workflow} at step {pending.state}:\n"
        f"{json.dumps(pending.request, indent=2, default=str)}",
        file=sys.stderr,
    )
    while True:
        print("Approve? [y]es / [n]o / [t]imeout: ", end="", file=sys.stderr, flush=True)
        answer = sys.stdin.readline().strip().lower()
        if answer in {"y", "yes"}:
            return Decision("approved", ANY_APPROVER)
        if answer in {"n", "no", ""}:
            return Decision("denied", ANY_APPROVER, "denied on the terminal")
        if answer in {"t", "timeout"}:
            return Decision("timeout", ANY_APPROVER)


def result_json(execution: Execution) -> dict[str, Any]:
    detail = execution.detail()
    return {
        "workflow": execution.workflow,
        "status": execution.status,
        "output": execution.output,
        "steps": [
            {"name": s.name, "status": s.status, "duration_ms": s.duration_ms, **_extra(s)} for s in execution.steps
        ],
        "calls": execution.calls,
        "execution_id": execution.id,
        "error": execution.error,
        "cause": execution.cause,
        "duration_ms": detail["duration_ms"],
        "virtual_wait_s": execution.virtual_wait_s,
    }


def _extra(step: Step) -> dict[str, Any]:
    public = step.public()
    return {k: public[k] for k in ("path", "attempts", "error", "cause") if k in public}
