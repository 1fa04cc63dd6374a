"""`platform-automation`: run workflows locally, serve the local stack, validate configuration."""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

EXIT_USAGE = 2
ROOT = Path(__file__).resolve().parent.parent


def _config_path(args: argparse.Namespace) -> str:
    return str(args.config or os.environ.get("PLATFORM_CONFIG") or ROOT / "platform.example.yaml")


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="platform-automation",
        description="Event-driven automation of Okta, GitHub, Slack, PagerDuty and AWS; runs locally on "
        "moto and vendor fakes, or in AWS after `cdk deploy`.",
    )
    parser.add_argument(
        "--config", help="organisation config file (default: $PLATFORM_CONFIG or platform.example.yaml)"
    )
    sub = parser.add_subparsers(dest="command", required=True)

    run = sub.add_parser("run", help="run one workflow locally and show each step")
    run.add_argument("workflow", help="name of a state_machines/*.asl.json file, without .asl.json")
    run.add_argument(
        "--event",
        required=True,
        action="append",
        help="JSON file with the execution input (see events/); repeat it to run the workflow once per file, in "
        "order, on the same local stack (e.g. an evening's off-hours stop, then the next morning's start)",
    )
    run.add_argument("--dry-run", action="store_true", help="plan and report, change nothing")
    run.add_argument("--json", action="store_true", help="print exactly one JSON object per run with its result")
    run.add_argument(
        "--approve",
        choices=["approved", "denied", "timeout", "ask"],
        default="approved",
        help="how approval steps are answered (default: approved; 'ask' prompts on the terminal)",
    )
    run.add_argument(
        "--restore",
        action="append",
        default=[],
        metavar="TARGET=minutes:N,lag:N",
        help="DR drill: make TARGET's restore take N virtual minutes and its latest restorable point N minutes "
        "old (sandbox/dr_scenario.py); repeatable",
    )

    serve = sub.add_parser("serve", help="run the local server (executions, sandbox state)")
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=int, default=8080)
    for command in (run, serve):
        _sandbox_options(command)

    sub.add_parser(
        "demo",
        help="onboard and offboard a new hire, a billing alarm, off-hours and a DR drill, on one stack (make demo)",
    )
    sub.add_parser("synth", help="synthesize the CDK app (same as `make synth`)")
    sub.add_parser("workflows", help="list the workflows that can be run")

    config = sub.add_parser("config", help="configuration commands")
    config_sub = config.add_subparsers(dest="config_command", required=True)
    validate = config_sub.add_parser("validate", help="validate a configuration file")
    validate.add_argument("file")
    return parser


def _sandbox_options(parser: argparse.ArgumentParser) -> None:
    group = parser.add_argument_group("vendor sandbox")
    group.add_argument("--org", help="fixture organisation for the vendor fakes (default: sandbox/fixtures/org.yaml)")
    group.add_argument("--org-size", type=int, help="generate an organisation of this many people (scale tests)")
    group.add_argument(
        "--fault",
        action="append",
        default=[],
        metavar="SERVICE:STATUS[,key=value]",
        help="inject vendor failures, e.g. okta:429,count=3,retry_after_s=2 or github:500,rate=0.2 or "
        "slack:latency_ms=300,status=none (keys: status, rate, count, retry_after_s, latency_ms, match); repeatable",
    )
    group.add_argument(
        "--argocd",
        action="append",
        default=[],
        metavar="APP=HEALTH[,phase=PHASE][,healthy_for_s=N]",
        help="how an Argo CD application's next sync ends, e.g. orders-api-staging=Degraded, web=Missing,phase=Failed, "
        "web=Healthy,healthy_for_s=40 (Healthy, then Degraded 40 s later); repeat it for the syncs after",
    )


def _sandbox_settings(args: argparse.Namespace) -> tuple[dict[str, Any] | None, list[tuple[str, Any]]]:
    """The fixture organisation and the faults the options ask for; ValueError says what is wrong."""
    from sandbox.fakes.argocd import parse_next_sync
    from sandbox.fakes.org import generate_org, load_org
    from sandbox.fakes.vendors import parse_fault

    faults: list[tuple[str, Any]] = [parse_fault(text) for text in args.fault]
    faults += [("argocd", parse_next_sync(text)) for text in args.argocd]
    try:
        org = load_org(args.org) if args.org else None
    except (OSError, TypeError) as exc:
        raise ValueError(f"cannot load --org {args.org}: {exc}") from None
    if args.org_size is not None:
        if args.org_size < 1:
            raise ValueError("--org-size must be at least 1")
        org = generate_org(args.org_size, base=org)
    return org, faults


def _fail(message: str) -> int:
    print(f"platform-automation: {message}", file=sys.stderr)
    return EXIT_USAGE


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    if args.command == "config":
        return _validate(args.file)
    if args.command == "synth":
        return subprocess.call(["make", "-C", str(ROOT), "synth"])  # noqa: S603, S607 - fixed argv, make from PATH
    if args.command == "workflows":
        return _list_workflows()
    if args.command == "serve":
        return _serve(args)
    if args.command == "demo":
        from sandbox.demo import run_demo

        return run_demo(_config_path(args))
    return _run(args)


def _unrunnable(workflow: str, dry_run: bool, known: list[str]) -> str | None:
    from functions.core import registry

    if workflow not in known:
        return f"unknown workflow {workflow!r} (known: {', '.join(known)})"
    manifest = registry.workflows().get(workflow)
    if dry_run and manifest is not None and not manifest.dry_run:
        return f"{workflow} does not support --dry-run"
    return None


def _list_workflows() -> int:
    """Each workflow with what starts it, from its manifest."""
    from functions.core import registry

    for name, workflow in registry.workflows().items():
        starts = [route.name for route in workflow.routes]
        starts += [f"schedule {schedule.name}" for schedule in workflow.schedules]
        if workflow.command:
            starts.append(f"/platform {workflow.command.name}")
        print(f"{name:<12} {workflow.description}")
        print(f"{'':<12} started by: {', '.join(starts) or 'run only'}; samples: {', '.join(workflow.samples) or '-'}")
    return 0


def _validate(path: str) -> int:
    from functions.core.config import ConfigError, load_config

    try:
        config = load_config(path)
    except ConfigError as exc:
        print(f"{path}: {len(exc.problems)} problem(s)", file=sys.stderr)
        for problem in exc.problems:
            print(f"  {problem}", file=sys.stderr)
        return 1
    print(f"{path}: valid. {config.summary()}")
    return 0


def _run(args: argparse.Namespace) -> int:
    from functions.core.config import ConfigError
    from sandbox.engine import EngineError, LocalEngine, load_event, workflows
    from sandbox.intake import as_input
    from sandbox.output import HumanReporter, ask_policy, result_json

    problem = _unrunnable(args.workflow, args.dry_run, workflows())
    if problem:
        return _fail(problem)
    try:
        events = [load_event(path) for path in args.event]
    except EngineError as exc:
        return _fail(str(exc))
    from sandbox.engine import fixed_policy

    try:
        org, faults = _sandbox_settings(args)
    except ValueError as exc:
        return _fail(str(exc))
    policy = ask_policy if args.approve == "ask" else fixed_policy(args.approve)
    succeeded = True
    try:
        with LocalEngine(_config_path(args), approvals=policy, org=org) as engine:
            _apply_faults(engine, faults)
            _apply_restores(engine, args.restore)
            for number, recorded in enumerate(events):
                event = as_input(engine, args.workflow, recorded)
                reporter = None if args.json else HumanReporter(args.workflow, dry_run=args.dry_run)
                if reporter:
                    if number:
                        print()
                    reporter.started()
                execution = engine.run(
                    args.workflow, event, dry_run=args.dry_run, on_step=reporter.step if reporter else None
                )
                if reporter:
                    reporter.finished(execution)
                else:
                    print(json.dumps(result_json(execution), default=str), flush=True)
                succeeded = succeeded and execution.status == "SUCCEEDED"
    except ConfigError as exc:
        return _fail(f"invalid configuration: {exc}")
    except EngineError as exc:
        return _fail(str(exc))
    return 0 if succeeded else 1


def _apply_restores(engine: Any, specs: list[str]) -> None:
    """`--restore TARGET=minutes:N,lag:N`: a DR target's restore on virtual time (EngineError if wrong)."""
    from sandbox.dr_scenario import parse_restore
    from sandbox.engine import EngineError

    try:
        for target, scenario in (parse_restore(text) for text in specs):
            engine.dr.set(target, scenario)
    except ValueError as exc:
        raise EngineError(str(exc)) from None


def _apply_faults(engine: Any, faults: list[tuple[str, Any]]) -> None:
    from sandbox.fakes.argocd import NextSync

    for service, fault in faults:
        if isinstance(fault, NextSync):  # --argocd: not a failure of the API, an outcome of a sync
            fault.apply(engine.vendors.fakes["argocd"])
            continue
        engine.vendors.set_faults(service, [*engine.vendors.fakes[service].faults, fault])


def _serve(args: argparse.Namespace) -> int:
    from functions.core.config import ConfigError
    from sandbox.server import serve

    try:
        org, faults = _sandbox_settings(args)
    except ValueError as exc:
        return _fail(str(exc))
    try:
        serve(args.host, args.port, _config_path(args), org=org, on_start=lambda engine: _apply_faults(engine, faults))
    except ConfigError as exc:
        return _fail(f"invalid configuration: {exc}")
    except OSError as exc:
        return _fail(f"cannot listen on {args.host}:{args.port}: {exc.strerror}")
    except KeyboardInterrupt:
        pass
    return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
