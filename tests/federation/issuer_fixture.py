"""A test identity provider: a thread HTTP server on 127.0.0.1 that serves an OpenID Connect
discovery document and a JWK Set as an IdP does, and signs ID tokens with its keys.

Used by the ID-token and token-exchange tests; the fixtures here (``zlb_idp``: the IdP
configured as provider ``zlb``; ``platform_client``: the platform's account and API key) are
imported by those modules, so that they do not clash with tests/federation/conftest.py.
"""

from __future__ import annotations

import json
import threading
import time
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from sqlmodel import select

from service.accounts.models import AuditEvent
from service.core.settings import OidcProviderConfig
from service.federation import providers
from service.federation.exchange import GRANT_TYPE, ID_TOKEN_TYPE
from service.federation.models import FederatedIdentity

PLATFORM_CLIENT_ID = "smart-education-platform"  # the platform's client id at the IdP


def public_jwk(private: Any, kid: str, **extra: Any) -> dict[str, Any]:
    if isinstance(private, rsa.RSAPrivateKey):
        jwk = json.loads(jwt.algorithms.RSAAlgorithm.to_jwk(private.public_key()))
    else:
        jwk = json.loads(jwt.algorithms.ECAlgorithm.to_jwk(private.public_key()))
    jwk.update(kid=kid, use="sig", **extra)
    return jwk


class TestIdentityProvider:
    """Serves ``/.well-known/openid-configuration`` and ``/jwks``; counts the JWKS fetches."""

    __test__ = False  # not a test class

    def __init__(self) -> None:
        self.rsa_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        self.ec_key = ec.generate_private_key(ec.SECP256R1())
        self.keys: list[dict[str, Any]] = [
            public_jwk(self.rsa_key, "rsa-1", alg="RS256"),
            public_jwk(self.ec_key, "ec-1", alg="ES256"),
        ]
        self.jwks_fetches = 0
        self.discovery_overrides: dict[str, Any] = {}
        self.raw_discovery: bytes | None = None  # served as is instead of discovery()
        idp = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                if self.path == "/.well-known/openid-configuration" and idp.raw_discovery:
                    body = None
                elif self.path == "/.well-known/openid-configuration":
                    body = idp.discovery()
                elif self.path == "/jwks":
                    idp.jwks_fetches += 1
                    body = {"keys": list(idp.keys)}
                else:
                    self.send_response(404)
                    self.end_headers()
                    return
                raw = json.dumps(body).encode() if body is not None else idp.raw_discovery
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(raw)))
                self.end_headers()
                self.wfile.write(raw)

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.issuer = f"http://127.0.0.1:{self.server.server_port}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def discovery(self) -> dict[str, Any]:
        document = {
            "issuer": self.issuer,
            "authorization_endpoint": f"{self.issuer}/authorize",
            "token_endpoint": f"{self.issuer}/token",
            "jwks_uri": f"{self.issuer}/jwks",
            "response_types_supported": ["code"],
            "subject_types_supported": ["public"],
            "id_token_signing_alg_values_supported": ["RS256", "ES256"],
        }
        document.update(self.discovery_overrides)
        return document

    def claims(self, **overrides: Any) -> dict[str, Any]:
        now = int(time.time())
        claims = {
            "iss": self.issuer,
            "sub": "idp-subject-" + uuid.uuid4().hex[:12],
            "aud": PLATFORM_CLIENT_ID,
            "iat": now,
            "exp": now + 300,
            "nonce": "nonce-of-the-platform",
        }
        claims.update(overrides)
        return {k: v for k, v in claims.items() if v is not None}

    def id_token(
        self,
        *,
        key: Any = None,
        alg: str = "RS256",
        kid: str | None = "rsa-1",
        headers: dict[str, Any] | None = None,
        **claims: Any,
    ) -> str:
        """An ID token signed with the RSA key (or ``key``); claims override the defaults."""
        header = dict(headers or {})
        if kid is not None:
            header["kid"] = kid
        return jwt.encode(self.claims(**claims), key or self.rsa_key, alg, headers=header)

    def raw_token(self, header: dict[str, Any], payload: str) -> str:
        """A token signed with the RSA key over a payload given as JSON text (a hostile IdP's
        token: JSON that no well-behaved encoder would produce)."""
        import base64

        def part(raw: bytes) -> str:
            return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()

        signing_input = f"{part(json.dumps(header).encode())}.{part(payload.encode())}"
        algorithm = jwt.algorithms.RSAAlgorithm(jwt.algorithms.RSAAlgorithm.SHA256)
        signature = algorithm.sign(signing_input.encode(), self.rsa_key)
        return f"{signing_input}.{part(signature)}"

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


def unsigned_token(claims: dict[str, Any], kid: str = "rsa-1") -> str:
    """An ``alg: none`` token (RFC 7519 section 6), which no verifier may accept."""
    import base64

    def part(obj: dict[str, Any]) -> str:
        return base64.urlsafe_b64encode(json.dumps(obj).encode()).rstrip(b"=").decode()

    return f"{part({'alg': 'none', 'kid': kid})}.{part(claims)}."


def hmac_confused_token(idp: TestIdentityProvider, claims: dict[str, Any]) -> str:
    """HS256 "signed" with the IdP's public key bytes as the secret: the classic confusion."""
    import base64
    import hashlib
    import hmac

    from cryptography.hazmat.primitives import serialization

    secret = idp.rsa_key.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )

    def part(obj: dict[str, Any]) -> str:
        return base64.urlsafe_b64encode(json.dumps(obj).encode()).rstrip(b"=").decode()

    signing_input = f"{part({'alg': 'HS256', 'kid': 'rsa-1', 'typ': 'JWT'})}.{part(claims)}"
    mac = hmac.new(secret, signing_input.encode(), hashlib.sha256).digest()
    return signing_input + "." + base64.urlsafe_b64encode(mac).rstrip(b"=").decode()


# ---- token exchange ------------------------------------------------------------------------

TOKEN = "/api/v1/auth/token"


@pytest.fixture
def zlb_idp(settings, monkeypatch):
    """The test IdP, configured as provider ``zlb`` whose ID tokens for the platform's client
    id may be exchanged."""
    providers.clear_caches()
    server = TestIdentityProvider()
    monkeypatch.setattr(
        settings,
        "oidc_providers",
        [
            OidcProviderConfig(
                name="zlb",
                issuer=server.issuer,
                client_id="skills-at-zlb",
                client_secret="a-client-secret",  # noqa: S106
                exchange_audiences=[PLATFORM_CLIENT_ID],
            )
        ],
    )
    yield server
    server.close()
    providers.clear_caches()


class Platform:
    """The platform's service account and one API key of it."""

    def __init__(self, world):
        self.world = world
        self.user = world.make_user("platform")
        made = world.client.post(
            f"/api/v1/users/{self.user.id}/api-keys", json={}, headers=world.admin
        )
        assert made.status_code == 201, made.text
        self.key_id = made.json()["id"]
        self.client_id = made.json()["client_id"]
        self.client_secret = made.json()["client_secret"]

    @property
    def form(self) -> dict:
        return {"client_id": self.client_id, "client_secret": self.client_secret}

    def revoke(self):
        gone = self.world.client.delete(
            f"/api/v1/users/{self.user.id}/api-keys/{self.key_id}", headers=self.world.admin
        )
        assert gone.status_code == 204, gone.text


@pytest.fixture
def platform_client(world) -> Platform:
    return Platform(world)


def link(session, learner: dict, subject: str, issuer: str, provider: str = "zlb") -> None:
    """What a first browser sign-in leaves behind: the issuer's subject linked to a learner."""
    session.add(
        FederatedIdentity(
            provider=provider,
            issuer=issuer,
            subject=subject,
            learner_id=uuid.UUID(learner["id"]),
        )
    )
    session.commit()


def exchange(client, credentials: dict, subject_token: str, token_type=ID_TOKEN_TYPE, **extra):
    data = {
        "grant_type": GRANT_TYPE,
        "subject_token": subject_token,
        "subject_token_type": token_type,
        **credentials,
        **extra,
    }
    return client.post(TOKEN, data=data)


def bearer(answer) -> dict:
    assert answer.status_code == 200, answer.text
    return {"Authorization": f"Bearer {answer.json()['access_token']}"}


def refused(answer, status: int, error: str, *secrets: str):
    assert answer.status_code == status, answer.text
    assert answer.headers["content-type"].startswith("application/problem+json")
    body = answer.json()
    assert body["error"] == error
    for secret in secrets:
        assert secret not in answer.text
    return body


def audit(session, action: str) -> list[AuditEvent]:
    session.expire_all()
    return session.exec(select(AuditEvent).where(AuditEvent.action == action)).all()
