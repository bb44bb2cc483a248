"""Credential throughput: issuance vs bare signing, verification vs bare signature checks.

Run: ``uv run python bench/bench_credentials.py [N]``. SQLite in a temp file by default, or the
database in ``SKILLS_BENCH_DATABASE_URL``. Each figure is printed next to its baseline measured
in the same run with the same key, and the ratio between them.
"""

from __future__ import annotations

import os
import sys
import tempfile
import time
import uuid
from pathlib import Path

import jwt
from sqlalchemy import event
from sqlmodel import Session, SQLModel, create_engine

from credentials import documents, keys, models
from credentials.issuance import issue_credential
from credentials.resolvers import DbKeyResolver, DbStatusFetcher
from credentials.verify import verify

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


def _rate(n: int, seconds: float) -> float:
    return n / seconds if seconds else float("inf")


def main(n: int = 300) -> None:
    url = os.environ.get("SKILLS_BENCH_DATABASE_URL")
    tmp = None
    if not url:
        tmp = tempfile.TemporaryDirectory()
        url = f"sqlite:///{Path(tmp.name) / 'bench.db'}"
    engine = _engine(url)
    SQLModel.metadata.drop_all(engine, tables=list(reversed(TABLES)))
    SQLModel.metadata.create_all(engine, tables=TABLES)
    master = os.urandom(32)
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
    print(f"database: {engine.dialect.name}; N = {n}; key {key.alg}")

    # Issuance: one transaction per credential (DB write + 2 status indexes + signature).
    tokens = []
    t0 = time.perf_counter()
    for i in range(n):
        with Session(engine, expire_on_commit=False) as s:
            row = issue_credential(
                s,
                enrollment_ref=f"enr-{i}",
                achievement=achievement,
                learner_uuid=uuid.uuid4(),
                id_number="33020319900101123X",
                hours=72,
                score=88,
                issuer_profile=issuer,
                master_key=master,
                public_base_url=BASE,
            )
            s.commit()
            tokens.append(row.jwt)
    issue_s = time.perf_counter() - t0

    # Bare signing loop with the same key and a payload of the same size.
    private = keys.load_private_key(key, master)
    payload = jwt.decode(tokens[0], options={"verify_signature": False})
    headers = {"kid": key.kid, "typ": "JWT"}
    t0 = time.perf_counter()
    for _ in range(n):
        jwt.encode(payload, private, algorithm=key.alg, headers=headers)
    sign_s = time.perf_counter() - t0

    # Verification: full report (DB key lookup, status lists signed + fetched from the DB).
    with Session(engine, expire_on_commit=False) as s:
        resolver = DbKeyResolver(s)
        fetcher = DbStatusFetcher(s, public_base_url=BASE, master_key=master)
        t0 = time.perf_counter()
        for token in tokens:
            report = verify(token, key_resolver=resolver, status_fetcher=fetcher)
            assert report.valid, report.to_dict()
        verify_s = time.perf_counter() - t0

    public = jwt.PyJWK(keys.public_jwk(key)).key
    t0 = time.perf_counter()
    for token in tokens:
        jwt.api_jws.decode_complete(token, public, algorithms=[key.alg])
    check_s = time.perf_counter() - t0

    issue_r, sign_r = _rate(n, issue_s), _rate(n, sign_s)
    verify_r, check_r = _rate(n, verify_s), _rate(n, check_s)
    print(
        f"issued credentials/s     {issue_r:9.1f}   bare signing/s         {sign_r:9.1f}"
        f"   ratio {issue_r / sign_r:.3f}"
    )
    print(
        f"verifications/s          {verify_r:9.1f}   bare signature checks/s {check_r:8.1f}"
        f"   ratio {verify_r / check_r:.3f}"
    )
    print(
        "(verification includes fetching and verifying the two status list credentials,\n"
        " which are re-signed per call here; a verifier caches them by ETag in practice)"
    )
    engine.dispose()
    if tmp:
        tmp.cleanup()


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 300)
