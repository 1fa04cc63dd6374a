"""Trim a vendor's API description to the operations the platform uses.

The full descriptions are large (GitHub's is 13 MB) and live outside the repository, so the
repository keeps a subset: the listed operations and everything they reference, transitively,
with every `$ref` pointer unchanged so that it resolves in the subset exactly as in the original.
Examples are dropped (they are documentation, and the bulk of the referenced components).
"""

from __future__ import annotations

import copy
import hashlib
import json
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import yaml

HTTP_METHODS = ("get", "put", "post", "delete", "options", "head", "patch", "trace")
# Top-level keys a checker needs; the rest (tags, long descriptions, security prose) is documentation.
_TOP_KEYS = ("openapi", "swagger", "servers", "host", "basePath", "schemes", "consumes", "produces")
_PATH_ITEM_KEYS = ("summary", "description", "parameters", "servers")
# Where a referenced entry lives: a pointer is copied from its container entry, whole.
_CONTAINERS = {
    ("components", "parameters"): "parameter",
    ("components", "responses"): "response",
    ("components", "requestBodies"): "request_body",
    ("components", "headers"): "header",
    ("parameters",): "parameter",
    ("responses",): "response",
}


class TrimError(ValueError):
    """The manifest names an operation the description does not have."""


def load_document(path: Path) -> dict[str, Any]:
    text = path.read_text(encoding="utf-8")
    if path.suffix in (".yaml", ".yml"):
        loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
        data = yaml.load(text, Loader=loader)  # noqa: S506 - a safe loader, the C one when built
    else:
        data = json.loads(text)
    if not isinstance(data, dict) or "paths" not in data:
        raise TrimError(f"{path} is not an OpenAPI or Swagger description")
    return data


def sha256_of(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def split_operation(operation: str) -> tuple[str, str]:
    method, _, template = operation.strip().partition(" ")
    if method.lower() not in HTTP_METHODS or not template.startswith("/"):
        raise TrimError(f"{operation!r} is not 'METHOD /path/template'")
    return method.lower(), template.strip()


def decode_pointer(pointer: str) -> list[str]:
    """'#/components/schemas/a~1b' -> ['components', 'schemas', 'a/b']."""
    if not pointer.startswith("#/"):
        raise TrimError(f"only local $refs are supported, not {pointer!r}")
    return [part.replace("~1", "/").replace("~0", "~") for part in pointer[2:].split("/")]


def encode_pointer(parts: list[str]) -> str:
    return "#/" + "/".join(part.replace("~", "~0").replace("/", "~1") for part in parts)


def resolve_pointer(document: Any, parts: list[str]) -> Any:
    node = document
    for part in parts:
        if isinstance(node, list):
            node = node[int(part)]
        elif isinstance(node, dict) and part in node:
            node = node[part]
        else:
            raise KeyError(encode_pointer(parts))
    return node


def trim(
    document: dict[str, Any], operations: list[str], provenance: dict[str, Any], extra_refs: tuple[str, ...] = ()
) -> dict[str, Any]:
    """The subset of `document` holding `operations` ("METHOD /template"), the `extra_refs` pointers
    and their $ref closure."""
    out: dict[str, Any] = {key: copy.deepcopy(document[key]) for key in _TOP_KEYS if key in document}
    info = document.get("info", {})
    out["info"] = {key: info[key] for key in ("title", "version") if key in info}
    out["x-vendored"] = provenance
    paths: dict[str, dict[str, Any]] = {}
    wanted: dict[str, set[str]] = {}
    for operation in operations:
        method, template = split_operation(operation)
        item = document["paths"].get(template)
        if not isinstance(item, dict) or method not in item:
            documented = sorted(m.upper() for m in (item or {}) if m in HTTP_METHODS)
            hint = f" (it documents {', '.join(documented)})" if documented else ""
            raise TrimError(f"{method.upper()} {template} is not in the description{hint}")
        wanted.setdefault(template, set()).add(method)
    for template, item in document["paths"].items():  # the description's order, for stable output
        if template in wanted:
            kept = {k: v for k, v in item.items() if k in _PATH_ITEM_KEYS or k in wanted[template]}
            paths[template] = _strip(copy.deepcopy(kept), "path_item")
    out["paths"] = paths

    entries: dict[tuple[str, ...], Any] = {}
    missing: list[str] = []
    queue = [*_references(paths), *extra_refs]
    while queue:
        pointer = queue.pop()
        parts = decode_pointer(pointer)
        entry = _entry_of(parts)
        if entry in entries:
            continue
        try:
            node = copy.deepcopy(resolve_pointer(document, list(entry)))
        except (KeyError, IndexError, ValueError):
            missing.append(pointer)
            continue
        node = _strip(node, _CONTAINERS.get(entry[:-1], "schema"))
        entries[entry] = node
        queue.extend(_references(node))
    if missing:
        raise TrimError(f"unresolvable $refs in the closure: {', '.join(sorted(set(missing)))}")
    _place(out, document, entries)
    return out


def _entry_of(parts: list[str]) -> tuple[str, ...]:
    if parts[0] == "components" and len(parts) >= 3:
        return tuple(parts[:3])
    if parts[0] in ("definitions", "parameters", "responses") and len(parts) >= 2:
        return tuple(parts[:2])
    return tuple(parts)


def _place(out: dict[str, Any], document: dict[str, Any], entries: dict[tuple[str, ...], Any]) -> None:
    """Put each copied entry at its original pointer, in the description's order."""

    def order(entry: tuple[str, ...]) -> tuple[int, ...]:
        positions = []
        node: Any = document
        for part in entry:
            if isinstance(node, dict):
                positions.append(list(node).index(part))
                node = node[part]
            else:
                positions.append(int(part))
                node = node[int(part)]
        return tuple(positions)

    for entry in sorted(entries, key=order):
        target = out
        for part in entry[:-1]:
            target = target.setdefault(part, {})
        target[entry[-1]] = entries[entry]


def _references(node: Any) -> Iterator[str]:
    """Every local $ref below `node`, and the schemas a discriminator's mapping names."""
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "$ref" and isinstance(value, str) and value.startswith("#/"):
                yield value
            elif key == "discriminator" and isinstance(value, dict):
                yield from (v for v in value.get("mapping", {}).values() if isinstance(v, str) and v.startswith("#/"))
            else:
                yield from _references(value)
    elif isinstance(node, list):
        for value in node:
            yield from _references(value)


def _strip(node: Any, kind: str) -> Any:
    """Drop examples where the description keeps them beside (not inside) schemas."""
    if not isinstance(node, dict) or "$ref" in node:
        return node
    if kind == "path_item":
        for key, value in node.items():
            if key == "parameters":
                node[key] = [_strip(p, "parameter") for p in value]
            elif key in HTTP_METHODS:
                node[key] = _strip(value, "operation")
    elif kind == "operation":
        node.pop("x-codeSamples", None)
        if "parameters" in node:
            node["parameters"] = [_strip(p, "parameter") for p in node["parameters"]]
        if "requestBody" in node:
            node["requestBody"] = _strip(node["requestBody"], "request_body")
        for status, response in node.get("responses", {}).items():
            node["responses"][status] = _strip(response, "response")
    elif kind in ("parameter", "header", "media_type", "request_body", "response"):
        node.pop("examples", None)
        for media, value in node.get("content", {}).items():
            node["content"][media] = _strip(value, "media_type")
        for name, header in node.get("headers", {}).items():
            node["headers"][name] = _strip(header, "header")
    return node


# --- the manifest and the vendored files ------------------------------------------------------
SPECS_DIR = Path(__file__).resolve().parent.parent / "specs"
MANIFEST = SPECS_DIR / "operations.yaml"
SOURCE_ENV = "PLATFORM_VENDOR_SPECS"


def load_manifest(path: Path = MANIFEST) -> dict[str, dict[str, Any]]:
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    if not isinstance(data, dict):
        raise TrimError(f"{path}: expected a mapping of description name -> settings")
    for name, entry in data.items():
        if not isinstance(entry, dict) or not {"source", "service", "operations"} <= set(entry):
            raise TrimError(f"{path}: {name} needs source, service and operations")
        for operation in entry["operations"]:
            split_operation(operation)
    return data


def default_source_dir() -> Path | None:
    """Where the full descriptions are: $PLATFORM_VENDOR_SPECS, else ../shared/specs beside the checkout."""
    configured = os.environ.get(SOURCE_ENV)
    candidate = Path(configured) if configured else SPECS_DIR.parents[2] / "shared" / "specs"
    return candidate if candidate.is_dir() else None


def vendored_text(name: str, entry: dict[str, Any], source_dir: Path) -> str:
    """The vendored file for one description, as text (what `write_vendored` writes)."""
    source = source_dir / entry["source"]
    provenance = {
        "source": entry["source"],
        "sha256": sha256_of(source),
        "generated_by": "scripts/vendor_specs.py from sandbox/specs/operations.yaml",
        "name": name,
    }
    extra = (entry["error_schema"],) if entry.get("error_schema") else ()
    trimmed = trim(load_document(source), list(entry["operations"]), provenance, extra)
    return json.dumps(trimmed, indent=1, ensure_ascii=False) + "\n"


def vendored_path(name: str) -> Path:
    return SPECS_DIR / f"{name}.json"
