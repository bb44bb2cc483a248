"""A hostile or broken provider, or a garbled request, is a clear refusal, never a 500: odd
types in an ID token's header and claims, absurdly nested JSON, an expiry past the year 9999,
a discovery document that lists its algorithms wrongly, non-ASCII HTTP Basic credentials."""

from __future__ import annotations

import base64
import json
import time

import pytest

from service.federation import providers
from service.federation.id_tokens import IdTokenRefused, verify_id_token
from service.federation.providers import OidcProvider, ProviderUnavailable
from tests.federation import issuer_fixture as support
from tests.federation.issuer_fixture import (
    PLATFORM_CLIENT_ID,
    TOKEN,
    TestIdentityProvider,
    exchange,
    link,
    refused,
)

zlb_idp = support.zlb_idp  # fixtures
platform_client = support.platform_client
AUD = (PLATFORM_CLIENT_ID,)
NESTED = "[" * 5000 + "]" * 5000  # past Python's recursion limit when parsed


@pytest.fixture
def idp():
    providers.clear_caches()
    server = TestIdentityProvider()
    yield server
    server.close()
    providers.clear_caches()


@pytest.fixture
def provider(idp) -> OidcProvider:
    return OidcProvider(
        name="zlb",
        issuer=idp.issuer,
        client_id="skills-at-zlb",
        client_secret="s3cr3t-of-the-client",  # noqa: S106
        scopes=("openid",),
        label="浙里办",
        exchange_audiences=AUD,
        allow_http=True,
    )


def _b64(obj) -> str:
    raw = obj if isinstance(obj, bytes) else json.dumps(obj).encode()
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def _refused(provider, token, code):
    with pytest.raises(IdTokenRefused) as caught:
        verify_id_token(provider, token, audiences=AUD)
    assert caught.value.code == code, caught.value.detail
    return caught.value


@pytest.mark.parametrize("alg", [["RS256"], {"RS256": 1}, 256, None])
def test_an_alg_header_that_is_not_a_string_is_refused(idp, provider, alg):
    header = {"alg": alg, "kid": "rsa-1"}
    token = f"{_b64(header)}.{_b64(idp.claims())}.{_b64(b'signature')}"
    _refused(provider, token, "id-token-alg")


@pytest.mark.parametrize("advertised", ["RS256 ES256", {"RS256": True}, [["RS256"]], [1]])
def test_a_discovery_document_listing_algorithms_wrongly_is_a_provider_problem(
    idp, provider, advertised
):
    """A string would make ``alg in advertised`` a substring test ("S256" is "in" "RS256")."""
    idp.discovery_overrides["id_token_signing_alg_values_supported"] = advertised
    with pytest.raises(ProviderUnavailable):
        verify_id_token(provider, idp.id_token(alg="RS256"), audiences=AUD)


def test_a_deeply_nested_discovery_document_is_a_provider_problem(idp, provider):
    idp.raw_discovery = ('{"issuer": ' + NESTED + "}").encode()
    with pytest.raises(ProviderUnavailable):
        verify_id_token(provider, idp.id_token(), audiences=AUD)


def test_deeply_nested_json_in_a_token_is_refused(idp, provider):
    nested_header = _b64(('{"alg": "RS256", "x": ' + NESTED + "}").encode())
    _refused(provider, f"{nested_header}.{_b64(idp.claims())}.c2ln", "id-token-malformed")
    claims = json.dumps(idp.claims())[:-1] + ', "deep": ' + NESTED + "}"
    signed = idp.raw_token({"alg": "RS256", "kid": "rsa-1"}, claims)
    _refused(provider, signed, "id-token-claims")


def test_a_list_valued_azp_is_refused(idp, provider):
    token = idp.id_token(aud=[PLATFORM_CLIENT_ID], azp=[PLATFORM_CLIENT_ID])
    _refused(provider, token, "id-token-audience")


@pytest.mark.parametrize("exp", [10**20, 253402300800])  # far off; the first second of 10000
def test_an_expiry_past_any_calendar_is_refused(idp, provider, exp):
    _refused(provider, idp.id_token(exp=exp, iat=int(time.time())), "id-token-claims")


# ---- the same at the token endpoint: 400 invalid_grant, 503 with an OAuth error, 401 ---------


def test_hostile_id_tokens_at_the_token_endpoint_are_invalid_grant(
    world, client, session, zlb_idp, platform_client
):
    learner = world.learner()
    link(session, learner, "zlb-hostile", zlb_idp.issuer)
    claims = json.dumps(zlb_idp.claims(sub="zlb-hostile"))
    nested_header = _b64(('{"alg": "RS256", "x": ' + NESTED + "}").encode())
    tokens = [
        zlb_idp.id_token(sub="zlb-hostile", azp=[PLATFORM_CLIENT_ID]),
        zlb_idp.id_token(sub="zlb-hostile", exp=10**20),
        zlb_idp.raw_token({"alg": "RS256", "kid": "rsa-1"}, claims[:-1] + ', "d": ' + NESTED + "}"),
        f"{_b64({'alg': ['RS256'], 'kid': 'rsa-1'})}.{_b64(claims.encode())}.c2ln",
        f"{nested_header}.{_b64(b'{}')}.c2ln",
    ]
    for token in tokens:
        refused(exchange(client, platform_client.form, token), 400, "invalid_grant")


def test_an_unreachable_provider_is_503_with_an_oauth_error(
    world, client, session, zlb_idp, platform_client
):
    learner = world.learner()
    link(session, learner, "zlb-away", zlb_idp.issuer)
    token = zlb_idp.id_token(sub="zlb-away")
    zlb_idp.close()
    answer = exchange(client, platform_client.form, token)
    body = refused(answer, 503, "temporarily_unavailable")  # RFC 6749 section 4.1.2.1
    assert body["code"] == "provider-unavailable"


@pytest.mark.parametrize("value", [b"Basic \xe9", b"Basic \xc3\xa9\xc3\xa9==", b"Basic ***"])
def test_non_ascii_basic_credentials_are_invalid_client(world, client, value):
    learner = world.learner()
    answer = client.post(
        TOKEN,
        data={
            "grant_type": support.GRANT_TYPE,
            "subject_token": learner["id"],
            "subject_token_type": "urn:lifelong-skills:params:oauth:token-type:learner-id",
        },
        headers={"Authorization": value},
    )
    refused(answer, 401, "invalid_client")


@pytest.mark.parametrize("methods", [5, "client_secret_basic_not_really", {"x": 1}])
def test_client_authentication_methods_listed_wrongly_are_a_provider_problem(provider, methods):
    from service.core.errors import Unavailable
    from service.federation.logins import _auth_method

    with pytest.raises(Unavailable):
        _auth_method(provider, {"token_endpoint_auth_methods_supported": methods})
