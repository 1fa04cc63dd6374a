"""Seeds moto's IAM Identity Center and IAM with the organisation the vendor fakes hold: the
permission sets and groups the teams (and people's `aws_groups`) name, an Identity Center user for
every active person with their group memberships, and classic IAM users (with an access key) for the
people marked `aws_iam_user: true`."""

from __future__ import annotations

from typing import Any

import boto3

from functions.core.config import PlatformConfig


def seed_people(config: PlatformConfig, region: str, org: dict[str, Any]) -> None:
    center = config.aws.identity_center
    sso = boto3.client("sso-admin", region_name=region)
    sets = {a.permission_set for team in config.teams.values() for a in team.aws_access}
    sets |= {g.aws.permission_set for g in config.jit.grants.values() if g.aws is not None}  # just-in-time grants
    for name in sorted(sets):
        sso.create_permission_set(Name=name, InstanceArn=center.instance_arn, Description=f"{name} (sandbox)")
    store = boto3.client("identitystore", region_name=region)
    named = {g for team in config.teams.values() for g in team.aws_groups}
    named |= {g for person in org.get("people", []) for g in person.get("aws_groups") or []}
    groups = {
        name: store.create_group(IdentityStoreId=center.identity_store_id, DisplayName=name)["GroupId"]
        for name in sorted(named)
    }
    iam = boto3.client("iam", region_name=region)
    for person in org.get("people", []):
        if (person.get("okta") or {}).get("status", "ACTIVE") == "DEPROVISIONED":
            continue
        first, _, last = str(person.get("name") or person["email"]).partition(" ")
        user_id = store.create_user(
            IdentityStoreId=center.identity_store_id,
            UserName=person["email"],
            DisplayName=person.get("name") or person["email"],
            Name={"GivenName": first, "FamilyName": last or first},
            Emails=[{"Value": person["email"], "Type": "work", "Primary": True}],
        )["UserId"]
        for assignment in person.get("aws_assignments") or []:  # direct account assignments, as onboarding makes
            _assign(sso, config, user_id, assignment["account"], assignment["permission_set"])
        for name in person.get("aws_groups") or []:
            store.create_group_membership(
                IdentityStoreId=center.identity_store_id, GroupId=groups[name], MemberId={"UserId": user_id}
            )
        if person.get("aws_iam_user"):
            user = person["email"].split("@", 1)[0]
            iam.create_user(UserName=user, Tags=[{"Key": "email", "Value": person["email"]}])
            iam.create_access_key(UserName=user)
    from sandbox.seed_deploy import seed_images

    seed_images(org)  # the ECR images the organisation's services were built into


def _assign(sso: Any, config: PlatformConfig, user_id: str, account: str, permission_set: str) -> None:
    center = config.aws.identity_center
    arns = sso.list_permission_sets(InstanceArn=center.instance_arn)["PermissionSets"]
    named = {
        sso.describe_permission_set(InstanceArn=center.instance_arn, PermissionSetArn=a)["PermissionSet"]["Name"]: a
        for a in arns
    }
    sso.create_account_assignment(
        InstanceArn=center.instance_arn,
        TargetId=config.aws.accounts[account],
        TargetType="AWS_ACCOUNT",
        PermissionSetArn=named[permission_set],
        PrincipalType="USER",
        PrincipalId=user_id,
    )
