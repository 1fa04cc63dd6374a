"""Shared fixtures: the example configuration, and copies of it changed for one test."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml

pytest_plugins = ["tests.contract_plugin"]

ROOT = Path(__file__).resolve().parent.parent
EXAMPLE_CONFIG = ROOT / "platform.example.yaml"


@pytest.fixture
def example_data() -> dict[str, Any]:
    """The example configuration as plain data, a fresh copy for each test to change."""
    return yaml.safe_load(EXAMPLE_CONFIG.read_text(encoding="utf-8"))


def _write_config(directory: Path, data: dict[str, Any], name: str = "platform.yaml") -> Path:
    path = directory / name
    path.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
    return path


@pytest.fixture
def write_config(tmp_path: Path) -> Callable[..., Path]:
    """Writes a configuration (plain data) to a YAML file in tmp_path and returns its path."""

    def write(data: dict[str, Any], name: str = "platform.yaml") -> Path:
        return _write_config(tmp_path, data, name)

    return write


@pytest.fixture(scope="session")
def write_config_once(tmp_path_factory: pytest.TempPathFactory) -> Callable[..., Path]:
    """Like write_config, for module-scoped engines."""

    def write(data: dict[str, Any], name: str = "platform.yaml") -> Path:
        return _write_config(tmp_path_factory.mktemp("config"), data, name)

    return write


@pytest.fixture
def issue_opened() -> dict[str, Any]:
    """A real-shaped `issues.opened` delivery of the onboarding issue form."""
    return json.loads((ROOT / "events" / "github" / "issue_opened_onboarding.json").read_text())
