"""Checks exchanges recorded by the sandbox fakes against the vendors' API descriptions.

For each exchange (a calls-log entry and its `Exchange`): the operation (method and path template)
must be in the vendor's description; the request's path and query parameters and its body must
match the operation's parameters and request body schema; the response body must match the schema
the description gives for that status (or `default`). Anything else is a `Problem`, unless
sandbox/spec_deviations.yaml allows it.

The descriptions are the trimmed copies in sandbox/specs/ (see scripts/vendor_specs.py). Each is
loaded the first time its service is seen; a validator is built the first time its schema is
needed and cached, so a test run pays for the schemas it uses, once.
"""

from __future__ import annotations

import json
import re
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from sandbox.contract.deviations import Deviation, load_deviations
from sandbox.contract.extract import (
    HTTP_METHODS,
    SPECS_DIR,
    decode_pointer,
    default_source_dir,
    encode_pointer,
    load_document,
    load_manifest,
    resolve_pointer,
)
from sandbox.contract.schemas import (
    build_validator,
    dialect_of,
    normalise_swagger,
    problems_of,
    registry_for,
    short,
)

_JSON = re.compile(r"^application/(.+\+)?json$")
_SCHEMA_KEYS = ("type", "format", "items", "enum", "minimum", "maximum", "pattern", "minLength", "maxLength")


@dataclass(frozen=True)
class Problem:
    """One way an exchange breaks the contract, e.g.
    "okta GET /api/v1/users/{id}: response 200: .profile.login: required property missing"."""

    service: str
    operation: str  # "METHOD /path/template", or the concrete path when no operation matched
    where: str  # "operation", "query limit", "request body", "response 200"
    detail: str

    @property
    def text(self) -> str:
        return f"{self.where}: {self.detail}"

    def __str__(self) -> str:
        return f"{self.service} {self.operation}: {self.text}"


@dataclass(frozen=True)
class SchemaRef:
    """A schema to validate against: `key` is unique within its description (the validator cache key)."""

    key: str
    schema: dict[str, Any]


@dataclass
class Param:
    name: str
    location: str  # path, query, header, cookie, formData
    required: bool
    schema: SchemaRef | None
    type: str | None  # the schema's top-level type, to coerce strings from a URL or a form
    item_type: str | None = None
    csv: bool = False  # an array as one comma-separated value


@dataclass
class Operation:
    spec: Spec
    method: str
    template: str  # as the description writes it
    path: str  # as the vendor receives it (server path or basePath + template)
    params: list[Param]
    body: dict[str, SchemaRef | None] | None  # media type -> schema; None: takes no body
    body_required: bool
    form_params: list[Param]  # Swagger 2.0 formData parameters
    responses: dict[str, dict[str, SchemaRef | None]]  # status -> media type -> schema
    regex: re.Pattern[str] = field(init=False)
    specificity: tuple[int, ...] = field(init=False)

    @property
    def name(self) -> str:
        return f"{self.method} {self.path}"


class Spec:
    """One vendored description: its document, registry, operations and validator cache."""

    def __init__(self, name: str, entry: dict[str, Any], path: Path, deviations: list[Deviation]) -> None:
        self.name = name
        self.service: str = entry["service"]
        self.style: str = entry.get("style", "")
        self.source: str = entry["source"]
        self.uri = f"urn:platform-spec:{name}"
        document = json.loads(path.read_text(encoding="utf-8"))
        self.swagger = "swagger" in document
        if self.swagger:
            normalise_swagger(document)
        self.document: dict[str, Any] = document
        self.dialect = dialect_of(document)
        self.registry = registry_for(self.uri, document)
        self.prefix = _prefix(document)
        pointer = entry.get("error_schema")
        self.error_schema = SchemaRef(pointer, self.ref(pointer)) if pointer else None
        self.validators: dict[tuple[str, bool], Any] = {}
        self.operations = [
            self._operation(method, template, deviations)
            for template, item in document["paths"].items()
            for method in item
            if method in HTTP_METHODS
        ]

    def ref(self, pointer: str) -> dict[str, Any]:
        return {"$ref": f"{self.uri}{pointer}"}

    def validator(self, schema: SchemaRef, *, response: bool) -> Any:
        key = (schema.key, response)
        if key not in self.validators:
            self.validators[key] = build_validator(schema.schema, self.dialect, self.registry, response=response)
        return self.validators[key]

    def deref(self, node: Any, pointer: str) -> tuple[Any, str]:
        """Follow $refs from `node` (found at `pointer`) to the object they name."""
        seen = set()
        while isinstance(node, dict) and isinstance(node.get("$ref"), str) and node["$ref"] not in seen:
            seen.add(node["$ref"])
            pointer = node["$ref"]
            node = resolve_pointer(self.document, decode_pointer(pointer))
        return node, pointer

    # --- building operations from the description ------------------------------------------
    def _operation(self, method: str, template: str, deviations: list[Deviation]) -> Operation:
        item = self.document["paths"][template]
        op = item[method]
        base = ["paths", template, method]
        params: dict[tuple[str, str], Param] = {}
        body: dict[str, SchemaRef | None] | None = None
        body_required = False
        form: list[Param] = []
        raw = [(p, ["paths", template, "parameters", str(i)]) for i, p in enumerate(item.get("parameters", []))]
        raw += [(p, [*base, "parameters", str(i)]) for i, p in enumerate(op.get("parameters", []))]
        for node, parts in raw:
            param, pointer = self.deref(node, encode_pointer(parts))
            location = param.get("in", "")
            if location == "body":  # Swagger 2.0
                consumes = op.get("consumes") or self.document.get("consumes") or ["application/json"]
                schema = SchemaRef(pointer + "/schema", self.ref(pointer + "/schema"))
                body = dict.fromkeys(consumes, schema)
                body_required = bool(param.get("required"))
                continue
            parsed = self._param(param, pointer)
            if location == "formData":
                form.append(parsed)
            else:
                params[(location, parsed.name)] = parsed  # operation parameters override the path item's
        if form:
            consumes = op.get("consumes") or self.document.get("consumes") or ["application/x-www-form-urlencoded"]
            body = dict.fromkeys(consumes, SchemaRef(encode_pointer([*base, "formData"]), _object_schema(form)))
            body_required = any(p.required for p in form)
        if "requestBody" in op:
            request, pointer = self.deref(op["requestBody"], encode_pointer([*base, "requestBody"]))
            body = self._content(request, pointer)
            body_required = bool(request.get("required"))
        responses = {
            str(status): self._response(response, encode_pointer([*base, "responses", str(status)]), op)
            for status, response in op.get("responses", {}).items()
        }
        operation = Operation(
            spec=self,
            method=method.upper(),
            template=template,
            path=self.prefix + template,
            params=list(params.values()),
            body=body,
            body_required=body_required,
            form_params=form,
            responses=responses,
        )
        overrides: dict[str, str] = {}
        for deviation in deviations:
            if deviation.applies(self.service, operation.method, operation.path):
                overrides |= deviation.path_params
                for status, ref in deviation.responses.items():
                    responses[status] = self._response({"$ref": ref}, ref, op)
        operation.regex, operation.specificity = _compile(operation.path, overrides)
        return operation

    def _param(self, param: dict[str, Any], pointer: str) -> Param:
        if "schema" in param:  # OpenAPI 3
            schema, _ = self.deref(param["schema"], pointer + "/schema")
            items = schema.get("items", {}) if isinstance(schema, dict) else {}
            items, _ = self.deref(items, pointer)
            explode = param.get("explode", param.get("style", "form") == "form")
            return Param(
                name=param["name"],
                location=param.get("in", ""),
                required=bool(param.get("required")),
                schema=SchemaRef(pointer + "/schema", self.ref(pointer + "/schema")),
                type=schema.get("type") if isinstance(schema, dict) else None,
                item_type=items.get("type") if isinstance(items, dict) else None,
                csv=not explode,
            )
        inline = {k: param[k] for k in _SCHEMA_KEYS if k in param}  # Swagger 2.0: the parameter is the schema
        return Param(
            name=param["name"],
            location=param.get("in", ""),
            required=bool(param.get("required")),
            schema=SchemaRef(pointer, _absolute_refs(inline, self.uri)) if inline else None,
            type=param.get("type"),
            item_type=param.get("items", {}).get("type"),
            csv=param.get("collectionFormat", "csv") == "csv",
        )

    def _content(self, node: dict[str, Any], pointer: str) -> dict[str, SchemaRef | None]:
        content = {}
        for media, value in node.get("content", {}).items():
            where = f"{pointer}/content/{media.replace('~', '~0').replace('/', '~1')}/schema"
            content[media.lower()] = SchemaRef(where, self.ref(where)) if "schema" in value else None
        return content

    def _response(self, node: Any, pointer: str, op: dict[str, Any]) -> dict[str, SchemaRef | None]:
        response, pointer = self.deref(node, pointer)
        if not self.swagger:
            return self._content(response, pointer)
        if "schema" not in response:
            return {}
        produces = op.get("produces") or self.document.get("produces") or ["application/json"]
        return dict.fromkeys(produces, SchemaRef(pointer + "/schema", self.ref(pointer + "/schema")))


def _prefix(document: dict[str, Any]) -> str:
    if "swagger" in document:
        return str(document.get("basePath") or "").rstrip("/")
    servers = document.get("servers") or [{}]
    return urlsplit(str(servers[0].get("url", ""))).path.rstrip("/")


def _compile(path: str, overrides: dict[str, str]) -> tuple[re.Pattern[str], tuple[int, ...]]:
    """A template's regex (one group per parameter, in order) and its specificity (a literal
    segment sorts before a parameter)."""
    pattern = []
    for token in re.split(r"(\{[^}/]+\})", path):
        if token.startswith("{") and token.endswith("}"):
            pattern.append(f"((?:{overrides.get(token[1:-1], '[^/]+')}))")
        else:
            pattern.append(re.escape(token))
    specificity = tuple(1 if "{" in segment else 0 for segment in path.split("/"))
    return re.compile("^" + "".join(pattern) + "$"), specificity


def _object_schema(params: list[Param]) -> dict[str, Any]:
    return {
        "type": "object",
        "properties": {p.name: p.schema.schema if p.schema else {} for p in params},
        "required": [p.name for p in params if p.required],
    }


def _absolute_refs(node: Any, uri: str) -> Any:
    """Inline schemas are validated on their own, so their local $refs must name the description."""
    if isinstance(node, dict):
        return {
            k: (uri + v if k == "$ref" and isinstance(v, str) and v.startswith("#") else _absolute_refs(v, uri))
            for k, v in node.items()
        }
    if isinstance(node, list):
        return [_absolute_refs(v, uri) for v in node]
    return node


def coerce(value: Any, param: Param) -> Any:
    """A query or form value (always a string) as the parameter's declared type, when it parses."""
    if param.type == "array":
        values = value if isinstance(value, list) else (value.split(",") if param.csv else [value])
        return [_scalar(v, param.item_type) for v in values]
    if isinstance(value, list):  # a repeated scalar: the server sees the last one
        value = value[-1]
    return _scalar(value, param.type)


def _scalar(value: Any, kind: str | None) -> Any:
    if not isinstance(value, str):
        return value
    if kind == "integer" and re.fullmatch(r"-?\d+", value):
        return int(value)
    if kind == "number" and re.fullmatch(r"-?\d+(\.\d+)?([eE][-+]?\d+)?", value):
        return float(value)
    if kind == "boolean" and value.lower() in ("true", "false"):
        return value.lower() == "true"
    return value


def _media(content_type: str, documented: dict[str, SchemaRef | None], body: Any) -> str | None:
    """The documented media type that describes a body sent as `content_type`."""
    content_type = content_type.split(";", 1)[0].strip().lower()
    if content_type in documented:
        return content_type
    if not content_type and isinstance(body, dict | list):
        content_type = "application/json"
    for media in documented:
        if media in ("*/*", f"{content_type.split('/')[0]}/*"):
            return media
    if _JSON.match(content_type):  # application/json; vnd.github+json and the like
        for media in documented:
            if _JSON.match(media.split(";")[0]):
                return media
    return None


@dataclass
class Stats:
    exchanges: int = 0
    problems: int = 0
    accepted: int = 0  # problems a deviation allowed
    seconds: float = 0.0
    loading_seconds: float = 0.0

    def line(self, validators: int) -> str:
        each = self.seconds / self.exchanges * 1000 if self.exchanges else 0.0
        return (
            f"contract: {self.exchanges} exchanges checked in {self.seconds:.2f} s ({each:.2f} ms each, "
            f"{self.loading_seconds:.2f} s of it loading descriptions, {validators} validators built); "
            f"{self.accepted} problems allowed by sandbox/spec_deviations.yaml, {self.problems} not"
        )


class ContractChecker:
    """Checks exchanges against the vendored descriptions in `specs_dir`."""

    def __init__(self, specs_dir: Path = SPECS_DIR, deviations: list[Deviation] | None = None) -> None:
        self.specs_dir = specs_dir
        self.manifest = load_manifest(specs_dir / "operations.yaml")
        self.deviations = load_deviations() if deviations is None else deviations
        self._specs: dict[str, list[Spec]] = {}
        self._full: dict[str, dict[str, Any] | None] = {}
        self.stats = Stats()
        self.seen: Counter[str] = Counter()  # "<service> <METHOD> <template>" -> exchanges checked

    @property
    def validators_built(self) -> int:
        return sum(len(spec.validators) for specs in self._specs.values() for spec in specs)

    def specs_for(self, service: str) -> list[Spec]:
        if service not in self._specs:
            started = time.perf_counter()
            self._specs[service] = [
                Spec(name, entry, self.specs_dir / f"{name}.json", self.deviations)
                for name, entry in self.manifest.items()
                if entry["service"] == service
            ]
            self.stats.loading_seconds += time.perf_counter() - started
        return self._specs[service]

    def check(self, exchanges: list[tuple[dict[str, Any], Any]]) -> list[Problem]:
        problems: list[Problem] = []
        for call, exchange in exchanges:
            problems += self.check_exchange(call, exchange)
        return problems

    def check_exchange(self, call: dict[str, Any], exchange: Any) -> list[Problem]:
        started = time.perf_counter()
        try:
            return self._check(call, exchange)
        finally:
            self.stats.exchanges += 1
            self.stats.seconds += time.perf_counter() - started

    # --- one exchange --------------------------------------------------------------------
    def _check(self, call: dict[str, Any], exchange: Any) -> list[Problem]:
        service, method, path = str(call["service"]), str(call["method"]).upper(), str(call["path"])
        specs = self.specs_for(service)
        if not specs:
            return [Problem(service, f"{method} {path}", "operation", "no vendored API description for this service")]
        operation, problem = self._find(specs, service, method, path)
        if operation is None:
            return [] if problem is None else self._allowed(service, method, path, None, [f"operation: {problem}"])
        self.seen[f"{service} {operation.name}"] += 1
        found = [
            *self._check_params(operation, call),
            *self._check_request_body(operation, call, exchange),
            *self._check_response(operation, call, exchange),
        ]
        return self._allowed(service, method, path, operation, found)

    def _find(self, specs: list[Spec], service: str, method: str, path: str) -> tuple[Operation | None, str | None]:
        candidates = sorted(
            (op for spec in specs for op in spec.operations if op.regex.match(path)), key=lambda op: op.specificity
        )
        for op in candidates:
            if op.method == method:
                return op, None
        aliases = [d for d in self.deviations if d.documented_as and d.applies(service, method, path)]
        for deviation in aliases:
            for op in candidates:
                if op.method == deviation.documented_as and deviation.applies(service, method, op.path, path):
                    deviation.used += 1
                    return op, None
        for deviation in self.deviations:
            if deviation.undocumented and deviation.applies(service, method, path):
                deviation.used += 1
                return None, None
        if candidates:
            methods = ", ".join(sorted({op.method for op in candidates}))
            return None, f"{method} is not documented for {candidates[0].path} (documented: {methods})"
        return None, self._undocumented(specs, method, path)

    def _undocumented(self, specs: list[Spec], method: str, path: str) -> str:
        names = ", ".join(spec.source for spec in specs)
        message = f"not among the vendored operations of {names}"
        for spec in specs:
            template = self._full_template(spec, method, path)
            if template:
                hint = "add it to sandbox/specs/operations.yaml and run `make specs`"
                return f"{message}; the description documents {template}: {hint}"
        return message + " (sandbox/specs/operations.yaml)"

    def _full_template(self, spec: Spec, method: str, path: str) -> str | None:
        """The operation in the full description (when it is on this machine) whose template
        matches `path`: the same method if documented, else any."""
        if spec.name not in self._full:
            source = default_source_dir()
            try:
                self._full[spec.name] = load_document(source / spec.source) if source else None
            except (OSError, ValueError):
                self._full[spec.name] = None
        document = self._full[spec.name]
        if document is None:
            return None
        matches = []
        for template, item in document["paths"].items():
            regex, specificity = _compile(spec.prefix + template, {})
            if regex.match(path):
                methods = [m for m in item if m in HTTP_METHODS]
                chosen = method.lower() if method.lower() in methods else (methods or [""])[0]
                matches.append((specificity, f"{chosen.upper()} {template}"))
        return min(matches)[1] if matches else None

    def _allowed(
        self, service: str, method: str, path: str, operation: Operation | None, found: list[str]
    ) -> list[Problem]:
        """`found` ("<where>: <detail>" lines) as Problems, less those a deviation allows."""
        if operation is None:
            name = f"{method} {path}"
        elif operation.method != method:
            name = f"{method} {operation.path} (documented as {operation.method})"
        else:
            name = operation.name
        paths = (operation.path, path) if operation else (path,)
        allowing = [d for d in self.deviations if d.problems and d.applies(service, method, *paths)]
        problems = []
        for text in found:
            where, _, detail = text.partition(": ")
            problem = Problem(service, name, where, detail)
            allowed = next((d for d in allowing if d.accepts(problem.text)), None)
            if allowed is None:
                problems.append(problem)
            else:
                allowed.used += 1
                self.stats.accepted += 1
        self.stats.problems += len(problems)
        return problems

    def _check_params(self, op: Operation, call: dict[str, Any]) -> list[str]:
        query: dict[str, Any] = dict(call.get("query") or {})
        found = []
        match = op.regex.match(str(call["path"]))
        segments = dict(zip(re.findall(r"\{([^}/]+)\}", op.path), match.groups(), strict=True)) if match else {}
        for param in op.params:
            if param.location == "path":
                value = segments.get(param.name)
                if value is not None and param.schema is not None:
                    found += self._validate(op, param.schema, coerce(value, param), f"path {param.name}")
            elif param.location == "query" and op.spec.style != "slack-web":
                if param.name not in query:
                    if param.required:
                        found.append(f"query {param.name}: required parameter missing")
                elif param.schema is not None:
                    found += self._validate(op, param.schema, coerce(query[param.name], param), f"query {param.name}")
        return found

    def _check_request_body(self, op: Operation, call: dict[str, Any], exchange: Any) -> list[str]:  # noqa: PLR0911 - one return per way a body is off
        body = call.get("body")
        content_type = str(getattr(exchange, "content_type", "") or "")
        if op.spec.style == "slack-web":
            return self._check_slack_arguments(op, call, body, content_type)
        if body is None or body == "":
            return ["request body: required but absent"] if op.body_required else []
        if op.body is None:
            return [] if body == {} else [f"request body: {op.method} {op.path} takes no body, got {short(body)}"]
        media = _media(content_type, op.body, body)
        if media is None:
            documented = ", ".join(op.body) or "none"
            return [
                f"request body: content type {content_type or '(none)'} is not documented (documented: {documented})"
            ]
        schema = op.body[media]
        if schema is None:
            return []
        if _JSON.match(media) and isinstance(body, str):
            return [f"request body: not JSON: {short(body)}"]
        if media == "application/x-www-form-urlencoded" and isinstance(body, dict):
            body = self._coerce_form(op, schema, body)
        return self._validate(op, schema, body, "request body", response=False)

    def _check_slack_arguments(self, op: Operation, call: dict[str, Any], body: Any, content_type: str) -> list[str]:
        """Slack's Web API takes a method's arguments from the query string, a form or a JSON body alike."""
        form = content_type == "application/x-www-form-urlencoded"
        arguments: dict[str, Any] = {}
        known = {p.name: p for p in [*op.params, *op.form_params] if p.location in ("query", "formData")}
        for name, value in (call.get("query") or {}).items():
            arguments[name] = coerce(value, known[name]) if name in known else value
        if isinstance(body, dict):
            for name, value in body.items():
                arguments[name] = coerce(value, known[name]) if form and name in known else value
        elif body not in (None, ""):
            return [f"request body: not JSON or a form: {short(body)}"]
        found = [
            f"argument {p.name}: required parameter missing"
            for p in known.values()
            if p.required and p.name not in arguments
        ]
        for name, value in arguments.items():
            param = known.get(name)
            if param is not None and param.schema is not None:
                found += self._validate(op, param.schema, value, f"argument {name}", response=False)
        return found

    def _coerce_form(self, op: Operation, schema: SchemaRef, body: dict[str, Any]) -> dict[str, Any]:
        target, _ = op.spec.deref(schema.schema, schema.key)
        properties = target.get("properties", {}) if isinstance(target, dict) else {}
        out = {}
        for name, value in body.items():
            declared, _ = op.spec.deref(properties.get(name, {}), schema.key)
            kind = declared.get("type") if isinstance(declared, dict) else None
            out[name] = _scalar(value, kind)
        return out

    def _check_response(self, op: Operation, call: dict[str, Any], exchange: Any) -> list[str]:  # noqa: PLR0911 - one return per way a response is off
        status = int(call.get("status") or 0)
        body = getattr(exchange, "response_body", None)
        content_type = str(getattr(exchange, "response_content_type", "") or "application/json")
        where = f"response {status}"
        key = _response_key(op, status, body)
        if key is None:
            if status >= 400:
                if op.spec.error_schema is None or body is None:
                    return []
                return self._validate(op, op.spec.error_schema, body, f"{where} (undocumented error status)")
            documented = ", ".join(op.responses) or "none"
            return [f"{where}: status not documented (documented: {documented})"]
        content = op.responses[key]
        if not content:
            return (
                [] if body in (None, "") else [f"{where}: a body where the description documents none: {short(body)}"]
            )
        media = _media(content_type, content, body)
        if media is None:
            return [f"{where}: content type {content_type} is not documented (documented: {', '.join(content)})"]
        schema = content[media]
        if schema is None:
            return []
        if body is None:
            return [f"{where}: no body, the description documents one ({media})"]
        return self._validate(op, schema, body, where)

    def _validate(
        self, op: Operation, schema: SchemaRef, instance: Any, where: str, *, response: bool = True
    ) -> list[str]:
        validator = op.spec.validator(schema, response=response)
        return [f"{where}: {line}" for line in problems_of(validator, instance)]


def _response_key(op: Operation, status: int, body: Any) -> str | None:
    if (
        op.spec.style == "slack-web"
        and isinstance(body, dict)
        and body.get("ok") is False
        and "default" in op.responses
    ):
        return "default"  # Slack answers errors with 200 and ok: false; the description models them as default
    for key in (str(status), f"{str(status)[0]}XX", f"{str(status)[0]}xx", "default"):
        if key in op.responses:
            return key
    return None
