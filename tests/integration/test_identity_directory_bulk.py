"""The identity directory in bulk: the access review resolves every identity of the organisation,
so many keys cost one read of each system, not a call per key."""

from __future__ import annotations

from functions.adapters import vendors
from sandbox.engine import LocalEngine
from sandbox.fakes.org import generate_org


def test_many_keys_are_resolved_from_one_read_of_each_system() -> None:
    org = generate_org(300, seed=7)
    with LocalEngine(seed=True, org=org):
        people = vendors.directory()
        emails = [p["email"] for p in org["people"]]
        found = people.people([*emails, *(f"github:{p['github']}" for p in org["people"] if p.get("github"))])
        assert all(found[email] is not None for email in emails)
        active = sum(1 for e in emails if found[e] and found[e].active)  # type: ignore[union-attr]
        assert active == sum(1 for p in org["people"] if p["okta"]["status"] == "ACTIVE")
        # Okta twice (active, deprovisioned), Slack, PagerDuty, IAM, Identity Center: not one per person.
        assert people.lookups <= 6
