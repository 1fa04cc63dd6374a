"""Lambda code and dependencies, prepared locally (no Docker).

The code asset is `functions/` plus the validated configuration as `platform.json`; the
dependency layer is `build/layer/python`, which `make layer` installs from uv.lock for the Lambda
platform (`uv pip install --python-platform aarch64-manylinux2014 --python-version 3.13`).
"""

from __future__ import annotations

import shutil
from pathlib import Path

from functions.core import constants
from functions.core.config import PlatformConfig

ROOT = Path(__file__).resolve().parent.parent
BUILD = ROOT / "build"
LAYER_DIR = BUILD / "layer"


class PackagingError(Exception):
    pass


def stage_code(config: PlatformConfig, build: Path = BUILD) -> Path:
    """Copies the Lambda code and the bundled configuration into build/lambda/code."""
    target = build / "lambda" / "code"
    if target.exists():
        shutil.rmtree(target)
    shutil.copytree(
        ROOT / "functions",
        target / "functions",
        ignore=shutil.ignore_patterns("__pycache__", "*.pyc", ".mypy_cache"),
    )
    (target / constants.BUNDLED_CONFIG).write_text(config.model_dump_json(indent=2), encoding="utf-8")
    return target


def layer_dir() -> Path:
    if not (LAYER_DIR / ".built").is_file() or not (LAYER_DIR / "python").is_dir():
        raise PackagingError(
            f"the Lambda dependency layer is not built ({LAYER_DIR}/python): run `make layer` (or `make synth`)"
        )
    return LAYER_DIR
