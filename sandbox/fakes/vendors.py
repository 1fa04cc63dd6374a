"""All the vendor fakes together: started on loopback, seeded from one fixture organisation, and
pointed at by the adapters through `PLATFORM_<VENDOR>_URL`."""

from __future__ import annotations

import importlib
import os
from collections.abc import Callable
from typing import Any

from functions.adapters.endpoints import env_name
from sandbox.fakes.base import FakeVendor, Fault
from sandbox.fakes.org import load_org

# service → "module:Class"; imported when the sandbox starts.
FAKES = {
    "okta": "sandbox.fakes.okta:FakeOkta",
    "github": "sandbox.fakes.github:FakeGitHub",
    "slack": "sandbox.fakes.slack:FakeSlack",
    "sendgrid": "sandbox.fakes.sendgrid:FakeSendGrid",
    "pagerduty": "sandbox.fakes.pagerduty:FakePagerDuty",
    "argocd": "sandbox.fakes.argocd:FakeArgoCd",
}
# The adapters' URL variables each fake answers (PagerDuty's Events API lives on its own host).
URL_VARIABLES = {
    "okta": ["okta"],
    "github": ["github"],
    "slack": ["slack"],
    "sendgrid": ["sendgrid"],
    "pagerduty": ["pagerduty", "pagerduty_events"],
    "argocd": ["argocd"],
}


def fake_class(service: str) -> type[FakeVendor]:
    module, _, name = FAKES[service].partition(":")
    cls: type[FakeVendor] = getattr(importlib.import_module(module), name)
    return cls


class VendorSandbox:
    """Every vendor fake, started together. Use as a context manager; `environment()` is what an
    adapter needs to find them (the sandbox also sets it in os.environ while running)."""

    def __init__(self, org: dict[str, Any] | None = None, services: list[str] | None = None) -> None:
        self.org = org if org is not None else load_org()
        self.fakes: dict[str, FakeVendor] = {s: fake_class(s)() for s in (services or list(FAKES))}
        self._saved_env: dict[str, str | None] = {}

    def __enter__(self) -> VendorSandbox:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def start(self) -> None:
        for fake in self.fakes.values():
            fake.seed(self.org)
            fake.start()
        for name, value in self.environment().items():
            self._saved_env[name] = os.environ.get(name)
            os.environ[name] = value

    def stop(self) -> None:
        for fake in self.fakes.values():
            fake.stop()
        for name, value in self._saved_env.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value
        self._saved_env.clear()

    def environment(self) -> dict[str, str]:
        env = {}
        for service, fake in self.fakes.items():
            for variable in URL_VARIABLES[service]:
                env[env_name(variable)] = fake.url + ("/api/" if service == "slack" else "")
        return env

    def reseed(self, org: dict[str, Any] | None = None) -> None:
        if org is not None:
            self.org = org
        for fake in self.fakes.values():
            fake.reseed(self.org)

    def set_faults(self, service: str, faults: list[Fault]) -> None:
        if service not in self.fakes:
            raise KeyError(f"unknown vendor {service!r}; known: {', '.join(self.fakes)}")
        self.fakes[service].set_faults(faults)

    def clear_faults(self) -> None:
        for fake in self.fakes.values():
            fake.set_faults([])

    def state(self) -> dict[str, Any]:
        return {service: fake.state() for service, fake in self.fakes.items()}


def parse_fault(text: str) -> tuple[str, Fault]:
    """`SERVICE:STATUS[,key=value...]` or `SERVICE:key=value[,...]`, as the CLI takes it:
    `okta:429,count=3,retry_after_s=2`, `github:500,rate=0.2`, `slack:latency_ms=300,status=none`,
    `github:204,ignore=true,match=DELETE` (answered as done, not done)."""
    service, sep, spec = text.partition(":")
    if not sep or service not in FAKES:
        raise ValueError(
            f"fault {text!r}: expected SERVICE:STATUS[,key=value...] with SERVICE one of {', '.join(FAKES)}"
        )
    settings: dict[str, Any] = {}
    for index, part in enumerate(p.strip() for p in spec.split(",") if p.strip()):
        key, eq, value = part.partition("=")
        if not eq:
            if index:
                raise ValueError(f"fault {text!r}: {part!r} is not key=value")
            key, value = "status", part
        settings[key] = value
    converters: dict[str, Callable[[str], Any]] = {
        "status": _status,
        "rate": float,
        "count": int,
        "retry_after_s": float,
        "latency_ms": int,
        "match": str,
        "ignore": lambda value: value.lower() in {"1", "true", "yes"},
    }
    try:
        converted = {key: converters[key](value) for key, value in settings.items()}
    except KeyError as exc:
        raise ValueError(f"fault {text!r}: unknown setting {exc.args[0]!r}; known: {', '.join(converters)}") from None
    except ValueError as exc:
        raise ValueError(f"fault {text!r}: {exc}") from None
    return service, Fault(**converted)


def _status(value: str) -> int | None:
    return None if value.lower() == "none" else int(value)
