"""An Okta service app's own keys (private-key JWT client authentication): its public keys in
Okta (`/api/v1/apps/{appId}/credentials/jwks`, the ApplicationSSOPublicKeys operations of the
Management API) and a token from the org authorization server (`/oauth2/v1/token`,
client_credentials with a `private_key_jwt` client assertion), which proves a key works.

Every call is made as a given key of the app (a `Signer`), so a rotation manages the keys with the
current key and proves the new one by getting a token with it. The private keys never leave the
caller; only public keys (JWKs) go to Okta.
"""

from __future__ import annotations

import json
import time
import uuid
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any
from urllib.parse import quote

from functions.adapters import endpoints, redaction
from functions.adapters.errors import VendorError
from functions.adapters.rest import RestClient
from functions.adapters.retry import DEFAULT_POLICY, RetryPolicy

if TYPE_CHECKING:
    from functions.core.config import PlatformConfig

VENDOR = "okta"
TOKEN_PATH = "/oauth2/v1/token"  # noqa: S105 - a path, not a password
ASSERTION_TYPE = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"
# What the key operations need (the spec's oauth2 security requirements): the service app must be
# granted them in Okta for the platform to rotate its own key.
KEY_SCOPES = ("okta.apps.read", "okta.apps.manage")
ASSERTION_TTL_S = 300


@dataclass(frozen=True)
class Signer:
    """One key of the app: its private key (PEM) and its `kid` in the app's JWKS."""

    private_key: str
    key_id: str


@dataclass(frozen=True)
class AppKey:
    id: str  # Okta's id of the key (pks…), which the lifecycle operations take
    kid: str
    status: str  # ACTIVE | INACTIVE


def new_key_pair(key_id: str) -> Signer:
    """A new RSA key pair (PEM, PKCS#8), known to Okta as `key_id` once its public half is added."""
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import rsa

    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    pem = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    ).decode()
    redaction.register(pem)
    return Signer(pem, key_id)


def public_jwk(signer: Signer) -> dict[str, str]:
    """The public half of `signer`'s key as the JWK Okta takes (RS256, for signatures)."""
    from cryptography.hazmat.primitives.serialization import load_pem_private_key
    from jwt.algorithms import RSAAlgorithm

    private = load_pem_private_key(signer.private_key.encode(), password=None)
    public = json.loads(RSAAlgorithm.to_jwk(private.public_key()))  # type: ignore[arg-type]
    return {"kid": signer.key_id, "kty": "RSA", "alg": "RS256", "use": "sig", "n": public["n"], "e": public["e"]}


class OktaKeys:
    def __init__(
        self,
        org_url: str,
        client_id: str,
        *,
        policy: RetryPolicy = DEFAULT_POLICY,
        timeout_s: float = 10.0,
    ) -> None:
        self.org_url = org_url.rstrip("/")
        self.client_id = client_id
        self.policy = policy
        self.timeout_s = timeout_s
        self._tokens: dict[str, tuple[str, float]] = {}  # kid → (access token, expiry)

    @classmethod
    def from_config(cls, config: PlatformConfig) -> OktaKeys:
        settings = config.okta
        if not settings.client_id:
            raise ValueError("okta.client_id is not configured: there is no service app whose key could be rotated")
        return cls(endpoints.base_url(VENDOR, str(settings.org_url)), settings.client_id)

    @property
    def _keys_path(self) -> str:
        return f"/api/v1/apps/{quote(self.client_id, safe='')}/credentials/jwks"

    # --- the token endpoint -------------------------------------------------------------------
    def token(self, signer: Signer, scopes: tuple[str, ...] = KEY_SCOPES) -> str:
        """An access token for the app, its assertion signed by `signer` (a new one every call)."""
        import jwt

        audience = self.org_url + TOKEN_PATH
        now = int(time.time())
        claims = {
            "iss": self.client_id,
            "sub": self.client_id,
            "aud": audience,
            "iat": now,
            "exp": now + ASSERTION_TTL_S,
            "jti": uuid.uuid4().hex,
        }
        assertion = jwt.encode(claims, signer.private_key, algorithm="RS256", headers={"kid": signer.key_id})
        form = {
            "grant_type": "client_credentials",
            "scope": " ".join(scopes),
            "client_assertion_type": ASSERTION_TYPE,
            "client_assertion": assertion,
        }
        body = self._rest(lambda: {}).form("get token", TOKEN_PATH, form)
        token = str(body["access_token"])
        redaction.register(token)
        self._tokens[signer.key_id] = (token, time.monotonic() + float(body.get("expires_in", 3600)) - 60)
        return token

    def _bearer(self, signer: Signer) -> str:
        cached = self._tokens.get(signer.key_id)
        if cached is not None and cached[1] > time.monotonic():
            return cached[0]
        return self.token(signer)

    def _rest(self, headers: Any, on_unauthorized: Any = None) -> _OktaRest:
        return _OktaRest(
            VENDOR,
            self.org_url,
            headers,
            request_id_header="X-Okta-Request-Id",
            policy=self.policy,
            timeout_s=self.timeout_s,
            on_unauthorized=on_unauthorized,
        )

    def _as(self, signer: Signer) -> _OktaRest:
        def headers() -> dict[str, str]:
            return {"Authorization": f"Bearer {self._bearer(signer)}", "Accept": "application/json"}

        def forget() -> bool:
            # A cached token Okta no longer takes (expired early, revoked): one more try with a new one.
            return self._tokens.pop(signer.key_id, None) is not None

        return self._rest(headers, forget)

    # --- the app's keys -----------------------------------------------------------------------
    def keys(self, signer: Signer) -> list[AppKey]:
        with self._as(signer) as rest:
            return [_key(k) for k in rest.json("list keys", "GET", self._keys_path) or []]

    def key(self, signer: Signer, kid: str) -> AppKey | None:
        return next((k for k in self.keys(signer) if k.kid == kid), None)

    def add(self, signer: Signer, jwk: dict[str, str], *, active: bool) -> AppKey:
        body = {**jwk, "status": "ACTIVE" if active else "INACTIVE"}
        with self._as(signer) as rest:
            return _key(rest.json("add key", "POST", self._keys_path, json=body))

    def activate(self, signer: Signer, key: AppKey) -> None:
        with self._as(signer) as rest:
            rest.request("activate key", "POST", f"{self._keys_path}/{quote(key.id, safe='')}/lifecycle/activate")

    def deactivate(self, signer: Signer, key: AppKey) -> None:
        with self._as(signer) as rest:
            rest.request("deactivate key", "POST", f"{self._keys_path}/{quote(key.id, safe='')}/lifecycle/deactivate")

    def delete(self, signer: Signer, key: AppKey) -> bool:
        """False when the key is gone already (a retried step)."""
        with self._as(signer) as rest:
            path = f"{self._keys_path}/{quote(key.id, safe='')}"
            return rest.request("delete key", "DELETE", path, ok=(404,)).status_code != 404


class _OktaRest(RestClient):
    """The shared REST client, with Okta's error text and the token endpoint's form body."""

    def __enter__(self) -> _OktaRest:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def form(self, operation: str, path: str, fields: dict[str, str]) -> dict[str, Any]:
        def attempt() -> dict[str, Any]:
            import httpx

            try:
                response = self._http.post(path, data=fields, headers={"Accept": "application/json"})
            except httpx.HTTPError as exc:
                raise VendorError(self.vendor, operation, None, f"connection failed: {type(exc).__name__}") from exc
            if not response.is_success:
                raise self.error(operation, response)
            return dict(response.json())

        try:
            return dict(self.policy.call(attempt))
        finally:
            self.close()

    def error(self, operation: str, response: Any) -> VendorError:
        error = super().error(operation, response)
        try:
            body = response.json()
        except ValueError:
            return error
        if not isinstance(body, dict):
            return error
        causes = [str(c.get("errorSummary")) for c in body.get("errorCauses") or [] if isinstance(c, dict)]
        text = body.get("errorSummary") or body.get("error_description") or body.get("error")
        if not text:
            return error
        return VendorError(
            error.vendor,
            operation,
            error.status,
            "; ".join([str(text), *causes]),
            error.request_id,
            retry_after_s=error.retry_after_s,
        )


def _key(data: dict[str, Any]) -> AppKey:
    return AppKey(str(data["id"]), str(data.get("kid") or ""), str(data.get("status") or ""))
