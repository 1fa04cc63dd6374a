"""One Step Functions state machine per state_machines/*.asl.json, with logs, tracing and alarms."""

from __future__ import annotations

import re
from pathlib import Path

from aws_cdk import Duration, RemovalPolicy
from aws_cdk import aws_cloudwatch as cloudwatch
from aws_cdk import aws_cloudwatch_actions as cw_actions
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_logs as logs
from aws_cdk import aws_sns as sns
from aws_cdk import aws_stepfunctions as sfn
from constructs import Construct

from functions.catalog import BY_NAME

ROOT = Path(__file__).resolve().parent.parent
STATE_MACHINES = ROOT / "state_machines"
_PLACEHOLDER = re.compile(r"\$\{([A-Za-z0-9_]+)Arn\}")


def referenced_functions(definition: str) -> list[str]:
    names = sorted(set(_PLACEHOLDER.findall(definition)))
    unknown = [n for n in names if n not in BY_NAME]
    if unknown:
        raise ValueError(f"no Lambda in functions/catalog.py named {', '.join(unknown)}")
    return names


def pascal(name: str) -> str:
    return "".join(part.title() for part in name.split("_"))


class Workflows(Construct):
    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        functions: dict[str, lambda_.Function],
        alarm_topic: sns.ITopic,
        directory: Path = STATE_MACHINES,
    ) -> None:
        super().__init__(scope, construct_id)
        self.machines: dict[str, sfn.StateMachine] = {}
        for path in sorted(directory.glob("*.asl.json")):
            workflow = path.name.removesuffix(".asl.json")
            names = referenced_functions(path.read_text(encoding="utf-8"))
            log_group = logs.LogGroup(
                self,
                f"{pascal(workflow)}Logs",
                retention=logs.RetentionDays.SIX_MONTHS,
                removal_policy=RemovalPolicy.RETAIN,
            )
            machine = sfn.StateMachine(
                self,
                pascal(workflow),
                definition_body=sfn.DefinitionBody.from_file(str(path)),
                definition_substitutions={f"{n}Arn": functions[n].function_arn for n in names},
                state_machine_type=sfn.StateMachineType.STANDARD,
                tracing_enabled=True,
                logs=sfn.LogOptions(destination=log_group, level=sfn.LogLevel.ALL, include_execution_data=True),
                timeout=Duration.hours(24),
            )
            for name in names:
                functions[name].grant_invoke(machine)
            self._alarms(workflow, machine, alarm_topic)
            self.machines[workflow] = machine

    def _alarms(self, workflow: str, machine: sfn.StateMachine, topic: sns.ITopic) -> None:
        metrics = {
            "Failed": machine.metric_failed(period=Duration.minutes(5)),
            "Throttled": machine.metric_throttled(period=Duration.minutes(5)),
            "Aborted": machine.metric_aborted(period=Duration.minutes(5)),
            "TimedOut": machine.metric_timed_out(period=Duration.minutes(5)),
        }
        for what, metric in metrics.items():
            alarm = cloudwatch.Alarm(
                self,
                f"{pascal(workflow)}{what}Alarm",
                alarm_description=f"{workflow}: an execution {what.lower()} in the last 5 minutes",
                metric=metric,
                threshold=1,
                evaluation_periods=1,
                comparison_operator=cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
                treat_missing_data=cloudwatch.TreatMissingData.NOT_BREACHING,
            )
            alarm.add_alarm_action(cw_actions.SnsAction(topic))
