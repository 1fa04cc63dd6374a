"""The local engine: the same `state_machines/*.asl.json` files, executed by moto.

moto's Step Functions interpreter runs the definition; Lambda Task states run the real handlers
in this process (sandbox.dispatch); every AWS service is moto; Wait states and Retry intervals
run on virtual time (sandbox.clock); `.waitForTaskToken` approvals are answered by a policy
(approve, deny, time out, ask on the terminal, or wait for an answer through the API).
"""

from __future__ import annotations

import json
import logging
import os
import re
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, cast

import boto3

from functions.catalog import LAMBDAS
from functions.core import constants
from functions.core.config import PlatformConfig, load_config
from functions.core.manifest import STATUS_CHANGE
from sandbox import calls, clock
from sandbox.bus import LocalBus
from sandbox.dispatch import ACCOUNT, LambdaDispatcher
from sandbox.fakes.org import load_org
from sandbox.fakes.vendors import VendorSandbox
from sandbox.history import Step, steps_from_history
from sandbox.resources import LocalResources

ROOT = Path(__file__).resolve().parent.parent
STATE_MACHINES = ROOT / "state_machines"
DEFAULT_CONFIG = ROOT / "platform.example.yaml"
_PLACEHOLDER = re.compile(r"\$\{([A-Za-z0-9_]+)\}")
_POLL_S = 0.003
FINAL = ("SUCCEEDED", "FAILED", "TIMED_OUT", "ABORTED")
_STOP_WAIT_S = 10.0
_STOPPED, _STOPPED_CAUSE = "Engine.Stopped", "the local engine stopped while the execution was running"
_log = logging.getLogger("platform-automation.engine")


class EngineError(Exception):
    """A problem with what was asked of the engine (unknown workflow, bad definition)."""


class ApprovalRefused(EngineError):  # noqa: N818 - a verdict, as NotARequest is
    """The approval rules refused the answer (not an approver, the requester, decided already...)."""


@dataclass(frozen=True)
class PendingApproval:
    execution_id: str
    workflow: str
    state: str
    token: str
    request: Any  # the input of the Task that is waiting: what is being asked for


@dataclass(frozen=True)
class Decision:
    """An answer to a `.waitForTaskToken` task; `timeout` lets its TimeoutSeconds expire at once."""

    outcome: str  # "approved", "denied" or "timeout"
    approver: str = "local-cli"
    reason: str = ""

    def output(self) -> str:
        return json.dumps({"decision": self.outcome, "approver": self.approver, "reason": self.reason})


ApprovalPolicy = Callable[[PendingApproval], Decision | None]


# The approver of a policy that names nobody (`run --approve approved`, the terminal's prompt):
# it answers as one of the request's own approvers, whom the approval step never picks from the
# requester's keys.
ANY_APPROVER = "local-engine"
_REFUSED = "Engine.ApprovalRefused"


def fixed_policy(outcome: str, approver: str = ANY_APPROVER) -> ApprovalPolicy:
    """Answer every approval with `outcome`. A request stored by the approval step is decided
    through its rules: as `approver`, who must be one of its approvers (the requester, a stranger
    or someone deactivated is refused, and the request stays pending for a person to answer), or,
    when the policy names nobody, as the first of its approvers. Other waiting tasks get the
    decision as it is."""

    def answer(_: PendingApproval) -> Decision:
        return Decision(outcome, approver, f"answered '{outcome}' by the local engine's approval policy")

    return answer


def manual_policy(_: PendingApproval) -> None:
    """Leave the approval pending until someone answers it through `answer()` (the dev server)."""
    return


@dataclass
class Execution:
    id: str
    arn: str
    workflow: str
    input: Any
    status: str = "RUNNING"
    started: str = field(default_factory=lambda: datetime.now(UTC).isoformat())
    stopped: str | None = None
    output: Any = None
    error: str | None = None
    cause: str | None = None
    steps: list[Step] = field(default_factory=list)
    pending: list[PendingApproval] = field(default_factory=list)
    # Why the approval policy's answers were refused: a blocking run() stops on the first, since
    # nobody else is there to answer.
    refused: list[str] = field(default_factory=list)
    virtual_wait_s: float = 0.0
    duration_ms: int = 0
    calls: list[dict[str, Any]] = field(default_factory=list)
    done: threading.Event = field(default_factory=threading.Event, repr=False)

    def summary(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "workflow": self.workflow,
            "status": self.status,
            "started": self.started,
            "stopped": self.stopped,
        }

    def detail(self) -> dict[str, Any]:
        return {
            **self.summary(),
            "input": self.input,
            "output": self.output,
            "error": self.error,
            "cause": self.cause,
            "duration_ms": self.duration_ms,
            "virtual_wait_s": self.virtual_wait_s,
            "steps": [s.public() for s in self.steps],
            "pending_approvals": [{"state": p.state, "token": p.token, "request": p.request} for p in self.pending],
            "calls": self.calls,
        }


def workflows(directory: Path = STATE_MACHINES) -> list[str]:
    return sorted(p.name.removesuffix(".asl.json") for p in directory.glob("*.asl.json"))


class LocalEngine:
    """Runs workflows locally; use as a context manager (it owns moto's global mock)."""

    def __init__(
        self,
        config_path: str | Path = DEFAULT_CONFIG,
        state_machines: Path = STATE_MACHINES,
        approvals: ApprovalPolicy | None = None,
        seed: bool = True,
        *,
        org: dict[str, Any] | None = None,
        vendors: bool = True,
    ) -> None:
        self.config_path = Path(config_path).resolve()
        self.config: PlatformConfig = load_config(self.config_path)
        self.region = self.config.aws.region
        self.state_machines = state_machines
        self.approvals: ApprovalPolicy = approvals or fixed_policy("approved")
        self.seed = seed
        self.resources = LocalResources(self.region)
        self.dispatcher = LambdaDispatcher(LAMBDAS, self.region, self._environment())
        self.executions: dict[str, Execution] = {}
        self._machines: dict[str, str] = {}
        self._lock = threading.Lock()
        self._stopping = threading.Event()
        self._mock: Any = None
        self._dispatch_cm: Any = None
        self.bus = LocalBus(self.region, ACCOUNT, self._start_from_bus, self.dispatcher.invoke)
        self._bus_cm: Any = None
        self._sfn: Any = None
        self.org = org if org is not None else load_org()
        self._with_vendors = vendors
        self.vendors: VendorSandbox | None = None
        self._previous_sleeper: Callable[[float], None] | None = None
        from sandbox.dr_scenario import DrScenarios

        self.dr = DrScenarios(self.config)  # restore durations and data lag of DR targets, on virtual time
        self._dr_cm: Any = None
        self._cloudtrail_cm: Any = None

    def _environment(self) -> dict[str, str]:
        return {
            constants.CONFIG_FILE: str(self.config_path),
            constants.AUDIT_TABLE: self.resources.audit_table,
            constants.STATE_TABLE: self.resources.state_table,
            constants.EVIDENCE_BUCKET: self.resources.evidence_bucket,
            constants.IDEMPOTENCY_TABLE: self.resources.idempotency_table,
            constants.EVENT_BUS: self.resources.event_bus,
            constants.STATE_MACHINES: json.dumps(
                {
                    w: f"arn:aws:states:{self.region}:{ACCOUNT}:stateMachine:{w}"
                    for w in workflows(self.state_machines)
                    if w in self.config.workflows
                }
            ),
            constants.WORKFLOWS: json.dumps(self.config.workflows),
            "AWS_DEFAULT_REGION": self.region,
            constants.COST_FORECAST: "run-rate",  # moto has no GetCostForecast
            "POWERTOOLS_SERVICE_NAME": "platform-automation",
            "POWERTOOLS_LOG_LEVEL": os.environ.get("POWERTOOLS_LOG_LEVEL", "WARNING"),
            "POWERTOOLS_METRICS_NAMESPACE": "PlatformAutomation",
            "POWERTOOLS_METRICS_DISABLED": "true",
            "POWERTOOLS_TRACE_DISABLED": "true",
            "POWERTOOLS_DEV": "false",
        }

    # -- lifecycle -----------------------------------------------------------------------------

    def __enter__(self) -> LocalEngine:
        from moto import mock_aws

        # moto logs every failed execution with a full repr; the engine reports failures itself.
        logging.getLogger("moto").setLevel(logging.CRITICAL)
        os.environ.update(self._environment())
        self._mock = mock_aws(config={"stepfunctions": {"execute_state_machine": True}})
        self._mock.start()
        # Handlers cache their boto3 clients (functions.core.runtime): drop any made before this
        # mock started (outside moto, or for another region), so they talk to this moto world.
        from functions.core.runtime import reset_clients

        reset_clients()
        from functions.ingress import dedup

        dedup.reset()
        try:
            clock.install()
            self._dr_cm = self.dr.installed()
            self._dr_cm.__enter__()
            self._dispatch_cm = self.dispatcher.installed()
            self._dispatch_cm.__enter__()
            self._bus_cm = self.bus.installed()
            self._bus_cm.__enter__()
            from sandbox import cloudtrail

            self._cloudtrail_cm = cloudtrail.installed()  # moto has no LookupEvents
            self._cloudtrail_cm.__enter__()
            self.resources.create()
            if self.seed:
                from sandbox.seed import seed_aws
                from sandbox.seed_people import seed_people

                seed_aws(self.config, self.region)
                seed_people(self.config, self.region, self.org)
            if self._with_vendors:
                self._start_vendors()
        except BaseException:
            # `with` does not call __exit__ when __enter__ fails: stop the global mock here, or it
            # stays active for the rest of the process and the next engine shares its state.
            self.__exit__(None, None, None)
            raise
        return self

    def _start_vendors(self) -> None:
        from functions.adapters import retry, secrets
        from sandbox.fakes.credentials import seed_secrets

        seed_secrets(self.config, self.region)
        secrets.clear_cache()  # secrets cached from an earlier moto world are gone with it
        self.vendors = VendorSandbox(self.org)
        self.vendors.start()
        # Adapter retries wait on virtual time too: a Retry-After of 30 s costs nothing locally.
        self._previous_sleeper = retry.set_sleeper(clock.adapter_sleep)

    def __exit__(self, *exc: object) -> None:
        try:
            if self._mock is not None:
                self._stop_running()
        finally:  # whatever stopping them raised, moto's global mock must not outlive the engine
            self._teardown()

    def _teardown(self) -> None:
        if self.vendors is not None:
            self.vendors.stop()
            self.vendors = None
        if self._previous_sleeper is not None:
            from functions.adapters import retry

            retry.set_sleeper(self._previous_sleeper)
            self._previous_sleeper = None
        if self._bus_cm is not None:
            self._bus_cm.__exit__(None, None, None)
            self._bus_cm = None
        if self._cloudtrail_cm is not None:
            self._cloudtrail_cm.__exit__(None, None, None)
            self._cloudtrail_cm = None
        if self._dispatch_cm is not None:
            self._dispatch_cm.__exit__(None, None, None)
            self._dispatch_cm = None
        if self._dr_cm is not None:
            self._dr_cm.__exit__(None, None, None)
            self._dr_cm = None
        if self._mock is not None:
            self._mock.stop()
            self._mock = None
        self._sfn = None

    def _abort(self, execution: Execution, error: str, cause: str) -> bool:
        """Stop one running execution; False when moto never set it up or it ended meanwhile."""
        from botocore.exceptions import ClientError
        from moto.stepfunctions.parser.asl.eval.callback.callback import CallbackOutcomeSuccess
        from moto.stepfunctions.parser.asl.eval.program_state import ProgramStopped

        env = self._moto_env(execution.arn, wait_s=_STOP_WAIT_S)
        if env is None:
            _log.warning("%s: moto never set it up; nothing to stop", execution.id)
            return False
        try:
            self.sfn.stop_execution(executionArn=execution.arn, error=error, cause=cause)
        except ClientError:
            return False
        if not isinstance(env.program_state(), ProgramStopped):
            return False  # it ended on its own meanwhile: its follower reports how
        # moto's StopExecution leaves a task that waits for its token waiting (up to its
        # TimeoutSeconds). Wake it with an empty answer: the program, stopped already, runs no
        # further state and ends ABORTED (a timeout or a failure would turn it FAILED).
        pool = env.callback_pool_manager
        for token, endpoint in list(pool._pool.items()):
            if endpoint.get_outcome() is None:
                endpoint.notify(CallbackOutcomeSuccess(callback_id=token, output="null"))
        return True

    def _stop_running(self) -> None:
        """Stop what is still running with the engine: moto's interpreter threads and the followers
        would otherwise go on calling a moto world (and vendor fakes) that no longer exists."""
        self._stopping.set()
        with self._lock:
            running = [e for e in self.executions.values() if not e.done.is_set()]
        stopped = [e for e in running if self._abort(e, _STOPPED, _STOPPED_CAUSE)]
        for execution in stopped:
            if not execution.done.wait(_STOP_WAIT_S):
                _log.warning("%s: its follower did not end with the engine", execution.id)
            execution.status, execution.error, execution.cause = "ABORTED", _STOPPED, _STOPPED_CAUSE
            execution.stopped = execution.stopped or datetime.now(UTC).isoformat()

    @property
    def sfn(self) -> Any:
        # One client for the engine's life: the follower polls it every few milliseconds, and
        # creating a botocore client costs more than the call itself.
        if self._sfn is None:
            self._sfn = boto3.client("stepfunctions", region_name=self.region)
        return self._sfn

    # -- definitions ---------------------------------------------------------------------------

    def definition(self, workflow: str) -> str:
        path = self.state_machines / f"{workflow}.asl.json"
        if not path.is_file():
            known = ", ".join(workflows(self.state_machines)) or "none"
            raise EngineError(f"unknown workflow {workflow!r} (known: {known})")
        return self.substitute(path.read_text(encoding="utf-8"), path.name)

    def substitute(self, text: str, source: str = "definition") -> str:
        keys = {spec.substitution_key: self.dispatcher.arn(spec.name) for spec in LAMBDAS}
        missing = sorted({m for m in _PLACEHOLDER.findall(text) if m not in keys})
        if missing:
            raise EngineError(f"{source}: no Lambda in any manifest for ${{{'}, ${'.join(missing)}}}")
        return _PLACEHOLDER.sub(lambda m: keys[m.group(1)], text)

    def machine_arn(self, workflow: str, definition: str | None = None) -> str:
        with self._lock:
            if workflow not in self._machines:
                body = definition if definition is not None else self.definition(workflow)
                try:
                    json.loads(body)
                except json.JSONDecodeError as exc:
                    raise EngineError(f"{workflow}.asl.json is not valid JSON: {exc}") from None
                self._machines[workflow] = self.sfn.create_state_machine(
                    name=workflow,
                    definition=body,
                    roleArn=f"arn:aws:iam::{ACCOUNT}:role/platform-automation-local",
                )["stateMachineArn"]
            return self._machines[workflow]

    # -- executions ----------------------------------------------------------------------------

    def start(
        self,
        workflow: str,
        event: Any,
        dry_run: bool = False,
        on_step: Callable[[Step], None] | None = None,
        definition: str | None = None,
    ) -> Execution:
        """Start an execution and follow it on a background thread."""
        if self._stopping.is_set():
            raise EngineError("the local engine is stopping")
        machine = self.machine_arn(workflow, definition)
        payload = {**event, "dry_run": True} if dry_run and isinstance(event, dict) else event
        name = f"{workflow}-{datetime.now(UTC):%Y%m%dT%H%M%S}-{uuid.uuid4().hex[:8]}"
        arn = self.sfn.start_execution(stateMachineArn=machine, name=name, input=json.dumps(payload))["executionArn"]
        execution = Execution(id=name, arn=arn, workflow=workflow, input=payload)
        with self._lock:
            self.executions[name] = execution
        threading.Thread(target=self._follow, args=(execution, on_step), daemon=True, name=f"follow:{name}").start()
        return execution

    def _start_from_bus(self, workflow: str, detail: dict[str, Any]) -> Execution | None:
        try:
            return self.start(workflow, detail)
        except EngineError:
            logging.getLogger("platform-automation.engine").exception("route to %s failed", workflow)
            return None

    def run(
        self,
        workflow: str,
        event: Any,
        dry_run: bool = False,
        on_step: Callable[[Step], None] | None = None,
        definition: str | None = None,
    ) -> Execution:
        """Start and wait for the end. An approval the policy answered but the approval rules
        refused would wait for ever for someone else: the execution is stopped with the refusal
        as its cause instead."""
        execution = self.start(workflow, event, dry_run, on_step, definition)
        while not execution.done.wait(0.05):
            if execution.refused:
                cause = f"the approval policy's answer was refused: {execution.refused[0]}"
                if self._abort(execution, _REFUSED, cause):
                    execution.done.wait()
                    # moto's DescribeExecution does not keep a StopExecution's error and cause.
                    execution.status, execution.error, execution.cause = "ABORTED", _REFUSED, cause
                execution.done.wait()
        return execution

    def get(self, execution_id: str) -> Execution | None:
        with self._lock:
            return self.executions.get(execution_id)

    def _follow(self, execution: Execution, on_step: Callable[[Step], None] | None) -> None:
        started = time.perf_counter()
        calls_mark = calls.mark()
        reported: set[int] = set()
        seen: dict[str, PendingApproval | None] = {}
        try:
            while True:
                described = self.sfn.describe_execution(executionArn=execution.arn)
                status = described["status"]
                events = self._history(execution.arn)
                steps = steps_from_history(events, final=status in FINAL)
                if on_step is not None and status not in FINAL:
                    _report(steps, reported, on_step, only_finished=True)
                execution.steps = steps
                if status in FINAL:
                    break
                if not self._stopping.is_set():
                    self._answer_approvals(execution, seen)
                time.sleep(_POLL_S)
            if on_step is not None:
                _report(steps, reported, on_step, only_finished=False)
            execution.status = status
            execution.output = _output(described.get("output"))
            execution.error = described.get("error")
            execution.cause = described.get("cause")
            execution.stopped = datetime.now(UTC).isoformat()
        except Exception as exc:  # noqa: BLE001 - a broken follower must still end the execution record
            execution.status = "FAILED"
            execution.error = "Engine." + type(exc).__name__
            execution.cause = str(exc)
        finally:
            execution.pending = []
            execution.calls = calls.since(calls_mark)
            execution.duration_ms = round((time.perf_counter() - started) * 1000)
            execution.virtual_wait_s = clock.waited(execution.arn)
            self._publish_status_change(execution)
            execution.done.set()

    def _publish_status_change(self, execution: Execution) -> None:
        """Step Functions' "Execution Status Change" event of an execution that ended, routed as
        EventBridge delivers it to rules on the default bus (the DR janitor deletes the copies of a
        drill that was aborted or timed out). Not while the engine stops its executions itself."""
        if self._stopping.is_set() or execution.status not in FINAL:
            return
        detail = {
            "executionArn": execution.arn,
            "stateMachineArn": self._machines.get(execution.workflow, ""),
            "name": execution.id,
            "status": execution.status,
            "error": execution.error,
            "cause": execution.cause,
        }
        entry = {
            "Source": "aws.states",
            "DetailType": STATUS_CHANGE,
            "Detail": json.dumps(detail),
            "Resources": [execution.arn],
        }
        try:
            event = self.bus.envelope(entry)
            if self.bus.listened(event):  # recorded only where a route wants it, as EventBridge matches rules
                self.bus.route(event)
        except Exception:  # a route's failure must not break the execution record
            logging.getLogger("platform-automation.engine").exception("status change of %s", execution.id)

    def _history(self, arn: str) -> list[dict[str, Any]]:
        events: list[dict[str, Any]] = []
        kwargs: dict[str, Any] = {"executionArn": arn, "maxResults": 1000}
        while True:
            page = self.sfn.get_execution_history(**kwargs)
            events.extend(page["events"])
            if not page.get("nextToken"):
                return events
            kwargs["nextToken"] = page["nextToken"]

    # -- approvals -----------------------------------------------------------------------------

    def _callback_pool(self, arn: str) -> Any:
        env = self._moto_env(arn)
        return None if env is None else env.callback_pool_manager

    def _moto_env(self, arn: str, wait_s: float = 0.0) -> Any:
        """moto's interpreter environment of an execution, which moto sets up on a thread of its
        own just after StartExecution (None until then; `wait_s` waits for it)."""
        from moto.stepfunctions.parser.models import stepfunctions_parser_backends

        deadline = time.monotonic() + wait_s
        while True:
            backend = stepfunctions_parser_backends[ACCOUNT][self.region]
            for machine in backend.state_machines:
                for candidate in cast(list[Any], machine.executions):
                    env = getattr(candidate.exec_worker, "env", None)
                    if candidate.exec_arn == arn and env is not None:
                        return env
            if time.monotonic() >= deadline:
                return None
            time.sleep(_POLL_S)

    def _answer_approvals(self, execution: Execution, seen: dict[str, PendingApproval | None]) -> None:
        """Ask the policy about each new waiting token; `seen` maps token -> still pending (or None)."""
        pool = self._callback_pool(execution.arn)
        if pool is None:
            return
        new = [t for t, endpoint in list(pool._pool.items()) if t not in seen and endpoint.get_outcome() is None]
        if new:
            # The token can exist before its TaskScheduled event is in the history fetched for this
            # poll: read the history again, and leave a token whose event is still missing for later.
            events = self._history(execution.arn)
            running = [s for s in steps_from_history(events, final=False) if s.status == "RUNNING"]
            state = running[-1].name if running else "?"
            for token in new:
                found, request = _task_request(events, token)
                if not found:
                    continue  # not in the history yet: look again on the next poll
                approval = PendingApproval(execution.id, execution.workflow, state, token, request)
                decision = self.approvals(approval)
                if decision is not None:
                    refusal = self._settle(pool, approval, decision, as_configured_approver=True)
                    if refusal is not None:  # left for someone to answer through the API or Slack
                        _log.warning("%s: the approval policy's answer was refused: %s", execution.id, refusal)
                        execution.refused.append(f"{decision.approver} may not decide it: {refusal}")
                        decision = None
                seen[token] = approval if decision is None else None
        execution.pending = [p for t, p in seen.items() if p is not None and pool._pool[t].get_outcome() is None]

    def answer(self, execution_id: str, decision: Decision, token: str | None = None) -> PendingApproval:
        """Answer a pending approval of a running execution as `decision.approver` (an email; the
        dev server's route). A request stored by the approval step is decided through its rules,
        as its Slack buttons are: ApprovalRefused says why not. `timeout` lets the task time out."""
        execution = self.get(execution_id)
        if execution is None:
            raise EngineError(f"no execution {execution_id!r}")
        candidates = [p for p in execution.pending if token is None or p.token == token]
        if not candidates:
            raise EngineError(f"execution {execution_id} has no pending approval")
        pool = self._callback_pool(execution.arn)
        refusal = self._settle(pool, candidates[0], decision, as_configured_approver=False)
        if refusal is not None:
            raise ApprovalRefused(refusal)
        return candidates[0]

    def _settle(
        self, pool: Any, pending: PendingApproval, decision: Decision, *, as_configured_approver: bool
    ) -> str | None:
        """Hand `decision` to the waiting task; returns the refusal, if the approval rules refused it.
        The approval step's stored request is decided through functions/core/approvals.py, like a
        click in Slack; a waiting task that stored no request (a test's own Task) gets the decision
        as it is."""
        if decision.outcome == "timeout":
            from moto.stepfunctions.parser.asl.eval.callback.callback import CallbackOutcomeTimedOut

            pool.notify(pending.token, CallbackOutcomeTimedOut(callback_id=pending.token))
            return None
        from functions.adapters import vendors
        from functions.core import approvals
        from functions.core.runtime import config

        request = next((a for a in approvals.for_execution(pending.execution_id) if a.token == pending.token), None)
        if request is None:
            self.sfn.send_task_success(taskToken=pending.token, output=decision.output())
            return None
        # Decided as the deployed ingress decides: with the configuration the Lambdas run with now.
        os.environ.update(self.dispatcher.environment)
        who = decision.approver
        if as_configured_approver and who == ANY_APPROVER:
            who = next(iter(request.approvers.values()), who)
        reason = decision.reason or f"{decision.outcome} by {who} through the local engine"
        decided = approvals.decide_as(
            request.id,
            decision.outcome == "approved",
            who,
            reason=reason,
            channel="local-engine",
            config=config(),
            directory=vendors.directory(links=()),
        )
        return decided.refusal


def _report(steps: list[Step], reported: set[int], on_step: Callable[[Step], None], only_finished: bool) -> None:
    finished = sorted((s for s in steps if s.status != "RUNNING" or not only_finished), key=_end_order)
    for step in finished:
        if step.key not in reported:
            reported.add(step.key)
            on_step(step)


def _end_order(step: Step) -> tuple[datetime, int]:
    return (datetime.fromisoformat(step.started) + timedelta(milliseconds=step.duration_ms), step.key)


def _output(text: str | None) -> Any:
    """An execution's output. moto returns a string output as the bare string (`done`, not the JSON
    text `"done"` that AWS returns): keep it as that string instead of failing to parse it."""
    if not text:
        return None
    try:
        return json.loads(text)
    except json.JSONDecodeError:
        return text


def _task_request(events: list[dict[str, Any]], token: str) -> tuple[bool, Any]:
    """The payload of the Task that handed out `token`, once that Task's call has returned (the
    approval step has stored its request and posted it): (found, payload)."""
    previous = {event["id"]: event.get("previousEventId") for event in events}
    submitted = {previous.get(e.get("previousEventId")) for e in events if e["type"] == "TaskSubmitted"}
    for event in reversed(events):
        params = event.get("taskScheduledEventDetails", {}).get("parameters") or ""
        if event["type"] == "TaskScheduled" and token in params:
            if event["id"] not in submitted:  # TaskScheduled -> TaskStarted -> TaskSubmitted
                return False, None
            try:
                return True, json.loads(params).get("Payload", params)
            except (json.JSONDecodeError, AttributeError):
                return True, params
    return False, None


def load_event(path: str | Path) -> Any:
    """Reads an event file; raises EngineError with one clear line when it cannot."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise EngineError(f"event file not found: {path}") from None
    except OSError as exc:
        raise EngineError(f"cannot read event file {path}: {exc.strerror}") from None
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise EngineError(f"event file {path} is not valid JSON: {exc.msg} at line {exc.lineno}") from None
