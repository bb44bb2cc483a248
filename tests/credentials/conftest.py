"""Fixtures for the credentials tests, on the shared Alembic-built ``session`` (SQLite, and
PostgreSQL when SKILLS_TEST_DATABASE_URL is set)."""

from __future__ import annotations

import os
import uuid
from dataclasses import dataclass

import pytest
from sqlmodel import Session

from credentials import documents, keys, models
from credentials.issuance import issue_credential
from credentials.resolvers import DbKeyResolver, DbStatusFetcher
from credentials.verify import verify

BASE = "https://skills.example.gov.cn"


@pytest.fixture
def master_key():
    return os.urandom(32)


@dataclass
class World:
    session: Session
    master_key: bytes
    issuer: dict
    achievement: dict
    key: models.SigningKey

    def issue(self, enrollment_ref: str | None = None, **kw):
        args = dict(
            enrollment_ref=enrollment_ref or f"enr-{uuid.uuid4()}",
            achievement=self.achievement,
            learner_uuid=kw.pop("learner_uuid", uuid.uuid4()),
            id_number=kw.pop("id_number", "33020319900101123X"),
            hours=kw.pop("hours", 72),
            score=kw.pop("score", 86.5),
            issuer_profile=self.issuer,
            master_key=self.master_key,
            public_base_url=BASE,
        )
        args.update(kw)
        row = issue_credential(self.session, **args)
        self.session.commit()
        return row

    def resolver(self):
        return DbKeyResolver(self.session)

    def fetcher(self):
        return DbStatusFetcher(self.session, public_base_url=BASE, master_key=self.master_key)

    def verify(self, token, **kw):
        kw.setdefault("key_resolver", self.resolver())
        kw.setdefault("status_fetcher", self.fetcher())
        return verify(token, **kw)


def make_issuer(slug="ningbo-hrss", name="宁波市人力资源和社会保障局"):
    return documents.issuer_profile(
        public_base_url=BASE, slug=slug, name=name, url="https://rsj.ningbo.gov.cn"
    )


def make_achievement():
    return documents.achievement_document(
        public_base_url=BASE,
        slug="6-29-01-01-l4",
        name="电工（四级/中级工）技能微证书",
        description="完成电工中级工培训并通过考核。",
        criteria_narrative="完成 120 学时培训，考核成绩不低于 60 分。",
        occupation_code="6-31-01-03",
        occupation_name="电工",
        level=4,
        required_hours=120,
        pass_mark=60,
    )


@pytest.fixture
def world(session, master_key):
    issuer = make_issuer()
    key = keys.create_key(
        session, master_key=master_key, public_base_url=BASE, issuer_id=issuer["id"]
    )
    session.commit()
    return World(session, master_key, issuer, make_achievement(), key)
