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
  POST /sandbox/argocd                 how an Argo CD application's next sync ends: {"app": NAME, "next_sync":
                                       {"health": "Degraded"|"Healthy"|"Missing", "phase": "Succeeded"|"Failed"|
                                       "Error", "healthy_for_s": N}}; each call queues one more sync's outcome
  POST /sandbox/dr                     a DR target's restore on virtual time: {"target": "orders",
                                       "restore_minutes": 90, "lag_minutes": 30} (sandbox/dr_scenario.py)
  GET  /healthz                        liveness
  POST /github/webhook                 the deployed endpoints, same handlers (the manifests'
  POST /slack/commands                 http_route); the secrets they verify with come from
  POST /slack/interactions             GITHUB_WEBHOOK_SECRET / SLACK_SIGNING_SECRET or the dev defaults

It refuses what a web page in a browser could send it (docs/security.md, "Who can reach which
endpoint"): a request with a foreign `Origin` (or `Sec-Fetch-Site: cross-site`), an API request
whose `Host` is not the loopback name it serves on (DNS rebinding), an API POST that is not
`Content-Type: application/json` (which a page cannot send without a CORS preflight, and this
server answers no preflight), and a malformed, conflicting or chunked body length. It does not
start with an empty or short webhook or signing secret.
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
from urllib.parse import urlsplit

import boto3

from functions.catalog import LAMBDAS
from sandbox import calls
from sandbox.engine import ApprovalRefused, Decision, EngineError, LocalEngine, manual_policy, workflows
from sandbox.fakes.base import Fault

_EXECUTION = re.compile(r"^/executions/([A-Za-z0-9_.:-]+)$")
_APPROVAL = re.compile(r"^/executions/([A-Za-z0-9_.:-]+)/approval$")
_MAX_BODY = 1024 * 1024
_LENGTH = re.compile(r"^[0-9]{1,10}$")  # Content-Length: digits only (int() would take "+5", "5_0", " 5")
_LOOPBACK = frozenset({"127.0.0.1", "localhost", "::1"})


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
        if path == "/sandbox/argocd":
            return self._argocd(body)
        if path == "/sandbox/dr":
            return self._dr(body)
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

    def _dr(self, body: dict[str, Any]) -> tuple[HTTPStatus, Any]:
        """A DR target's restore duration and data lag on virtual time (sandbox/dr_scenario.py)."""
        from sandbox.dr_scenario import Scenario

        target = body.get("target")
        minutes, lag = body.get("restore_minutes", 0), body.get("lag_minutes", 0)
        numbers = all(isinstance(v, int | float) and not isinstance(v, bool) for v in (minutes, lag))
        if not isinstance(target, str) or not numbers:
            raise ApiError(
                HTTPStatus.BAD_REQUEST, 'expected {"target": "<name>", "restore_minutes": 90, "lag_minutes": 30}'
            )
        try:
            return HTTPStatus.OK, {"dr": self.engine.dr.set(target, Scenario(float(minutes), float(lag)))}
        except ValueError as exc:
            raise ApiError(HTTPStatus.BAD_REQUEST, str(exc)) from None

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

    def _argocd(self, body: dict[str, Any]) -> tuple[HTTPStatus, Any]:
        from sandbox.fakes.argocd import FakeArgoCd, NextSync

        vendors = self.engine.vendors
        if vendors is None:
            raise ApiError(HTTPStatus.CONFLICT, "the vendor fakes are not running")
        fake = vendors.fakes["argocd"]
        assert isinstance(fake, FakeArgoCd)
        try:
            NextSync.from_dict(body.get("app"), body.get("next_sync")).apply(fake)
        except KeyError as exc:
            raise ApiError(HTTPStatus.NOT_FOUND, str(exc).strip("'\"")) from None
        except ValueError as exc:
            raise ApiError(HTTPStatus.BAD_REQUEST, str(exc)) from None
        return HTTPStatus.OK, {"app": body["app"], "next_syncs": fake.next_syncs(body["app"])}


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

        def _refuse(self, status: HTTPStatus, message: str) -> None:
            # The body (if any) was not read: the connection cannot carry another request.
            self.close_connection = True
            self._send(status, {"error": message})

        def _length(self) -> int:
            """The body's length from a single well-formed Content-Length (0 when absent)."""
            if self.headers.get("Transfer-Encoding"):
                raise ApiError(HTTPStatus.LENGTH_REQUIRED, "chunked bodies are not accepted: send Content-Length")
            values = {v.strip() for v in self.headers.get_all("Content-Length") or []}
            if len(values) > 1:
                raise ApiError(HTTPStatus.BAD_REQUEST, "conflicting Content-Length headers")
            value = next(iter(values), "0")
            if not _LENGTH.match(value):
                raise ApiError(HTTPStatus.BAD_REQUEST, f"malformed Content-Length {value[:20]!r}")
            if int(value) > _MAX_BODY:
                raise ApiError(HTTPStatus.REQUEST_ENTITY_TOO_LARGE, "body larger than 1 MiB")
            return int(value)

        def _ours(self, hostport: str, scheme: str = "http") -> bool:
            """`hostport` names this server on a loopback name (or the name it was bound to)."""
            parsed = urlsplit(f"{scheme}://{hostport}")
            try:
                port = parsed.port
            except ValueError:
                return False
            address = self.server.server_address  # (host, port) for TCP
            if not isinstance(address, tuple):
                return False
            names = _LOOPBACK | {str(address[0])}
            return scheme == "http" and parsed.hostname in names and port == address[1]

        def _cross_site(self, api_route: bool) -> str | None:
            """Why this request may come from another site's page (None: it does not)."""
            if (self.headers.get("Sec-Fetch-Site") or "").lower() == "cross-site":
                return "cross-site requests are refused"
            origin = self.headers.get("Origin")
            if origin is not None:
                scheme, _, rest = origin.partition("://")
                if not rest or not self._ours(rest, scheme):
                    return f"requests from origin {origin[:100]!r} are refused"
            # The API answers its own loopback name only: a page whose DNS name is made to point
            # at 127.0.0.1 (DNS rebinding) sends its own name. The ingress routes check no Host: a
            # tunnel from Slack or GitHub keeps the public one, and they verify signatures.
            if api_route and not self._ours(self.headers.get("Host") or ""):
                return f"Host {(self.headers.get('Host') or '')[:100]!r} is not this server"
            return None

        def _ingress(self, path: str) -> None:
            length = self._length()
            raw = self.rfile.read(length) if length else b""
            status, headers, data = api.ingress(path, dict(self.headers.items()), raw)
            self.send_response(status)
            for name, value in headers.items():
                self.send_header(name, value)
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def _dispatch(self, method: str) -> None:
            path = self.path.split("?", 1)[0]
            ingress = method == "POST" and path in INGRESS
            refusal = self._cross_site(api_route=not ingress)
            if refusal is not None:
                self._refuse(HTTPStatus.FORBIDDEN, refusal)
                return
            if ingress:
                try:
                    self._ingress(path)
                except ApiError as exc:
                    self._refuse(exc.status, str(exc))
                return
            try:
                if method == "GET":
                    status, payload = api.get(path)
                else:
                    length = self._length()
                    media_type = (self.headers.get("Content-Type") or "").split(";", 1)[0].strip().lower()
                    if media_type != "application/json":
                        raise ApiError(HTTPStatus.UNSUPPORTED_MEDIA_TYPE, "send Content-Type: application/json")
                    raw = self.rfile.read(length) if length else b"{}"
                    try:
                        body = json.loads(raw)
                    except (json.JSONDecodeError, UnicodeDecodeError):
                        raise ApiError(HTTPStatus.BAD_REQUEST, "the body is not valid JSON") from None
                    status, payload = api.post(path, body)
            except ApiError as exc:
                self.close_connection = True  # a refused body may be unread: no second request on it
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
    """The server, once the secrets the ingress verifies with are usable: an empty or short
    webhook or signing secret (GITHUB_WEBHOOK_SECRET / SLACK_SIGNING_SECRET) refuses to start
    (WeakSecret), rather than accept what anyone can sign."""
    from functions.ingress.secrets import github_webhook_secret, slack_signing_secret

    github_webhook_secret()
    slack_signing_secret()
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
        from functions.ingress.secrets import WeakSecret

        try:
            server = make_server(host, port, engine)
        except WeakSecret as exc:
            raise SystemExit(f"platform-automation: not serving: {exc.message}") from None
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
