"""Environment variable names shared by CDK (which sets them) and the Lambdas (which read them)."""

CONFIG_FILE = "PLATFORM_CONFIG_FILE"
# The audit trail only (append-only: its writers may PutItem, nothing else); the mutable records
# (approvals, the people workflows' ledger, off-hours state) live in STATE_TABLE.
AUDIT_TABLE = "AUDIT_TABLE_NAME"
STATE_TABLE = "STATE_TABLE_NAME"
EVIDENCE_BUCKET = "EVIDENCE_BUCKET_NAME"
DRY_RUN = "PLATFORM_DRY_RUN"

# The config file CDK bundles beside the code in every Lambda asset.
BUNDLED_CONFIG = "platform.json"
IDEMPOTENCY_TABLE = "IDEMPOTENCY_TABLE_NAME"
EVENT_BUS = "EVENT_BUS_NAME"


def secret_env(section: str) -> str:
    """The variable CDK sets to a vendor's Secrets Manager name (e.g. GITHUB_SECRET_NAME), so a
    handler can read its secret without loading the whole configuration."""
    return f"{section.upper()}_SECRET_NAME"


# JSON {workflow: state machine ARN}: which workflows are deployed (CDK sets it; the local engine too).
STATE_MACHINES = "STATE_MACHINE_ARNS"
# JSON [workflow, ...]: the workflows this deployment offers (the configuration's `workflows:`), for
# the ingress, which has no state machine ARNs (CDK sets it on the core stack's Lambdas; the local
# engine too). Unset: every workflow.
WORKFLOWS = "PLATFORM_WORKFLOWS"

# "run-rate": the Cost Explorer adapter estimates the month-end forecast from the month-to-date run
# rate instead of calling GetCostForecast (the local engine sets it: moto has no GetCostForecast).
COST_FORECAST = "PLATFORM_COST_FORECAST"
