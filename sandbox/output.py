"""What `platform-automation run` prints: steps as they finish, then a summary; or one JSON object."""

from __future__ import annotations

import json
import sys
import time
from typing import Any

from sandbox.engine import Decision, Execution, PendingApproval
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
        self._print(f"  execution id: {execution.id}")


def _short(text: str | None, limit: int = 160) -> str:
    text = (text or "").replace("\n", " ")
    return text if len(text) <= limit else text[: limit - 1] + "…"


def ask_policy(pending: PendingApproval) -> Decision:
    """Answer an approval on the terminal (stderr for the prompt, so --json output stays clean)."""
    print(
        f"\nApproval requested by {pending.workflow} at step {pending.state}:\n"
        f"{json.dumps(pending.request, indent=2, default=str)}",
        file=sys.stderr,
    )
    while True:
        print("Approve? [y]es / [n]o / [t]imeout: ", end="", file=sys.stderr, flush=True)
        answer = sys.stdin.readline().strip().lower()
        if answer in {"y", "yes"}:
            return Decision("approved", "cli-user")
        if answer in {"n", "no", ""}:
            return Decision("denied", "cli-user", "denied on the terminal")
        if answer in {"t", "timeout"}:
            return Decision("timeout", "cli-user")


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
