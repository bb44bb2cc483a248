import base64
import gzip
import os
import threading

import pytest
from sqlmodel import Session, select

from credentials import status_bits, status_list
from credentials.models import StatusAllocation, StatusList

ISSUER = "https://skills.example.gov.cn/issuers/a"


def test_encoding_round_trip_bit0_is_leftmost():
    bits = status_bits.empty_bitstring()
    assert len(bits) * 8 == 131_072
    bits = status_bits.set_bit(bits, 0, True)
    bits = status_bits.set_bit(bits, 131_071, True)
    assert bits[0] == 0x80 and bits[-1] == 0x01
    encoded = status_bits.encode_list(bits)
    assert encoded.startswith("u") and "=" not in encoded
    raw = gzip.decompress(base64.urlsafe_b64decode(encoded[1:] + "=" * (-len(encoded[1:]) % 4)))
    assert raw == bits
    assert status_bits.decode_list(encoded) == bits
    assert status_bits.get_bit(bits, 0) and status_bits.get_bit(bits, 131_071)
    assert not status_bits.get_bit(bits, 1)


def test_decoder_reads_an_independently_made_list():
    # Built by hand the way the spec describes: bit 23 set, GZIP, base64url, "u".
    raw = bytearray(16 * 1024)
    raw[23 // 8] |= 0x80 >> (23 % 8)
    encoded = "u" + base64.urlsafe_b64encode(gzip.compress(bytes(raw))).decode().rstrip("=")
    bits = status_bits.decode_list(encoded)
    assert [i for i in range(len(bits) * 8) if status_bits.get_bit(bits, i)] == [23]


@pytest.mark.parametrize("bad", ["", "zabc", "u!!!", "u" + base64.urlsafe_b64encode(b"x").decode()])
def test_decoder_rejects_garbage(bad):
    with pytest.raises(status_bits.StatusListDecodeError):
        status_bits.decode_list(bad)


def test_decoder_refuses_a_bomb():
    bomb = "u" + base64.urlsafe_b64encode(gzip.compress(bytes(32 * 1024 * 1024))).decode()
    with pytest.raises(status_bits.StatusListDecodeError):
        status_bits.decode_list(bomb)


def test_lists_are_never_smaller_than_131072():
    with pytest.raises(ValueError):
        status_bits.empty_bitstring(1024)


def test_set_status_bumps_version_and_etag(session):
    row = status_list.create_list(session, issuer_id=ISSUER, purpose="revocation")
    before = status_list.etag(row)
    status_list.set_status(session, row, 5, True)
    assert status_list.get_bit(row, 5) and row.version == 2
    assert status_list.etag(row) != before
    status_list.set_status(session, row, 5, True)  # no change, no new version
    assert row.version == 2


def test_allocation_is_random_and_rolls_over(session):
    first = status_list.create_list(
        session, issuer_id=ISSUER, purpose="revocation", max_allocations=3
    )
    got = [
        status_list.allocate_index(session, issuer_id=ISSUER, purpose="revocation")
        for _ in range(5)
    ]
    session.commit()
    lists = [lst.id for lst, _ in got]
    assert lists[:3] == [first.id] * 3 and lists[3] != first.id
    assert session.get(StatusList, first.id).full
    indexes = [i for _, i in got]
    assert len(set(indexes)) == 5 and indexes != sorted(indexes)


def test_collision_is_retried(session, monkeypatch):
    status_list.create_list(session, issuer_id=ISSUER, purpose="revocation")
    draws = iter([7, 7, 7, 9])
    monkeypatch.setattr(status_list.secrets, "randbelow", lambda n: next(draws))
    _, a = status_list.allocate_index(session, issuer_id=ISSUER, purpose="revocation")
    _, b = status_list.allocate_index(session, issuer_id=ISSUER, purpose="revocation")
    session.commit()
    assert (a, b) == (7, 9)


def _concurrent_allocation(engine, threads=8, per_thread=25):
    with Session(engine) as s:
        status_list.create_list(s, issuer_id=ISSUER, purpose="revocation")
        s.commit()
    errors = []
    # A tiny draw space forces real collisions between concurrent transactions.
    barrier = threading.Barrier(threads)

    def work():
        try:
            barrier.wait()
            for _ in range(per_thread):
                with Session(engine) as s:
                    status_list.allocate_index(s, issuer_id=ISSUER, purpose="revocation")
                    s.commit()
        except Exception as exc:  # pragma: no cover - reported below
            errors.append(exc)

    workers = [threading.Thread(target=work) for _ in range(threads)]
    for w in workers:
        w.start()
    for w in workers:
        w.join()
    assert not errors
    with Session(engine) as s:
        rows = s.exec(select(StatusAllocation)).all()
        pairs = [(r.list_id, r.status_index) for r in rows]
        assert len(pairs) == threads * per_thread == len(set(pairs))
        lst = s.exec(select(StatusList)).one()
        assert lst.allocated == threads * per_thread


def test_concurrent_allocation(engine, monkeypatch):
    counter = iter(range(10**6))
    lock = threading.Lock()

    def small(n):  # draws from 300 values so concurrent transactions do collide
        with lock:
            next(counter)
        return int.from_bytes(os.urandom(2)) % 300

    monkeypatch.setattr(status_list.secrets, "randbelow", small)
    _concurrent_allocation(engine, threads=6, per_thread=20)
