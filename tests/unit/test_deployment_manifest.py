"""The GitOps manifest edit: only the image tag changes, byte for byte everything else stays."""

from __future__ import annotations

import pytest
import yaml

from functions.deployment.manifest import ManifestError, current_tag, diff, set_tag

IMAGE = "ghcr.io/example-corp/orders-api"
KUSTOMIZATION = """\
apiVersion: kustomize.config.k8s.io/v1beta1
kind: Kustomization
# the staging overlay
namespace: orders-staging
resources:
  - ../../base
images:
  - name: ghcr.io/example-corp/other
    newTag: "9.9.9"
  - name: ghcr.io/example-corp/orders-api
    newTag: sha-be4ddfb   # changed by the deployment workflow
replicas:
  - {name: orders-api, count: 2}
"""
VALUES = """\
replicaCount: 3
image:
  repository: 111111111111.dkr.ecr.eu-west-1.amazonaws.com/web
  tag: "1.4.0"  # the release
  pullPolicy: IfNotPresent
resources: {}
"""
ECR = "111111111111.dkr.ecr.eu-west-1.amazonaws.com/web"


def test_kustomize_reads_and_sets_only_the_images_new_tag():
    assert current_tag(KUSTOMIZATION, "kustomize", IMAGE, "image.tag") == "sha-be4ddfb"
    after = set_tag(KUSTOMIZATION, "kustomize", IMAGE, "image.tag", "sha-83e8a7d")
    assert after == KUSTOMIZATION.replace("newTag: sha-be4ddfb", "newTag: sha-83e8a7d")
    assert current_tag(after, "kustomize", IMAGE, "image.tag") == "sha-83e8a7d"
    assert yaml.safe_load(after)["images"][0]["newTag"] == "9.9.9"  # the other image untouched


def test_helm_keeps_the_quoting_and_the_comment():
    assert current_tag(VALUES, "helm", ECR, "image.tag") == "1.4.0"
    after = set_tag(VALUES, "helm", ECR, "image.tag", "1.5.0")
    assert after == VALUES.replace('tag: "1.4.0"', 'tag: "1.5.0"')


@pytest.mark.parametrize(("tag", "written"), [("1.10", '"1.10"'), ("true", '"true"'), ("v2", "v2"), ("123", '"123"')])
def test_a_plain_tag_yaml_would_read_as_something_else_is_quoted(tag, written):
    text = "image:\n  tag: old\n"
    after = set_tag(text, "helm", ECR, "image.tag", tag)
    assert after == f"image:\n  tag: {written}\n"
    assert yaml.safe_load(after)["image"]["tag"] == tag


def test_a_kustomize_entry_without_new_tag_gets_one():
    text = "images:\n  - name: ghcr.io/example-corp/orders-api\n    newName: ghcr.io/example-corp/orders-api\n"
    assert current_tag(text, "kustomize", IMAGE, "") is None
    after = set_tag(text, "kustomize", IMAGE, "", "sha-1234567")
    assert yaml.safe_load(after)["images"][0] == {"name": IMAGE, "newName": IMAGE, "newTag": "sha-1234567"}


@pytest.mark.parametrize(
    ("text", "fmt", "key", "problem"),
    [
        ("images: []\n", "kustomize", "", "no images: entry"),
        ("resources: []\n", "kustomize", "", "no images: list"),
        ("images:\n  - name: ghcr.io/example-corp/orders-api\n    digest: sha256:abc\n", "kustomize", "", "digest"),
        ("image:\n  repository: nginx\n  tag: '1'\n", "helm", "image.tag", "beside repository nginx"),
        ("image:\n  tag: '1'\n", "helm", "app.image.tag", "has no app"),
        ("- a\n", "helm", "image.tag", "not a YAML mapping"),
        ("image: [\n", "helm", "image.tag", "not valid YAML"),
    ],
)
def test_a_tag_that_is_not_where_the_configuration_says_is_an_error(text, fmt, key, problem):
    with pytest.raises(ManifestError, match=problem):
        current_tag(text, fmt, IMAGE, key, "the/file.yaml")


def test_the_diff_shows_the_one_line():
    after = set_tag(KUSTOMIZATION, "kustomize", IMAGE, "", "sha-83e8a7d")
    lines = diff(KUSTOMIZATION, after, "apps/orders-api/overlays/staging/kustomization.yaml")
    changed = [line for line in lines if line[:1] in "+-" and line[:3] not in ("+++", "---")]
    assert changed == [
        "-    newTag: sha-be4ddfb   # changed by the deployment workflow",
        "+    newTag: sha-83e8a7d   # changed by the deployment workflow",
    ]
