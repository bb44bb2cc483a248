"""Batch issuance: many credentials in one transaction, as idempotent as one at a time."""

from __future__ import annotations

import uuid

import pytest
from sqlmodel import select

from credentials import keys
from credentials.issuance import IssueRequest, issue_batch, issue_credential
from credentials.models import Credential, StatusAllocation
from tests.fixtures.credentials import BASE


def _requests(world, refs, learners=None):
    return [
        IssueRequest(
            enrollment_ref=ref,
            achievement=world.achievement,
            learner_uuid=(learners or {}).get(ref, uuid.uuid4()),
            id_number="33020319900101123X",
            hours=72,
            score=80,
        )
        for ref in refs
    ]


def _batch(world, requests, **kw):
    world.key
    out = issue_batch(
        world.session,
        requests,
        issuer_profile=world.issuer,
        master_key=world.master_key,
        public_base_url=BASE,
        **kw,
    )
    world.session.commit()
    return out


def test_a_batch_mints_each_once_and_verifies(world):
    out = _batch(world, _requests(world, [f"enr-{i}" for i in range(20)]), with_suspension=False)
    assert [created for _, created in out] == [True] * 20
    rows = world.session.exec(select(Credential)).all()
    assert len(rows) == 20
    assert len({(r.revocation_list_id, r.revocation_index) for r in rows}) == 20
    assert all(r.suspension_list_id is None for r in rows)
    assert len(world.session.exec(select(StatusAllocation)).all()) == 20
    assert {world.verify(r.jwt).result for r in rows[:3]} == {"valid"}


def test_a_retried_batch_never_mints_twice(world):
    learners = {f"enr-{i}": uuid.uuid4() for i in range(6)}
    first = _batch(world, _requests(world, list(learners)[:3], learners))
    # a retry overlapping the first batch, with a duplicate inside the batch itself
    again = _batch(world, _requests(world, [*learners, "enr-0"], learners))
    assert [created for _, created in again] == [False, False, False, True, True, True, False]
    assert [row.id for row, _ in again[:3]] == [row.id for row, _ in first]
    assert again[6][0].id == again[0][0].id
    assert len(world.session.exec(select(Credential)).all()) == 6
    assert len(world.session.exec(select(StatusAllocation)).all()) == 12  # rev + sus each


def test_a_batch_that_lost_a_race_is_redone_one_by_one(world, monkeypatch):
    """Another worker committed one of the pairs between our check and our insert."""
    import credentials.issuance as issuance

    world.key
    raced = issue_credential(
        world.session,
        enrollment_ref="enr-race",
        achievement=world.achievement,
        learner_uuid=uuid.uuid4(),
        id_number=None,
        hours=1,
        score=None,
        issuer_profile=world.issuer,
        master_key=world.master_key,
        public_base_url=BASE,
    )
    world.session.commit()
    real = issuance.existing_for
    calls = []

    def blind_once(session, pairs):  # the first look misses the committed row
        calls.append(pairs)
        return {} if len(calls) == 1 else real(session, pairs)

    monkeypatch.setattr(issuance, "existing_for", blind_once)
    out = _batch(world, _requests(world, ["enr-a", "enr-race", "enr-b"]))
    assert [created for _, created in out] == [True, False, True]
    assert out[1][0].id == raced.id
    assert len(world.session.exec(select(Credential)).all()) == 3


def test_a_batch_without_a_key_writes_nothing(world):
    keys.mark_compromised(world.session, world.key.kid, "x")
    world.session.commit()
    with pytest.raises(keys.NoActiveKey):
        _batch(world, _requests(world, ["enr-x", "enr-y"]))
    world.session.rollback()
    assert world.session.exec(select(Credential)).all() == []
    assert world.session.exec(select(StatusAllocation)).all() == []


def test_bulk_draws_skip_taken_indexes(session, monkeypatch):
    """Drawn indexes that are already allocated are drawn again, never handed out twice."""
    from credentials import status_list

    draws = iter([0, 1, 2, 3] + [2, 3, 4, 5] + [3, 4, 5, 6, 7, 8])
    monkeypatch.setattr(status_list.secrets, "randbelow", lambda _n: next(draws))
    first = status_list.allocate_indexes(
        session, issuer_id="i", purpose="revocation", kid="k", count=4
    )
    second = status_list.allocate_indexes(
        session, issuer_id="i", purpose="revocation", kid="k", count=4
    )
    assert sorted(i for _, i in first) == [0, 1, 2, 3]
    assert sorted(i for _, i in second) == [4, 5, 6, 7]  # 2 and 3 were taken, then 3 again
    assert {slots.id for slots, _ in first + second} == {first[0][0].id}
    rows = session.exec(select(StatusAllocation)).all()
    assert sorted(r.status_index for r in rows) == list(range(8))
