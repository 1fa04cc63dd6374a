"""Stateful fakes of the SaaS vendors' APIs, served on loopback so the real SDKs make real HTTP
calls to them. See sandbox/fakes/base.py for the shared plumbing and sandbox/fakes/vendors.py for
the set the local stack runs."""
