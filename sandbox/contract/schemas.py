"""Schema validation for the contract checks: one validator class per description dialect, $refs
resolved against the vendored description through a `referencing` registry, and errors turned
into short readable lines (".profile.login: required property missing")."""

from __future__ import annotations

import copy
import json
import re
from collections.abc import Iterable, Sequence
from datetime import date, datetime
from typing import Any

# jsonschema ships no type information (and types-jsonschema is not a dependency).
from jsonschema import FormatChecker
from jsonschema.exceptions import ValidationError, best_match
from jsonschema.validators import extend
from openapi_schema_validator import (
    OAS30ReadValidator,
    OAS30Validator,
    OAS31Validator,
    oas30_format_checker,
    oas31_format_checker,
)
from openapi_schema_validator import _keywords as oas_keywords
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT4, DRAFT202012

MAX_ERRORS = 8

ALWAYS_CHECKED_ITEMS = 10


def _shape(value: Any, depth: int = 0) -> Any:
    """The structure of a value (keys, value types, where nulls are), without the values."""
    if isinstance(value, dict):
        return tuple(sorted((k, _shape(v, depth + 1)) for k, v in value.items())) if depth < 4 else "object"
    if isinstance(value, list):
        return ("array", tuple(sorted({repr(_shape(v, depth + 1)) for v in value[:3]}))) if depth < 4 else "array"
    return type(value).__name__


def _sampled_items(validator: Any, items: Any, instance: Any, schema: Any) -> Any:  # noqa: ARG001 - a keyword's signature
    """OpenAPI 3.0 `items`, checking the first items of an array and then only items of a new shape:
    a page of 200 users costs 200 full validations otherwise, and the items of one page come from
    the same code (a state that changes the shape, such as a null lastLogin, is still seen)."""
    if not validator.is_type(instance, "array"):
        return
    seen = set()
    for index, item in enumerate(instance):
        if index >= ALWAYS_CHECKED_ITEMS:
            shape = _shape(item)
            if shape in seen:
                continue
            seen.add(shape)
        elif len(instance) > ALWAYS_CHECKED_ITEMS:
            seen.add(_shape(item))
        yield from validator.descend(item, items, path=index)


# Requests: readOnly properties are not required (the spec's rule) but an SDK that echoes them back
# (a full-object PUT) is not breaking anything, so sending one is no error.
_OAS30Request = extend(OAS30Validator, {"required": oas_keywords.write_required, "items": _sampled_items})
_OAS30Response = extend(OAS30ReadValidator, {"items": _sampled_items})

_RFC3339 = re.compile(r"^\d{4}-\d\d-\d\d[Tt]\d\d:\d\d:\d\d(\.\d+)?([Zz]|[+-]\d\d:\d\d)$")


def _is_date_time(instance: object) -> bool:
    if not isinstance(instance, str):
        return True
    if not _RFC3339.match(instance):
        return False
    datetime.fromisoformat(instance.upper().replace("Z", "+00:00"))  # raises on a 30 February
    return True


def _is_date(instance: object) -> bool:
    if not isinstance(instance, str):
        return True
    date.fromisoformat(instance)
    return re.fullmatch(r"\d{4}-\d\d-\d\d", instance) is not None


def _format_checker(base: FormatChecker) -> FormatChecker:
    checker = FormatChecker(formats=())
    checker.checkers = dict(base.checkers)
    checker.checks("date-time", raises=ValueError)(_is_date_time)
    checker.checks("date", raises=ValueError)(_is_date)
    return checker


_FORMATS = {"oas30": _format_checker(oas30_format_checker), "oas31": _format_checker(oas31_format_checker)}


def dialect_of(document: dict[str, Any]) -> str:
    """'oas30' for OpenAPI 3.0 and Swagger 2.0 (after `normalise_swagger`), 'oas31' for 3.1."""
    version = str(document.get("openapi", ""))
    return "oas31" if version.startswith(("3.1", "3.2")) else "oas30"


def registry_for(uri: str, document: dict[str, Any]) -> Registry[Any]:
    """The description as the one resource $refs resolve in. For OpenAPI 3.0 its local $refs are
    replaced by the objects they name first (a schema graph, cyclic where the schemas recurse): a
    reference lookup per $ref per validated object is a third of the validation time otherwise."""
    if dialect_of(document) == "oas31":
        resource: Resource[Any] = DRAFT202012.create_resource(document)
    else:
        resource = DRAFT4.create_resource(inline_refs(copy.deepcopy(document)))
    registry: Registry[Any] = Registry().with_resource(uri, resource)
    return registry


def build_validator(schema: dict[str, Any], dialect: str, registry: Registry[Any], *, response: bool) -> Any:
    if dialect == "oas31":
        cls: Any = OAS31Validator
    else:
        cls = _OAS30Response if response else _OAS30Request
    return cls(schema, registry=registry, format_checker=_FORMATS[dialect])


def inline_refs(document: dict[str, Any]) -> dict[str, Any]:
    """Replace each local {"$ref": ...} in `document` (in place) by the object it points to; a $ref
    with sibling keywords becomes {"allOf": [target], **siblings}. Returns `document`."""

    def target(ref: str) -> Any:
        node: Any = document
        for escaped in ref[2:].split("/"):
            part = escaped.replace("~1", "/").replace("~0", "~")
            node = node[int(part)] if isinstance(node, list) else node[part]
        return node

    def resolved(node: Any) -> Any:
        hops = 0
        while isinstance(node, dict) and isinstance(node.get("$ref"), str) and node["$ref"].startswith("#/"):
            siblings = {k: v for k, v in node.items() if k != "$ref"}
            following = target(node["$ref"])
            if siblings:
                return {"allOf": [resolved(following)], **siblings}
            node, hops = following, hops + 1
            if hops > 50:
                raise ValueError(f"a $ref cycle through {node}")
        return node

    seen: set[int] = set()
    stack: list[Any] = [document]
    while stack:
        node = stack.pop()
        if id(node) in seen:
            continue
        seen.add(id(node))
        if isinstance(node, dict):
            for key, value in node.items():
                if key not in ("discriminator", "example", "examples", "default", "enum"):
                    node[key] = resolved(value)
                    stack.append(node[key])
        elif isinstance(node, list):
            for index, value in enumerate(node):
                node[index] = resolved(value)
                stack.append(node[index])
    return document


def normalise_swagger(node: Any) -> None:
    """Read a Swagger 2.0 description's schemas as OpenAPI 3.0 ones: `x-nullable: true` is
    `nullable: true`, and the JSON Schema forms Slack's description uses (which neither dialect
    has) mean what they say: `type: [null, string]` a nullable string, `type: null` only null,
    and `items: [A, B]` on a schema that is no array "one of A or B" (instead of matching anything)."""
    if isinstance(node, dict):
        if node.get("x-nullable") is True:
            node["nullable"] = True
        kind = node.get("type")
        if isinstance(kind, list):
            kinds = [k for k in kind if k != "null"]
            if "null" in kind:
                node["nullable"] = True
            if len(kinds) == 1:
                node["type"] = kinds[0]
            else:
                del node["type"]
                node["anyOf"] = [{"type": k, "nullable": "null" in kind} for k in kinds]
        elif kind == "null":
            del node["type"]
            node["enum"] = [None]
        if isinstance(node.get("items"), list) and node.get("type") != "array":
            node["anyOf"] = node.pop("items")
        for value in node.values():
            normalise_swagger(value)
    elif isinstance(node, list):
        for value in node:
            normalise_swagger(value)


def problems_of(validator: Any, instance: Any) -> list[str]:
    """Readable lines for the validation errors of `instance`, the most useful first."""
    # sorted and unique: OpenAPI 3.0's `type` reports a null twice (not nullable, and not the type)
    try:
        lines = sorted({describe(error) for error in validator.iter_errors(instance)})
    except Exception as exc:  # noqa: BLE001 - a description the validator cannot read must not end the run
        return [f"the checker could not validate against this schema: {type(exc).__name__}: {exc}"]
    if len(lines) > MAX_ERRORS:
        lines[MAX_ERRORS:] = [f"... and {len(lines) - MAX_ERRORS} more"]
    return lines


def describe(error: ValidationError) -> str:
    path = list(error.absolute_path)
    keyword = error.validator
    message: str
    if keyword == "required":
        match = re.match(r"'(.+)' is a required property", error.message)
        if match:
            path.append(match.group(1))
        message = "required property missing"
    elif keyword == "type":
        expected = error.validator_value
        names = " or ".join(expected) if isinstance(expected, list) else str(expected)
        schema = error.schema if isinstance(error.schema, dict) else {}
        message = f"expected {names}, got {_kind(error.instance)}"
        if schema.get("nullable") is True:
            # Still an error although nullable: the dialect (OpenAPI 3.1) has no such keyword.
            message += " (`nullable` is not an OpenAPI 3.1 keyword)" if error.instance is None else ""
            message = message.replace(f"expected {names},", f"expected {names} or null,", error.instance is not None)
    elif keyword == "enum":
        choices = list(error.validator_value) if isinstance(error.validator_value, Iterable) else []
        shown = ", ".join(short(c) for c in choices[:10]) + (", ..." if len(choices) > 10 else "")
        message = f"{short(error.instance)} is not one of {shown}"
    elif keyword == "format":
        message = f"{short(error.instance)} is not a valid {error.validator_value}"
    elif keyword == "oneOf" and not error.context:
        message = "matches more than one oneOf variant"
    elif keyword in ("oneOf", "anyOf") and error.context:
        closest = best_match(error.context)
        message = f"matches no {keyword} variant; closest: {describe(closest)}"
        return f"{json_path(path)}: {message}" if path else message
    else:
        message = error.message.replace(repr(error.instance), short(error.instance))
        message = message if len(message) <= 200 else message[:197] + "..."
    return f"{json_path(path)}: {message}" if path else message


def json_path(parts: Sequence[object]) -> str:
    out = []
    for part in parts:
        if isinstance(part, int):
            out.append(f"[{part}]")
        elif re.fullmatch(r"[A-Za-z_$@][\w$@-]*", str(part)):
            out.append(f".{part}")
        else:
            out.append(f"[{json.dumps(str(part))}]")
    return "".join(out)


def short(value: Any, limit: int = 60) -> str:
    try:
        text = json.dumps(value, default=str, ensure_ascii=False)
    except (TypeError, ValueError):
        text = repr(value)
    return text if len(text) <= limit else text[: limit - 3] + "..."


def _kind(value: Any) -> str:
    names = {type(None): "null", bool: "boolean", int: "integer", float: "number", str: "string"}
    names |= {list: "array", dict: "object"}
    kind = names.get(type(value), type(value).__name__)
    return f"{kind} {short(value, 30)}" if kind in ("string", "integer", "number", "boolean") else kind
