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

# What a DR drill's copies are called: the only tables and DB instances it may write to or delete.
DR_COPY_PREFIX = "drill-"
# What a DR drill may do to a source (a DR target, its backups and snapshots): read it, verify a
# copy against it, restore from it. Any other action a manifest declares in the dr_tables scope
# (the writes a restore makes into its new table, deletes, tags) is granted on the copies only.
DR_SOURCE_ACTIONS = frozenset(
    {
        "dynamodb:DescribeTable",
        "dynamodb:DescribeContinuousBackups",
        "dynamodb:DescribeBackup",
        "dynamodb:ListTagsOfResource",
        "dynamodb:GetItem",
        "dynamodb:BatchGetItem",
        "dynamodb:Query",
        "dynamodb:Scan",
        "dynamodb:RestoreTableToPointInTime",
        "dynamodb:RestoreTableFromBackup",
        "rds:DescribeDBInstances",
        "rds:DescribeDBSnapshots",
        "rds:DescribeDBInstanceAutomatedBackups",
        "rds:DescribeDBClusters",
        "rds:RestoreDBClusterToPointInTime",
        "rds:ListTagsForResource",
        "rds:RestoreDBInstanceToPointInTime",
        "rds:RestoreDBInstanceFromDBSnapshot",
    }
)


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
        if resource == "audit_table":
            return self._storage.audit_table.table_name
        if resource in ("state_table", "approvals", "off_hours_state"):
            return self._storage.state_table.table_name
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
                # Append-only: a writer adds records and can neither read the trail (so it cannot
                # find a record's key to overwrite it) nor change or remove one (the table's policy
                # denies that to everyone, infra/storage.py).
                self._storage.audit_table.grant(function, "dynamodb:PutItem")
            elif resource in ("state_table", "approvals", "off_hours_state"):
                self._storage.state_table.grant_read_write_data(function)
            elif resource == "evidence_bucket":
                self._storage.evidence_bucket.grant_put(function)
            elif resource == "evidence_history":
                self._storage.evidence_bucket.grant_read(function)
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
        if spec.aws_actions and spec.aws_scope == "credentials":
            statements += self._credential_statements(spec.aws_actions)
        if spec.aws_actions and spec.aws_scope in ("dr_tables", "dr_copies"):
            statements += self._dr_statements(spec.aws_actions, spec.aws_scope)
        if spec.people_iam_actions:
            statements += self._people_iam_statements(spec.people_iam_actions)
        if spec.aws_actions and spec.aws_scope in ("identity_center", "executions", "ecr_repositories"):
            arns = self._scope_arns(spec.aws_scope)
            if arns:  # executions with no workflow deployed, or no ECR image configured: nothing to read
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

    def _credential_statements(self, actions: tuple[str, ...]) -> list[iam.PolicyStatement]:
        """The rotation's grants: Secrets Manager actions on the inventory's secrets only, IAM
        actions on its machine users only."""
        from functions.core.config import CREDENTIAL_SECTION

        stack = Stack.of(self)
        names: set[str] = set()
        users: set[str] = set()
        for credential in self._config.credentials.inventory:
            section = CREDENTIAL_SECTION.get(credential.kind)
            default = getattr(getattr(self._config, section), "secret_name", None) if section else None
            name = credential.secret_name or default
            if name:
                names.add(str(name))
            if credential.user:
                users.add(credential.user)
        # A secret's ARN ends in six random characters Secrets Manager adds to its name.
        secret_arns = [
            stack.format_arn(
                service="secretsmanager",
                resource="secret",
                resource_name=f"{name}-??????",
                arn_format=ArnFormat.COLON_RESOURCE_NAME,
            )
            for name in sorted(names)
        ]
        user_arns = [
            stack.format_arn(service="iam", region="", resource="user", resource_name=u) for u in sorted(users)
        ]
        statements = []
        for service, arns in (("secretsmanager", secret_arns), ("iam", user_arns)):
            chosen = [a for a in actions if a.startswith(f"{service}:")]
            if chosen and arns:
                statements.append(iam.PolicyStatement(actions=chosen, resources=arns))
        return statements

    def _scope_arns(self, scope: str) -> list[str]:
        if scope == "identity_center":
            return self._identity_center_arns()
        if scope == "executions":  # reading the deployed workflows' executions
            return list(self.state_machine_arns("execution").values())
        if scope == "ecr_repositories":  # the services' ECR images, in whichever account holds them
            from functions.adapters.aws_ecr import IMAGE

            found = [IMAGE.match(service.image) for service in self._config.services.values()]
            stack = Stack.of(self)
            return sorted(
                {
                    stack.format_arn(
                        service="ecr",
                        region=m["region"],
                        account=m["registry"],
                        resource="repository",
                        resource_name=m["repository"],
                    )
                    for m in found
                    if m
                }
            )
        raise ValueError(f"unknown aws_scope {scope!r} in a manifest")

    def _dr_statements(self, actions: tuple[str, ...], scope: str) -> list[iam.PolicyStatement]:
        """A DR drill's grants, per service: in the `dr_tables` scope the sources (the DR targets'
        tables and instances, their backups and snapshots) get only DR_SOURCE_ACTIONS, a read or a
        restore from them; everything else, and all of the `dr_copies` scope, lands on the drill-*
        copies only. So whatever the DR manifest declares, the drill can never write to or delete
        what it protects."""
        sources, copies = self._dr_source_arns(), self._dr_copy_arns()
        unknown = [a for a in actions if a.split(":", 1)[0] not in copies]
        if unknown:
            raise ValueError(f"{scope} covers DynamoDB, RDS and the drill's executions, not {', '.join(unknown)}")
        statements = self._dr_data_api_statements(actions)
        by_resources: dict[tuple[str, ...], list[str]] = {}
        for action in actions:
            service = action.split(":", 1)[0]
            arns = copies[service]
            if scope == "dr_tables" and action in DR_SOURCE_ACTIONS:
                # A restore is also authorised on the table or instance it creates.
                arns = sources.get(service, []) + arns
            if arns:  # states: no drill deployed, no executions to read
                by_resources.setdefault(tuple(arns), []).append(action)
        statements += [
            iam.PolicyStatement(actions=chosen, resources=list(arns)) for arns, chosen in by_resources.items()
        ]
        return statements

    def _dr_data_api_statements(self, actions: tuple[str, ...]) -> list[iam.PolicyStatement]:
        """The Data API signs in with the SQL checks' configured secrets: read those, nothing else."""
        secrets = sorted({t.sql_check.secret_arn for t in self._config.dr.targets if t.sql_check})
        if "rds-data:ExecuteStatement" not in actions or not secrets:
            return []
        return [iam.PolicyStatement(actions=["secretsmanager:GetSecretValue"], resources=secrets)]

    def _dr_source_arns(self) -> dict[str, list[str]]:
        """The DR targets (never written to or deleted), by service: each DynamoDB table and its
        backups; each RDS instance, and the snapshots a restore may start from."""
        stack = Stack.of(self)
        colon = ArnFormat.COLON_RESOURCE_NAME
        targets = self._config.dr.targets
        tables = [t.resource for t in targets if t.kind == "dynamodb"]
        dynamodb = [stack.format_arn(service="dynamodb", resource="table", resource_name=t) for t in tables]
        dynamodb += [
            stack.format_arn(service="dynamodb", resource="table", resource_name=f"{t}/backup/*") for t in tables
        ]
        rds = [
            stack.format_arn(service="rds", resource="db", resource_name=t.resource, arn_format=colon)
            for t in targets
            if t.kind == "rds"
        ]
        if rds:  # snapshot names are not known at synth: any snapshot, restored only into a drill-* copy
            rds.append(stack.format_arn(service="rds", resource="snapshot", resource_name="*", arn_format=colon))
        rds += [
            stack.format_arn(service="rds", resource="cluster", resource_name=t.resource, arn_format=colon)
            for t in targets
            if t.kind == "aurora"
        ]
        return {"dynamodb": dynamodb, "rds": rds}

    def _dr_copy_arns(self) -> dict[str, list[str]]:
        """Only what a DR drill creates (drill-* tables and DB instances), and the drill's executions
        (the janitor spares the copies of a running one), by service."""
        stack = Stack.of(self)
        colon = ArnFormat.COLON_RESOURCE_NAME
        machine = self.state_machine_arns("stateMachine").get("dr_drill")
        cluster = stack.format_arn(
            service="rds", resource="cluster", resource_name=f"{DR_COPY_PREFIX}*", arn_format=colon
        )
        return {
            "dynamodb": [stack.format_arn(service="dynamodb", resource="table", resource_name=f"{DR_COPY_PREFIX}*")],
            "rds": [
                stack.format_arn(service="rds", resource="db", resource_name=f"{DR_COPY_PREFIX}*", arn_format=colon),
                cluster,
            ],
            "rds-data": [cluster],  # the SQL check runs on the restored cluster only
            "states": [machine] if machine else [],
        }

    def _people_iam_statements(self, actions: tuple[str, ...]) -> list[iam.PolicyStatement]:
        """IAM user actions on the people the platform manages, and on no one else: users whose
        identity.iam_email_tag holds an address in organization.email_domains (an IAM user's ARN
        carries its path, not its owner: the tag is what says who it belongs to). Denied outright,
        whatever their tags: the machine users of credentials.inventory (CI) and
        aws.protected_iam_users (break-glass)."""
        unknown = [a for a in actions if not a.startswith("iam:")]
        if unknown:
            raise ValueError(f"people_iam_actions are IAM user actions, not {', '.join(unknown)}")
        stack = Stack.of(self)

        def user(name: str) -> str:
            return stack.format_arn(service="iam", region="", resource="user", resource_name=name)

        tag = self._config.identity.iam_email_tag
        emails = [f"*@{domain}" for domain in self._config.organization.email_domains]
        statements = [
            iam.PolicyStatement(
                actions=list(actions),
                resources=[user("*")],
                conditions={"StringLike": {f"aws:ResourceTag/{tag}": emails}},
            )
        ]
        protected = sorted(
            {c.user for c in self._config.credentials.inventory if c.user} | set(self._config.aws.protected_iam_users)
        )
        if protected:
            # A user's ARN is user/<path><name>: the name at the root path, and under any path.
            arns = [arn for name in protected for arn in (user(name), user(f"*/{name}"))]
            statements.append(iam.PolicyStatement(effect=iam.Effect.DENY, actions=list(actions), resources=arns))
        return statements
