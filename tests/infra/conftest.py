"""Infra tests synthesize with the pinned Node 22 from node_modules, as `make synth` does."""

from __future__ import annotations

import os
from pathlib import Path

_NODE = Path(__file__).resolve().parents[2] / "node_modules" / ".bin" / "node"
if _NODE.exists():
    os.environ.setdefault("JSII_NODE", str(_NODE))
os.environ.setdefault("JSII_SILENCE_WARNING_UNTESTED_NODE_VERSION", "1")
