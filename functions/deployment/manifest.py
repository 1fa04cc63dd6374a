"""The one line of a GitOps manifest that says which image runs: read it, change only it.

Two layouts are understood:

- **kustomize**: a `kustomization.yaml` whose `images:` list has an entry for the image (`name:`,
  or `newName:` when the entry renames one) with its `newTag:`;
- **helm**: a values file with the tag under a dotted key (`image.tag`); when a `repository:`
  sits beside it, it must be the service's image, so a wrong key is caught rather than deployed.

The file is parsed (PyYAML's node tree, which knows where each scalar starts and ends), and the
new tag is spliced into the original text at exactly that scalar: comments, key order, quoting
and every other line stay byte for byte what they were. A tag YAML would read as something else
than a string (`1.10`, `true`) is quoted.
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass
from typing import Literal

import yaml
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

Format = Literal["kustomize", "helm"]
MAX_DIFF_LINES = 40
QUOTE = '"'


class ManifestError(ValueError):
    """The file does not hold the image's tag where the configuration says it does."""


@dataclass(frozen=True)
class TagSpot:
    tag: str | None  # None: the kustomize entry has no newTag yet
    start: int  # offsets in the text of the scalar (or, without one, where a newTag line goes)
    end: int
    style: str | None  # the scalar's quoting: None (plain), "'" or '"'
    insert_indent: str = ""  # for a missing newTag: the indentation of the entry's keys


def _compose(text: str, path: str) -> Node:
    try:
        root = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.YAMLError as exc:
        raise ManifestError(f"{path} is not valid YAML: {exc}") from None
    if not isinstance(root, MappingNode):
        raise ManifestError(f"{path} is not a YAML mapping")
    return root


def _get(mapping: MappingNode, key: str) -> Node | None:
    return next((v for k, v in mapping.value if isinstance(k, ScalarNode) and k.value == key), None)


def _offset(text: str, line: int, column: int) -> int:
    lines = text.splitlines(keepends=True)
    return sum(len(x) for x in lines[:line]) + column


def _scalar_spot(text: str, node: Node, where: str) -> TagSpot:
    if not isinstance(node, ScalarNode):
        raise ManifestError(f"{where} is not a scalar")
    start = _offset(text, node.start_mark.line, node.start_mark.column)
    end = _offset(text, node.end_mark.line, node.end_mark.column)
    return TagSpot(node.value, start, end, node.style if node.style in ("'", '"') else None)


def _short(image: str) -> str:
    return image.split("/", 1)[1] if "." in image.split("/", 1)[0] and "/" in image else image


def find_tag(text: str, fmt: Format, image: str, key: str, path: str = "manifest") -> TagSpot:
    root = _compose(text, path)
    if fmt == "kustomize":
        images = _get(root, "images")  # type: ignore[arg-type]
        if not isinstance(images, SequenceNode):
            raise ManifestError(f"{path} has no images: list")
        for entry in images.value:
            if not isinstance(entry, MappingNode):
                continue
            names = {v.value for k, v in entry.value if isinstance(v, ScalarNode) and k.value in ("name", "newName")}
            if image not in names and _short(image) not in names:
                continue
            if _get(entry, "digest") is not None:
                raise ManifestError(f"{path}: {image} is pinned by digest; a tag would not take effect")
            tag = _get(entry, "newTag")
            if tag is not None:
                return _scalar_spot(text, tag, f"{path}: newTag of {image}")
            # No newTag yet: a new line after the entry's last key, indented like its keys.
            last = entry.value[-1][1]
            first_key = entry.value[0][0]
            at = _offset(text, last.end_mark.line, last.end_mark.column)
            at = text.find("\n", at)
            at = len(text) if at < 0 else at + 1
            return TagSpot(None, at, at, None, " " * first_key.start_mark.column)
        raise ManifestError(f"{path}: no images: entry for {image}")
    node: Node = root
    parts = key.split(".")
    for depth, part in enumerate(parts):
        if not isinstance(node, MappingNode):
            raise ManifestError(f"{path}: {'.'.join(parts[:depth])} is not a mapping")
        found = _get(node, part)
        if found is None:
            raise ManifestError(f"{path} has no {'.'.join(parts[: depth + 1])}")
        if depth == len(parts) - 1 and isinstance(node, MappingNode):
            repository = _get(node, "repository")
            if isinstance(repository, ScalarNode) and repository.value not in (image, _short(image)):
                raise ManifestError(f"{path}: {key} is beside repository {repository.value}, not {image}")
        node = found
    return _scalar_spot(text, node, f"{path}: {key}")


def current_tag(text: str, fmt: Format, image: str, key: str, path: str = "manifest") -> str | None:
    return find_tag(text, fmt, image, key, path).tag


def _render(tag: str, style: str | None) -> str:
    if style == "'":
        return "'" + tag.replace("'", "''") + "'"
    if style == '"' or yaml.safe_load(tag) != tag:  # 1.10 would be a float, true a bool
        return '"' + tag + '"'
    return tag


def set_tag(text: str, fmt: Format, image: str, key: str, tag: str, *, path: str = "manifest") -> str:
    """`text` with the image's tag set to `tag` and nothing else changed."""
    spot = find_tag(text, fmt, image, key, path)
    if spot.tag is None:
        prefix = "" if spot.start == 0 or text[spot.start - 1] == "\n" else "\n"
        line = f"{prefix}{spot.insert_indent}newTag: {_render(tag, QUOTE)}\n"
        return text[: spot.start] + line + text[spot.end :]
    return text[: spot.start] + _render(tag, spot.style) + text[spot.end :]


def diff(before: str, after: str, path: str) -> list[str]:
    """A unified diff of the change, as lines (at most MAX_DIFF_LINES)."""
    lines = list(
        difflib.unified_diff(
            before.splitlines(), after.splitlines(), fromfile=f"a/{path}", tofile=f"b/{path}", lineterm="", n=2
        )
    )
    return (
        lines if len(lines) <= MAX_DIFF_LINES else [*lines[:MAX_DIFF_LINES], f"... {len(lines) - MAX_DIFF_LINES} more"]
    )
