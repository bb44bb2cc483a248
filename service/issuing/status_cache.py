"""Signed status lists, cached per (list id, version, signing kid) in each process.

Bitstring Status List v1.0 §2.2: the BitstringStatusListCredential is a VC like any other, so we
secure it as a VC-JWT (VC-JOSE-COSE §3) with the key the list belongs to, the one that signed
its credentials (``credentials.status_list.signing_key_for``: a retired key keeps signing its
lists; a compromised one is replaced by the active key). Signing on every fetch would make each
verification and each employer poll cost a signature, so a signed list is reused until its
version changes (a bit flipped), its signing key changes (compromise), or half of its validity
(``SKILLS_STATUS_LIST_TTL_SECONDS``) has passed. The ETag names the list
version and the key, so a client's cached copy is never revalidated across a key change.

Each API process keeps its own cache; two replicas may hold different signatures of the same
version, which is why the ETag is weak (W/): the content is semantically equivalent.
"""

from __future__ import annotations

import hashlib
import threading
import uuid
from collections import OrderedDict
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlmodel import Session, col, select

from credentials import freshness
from credentials.keys import active_key
from credentials.models import KEY_ACTIVE, KEY_RETIRED, SigningKey, StatusList
from credentials.resolvers import StatusListNotFound
from credentials.status_list import (
    build_status_list_credential,
    signing_key_for,
    status_list_url,
)
from credentials.timefmt import utcnow
from service.core.settings import Settings

MAX_ENTRIES = 512
_list_probes = freshness.FreshCache()


@dataclass(frozen=True)
class SignedList:
    token: str
    etag: str
    signed_at: datetime
    valid_until: datetime

    def max_age(self, settings: Settings, now: datetime | None = None) -> int:
        remaining = int((self.valid_until - (now or utcnow())).total_seconds())
        return max(0, min(settings.status_list_max_age_seconds, remaining))


class OwnStatusListMissing(RuntimeError):
    """A list URL under our own base that we do not hold: verification is inconclusive, and we
    never ask our own public URL over HTTP for it."""


class StatusListCache:
    def __init__(self, max_entries: int = MAX_ENTRIES):
        self._entries: OrderedDict[tuple, SignedList] = OrderedDict()
        self._lock = threading.Lock()
        self.max_entries = max_entries
        self.signatures = 0  # how many lists this cache signed (tests and metrics read it)

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()

    def _signer_kid(
        self, session: Session, list_id: uuid.UUID, fresh_seconds: float = 0.0
    ) -> tuple[int, str]:
        """(version, kid of the key that signs the list) in one small query: a cache hit never
        loads the 16 KiB bitstring. Kept for ``fresh_seconds`` at most (credentials.freshness:
        a flip in this process shows at once, one elsewhere within that window). Raises
        StatusListNotFound or NoActiveKey."""
        kept = _list_probes.get(list_id)
        if kept is not None:
            return kept
        generation = freshness.generation()
        found = self._probe(session, list_id)
        _list_probes.put(list_id, found, fresh_seconds, generation)
        return found

    def _probe(self, session: Session, list_id: uuid.UUID) -> tuple[int, str]:
        probe = session.execute(
            select(StatusList.version, StatusList.kid, StatusList.issuer_id, SigningKey.status)
            .outerjoin(SigningKey, col(SigningKey.kid) == col(StatusList.kid))
            .where(col(StatusList.id) == list_id)
        ).first()
        if probe is None:
            raise StatusListNotFound(str(list_id))
        version, kid, issuer_id, key_status = probe
        if kid is not None and key_status in (KEY_ACTIVE, KEY_RETIRED):
            return version, kid
        return version, active_key(session, issuer_id).kid  # as ``signing_key_for`` decides

    def get(self, session: Session, settings: Settings, list_id: uuid.UUID) -> SignedList:
        """The signed list; raises StatusListNotFound, or NoActiveKey when it cannot be signed."""
        version, signer_kid = self._signer_kid(session, list_id, settings.verify_cache_seconds)
        cache_key = (list_id, version, signer_kid, settings.public_base_url)
        ttl = timedelta(seconds=settings.status_list_ttl_seconds)
        now = utcnow()
        with self._lock:
            hit = self._entries.get(cache_key)
            if hit is not None and now < hit.signed_at + ttl / 2:
                self._entries.move_to_end(cache_key)
                return hit
        # A miss: the row as committed now (not an older copy from the session's identity map).
        row = session.get(StatusList, list_id, populate_existing=True)
        if row is None:
            raise StatusListNotFound(str(list_id))
        key = signing_key_for(session, row)
        cache_key = (row.id, row.version, key.kid, settings.public_base_url)
        token, _ = build_status_list_credential(
            row,
            list_url=status_list_url(settings.public_base_url, row.id),
            key_row=key,
            master_key=settings.master_key_bytes(),
            now=now,
            ttl=ttl,
        )
        key_tag = hashlib.sha256(key.kid.encode()).hexdigest()[:12]
        signed = SignedList(
            token=token,
            etag=f'W/"{row.id}.{row.version}.{key_tag}"',
            signed_at=now.replace(microsecond=0),
            valid_until=now.replace(microsecond=0) + ttl,
        )
        with self._lock:
            self.signatures += 1
            self._entries[cache_key] = signed
            while len(self._entries) > self.max_entries:
                self._entries.popitem(last=False)
        return signed


status_list_cache = StatusListCache()


class CachedDbStatusFetcher:
    """``status_fetcher`` for ``credentials.verify``: our own lists from the cache (no HTTP)."""

    def __init__(self, session: Session, settings: Settings, cache: StatusListCache | None = None):
        self.session = session
        self.settings = settings
        self.cache = cache or status_list_cache
        self.prefix = settings.public_base_url.rstrip("/") + "/status-lists/"

    def __call__(self, url: str) -> str:
        if not url.startswith(self.prefix):
            raise StatusListNotFound(url)
        try:
            list_id = uuid.UUID(url[len(self.prefix) :])
            return self.cache.get(self.session, self.settings, list_id).token
        except Exception as exc:  # noqa: BLE001 - any failure here makes the status inconclusive
            raise OwnStatusListMissing(f"our status list {url} is not available") from exc
