"""The trimmed descriptions in sandbox/specs/ are what scripts/vendor_specs.py makes of the full
ones, and hold every operation the manifest lists."""

from __future__ import annotations

import json

import pytest

from sandbox.contract.extract import (
    MANIFEST,
    SOURCE_ENV,
    SPECS_DIR,
    default_source_dir,
    load_manifest,
    split_operation,
    vendored_path,
    vendored_text,
)

ENTRIES = load_manifest()


@pytest.mark.parametrize("name", sorted(ENTRIES))
def test_the_vendored_description_matches_a_fresh_extraction(name: str):
    source = default_source_dir()
    if source is None:
        pytest.skip(f"the full descriptions are not on this machine (../shared/specs, or set {SOURCE_ENV})")
    if not (source / ENTRIES[name]["source"]).exists():
        pytest.skip(f"{source / ENTRIES[name]['source']} is missing")
    assert vendored_path(name).read_text(encoding="utf-8") == vendored_text(name, ENTRIES[name], source), (
        f"sandbox/specs/{name}.json is out of date: run `make specs`"
    )


@pytest.mark.parametrize("name", sorted(ENTRIES))
def test_every_listed_operation_is_in_the_vendored_description(name: str):
    document = json.loads(vendored_path(name).read_text(encoding="utf-8"))
    assert document["x-vendored"]["source"] == ENTRIES[name]["source"]
    for operation in ENTRIES[name]["operations"]:
        method, template = split_operation(operation)
        assert method in document["paths"].get(template, {}), f"{operation} is missing: run `make specs`"


def test_no_vendored_description_is_left_over():
    vendored = {path.stem for path in SPECS_DIR.glob("*.json")}
    assert vendored == set(ENTRIES), f"not in {MANIFEST.name}: {sorted(vendored - set(ENTRIES))}"
