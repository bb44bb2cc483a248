"""ID-token checks (OpenID Connect Core 1.0 section 3.1.3.7) against a real IdP over HTTP.

The test IdP serves its discovery document and JWK Set on 127.0.0.1 and signs tokens with its
keys; every refusal is checked for its code and for not echoing the token's contents.
"""

from __future__ import annotations

import json
import time

import pytest
from cryptography.hazmat.primitives.asymmetric import ec, rsa

from service.core.settings import InsecureConfiguration, Settings
from service.federation import providers
from service.federation.id_tokens import IdTokenRefused, verify_id_token
from service.federation.providers import (
    OidcProvider,
    ProviderUnavailable,
    UnknownProvider,
    configured_providers,
    get_provider,
    provider_for_issuer,
)
from tests.federation.issuer_fixture import (
    PLATFORM_CLIENT_ID,
    TestIdentityProvider,
    hmac_confused_token,
    public_jwk,
    unsigned_token,
)

AUD = (PLATFORM_CLIENT_ID,)


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
        client_secret="s3cr3t-of-the-client",
        scopes=("openid",),
        label="浙里办",
        exchange_audiences=AUD,
        allow_http=True,
    )


def refused(provider, token, code, *, audiences=AUD, nonce=None):
    with pytest.raises(IdTokenRefused) as caught:
        verify_id_token(provider, token, audiences=audiences, nonce=nonce)
    assert caught.value.code == code, caught.value.detail
    # the message never carries the token or what it says
    assert token[:20] not in caught.value.detail
    assert "idp-subject" not in caught.value.detail
    return caught.value


def test_a_valid_rs256_token_gives_its_claims(idp, provider):
    token = idp.id_token(sub="person-1", email="x@example.org")
    claims = verify_id_token(provider, token, audiences=AUD)
    assert claims.issuer == idp.issuer
    assert claims.subject == "person-1"
    assert claims.audience == AUD
    assert claims.claims["email"] == "x@example.org"
    assert claims.expires_at.timestamp() > time.time()


def test_a_valid_es256_token_passes(idp, provider):
    token = idp.id_token(key=idp.ec_key, alg="ES256", kid="ec-1")
    assert verify_id_token(provider, token, audiences=AUD).subject.startswith("idp-subject")


def test_keys_and_discovery_are_fetched_once_for_many_tokens(idp, provider):
    for _ in range(3):
        verify_id_token(provider, idp.id_token(), audiences=AUD)
    assert idp.jwks_fetches == 1


def test_an_expired_token_is_refused_but_the_leeway_holds(idp, provider):
    now = int(time.time())
    refused(provider, idp.id_token(iat=now - 900, exp=now - 120), "id-token-expired")
    assert verify_id_token(provider, idp.id_token(iat=now - 900, exp=now - 20), audiences=AUD)


def test_a_token_issued_in_the_future_is_refused(idp, provider):
    now = int(time.time())
    refused(provider, idp.id_token(iat=now + 600, exp=now + 900), "id-token-iat")


def test_a_token_without_iat_or_exp_is_refused(idp, provider):
    refused(provider, idp.id_token(iat=None), "id-token-claims")
    refused(provider, idp.id_token(exp=None), "id-token-claims")


def test_another_audience_is_refused(idp, provider):
    refused(provider, idp.id_token(aud="some-other-app"), "id-token-audience")


def test_several_audiences_need_azp_naming_us(idp, provider):
    trusted = (PLATFORM_CLIENT_ID, "second-trusted-app")
    both = list(trusted)
    refused(provider, idp.id_token(aud=both), "id-token-audience", audiences=trusted)
    refused(provider, idp.id_token(aud=both, azp="some-other-app"), "id-token-audience")
    token = idp.id_token(aud=both, azp=PLATFORM_CLIENT_ID)
    assert verify_id_token(provider, token, audiences=trusted)


def test_an_audience_not_trusted_here_is_refused_even_with_our_azp(idp, provider):
    """Core 1.0 section 3.1.3.7 item 3: additional audiences not trusted by the client MUST be
    rejected, whatever ``azp`` says."""
    token = idp.id_token(aud=[PLATFORM_CLIENT_ID, "some-other-app"], azp=PLATFORM_CLIENT_ID)
    refused(provider, token, "id-token-audience")


def test_no_accepted_audience_accepts_nothing(idp, provider):
    refused(provider, idp.id_token(), "id-token-audience", audiences=())


def test_another_issuer_is_refused(idp, provider):
    refused(provider, idp.id_token(iss="https://evil.example"), "id-token-issuer")
    refused(provider, idp.id_token(iss=idp.issuer + "/"), "id-token-issuer")  # exact match


def test_an_unknown_kid_refetches_the_keys_once(idp, provider, monkeypatch):
    verify_id_token(provider, idp.id_token(), audiences=AUD)
    assert idp.jwks_fetches == 1
    stranger = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    monkeypatch.setattr(providers, "JWKS_REFETCH_MIN_SECONDS", 0.0)
    refused(provider, idp.id_token(key=stranger, kid="rsa-unknown"), "id-token-kid")
    assert idp.jwks_fetches == 2  # one refetch, not one per candidate


def test_made_up_kids_do_not_refetch_within_the_cool_down(idp, provider):
    stranger = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    for n in range(3):
        refused(provider, idp.id_token(key=stranger, kid=f"made-up-{n}"), "id-token-kid")
    assert idp.jwks_fetches == 1


def test_a_rotated_key_is_found_by_one_refetch(idp, provider, monkeypatch):
    verify_id_token(provider, idp.id_token(), audiences=AUD)
    new_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    idp.keys.append(public_jwk(new_key, "rsa-2", alg="RS256"))
    monkeypatch.setattr(providers, "JWKS_REFETCH_MIN_SECONDS", 0.0)
    claims = verify_id_token(provider, idp.id_token(key=new_key, kid="rsa-2"), audiences=AUD)
    assert claims.issuer == idp.issuer
    assert idp.jwks_fetches == 2


def test_a_token_signed_by_another_key_under_a_known_kid_is_refused(idp, provider):
    other = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    refused(provider, idp.id_token(key=other, kid="rsa-1"), "id-token-signature")


def test_alg_none_is_refused(idp, provider):
    refused(provider, unsigned_token(idp.claims()), "id-token-alg")


def test_hs256_signed_with_the_public_key_is_refused(idp, provider):
    refused(provider, hmac_confused_token(idp, idp.claims()), "id-token-alg")


def test_an_algorithm_the_provider_does_not_advertise_is_refused(idp, provider):
    refused(provider, idp.id_token(alg="PS256"), "id-token-alg")


def test_an_ec_algorithm_with_an_rsa_kid_finds_no_key(idp, provider):
    refused(provider, idp.id_token(key=idp.ec_key, alg="ES256", kid="rsa-1"), "id-token-kid")


def test_a_key_named_in_the_header_is_never_used(idp, provider):
    attacker = ec.generate_private_key(ec.SECP256R1())
    header = {"jwk": public_jwk(attacker, "ec-1"), "jku": "https://evil.example/jwks"}
    token = idp.id_token(key=attacker, alg="ES256", kid="ec-1", headers=header)
    refused(provider, token, "id-token-signature")


def test_critical_header_members_are_refused(idp, provider):
    refused(provider, idp.id_token(headers={"crit": ["exp"], "exp": 1}), "id-token-malformed")


def test_the_nonce_is_checked_when_given_and_ignored_otherwise(idp, provider):
    token = idp.id_token(nonce="n-1")
    refused(provider, token, "id-token-nonce", nonce="n-2")
    assert verify_id_token(provider, token, audiences=AUD, nonce="n-1").nonce == "n-1"
    assert verify_id_token(provider, token, audiences=AUD).nonce == "n-1"


def test_garbage_is_refused_as_malformed(idp, provider):
    refused(provider, "not-a-jwt", "id-token-malformed")
    refused(provider, "a.b.c", "id-token-malformed")
    refused(provider, "x" * 20_000, "id-token-malformed")


def test_a_discovery_document_naming_another_issuer_is_refused(idp, provider):
    idp.discovery_overrides["issuer"] = "https://elsewhere.example"
    with pytest.raises(ProviderUnavailable):
        verify_id_token(provider, idp.id_token(), audiences=AUD)


def test_an_unreachable_provider_is_unavailable_not_a_crash(provider, idp):
    idp.close()
    with pytest.raises(ProviderUnavailable):
        verify_id_token(provider, idp.id_token(), audiences=AUD)


# ---- settings --------------------------------------------------------------------------------


def _settings(env="test", **provider):
    entry = {"name": "zlb", "issuer": "https://idp.example", "client_id": "c"} | provider
    return Settings(_env_file=None, env=env, oidc_providers=[entry])


def test_configured_providers_come_from_settings():
    settings = _settings(
        client_secret="a-real-secret",  # noqa: S106
        exchange_audiences=["platform"],
        label="浙里办",
    )
    found = get_provider(settings, "zlb")
    assert found.exchange_audiences == ("platform",)
    assert found.label == "浙里办"
    assert "a-real-secret" not in repr(found)
    assert "a-real-secret" not in repr(settings)
    assert provider_for_issuer(settings, "https://idp.example") == found
    assert provider_for_issuer(settings, "https://idp.example/") is None
    assert set(configured_providers(settings)) == {"zlb"}
    with pytest.raises(UnknownProvider):
        get_provider(settings, "other")


def test_provider_names_must_be_unique_slugs():
    with pytest.raises(InsecureConfiguration):
        Settings(
            _env_file=None,
            oidc_providers=[
                {"name": "zlb", "issuer": "https://a.example", "client_id": "c"},
                {"name": "zlb", "issuer": "https://b.example", "client_id": "c"},
            ],
        )
    with pytest.raises(ValueError):
        _settings(name="Not A Slug")


def test_production_wants_https_issuers_and_real_secrets(monkeypatch):
    with pytest.raises(InsecureConfiguration) as caught:
        _settings(env="production", issuer="http://idp.example", client_secret="top-secret-value")
    assert "top-secret-value" not in str(caught.value)
    monkeypatch.setenv(
        "SKILLS_OIDC_PROVIDERS",
        json.dumps([{"name": "zlb", "issuer": "https://idp.example", "client_id": "c"}]),
    )
    settings = Settings(_env_file=None, env="production")
    assert any("SKILLS_OIDC_PROVIDERS" in p for p in settings.insecure_settings())
    settings = _settings(env="production", client_secret="change-me")  # noqa: S106
    assert any("SKILLS_OIDC_PROVIDERS" in p for p in settings.insecure_settings())


def test_a_validation_error_does_not_print_the_client_secret():
    with pytest.raises(ValueError) as caught:
        Settings(
            _env_file=None,
            oidc_providers=[{"name": "zlb", "issuer": "https://a", "client_secret": "zzz-secret"}],
        )
    assert "zzz-secret" not in str(caught.value)
