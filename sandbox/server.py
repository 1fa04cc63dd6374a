"""`platform-automation serve`: the local stack behind one HTTP server on loopback.

Routes (JSON in and out):
  GET  /executions                     every execution: id, workflow, status, started, stopped
  GET  /executions/{id}                one execution with its steps, output and pending approvals
  POST /executions                     start one: {"workflow": ..., "event": {...}, "dry_run": false}
  POST /executions/{id}/approval       answer its pending approval: {"decision": "approved"|"denied"|
                                       "timeout", "approver": "<email>", "reason": "..."}; decided by
                                       the Slack buttons' rules (403 with the reason when refused)
  GET  /sandbox/state                  the sandbox: vendor fakes' state, calls log, AWS resources in moto
  POST /sandbox/faults                 inject vendor faults: {"service": "okta", "faults": [{"status": 429,
                                       "count": 3, "retry_after_s": 1}]}; an empty list clears them
  POST /sandbox/reset                  reseed the vendor fakes from the fixture organisation, clear faults
  GET  /healthz                        liveness
  POST /github/webhook                 the deployed endpoints, same handlers (the manifests'
  POST /slack/commands                 http_route); the secrets they verify with come from
  POST /slack/interactions             GITHUB_WEBHOOK_SECRET / SLACK_SIGNING_SECRET or the dev defaults
"""

from __future__ import annotations

import base64
import json
import re
import sys
import threading
from collections.abc import Callable
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import boto3

from functions.catalog import LAMBDAS
from sandbox import calls
from sandbox.engine import ApprovalRefused, Decision, EngineError, LocalEngine, manual_policy, workflows
from sandbox.fakes.base import Fault

_EXECUTION = re.compile(r"^/executions/([A-Za-z0-9_.:-]+)$")
_APPROVAL = re.compile(r"^/executions/([A-Za-z0-9_.:-]+)/approval$")
_MAX_BODY = 1024 * 1024


class ApiError(Exception):
    def __init__(self, status: HTTPStatus, message: str) -> None:
        super().__init__(message)
        self.status = status


def aws_state(region: str) -> dict[str, Any]:
    ddb = boto3.client("dynamodb", region_name=region)
    s3 = boto3.client("s3", region_name=region)
    tables = {}
    for name in ddb.list_tables()["TableNames"]:
        tables[name] = {"items": ddb.scan(TableName=name, Select="COUNT")["Count"]}
    buckets = {}
    for bucket in s3.list_buckets()["Buckets"]:
        keys = [o["Key"] for o in s3.list_objects_v2(Bucket=bucket["Name"]).get("Contents", [])]
        buckets[bucket["Name"]] = {"objects": len(keys), "keys": keys[:100]}
    from sandbox.seed_cost import compute_state

    return {"dynamodb": tables, "s3": buckets, **compute_state(region)}


# "POST /github/webhook" -> the catalog's Lambda that serves it in AWS.
INGRESS = {spec.http_route.split(" ", 1)[1]: spec.name for spec in LAMBDAS if spec.http_route}


def api_gateway_event(path: str, headers: dict[str, str], raw: bytes) -> dict[str, Any]:
    """The API Gateway HTTP API (payload 2.0) event the deployed endpoint would receive."""
    return {
        "version": "2.0",
        "routeKey": f"POST {path}",
        "rawPath": path,
        "rawQueryString": "",
        "headers": {k.lower(): v for k, v in headers.items()},
        "requestContext": {"http": {"method": "POST", "path": path, "sourceIp": "127.0.0.1"}, "stage": "$default"},
        "body": base64.b64encode(raw).decode(),
        "isBase64Encoded": True,
    }


class Api:
    """The routes, independent of the HTTP plumbing so tests can call them directly."""

    def __init__(self, engine: LocalEngine) -> None:
        self.engine = engine

    def get(self, path: str) -> tuple[HTTPStatus, Any]:
        if path == "/healthz":
            return HTTPStatus.OK, {"ok": True}
        if path == "/executions":
            with self.engine._lock:
                listed = [e.summary() for e in self.engine.executions.values()]
            return HTTPStatus.OK, {"executions": listed}
        match = _EXECUTION.match(path)
        if match:
            execution = self.engine.get(match.group(1))
            if execution is None:
                raise ApiError(HTTPStatus.NOT_FOUND, f"no execution {match.group(1)!r}")
            return HTTPStatus.OK, execution.detail()
        if path == "/sandbox/state":
            return HTTPStatus.OK, {
                "vendors": self.engine.vendors.state() if self.engine.vendors else {},
                "endpoints": self.engine.vendors.environment() if self.engine.vendors else {},
                "calls": calls.snapshot(),
                "aws": aws_state(self.engine.region),
                "workflows": workflows(self.engine.state_machines),
                "bus": {"deliveries": self.engine.bus.deliveries, "invocations": self.engine.bus.invocations},
            }
        raise ApiError(HTTPStatus.NOT_FOUND, f"no route GET {path}")

    def post(self, path: str, body: Any) -> tuple[HTTPStatus, Any]:
        if not isinstance(body, dict):
            raise ApiError(HTTPStatus.BAD_REQUEST, "the body must be a JSON object")
        if path == "/executions":
            workflow, event = body.get("workflow"), body.get("event", {})
            if not isinstance(workflow, str) or not isinstance(event, dict):
                raise ApiError(HTTPStatus.BAD_REQUEST, 'expected {"workflow": "<name>", "event": {...}}')
            try:
                execution = self.engine.start(workflow, event, dry_run=bool(body.get("dry_run")))
            except EngineError as exc:
                raise ApiError(HTTPStatus.NOT_FOUND, str(exc)) from None
            return HTTPStatus.ACCEPTED, execution.summary()
        if path in ("/sandbox/faults", "/sandbox/reset"):
            return self._sandbox(path, body)
        match = _APPROVAL.match(path)
        if match:
            return self._approval(match.group(1), body)
        raise ApiError(HTTPStatus.NOT_FOUND, f"no route POST {path}")

    def _approval(self, execution_id: str, body: dict[str, Any]) -> tuple[HTTPStatus, Any]:
        """Decide as the approver the body names (an email), by the same rules as the Slack buttons."""
        outcome, approver = body.get("decision"), body.get("approver")
        if outcome not in {"approved", "denied", "timeout"}:
            raise ApiError(HTTPStatus.BAD_REQUEST, "decision must be approved, denied or timeout")
        if outcome != "timeout" and (not isinstance(approver, str) or "@" not in approver):
            raise ApiError(HTTPStatus.BAD_REQUEST, "approver must be the email of one of the request's approvers")
        if self.engine.get(execution_id) is None:
            raise ApiError(HTTPStatus.NOT_FOUND, f"no execution {execution_id!r}")
        reason = str(body.get("reason") or "")
        decision = Decision(outcome, str(approver or ""), reason or f"{outcome} through the local server")
        try:
            pending = self.engine.answer(execution_id, decision, body.get("token"))
        except ApprovalRefused as exc:
            raise ApiError(HTTPStatus.FORBIDDEN, str(exc)) from None
        except EngineError as exc:
            raise ApiError(HTTPStatus.CONFLICT, str(exc)) from None
        return HTTPStatus.OK, {"answered": pending.state, "decision": outcome}

    def ingress(self, path: str, headers: dict[str, str], raw: bytes) -> tuple[int, dict[str, str], bytes]:
        if path == "/github/webhook":
            self._open_delivered_issue(headers, raw)
        result, error = self.engine.dispatcher.invoke(INGRESS[path], api_gateway_event(path, headers, raw))
        if error:  # what API Gateway answers when the function fails
            print(f"{INGRESS[path]} failed: {result}", file=sys.stderr)
            return 500, {"Content-Type": "application/json"}, b'{"message":"Internal Server Error"}'
        body = result.get("body") or ""
        data = base64.b64decode(body) if result.get("isBase64Encoded") else str(body).encode()
        return int(result.get("statusCode", 200)), dict(result.get("headers") or {}), data

    def _open_delivered_issue(self, headers: dict[str, str], raw: bytes) -> None:
        """A recorded delivery replayed at a fresh server is about an issue the GitHub fake does not
        hold yet, but GitHub only delivers what it holds: open it first, as `run` does. Only for a
        delivery signed with the webhook secret: a forged one changes nothing (the handler refuses it)."""
        if self.engine.vendors is None:
            return
        from functions.ingress import github_events
        from functions.ingress.secrets import github_webhook_secret
        from sandbox.intake import is_issue_delivery, open_issue

        signature = {k.lower(): v for k, v in headers.items()}.get("x-hub-signature-256")
        if not github_events.signature_ok(github_webhook_secret(), raw, signature):
            return
        try:
            delivery = json.loads(raw)
        except (json.JSONDecodeError, UnicodeDecodeError):
            return
        if is_issue_delivery(delivery):
            open_issue(delivery, self.engine.vendors.fakes["github"])

    def _sandbox(self, path: str, body: dict[str, Any]) -> tuple[HTTPStatus, Any]:
        vendors = self.engine.vendors
        if vendors is None:
            raise ApiError(HTTPStatus.CONFLICT, "the vendor fakes are not running")
        if path == "/sandbox/reset":
            vendors.reseed()
            return HTTPStatus.OK, {"reset": sorted(vendors.fakes)}
        service, faults = body.get("service"), body.get("faults", [])
        if not isinstance(service, str) or not isinstance(faults, list):
            raise ApiError(HTTPStatus.BAD_REQUEST, 'expected {"service": "<vendor>", "faults": [{...}]}')
        try:
            vendors.set_faults(service, [Fault.from_dict(f) for f in faults])
        except (KeyError, TypeError, ValueError, AttributeError) as exc:
            raise ApiError(HTTPStatus.BAD_REQUEST, str(exc).strip("'\"")) from None
        return HTTPStatus.OK, {"service": service, "faults": faults}


def _handler(api: Api) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        server_version = "platform-automation-local"

        def log_message(self, format: str, *args: Any) -> None:
            print(f"{self.address_string()} {format % args}", file=sys.stderr)

        def _send(self, status: HTTPStatus, payload: Any) -> None:
            data = json.dumps(payload, default=str).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def _ingress(self, path: str) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            raw = self.rfile.read(min(length, _MAX_BODY)) if length else b""
            status, headers, data = api.ingress(path, dict(self.headers.items()), raw)
            self.send_response(status)
            for name, value in headers.items():
                self.send_header(name, value)
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def _dispatch(self, method: str) -> None:
            path = self.path.split("?", 1)[0]
            if method == "POST" and path in INGRESS:
                self._ingress(path)
                return
            try:
                if method == "GET":
                    status, payload = api.get(path)
                else:
                    length = int(self.headers.get("Content-Length") or 0)
                    if length > _MAX_BODY:
                        raise ApiError(HTTPStatus.REQUEST_ENTITY_TOO_LARGE, "body larger than 1 MiB")
                    raw = self.rfile.read(length) if length else b"{}"
                    try:
                        body = json.loads(raw)
                    except (json.JSONDecodeError, UnicodeDecodeError):
                        raise ApiError(HTTPStatus.BAD_REQUEST, "the body is not valid JSON") from None
                    status, payload = api.post(path, body)
            except ApiError as exc:
                status, payload = exc.status, {"error": str(exc)}
            except Exception as exc:  # noqa: BLE001 - a local server answers 500 with the reason
                status, payload = HTTPStatus.INTERNAL_SERVER_ERROR, {"error": f"{type(exc).__name__}: {exc}"}
            self._send(status, payload)

        def do_GET(self) -> None:
            self._dispatch("GET")

        def do_POST(self) -> None:
            self._dispatch("POST")

    return Handler


def make_server(host: str, port: int, engine: LocalEngine) -> ThreadingHTTPServer:
    return ThreadingHTTPServer((host, port), _handler(Api(engine)))


def serve(
    host: str,
    port: int,
    config_path: str,
    org: dict[str, Any] | None = None,
    on_start: Callable[[LocalEngine], None] | None = None,
) -> None:
    with LocalEngine(config_path, approvals=manual_policy, org=org) as engine:
        if on_start is not None:
            on_start(engine)
        server = make_server(host, port, engine)
        print(f"platform-automation: serving on http://{host}:{server.server_port} (Ctrl-C stops)", file=sys.stderr)
        for name, url in sorted((engine.vendors.environment() if engine.vendors else {}).items()):
            print(f"  {name}={url}", file=sys.stderr)
        try:
            server.serve_forever()
        finally:
            server.server_close()


def serve_in_background(engine: LocalEngine, host: str = "127.0.0.1") -> tuple[ThreadingHTTPServer, str]:
    """For tests: a server on a free port, running until `shutdown()`."""
    server = make_server(host, 0, engine)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server, f"http://{host}:{server.server_port}"
