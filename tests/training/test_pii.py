"""PII protection: keyed fingerprints, versioned AES-GCM, masks, key derivation."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from service.training.pii import (
    ENC_KEY_INFO,
    HMAC_KEY_INFO,
    PiiCipher,
    PiiDecryptError,
    derive_keys,
    mask_id,
    mask_phone,
)

MASTER = b"m" * 32
NUMBER = "11010519491231002X"


@pytest.fixture
def cipher() -> PiiCipher:
    return PiiCipher.from_master_key(MASTER)


def test_derived_keys_are_distinct_deterministic_and_labelled():
    keys = derive_keys(MASTER)
    assert len(keys.hmac_key) == len(keys.enc_key) == 32
    assert keys.hmac_key != keys.enc_key
    assert derive_keys(MASTER) == keys
    assert derive_keys(b"n" * 32) != keys
    assert HMAC_KEY_INFO == b"skills/pii-hmac/v1" and ENC_KEY_INFO == b"skills/pii-enc/v1"
    assert "redacted" in repr(keys) and keys.hmac_key.hex() not in repr(keys)


def test_short_master_key_is_refused():
    with pytest.raises(ValueError):
        derive_keys(b"short")


def test_fingerprint_is_stable_keyed_and_normalised(cipher):
    fp = cipher.fingerprint(NUMBER)
    assert len(fp) == 64 and int(fp, 16) >= 0
    assert cipher.fingerprint(NUMBER.lower()) == fp
    assert cipher.fingerprint(f" {NUMBER} ") == fp
    assert PiiCipher.from_master_key(b"x" * 32).fingerprint(NUMBER) != fp
    assert cipher.fingerprint("110105194912310029") != fp


def test_encrypt_round_trip_with_version_prefix_and_random_nonce(cipher):
    blob = cipher.encrypt(NUMBER)
    assert blob.startswith(b"v1")
    assert NUMBER.encode() not in blob
    assert cipher.encrypt(NUMBER) != blob  # fresh nonce each time
    assert cipher.decrypt(blob) == NUMBER


@given(st.text(max_size=200))
def test_round_trip_any_text(value):
    cipher = PiiCipher.from_master_key(MASTER)
    assert cipher.decrypt(cipher.encrypt(value)) == value


def test_context_binds_ciphertext_to_its_row(cipher):
    blob = cipher.encrypt(NUMBER, context=b"learner:1")
    assert cipher.decrypt(blob, context=b"learner:1") == NUMBER
    with pytest.raises(PiiDecryptError):
        cipher.decrypt(blob, context=b"learner:2")


@pytest.mark.parametrize(
    "tamper",
    [
        lambda b: b"v2" + b[2:],
        lambda b: b[:-1] + bytes([b[-1] ^ 1]),
        lambda b: b[:10],
        lambda b: b"",
    ],
)
def test_tampered_or_unknown_ciphertexts_fail_cleanly(cipher, tamper):
    with pytest.raises(PiiDecryptError) as info:
        cipher.decrypt(tamper(cipher.encrypt(NUMBER)))
    assert NUMBER not in str(info.value)


def test_wrong_key_fails(cipher):
    other = PiiCipher.from_master_key(b"o" * 32)
    with pytest.raises(PiiDecryptError):
        other.decrypt(cipher.encrypt(NUMBER))


def test_bad_key_lengths_are_refused():
    with pytest.raises(ValueError):
        PiiCipher(b"k" * 32, b"k" * 16)
    with pytest.raises(ValueError):
        PiiCipher(b"k" * 8, b"k" * 32)


def test_masks():
    assert mask_id("330203199003071234") == "330203********1234"
    assert mask_id("11010519491231002x") == "110105********002X"
    assert mask_phone("13812345678") == "138****5678"
    assert mask_id("12345") == "*****"
    assert mask_phone("12345") == "*****"


def test_repr_hides_keys(cipher):
    assert "redacted" in repr(cipher)
