"""Environment variable names shared by CDK (which sets them) and the Lambdas (which read them)."""

CONFIG_FILE = "PLATFORM_CONFIG_FILE"
AUDIT_TABLE = "AUDIT_TABLE_NAME"
EVIDENCE_BUCKET = "EVIDENCE_BUCKET_NAME"
DRY_RUN = "PLATFORM_DRY_RUN"

# The config file CDK bundles beside the code in every Lambda asset.
BUNDLED_CONFIG = "platform.json"
