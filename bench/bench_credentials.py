"""Credential throughput: issuance vs bare signing, verification vs bare signature checks.

Run: ``uv run python bench/bench_credentials.py [N] [BATCH]``. SQLite in a temp file by
default, or the database in ``SKILLS_BENCH_DATABASE_URL``. Each figure is printed next to its
baseline measured in the same run with the same key, and the ratio between them.

- Bulk issuance is ``credentials.issuance.issue_batch`` as the credential job uses it: BATCH
  credentials per transaction, status indexes drawn in bulk, the key opened once per batch.
  The baseline signs the very same payloads (the credentials just minted) with the same key.
  One-at-a-time issuance (a transaction per credential) is printed for comparison.
- Verification is the service's own ``Verifier`` (what the API, pages and CLI use) on our own
  tokens: keys and status lists from the database, the lists signed once per version
  (``service.issuing.status_cache``), our keys' status and the lists' versions kept for
  ``SKILLS_VERIFY_CACHE_SECONDS``. Baselines: the bare ECDSA check of the same signing
  inputs with ``cryptography`` (the floor), and PyJWT's decode of the same tokens.
"""

from __future__ import annotations

import base64
import os
import sys
import tempfile
import time
import uuid
from pathlib import Path

import jwt
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import encode_dss_signature
from pydantic import SecretStr
from sqlalchemy import event
from sqlmodel import Session, SQLModel, create_engine

from credentials import documents, keys, models
from credentials.issuance import IssueRequest, issue_batch, issue_credential
from service.core.settings import Settings
from service.issuing.status_cache import status_list_cache
from service.issuing.verification import Verifier

BASE = "https://skills.example.gov.cn"
TABLES = [
    models.SigningKey.__table__,
    models.StatusList.__table__,
    models.StatusAllocation.__table__,
    models.Credential.__table__,
    models.CredentialStatusEvent.__table__,
]


def _engine(url: str):
    if url.startswith("sqlite"):
        engine = create_engine(url, connect_args={"check_same_thread": False, "timeout": 30})

        @event.listens_for(engine, "connect")
        def _pragmas(conn, _record):
            conn.execute("PRAGMA journal_mode=WAL")
            conn.execute("PRAGMA busy_timeout=30000")

        return engine
    if url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url[len("postgresql://") :]
    return create_engine(url)


def _der(signature: str) -> bytes:
    """A JWS ES256 signature (r || s, base64url) as the DER form cryptography checks."""
    raw = base64.urlsafe_b64decode(signature + "=" * (-len(signature) % 4))
    return encode_dss_signature(int.from_bytes(raw[:32], "big"), int.from_bytes(raw[32:], "big"))


def _rate(n: int, seconds: float) -> float:
    return n / seconds if seconds else float("inf")


def _line(label: str, rate: float, base_label: str, base: float) -> None:
    print(f"{label:<28}{rate:9.1f}   {base_label:<26}{base:9.1f}   ratio {rate / base:.3f}")


def main(n: int = 300, batch: int = 50) -> None:
    url = os.environ.get("SKILLS_BENCH_DATABASE_URL")
    tmp = None
    if not url:
        tmp = tempfile.TemporaryDirectory()
        url = f"sqlite:///{Path(tmp.name) / 'bench.db'}"
    engine = _engine(url)
    SQLModel.metadata.drop_all(engine, tables=list(reversed(TABLES)))
    SQLModel.metadata.create_all(engine, tables=TABLES)
    settings = Settings(
        public_base_url=BASE, master_key=SecretStr(base64.b64encode(os.urandom(32)).decode())
    )
    master = settings.master_key_bytes()
    issuer = documents.issuer_profile(public_base_url=BASE, slug="city", name="宁波市人社局")
    achievement = documents.achievement_document(
        public_base_url=BASE,
        slug="electrician-l4",
        name="电工（四级/中级工）",
        description="d",
        criteria_narrative="c",
        occupation_code="6-31-01-03",
        occupation_name="电工",
        level=4,
    )
    with Session(engine, expire_on_commit=False) as s:
        key = keys.create_key(s, master_key=master, public_base_url=BASE, issuer_id=issuer["id"])
        s.commit()
    print(f"database: {engine.dialect.name}; N = {n}; batch = {batch}; key {key.alg}")
    common = dict(issuer_profile=issuer, master_key=master, public_base_url=BASE)
    with_suspension = settings.credential_suspension  # the default: revocation entry only

    def request(i: int) -> IssueRequest:
        return IssueRequest(
            enrollment_ref=f"enr-{i}",
            achievement=achievement,
            learner_uuid=uuid.uuid4(),
            id_number="33020319900101123X",
            hours=72,
            score=88,
        )

    # Bulk issuance: BATCH credentials per transaction, as the credential job does.
    tokens: list[str] = []
    t0 = time.perf_counter()
    for start in range(0, n, batch):
        with Session(engine, expire_on_commit=False) as s:
            out = issue_batch(
                s,
                [request(i) for i in range(start, min(n, start + batch))],
                with_suspension=with_suspension,
                **common,
            )
            s.commit()
            tokens += [row.jwt for row, _ in out]
    bulk_s = time.perf_counter() - t0

    # One at a time: a transaction per credential (an admin's single issue).
    t0 = time.perf_counter()
    for i in range(n, n + n // 3):
        with Session(engine, expire_on_commit=False) as s:
            issue_credential(s, **vars(request(i)), with_suspension=with_suspension, **common)
            s.commit()
    single_s = time.perf_counter() - t0

    # Bare signing of the same payloads with the same key.
    private = keys.load_private_key(key, master)
    payloads = [jwt.decode(t, options={"verify_signature": False}) for t in tokens]
    headers = {"kid": key.kid, "typ": "JWT"}
    t0 = time.perf_counter()
    for payload in payloads:
        jwt.encode(payload, private, algorithm=key.alg, headers=headers)
    sign_s = time.perf_counter() - t0

    # Verification with the status list cached as the service caches it.
    # The service's own verifier (service.issuing.verification.Verifier): our keys and status
    # lists from the database, facts kept for SKILLS_VERIFY_CACHE_SECONDS as in the API.
    signed_before = status_list_cache.signatures
    with Session(engine, expire_on_commit=False) as s:
        verifier = Verifier(s, settings)
        verifier.verify(tokens[0])  # the list, signed once
        t0 = time.perf_counter()
        for token in tokens:
            report = verifier.verify(token)
            assert report.valid, report.to_dict()
        verify_s = time.perf_counter() - t0

    public = jwt.PyJWK(keys.public_jwk(key)).key
    t0 = time.perf_counter()
    for token in tokens:
        jwt.api_jws.decode_complete(token, public, algorithms=[key.alg])
    pyjwt_check_s = time.perf_counter() - t0
    # The floor: the ECDSA check alone (cryptography), on the same signing inputs.
    parts = [t.rsplit(".", 1) for t in tokens]
    inputs = [(head.encode(), _der(sig)) for head, sig in parts]
    t0 = time.perf_counter()
    for signing_input, der in inputs:
        public.verify(der, signing_input, ec.ECDSA(hashes.SHA256()))
    check_s = time.perf_counter() - t0

    sign_r = _rate(n, sign_s)
    _line("bulk issued credentials/s", _rate(n, bulk_s), "bare signing/s", sign_r)
    _line("single issued credentials/s", _rate(n // 3, single_s), "bare signing/s", sign_r)
    _line("verifications/s", _rate(n, verify_s), "bare ECDSA checks/s", _rate(n, check_s))
    _line("verifications/s", _rate(n, verify_s), "PyJWT decode checks/s", _rate(n, pyjwt_check_s))
    print(
        f"(status lists signed during verification: {status_list_cache.signatures - signed_before};"
        f" our keys' status and the lists' versions kept for {settings.verify_cache_seconds:g} s,"
        " SKILLS_VERIFY_CACHE_SECONDS)"
    )
    engine.dispose()
    if tmp:
        tmp.cleanup()


if __name__ == "__main__":
    main(
        int(sys.argv[1]) if len(sys.argv) > 1 else 300,
        int(sys.argv[2]) if len(sys.argv) > 2 else 50,
    )
