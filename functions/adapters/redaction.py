"""Keep secret values out of every log line.

Every secret an adapter reads is registered here; a logging filter on the root logger's and the
platform logger's handlers replaces any registered value (in the message, its arguments, extra
fields and a formatted traceback) with `[REDACTED]` before a handler formats the record. Vendor
SDKs log through the standard `logging` module, so their lines pass the same filter.
"""

from __future__ import annotations

import logging
import re
import threading
import traceback
from collections.abc import Iterable
from typing import Any

MASK = "[REDACTED]"
_MIN_LENGTH = 6  # shorter values (ports, flags) would mask innocent text everywhere
_lock = threading.Lock()
_secrets: set[str] = set()
# Secrets in flight before anyone could register them: the Secrets Manager response an SDK logs at
# DEBUG, and credentials in Authorization headers (Bearer, Okta's SSWS, PagerDuty's Token token=).
_PATTERNS = (
    # The value may be JSON inside JSON inside a bytes repr: mask the rest of the line.
    (re.compile(r"(SecretString\\*[\"']\s*:\s*)[^\n]*"), r"\1" + MASK),
    (re.compile(r"\b(Bearer |SSWS |Token token=|Basic )[^\s'\",}]{8,}"), r"\1" + MASK),
)
_STANDARD = frozenset(logging.makeLogRecord({}).__dict__) | {"message", "asctime"}


def register(value: object) -> None:
    """Remember a secret (a string, or every string inside a dict or list) so logs never show it.
    A multi-line value (a PEM key) is also registered line by line."""
    found: list[str] = []
    _collect(value, found)
    with _lock:
        for text in found:
            _secrets.add(text)
            for line in text.splitlines():
                if len(line.strip()) >= 16:
                    _secrets.add(line.strip())


def _collect(value: object, found: list[str]) -> None:
    if isinstance(value, str):
        if len(value) >= _MIN_LENGTH:
            found.append(value)
    elif isinstance(value, dict):
        for item in value.values():
            _collect(item, found)
    elif isinstance(value, list | tuple | set):
        for item in value:
            _collect(item, found)


def redact(text: str) -> str:
    with _lock:
        secrets = sorted(_secrets, key=len, reverse=True)
    for secret in secrets:
        if secret in text:
            text = text.replace(secret, MASK)
    for pattern, replacement in _PATTERNS:
        text = pattern.sub(replacement, text)
    return text


def _redact_value(value: Any) -> Any:
    if isinstance(value, str):
        return redact(value)
    if isinstance(value, dict):
        return {k: _redact_value(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_redact_value(v) for v in value]
    return value


class RedactingFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.msg, dict):
            record.msg = _redact_value(record.msg)
        else:
            try:
                message = record.getMessage()
            except (TypeError, ValueError):
                message = str(record.msg)
            record.msg, record.args = redact(message), None
        if record.exc_info and record.exc_info[1] is not None:
            # Formatters print exc_info themselves; fold the redacted traceback into the message.
            text = "".join(traceback.format_exception(*record.exc_info))
            record.msg = f"{record.msg}\n{redact(text)}" if isinstance(record.msg, str) else record.msg
            record.exc_info, record.exc_text = None, None
        for key, value in list(record.__dict__.items()):
            if key not in _STANDARD:
                record.__dict__[key] = _redact_value(value)
        return True


_FILTER = RedactingFilter()


def install(loggers: Iterable[logging.Logger] = ()) -> None:
    """Attach the filter to the handlers of the root logger and of `loggers` (idempotent).
    Called whenever a secret is read, so handlers added later (Lambda's, pytest's) are covered."""
    for logger in (logging.getLogger(), *loggers):
        for handler in logger.handlers:
            if _FILTER not in handler.filters:
                handler.addFilter(_FILTER)


def forget_all() -> None:
    """Tests only: start from no registered secrets."""
    with _lock:
        _secrets.clear()
