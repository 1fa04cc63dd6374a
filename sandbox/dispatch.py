"""In-process Lambda: a Task state's Invoke call runs the real handler in this process.

moto's interpreter calls `lambda:Invoke` through boto3's default session; a `before-call` hook on
that session answers with the handler's result, shaped exactly like Lambda's response (including
`FunctionError: Unhandled` and the `errorType`/`errorMessage` payload), so Retry and Catch see the
same error names as in AWS.
"""

from __future__ import annotations

import importlib
import io
import json
import os
import threading
import time
import traceback
import urllib.parse
import uuid
from collections.abc import Callable
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from typing import Any

from botocore.awsrequest import AWSResponse, HTTPHeaders
from botocore.response import StreamingBody

from functions.catalog import LambdaSpec
from sandbox.hooks import on_default_session

Handler = Callable[[Any, Any], Any]
ACCOUNT = "123456789012"


@dataclass
class LambdaContext:
    """The attributes of Lambda's context object that handlers and Powertools read."""

    function_name: str
    memory_limit_in_mb: int
    invoked_function_arn: str
    timeout_s: int
    aws_request_id: str = field(default_factory=lambda: str(uuid.uuid4()))
    function_version: str = "$LATEST"
    log_group_name: str = "/aws/lambda/local"
    log_stream_name: str = "local"
    _deadline: float = field(default_factory=time.monotonic)

    def __post_init__(self) -> None:
        self._deadline = time.monotonic() + self.timeout_s

    def get_remaining_time_in_millis(self) -> int:
        return max(0, int((self._deadline - time.monotonic()) * 1000))


class LambdaDispatcher:
    """Maps function names to handlers and answers Invoke calls with their results."""

    def __init__(self, specs: tuple[LambdaSpec, ...], region: str, environment: dict[str, str]) -> None:
        self.region = region
        self.environment = environment
        self._specs = {spec.name: spec for spec in specs}
        self._handlers: dict[str, Handler] = {}
        self._overrides: dict[str, Handler] = {}
        self._lock = threading.Lock()

    def arn(self, name: str) -> str:
        return f"arn:aws:lambda:{self.region}:{ACCOUNT}:function:{name}"

    def register(self, name: str, handler: Handler, spec: LambdaSpec | None = None) -> None:
        """Serve `name` with `handler` (tests use this for small ad-hoc definitions)."""
        with self._lock:
            self._overrides[name] = handler
            if spec is not None:
                self._specs[name] = spec

    def installed(self) -> AbstractContextManager[None]:
        return on_default_session("before-call.lambda.Invoke", self._before_invoke, "pa-dispatch")

    def _handler(self, name: str) -> Handler:
        with self._lock:
            if name in self._overrides:
                return self._overrides[name]
            if name not in self._handlers:
                spec = self._specs.get(name)
                if spec is None:
                    raise LookupError(f"Function not found: {self.arn(name)}")
                module = importlib.import_module(spec.module)
                self._handlers[name] = getattr(module, spec.function)
            return self._handlers[name]

    def invoke(self, name: str, payload: Any) -> tuple[Any, str | None]:
        """Run one invocation; returns (result payload, FunctionError or None)."""
        spec = self._specs.get(name)
        context = LambdaContext(
            function_name=name,
            memory_limit_in_mb=spec.memory_mb if spec else 128,
            invoked_function_arn=self.arn(name),
            timeout_s=spec.timeout_s if spec else 30,
        )
        error: str | None = None
        try:
            handler = self._handler(name)
            os.environ.update(self.environment)
            result = handler(payload, context)
        except Exception as exc:  # noqa: BLE001 - every handler error becomes Lambda's error payload
            error = "Unhandled"
            result = {
                "errorType": type(exc).__name__,
                "errorMessage": str(exc),
                "stackTrace": traceback.format_exception(exc)[-6:],
            }
        return result, error

    def _before_invoke(self, params: dict[str, Any], **_: Any) -> tuple[AWSResponse, dict[str, Any]]:
        name = urllib.parse.unquote(params["url_path"].split("/functions/", 1)[1].split("/", 1)[0])
        name = name.rsplit(":", 1)[-1] if name.startswith("arn:") else name
        body = params.get("body") or b"{}"
        result, error = self.invoke(name, json.loads(body) if body else {})
        raw = json.dumps(result).encode()
        parsed: dict[str, Any] = {
            "StatusCode": 200,
            "ExecutedVersion": "$LATEST",
            "Payload": StreamingBody(io.BytesIO(raw), len(raw)),
            "ResponseMetadata": {"HTTPStatusCode": 200, "HTTPHeaders": {}},
        }
        if error:
            parsed["FunctionError"] = error
        return AWSResponse(params.get("url", ""), 200, HTTPHeaders(), None), parsed
