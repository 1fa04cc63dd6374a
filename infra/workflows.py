"""A workflow's Step Functions state machine, from its manifest and `state_machines/<name>.asl.json`,
with logs, tracing and alarms."""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from pathlib import Path

from aws_cdk import Duration, RemovalPolicy
from aws_cdk import aws_cloudwatch as cloudwatch
from aws_cdk import aws_cloudwatch_actions as cw_actions
from aws_cdk import aws_iam as iam
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_logs as logs
from aws_cdk import aws_sns as sns
from aws_cdk import aws_stepfunctions as sfn
from constructs import Construct

from functions.core.config import StepFunctionsSettings
from functions.core.manifest import Workflow

ROOT = Path(__file__).resolve().parent.parent
_PLACEHOLDER = re.compile(r"\$\{([A-Za-z0-9_]+)Arn\}")


def referenced_functions(workflow: Workflow, definition: str) -> list[str]:
    """The Lambdas the definition calls (`${<Name>Arn}`): each must be the workflow's own or one it
    `uses`, so its stack can substitute and grant it."""
    names = sorted(set(_PLACEHOLDER.findall(definition)))
    unknown = [n for n in names if n not in workflow.functions]
    if unknown:
        raise ValueError(
            f"{workflow.definition} calls {', '.join(unknown)}, which the {workflow.name} manifest neither "
            "declares in `lambdas` nor names in `uses`"
        )
    return names


def with_timeout(definition: str, seconds: int) -> str:
    """The definition with a top-level TimeoutSeconds (one it declares itself is kept). CDK's
    `timeout` never reaches a definition it did not build (DefinitionBody.from_file or from_string):
    the definition's own TimeoutSeconds is the only place Step Functions reads it from."""
    body = json.loads(definition)
    body.setdefault("TimeoutSeconds", seconds)
    return json.dumps(body, separators=(",", ":"))


def pascal(name: str) -> str:
    return "".join(part.title() for part in name.split("_"))


class WorkflowMachine(Construct):
    """The state machine, named `state_machine_name` (deterministic: the core stack formats its
    ARN for the command worker without a reference to this stack), allowed to invoke exactly the
    Lambdas its definition calls."""

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        workflow: Workflow,
        functions: Mapping[str, lambda_.IFunction],
        alarm_topic: sns.ITopic,
        state_machine_name: str,
        settings: StepFunctionsSettings,
        root: Path = ROOT,
    ) -> None:
        """`settings`: the configuration's step_functions (the execution timeout, and whether the
        logs carry each state's input and output)."""
        super().__init__(scope, construct_id)
        path = root / workflow.definition
        text = path.read_text(encoding="utf-8")
        names = referenced_functions(workflow, text)
        timeout_s = settings.timeout_for(workflow.name) * 3600
        log_group = logs.LogGroup(
            self,
            f"{pascal(workflow.name)}Logs",
            retention=logs.RetentionDays.SIX_MONTHS,
            removal_policy=RemovalPolicy.RETAIN,
        )
        self.machine = sfn.StateMachine(
            self,
            pascal(workflow.name),
            state_machine_name=state_machine_name,
            # Inline, with the timeout in it (see with_timeout): the same file the local engine runs.
            definition_body=sfn.DefinitionBody.from_string(with_timeout(text, timeout_s)),
            definition_substitutions={f"{n}Arn": functions[n].function_arn for n in names},
            state_machine_type=sfn.StateMachineType.STANDARD,
            tracing_enabled=True,
            # Every state's transition is logged; its input and output (task tokens, Slack
            # response_urls, personal data) only when the configuration asks, for debugging.
            logs=sfn.LogOptions(
                destination=log_group,
                level=sfn.LogLevel.ALL,
                include_execution_data=settings.include_execution_data,
            ),
        )
        # Inline, cfn-lint now reads the definition, and its E3601 schema refuses OutputPath on a
        # Succeed state, which the States Language allows (and the local engine runs): that one check
        # is skipped on this resource only.
        cfn_machine = self.machine.node.default_child
        assert isinstance(cfn_machine, sfn.CfnStateMachine)
        cfn_machine.add_metadata("cfn-lint", {"config": {"ignore_checks": ["E3601"]}})
        # In the machine's role (this stack), never in the function's resource policy: a Lambda of
        # the core stack granted that way would make the core stack depend on this one.
        arns = [functions[n].function_arn for n in names]
        if arns:
            self.machine.add_to_role_policy(
                iam.PolicyStatement(actions=["lambda:InvokeFunction"], resources=[*arns, *(f"{a}:*" for a in arns)])
            )
        self._alarms(workflow.name, alarm_topic)

    def _alarms(self, workflow: str, topic: sns.ITopic) -> None:
        machine = self.machine
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
