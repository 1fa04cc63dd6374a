"""One Lambda function per LambdaSpec a manifest declares, with exactly the access it declares.

Each stack builds the functions of its manifests (the core stack the shared packages', a workflow
stack its workflow's); the storage and the bus are the core stack's, granted across stacks (the
grants land in the functions' roles, in the stack that builds them)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from aws_cdk import ArnFormat, Duration, Stack
from aws_cdk import aws_events as events
from aws_cdk import aws_iam as iam
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_logs as logs
from aws_cdk import aws_secretsmanager as secretsmanager
from constructs import Construct

from functions.core import constants
from functions.core.config import PlatformConfig
from functions.core.spec import RESOURCE_ENV, LambdaSpec
from infra.storage import Storage

RUNTIME = lambda_.Runtime.PYTHON_3_13


class Functions(Construct):
    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        specs: Sequence[LambdaSpec],
        config: PlatformConfig,
        storage: Storage,
        bus: events.IEventBus,
        code_dir: str,
        layer_dir: str,
        state_machines: Mapping[str, str],
        environment: Mapping[str, str] | None = None,
        log_retention: logs.RetentionDays = logs.RetentionDays.THREE_MONTHS,
    ) -> None:
        """`state_machines`: the deployed workflows' state machine names (deterministic, so the
        ARNs are known without a reference to the stacks that create them); `environment`: set on
        every function built here."""
        super().__init__(scope, construct_id)
        self._config = config
        self._storage = storage
        self._bus = bus
        self._state_machines = dict(state_machines)
        self._environment = dict(environment or {})
        self.specs = tuple(specs)
        code = lambda_.Code.from_asset(code_dir)
        self.layer = lambda_.LayerVersion(
            self,
            "Dependencies",
            code=lambda_.Code.from_asset(layer_dir, exclude=["requirements.txt", ".built"]),
            compatible_runtimes=[RUNTIME],
            compatible_architectures=[lambda_.Architecture.ARM_64],
            description="Runtime dependencies from uv.lock (aws-lambda-powertools, pydantic, ...)",
        )
        self.by_name: dict[str, lambda_.Function] = {}
        for spec in self.specs:
            self.by_name[spec.name] = self._function(spec, code, log_retention)

    def _function(self, spec: LambdaSpec, code: lambda_.Code, retention: logs.RetentionDays) -> lambda_.Function:
        log_group = logs.LogGroup(self, f"{spec.name}Logs", retention=retention)
        environment = {
            "POWERTOOLS_SERVICE_NAME": "platform-automation",
            "POWERTOOLS_METRICS_NAMESPACE": "PlatformAutomation",
            "POWERTOOLS_LOG_LEVEL": "INFO",
            **self._environment,
        }
        for resource in spec.resources:
            environment[RESOURCE_ENV[resource]] = self._resource_name(resource)
        function = lambda_.Function(
            self,
            spec.name,
            description=spec.description,
            runtime=RUNTIME,
            architecture=lambda_.Architecture.ARM_64,
            handler=spec.handler,
            code=code,
            layers=[self.layer],
            memory_size=spec.memory_mb,
            timeout=Duration.seconds(spec.timeout_s),
            environment=environment,
            tracing=lambda_.Tracing.ACTIVE,
            log_group=log_group,
            logging_format=lambda_.LoggingFormat.JSON,
        )
        self._grant(spec, function)
        return function

    def _resource_name(self, resource: str) -> str:
        if resource in ("audit_table", "approvals", "off_hours_state"):
            return self._storage.audit_table.table_name
        if resource == "evidence_bucket":
            return self._storage.evidence_bucket.bucket_name
        if resource == "idempotency_table":
            return self._storage.idempotency_table.table_name
        if resource == "event_bus":
            return self._bus.event_bus_name
        # state_machines: {workflow: ARN} of the deployed workflows.
        return Stack.of(self).to_json_string(self.state_machine_arns("stateMachine"))

    def _grant(self, spec: LambdaSpec, function: lambda_.Function) -> None:
        for resource in spec.resources:
            if resource == "audit_table":
                self._storage.audit_table.grant_write_data(function)
            elif resource in ("approvals", "off_hours_state"):
                self._storage.audit_table.grant_read_write_data(function)
            elif resource == "evidence_bucket":
                self._storage.evidence_bucket.grant_put(function)
            elif resource == "idempotency_table":
                self._storage.idempotency_table.grant_read_write_data(function)
            elif resource == "event_bus":
                self._bus.grant_put_events_to(function)
        for path in spec.secrets:
            section, attribute = path.split(".", 1)
            settings = getattr(self._config, section)
            if settings is None:  # an optional vendor the configuration leaves out (e.g. pagerduty): no secret
                continue
            name = getattr(settings, attribute)
            function.add_environment(constants.secret_env(section), name)
            secret = secretsmanager.Secret.from_secret_name_v2(self, f"{spec.name}{section.title()}Secret", name)
            secret.grant_read(function)
        for statement in self._action_statements(spec):
            function.add_to_role_policy(statement)

    def _action_statements(self, spec: LambdaSpec) -> list[iam.PolicyStatement]:
        """The spec's AWS actions on the resources of its scope, and its unscoped actions on "*"."""
        statements: list[iam.PolicyStatement] = []
        if spec.aws_actions and spec.aws_scope in ("dr_tables", "identity_center", "executions"):
            arns = self._scope_arns(spec.aws_scope)
            if arns:  # executions, with no workflow deployed: nothing to read
                statements.append(iam.PolicyStatement(actions=list(spec.aws_actions), resources=arns))
        if spec.aws_actions and spec.aws_scope == "tagged_compute":
            statements += self._tagged_compute_statements(spec.aws_actions)
        if spec.unscoped_actions:
            statements.append(iam.PolicyStatement(actions=list(spec.unscoped_actions), resources=["*"]))
        return statements

    def _tagged_compute_statements(self, actions: tuple[str, ...]) -> list[iam.PolicyStatement]:
        """Stop and start only what carries the off-hours tag (off_hours.tag_key in tag_values) and
        not its opt-out: any EC2 instance, RDS DB instance or Auto Scaling group of this account and
        region (their ids are not known at synth), narrowed by tag conditions."""
        settings = self._config.off_hours
        stack = Stack.of(self)
        arns = {
            "ec2": stack.format_arn(service="ec2", resource="instance", resource_name="*"),
            "rds": stack.format_arn(
                service="rds", resource="db", resource_name="*", arn_format=ArnFormat.COLON_RESOURCE_NAME
            ),
            "autoscaling": stack.format_arn(
                service="autoscaling",
                resource="autoScalingGroup",
                resource_name="*:autoScalingGroupName/*",
                arn_format=ArnFormat.COLON_RESOURCE_NAME,
            ),
        }
        unknown = [a for a in actions if a.split(":", 1)[0] not in arns]
        if unknown:
            raise ValueError(f"tagged_compute covers EC2, RDS and Auto Scaling, not {', '.join(unknown)}")
        conditions = {
            "StringEquals": {f"aws:ResourceTag/{settings.tag_key}": list(settings.tag_values)},
            "StringNotEqualsIgnoreCase": {f"aws:ResourceTag/{settings.opt_out_tag}": settings.opt_out_value},
        }
        return [
            iam.PolicyStatement(actions=chosen, resources=[arn], conditions=conditions)
            for service, arn in arns.items()
            if (chosen := [a for a in actions if a.startswith(f"{service}:")])
        ]

    def _identity_center_arns(self) -> list[str]:
        """The configured Identity Center instance, its permission sets, the configured accounts and
        the identity store's users, groups and memberships."""
        center = self._config.aws.identity_center
        instance = center.instance_arn.rsplit("/", 1)[1]
        store = center.identity_store_id
        arns = [center.instance_arn, f"arn:aws:sso:::permissionSet/{instance}/*"]
        arns += [f"arn:aws:sso:::account/{account}" for account in self._config.aws.accounts.values()]
        arns.append(
            Stack.of(self).format_arn(service="identitystore", region="", resource="identitystore", resource_name=store)
        )
        arns += [f"arn:aws:identitystore:::{kind}/*" for kind in ("user", "group", "membership")]
        return arns

    def state_machine_arns(self, resource: str) -> dict[str, str]:
        """The deployed workflows' state machines (`stateMachine`), or their executions (`execution`,
        `<name>:*`)."""
        stack = Stack.of(self)
        suffix = ":*" if resource == "execution" else ""
        return {
            workflow: stack.format_arn(
                service="states",
                resource=resource,
                resource_name=f"{name}{suffix}",
                arn_format=ArnFormat.COLON_RESOURCE_NAME,
            )
            for workflow, name in self._state_machines.items()
        }

    def _scope_arns(self, scope: str) -> list[str]:
        if scope == "identity_center":
            return self._identity_center_arns()
        if scope == "executions":  # reading the deployed workflows' executions
            return list(self.state_machine_arns("execution").values())
        if scope != "dr_tables":
            raise ValueError(f"unknown aws_scope {scope!r} in a manifest")
        stack = Stack.of(self)
        tables = [t.resource for t in self._config.dr.targets]
        arns = [stack.format_arn(service="dynamodb", resource="table", resource_name=t) for t in tables]
        arns += [stack.format_arn(service="dynamodb", resource="table", resource_name=f"{t}/backup/*") for t in tables]
        arns.append(stack.format_arn(service="dynamodb", resource="table", resource_name="drill-*"))
        return arns
