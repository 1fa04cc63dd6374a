"""The real state_machines/credential_rotation.asl.json on the local engine: Secrets Manager and
IAM in moto, SendGrid and GitHub as the sandbox fakes."""

from __future__ import annotations

import threading
from collections.abc import Iterator

import boto3
import pytest
from botocore.awsrequest import AWSResponse
from botocore.compat import HTTPHeaders

from functions.adapters import secrets as secret_cache
from functions.core.change import ChangeContext
from functions.credential_rotation import steps
from sandbox import clock
from sandbox.engine import ROOT, LocalEngine, load_event
from sandbox.fakes.base import Fault
from sandbox.fakes.credentials import SENDGRID_API_KEY, SENDGRID_API_KEY_ID
from sandbox.hooks import on_default_session

from .credential_helpers import actions, deliver, everything_recorded, job_for, labels, value

EVENTS = ROOT / "events" / "scheduler"
SENDGRID_SECRET = "platform-automation/sendgrid"
GITHUB_SECRET = "platform-automation/github"
CI_SECRET = "platform-automation/iam/ci-deployer"


@pytest.fixture
def engine() -> Iterator[LocalEngine]:
    with LocalEngine() as eng:
        yield eng


def _fake(engine: LocalEngine, service: str):  # type: ignore[no-untyped-def]
    assert engine.vendors is not None
    return engine.vendors.fakes[service]


# -- SendGrid ------------------------------------------------------------------------------------------


def test_sendgrid_key_is_replaced_by_one_with_the_same_scopes(engine: LocalEngine) -> None:
    sendgrid = _fake(engine, "sendgrid")
    before = labels(engine, SENDGRID_SECRET)
    scopes = sendgrid.state()["api_keys"][SENDGRID_API_KEY_ID]["scopes"]

    execution = engine.run("credential_rotation", load_event(EVENTS / "credential_rotation_sendgrid.json"))

    assert execution.status == "SUCCEEDED", (execution.error, execution.cause)
    (outcome,) = execution.output["outcomes"]
    assert outcome["status"] == "rotated"
    # AWSCURRENT moved to the new version, AWSPREVIOUS kept on the old, nothing half-done left
    after = labels(engine, SENDGRID_SECRET)
    (old_version,) = before
    assert after[old_version] == ["AWSPREVIOUS"]
    new_version = outcome["version"]
    assert after[new_version] == ["AWSCURRENT"]
    current = value(engine, SENDGRID_SECRET)
    # the new key works with the old key's scopes; the old key is deleted at SendGrid
    keys = sendgrid.state()["api_keys"]
    assert SENDGRID_API_KEY_ID not in keys
    assert keys[current["api_key_id"]]["scopes"] == scopes
    assert sendgrid.key_works(current["api_key"])
    assert not sendgrid.key_works(SENDGRID_API_KEY)
    # audited, and no secret value anywhere in the execution's records
    assert "api_keys:create" in actions(execution)
    assert "api_keys:delete" in actions(execution)
    recorded = everything_recorded(engine, execution)
    assert current["api_key"] not in recorded
    assert SENDGRID_API_KEY not in recorded


def test_a_failing_test_step_keeps_the_old_key_and_removes_the_new_one(engine: LocalEngine) -> None:
    sendgrid = _fake(engine, "sendgrid")
    before = labels(engine, SENDGRID_SECRET)
    # The create step reads the old key's scopes (first GET passes); the new key is refused.
    engine.vendors.set_faults(  # type: ignore[union-attr]
        "sendgrid",
        [Fault(status=None, count=1, match="GET /v3/api_keys/"), Fault(status=401, match="GET /v3/api_keys/")],
    )

    execution = engine.run("credential_rotation", load_event(EVENTS / "credential_rotation_sendgrid.json"))
    engine.vendors.clear_faults()  # type: ignore[union-attr]

    assert execution.status == "FAILED"
    assert execution.error == "RotationFailed"
    assert "the new SendGrid key does not work" in (execution.cause or "")
    # the old key is still current and still works; the new one is gone from SendGrid
    assert labels(engine, SENDGRID_SECRET) == before
    assert value(engine, SENDGRID_SECRET)["api_key"] == SENDGRID_API_KEY
    assert sendgrid.key_works(SENDGRID_API_KEY)
    assert list(sendgrid.state()["api_keys"]) == [SENDGRID_API_KEY_ID]
    # the security channel was told
    security = _fake(engine, "slack").state()["messages"].get("#security-reviews", [])
    assert any("sendgrid-api-key" in m["text"] and "rolled back" in m["text"] for m in security)


def test_an_interrupted_rotation_is_resumed_without_a_second_key(engine: LocalEngine) -> None:
    sendgrid = _fake(engine, "sendgrid")
    job = job_for(engine, "sendgrid-api-key")
    changes = ChangeContext(execution_id="interrupted-1", actor=steps.ACTOR)
    # An execution that died after its create step (retried once by Step Functions: still one key)
    first = steps.create(job, "interrupted-1", changes, steps.Vendors.live())
    again = steps.create(job, "interrupted-1", changes, steps.Vendors.live())
    assert again.version == first.version
    assert again.resumed
    assert len(sendgrid.state()["api_keys"]) == 2
    assert labels(engine, SENDGRID_SECRET)[first.version] == ["AWSPENDING"]

    # The next run sees AWSPENDING (visible in the inventory) and carries that rotation on.
    execution = engine.run("credential_rotation", {"action": "rotate", "credential": "sendgrid-api-key"})

    assert execution.status == "SUCCEEDED", execution.cause
    (outcome,) = execution.output["outcomes"]
    assert outcome["stage"] == "resume"
    assert outcome["version"] == first.version
    assert [i["status"] for i in execution.output["inventory"] if i["name"] == "sendgrid-api-key"] == ["rotating"]
    assert labels(engine, SENDGRID_SECRET)[first.version] == ["AWSCURRENT"]
    keys = sendgrid.state()["api_keys"]
    assert list(keys) == [first.new_id]  # the old key retired, no third key created


def test_a_rotation_stopped_in_its_grace_period_retires_the_old_key_next_time(engine: LocalEngine) -> None:
    sendgrid = _fake(engine, "sendgrid")
    job = job_for(engine, "sendgrid-api-key")
    changes = ChangeContext(execution_id="stopped-1", actor=steps.ACTOR)
    created = steps.create(job, "stopped-1", changes, steps.Vendors.live())
    steps.test(job, engine.config, steps.Vendors.live())
    steps.finish(job, changes, steps.Vendors.live())
    old_version = next(v for v, stages in labels(engine, SENDGRID_SECRET).items() if "AWSPREVIOUS" in stages)
    assert labels(engine, SENDGRID_SECRET)[old_version] == ["AWSPREVIOUS", "RETIRING"]
    assert sendgrid.key_works(SENDGRID_API_KEY)  # in its grace period the old key still works

    execution = engine.run("credential_rotation", {"action": "rotate"})  # the schedule: nothing else is due

    assert execution.status == "SUCCEEDED", execution.cause
    assert [(o["name"], o["stage"], o["status"]) for o in execution.output["outcomes"]] == [
        ("sendgrid-api-key", "retire", "retired")
    ]
    assert labels(engine, SENDGRID_SECRET)[old_version] == ["AWSPREVIOUS"]
    assert list(sendgrid.state()["api_keys"]) == [created.new_id]


def test_dry_run_changes_nothing(engine: LocalEngine) -> None:
    before = labels(engine, SENDGRID_SECRET)

    execution = engine.run("credential_rotation", {"credential": "sendgrid-api-key", "force": True}, dry_run=True)

    assert execution.status == "SUCCEEDED", execution.cause
    assert execution.output["outcomes"][0]["status"] == "dry run"
    assert labels(engine, SENDGRID_SECRET) == before
    assert list(_fake(engine, "sendgrid").state()["api_keys"]) == [SENDGRID_API_KEY_ID]
    assert actions(execution) == ["s3:PutObject"]  # the evidence only; "would create ..." is not a change


# -- the GitHub webhook secret -------------------------------------------------------------------------


def test_webhook_secret_is_accepted_old_and_new_during_the_window_and_old_refused_after(engine: LocalEngine) -> None:
    old = value(engine, GITHUB_SECRET)["webhook_secret"]
    job = job_for(engine, "github-webhook-secret")
    changes = ChangeContext(execution_id="window-1", actor=steps.ACTOR)
    assert deliver(old)

    steps.create(job, "window-1", changes, steps.Vendors.live())
    new = value(engine, GITHUB_SECRET, "AWSPENDING")["webhook_secret"]
    assert deliver(old)
    assert deliver(new)
    steps.set_at_vendor(job, engine.config, changes, steps.Vendors.live())
    assert _fake(engine, "github").hook_secret() == new
    steps.test(job, engine.config, steps.Vendors.live())
    steps.finish(job, changes, steps.Vendors.live())
    assert deliver(old)
    assert deliver(new)
    assert not deliver("a-secret-nobody-has")

    steps.retire(job, changes, steps.Vendors.live())
    secret_cache.clear_cache()  # the ingress's cache is 5 minutes: every container has re-read since
    assert deliver(new)
    assert not deliver(old)


def test_webhook_secret_swapped_while_deliveries_arrive_refuses_none(engine: LocalEngine) -> None:
    github = _fake(engine, "github")
    old = value(engine, GITHUB_SECRET)["webhook_secret"]
    refused: list[str] = []
    forged_accepted: list[int] = []
    sent = {"github": 0, "old": 0}
    stop = threading.Event()

    def github_delivers() -> None:
        # GitHub signs with whatever its hook holds at that moment; a late delivery (or a
        # redelivery) signed with the old secret arrives too, and so does a forgery.
        while not stop.is_set():
            secret = github.hook_secret()
            sent["github"] += 1
            if not deliver(secret):
                refused.append("current hook secret")
            if not stop.is_set() and github.hook_secret() == secret == old:
                sent["old"] += 1
            if deliver("forged-" + secret[:8]):
                forged_accepted.append(1)

    secret_cache.RECHECK_MIN_S = 0.0  # locally waits are virtual: let every miss look again
    thread = threading.Thread(target=github_delivers)
    thread.start()
    try:
        execution = engine.run("credential_rotation", load_event(EVENTS / "credential_rotation_webhook.json"))
    finally:
        stop.set()
        thread.join()
        secret_cache.RECHECK_MIN_S = 1.0

    assert execution.status == "SUCCEEDED", execution.cause
    new = value(engine, GITHUB_SECRET)["webhook_secret"]
    assert new != old
    assert github.hook_secret() == new
    assert sent["github"] > 0
    assert refused == []
    assert forged_accepted == []
    secret_cache.clear_cache()  # the ingress's cache is 5 minutes: every container has re-read since
    assert deliver(new)
    assert not deliver(old)
    assert new not in everything_recorded(engine, execution)


# -- IAM machine user ------------------------------------------------------------------------------------


def test_ci_key_is_rotated_into_secrets_manager_and_github_actions(engine: LocalEngine) -> None:
    iam = boto3.client("iam", region_name=engine.region)
    old = value(engine, CI_SECRET)

    execution = engine.run("credential_rotation", load_event(EVENTS / "credential_rotation_ci_key.json"))

    assert execution.status == "SUCCEEDED", execution.cause
    new = value(engine, CI_SECRET)
    assert new["access_key_id"] != old["access_key_id"]
    # what CI reads now is the new key, encrypted for GitHub and decrypted by it
    github = _fake(engine, "github")
    assert github.actions_secret("AWS_ACCESS_KEY_ID", repo="example-corp/gitops") == new["access_key_id"]
    assert github.actions_secret("AWS_SECRET_ACCESS_KEY", repo="example-corp/gitops") == new["secret_access_key"]
    # the old key was never used, so it was deactivated at once and deleted after the wait
    keys = iam.list_access_keys(UserName="ci-deployer")["AccessKeyMetadata"]
    assert [(k["AccessKeyId"], k["Status"]) for k in keys] == [(new["access_key_id"], "Active")]
    assert {"iam:CreateAccessKey", "iam:UpdateAccessKey", "iam:DeleteAccessKey"} <= set(actions(execution))
    recorded = everything_recorded(engine, execution)
    assert new["secret_access_key"] not in recorded
    assert old["secret_access_key"] not in recorded


def test_an_old_key_still_in_use_at_the_end_of_the_grace_period_is_reported_not_deactivated(
    engine: LocalEngine,
) -> None:
    old = value(engine, CI_SECRET)
    sts = boto3.client(
        "sts",
        region_name=engine.region,
        aws_access_key_id=old["access_key_id"],
        aws_secret_access_key=old["secret_access_key"],
    )
    # CI keeps using the old key while the rotation waits: once in every wait between two checks.
    stop = clock.on_wait(sts.get_caller_identity)
    try:
        execution = engine.run("credential_rotation", load_event(EVENTS / "credential_rotation_ci_key.json"))
    finally:
        stop()

    assert execution.status == "SUCCEEDED", execution.cause
    (outcome,) = execution.output["outcomes"]
    assert outcome["status"] == "old key in use"
    assert outcome["old_key"] == old["access_key_id"]
    iam = boto3.client("iam", region_name=engine.region)
    statuses = {
        k["AccessKeyId"]: k["Status"] for k in iam.list_access_keys(UserName="ci-deployer")["AccessKeyMetadata"]
    }
    assert statuses[old["access_key_id"]] == "Active"
    assert "iam:UpdateAccessKey" not in actions(execution)
    checks = [s for s in execution.steps if s.name == "CheckKeyUse"]
    assert len(checks) == 24  # key_use_grace_hours / key_use_check_minutes
    security = _fake(engine, "slack").state()["messages"].get("#security-reviews", [])
    assert any(old["access_key_id"] in m["text"] and "still used" in m["text"] for m in security)
    # still marked RETIRING: the next scheduled run looks at its use again
    assert any("RETIRING" in stages for stages in labels(engine, CI_SECRET).values())


# -- every kind the platform rotates ---------------------------------------------------------------


def _only_the_new_okta_key(engine: LocalEngine) -> bool:
    keys = [k for app in _fake(engine, "okta").app_keys.values() for k in app]
    return [k["kid"] for k in keys] == [value(engine, "platform-automation/okta")["key_id"]]


def _only_the_new_iam_key(engine: LocalEngine) -> bool:
    iam = boto3.client("iam", region_name=engine.region)
    keys = iam.list_access_keys(UserName="ci-deployer")["AccessKeyMetadata"]
    return [k["AccessKeyId"] for k in keys] == [value(engine, CI_SECRET)["access_key_id"]]


def _the_hook_signs_with_the_new_secret(engine: LocalEngine) -> bool:
    return bool(_fake(engine, "github").hook_secret() == value(engine, GITHUB_SECRET)["webhook_secret"])


# name -> its secret, and what the vendor holds once the resumed rotation is done: the credential
# the interrupted run created, and no other
ROTATED = {
    "github-webhook-secret": (GITHUB_SECRET, _the_hook_signs_with_the_new_secret),
    "okta-service-key": ("platform-automation/okta", _only_the_new_okta_key),
    "ci-deployer": (CI_SECRET, _only_the_new_iam_key),
}


@pytest.mark.parametrize("name", sorted(ROTATED))
def test_every_rotated_kind_resumes_an_interrupted_rotation_without_a_second_new_credential(
    engine: LocalEngine, name: str
) -> None:
    """Like SendGrid's above, for each other kind: a run that died after its create step (and
    was retried) left one AWSPENDING version; the next run carries that rotation on."""
    secret, only_the_new_one = ROTATED[name]
    job = job_for(engine, name)
    changes = ChangeContext(execution_id=f"interrupted-{name}", actor=steps.ACTOR)
    first = steps.create(job, f"interrupted-{name}", changes, steps.Vendors.live())
    again = steps.create(job, f"interrupted-{name}", changes, steps.Vendors.live())
    assert (again.version, again.resumed) == (first.version, True)
    assert labels(engine, secret)[first.version] == ["AWSPENDING"]

    execution = engine.run("credential_rotation", {"action": "rotate", "credential": name})

    assert execution.status == "SUCCEEDED", execution.cause
    (outcome,) = execution.output["outcomes"]
    assert (outcome["stage"], outcome["version"]) == ("resume", first.version)
    assert labels(engine, secret)[first.version] == ["AWSCURRENT"]
    assert only_the_new_one(engine)


def _sts_refuses(**_: object) -> tuple[AWSResponse, dict[str, object]]:
    error = {"Code": "AccessDenied", "Message": "User is not authorized to perform: sts:GetCallerIdentity"}
    parsed = {"Error": error, "ResponseMetadata": {"HTTPStatusCode": 403}}
    return AWSResponse("https://sts.amazonaws.com/", 403, HTTPHeaders(), None), parsed


def test_a_new_ci_key_that_does_not_work_is_deleted_and_the_old_one_stays_current(engine: LocalEngine) -> None:
    old = value(engine, CI_SECRET)
    before = labels(engine, CI_SECRET)

    with on_default_session("before-call.sts.GetCallerIdentity", _sts_refuses, "test-sts-refuses"):
        execution = engine.run("credential_rotation", load_event(EVENTS / "credential_rotation_ci_key.json"))

    assert execution.status == "FAILED"
    assert execution.error == "RotationFailed"
    assert "the new key does not work" in (execution.cause or "")
    assert labels(engine, CI_SECRET) == before
    assert value(engine, CI_SECRET) == old
    iam = boto3.client("iam", region_name=engine.region)
    keys = iam.list_access_keys(UserName="ci-deployer")["AccessKeyMetadata"]
    assert [(k["AccessKeyId"], k["Status"]) for k in keys] == [(old["access_key_id"], "Active")]
    github = _fake(engine, "github")
    assert github.actions_secret("AWS_ACCESS_KEY_ID", repo="example-corp/gitops") in (None, old["access_key_id"])
