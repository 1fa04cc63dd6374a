"""Vendor adapters: the only code that imports a vendor SDK.

Each module wraps one vendor's official SDK (or its REST API where none exists) behind the few
operations the workflows need, returns typed results, and raises `VendorError` for every failure.
Import an adapter module only where it is used: the okta SDK alone takes seconds to import.
"""
