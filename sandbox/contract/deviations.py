"""The deliberate deviations from the vendors' API descriptions (sandbox/spec_deviations.yaml).

Each entry names an operation pattern "<service> <METHOD> <path>" and what is allowed for it:

    undocumented: true          the operation is in no description; its exchanges are not checked
    documented_as: METHOD       check it against the description's METHOD operation on the same path
    path_params: {name: regex}  the path parameter may match `regex` (by default one path segment)
    responses: {status: ref}    the answer with that status is the description's response `ref`
    problems: [regex, ...]      problems whose text ("<where>: <detail>") matches one are accepted

In a pattern, `*` is one path segment (or any method), `**` any rest of the path, and `{name}`
matches both that template parameter and any one segment.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

DEVIATIONS_FILE = Path(__file__).resolve().parent.parent / "spec_deviations.yaml"
_ALLOWED = {"undocumented", "documented_as", "path_params", "responses", "problems"}


class DeviationError(ValueError):
    """The deviations file is malformed."""


@dataclass
class Deviation:
    operation: str
    reason: str
    undocumented: bool = False
    documented_as: str | None = None
    path_params: dict[str, str] = field(default_factory=dict)
    responses: dict[str, str] = field(default_factory=dict)
    problems: list[re.Pattern[str]] = field(default_factory=list)
    used: int = 0
    service: str = field(init=False)
    _method: str = field(init=False)
    _path: re.Pattern[str] = field(init=False)

    def __post_init__(self) -> None:
        parts = self.operation.split()
        if len(parts) != 3 or not parts[2].startswith("/"):
            raise DeviationError(f"{self.operation!r}: expected '<service> <METHOD> <path>'")
        self.service, method, path = parts
        self._method = method.upper()
        self._path = re.compile(f"^{_glob(path)}$")

    def applies(self, service: str, method: str, *paths: str) -> bool:
        """Whether this entry covers `method` on any of `paths` (a template or a concrete path)."""
        if service != self.service or self._method not in ("*", method.upper()):
            return False
        return any(self._path.match(path) for path in paths)

    def accepts(self, problem_text: str) -> bool:
        return any(pattern.search(problem_text) for pattern in self.problems)


def _glob(path: str) -> str:
    out = []
    for part in re.split(r"(\*\*|\*|\{[^}/]+\})", path):
        if part == "**":
            out.append(".*")
        elif part == "*":
            out.append("[^/]*")
        elif part.startswith("{") and part.endswith("}"):
            out.append(f"(?:{re.escape(part)}|[^/]+)")
        else:
            out.append(re.escape(part))
    return "".join(out)


def load_deviations(path: Path = DEVIATIONS_FILE) -> list[Deviation]:
    data = yaml.safe_load(path.read_text(encoding="utf-8")) if path.exists() else None
    entries = (data or {}).get("deviations", []) if isinstance(data, dict) else data or []
    if not isinstance(entries, list):
        raise DeviationError(f"{path}: expected a list under 'deviations'")
    return [_deviation(entry, f"{path}: entry {index + 1}") for index, entry in enumerate(entries)]


def _deviation(entry: Any, where: str) -> Deviation:
    if not isinstance(entry, dict) or not {"operation", "allow", "reason"} <= set(entry):
        raise DeviationError(f"{where}: needs operation, allow and reason")
    allow = entry["allow"]
    if not isinstance(allow, dict) or not allow or set(allow) - _ALLOWED:
        raise DeviationError(f"{where}: allow takes one or more of {sorted(_ALLOWED)}")
    reason = str(entry["reason"]).strip()
    if len(reason) < 10:
        raise DeviationError(f"{where}: say why (reason)")
    try:
        problems = [re.compile(p) for p in allow.get("problems", [])]
    except re.error as exc:
        raise DeviationError(f"{where}: bad problem pattern: {exc}") from exc
    documented_as = allow.get("documented_as")
    return Deviation(
        operation=str(entry["operation"]),
        reason=reason,
        undocumented=bool(allow.get("undocumented", False)),
        documented_as=str(documented_as).upper() if documented_as else None,
        path_params={str(k): str(v) for k, v in (allow.get("path_params") or {}).items()},
        responses={str(k): str(v) for k, v in (allow.get("responses") or {}).items()},
        problems=problems,
    )
