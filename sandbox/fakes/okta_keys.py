"""The Okta fake's service apps and their public keys (`/api/v1/apps/{appId}/credentials/jwks`,
the ApplicationSSOPublicKeys operations of the Management API), which the token endpoint checks a
private-key JWT client assertion against.

Every app id of the sandbox org that looks like Okta's (`0oa…`) is a service app using
`private_key_jwt`, registered with the development key (kid `sandbox-key-1`) until its keys are
changed through the API. As in Okta: a key is added ACTIVE unless asked otherwise, every `kid` is
unique, only an inactive key can be deleted, and the only active key cannot be deactivated.
"""

from __future__ import annotations

import json
import uuid
from functools import cache
from typing import Any

from sandbox.fakes import credentials
from sandbox.fakes.base import Reply, Request, Response, route
from sandbox.fakes.okta_data import timestamp

APP_ID_PREFIX = "0oa"  # Okta's application ids
KEYS_PATH = r"/api/v1/apps/(?P<appId>[^/]+)/credentials/jwks"
MAX_KEYS = 50  # Okta's limit of keys per client


def _invalid(cause: str) -> Reply:
    from sandbox.fakes.okta import okta_error

    return Reply(okta_error(400, "E0000001", "Api validation failed: JsonWebKey", (cause,)))


@cache
def development_jwk() -> dict[str, str]:
    """The public half of the development key (sandbox/fakes/credentials.py) as a JWK."""
    from cryptography.hazmat.primitives.serialization import load_pem_private_key
    from jwt.algorithms import RSAAlgorithm

    public = load_pem_private_key(credentials.private_key_pem().encode(), password=None).public_key()
    jwk = json.loads(RSAAlgorithm.to_jwk(public))  # type: ignore[arg-type]
    return {"kty": "RSA", "n": jwk["n"], "e": jwk["e"]}


class ServiceAppKeys:
    """Mixed into FakeOkta: `self.app_keys` is app id → its keys (records as the API returns
    them, without `_links`), reset with the org."""

    app_keys: dict[str, list[dict[str, Any]]]

    def _require(self, request: Request, scope: str) -> None:  # FakeOkta's
        raise NotImplementedError

    def _base(self, request: Request) -> str:  # FakeOkta's
        raise NotImplementedError

    # --- for the token endpoint -------------------------------------------------------------
    def active_public_keys(self, client_id: str, kid: str | None) -> list[Any]:
        """The public keys an assertion from `client_id` may be signed with (by `kid`, when the
        assertion names one)."""
        from jwt.algorithms import RSAAlgorithm

        keys = self.app_keys.get(client_id) or (self._keys_of(client_id) if _is_app_id(client_id) else [])
        return [
            RSAAlgorithm.from_jwk(json.dumps({"kty": k["kty"], "n": k["n"], "e": k["e"]}))
            for k in keys
            if k["status"] == "ACTIVE" and (kid is None or k["kid"] == kid)
        ]

    # --- the records ------------------------------------------------------------------------
    def _keys_of(self, app_id: str) -> list[dict[str, Any]]:
        if app_id not in self.app_keys:
            if not _is_app_id(app_id):
                from sandbox.fakes.okta import okta_error

                raise Reply(okta_error(404, "E0000007", f"Not found: Resource not found: {app_id} (AppInstance)"))
            now = timestamp()
            self.app_keys[app_id] = [
                {
                    "id": "pks" + uuid.uuid4().hex[:17],
                    "kid": credentials.OKTA_KEY_ID,
                    "status": "ACTIVE",
                    **development_jwk(),
                    "alg": "RS256",
                    "use": "sig",
                    "created": now,
                    "lastUpdated": now,
                }
            ]
        return self.app_keys[app_id]

    def _key(self, request: Request) -> dict[str, Any]:
        from sandbox.fakes.okta import okta_error

        key_id = request.params["keyId"]
        for key in self._keys_of(request.params["appId"]):
            if key["id"] == key_id:
                return key
        raise Reply(okta_error(404, "E0000007", f"Not found: Resource not found: {key_id} (JsonWebKey)"))

    def _render_key(self, key: dict[str, Any], request: Request) -> dict[str, Any]:
        href = f"{self._base(request)}/api/v1/apps/{request.params['appId']}/credentials/jwks/{key['id']}"
        links: dict[str, Any] = {}
        if key["status"] == "ACTIVE":
            links["deactivate"] = {"href": f"{href}/lifecycle/deactivate", "hints": {"allow": ["POST"]}}
        else:
            links["activate"] = {"href": f"{href}/lifecycle/activate", "hints": {"allow": ["POST"]}}
            links["delete"] = {"href": href, "hints": {"allow": ["DELETE"]}}
        return {**key, "_links": links}

    def _set_key_status(self, key: dict[str, Any], status: str) -> None:
        if key["status"] != status:
            key["status"] = status
            key["lastUpdated"] = timestamp()

    # --- routes -----------------------------------------------------------------------------
    @route("GET", KEYS_PATH)
    def list_jwks(self, request: Request) -> Response:
        self._require(request, "okta.apps.read")
        return Response(200, [self._render_key(k, request) for k in self._keys_of(request.params["appId"])])

    @route("POST", KEYS_PATH)
    def add_jwk(self, request: Request) -> Response:
        self._require(request, "okta.apps.manage")
        keys = self._keys_of(request.params["appId"])
        body = request.json()
        for field in ("kty", "alg", "use", "n", "e"):
            if not isinstance(body.get(field), str) or not body[field]:
                raise _invalid(f"{field}: The field cannot be left blank.")
        if body["kty"] != "RSA" or body["use"] != "sig":
            raise _invalid("Only RSA signing keys are supported by this fake.")
        kid = body.get("kid")
        if not kid or not isinstance(kid, str):
            raise _invalid("The `kid` is required when the client has more than one key.")
        if any(k["kid"] == kid for k in keys):
            raise _invalid("All keys in the 'jwks' must have a unique `kid`.")
        if len(keys) >= MAX_KEYS:
            raise _invalid(f"The client can't have more than {MAX_KEYS} keys.")
        status = body.get("status", "ACTIVE")
        if status not in ("ACTIVE", "INACTIVE"):
            raise _invalid("status: Invalid value. Valid values: ACTIVE, INACTIVE.")
        now = timestamp()
        key = {
            "id": "pks" + uuid.uuid4().hex[:17],
            "kid": kid,
            "status": status,
            "kty": "RSA",
            "n": body["n"],
            "e": body["e"],
            "alg": body["alg"],
            "use": "sig",
            "created": now,
            "lastUpdated": now,
        }
        keys.append(key)
        return Response(201, self._render_key(key, request))

    @route("GET", KEYS_PATH + r"/(?P<keyId>[^/]+)")
    def get_jwk(self, request: Request) -> Response:
        self._require(request, "okta.apps.read")
        return Response(200, self._render_key(self._key(request), request))

    @route("DELETE", KEYS_PATH + r"/(?P<keyId>[^/]+)")
    def delete_jwk(self, request: Request) -> Response:
        self._require(request, "okta.apps.manage")
        key = self._key(request)
        if key["status"] == "ACTIVE":
            raise _invalid("You can't delete an active JSON Web key. Deactivate the key before deleting it.")
        self.app_keys[request.params["appId"]].remove(key)
        return Response(204)

    @route("POST", KEYS_PATH + r"/(?P<keyId>[^/]+)/lifecycle/activate")
    def activate_jwk(self, request: Request) -> Response:
        self._require(request, "okta.apps.manage")
        key = self._key(request)
        self._set_key_status(key, "ACTIVE")
        return Response(200, self._render_key(key, request))

    @route("POST", KEYS_PATH + r"/(?P<keyId>[^/]+)/lifecycle/deactivate")
    def deactivate_jwk(self, request: Request) -> Response:
        self._require(request, "okta.apps.manage")
        key = self._key(request)
        others = [k for k in self.app_keys[request.params["appId"]] if k is not key and k["status"] == "ACTIVE"]
        if key["status"] == "ACTIVE" and not others:
            raise _invalid(
                "Can't deactivate the only active JSON Web Key when the value for `token_endpoint_auth_method` is"
                " `private_key_jwt`."
            )
        self._set_key_status(key, "INACTIVE")
        return Response(200, self._render_key(key, request))


def _is_app_id(value: str) -> bool:
    return value.startswith(APP_ID_PREFIX) and value.isalnum()
