"""The janitor: on its own schedule, deletes every `drill-*` table, DB instance and DB cluster older than
`dr.janitor_min_age_minutes` that no running drill owns, so an execution that died (aborted, timed
out, its cleanup failed) cannot leave a database running. A copy's name ends with its execution's
suffix (plan.copy_name): a running drill's suffix protects its copies at any age."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from functions.adapters.aws_cluster_restore import ClusterRestore
from functions.adapters.aws_restore import CopyBusyError, RdsRestore
from functions.adapters.aws_table_restore import TableRestore
from functions.core.change import ChangeContext
from functions.dr_janitor.naming import DRILL_PREFIX, execution_suffix

ACTOR = "dr-janitor"
GONE = frozenset({"deleting", "DELETING"})


@dataclass(frozen=True)
class Candidate:
    kind: str  # dynamodb | rds | aurora (a cluster; its instance is an rds candidate of the same name)
    name: str
    status: str
    created: datetime | None


def candidates(tables: TableRestore, databases: RdsRestore, clusters: ClusterRestore | None = None) -> list[Candidate]:
    """Instances before clusters: RDS deletes a cluster only once its instances are gone."""
    clusters = clusters or ClusterRestore()
    found = [Candidate("dynamodb", t.name, t.status, t.created) for t in tables.drill_tables()]
    found += [Candidate("rds", i.instance_id, i.status, i.created) for i in databases.drill_instances()]
    found += [Candidate("aurora", c.cluster_id, c.status, c.created) for c in clusters.drill_clusters()]
    return found


def sweep(
    now: datetime,
    min_age_minutes: int,
    running: list[str],
    found: list[Candidate],
    *,
    tables: TableRestore,
    databases: RdsRestore,
    changes: ChangeContext,
    clusters: ClusterRestore | None = None,
) -> dict[str, Any]:
    """`running`: the names of the drill executions still running."""
    clusters = clusters or ClusterRestore()
    suffixes = {execution_suffix(name): name for name in running}
    deleted: list[str] = []
    kept: dict[str, str] = {}
    for copy in found:
        if not copy.name.startswith(DRILL_PREFIX):  # the listings filter already; never trust one line away
            continue
        owner = next((name for suffix, name in suffixes.items() if copy.name.endswith(f"-{suffix}")), None)
        age = None if copy.created is None else round((now - copy.created).total_seconds() / 60, 1)
        if owner is not None:
            kept[copy.name] = f"owned by the running drill {owner}"
        elif copy.status in GONE:
            kept[copy.name] = "already being deleted"
        elif age is None or age < min_age_minutes:
            kept[copy.name] = f"{age} min old, younger than {min_age_minutes} min"
        elif _delete(copy, age, tables=tables, databases=databases, clusters=clusters, changes=changes):
            deleted.append(f"{copy.name} (cluster)" if copy.kind == "aurora" else copy.name)
        else:
            kept[copy.name] = "still being created (or its instance deleted): deleted on a later sweep"
    return {"deleted": deleted, "kept": kept, "dry_run": changes.dry_run, "summary": changes.summary}


def _delete(
    copy: Candidate,
    age: float,
    *,
    tables: TableRestore,
    databases: RdsRestore,
    clusters: ClusterRestore,
    changes: ChangeContext,
) -> bool:
    if copy.kind == "dynamodb":
        operation, do = "dynamodb:DeleteTable", lambda: tables.delete(copy.name)
    elif copy.kind == "aurora":
        operation, do = "rds:DeleteDBCluster", lambda: clusters.delete(copy.name)
    else:
        operation, do = "rds:DeleteDBInstance", lambda: databases.delete(copy.name)
    try:
        changes.change(
            "aws",
            operation,
            copy.name,
            do,
            line=f"deleted orphaned {copy.name}",
            before={
                "status": copy.status,
                "age_minutes": age,
                "created": copy.created.isoformat() if copy.created else None,
            },
            after=None,
        )
    except CopyBusyError:
        return False
    return True
