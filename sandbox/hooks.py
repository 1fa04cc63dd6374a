"""botocore event hooks on boto3's default session, which every client the handlers create uses:
how the local engine answers Lambda Invoke in-process and watches PutEvents on the bus."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import boto3


@contextmanager
def on_default_session(event_name: str, hook: Any, unique_id: str) -> Iterator[None]:
    """Register `hook` for `event_name` (e.g. "before-call.lambda.Invoke") while the block runs.
    A before-call hook that returns a response short-circuits the call; one that returns None
    lets it go on."""
    if boto3.DEFAULT_SESSION is None:
        boto3.setup_default_session()
    session = boto3.DEFAULT_SESSION
    assert session is not None
    session.events.register(event_name, hook, unique_id=unique_id)
    try:
        yield
    finally:
        session.events.unregister(event_name, unique_id=unique_id)
