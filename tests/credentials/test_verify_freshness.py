"""What a verifying process keeps in memory about our own keys and status lists
(SKILLS_VERIFY_CACHE_SECONDS, credentials.freshness): a revocation or a compromise made in the
same process shows at once; one made elsewhere (another replica: here, the database changed
behind the library's back) shows once the window has passed; 0 keeps nothing."""

from __future__ import annotations

import time
import uuid

import pytest
from sqlalchemy import update

from credentials import keys, status_bits
from credentials.issuance import revoke
from credentials.models import SigningKey, StatusList
from service.issuing.keys import ensure_issuer_key
from service.issuing.service import issue
from service.issuing.verification import Verifier


class World:
    """Credentials issued the way the service issues them, verified by its own Verifier."""

    def __init__(self, session, settings):
        self.session, self.settings = session, settings
        self.key = ensure_issuer_key(session, settings)
        session.commit()

    def issue(self):
        outcome = issue(
            self.session,
            self.settings,
            learner_uuid=uuid.uuid4(),
            id_number=None,
            occupation_code="6-31-01-03",
            level=4,
            hours=72,
            score=88,
            enrollment_ref=f"rpl:fresh-{uuid.uuid4()}",
        )
        self.session.commit()
        return outcome.credential


@pytest.fixture
def world(session, settings):
    return World(session, settings)


def _verifier(world, seconds: float):
    """A verification as one request makes it (each request builds its own Verifier)."""
    settings = world.settings.model_copy(update={"verify_cache_seconds": seconds})
    return lambda token: Verifier(world.session, settings).verify(token)


def _revoke_elsewhere(world, row) -> None:
    """The revocation another process would make: the bit and version, written directly."""
    current = world.session.get(StatusList, row.revocation_list_id, populate_existing=True)
    world.session.execute(
        update(StatusList)
        .where(StatusList.id == row.revocation_list_id)
        .values(
            bitstring=status_bits.set_bit(current.bitstring, row.revocation_index, True),
            version=current.version + 1,
        )
    )
    world.session.commit()


def test_a_revocation_in_this_process_shows_at_once(world):
    row = world.issue()
    verify = _verifier(world, 60)
    assert verify(row.jwt).result == "valid"
    revoke(world.session, row, "fraud", "test")
    world.session.commit()
    assert verify(row.jwt).result == "revoked"


def test_a_compromise_in_this_process_shows_at_once(world):
    row = world.issue()
    verify = _verifier(world, 60)
    assert verify(row.jwt).result == "valid"
    keys.mark_compromised(world.session, world.key.kid, "leaked")
    world.session.commit()
    assert verify(row.jwt).reason == "key_compromised"


def test_a_revocation_elsewhere_shows_within_the_window(world):
    row = world.issue()
    verify = _verifier(world, 1.5)
    assert verify(row.jwt).result == "valid"
    _revoke_elsewhere(world, row)
    assert verify(row.jwt).result == "valid"  # kept: another replica's change
    time.sleep(1.6)
    assert verify(row.jwt).result == "revoked"


def test_a_compromise_elsewhere_shows_within_the_window(world):
    row = world.issue()
    verify = _verifier(world, 1.5)
    assert verify(row.jwt).result == "valid"
    world.session.execute(
        update(SigningKey).where(SigningKey.kid == world.key.kid).values(status="compromised")
    )
    world.session.commit()
    time.sleep(1.6)
    assert verify(row.jwt).reason == "key_compromised"


def test_with_no_window_every_verification_reads_the_database(world):
    row = world.issue()
    verify = _verifier(world, 0)
    assert verify(row.jwt).result == "valid"
    _revoke_elsewhere(world, row)
    assert verify(row.jwt).result == "revoked"
