"""The DR region's copies of RDS and Aurora targets, which moto cannot make: it neither replicates
automated backups across regions (its DescribeDBInstanceAutomatedBackups has no source ARN or
restore window) nor implements AWS Backup's ListRecoveryPointsByResource. The sandbox holds them
instead and answers those two calls in the DR region from them, so the drill's real adapter code
reads them as it would read AWS: `engine.dr.copies.set("billing-db", "automated_backup",
age_minutes=20)`; an Aurora target has AWS Backup copies (`backup_copy`) only.

A copy's age is on the drill's virtual time: it is `age_minutes` old whenever it is looked at."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import unquote, urlparse

from botocore.awsrequest import AWSResponse, HTTPHeaders

from functions.core.config import PlatformConfig
from sandbox.dispatch import ACCOUNT
from sandbox.hooks import on_default_session

KINDS = ("automated_backup", "backup_copy")


class DrRegionCopies:
    def __init__(self, config: PlatformConfig, now: Any) -> None:
        self._region = config.dr.dr_region
        self._home = config.aws.region
        # target name -> (its resource's ARN, the copy kinds it can have)
        self._sources = {
            t.name: (self._arn(t.kind, t.resource), KINDS if t.kind == "rds" else ("backup_copy",))
            for t in config.dr.targets
            if t.kind in ("rds", "aurora")
        }
        self._now = now  # the virtual clock (sandbox/dr_scenario.py)
        self._copies: dict[tuple[str, str], float] = {}  # (source ARN, kind) -> age in minutes
        self._lock = threading.Lock()

    def set(self, target: str, kind: str, age_minutes: float) -> None:
        if target not in self._sources:
            raise ValueError(f"{target!r} is not an RDS or Aurora DR target (known: {', '.join(self._sources)})")
        arn, kinds = self._sources[target]
        if kind not in kinds or age_minutes < 0:
            raise ValueError(f"kind is one of {', '.join(kinds)} for {target}, age_minutes >= 0")
        with self._lock:
            self._copies[(arn, kind)] = age_minutes

    def clear(self) -> None:
        with self._lock:
            self._copies.clear()

    def _of(self, kind: str) -> list[tuple[str, datetime]]:
        with self._lock:
            return [(db, self._now() - timedelta(minutes=age)) for (db, k), age in self._copies.items() if k == kind]

    def _arn(self, kind: str, resource: str) -> str:
        return f"arn:aws:rds:{self._home}:{ACCOUNT}:{'cluster' if kind == 'aurora' else 'db'}:{resource}"

    def _in_dr_region(self, params: dict[str, Any]) -> bool:
        host = urlparse(str(params.get("url", ""))).hostname or ""
        return bool(self._region) and f".{self._region}." in f".{host}."

    @staticmethod
    def _answer(parsed: dict[str, Any]) -> tuple[AWSResponse, dict[str, Any]]:
        parsed["ResponseMetadata"] = {"RequestId": "sandbox-dr-region", "HTTPStatusCode": 200}
        return AWSResponse("https://dr-region.sandbox.invalid/", 200, HTTPHeaders(), None), parsed

    def _automated_backups(self, params: dict[str, Any], **_: Any) -> tuple[AWSResponse, dict[str, Any]] | None:
        if not self._in_dr_region(params):
            return None
        backups = [
            {
                "DBInstanceArn": arn,
                "DBInstanceIdentifier": name,
                "Region": self._home,
                "Status": "replicating",
                "RestoreWindow": {"EarliestTime": latest - timedelta(days=7), "LatestTime": latest},
                "DBInstanceAutomatedBackupsArn": f"arn:aws:rds:{self._region}:{ACCOUNT}:auto-backup:ab-{name}",
            }
            for arn, latest in self._of("automated_backup")
            for name in [arn.rsplit(":", 1)[1]]
        ]
        return self._answer({"DBInstanceAutomatedBackups": backups})

    def _recovery_points(self, params: dict[str, Any], **_: Any) -> tuple[AWSResponse, dict[str, Any]] | None:
        if not self._in_dr_region(params):
            return None
        # GET /resources/{resourceArn}/recovery-points/
        path = unquote(urlparse(str(params.get("url", ""))).path)
        wanted = path.removeprefix("/resources/").removesuffix("/recovery-points/")
        points = [
            {
                "RecoveryPointArn": f"arn:aws:backup:{self._region}:{ACCOUNT}:recovery-point:{name}-{at:%Y%m%d%H%M}",
                "CreationDate": at,
                "Status": "COMPLETED",
                "BackupVaultName": "dr-copies",
                "ResourceName": name,
            }
            for arn, at in self._of("backup_copy")
            if arn == wanted
            for name in [arn.rsplit(":", 1)[1]]
        ]
        return self._answer({"RecoveryPoints": points})

    @contextmanager
    def installed(self) -> Iterator[None]:
        with ExitStack() as stack:
            for event, hook, name in (
                ("before-call.rds.DescribeDBInstanceAutomatedBackups", self._automated_backups, "sandbox-dr-ab"),
                ("before-call.backup.ListRecoveryPointsByResource", self._recovery_points, "sandbox-dr-rp"),
            ):
                stack.enter_context(on_default_session(event, hook, name))
            yield
