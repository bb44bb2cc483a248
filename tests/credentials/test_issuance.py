import threading
import uuid

import pytest
from sqlmodel import Session, select

from credentials import keys
from credentials.issuance import CredentialStateError, issue_credential, revoke, suspend, unsuspend
from credentials.models import Credential, CredentialStatusEvent, StatusAllocation
from tests.fixtures.credentials import BASE


def test_issue_is_idempotent(world):
    learner = uuid.uuid4()
    first = world.issue("enr-1", learner_uuid=learner)
    again = world.issue("enr-1", learner_uuid=learner)
    assert again.id == first.id and again.jwt == first.jwt
    assert len(world.session.exec(select(Credential)).all()) == 1
    assert len(world.session.exec(select(StatusAllocation)).all()) == 2


def test_issue_without_active_key_writes_nothing(world):
    keys.mark_compromised(world.session, world.key.kid, "x")
    world.session.commit()
    with pytest.raises(keys.NoActiveKey):
        world.issue("enr-2")
    world.session.rollback()
    assert world.session.exec(select(Credential)).all() == []
    assert world.session.exec(select(StatusAllocation)).all() == []


def test_concurrent_duplicate_jobs_mint_one_credential(world, engine):
    learner = uuid.uuid4()
    results, errors = [], []
    barrier = threading.Barrier(6)

    def job():
        try:
            barrier.wait()
            with Session(engine, expire_on_commit=False) as s:
                row = issue_credential(
                    s,
                    enrollment_ref="enr-dup",
                    achievement=world.achievement,
                    learner_uuid=learner,
                    id_number="330203199001011234",
                    hours=40,
                    score=70,
                    issuer_profile=world.issuer,
                    master_key=world.master_key,
                    public_base_url=BASE,
                )
                s.commit()
                results.append(row.credential_id)
        except Exception as exc:  # pragma: no cover
            errors.append(exc)

    threads = [threading.Thread(target=job) for _ in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    assert len(set(results)) == 1 and len(results) == 6
    with Session(engine) as s:
        assert len(s.exec(select(Credential)).all()) == 1
        assert len(s.exec(select(StatusAllocation)).all()) == 2


def test_concurrent_issuance_gets_unique_indexes(world, engine):
    errors = []

    def job(n):
        try:
            for i in range(5):
                with Session(engine) as s:
                    issue_credential(
                        s,
                        enrollment_ref=f"enr-{n}-{i}",
                        achievement=world.achievement,
                        learner_uuid=uuid.uuid4(),
                        id_number=None,
                        hours=10,
                        score=None,
                        issuer_profile=world.issuer,
                        master_key=world.master_key,
                        public_base_url=BASE,
                    )
                    s.commit()
        except Exception as exc:  # pragma: no cover
            errors.append(exc)

    threads = [threading.Thread(target=job, args=(n,)) for n in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    with Session(engine) as s:
        rows = s.exec(select(Credential)).all()
        assert len(rows) == 20
        rev = {(r.revocation_list_id, r.revocation_index) for r in rows}
        sus = {(r.suspension_list_id, r.suspension_index) for r in rows}
        assert len(rev) == 20 and len(sus) == 20


def test_status_changes_are_audited(world):
    row = world.issue()
    suspend(world.session, row, "review", "admin-1")
    unsuspend(world.session, row, "ok", "admin-1")
    revoke(world.session, row, "fraud", "admin-2")
    revoke(world.session, row, "again", "admin-2")  # no-op
    world.session.commit()
    events = world.session.exec(
        select(CredentialStatusEvent).order_by(CredentialStatusEvent.at)
    ).all()
    assert [(e.action, e.reason, e.actor) for e in events] == [
        ("suspend", "review", "admin-1"),
        ("unsuspend", "ok", "admin-1"),
        ("revoke", "fraud", "admin-2"),
    ]
    with pytest.raises(CredentialStateError):
        suspend(world.session, row, "x", "admin")
    with pytest.raises(CredentialStateError):
        revoke(world.session, world.issue(), "  ", "admin")
