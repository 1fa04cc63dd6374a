"""An Aurora target's drill: the cluster's latest restorable time, its restore into a `drill-*`
cluster plus one instance, when that copy is usable (cluster and instance available), how it
compares with its source, and the SQL check through the RDS Data API (any RDS target may name
one; only Aurora clusters with the Data API answer it, the others are reported as not supported)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from functions.adapters.aws_cluster_restore import AuroraCluster, ClusterRestore
from functions.adapters.errors import VendorError
from functions.dr_drill.models import Job

MISSING = "MISSING"


def latest_restorable(source_id: str, clusters: ClusterRestore) -> tuple[datetime | None, str | None]:
    """(the latest restorable time, why there is none)."""
    source = clusters.cluster(source_id)
    if source is None:
        return None, f"no DB cluster {source_id}"
    if source.backup_retention_days <= 0 or source.latest_restorable is None:
        return None, f"automated backups (PITR) are off on DB cluster {source_id}"
    return source.latest_restorable, None


def restore(job: Job, tags: dict[str, str], clusters: ClusterRestore) -> tuple[str, bool]:
    """Restore the cluster, then add its instance (a restored cluster has none: RDS creates it as
    soon as the cluster exists and brings both up together)."""
    copy = clusters.restore_latest(job.source, job.copy_name, tags)
    instance = clusters.add_instance(job.copy_name, copy.engine, tags, job.instance_class)
    return _combined(copy.status, instance)


def status(job: Job, clusters: ClusterRestore) -> tuple[str, bool, datetime | None]:
    """(what AWS says, usable, created) of the copy: usable once the cluster and its instance are available."""
    copy = clusters.cluster(job.copy_name)
    if copy is None:
        return MISSING, False, None
    text, usable = _combined(copy.status, clusters.instance_status(job.copy_name))
    return text, usable, copy.created


def _combined(cluster: str, instance: str | None) -> tuple[str, bool]:
    if instance is None:
        return f"cluster {cluster}, no instance", False
    return f"cluster {cluster}, instance {instance}", cluster == "available" and instance == "available"


def verify(job: Job, clusters: ClusterRestore) -> tuple[dict[str, Any], list[str], list[str]]:
    copy, source = clusters.cluster(job.copy_name), clusters.cluster(job.source)
    if copy is None:
        return {}, [f"the copy {job.copy_name} is gone"], []
    instance = clusters.instance_status(job.copy_name)
    checks: dict[str, Any] = {"status": copy.status, "instance_status": instance}
    problems = [] if copy.usable else [f"the copy is {copy.status}, not available"]
    if instance != "available":
        problems.append(f"the copy's instance is {instance or 'missing'}, not available")
    if source is None:
        return checks, [*problems, f"source DB cluster {job.source} not found: settings not compared"], []
    for name, mine, theirs in (
        ("engine", copy.engine, source.engine),
        ("engine_version", copy.engine_version, source.engine_version),
        ("encrypted", copy.encrypted, source.encrypted),
    ):
        checks[name] = mine
        if mine != theirs:
            problems.append(f"{name} is {mine!r}, the source's is {theirs!r}")
    notes: list[str] = []
    if job.sql_check:
        result, problem, note = sql_check(job.sql_check, copy, source, clusters)
        checks["sql_check"] = result
        problems += [problem] if problem else []
        notes += [note] if note else []
    return checks, problems, notes


def unsupported(sql: dict[str, Any], engine: str, why: str) -> tuple[dict[str, Any], str]:
    note = f"SQL check not supported for {engine or 'this engine'}: {why}"
    return {"sql": sql["sql"], "supported": False, "value": None, "min": sql["min"], "passed": None}, note


def sql_check(
    sql: dict[str, Any], copy: AuroraCluster, source: AuroraCluster, clusters: ClusterRestore
) -> tuple[dict[str, Any], str | None, str | None]:
    """(the result, a problem, a note): the query's first value against its minimum. Not supported
    (a note, not a failure) when the source has no Data API: its engine or setup cannot answer."""
    if not source.data_api:
        skipped, note = unsupported(sql, source.engine, f"the Data API (HTTP endpoint) is off on {source.cluster_id}")
        return skipped, None, note
    result: dict[str, Any] = {"sql": sql["sql"], "supported": True, "value": None, "min": sql["min"], "passed": False}
    try:
        if not copy.data_api:  # a restore does not carry the HTTP endpoint over
            clusters.enable_data_api(copy)
        rows = clusters.execute(copy.arn, sql["secret_arn"], sql["sql"], sql.get("database"))
    except VendorError as exc:
        return result, f"SQL check failed: {exc}"[:500], None
    value = rows[0][0] if rows and rows[0] else None
    result["value"] = value
    if not isinstance(value, int | float) or isinstance(value, bool):
        return result, f"SQL check returned {value!r}, not a number (minimum {sql['min']:g})", None
    if value < sql["min"]:
        return result, f"SQL check returned {value:g}, below the minimum {sql['min']:g}", None
    result["passed"] = True
    return result, None, None
