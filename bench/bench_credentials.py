"""Credential throughput: issuance vs bare signing, verification vs bare signature checks.

Run: ``uv run python -m bench --only credentials`` (or ``bench/bench_credentials.py``).
SQLite in a temp file by default, or the database in ``SKILLS_BENCH_DATABASE_URL_CREDENTIALS``.
Each round issues new credentials and times every baseline on the same payloads and tokens
with the same key.

- Bulk issuance is ``credentials.issuance.issue_batch`` as the credential job uses it: 50
  credentials per transaction, status indexes drawn in bulk, the key opened once per batch.
  Baselines: the bare ECDSA signature of the very same signing inputs (the floor the goal is
  set against), PyJWT's encode of the same payloads, and a plain multi-row INSERT of the
  same rows (the database's floor). One-at-a-time issuance (a transaction per credential) is
  shown for comparison.
- Verification is the service's own ``Verifier`` (what the API, pages and CLI use) on our own
  tokens: keys and status lists from the database, the lists signed once per version
  (``service.issuing.status_cache``), our keys' status and the lists' versions kept for
  ``SKILLS_VERIFY_CACHE_SECONDS``. Baselines: the bare ECDSA check of the same signing
  inputs with ``cryptography`` (the floor: one signature per verification, the status list
  being cached), and PyJWT's decode of the same tokens.
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

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.harness import Figure, Scale, check, main_for, rate  # noqa: E402
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


class CredentialsBench:
    """Set up once: the tables, an issuer key and the documents; each round issues fresh
    credentials (bulk and one at a time), verifies them, and times the baselines on the same
    payloads and tokens."""

    name = "credentials"

    def __init__(self, scale: Scale) -> None:
        self.n = scale.pick(600, 150)
        self.batch = 50
        url = os.environ.get("SKILLS_BENCH_DATABASE_URL_CREDENTIALS")
        self.tmp = None
        if not url:
            self.tmp = tempfile.TemporaryDirectory()
            url = f"sqlite:///{Path(self.tmp.name) / 'bench.db'}"
        self.engine = _engine(url)
        SQLModel.metadata.drop_all(self.engine, tables=list(reversed(TABLES)))
        SQLModel.metadata.create_all(self.engine, tables=TABLES)
        with self.engine.begin() as c:  # the insert floor writes the same rows here
            c.exec_driver_sql(
                "CREATE TABLE bench_credential_copy AS SELECT * FROM cred_credential WHERE 0"
            )
        self.settings = Settings(
            public_base_url=BASE, master_key=SecretStr(base64.b64encode(os.urandom(32)).decode())
        )
        master = self.settings.master_key_bytes()
        self.issuer = documents.issuer_profile(
            public_base_url=BASE, slug="city", name="宁波市人社局"
        )
        self.achievement = documents.achievement_document(
            public_base_url=BASE,
            slug="electrician-l4",
            name="电工（四级/中级工）",
            description="d",
            criteria_narrative="c",
            occupation_code="6-31-01-03",
            occupation_name="电工",
            level=4,
        )
        with Session(self.engine, expire_on_commit=False) as s:
            self.key = keys.create_key(
                s, master_key=master, public_base_url=BASE, issuer_id=self.issuer["id"]
            )
            s.commit()
        self.common = dict(issuer_profile=self.issuer, master_key=master, public_base_url=BASE)
        self.private = keys.load_private_key(self.key, master)
        self.public = jwt.PyJWK(keys.public_jwk(self.key)).key
        self.counter = 0

    def _request(self) -> IssueRequest:
        self.counter += 1
        return IssueRequest(
            enrollment_ref=f"enr-{self.counter}",
            achievement=self.achievement,
            learner_uuid=uuid.uuid4(),
            id_number="33020319900101123X",
            hours=72,
            score=88,
        )

    def round(self) -> list[Figure]:
        n, batch, suspension = self.n, self.batch, self.settings.credential_suspension
        # Bulk issuance: BATCH credentials per transaction, as the credential job does.
        tokens: list[str] = []
        t0 = time.perf_counter()
        for start in range(0, n, batch):
            with Session(self.engine, expire_on_commit=False) as s:
                out = issue_batch(
                    s,
                    [self._request() for _ in range(start, min(n, start + batch))],
                    with_suspension=suspension,
                    **self.common,
                )
                s.commit()
                tokens += [row.jwt for row, _ in out]
        bulk_s = time.perf_counter() - t0
        check(len(set(tokens)) == n, "every request gave a new credential")

        # One at a time: a transaction per credential (an admin's single issue).
        single = max(10, n // 6)
        t0 = time.perf_counter()
        for _ in range(single):
            with Session(self.engine, expire_on_commit=False) as s:
                issue_credential(
                    s, **vars(self._request()), with_suspension=suspension, **self.common
                )
                s.commit()
        single_s = time.perf_counter() - t0

        # Floors of issuance: the bare signature of the same signing inputs, PyJWT's encode of
        # the same payloads, and the plain multi-row INSERT of the same rows.
        parts = [t.rsplit(".", 1) for t in tokens]
        inputs = [head.encode() for head, _ in parts]
        t0 = time.perf_counter()
        for signing_input in inputs:
            self.private.sign(signing_input, ec.ECDSA(hashes.SHA256()))
        sign_s = time.perf_counter() - t0
        payloads = [jwt.decode(t, options={"verify_signature": False}) for t in tokens]
        headers = {"kid": self.key.kid, "typ": "JWT"}
        t0 = time.perf_counter()
        for payload in payloads:
            jwt.encode(payload, self.private, algorithm=self.key.alg, headers=headers)
        pyjwt_sign_s = time.perf_counter() - t0
        insert_s = self._insert_floor(tokens)

        # Verification with the service's own verifier (API, pages and CLI use it): keys and
        # status lists from the database, the lists signed once per version and kept for
        # SKILLS_VERIFY_CACHE_SECONDS, as in the API.
        signed_before = status_list_cache.signatures
        with Session(self.engine, expire_on_commit=False) as s:
            verifier = Verifier(s, self.settings)
            verifier.verify(tokens[0])  # the list, signed once
            t0 = time.perf_counter()
            for token in tokens:
                report = verifier.verify(token)
                check(report.valid, f"not valid: {report.to_dict()}")
            verify_s = time.perf_counter() - t0
        check(status_list_cache.signatures - signed_before <= 1, "status list re-signed per call")
        t0 = time.perf_counter()
        for token in tokens:
            jwt.api_jws.decode_complete(token, self.public, algorithms=[self.key.alg])
        pyjwt_check_s = time.perf_counter() - t0
        # The floor: the ECDSA check alone (one signature per verification once the status
        # list is cached), on the same signing inputs.
        ders = [_der(sig) for _, sig in parts]
        t0 = time.perf_counter()
        for signing_input, der in zip(inputs, ders, strict=True):
            self.public.verify(der, signing_input, ec.ECDSA(hashes.SHA256()))
        check_s = time.perf_counter() - t0

        return [
            Figure("sign", "bare ES256 signatures (floor)", rate(n, sign_s), "/s"),
            Figure(
                "pyjwt_sign",
                "PyJWT encode, same payloads",
                rate(n, pyjwt_sign_s),
                "/s",
                baseline="sign",
            ),
            Figure("insert", "plain INSERT of the same rows", rate(n, insert_s), "/s"),
            Figure(
                "bulk",
                f"bulk issuance (batches of {batch})",
                rate(n, bulk_s),
                "/s",
                baseline="sign",
                goal=0.5,
            ),
            Figure(
                "single",
                "single issuance (a transaction each)",
                rate(single, single_s),
                "/s",
                baseline="sign",
            ),
            Figure("check", "bare ES256 checks (floor)", rate(n, check_s), "/s"),
            Figure(
                "pyjwt_verify",
                "PyJWT decode, same tokens",
                rate(n, pyjwt_check_s),
                "/s",
                baseline="check",
            ),
            Figure(
                "verify",
                "verification in process",
                rate(n, verify_s),
                "/s",
                baseline="check",
                goal=0.7,
            ),
        ]

    def _insert_floor(self, tokens: list[str]) -> float:
        """The same credential rows, written again with one multi-row INSERT into a copy of
        the table: the database's share of issuance, which no issuing code can beat."""
        from sqlalchemy import bindparam, text

        with self.engine.begin() as c:
            rows = [
                dict(r._mapping)
                for r in c.execute(
                    text("SELECT * FROM cred_credential WHERE jwt IN :t").bindparams(
                        bindparam("t", expanding=True)
                    ),
                    {"t": tokens},
                )
            ]
            columns = list(rows[0])
            statement = text(
                f"INSERT INTO bench_credential_copy ({', '.join(columns)}) "
                f"VALUES ({', '.join(':' + c for c in columns)})"
            )
        t0 = time.perf_counter()
        for start in range(0, len(rows), self.batch):
            with self.engine.begin() as c:
                c.execute(statement, rows[start : start + self.batch])
        return time.perf_counter() - t0

    def close(self) -> None:
        self.engine.dispose()
        if self.tmp:
            self.tmp.cleanup()


def open_bench(scale: Scale) -> CredentialsBench:
    return CredentialsBench(scale)


if __name__ == "__main__":
    main_for("credentials", open_bench)
